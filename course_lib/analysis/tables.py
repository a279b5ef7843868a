"""The seeds' printed tables as data, and seed 000's printed parameter counts vs computed ones.

The CSV files in ``course_lib/tables/`` hold numbers exactly as the source documents print them (one
file per table, every row with a ``source`` column naming the seed file and table); nothing in
them is a result of this kit. :func:`load_table` reads one by its file stem.

:func:`paper_vs_computed` puts the low/high/total parameter counts printed in seed 000's
Tables 1-3 next to the counts of the models this kit builds from the printed width lists,
and flags the rows whose printed numbers cannot come from those widths.

The folder ships inside the package (package data, read with ``importlib.resources``, so it works
from a wheel as well as from a checkout); set the environment variable ``COURSE_LIB_TABLES_DIR``
to use another folder.
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
    """The folder holding the tables: ``$COURSE_LIB_TABLES_DIR`` or the package's ``tables``.

    Raises:
        FileNotFoundError: ``$COURSE_LIB_TABLES_DIR`` names a folder that does not exist.
    """
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
    """Load one of the seeds' tables by name.

    Args:
        name: the CSV file stem, e.g. ``"seed000_param_distribution"`` (a trailing ``.csv`` is
            accepted). See :func:`available_tables`.

    Returns:
        The table as a DataFrame; every row has a ``source`` column (seed file and table).

    Raises:
        ValueError: unknown name; the message suggests close names and lists the tables.

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

    Each model of Table 1 (CIFAR-10), 2 (CIFAR-100) or 3 (SVHN) is built with
    ``course_lib.models.build(name, num_classes=10 or 100)`` from its printed width list, and its
    parameters are split with :func:`~course_lib.analysis.layer_table`'s ``group`` column
    (low = conv1 + conv2 for the CNN, conv1 + rcl1 for the RCNN; high = the rest, fc included).

    When is a printed number consistent with the widths? The paper prints counts in millions
    rounded to at most two decimals and drops trailing zeros ("0.6/0.38/0.98", "0.68/2.0/2.68").
    A value printed with ``n`` decimals was rounded to ``n`` decimals, so the exact count lies
    within half a unit of its last printed digit: 0.005M for "0.38", 0.05M for "0.6" or "2.0"
    (the printed text cannot tell "0.6" = 0.60 from "0.6" = 0.6 +- 0.05, and the flag must only
    mark what *cannot* come from the widths, so the wider reading is used). A row is flagged
    (``flag``) when any of its three printed values differs from the computed one by more than
    that half unit (plus 1e-9 for float error). ``flag_2dp`` applies the stricter reading that
    every value is exact to two decimals (tolerance 0.005M for all three). ``severity`` sorts the
    flagged rows for a reader: ``"minor"`` when every printed value is within 0.05M or 3% of the
    computed one, whichever is larger (a rounding slip or a counting convention, e.g. biases),
    ``"major"`` otherwise (the printed count
    cannot come from the printed widths under any convention: a misprinted width or count), and
    ``"none"`` for unflagged rows. Biases and the FC layer
    are counted: they are parameters of the built network (the paper calls the FC share
    negligible but does not say it left it out; the FC layer is why the CIFAR-100 rows differ).

    Args:
        dataset: ``"cifar10"``, ``"cifar100"`` or ``"svhn"`` (case and dashes ignored).
        models: optional subset of model names (default: the twelve of the table).

    Returns:
        One row per model with: ``model``, ``dataset``, ``widths`` (printed), ``widths_built``
        (the filters of the built conv1, L2..L5 layers), ``low_printed``, ``high_printed``,
        ``total_printed`` (millions, as printed), ``low_params``, ``high_params``,
        ``total_params`` (exact counts of the built model), ``low_M``, ``high_M``, ``total_M``
        (the same in millions), ``max_abs_diff_M`` (largest |computed - printed| of the three),
        ``flag``, ``flag_2dp``, ``severity``, ``flag_reason`` (every value off by more than 0.005M, by how much
        and against which tolerance), ``test_error_pct`` (printed) and ``source``.

    Raises:
        ValueError: unknown dataset or model name.

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
