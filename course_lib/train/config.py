"""Experiments as data: frozen dataclasses for budgets, optimisers, schedules and experiments.

An :class:`Experiment` says what to run (from a seed's table), a :class:`Budget` how much;
:func:`resolve` combines them. No TensorFlow here, so the registry imports instantly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from course_lib import validation
from course_lib.validation import non_negative_int, positive_int, width_multiplier
from course_lib.core import Registry

__all__ = [
    "BUDGETS", "Budget", "EvalConfig", "Experiment", "FrozenMapping", "ModelRun",
    "OptimizerConfig", "QUICK_SCHEDULE", "RunSettings", "ScheduleConfig", "SourceRef",
    "get_budget", "resolve",
]

EVAL_MODES = ("standard", "single_crop", "multi_crop", "dense", "multi_crop_dense")
SCHEDULE_KINDS = ("constant", "step", "cosine")
OPTIMIZERS = ("sgd",)
_LABEL = re.compile(r"^[A-Za-z0-9._+-]+$")
#: The budget names, defined here once (notebooks, tools and the CLI import them).
BUDGET_NAMES = ("smoke", "quick", "full")


class FrozenMapping(tuple):
    """A mapping stored as sorted ``(key, value)`` pairs, hashable (e.g. an initializer config)."""

    __slots__ = ()

    def thaw(self) -> dict:
        return {k: _thaw(v) for k, v in self}


def _freeze_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenMapping(sorted((str(k), _freeze_value(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze_value(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, FrozenMapping):
        return value.thaw()
    return value


def jsonable(value: Any) -> Any:
    """``value`` with frozen mappings as dicts and tuples as lists (JSON round-trips equal)."""
    if isinstance(value, FrozenMapping):
        return {k: jsonable(v) for k, v in value}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _freeze(mapping: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> tuple:
    """A hashable, ordered form of keyword arguments (lists become tuples, dicts frozen)."""
    if mapping is None:
        return ()
    items = mapping.items() if isinstance(mapping, Mapping) else mapping
    frozen = []
    for key, value in items:
        if not isinstance(key, str):
            raise ValueError(f"Override names must be strings. Received: {key!r}")
        frozen.append((key, _freeze_value(value)))
    return tuple(sorted(frozen))


@dataclass(frozen=True)
class SourceRef:
    """Where an experiment comes from: the ``seed`` document (``"000"`` .. ``"004"``), its ``tables`` rebuilt and the paper's ``citation``."""

    seed: str
    tables: str
    citation: str = ""

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.tables}" + (f" ({self.citation})" if self.citation else "")


@dataclass(frozen=True)
class ModelRun:
    """One zoo model of an experiment and the builder overrides it needs.

    Attributes:
        name: a ``course_lib.models`` zoo name.
        overrides: builder keyword arguments as sorted pairs; read them with :attr:`kwargs`.
        label: the name results are filed under (default ``name``; ``Arch1-13L-strided``).
        init_from: label of the run whose trained weights start some layers of this one (VGG's
            "initialised ... with the layers of net A"); trained first, same dataset, budget, seed.
        init_layers: the layer names copied (same names and shapes); required with ``init_from``.
    """

    name: str
    overrides: tuple = ()
    label: str = ""
    init_from: str = ""
    init_layers: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "overrides", _freeze(self.overrides))
        object.__setattr__(self, "init_layers", tuple(self.init_layers))
        label = self.label or self.name
        if not _LABEL.match(label):
            raise ValueError(
                "`label` must use only letters, digits and . _ + - (it names result files). "
                f"Received: label={label!r}"
            )
        object.__setattr__(self, "label", label)
        if bool(self.init_from) != bool(self.init_layers):
            raise ValueError(
                "`init_from` and `init_layers` go together: name the run to copy from and the "
                f"layers to copy. Received: init_from={self.init_from!r}, "
                f"init_layers={self.init_layers!r}"
            )
        if self.init_from and self.init_from.lower() == label.lower():
            raise ValueError(
                f"`init_from` must name another model run. Received: init_from={self.init_from!r}"
            )

    @property
    def kwargs(self) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in self.overrides}

    def with_defaults(self, defaults: tuple) -> tuple:
        """The overrides plus the ``defaults`` pairs this run does not set itself."""
        own = dict(self.overrides)
        extra = [(k, v) for k, v in defaults if k not in own]
        return tuple(sorted(self.overrides + tuple(extra)))


