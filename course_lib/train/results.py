"""Result records: one JSON file per finished run, written atomically, read defensively.

A record lives at ``<results_dir>/<experiment>/<label>__<dataset>__<budget>.json`` (plus
``__seed<S>`` before ``.json`` when the run's seed is not the experiment's own). Records of one
experiment from several machines merge by copying their result folders into one, or by reading
several folders at once (:func:`load_records` takes a list). Which folder is used is decided in
one place, :func:`course_lib.places.results_dir` (re-exported here). A record is written with :func:`course_lib.core.write_json_atomic`
(a temporary file in the same folder, moved into place), so a reader never sees half a
record, even if the writer is killed mid-write. Reading tolerates whatever is there anyway:
a corrupt or partial file (someone else's editor, a full disk, an older schema) produces one :class:`CorruptRecordWarning` line and is skipped.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Iterable

from course_lib.core import write_json_atomic  # re-exported: records are written with it
from course_lib.places import DRIVE_RESULTS, RESULTS_ENV, results_dir  # re-exported

__all__ = [
    "CorruptRecordWarning",
    "REQUIRED_KEYS",
    "SCHEMA_VERSION",
    "load_record",
    "load_records",
    "RESULTS_ENV",
    "record_path",
    "results_dir",
    "safe_name",
    "write_json_atomic",
]

SCHEMA_VERSION = 1

#: Keys every record must have to be used by a report.
REQUIRED_KEYS = (
    "schema", "experiment", "model", "label", "dataset", "budget", "test_error_pct",
    "params", "epochs_completed", "history", "config",
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


class CorruptRecordWarning(UserWarning):
    """A result file could not be read or lacks required fields; it was skipped."""


def safe_name(text: str) -> str:
    """``text`` with every run of characters other than ``A-Za-z0-9._+-`` replaced by ``_``."""
    cleaned = _UNSAFE.sub("_", str(text)).strip("_")
    if not cleaned:
        raise ValueError(f"Cannot make a file name from {text!r}.")
    return cleaned


def record_path(results_dir: str | os.PathLike, experiment: str, label: str, dataset: str,
                budget: str, seed: int | None = None) -> Path:
    """Where the record of one run lives (``seed``: only when not the experiment's own)."""
    tail = "" if seed is None else f"__seed{int(seed)}"
    name = f"{safe_name(label)}__{safe_name(dataset)}__{safe_name(budget)}{tail}.json"
    return Path(results_dir) / safe_name(experiment) / name


def load_record(path: str | os.PathLike) -> dict:
    """Read and check one record.

    Raises:
        ValueError: the file is not valid JSON, not an object, or lacks required keys.
        OSError: the file cannot be read.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    if record["schema"] != SCHEMA_VERSION:
        raise ValueError(f"schema {record['schema']!r}, this kit reads schema {SCHEMA_VERSION}")
    if not isinstance(record["history"], list) or not isinstance(record["params"], dict):
        raise ValueError("`history` must be a list and `params` an object")
    return record


def load_records(
    results_dir: str | os.PathLike | Iterable[str | os.PathLike],
    experiment: str | None = None,
    *,
    datasets: Iterable[str] | None = None,
    budgets: Iterable[str] | None = None,
) -> list[dict]:
    """All readable records of an experiment (or of every experiment), oldest file first.

    Corrupt or partial files are reported with a :class:`CorruptRecordWarning` and skipped;
    this function never raises because of a bad file.

    Args:
        results_dir: the results folder (``results/`` by default in the CLI), or a list of
            them (e.g. one per machine or Colab session). The same run found in several
            folders (same experiment and file name) counts once: the one finished last.
        experiment: only this experiment's folder; ``None`` reads every folder.
        datasets: keep only these datasets.
        budgets: keep only these budgets.
    """
    roots = ([Path(results_dir)] if isinstance(results_dir, (str, os.PathLike))
             else [Path(r) for r in results_dir])
    keep_ds = set(datasets) if datasets else None
    keep_b = set(budgets) if budgets else None
    found: dict[tuple[str, str], tuple[dict, float]] = {}
    for root in roots:
        folders = [root / safe_name(experiment)] if experiment else sorted(
            p for p in root.glob("*") if p.is_dir()
        )
        for folder in folders:
            for path in sorted(folder.glob("*.json")):
                try:
                    record = load_record(path)
                    mtime = path.stat().st_mtime
                except (OSError, ValueError, TypeError, KeyError) as err:
                    warnings.warn(
                        f"skipping unreadable result record {path}: {err}",
                        CorruptRecordWarning,
                        stacklevel=2,
                    )
                    continue
                if keep_ds is not None and record["dataset"] not in keep_ds:
                    continue
                if keep_b is not None and record["budget"] not in keep_b:
                    continue
                record["_path"] = str(path)
                key = (folder.name, path.name)
                if key in found and (found[key][0].get("finished_at") or "") > (
                        record.get("finished_at") or ""):
                    continue
                found[key] = (record, mtime)
    ordered = sorted(found.items(), key=lambda item: (item[0][0], item[1][1], item[0][1]))
    return [record for _, (record, _) in ordered]
