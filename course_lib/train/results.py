"""Result records: one JSON file per finished run, written atomically, read defensively.

A record lives at ``<results_dir>/<experiment>/<label>__<dataset>__<budget>[__seed<S>].json``.
Folders from several machines merge by copying or by passing a list to :func:`load_records`.
A corrupt file produces one :class:`CorruptRecordWarning` and is skipped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import re
import warnings
from pathlib import Path
from typing import Iterable

from course_lib.validation import is_int
from course_lib.core import write_json_atomic  # re-exported: records are written with it
from course_lib.places import DRIVE_RESULTS, RESULTS_ENV, results_dir  # re-exported

__all__ = [
    "CorruptRecordWarning",
    "decode_correct",
    "encode_correct",
    "make_record",
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
    """Read and check one record; ``ValueError`` if not a JSON object with the required keys."""
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

    Never raises because of a bad file (see :class:`CorruptRecordWarning`). ``results_dir`` may be
    a list: the same run found in several counts once (the one finished last). ``experiment=None``
    reads every folder; ``datasets`` and ``budgets`` filter.
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


def encode_correct(correct) -> dict:
    """Per-image correctness of a test set (file order), compact: ``{"n": N, "packbits_b64": ...}``.

    >>> decode_correct(encode_correct([True, False, True])).tolist()
    [True, False, True]
    """
    import numpy as np

    flags = np.asarray(correct, dtype=bool).ravel()
    return {"n": int(flags.size),
            "packbits_b64": base64.b64encode(np.packbits(flags).tobytes()).decode("ascii")}


def decode_correct(encoded: dict):
    """The boolean array :func:`encode_correct` packed; ``ValueError`` if malformed."""
    import numpy as np

    try:
        n = encoded["n"]
        packed = np.frombuffer(base64.b64decode(encoded["packbits_b64"], validate=True),
                               dtype=np.uint8)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"`test_correct` must be {{'n': int, 'packbits_b64': str}}: {err}"
                         ) from None
    if not is_int(n) or not 0 <= n <= packed.size * 8 < n + 8:
        raise ValueError(f"`test_correct` holds {packed.size} bytes, not {n!r} flags.")
    return np.unpackbits(packed, count=n).astype(bool)


def make_record(run, *, data, built, trained, scores, correct, device, versions) -> dict:
    """The record of one finished run (the JSON object :func:`load_record` reads back).

    Args:
        run: the runner's resolved :class:`~course_lib.train.runner.Run`.
        data: the run's ``RunData``.
        built: ``params``, ``kwargs``, ``width_change``, ``decayed``, ``copied``, ``from_logits``,
            ``model_source``.
        trained: ``history``, ``start_epoch``, ``setup_seconds``, ``eval_seconds``.
        scores: ``{mode: {...}}`` of ``evaluate_modes``; the first mode is the headline.
        correct: the headline mode's per-image correctness (bool array), or None.
        device: the accelerator's ``to_dict()``; versions: the library versions.
    """
    exp, settings, info = run.experiment, run.settings, data.info
    history, headline = trained["history"], exp.evaluation.modes[0]
    train_seconds = sum(e["seconds"] for e in history)
    later_seconds = sum(e["seconds"] for e in history[1:])
    change, source = built["width_change"], run.source
    return {
        "schema": SCHEMA_VERSION, "experiment": exp.name, "model": settings.model,
        "label": settings.label, "dataset": settings.dataset, "budget": settings.budget,
        # where the images came from: "repository" (the shipped Fashion-MNIST subset),
        # "system" (Debian package), "data_dir", "tfds", "keras" or "download"
        "data_source": info.data_source,
        "source": {"seed": exp.source.seed, "tables": exp.source.tables,
                   "citation": exp.source.citation, "model_source": built["model_source"]},
        "test_error_pct": scores[headline]["error_pct"], "test_error_mode": headline,
        "test_errors": scores,
        **({"test_correct": encode_correct(correct)} if correct is not None else {}),
        "train_error_pct": history[-1].get("train_error_pct") if history else None,
        "params": built["params"], "epochs_completed": len(history), "history": history,
        "wall_time_s": round(sum(e["seconds"] + e.get("eval_seconds", 0.0) for e in history)
                             + trained["eval_seconds"] + trained["setup_seconds"], 3),
        "train_seconds": round(train_seconds, 3),
        "images_per_second": (round(data.num_train * len(history) / train_seconds, 2)
                              if train_seconds else None),
        "images_per_second_after_first_epoch": (
            round(data.num_train * (len(history) - 1) / later_seconds, 2)
            if later_seconds else None),
        "resumed_from_epoch": trained["start_epoch"], "seed": settings.seed,
        "initialised_from": ({"label": settings.init_from, "record": source["_path"],
                              "layers": built["copied"],
                              "source_test_error_pct": source["test_error_pct"]}
                             if source is not None else None),
        "architecture": {
            "changed_by_budget": bool(change),
            "width_multiplier": settings.width_multiplier if change else 1.0,
            "width_change": change or None,
            "builder_overrides": {k: list(v) if isinstance(v, tuple) else v
                                  for k, v in built["kwargs"].items()},
            "note": (f"{'narrowed' if settings.width_multiplier < 1 else 'widened'} by the "
                     "budget: not the source's architecture" if change
                     else "the registered architecture"),
        },
        "config": {
            **run.base_fingerprint, "num_train": data.num_train, "num_test": data.num_test,
            "data_location": info.source, "data_splits": dict(info.splits),
            "steps_per_epoch": data.steps_per_epoch, "input_shape": list(info.input_shape),
            "num_classes": info.num_classes, "preprocessing": info.preprocessing,
            "augmentation": ("zero-pad 4, random crop" + (", random flip" if info.flip else "")
                             if settings.augment else "none"),
            "weight_decay_mode": (f"coupled L2 (wd/2 * ||w||^2 in the loss) on "
                                  f"{len(built['decayed'])} kernels; biases and normalisation "
                                  "parameters excluded"),
            "weight_decay_variables": list(built["decayed"]),
            "loss_from_logits": built["from_logits"], "notes": exp.notes,
        },
        "fingerprint": run.fingerprint, "device": device, "versions": versions,
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
