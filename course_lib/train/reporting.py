"""Reports: the paper's numbers next to ours, and figures, for one experiment.

Paper numbers are never mixed into "ours": they sit in columns named ``paper ...``, each
labelled with its dataset and table. Figures go to ``<results>/<experiment>/figures/``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from course_lib.core import atomic_write
from course_lib.train.experiments import get_experiment
from course_lib.train.results import load_records, safe_name

__all__ = [
    "Report", "report", "paper_numbers", "records_frame", "seed_summary", "claimed_orderings",
    "compare_ordering",
]


@dataclass
class Report:
    """What :func:`report` found and made.

    Attributes:
        experiment, records, text, figures: the name, the records read, the printed report and
            the PNG paths.
        table: one row per run: ours, then ``paper <dataset> %`` columns.
        paper: the paper numbers used; summary: :func:`seed_summary`.
        orderings: the source's claimed orderings checked on ours (:func:`compare_ordering`).
    """

    experiment: str
    table: pd.DataFrame
    paper: pd.DataFrame
    figures: list = field(default_factory=list)
    text: str = ""
    records: list = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    orderings: pd.DataFrame = field(default_factory=pd.DataFrame)


# -- paper numbers --
_PAPER_COLUMNS = ["model", "dataset", "metric", "paper_error_pct", "source"]


def _seed000(exp) -> pd.DataFrame:
    from course_lib.analysis import load_table

    t = load_table("seed000_param_distribution")
    return pd.DataFrame({
        "model": t["model"], "dataset": t["dataset"], "metric": "test error %",
        "paper_error_pct": t["test_error_pct"].astype(float), "source": t["source"],
    })


def _seed001(exp) -> pd.DataFrame:
    from course_lib.analysis import load_table

    t = load_table("seed001_single_scale")
    t = t[(t["train_S_printed"].astype(str) == "256") & (t["test_Q_printed"].astype(str) == "256")]
    t = t.drop_duplicates("config")
    single = pd.DataFrame({
        "model": "VGG-" + t["config"] + "-CIFAR", "dataset": "imagenet",
        "metric": "ImageNet top-1 error %, S=Q=256 (224px, not CIFAR)",
        "paper_error_pct": t["top1_error_pct"].astype(float), "source": t["source"],
    })
    d = load_table("seed001_dense_vs_multicrop")
    d = d[d["evaluation"].isin(["dense", "multi-crop", "multi-crop & dense"])]
    modes = pd.DataFrame({
        "model": "VGG-" + d["config"] + "-CIFAR", "dataset": "imagenet",
        "metric": "ImageNet top-1 error %, " + d["evaluation"] + " evaluation",
        "paper_error_pct": d["top1_error_pct"].astype(float), "source": d["source"],
    })
    return pd.concat([single, modes], ignore_index=True)


def _simpnet(exp) -> pd.DataFrame:
    """Seed 002's numbers; where it prints one per training setting, the one ``exp`` uses."""
    from course_lib.models.simpnet_archs import PAPER_RESULTS

    rows = []
    # Rows stating the run's augmentation setting first, then rows that state none, so that
    # drop_duplicates keeps the matching number (CIFAR-10 SimpNet: 95.56 with, 95.26 without).
    ordered = sorted(PAPER_RESULTS, key=lambda r: r.augmentation is None)
    for r in ordered:
        if r.zoo_name is None:
            continue
        if r.augmentation is not None and r.augmentation != exp.augments(r.dataset):
            continue
        if r.error_printed is not None:
            err, metric = float(r.error_printed), "test error %"
        elif r.accuracy_printed is not None:
            err, metric = round(100.0 - float(r.accuracy_printed), 4), "100 - printed accuracy %"
        else:
            continue
        rows.append({"model": r.zoo_name, "dataset": r.dataset, "metric": metric,
                     "paper_error_pct": err, "source": r.source})
    return pd.DataFrame(rows, columns=_PAPER_COLUMNS).drop_duplicates(["model", "dataset"])