@dataclass(frozen=True)
class OptimizerConfig:
    """SGD with momentum and coupled weight decay (``wd/2 * ||w||^2`` on kernels, as in Caffe)."""

    name: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False

    def __post_init__(self):
        validation.one_of("name", self.name, OPTIMIZERS)
        validation.number("learning_rate", self.learning_rate, low=0.0, low_open=True)
        validation.number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        validation.non_negative("weight_decay", self.weight_decay)


@dataclass(frozen=True)
class ScheduleConfig:
    """The learning-rate schedule, in fractions of the run so every budget keeps its shape.

    Attributes:
        kind: ``"constant"``, ``"step"`` (times ``factor`` at each fraction in ``boundaries``) or
            ``"cosine"`` (decay to ``final_fraction`` of the initial rate).
        warmup_fraction: for ``"cosine"``, a linear rise from 0 first (for short runs).
    """

    kind: str = "step"
    boundaries: tuple = (0.5, 0.75)
    factor: float = 0.1
    final_fraction: float = 0.0
    warmup_fraction: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "boundaries", tuple(float(b) for b in self.boundaries))
        validation.one_of("kind", self.kind, SCHEDULE_KINDS)
        b = self.boundaries
        if self.kind == "step" and (
            not b or any(not 0 < x < 1 for x in b) or list(b) != sorted(set(b))
        ):
            raise ValueError(
                "`boundaries` must be increasing fractions in (0, 1) for a step schedule. "
                f"Received: boundaries={b!r}"
            )
        validation.number("factor", self.factor, low=0.0, high=1.0, low_open=True)
        for name in ("final_fraction", "warmup_fraction"):
            validation.number(name, getattr(self, name), low=0.0, high=1.0, high_open=True)
        if self.warmup_fraction and self.kind != "cosine":
            raise ValueError(
                "`warmup_fraction` applies to the cosine schedule only. "
                f"Received: warmup_fraction={self.warmup_fraction!r} with kind={self.kind!r}"
            )

    def warmup_steps(self, total_steps: int) -> int:
        """Linear warm-up steps for a run of ``total_steps`` (0 without warm-up)."""
        if not self.warmup_fraction:
            return 0
        return min(total_steps - 1, max(1, int(round(self.warmup_fraction * total_steps))))

    def step_boundaries(self, total_steps: int) -> list[int]:
        """Boundaries for ``total_steps`` steps: increasing and >= 1, so smoke runs still work."""
        out: list[int] = []
        for f in self.boundaries:
            step = max(1, int(round(f * total_steps)))
            out.append(step if not out or step > out[-1] else out[-1] + 1)
        return out


@dataclass(frozen=True)
class EvalConfig:
    """How the test set is scored.

    Attributes:
        modes: any of ``"standard"``, ``"single_crop"``, ``"multi_crop"`` (10 views of the image
            padded by ``crop_padding``, posteriors averaged), ``"dense"`` (fully convolutional at
            each of ``dense_scales``; seed 001 section 3.2) and ``"multi_crop_dense"`` (both
            averaged: Table 3). The first mode is the run's headline test error.
    """

    modes: tuple = ("standard",)
    crop_padding: int = 4
    dense_scales: tuple = (32, 48, 64)

    def __post_init__(self):
        object.__setattr__(self, "modes", tuple(self.modes))
        object.__setattr__(self, "dense_scales", tuple(int(q) for q in self.dense_scales))
        if not self.modes or any(m not in EVAL_MODES for m in self.modes):
            raise ValueError(f"`modes` must be a non-empty subset of {EVAL_MODES}. "
                             f"Received: modes={self.modes!r}")
        positive_int("crop_padding", self.crop_padding)
        validation.ints("dense_scales", self.dense_scales)


