"""Records the kit ships: runs of a budget that a notebook reads instead of training.

A notebook must run top to bottom in about 15 minutes on a 2-core CPU, which is not enough to
train every seed of every model a comparison needs. A budget may therefore list runs
``(label, seed)`` in :attr:`Budget.shipped <course_lib.train.config.Budget>`. The kit ships
their JSON records (only the records: no models, no backups) in :data:`SHIPPED_DIR`, made by
``python tools/ship_records.py EXPERIMENT`` with the same runner and the same budget as the
runs a notebook trains. ``run_experiment`` reads them (``shipped="read"``, the default), marks
them ``record["shipped"] = True`` and says so; ``shipped="train"`` trains them like any run.

A shipped record counts only while its fingerprint equals the one the experiment's current
definition gives (:func:`read_shipped_record` raises :class:`StaleShippedRecord` otherwise), so
a changed recipe cannot silently reuse old numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_lib.train import results as results_lib
from course_lib.train.config import Budget, Experiment
from course_lib.train.experiments import get_experiment

__all__ = ["SHIPPED_DIR", "StaleShippedRecord", "budget_plan", "portable_record",
           "read_shipped_record", "ship_command", "shipped_runs", "shipped_path"]

#: Where the shipped records live (inside the package, so every install has them).
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped_results"

#: The dataset shipped records are trained on (the only one every machine has offline).
SHIPPED_DATASET = "fashion_mnist32"

#: Keys of a record that describe one machine's files, dropped from a shipped copy.
MACHINE_KEYS = ("_path", "model_path")
#: Keys of a record's ``config`` that describe one machine's files, dropped from a shipped copy.
MACHINE_CONFIG_KEYS = ("data_location",)


class StaleShippedRecord(ValueError):
    """A shipped record that is missing or no longer matches its experiment's definition."""


def shipped_dir() -> Path:
    """:data:`SHIPPED_DIR`, or ``$COURSE_LIB_SHIPPED_DIR`` (tests point it elsewhere)."""
    env = os.environ.get("COURSE_LIB_SHIPPED_DIR", "").strip()
    return Path(env) if env else SHIPPED_DIR


def shipped_runs(experiment: str | Experiment, budget: str | Budget = "quick"
                 ) -> list[tuple[str, int]]:
    """The ``(label, seed)`` runs the kit ships for ``budget`` (empty for most budgets)."""
    return get_experiment(experiment).shipped_runs(budget)


def shipped_path(experiment: str | Experiment, label: str, seed: int, *,
                 budget: str | Budget = "quick", dataset: str = SHIPPED_DATASET) -> Path:
    """Where the shipped record of one run lives (the runner's own file layout)."""
    exp = get_experiment(experiment)
    chosen = exp.budget(budget)
    tag = None if seed == exp.seed else seed
    return results_lib.record_path(shipped_dir(), exp.name, exp.model(label).label,
                                   dataset=dataset, budget=chosen.name, seed=tag)


def ship_command(experiment: str | Experiment) -> str:
    """The command that (re)makes an experiment's shipped records."""
    return f"python tools/ship_records.py {get_experiment(experiment).name}"


def portable_record(record: dict) -> dict:
    """A copy of a run's record fit to ship: without the paths of the machine that made it
    (:data:`MACHINE_KEYS`, :data:`MACHINE_CONFIG_KEYS`); the record a run was initialised from
    is named by its file name (shipped beside it).

    Example:

    >>> portable_record({"_path": "/home/me/r.json", "config": {"data_location": "/data",
    ...                  "num_train": 20000}, "test_error_pct": 12.5})
    {'config': {'num_train': 20000}, 'test_error_pct': 12.5}
    """
    clean = {k: v for k, v in record.items() if k not in MACHINE_KEYS}
    if isinstance(clean.get("config"), dict):
        clean["config"] = {k: v for k, v in clean["config"].items()
                           if k not in MACHINE_CONFIG_KEYS}
    source = clean.get("initialised_from")
    if isinstance(source, dict) and source.get("record"):
        clean["initialised_from"] = {**source, "record": Path(source["record"]).name}
    return clean