_PAPER_LOADERS = {
    "seed000_param_distribution": _seed000,
    "seed001_single_scale": _seed001,
    "simpnet": _simpnet,
}


def paper_numbers(experiment) -> pd.DataFrame:
    """The source's printed numbers for an experiment's models (accuracies converted to errors)."""
    exp = get_experiment(experiment)
    if exp.paper is None:
        return pd.DataFrame(columns=_PAPER_COLUMNS)
    frame = _PAPER_LOADERS[exp.paper](exp)
    names = {m.name for m in exp.models}
    return frame[frame["model"].isin(names)].reset_index(drop=True)


# -- our numbers --
def records_frame(records: list[dict]) -> pd.DataFrame:
    """One row per record: errors, parameters, cost, and what :func:`compare_ordering` needs."""
    rows = []
    for r in records:
        params = r.get("params", {})
        arch = r.get("architecture", {})
        row = {
            "label": r["label"], "model": r["model"], "dataset": r["dataset"],
            "budget": r["budget"],
            "seed": r.get("seed", r.get("config", {}).get("settings", {}).get("seed")),
            "test error %": r["test_error_pct"],
            "train error %": r.get("train_error_pct"),
            "params (M)": params.get("total", 0) / 1e6,
            "low (M)": params["low"] / 1e6 if "low" in params else None,
            "high (M)": params["high"] / 1e6 if "high" in params else None,
            "epochs": r["epochs_completed"],
            "wall (s)": r.get("wall_time_s"),
            "img/s": r.get("images_per_second"),
            "narrowed": bool(arch.get("changed_by_budget", False)),
            "same_architecture_as_zoo": r["label"] == r["model"],
            "num test": r.get("config", {}).get("num_test"),
            "num train": r.get("config", {}).get("num_train"),
            "test correct": r.get("test_correct"),
            "origin": "shipped" if r.get("shipped") else "trained",
        }
        for mode, values in (r.get("test_errors") or {}).items():
            row[f"{mode} %"] = values.get("error_pct")
        rows.append(row)
    return pd.DataFrame(rows)