@dataclass(frozen=True)
class Experiment:
    """One experiment of the course, tied to the table of the source it rebuilds.

    Attributes:
        name, title, source: registry key, a line for ``list``, the seed and table(s) rebuilt.
        datasets: the source's datasets (the first is the default); others run when asked.
        optimizer, schedule, epochs, batch_size: the source's training (``full`` budget).
        augment: zero-pad 4, random crop, and a flip where a flip keeps the class.
        no_augment: datasets the source trains without augmentation (SimpNet: MNIST and SVHN).
        svhn_extra: add SVHN's ``extra`` split: seed 000 (Maxout's protocol) True, SimpNet
            (seed 002, 5.C.3) False. Required when ``"svhn"`` is in ``datasets``.
        paper: where the source's numbers are read from for the report (``None``: none).
        notes: what the source leaves open and what the course chose instead.
        budgets: ``(name, Budget)`` pairs that differ from :data:`BUDGETS`; read with :meth:`budget`.
    """

    name: str
    title: str
    source: SourceRef
    models: tuple
    datasets: tuple
    optimizer: OptimizerConfig
    schedule: ScheduleConfig
    epochs: int
    batch_size: int
    seed: int = 0
    augment: bool = False
    no_augment: tuple = ()
    svhn_extra: bool | None = None
    evaluation: EvalConfig = field(default_factory=EvalConfig)
    paper: str | None = None
    notes: str = ""
    budgets: tuple = ()

    def __post_init__(self):
        models = tuple(m if isinstance(m, ModelRun) else ModelRun(str(m)) for m in self.models)
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "datasets", tuple(self.datasets))
        object.__setattr__(self, "no_augment", tuple(self.no_augment))
        object.__setattr__(self, "budgets", tuple(self.budgets))
        for key, value in self.budgets:
            if key not in BUDGET_NAMES or not isinstance(value, Budget) or value.name != key:
                raise ValueError(
                    "`budgets` must hold (name, Budget) pairs with name in "
                    f"{BUDGET_NAMES} and Budget.name == name. Received: ({key!r}, {value!r})"
                )
        runs = Registry("model", hint=f"Other models are not part of experiment {self.name!r}.")
        for m in models:
            if m.label in runs:
                raise ValueError(f"Experiment {self.name!r} has two model runs with the same "
                                 f"label ({m.label!r}).")
            runs.register(m.label, m)
        object.__setattr__(self, "_runs", runs)  # the labels' lookup, built once
        for m in models:
            if m.init_from and m.init_from not in runs:
                raise ValueError(
                    f"Model run {m.label!r} of experiment {self.name!r}: `init_from` must be "
                    f"the label of one of its model runs. Received: init_from={m.init_from!r}"
                )
        for key, value in self.budgets:
            unknown = [m for m in value.models or () if m not in runs]
            if unknown:
                raise ValueError(
                    f"Budget {key!r} of experiment {self.name!r}: `models` must be labels of "
                    f"its model runs. Received: models={value.models!r} ({unknown} unknown)"
                )
            # labels as the experiment spells them (a budget may spell them otherwise)
            default = {runs.get(m).label for m in value.models or runs.names()}

            def in_default(label, default=default):
                return label in runs and runs.get(label).label in default

            seeds = range(self.seed, self.seed + value.seeds)
            wrong = [(m, s) for m, s in value.shipped if not in_default(m) or s not in seeds]
            if wrong:
                raise ValueError(
                    f"Budget {key!r} of experiment {self.name!r}: every `shipped` run must be "
                    f"one of the budget's default runs (its models, seeds {list(seeds)}). "
                    f"Received: shipped={value.shipped!r} ({wrong} not among them)"
                )
            for field in ("meant_to_fail", "model_epochs"):
                labels = [m if field == "meant_to_fail" else m[0] for m in getattr(value, field)]
                stray = [m for m in labels if not in_default(m)]
                if stray:
                    raise ValueError(
                        f"Budget {key!r} of experiment {self.name!r}: `{field}` must name "
                        f"models of the budget's default set. Received: "
                        f"{field}={getattr(value, field)!r} ({stray} not among them)"
                    )
        if not models:
            raise ValueError(f"Experiment {self.name!r} needs at least one model.")
        if not self.datasets:
            raise ValueError(f"Experiment {self.name!r} needs at least one dataset.")
        positive_int("epochs", self.epochs)
        positive_int("batch_size", self.batch_size)
        non_negative_int("seed", self.seed)
        if self.svhn_extra not in (None, True, False) or (
            self.svhn_extra is None and "svhn" in self.datasets
        ):
            raise ValueError(
                f"Experiment {self.name!r}: `svhn_extra` must be True (train + extra, Maxout's "
                "protocol) or False (the 73,257 training images only)"
                + (" because 'svhn' is one of its datasets" if "svhn" in self.datasets else "")
                + f". Received: svhn_extra={self.svhn_extra!r}"
            )

    @property
    def labels(self) -> list[str]:
        """The labels of the experiment's model runs, in order."""
        return [m.label for m in self.models]

    def model(self, label: str) -> ModelRun:
        """The :class:`ModelRun` labelled ``label`` (the registries' rules: case, ``_``/``-``;
        a misspelt label gets the closest ones suggested)."""
        return self._runs.get(label)

    def budget(self, name: str | Budget) -> Budget:
        """The budget ``name`` as this experiment defines it (its own, else the global one)."""
        if isinstance(name, Budget):
            return name
        base = get_budget(name)
        return dict(self.budgets).get(base.name, base)

    def default_models(self, budget: str | Budget) -> list[str]:
        """The labels trained under ``budget`` (with their source runs), in order."""
        chosen = self.budget(budget).models
        return self.labels if chosen is None else self.with_sources(chosen)

    def run_labels(self, budget: str | Budget, models=None) -> list[str]:
        """The labels a run of the experiment under ``budget`` covers: ``models`` (with their
        source runs) if given, else the budget's default set, in the experiment's order."""
        return self.with_sources(models) if models else self.default_models(budget)

    def shipped_runs(self, budget: str | Budget) -> list[tuple[str, int]]:
        """The ``(label, seed)`` runs the kit ships for ``budget`` (``Budget.shipped``), with
        the labels spelt as the experiment spells them."""
        return [(self.model(label).label, seed) for label, seed in self.budget(budget).shipped]

    def split_runs(self, budget: str | Budget, models=None, seeds=None
                   ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """``(trained, read)``: the ``(label, seed)`` runs of ``budget`` that a run of the
        experiment trains, and those it reads from the kit's shipped records, in order.

        ``models`` (default: the budget's set, with their source runs) and ``seeds`` (default:
        the budget's) narrow it as ``run_experiment`` does.
        """
        chosen = self.budget(budget)
        labels = self.run_labels(chosen, models)
        seeds = self.seeds(chosen) if seeds is None else list(seeds)
        shipped = set(self.shipped_runs(chosen))
        runs = [(label, seed) for label in labels for seed in seeds]
        return ([r for r in runs if r not in shipped], [r for r in runs if r in shipped])

    def trained_models(self, budget: str | Budget) -> list[str]:
        """The default labels of ``budget`` it trains: those with at least one seed that is not
        read from the kit's shipped records (``Budget.shipped``), with their source runs."""
        own = list(dict.fromkeys(label for label, _ in self.split_runs(budget)[0]))
        return self.with_sources(own) if own else []

    def with_sources(self, labels) -> list[str]:
        """``labels`` plus the runs they start from, in the experiment's order."""
        wanted = {self.model(label).label.lower() for label in labels}
        added = True
        while added:  # close over init_from chains
            added = False
            for m in self.models:
                if m.label.lower() in wanted and m.init_from and m.init_from.lower() not in wanted:
                    wanted.add(m.init_from.lower())
                    added = True
        return [m.label for m in self.models if m.label.lower() in wanted]

    def seeds(self, budget: str | Budget) -> list[int]:
        """The seeds a run of the whole experiment uses under ``budget``."""
        return [self.seed + i for i in range(self.budget(budget).seeds)]

    def run_epochs(self, budget: str | Budget, label: str) -> int:
        """The epochs a run of ``label`` trains under ``budget``: its own
        (``Budget.model_epochs``), else the budget's, else the experiment's."""
        b = self.budget(budget)
        own = {self.model(m).label: e for m, e in b.model_epochs}
        return int(own.get(self.model(label).label) or b.epochs or self.epochs)

    def augments(self, dataset: str) -> bool:
        """Whether runs on ``dataset`` train with augmentation."""
        return bool(self.augment) and dataset not in self.no_augment

    def uses_extra(self, dataset: str) -> bool | None:
        """SVHN's ``extra`` split for runs on ``dataset``: a bool for ``svhn``, else None."""
        return bool(self.svhn_extra) if dataset == "svhn" else None


@dataclass(frozen=True)
class Budget:
    """How much of an experiment to run (``None`` keeps the experiment's value).

    Attributes:
        epochs, batch_size (a cap), learning_rate, schedule: training overrides.
        train_limit: training images, stratified: the first ``ceil(train_limit / num_classes)``
            of each class in file order (a smaller subset holds the same images).
        test_limit: test images scored (the first ones in file order).
        width_multiplier: passed to every builder (on top of a run's own); recorded, so a shrunk
            model is never reported as the source's.
        models: labels trained by default (e.g. the extremes of each group); others by name.
        seeds: seeds per model by default; a verdict needs at least 3.
        shipped: runs ``(label, seed)`` of the default set whose records the kit ships
            (:mod:`course_lib.train.shipped`): ``run_experiment`` reads them instead of
            training them, so that a comparison with enough seeds fits a notebook's time.
        model_overrides: builder arguments for every model unless the run sets them; recorded.
        augment: ``False`` trains without the experiment's augmentation.
        meant_to_fail: labels of the default set whose point is to fail under this budget (a
            start that stalls): every other model is meant to beat the dataset's human line.
        model_epochs: ``((label, epochs), ...)``: models of the default set that train for
            another number of epochs than ``epochs`` (a family that learns more slowly under
            the same recipe); read it with :meth:`Experiment.run_epochs`. Models compared in a
            claimed ordering should share their epochs.
    """

    name: str
    epochs: int | None
    train_limit: int | None
    test_limit: int | None
    batch_size: int | None = None
    width_multiplier: float = 1.0
    description: str = ""
    learning_rate: float | None = None
    schedule: ScheduleConfig | None = None
    models: tuple | None = None
    seeds: int = 1
    model_overrides: tuple = ()
    augment: bool | None = None
    shipped: tuple = ()
    meant_to_fail: tuple = ()
    model_epochs: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "model_overrides", _freeze(self.model_overrides))
        pairs = tuple(self.model_epochs.items()) if isinstance(self.model_epochs, dict) else tuple(
            tuple(p) if isinstance(p, (tuple, list)) else p for p in self.model_epochs)
        if not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and p[0]
                   and isinstance(p[1], int) and not isinstance(p[1], bool) and p[1] >= 1
                   for p in pairs) or len({p[0].lower() for p in pairs}) != len(pairs):
            raise ValueError("`model_epochs` must be (model label, epochs >= 1) pairs, one per "
                             "label, e.g. (('RCNN-A1', 8),). Received: "
                             f"model_epochs={self.model_epochs!r}")
        object.__setattr__(self, "model_epochs", pairs)
        fail = (self.meant_to_fail,) if isinstance(self.meant_to_fail, str) else tuple(
            self.meant_to_fail)
        if not all(isinstance(m, str) and m for m in fail):
            raise ValueError("`meant_to_fail` must be a sequence of model labels, e.g. "
                             f"('VGG-E-normal',). Received: meant_to_fail={self.meant_to_fail!r}")
        object.__setattr__(self, "meant_to_fail", fail)
        shipped = tuple((item[0], item[1]) if isinstance(item, (tuple, list)) and len(item) == 2
                        else item for item in self.shipped)
        if not all(isinstance(item, tuple) and isinstance(item[0], str) and item[0]
                   and isinstance(item[1], int) and not isinstance(item[1], bool)
                   and item[1] >= 0 for item in shipped):
            raise ValueError("`shipped` must be a sequence of (model label, seed) pairs, e.g. "
                             f"(('CNN-A1', 2),). Received: shipped={self.shipped!r}")
        object.__setattr__(self, "shipped", shipped)
        positive_int("epochs", self.epochs, allow_none=True)
        positive_int("train_limit", self.train_limit, allow_none=True)
        positive_int("test_limit", self.test_limit, allow_none=True)
        positive_int("batch_size", self.batch_size, allow_none=True)
        positive_int("seeds", self.seeds)
        width_multiplier(self.width_multiplier)  # the kit's one width rule (course_lib.validation)
        validation.one_of("augment", self.augment, (None, True, False))
        if self.learning_rate is not None:
            validation.number("learning_rate", self.learning_rate, low=0.0, low_open=True)
        if self.schedule is not None and not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(
                "`schedule` must be a ScheduleConfig or None. "
                f"Received: schedule={self.schedule!r}"
            )
        if self.models is not None:
            models = (self.models,) if isinstance(self.models, str) else tuple(self.models)
            if not models or not all(isinstance(m, str) and m for m in models):
                raise ValueError(
                    "`models` must be a non-empty sequence of model labels or None. "
                    f"Received: models={self.models!r}"
                )
            object.__setattr__(self, "models", models)