def read_shipped_record(run) -> dict:
    """The shipped record of a planned run (:func:`course_lib.train.runner.plan`).

    Raises:
        StaleShippedRecord: no such record, or one whose fingerprint differs from the run's
            (the experiment's definition changed since it was made); the message gives the
            command that makes it again.
    """
    exp, settings = run.experiment, run.settings
    path = shipped_path(exp, settings.label, settings.seed, budget=run.budget,
                        dataset=settings.dataset)
    fix = (f"Make it again with `{ship_command(exp)}` (it trains the budget's shipped runs "
           f"and writes their records), or train the run yourself: "
           f"run_experiment({exp.name!r}, models=[{settings.label!r}], "
           f"dataset={settings.dataset!r}, budget={settings.budget!r}, "
           f"seeds=[{settings.seed}], shipped='train').")
    if not path.is_file():
        raise StaleShippedRecord(f"The kit ships no record of {settings.label} (seed "
                                 f"{settings.seed}, {settings.dataset}, {settings.budget}) "
                                 f"at {path}. {fix}")
    try:
        record = results_lib.load_record(path)
    except (OSError, ValueError) as exc:
        raise StaleShippedRecord(f"The shipped record {path} cannot be read ({exc}). {fix}"
                                 ) from None
    if record.get("fingerprint") != run.fingerprint:
        changed = sorted(_differences(record.get("fingerprint") or {}, run.fingerprint))
        raise StaleShippedRecord(
            f"The shipped record {path} is stale: it was trained with other settings than "
            f"{exp.name!r} now defines for {settings.label} under {settings.budget!r} "
            f"(differs in: {', '.join(changed) or 'the fingerprint'}). {fix}")
    record["shipped"] = True
    record["_path"] = str(path)
    return record


def _differences(old, new, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two fingerprints."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def _names(labels) -> str:
    labels = list(labels)
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _seeds(seeds) -> str:
    seeds = list(seeds)
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {_names(map(str, seeds))}"


def _epochs_text(exp: Experiment, budget: Budget, labels, only_own: bool = False) -> str:
    """"6 epochs", or "6 epochs (RCNN-A1 and RCNN-A3: 8)" where some of ``labels`` train for
    their own number (``Budget.model_epochs``); with ``only_own`` just "RCNN-A1 and RCNN-A3: 8
    epochs" (empty if none)."""
    common = budget.epochs or exp.epochs
    own: dict[int, list[str]] = {}
    for label in labels:
        n = exp.run_epochs(budget, label)
        if n != common:
            own.setdefault(n, []).append(label)
    if only_own:
        return "; ".join(f"{_names(group)}: {_count(n, 'epoch')}" for n, group in own.items())
    text = _count(common, "epoch")
    if own and len(own) == 1 and sum(map(len, own.values())) == len(list(labels)):
        return _count(next(iter(own)), "epoch")
    if own:
        text += " (" + "; ".join(f"{_names(group)}: {n}" for n, group in own.items()) + ")"
    return text


def budget_plan(experiment: str | Experiment, budget: str | Budget = "quick",
                dataset: str | None = None, *, models=None) -> str:
    """One Markdown paragraph: what ``run_experiment`` does under ``budget``, from its definition.

    It names the models and seeds it trains, the images, epochs and widths, and the runs it
    reads from the kit's shipped records, with the command that makes them. A notebook shows it
    where it announces what it trains, so the text cannot drift from the definition.

    Example:

    >>> print(budget_plan("param-distribution", "smoke"))  # doctest: +ELLIPSIS
    `param-distribution` at `smoke` trains ... seed 0 ...
    """
    exp = get_experiment(experiment)
    chosen = exp.budget(budget)
    trained_runs, shipped = exp.split_runs(chosen, models)
    dataset = dataset or exp.datasets[0]
    trained: dict[str, list[int]] = {}
    for label, seed in trained_runs:
        trained.setdefault(label, []).append(seed)
    groups: dict[tuple, list[str]] = {}
    for label, own in trained.items():
        if own:
            groups.setdefault(tuple(own), []).append(label)
    parts = [f"{_names(group)} with {_seeds(own)}" for own, group in groups.items()]
    count = sum(len(v) for v in trained.values())
    epochs = _epochs_text(exp, chosen, trained)
    images = ("every training image" if chosen.train_limit is None
              else f"{chosen.train_limit:,} training images")
    width = ("" if chosen.width_multiplier == 1 else
             f", widths x{chosen.width_multiplier:g}")
    scored = ("the whole test set" if chosen.test_limit is None
              else f"{chosen.test_limit:,} test images")
    text = (f"`{exp.name}` at `{chosen.name}` trains {'; '.join(parts) or 'nothing'} "
            f"({_count(count, 'run')}: {epochs} on {images} of "
            f"`{dataset}`{width}, scored on {scored}).")
    if shipped:
        by_seed: dict[int, list[str]] = {}
        for label, seed in shipped:
            by_seed.setdefault(seed, []).append(label)
        read = "; ".join(f"{_names(group)} with seed {seed}" for seed, group in by_seed.items())
        own = _epochs_text(exp, chosen, dict.fromkeys(label for label, _ in shipped),
                           only_own=True)
        text += (f" It reads {_count(len(shipped), 'run')} from the "
                 f"records the kit ships (`course_lib/shipped_results/`): {read}"
                 + (f" ({own})" if own else "") + ". They were "
                 f"trained with the same runner and budget on `{SHIPPED_DATASET}` by "
                 f"`{ship_command(exp)}`; each is checked against the experiment's current "
                 f"definition before it is used, and `shipped='train'` trains them here instead.")
    return text
