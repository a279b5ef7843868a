"""The seeds' printed tables as data, and seed 000's printed parameter counts vs computed ones.

The CSVs in ``course_lib/tables/`` hold numbers exactly as the sources print them (``source``
names seed file and table); nothing in them is a result of this kit.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import pandas as pd

from course_lib.analysis.layer_table import layer_table
from course_lib.core import Registry
from course_lib.models import build

__all__ = ["available_tables", "load_table", "paper_vs_computed", "tables_dir"]

ENV_VAR = "COURSE_LIB_TABLES_DIR"

_DATASETS = {"cifar10": 10, "cifar100": 100, "svhn": 10}


def tables_dir() -> Path:
    """The tables' folder: ``$COURSE_LIB_TABLES_DIR`` (must exist) or the package's ``tables``."""
    env = os.environ.get(ENV_VAR)
    if not env:
        return Path(str(importlib.resources.files("course_lib") / "tables"))
    path = Path(env)
    if not path.is_dir():
        raise FileNotFoundError(
            f"Table folder {path} not found (from ${ENV_VAR}). Unset {ENV_VAR} to read the "
            "tables shipped with course_lib, or set it to the folder holding the seed*.csv files."
        )
    return path


def available_tables() -> list[str]:
    """Names (file stems) of the tables, sorted."""
    return sorted(p.stem for p in tables_dir().glob("*.csv"))


def load_table(name: str) -> pd.DataFrame:
    """Load one of the seeds' tables by its CSV file stem (see :func:`available_tables`).

    Example:
        >>> t = load_table("seed000_param_distribution")
        >>> t.loc[(t.model == "CNN-A2") & (t.dataset == "cifar10"), "test_error_pct"].item()
        10.37
    """
    stem = str(name).strip().removesuffix(".csv")
    folder = tables_dir()
    tables = Registry("table", hint="See available_tables().")
    for found in sorted(folder.glob("*.csv")):
        tables.register(found.stem, found)
    return pd.read_csv(tables.get(stem))


def _decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _dataset_key(dataset: str) -> str:
    from course_lib.data import canonical  # the datasets' one name lookup

    key = canonical(dataset)
    if key not in _DATASETS:
        raise ValueError(
            f"The seeds print tables for {sorted(_DATASETS)} only. Received: dataset={dataset!r}")
    return key


#: Flagged rows whose printed values are all within max(0.05M, 3%) of the computed ones are
#: "minor" discrepancies (rounding or counting convention); larger ones are "major".
_MINOR_ABSOLUTE_M = 0.05
_MINOR_RELATIVE = 0.03


def paper_vs_computed(dataset: str = "cifar10", models=None) -> pd.DataFrame:
    """Seed 000's printed low/high/total parameter counts next to those of the built models.

    The paper prints millions with at most two decimals, dropping trailing zeros ("0.6/0.38"), so
    a value with ``n`` decimals is read as within half a unit of its last digit (the wider
    reading: a flag must only mark what cannot come from the widths). ``flag``: a value off by
    more; ``flag_2dp``: the stricter 0.005M for all; ``severity``: ``"minor"`` within max(0.05M,
    3%), else ``"major"``. Biases and the FC layer are counted (the paper does not say it left the
    FC out; it is why the CIFAR-100 rows differ).

    Args:
        dataset: ``"cifar10"``, ``"cifar100"`` or ``"svhn"`` (case and dashes ignored).
        models: optional subset of model names (default: the twelve of the table).

    Example:
        >>> t = paper_vs_computed("cifar10")
        >>> t.loc[t.model == "CNN-A2", ["total_printed", "total_M", "flag"]]  # doctest: +SKIP
    """
    key = _dataset_key(dataset)
    table = load_table("seed000_param_distribution")
    table = table[table["dataset"] == key]
    if models is not None:
        wanted = [str(m) for m in models]
        unknown = sorted(set(wanted) - set(table["model"]))
        if unknown:
            raise ValueError(
                f"Unknown model(s) {unknown}; seed 000 lists {', '.join(table['model'])}."
            )
        table = table[table["model"].isin(wanted)]
    rows = []
    for rec in table.itertuples(index=False):
        model = build(rec.model, num_classes=_DATASETS[key])
        lt = layer_table(model)
        counts = {g: int(lt.loc[lt["group"] == g, "params"].sum()) for g in ("low", "high")}
        counts["total"] = int(lt["params"].sum())
        layer_names = ["conv1", "conv2", "conv3", "conv4", "conv5"]
        if rec.family == "RCNN":
            layer_names = ["conv1", "rcl1", "rcl2", "rcl3", "rcl4"]
        widths_built = "-".join(str(model.get_layer(n).filters) for n in layer_names)
        printed_text = dict(zip(("low", "high", "total"), str(rec.params_printed).split("/")))
        row = {"model": rec.model, "dataset": key, "widths": rec.widths}
        row["widths_built"] = widths_built
        reasons, flag, flag_2dp, major, max_diff = [], False, False, False, 0.0
        for g in ("low", "high", "total"):
            printed = float(printed_text[g])
            computed = counts[g] / 1e6
            diff = computed - printed
            tol = 0.5 * 10 ** (-_decimals(printed_text[g]))
            max_diff = max(max_diff, abs(diff))
            major |= abs(diff) > max(_MINOR_ABSOLUTE_M, _MINOR_RELATIVE * computed)
            beyond_last_digit = abs(diff) > tol + 1e-9
            beyond_2dp = abs(diff) > 0.005 + 1e-9
            flag |= beyond_last_digit
            flag_2dp |= beyond_2dp
            if beyond_last_digit or beyond_2dp:
                where = f"beyond +-{tol:g}M"
                if not beyond_last_digit:
                    where = f"within +-{tol:g}M, beyond +-0.005M"
                reasons.append(
                    f"{g}: printed {printed_text[g]}, computed {computed:.4f} "
                    f"({diff:+.4f}M, {where})"
                )
            row[f"{g}_printed"] = printed
        for g in ("low", "high", "total"):
            row[f"{g}_params"] = counts[g]
        for g in ("low", "high", "total"):
            row[f"{g}_M"] = counts[g] / 1e6
        row.update(
            max_abs_diff_M=max_diff,
            flag=flag,
            flag_2dp=flag_2dp,
            severity="none" if not flag else ("major" if major else "minor"),
            flag_reason="; ".join(reasons),
            test_error_pct=rec.test_error_pct,
            source=rec.source,
        )
        rows.append(row)
    return pd.DataFrame(rows)