#: The quick budgets' schedule: a linear warm-up over the first 10% of the steps, then cosine
#: decay to 0 -- a schedule that fits a run of a few epochs (the sources' step points at 50/75%
#: of their 100+ epochs would cut the rate before a short run has learnt anything).
QUICK_SCHEDULE = ScheduleConfig("cosine", warmup_fraction=0.1)

#: The three budgets. Experiments redefine ``quick`` from measurements on a 2-core CPU
#: (``Experiment.budgets``); the global one is the recipe they start from: CNN-A2 at widths
#: x0.25 reaches about 16% test error on fashion_mnist32 with it.
BUDGETS: Registry[Budget] = Registry("budget")
for _budget in (
    Budget(
        "smoke", epochs=1, train_limit=128, test_limit=64, batch_size=32, width_multiplier=0.25,
        description="seconds per run, for tests: 1 epoch, 128 train / 64 test images, "
        "batch <= 32, widths x0.25; its numbers are not evidence",
    ),
    Budget(
        "quick", epochs=4, train_limit=12000, test_limit=None, batch_size=64,
        width_multiplier=0.25, learning_rate=0.05, schedule=QUICK_SCHEDULE,
        description="minutes per run on a laptop CPU: 4 epochs, 12,000 train images (1,200 "
        "per class) / the whole test set, batch <= 64, widths x0.25, learning rate 0.05 with "
        "warm-up + cosine; experiments adjust it",
    ),
    Budget(
        "full", epochs=None, train_limit=None, test_limit=None,
        description="the source's schedule on the whole dataset (meant for a GPU)",
    ),
):
    BUDGETS.register(_budget.name, _budget)
