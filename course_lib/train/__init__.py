"""Experiments as data, the resumable runner, result records and reports.

>>> from course_lib.train import experiment_names, run_experiment, report
>>> records = run_experiment("param-distribution", dataset="fashion_mnist32",
...                          budget="quick")  # doctest: +SKIP
>>> report("param-distribution")  # doctest: +SKIP

The registry, budgets and result files import without TensorFlow; the rest loads on first use.
"""

import importlib

from course_lib.train.config import (
    BUDGETS, Budget, EvalConfig, Experiment, ModelRun, OptimizerConfig, ScheduleConfig, SourceRef,
    get_budget, resolve,
)
from course_lib.train.experiments import (
    EXPERIMENTS, experiment_names, get_experiment, register_experiment,
)
from course_lib.train.results import CorruptRecordWarning, load_records, write_json_atomic
from course_lib.train.shipped import StaleShippedRecord, budget_plan, shipped_runs

_LAZY = {
    "EpochReseed": "course_lib.train.callbacks",
    "LiveCurves": "course_lib.train.callbacks",
    "ResumableBackup": "course_lib.train.callbacks",
    "run_experiment": "course_lib.train.runner",
    "run_model": "course_lib.train.runner",
    "report": "course_lib.train.reporting",
    "Report": "course_lib.train.reporting",
    "configure": "course_lib.train.gpu",
    "verify_record": "course_lib.train.evaluation",
    "RecordMismatchError": "course_lib.train.evaluation",
}

__all__ = [
    "BUDGETS",
    "Budget",
    "CorruptRecordWarning",
    "EXPERIMENTS",
    "EvalConfig",
    "Experiment",
    "ModelRun",
    "OptimizerConfig",
    "ScheduleConfig",
    "SourceRef",
    "StaleShippedRecord",
    "budget_plan",
    "experiment_names",
    "get_budget",
    "get_experiment",
    "load_records",
    "register_experiment",
    "resolve",
    "shipped_runs",
    "write_json_atomic",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_lib.train' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