def _with_paper(ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Add ``paper <dataset> %`` columns (the main metric per dataset) matched on model."""
    if paper.empty or ours.empty:
        return ours
    main = paper.drop_duplicates(["model", "dataset"])
    wide = main.pivot(index="model", columns="dataset", values="paper_error_pct")
    wide.columns = [f"paper {c} %" for c in wide.columns]
    out = ours.merge(wide, left_on="model", right_index=True, how="left")
    # A run with overrides (e.g. Arch1-13L-strided) is not the paper's row of its zoo model.
    paper_cols = list(wide.columns)
    out.loc[~out["same_architecture_as_zoo"], paper_cols] = float("nan")
    return out


# -- claims of the sources, checked on our numbers --
def seed_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds of each model run, per dataset and budget.

    Returns:
        One row per ``(dataset, budget, label)`` in first-seen order: ``seeds``, test/train mean,
        std (NaN for one seed), min and max in %, and for :func:`compare_ordering` the per-seed
        errors, image counts and ``test correct`` (``None`` unless every seed has one).
    """
    columns = ["dataset", "budget", "label", "seeds"] + [
        f"{split} {stat} %" for split in ("test", "train") for stat in ("mean", "std", "min", "max")
    ] + ["test errors", "train errors", "num test", "num train", "test correct"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (ds, bud, label), g in table.groupby(["dataset", "budget", "label"], sort=False):
        row = {"dataset": ds, "budget": bud, "label": label, "seeds": len(g)}
        for split in ("test", "train"):
            values = pd.to_numeric(g[f"{split} error %"], errors="coerce").dropna()
            row[f"{split} mean %"] = values.mean() if len(values) else float("nan")
            row[f"{split} std %"] = values.std(ddof=1) if len(values) > 1 else float("nan")
            row[f"{split} min %"] = values.min() if len(values) else float("nan")
            row[f"{split} max %"] = values.max() if len(values) else float("nan")
            row[f"{split} errors"] = tuple(float(v) for v in values)
        for split in ("test", "train"):
            sizes = g[f"num {split}"].dropna() if f"num {split}" in g else pd.Series([], float)
            row[f"num {split}"] = int(sizes.iloc[0]) if len(sizes) else None
        correct = list(g["test correct"]) if "test correct" in g else []
        tests = pd.to_numeric(g["test error %"], errors="coerce")
        row["test correct"] = (tuple(correct) if correct and tests.notna().all()
                               and all(c is not None for c in correct) else None)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


#: The orderings each source claims, as ``(claim, lower, higher, split)``: the source says
#: ``lower`` ends with a lower ``split`` error than ``higher``.
_ORDERINGS = {
    "param-distribution": [
        (f"{f}3 < {f}1 (X3 < X1: more parameters in the high layers, seed 000 section 4)",
         f"{f}3", f"{f}1", "test")
        for f in ("CNN-A", "CNN-B", "RCNN-A", "RCNN-B")
    ] + [
        (f"{f}2 < {f}1", f"{f}2", f"{f}1", "test") for f in ("CNN-A", "CNN-B", "RCNN-A", "RCNN-B")
    ] + [
        (f"{f}3 < {f}2", f"{f}3", f"{f}2", "test") for f in ("CNN-A", "CNN-B", "RCNN-A", "RCNN-B")
    ],
    "vgg-depth": [
        ("E < A (error falls with depth, seed 001 Table 1 = 表1, single-scale evaluation)", "VGG-E-CIFAR", "VGG-A-CIFAR", "test"),
        ("D < A", "VGG-D-CIFAR", "VGG-A-CIFAR", "test"),
        ("D < C (3x3 beats 1x1 convolutions at equal depth, seed 001 section 4.1)",
         "VGG-D-CIFAR", "VGG-C-CIFAR", "test"),
        ("A-LRN < A (LRN helps; seed 001 section 4.1 finds it does not: A-LRN is no better "
         "than A, so the source expects this ordering not to be supported)",
         "VGG-A-LRN-CIFAR", "VGG-A-CIFAR", "test"),
    ],
    "vgg-init": [
        ("E from net A < E from N(0, 0.01) (seed 001 section 3.1: deep nets need a "
         "better start)", "VGG-E-fromA", "VGG-E-normal", "test"),
        ("E from net A, the other layers from N(0, 0.01) < E from N(0, 0.01) (the paper's "
         "remedy as the paper draws it, seed 001 section 3.1)", "VGG-E-fromA-paper",
         "VGG-E-normal", "test"),
        ("E Glorot < E from N(0, 0.01) (seed 001 section 3.1, footnote)", "VGG-E-glorot",
         "VGG-E-normal", "test"),
        ("E He < E from N(0, 0.01) (He et al. 2015, section 2.2; not a claim of seed 001)",
         "VGG-E-he", "VGG-E-normal", "test"),
    ],
    "resnet-degradation": [
        ("Plain-20 < Plain-56 in train error (degradation, fig. 3.8)", "Plain-20", "Plain-56",
         "train"),
        ("Plain-20 < Plain-56 in test error (degradation, fig. 3.8)", "Plain-20", "Plain-56",
         "test"),
        ("ResNet-56 < Plain-56 (residual learning, fig. 3.8)", "ResNet-56", "Plain-56", "test"),
        ("Plain-20 < Plain-32 in train error (degradation, He et al. fig. 6)", "Plain-20",
         "Plain-32", "train"),
        ("Plain-20 < Plain-32 in test error (degradation, He et al. fig. 6)", "Plain-20",
         "Plain-32", "test"),
        ("ResNet-32 < Plain-32 (residual learning, He et al. fig. 6)", "ResNet-32", "Plain-32",
         "test"),
        ("ResNet-32 < ResNet-20 (with shortcuts the deeper net is the better one: He et al. "
         "Table 6 prints 7.51% vs 8.75% test error)", "ResNet-32", "ResNet-20", "test"),
        ("ResNet-20 < Plain-20 (residual learning at 20 layers; He et al. fig. 6 shows a small "
         "gap at this depth)", "ResNet-20", "Plain-20", "test"),
    ],
    "simpnet-principles": [
        ("Arch1-8L < Arch1-13L (at ~300K parameters, depth helps only up to a point: Table 2 "
         "prints 90.21% vs 89.78% accuracy)", "Arch1-8L", "Arch1-13L", "test"),
        ("Arch1-8L < Arch4-7x7-300K-v1 (3x3 kernels beat 7x7 at equal parameters; Table 7's "
         "3x3 net Arch4-3x3-300K is Arch1-8L: 90.21% vs 86.09% accuracy)", "Arch1-8L",
         "Arch4-7x7-300K-v1", "test"),
        ("Arch1-8L < Arch4-7x7-300K-v2 (7x7 only in the first two layers still loses to 3x3: "
         "Table 7 prints 90.21% vs 88.57% accuracy)", "Arch1-8L", "Arch4-7x7-300K-v2", "test"),
        ("Arch4-7x7-300K-v2 < Arch4-7x7-300K-v1 (the fewer 7x7 layers, the better: Table 7 "
         "prints 88.57% vs 86.09% accuracy)", "Arch4-7x7-300K-v2", "Arch4-7x7-300K-v1",
         "test"),
        ("SimpNet-Slim-600K-SAF < SimpNet-Slim-600K-noSAF (SAF-pooling helps)",
         "SimpNet-Slim-600K-SAF", "SimpNet-Slim-600K-noSAF", "test"),
    ],
}


def claimed_orderings(experiment) -> list[tuple[str, str, str, str]]:
    """The orderings the experiment's source claims, ``(claim, lower, higher, split)``."""
    exp = get_experiment(experiment)
    labels = set(exp.labels)
    return [o for o in _ORDERINGS.get(exp.name, []) if o[1] in labels and o[2] in labels]


def compare_ordering(lower: pd.Series | dict, higher: pd.Series | dict, split: str = "test",
                     *, level: float = 0.95) -> dict:
    """Judge "``lower`` has the lower error" on ours with :func:`course_lib.analysis.compare_models`.

    ``lower``/``higher`` are :func:`seed_summary` rows; ``split="train"`` uses the last epoch's
    running training error. ``difference = lower - higher`` (negative: the claimed direction);
    ``verdict`` is the printed line and ``result`` the :class:`course_lib.analysis.Verdict`.

    Example:

    >>> summary = seed_summary(records_frame(records)).set_index("label")  # doctest: +SKIP
    >>> compare_ordering(summary.loc["CNN-A3"], summary.loc["CNN-A1"])["verdict"]  # doctest: +SKIP
    'inconclusive — difference -0.28 points, 95% CI [-1.05, 0.49] (Welch t over 3+3 seeds ...)'
    """
    from course_lib.analysis.verdict import compare_models

    if split not in ("test", "train"):
        raise ValueError(f"compare_ordering: split must be 'test' or 'train'. "
                         f"Received: split={split!r}")
    rows = {"lower": lower, "higher": higher}
    for which, row in rows.items():
        for key in (f"{split} errors", f"num {split}"):
            if key not in row or row[key] is None or (
                    not isinstance(row[key], tuple) and pd.isna(row[key])):
                raise ValueError(
                    f"compare_ordering: the {which} row has no {key!r}; pass rows of "
                    f"seed_summary(records_frame(records)) (records of this kit's runner). "
                    f"Received keys: {sorted(map(str, row.keys()))}")
    names = {which: str(row["label"]) if "label" in row else str(getattr(row, "name", which))
             for which, row in rows.items()}
    kwargs = dict(n_test=int(lower[f"num {split}"]), name_a=names["higher"],
                  name_b=names["lower"], level=level, split=split)
    errors_hi, errors_lo = higher[f"{split} errors"], lower[f"{split} errors"]
    paired = (split == "test" and lower.get("test correct") is not None
              and higher.get("test correct") is not None)
    result = None
    if paired:
        try:
            result = compare_models(errors_hi, errors_lo, "B < A",
                                    correct_a=list(higher["test correct"]),
                                    correct_b=list(lower["test correct"]), **kwargs)
        except ValueError as exc:  # e.g. the per-image results of another evaluation mode
            reason = str(exc)
    if result is None:
        result = compare_models(errors_hi, errors_lo, "B < A", **kwargs)
        if paired:
            result = dataclasses.replace(result, note=f"{result.note} (per-image results not "
                                                      f"used: {reason})")
    return {"lower mean %": result.mean_lower, "higher mean %": result.mean_higher,
            "gap": -result.difference, "difference": result.difference,
            "ci low": result.ci_low, "ci high": result.ci_high, "word": result.word,
            "method": result.method, "verdict": result.format(claim=False), "result": result}


def _orderings(name: str, summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (ds, bud), group in summary.groupby(["dataset", "budget"], sort=False):
        by_label = group.set_index("label")
        for claim, lower, higher, split in claimed_orderings(name):
            if lower not in by_label.index or higher not in by_label.index:
                continue
            result = compare_ordering(by_label.loc[lower], by_label.loc[higher], split)
            rows.append({"dataset": ds, "budget": bud, "claim": claim, "lower": lower,
                         "higher": higher, "split": split,
                         "seeds": int(min(by_label.loc[lower, "seeds"],
                                          by_label.loc[higher, "seeds"])), **result})
    return pd.DataFrame(rows)


def _fmt_mean(row: pd.Series, split: str) -> str:
    mean, std = row[f"{split} mean %"], row[f"{split} std %"]
    return f"{mean:.2f}" + (f" ± {std:.2f}" if pd.notna(std) else "")


def _claims(name: str, summary: pd.DataFrame, orderings: pd.DataFrame) -> list[str]:
    """The claim lines of one (dataset, budget) group."""
    lines = []
    if name == "param-distribution":
        lines.append("paper claim (seed 000, section 4): at a similar budget, moving parameters "
                     "to the high layers lowers the error (X3 < X2 < X1 in each group)")
        by_label = summary.set_index("label")
        for family in ("CNN-A", "CNN-B", "RCNN-A", "RCNN-B"):
            present = [f"{family}{i}" for i in (1, 2, 3) if f"{family}{i}" in by_label.index]
            if len(present) >= 2:
                lines.append(f"  {family}: ours " + " / ".join(
                    f"{label[-2:]} {_fmt_mean(by_label.loc[label], 'test')}" for label in present)
                    + " % (mean ± std over seeds)")
    elif name == "resnet-degradation":
        lines.append("book claim (seed 004, fig. 3.8): the 56-layer plain net has higher train "
                     "AND test error than the 20-layer one; residual nets do not degrade")
    elif name == "vgg-depth":
        lines.append("paper claim (seed 001): error falls with depth A -> E; LRN does not help "
                     "(A vs A-LRN); multi-crop and dense evaluation beat a single crop")
    elif name == "vgg-init":
        lines.append("paper (seed 001, section 3.1): deep nets from N(0, 0.01) stall; "
                     "initialising from net A, or Glorot initialisation, fixes it")
    elif name == "simpnet-principles":
        lines.append("paper claims (seed 002): the principles' orderings, where the runs exist")
    for _, o in orderings.iterrows():
        lower = summary.set_index("label").loc[o["lower"]]
        higher = summary.set_index("label").loc[o["higher"]]
        lines.append(f"  {o['claim']}: ours {o['split']} {_fmt_mean(lower, o['split'])} vs "
                     f"{_fmt_mean(higher, o['split'])} % -> {o['verdict']}")
    return lines


# -- figures --
def _figures(exp, group: pd.DataFrame, records: list[dict], folder: Path, stem: str) -> list[Path]:
    import matplotlib.pyplot as plt  # headless machines fall back to Agg by themselves
    import seaborn as sns

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    order = [label for label in exp.labels if label in set(group["label"])]
    width = max(6.0, 0.55 * len(order) + 2)

    # 1. error by model (per evaluation mode when there are several)
    mode_cols = [c for c in group.columns if c.endswith(" %") and c.split(" ")[0] in
                 ("standard", "single_crop", "multi_crop", "dense",
                  "multi_crop_dense")]
    fig, ax = plt.subplots(figsize=(width, 4))
    if len(mode_cols) > 1:
        long = group.melt(id_vars=["label"], value_vars=mode_cols, var_name="evaluation",
                          value_name="test error %")
        long["evaluation"] = long["evaluation"].str.replace(" %", "", regex=False)
        sns.barplot(data=long, x="label", y="test error %", hue="evaluation", order=order, ax=ax)
    else:
        sns.barplot(data=group, x="label", y="test error %", order=order, color="#4c72b0",
                    ax=ax, label="ours")
    paper_col = f"paper {group['dataset'].iloc[0]} %"
    if paper_col in group.columns and group[paper_col].notna().any():
        sns.scatterplot(data=group, x="label", y=paper_col, color="black", marker="D", s=50,
                        ax=ax, label="paper (same dataset)", zorder=5)
    ax.set(xlabel="", ylabel="test error (%)",
           title=f"{exp.name}: test error by model ({stem.replace('__', ', ')})")
    ax.tick_params(axis="x", rotation=60)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, folder / f"{stem}__error_by_model.png"))

    # 2. parameters vs error
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    data = group.copy()
    if data["low (M)"].notna().all():
        share = data["low (M)"] / (data["low (M)"] + data["high (M)"])
        data["low-layer share of parameters"] = share
        data["family"] = data["label"].str.extract(r"^([A-Z]+-[A-Z])", expand=False)
        x = "low-layer share of parameters"
        sns.scatterplot(data=data, x=x, y="test error %", hue="family", size="params (M)",
                        sizes=(40, 240), ax=ax)
        ax.set_title("seed 000: low/high parameter split vs error (ours)")
    else:
        x = "params (M)"
        sns.scatterplot(data=data, x=x, y="test error %", s=60, ax=ax)
        ax.set_xscale("log")
        ax.set_title(f"{exp.name}: parameters vs error (ours)")
    for _, row in data.iterrows():
        ax.annotate(row["label"], (row[x], row["test error %"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(_save(fig, folder / f"{stem}__params_vs_error.png"))

    curves = _curves_figure(exp, records, order, stem)
    if curves is not None:
        paths.append(_save(curves, folder / f"{stem}__training_curves.png"))
    return paths


def _curves_figure(exp, records: list[dict], order: list[str], stem: str):
    """Train and test error per epoch, one line per model (None without any history)."""
    import seaborn as sns

    rows = []
    for r in records:
        for e in r["history"]:
            for split in ("train", "test"):
                value = e.get(f"{split}_error_pct")
                if value is not None:
                    rows.append({"model": r["label"], "epoch": e["epoch"], "split": split,
                                 "error %": value})
    curves = pd.DataFrame(rows)
    if not curves.empty:
        from matplotlib.ticker import MaxNLocator

        hue_order = [m for m in order if m in set(curves["model"])]
        palette = sns.color_palette("tab10" if len(hue_order) <= 10 else "husl", len(hue_order))
        grid = sns.relplot(data=curves, x="epoch", y="error %", hue="model", col="split",
                           kind="line", marker="o", height=3.6, aspect=1.2,
                           hue_order=hue_order, palette=palette)
        grid.set_titles("{col_name} error")
        for ax in grid.axes.flat:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        grid.figure.suptitle(f"{exp.name}: error per epoch ({stem.replace('__', ', ')})", y=1.03)
        return grid.figure
    return None


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_write(path) as tmp:  # a reader never sees half a PNG
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


# -- the report --
def _shown_columns(table: pd.DataFrame) -> list[str]:
    """The report table's columns, in order (those a group lacks are dropped per group)."""
    return (["label", "seed", "origin", "test error %"]
            + [c for c in table.columns if c.endswith(" %") and c.split(" ")[0] in
               ("single_crop", "multi_crop", "dense", "multi_crop_dense")]
            + ["train error %"] + [c for c in table.columns if c.startswith("paper ")]
            + ["params (M)", "low (M)", "high (M)", "epochs", "wall (s)", "img/s"])


def _paper_lines(paper: pd.DataFrame) -> list[str]:
    """Where the paper columns come from (or that the source prints none)."""
    if paper.empty:
        return ["", "-- paper: the source prints no per-model numbers for this experiment"]
    lines = ["", "-- paper columns: numbers as printed in the source, not ours "
                 "(Report.paper has every row):"]
    for (metric, source), rows in paper.groupby(["metric", "source"], sort=False):
        lines.append(f"  {', '.join(sorted(set(rows['dataset'])))}: {metric} -- {source}")
    return lines


def shipped_records(experiment: str | Experiment, budget: str | None = None) -> list[dict]:
    """Every shipped record of an experiment (of ``budget``, or of every budget), each checked
    against the current definition (:class:`StaleShippedRecord` if stale or missing)."""
    from course_lib.train.runner import plan
    from course_lib.train.shipped import (SHIPPED_DATASET, read_shipped_record,
                                          shipped_runs)

    exp = get_experiment(experiment)
    out = []
    for name in [budget] if budget else ("smoke", "quick", "full"):
        for label, seed in shipped_runs(exp, name):
            out.append(read_shipped_record(plan(exp, label, dataset=SHIPPED_DATASET,
                                                budget=name, seed=seed)))
    return out


def _missing_shipped(exp, records: list[dict], dataset, budget) -> list[dict]:
    """The experiment's shipped records of runs that ``records`` do not hold, for the budgets
    and datasets ``records`` hold (a stale or missing one is left out with a warning)."""
    import warnings

    from course_lib.train.shipped import StaleShippedRecord

    def key(r):
        return (r["label"], r["dataset"], r["budget"], r.get("seed"))

    have = {key(r) for r in records}
    out = []
    for name in sorted({r["budget"] for r in records if budget in (None, r["budget"])}):
        try:
            found = shipped_records(exp, name)
        except StaleShippedRecord as exc:
            warnings.warn(f"report({exp.name!r}) leaves the kit's shipped records out: {exc}",
                          stacklevel=3)
            continue
        out += [r for r in found if key(r) not in have
                and r["dataset"] in {d["dataset"] for d in records}
                and (dataset is None or r["dataset"] == dataset)]
    return out


def report(
    experiment,
    *,
    results_dir: str | os.PathLike | list = "results",
    dataset: str | None = None,
    budget: str | None = None,
    figures: bool = True,
    verbose: bool = True,
    shipped: bool = True,
) -> Report:
    """Print the paper-vs-ours table of an experiment and save its figures; returns a :class:`Report`.

    Args:
        experiment: name or ``Experiment``.
        results_dir: a folder or a list (a run found in several counts once); figures go to the first.
        dataset, budget: only records of these.
        figures, verbose: save the PNGs, print the report.
        shipped: add the kit's shipped records (:mod:`course_lib.train.shipped`) of the runs
            the folders do not hold, so a verdict counts the seeds a notebook read.

    Example:

    >>> r = report("param-distribution", results_dir="results")  # doctest: +SKIP
    >>> r.table[["label", "test error %", "paper cifar10 %"]]  # doctest: +SKIP
    """
    exp = get_experiment(experiment)
    folders = ([results_dir] if isinstance(results_dir, (str, os.PathLike))
               else list(results_dir))
    records = load_records(results_dir, exp.name, datasets=[dataset] if dataset else None,
                           budgets=[budget] if budget else None)
    if shipped:
        records += _missing_shipped(exp, records, dataset, budget)
    paper = paper_numbers(exp)
    lines = [f"== {exp.name}: {exp.title}", f"source: {exp.source}"]
    if not records:
        lines.append(f"no readable results in "
                     f"{', '.join(str(Path(f) / safe_name(exp.name)) for f in folders)}; "
                     f"run `python -m course_lib run {exp.name} ...` first")
        text = "\n".join(lines)
        if verbose:
            print(text)
        return Report(exp.name, pd.DataFrame(), paper, [], text, [])

    table = _with_paper(records_frame(records), paper)
    rank = {label: i for i, label in enumerate(exp.labels)}
    table = table.sort_values(["dataset", "budget", "label", "seed"],
                              key=lambda s: s.map(rank) if s.name == "label" else s)
    summary = seed_summary(table)
    orderings = _orderings(exp.name, summary)
    figure_paths: list[Path] = []
    show_cols = _shown_columns(table)
    for (ds, bud), group in table.groupby(["dataset", "budget"], sort=False):
        cols = [c for c in show_cols if c in group.columns and group[c].notna().any()]
        narrowed = bool(group["narrowed"].any())
        lines.append("")
        lines.append(f"-- ours: dataset {ds}, budget {bud}"
                     + (" (models narrowed by the budget: not the sources' architectures)"
                        if narrowed else ""))
        lines.append(group[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        group_summary = summary[(summary["dataset"] == ds) & (summary["budget"] == bud)]
        if (group_summary["seeds"] > 1).any():
            lines += ["", "-- mean and spread over seeds (std: sample standard deviation)"]
            lines.append(group_summary[["label", "seeds", "test mean %", "test std %",
                                        "test min %", "test max %", "train mean %"]].to_string(
                index=False, float_format=lambda v: f"{v:.2f}"))
        group_orderings = (orderings[(orderings["dataset"] == ds) & (orderings["budget"] == bud)]
                           if not orderings.empty else orderings)
        claims = _claims(exp.name, group_summary, group_orderings)
        if len(group_orderings):
            claims.append("  (verdict: the difference in mean error, claimed-lower minus "
                          "claimed-higher, with a 95% interval over seeds and test images; "
                          "'inconclusive' means the interval contains 0: not evidence for or "
                          "against the claim. The method: course_lib.analysis.METHOD)")
        if claims and bud != "full":
            claims.append(f"  (budget {bud}: a short schedule on part of the data"
                          + (", narrowed models" if narrowed else "")
                          + "; a verdict here is about these short runs, not the paper's "
                          "setting)")
        lines.extend(claims)
        if figures:
            group_records = [r for r in records if r["dataset"] == ds and r["budget"] == bud]
            folder = Path(folders[0]) / safe_name(exp.name) / "figures"
            figure_paths += _figures(exp, group, group_records, folder,
                                     f"{safe_name(ds)}__{safe_name(bud)}")
    lines += _paper_lines(paper)
    if figure_paths:
        lines.append("")
        lines.append("figures: " + ", ".join(str(p) for p in figure_paths))
    text = "\n".join(lines)
    if verbose:
        print(text)
    return Report(exp.name, table.reset_index(drop=True), paper, figure_paths, text, records,
                  summary, orderings)