del _budget
assert tuple(BUDGETS.names()) == BUDGET_NAMES


def get_budget(name: str | Budget) -> Budget:
    """The :class:`Budget` called ``name`` (a ``Budget`` passes through)."""
    if isinstance(name, Budget):
        return name
    return BUDGETS.get(name, arg="budget")


@dataclass(frozen=True)
class RunSettings:
    """The concrete settings of one run: an experiment's model under a budget on a dataset."""

    experiment: str
    model: str
    label: str
    dataset: str
    budget: str
    epochs: int
    batch_size: int
    train_limit: int | None
    test_limit: int | None
    width_multiplier: float
    seed: int
    augment: bool
    overrides: tuple = ()
    #: ``svhn`` only: train + extra (True) or train only (False); None for other datasets.
    extra: bool | None = None
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    init_from: str = ""
    init_layers: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["overrides"] = {k: jsonable(v) for k, v in self.overrides}
        out["optimizer"] = asdict(self.optimizer)
        out["schedule"] = jsonable(asdict(self.schedule))
        out["init_layers"] = list(self.init_layers)
        return out


def resolve(
    experiment: Experiment,
    label: str,
    *,
    dataset: str | None = None,
    budget: str | Budget = "quick",
    epochs: int | None = None,
    seed: int | None = None,
) -> RunSettings:
    """Combine an experiment, one of its model runs, a dataset and a budget into a run's settings.

    ``epochs`` and ``seed`` override the budget's and the experiment's values.
    """
    b = experiment.budget(budget)
    run = experiment.model(label)
    positive_int("epochs", epochs, allow_none=True)
    n_epochs = epochs or experiment.run_epochs(b, run.label)
    batch = experiment.batch_size
    if b.batch_size is not None:
        batch = min(b.batch_size, batch)
    chosen_seed = experiment.seed if seed is None else seed
    chosen_dataset = dataset or experiment.datasets[0]
    non_negative_int("seed", chosen_seed)
    return RunSettings(
        experiment=experiment.name,
        model=run.name,
        label=run.label,
        dataset=chosen_dataset,
        budget=b.name,
        epochs=int(n_epochs),
        batch_size=int(batch),
        train_limit=b.train_limit,
        test_limit=b.test_limit,
        width_multiplier=float(b.width_multiplier),
        seed=int(chosen_seed),
        augment=experiment.augments(chosen_dataset) and b.augment is not False,
        # The budget's builder arguments go to every model it trains, unless the run sets them.
        overrides=run.with_defaults(b.model_overrides),
        extra=experiment.uses_extra(chosen_dataset),
        optimizer=(experiment.optimizer if b.learning_rate is None else
                   replace(experiment.optimizer, learning_rate=b.learning_rate)),
        schedule=b.schedule or experiment.schedule,
        init_from=experiment.model(run.init_from).label if run.init_from else "",
        init_layers=run.init_layers,
    )
