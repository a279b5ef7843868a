"""Result records: one JSON file per finished run, written atomically, read defensively.

A record lives at ``<results_dir>/<experiment>/<label>__<dataset>__<budget>.json`` (plus
``__seed<k>`` for a run with another seed than the experiment's). It is written
to a temporary file in the same folder and moved into place with ``os.replace``, so a reader
never sees half a record, even if the writer is killed mid-write. Reading tolerates whatever
is there anyway: a corrupt or partial file (someone else's editor, a full disk, an older
schema) produces one :class:`CorruptRecordWarning` line and is skipped.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "CorruptRecordWarning",
    "REQUIRED_KEYS",
    "SCHEMA_VERSION",
    "load_record",
    "load_records",
    "record_path",
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
                budget: str, seed_suffix: int | None = None) -> Path:
    """Where the record of one run lives.

    ``seed_suffix``: the seed of a run with another seed than the experiment's own, filed as
    ``<label>__<dataset>__<budget>__seed<k>.json`` beside the default-seed record.
    """
    name = f"{safe_name(label)}__{safe_name(dataset)}__{safe_name(budget)}"
    if seed_suffix is not None:
        name += f"__seed{int(seed_suffix)}"
    return Path(results_dir) / safe_name(experiment) / f"{name}.json"


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (temporary file + ``os.replace``).

    The temporary file sits in the destination folder (same file system, so the rename is
    atomic) and is flushed and fsynced before the rename. On any error it is removed and the
    previous file, if any, is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=False, allow_nan=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


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
    results_dir: str | os.PathLike,
    experiment: str | None = None,
    *,
    datasets: Iterable[str] | None = None,
    budgets: Iterable[str] | None = None,
) -> list[dict]:
    """All readable records of an experiment (or of every experiment), oldest file first.

    Corrupt or partial files are reported with a :class:`CorruptRecordWarning` and skipped;
    this function never raises because of a bad file.

    Args:
        results_dir: the results folder (``results/`` by default in the CLI).
        experiment: only this experiment's folder; ``None`` reads every folder.
        datasets: keep only these datasets.
        budgets: keep only these budgets.
    """
    root = Path(results_dir)
    folders = [root / safe_name(experiment)] if experiment else sorted(
        p for p in root.glob("*") if p.is_dir()
    )
    keep_ds = set(datasets) if datasets else None
    keep_b = set(budgets) if budgets else None
    records = []
    for folder in folders:
        for path in sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name)):
            try:
                record = load_record(path)
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
            records.append(record)
    return records
