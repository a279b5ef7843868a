"""Figures of results that show their uncertainty and do not exaggerate.

Each takes the runs themselves and states on the figure its interval (``"t95"``: Student-t,
seeds as the unit; ``"range"``). Bars start at zero; line plots say the y-range in the label.
Figure text is ASCII (Matplotlib on Colab has no CJK font).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from course_lib.analysis.verdict import t_interval

__all__ = [
    "INTERVALS", "plot_error_bars", "plot_error_lines", "plot_training_curves", "plot_verdicts",
    "summarize_runs",
]

#: The intervals a figure can show, and how its caption names them.
INTERVALS = {
    "t95": "95% t-interval of the mean over seeds",
    "range": "range over seeds (lowest to highest)",
}


def _check_interval(interval, caller: str) -> str:
    if interval not in INTERVALS:
        raise ValueError(f"{caller}: interval must be one of {sorted(INTERVALS)} "
                         f"({'; '.join(f'{k}: {v}' for k, v in INTERVALS.items())}). "
                         f"Received: interval={interval!r}")
    return interval


def _check_columns(frame, columns, caller: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{caller}: runs must be a pandas DataFrame with one row per run "
                        f"(model and seed). Received: {type(frame).__name__}")
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"{caller}: runs has no column(s) {missing}. "
                         f"Received columns: {list(frame.columns)}")


#: The columns :func:`summarize_runs` adds (so ``x`` and ``group`` must be named otherwise).
SUMMARY_COLUMNS = ("seeds", "mean", "low", "high")


def summarize_runs(runs: pd.DataFrame, *, x: str = "model", y: str = "test error %",
                   group: str | None = None, interval: str = "t95",
                   order=None) -> pd.DataFrame:
    """Mean over seeds and an interval, per ``x`` (and ``group``), for the figures.

    Args:
        runs: one row per run, with columns ``x``, ``y`` (and ``group``).
        x, y: the model column and the value column (an error in percent).
        group: optional second column (e.g. evaluation mode).
        interval: ``"t95"`` (NaN with one seed) or ``"range"``.
        order: the ``x`` values in order; values without runs are left out, values not in
            ``order`` follow in first-seen order.

    Returns:
        Columns ``x``, (``group``), ``seeds``, ``mean``, ``low``, ``high``.

    Example:

    >>> runs = pd.DataFrame({"model": ["A", "A", "A", "B"],
    ...                      "test error %": [13.0, 13.4, 12.9, 11.0]})
    >>> s = summarize_runs(runs, interval="range")
    >>> s[["model", "seeds", "low", "high"]].values.tolist()
    [['A', 3, 12.9, 13.4], ['B', 1, 11.0, 11.0]]
    >>> summarize_runs(runs, order=["B", "C", "A"])["model"].tolist()  # C has no runs: no slot
    ['B', 'A']
    """
    _check_columns(runs, [x, y, group], "summarize_runs")
    for arg, name in (("x", x), ("group", group)):
        if name in SUMMARY_COLUMNS:
            raise ValueError(f"summarize_runs: `{arg}` names a column the summary adds itself "
                             f"{list(SUMMARY_COLUMNS)}; rename it. Received: {arg}={name!r}")
    interval = _check_interval(interval, "summarize_runs")
    data = runs.assign(**{y: pd.to_numeric(runs[y], errors="coerce")}).dropna(subset=[y])
    keys = [x] if group is None else [x, group]
    rows = []
    for key, g in data.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        values = g[y].to_numpy(dtype=float)
        if interval == "t95":
            mean, low, high = t_interval(values)
        else:
            mean, low, high = float(values.mean()), float(values.min()), float(values.max())
        rows.append({**dict(zip(keys, key)), "seeds": len(values), "mean": mean, "low": low,
                     "high": high})
    out = pd.DataFrame(rows, columns=keys + ["seeds", "mean", "low", "high"])
    if order is not None and len(out):
        rank = {v: i for i, v in enumerate(order)}
        first = {v: len(rank) + i for i, v in enumerate(dict.fromkeys(out[x]))}
        out = out.sort_values(x, key=lambda s: s.map(lambda v: rank.get(v, first[v])),
                              kind="stable").reset_index(drop=True)
    return out


def _interval_note(interval: str, summary: pd.DataFrame) -> str:
    seeds = sorted(set(summary["seeds"]))
    n = (f"{seeds[0]} seed{'s' if seeds[0] != 1 else ''}" if len(seeds) == 1 else
         f"{seeds[0]}-{seeds[-1]} seeds")
    one = "; no bar for 1 seed" if 1 in seeds else ""
    return f"mean of {n}; bars: {INTERVALS[interval]}{one}"


def _wrap(text: str, width: int = 70) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _yerr(summary: pd.DataFrame) -> np.ndarray:
    low = (summary["mean"] - summary["low"]).to_numpy(dtype=float)
    high = (summary["high"] - summary["mean"]).to_numpy(dtype=float)
    return np.nan_to_num(np.vstack([low, high]), nan=0.0)


def plot_error_bars(runs: pd.DataFrame, *, x: str = "model", y: str = "test error %",
                    group: str | None = None, order=None, interval: str = "t95",
                    reference=None, reference_label: str = "source (as printed)",
                    ax=None, title: str | None = None, ylabel: str | None = None):
    """Bars of the mean error per model, with error bars (none with one seed); bars start at zero.

    Args:
        runs, x, y, group, order, interval: as :func:`summarize_runs` (groups side by side).
        reference: optional ``{model: value}`` (e.g. the paper's), drawn as black diamonds.
        reference_label: its legend entry.

    Example:

    >>> fig = plot_error_bars(runs, order=["VGG-A", "VGG-B", "VGG-E"])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    summary = summarize_runs(runs, x=x, y=y, group=group, interval=interval, order=order)
    if summary.empty:
        raise ValueError(f"plot_error_bars: no run has a value in {y!r}. "
                         f"Received: {len(runs)} rows")
    models = list(dict.fromkeys(summary[x]))
    legend = group is not None or reference is not None
    if ax is None:
        width = 0.75 * len(models) * (1 if group is None else 1.6) + 2.5 + 2.0 * legend
        _, ax = plt.subplots(figsize=(max(5.5, width), 4.0))
    fig = ax.figure
    groups = [None] if group is None else list(dict.fromkeys(summary[group]))
    colours = {g: f"C{i % 10}" for i, g in enumerate(groups)}
    labelled = set()
    for i, model in enumerate(models):
        rows = summary[summary[x] == model]
        k = len(rows)
        width = 0.8 / k
        for j, (_, row) in enumerate(rows.iterrows()):
            g = None if group is None else row[group]
            pos = i - 0.4 + width * (j + 0.5)
            label = (str(g) if group is not None and g not in labelled else None)
            labelled.add(g)
            ax.bar(pos, row["mean"], width=width * 0.92, color=colours[g], label=label)
            err = _yerr(pd.DataFrame([row]))
            if row["seeds"] > 1:
                ax.errorbar(pos, row["mean"], yerr=err, fmt="none", ecolor="black",
                            elinewidth=1.2, capsize=4)
    ref = {}
    if reference is not None:
        ref = {m: float(v) for m, v in dict(reference).items()
               if m in models and v is not None and not pd.isna(v)}
        if ref:
            ax.scatter([models.index(m) for m in ref], list(ref.values()), marker="D",
                       color="black", s=36, zorder=5, label=reference_label)
    ax.set_xticks(range(len(models)), [str(m) for m in models])
    if max(len(str(m)) for m in models) > 6:
        ax.tick_params(axis="x", rotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    ax.set_xlim(-0.6, len(models) - 0.4)
    top = float(np.nanmax(np.concatenate([summary["high"].fillna(summary["mean"]).to_numpy(),
                                          summary["mean"].to_numpy()])))
    if ref:
        top = max(top, max(ref.values()))
    ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)
    ax.set_ylabel(ylabel or y)
    ax.set_xlabel("")
    ax.set_title(f"{title or f'{y} by {x}'}\n{_wrap(_interval_note(interval, summary))}",
                 fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_error_lines(runs: pd.DataFrame, *, x: str, y: str = "test error %",
                     line: str | None = None, label: str | None = None,
                     interval: str = "t95", ax=None, title: str | None = None,
                     xlabel: str | None = None, decimals: int = 2):
    """Mean and interval per numeric ``x``, one line per ``line`` value, ``label`` beside each point.

    Example:

    >>> fig = plot_error_lines(runs, x="high fraction", line="group",
    ...                        label="model")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    _check_columns(runs, [x, y, line, label], "plot_error_lines")
    keys_x = x if label is None else label
    data = runs.copy()
    if line is None:
        data["_line"] = ""
        line_col = "_line"
    else:
        line_col = line
    summaries = []
    for name, g in data.groupby(line_col, sort=False):
        s = summarize_runs(g, x=keys_x, y=y, interval=interval)
        s["_x"] = [float(pd.to_numeric(g.loc[g[keys_x] == k, x]).mean()) for k in s[keys_x]]
        s["_line"] = name
        summaries.append(s.sort_values("_x"))
    if not summaries or all(s.empty for s in summaries):
        raise ValueError(f"plot_error_lines: no run has a value in {y!r}. "
                         f"Received: {len(runs)} rows")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0))
    fig = ax.figure
    for i, s in enumerate(summaries):
        ax.errorbar(s["_x"], s["mean"], yerr=_yerr(s), fmt="-o", color=f"C{i % 10}",
                    capsize=4, markersize=5,
                    label=None if line is None else str(s["_line"].iloc[0]))
        if label is not None:
            for _, row in s.iterrows():
                ax.annotate(str(row[label]), (row["_x"], row["mean"]), fontsize=8,
                            textcoords="offset points", xytext=(5, 4))
    summary = pd.concat(summaries, ignore_index=True)
    low = float(np.nanmin(summary["low"].fillna(summary["mean"])))
    high = float(np.nanmax(summary["high"].fillna(summary["mean"])))
    pad = max(0.1 * (high - low), 10.0 ** -decimals)
    ax.set_ylim(low - pad, high + pad)
    y0, y1 = ax.get_ylim()
    ax.set_ylabel(f"{y} (axis not from 0)")
    ax.set_xlabel(xlabel or x)
    note = (f"y-axis {y0:.{decimals}f} to {y1:.{decimals}f} (not from 0); "
            f"{_interval_note(interval, summary).replace('bars:', 'error bars:')}")
    ax.set_title(f"{title}\n{_wrap(note)}" if title else _wrap(note), fontsize=10)
    ax.grid(alpha=0.3)
    if line is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _seed_list(seeds) -> str:
    seeds = sorted(set(seeds))
    return ", ".join(str(s) for s in seeds)


def _epoch_ticks(ax, epochs, locator) -> None:
    """Every epoch a tick when there are few (one epoch: one tick, not 0.96 ... 1.04)."""
    if len(epochs) <= 12:
        ax.set_xticks(epochs)
    else:
        ax.xaxis.set_major_locator(locator(integer=True))


def plot_training_curves(records, *, models=None, splits=("train", "test"),
                         band: str = "range", show_seeds: bool = True, axes=None,
                         title: str | None = None):
    """Error per epoch: for each model the mean over its seeds, a band, and (``show_seeds``) every seed.

    Example:

    >>> fig = plot_training_curves(records, models=["Plain-20", "Plain-56"])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    band = _check_interval(band, "plot_training_curves")
    splits = [splits] if isinstance(splits, str) else list(splits)
    bad = [s for s in splits if s not in ("train", "test")]
    if bad or not splits:
        raise ValueError(f"plot_training_curves: splits must be taken from ('train', 'test'). "
                         f"Received: splits={splits}")
    records = list(records or [])
    if not records:
        raise ValueError("plot_training_curves: no records to draw. Received: records=[]")
    rows = []
    for i, r in enumerate(records):
        if not isinstance(r, dict) or "label" not in r or "history" not in r:
            raise ValueError(f"plot_training_curves: records[{i}] is not a run record (it "
                             f"needs 'label' and 'history'). Received: "
                             f"{sorted(r) if isinstance(r, dict) else type(r).__name__}")
        for h in r["history"]:
            for split in splits:
                value = h.get(f"{split}_error_pct")
                if value is not None:
                    rows.append({"model": r["label"], "seed": r.get("seed", 0),
                                 "epoch": int(h["epoch"]), "split": split,
                                 "error": float(value)})
    curves = pd.DataFrame(rows, columns=["model", "seed", "epoch", "split", "error"])
    present = list(dict.fromkeys(r["label"] for r in records))
    if models is None:
        models = present
    else:
        models = [models] if isinstance(models, str) else list(models)
        unknown = [m for m in models if m not in present]
        if unknown:
            raise ValueError(f"plot_training_curves: no records of {unknown}. "
                             f"Received records of: {present}")
    if axes is None:
        _, axes = plt.subplots(1, len(splits), figsize=(5.2 * len(splits), 3.8), squeeze=False)
        axes = axes[0]
    axes = list(np.atleast_1d(axes))
    if len(axes) != len(splits):
        raise ValueError(f"plot_training_curves: one axes per split ({len(splits)}). "
                         f"Received: {len(axes)} axes")
    fig = axes[0].figure
    seeds_of = {m: sorted({r.get("seed", 0) for r in records if r["label"] == m})
                for m in models}
    for ax, split in zip(axes, splits):
        for i, model in enumerate(models):
            colour = f"C{i % 10}"
            c = curves[(curves["model"] == model) & (curves["split"] == split)]
            if c.empty:
                continue
            if show_seeds and len(seeds_of[model]) > 1:
                for _, s in c.groupby("seed"):
                    s = s.sort_values("epoch")
                    ax.plot(s["epoch"], s["error"], color=colour, lw=0.7, alpha=0.45)
            stats = summarize_runs(c, x="epoch", y="error", interval=band)
            stats = stats.sort_values("epoch")
            n = len(seeds_of[model])
            ax.plot(stats["epoch"], stats["mean"], "-o", color=colour, markersize=3.5,
                    label=f"{model} (mean of {n} seed{'s' if n != 1 else ''})")
            if (stats["seeds"] > 1).any():
                ax.fill_between(stats["epoch"], stats["low"], stats["high"], color=colour,
                                alpha=0.2, linewidth=0)
        _epoch_ticks(ax, sorted(curves["epoch"].unique()), MaxNLocator)
        ax.set(xlabel="epoch", ylabel="error (%)", title=f"{split} error")
        ax.grid(alpha=0.3)
    handles, labels = axes[-1].get_legend_handles_labels()
    if handles:
        axes[-1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                        frameon=False, fontsize=8)
    if title is None:
        who = "; ".join(f"{m} (seeds {_seed_list(seeds_of[m])})" for m in models)
        title = f"{who}\nline: mean over seeds; band: {INTERVALS[band]}" + (
            "; thin lines: each seed" if show_seeds else "")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_verdicts(verdicts, *, ax=None, title: str | None = None):
    """Each :class:`~course_lib.analysis.Verdict`'s difference with its interval, against zero.

    Example:

    >>> fig = plot_verdicts(report.orderings["result"])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from course_lib.analysis.verdict import Verdict

    verdicts = list(verdicts)
    if not verdicts:
        raise ValueError("plot_verdicts: no verdicts to draw. Received: []")
    for i, v in enumerate(verdicts):
        if not isinstance(v, Verdict):
            raise ValueError(f"plot_verdicts: verdicts[{i}] is not a Verdict (make one with "
                             f"compare_models). Received: {type(v).__name__}")
    colours = {"supports": "tab:green", "contradicts": "tab:red"}
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.55 * len(verdicts) + 1.4))
    fig = ax.figure
    ys = list(range(len(verdicts)))[::-1]
    for yv, v in zip(ys, verdicts):
        colour = colours.get(v.word, "0.45")
        if not math.isnan(v.ci_low):
            ax.plot([v.ci_low, v.ci_high], [yv, yv], color=colour, lw=2.2)
        ax.plot(v.difference, yv, "o", color=colour, markersize=6)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(ys, [f"{v.claim}\n{v.word}, {v.n_lower}+{v.n_higher} seeds"
                       for v in verdicts], fontsize=8)
    levels = {round(100 * v.level) for v in verdicts}
    ax.set_xlabel("difference in mean error (points), claimed-lower minus claimed-higher\n"
                  f"point: the difference; line: its {'/'.join(map(str, sorted(levels)))}% "
                  "interval")
    ax.set_title(title or "verdicts: left of 0 = the claimed direction")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
