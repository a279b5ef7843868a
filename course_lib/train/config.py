"""Experiments as data: frozen dataclasses for budgets, optimisers, schedules and experiments.

An :class:`Experiment` says *what* to run and where its numbers come from (a seed and a table);
a :class:`Budget` says *how much* of it to run (``smoke`` for tests, ``quick`` for a laptop CPU,
``full`` for the source's schedule on a GPU). :func:`resolve` combines the two into the concrete
settings of one run. Nothing here touches TensorFlow, so the registry imports instantly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BUDGETS",
    "Budget",
    "EvalConfig",
    "Experiment",
    "ModelRun",
    "OptimizerConfig",
    "RunSettings",
    "ScheduleConfig",
    "SourceRef",
    "get_budget",
    "resolve",
]

EVAL_MODES = ("standard", "single_crop", "multi_crop", "dense", "multi_crop_dense")
SCHEDULE_KINDS = ("constant", "step", "cosine")
OPTIMIZERS = ("sgd",)
_LABEL = re.compile(r"^[A-Za-z0-9._+-]+$")
BUDGET_NAMES = ("smoke", "quick", "full")


def _positive_int(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def _freeze(mapping: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> tuple:
    """A hashable, ordered form of keyword arguments (lists become tuples)."""
    if mapping is None:
        return ()
    items = mapping.items() if isinstance(mapping, Mapping) else mapping
    frozen = []
    for key, value in items:
        if not isinstance(key, str):
            raise ValueError(f"Override names must be strings. Received: {key!r}")
        if isinstance(value, list):
            value = tuple(value)
        frozen.append((key, value))
    return tuple(sorted(frozen))


@dataclass(frozen=True)
class SourceRef:
    """Where an experiment comes from.

    Attributes:
        seed: the seed document id (``"000"`` .. ``"004"``).
        tables: the tables or figures of that seed the experiment rebuilds.
        citation: the paper behind the seed.
    """

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
        overrides: builder keyword arguments, stored as sorted ``(name, value)`` pairs so the
            dataclass stays hashable; read them back with :attr:`kwargs`.
        label: the name results are filed under; defaults to ``name``. Give one when the same
            zoo model appears twice with different overrides (``Arch1-13L-strided``).
    """

    name: str
    overrides: tuple = ()
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "overrides", _freeze(self.overrides))
        label = self.label or self.name
        if not _LABEL.match(label):
            raise ValueError(
                "`label` must use only letters, digits and . _ + - (it names result files). "
                f"Received: label={label!r}"
            )
        object.__setattr__(self, "label", label)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.overrides)


@dataclass(frozen=True)
class OptimizerConfig:
    """SGD with momentum and weight decay, as the sources train.

    Attributes:
        name: only ``"sgd"``.
        learning_rate: initial learning rate.
        momentum: heavy-ball momentum.
        weight_decay: L2 coefficient ``wd``; added to the loss as ``wd/2 * ||w||^2`` over the
            kernels (the coupled form of Caffe / cuda-convnet / Torch, so the decay also goes
            through the momentum buffer), biases and normalisation parameters excluded.
        nesterov: Nesterov momentum.
    """

    name: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"`name` must be one of {OPTIMIZERS}. Received: name={self.name!r}")
        if not self.learning_rate > 0:
            raise ValueError(
                f"`learning_rate` must be > 0. Received: learning_rate={self.learning_rate!r}"
            )
        if not 0 <= self.momentum < 1:
            raise ValueError(f"`momentum` must be in [0, 1). Received: momentum={self.momentum!r}")
        if not self.weight_decay >= 0:
            raise ValueError(
                f"`weight_decay` must be >= 0. Received: weight_decay={self.weight_decay!r}"
            )


@dataclass(frozen=True)
class ScheduleConfig:
    """The learning-rate schedule, in fractions of the run so every budget keeps its shape.

    Attributes:
        kind: ``"constant"``, ``"step"`` (multiply by ``factor`` at each boundary) or
            ``"cosine"`` (cosine decay to ``final_fraction`` of the initial rate).
        boundaries: for ``"step"``, increasing fractions in (0, 1) of the total steps.
        factor: for ``"step"``, the multiplier applied at each boundary.
        final_fraction: for ``"cosine"``, the final rate as a fraction of the initial one.
    """

    kind: str = "step"
    boundaries: tuple = (0.5, 0.75)
    factor: float = 0.1
    final_fraction: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "boundaries", tuple(float(b) for b in self.boundaries))
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(
                f"`kind` must be one of {SCHEDULE_KINDS}. Received: kind={self.kind!r}"
            )
        b = self.boundaries
        if self.kind == "step" and (
            not b or any(not 0 < x < 1 for x in b) or list(b) != sorted(set(b))
        ):
            raise ValueError(
                "`boundaries` must be increasing fractions in (0, 1) for a step schedule. "
                f"Received: boundaries={b!r}"
            )
        if not 0 < self.factor <= 1:
            raise ValueError(f"`factor` must be in (0, 1]. Received: factor={self.factor!r}")
        if not 0 <= self.final_fraction < 1:
            raise ValueError(
                "`final_fraction` must be in [0, 1). "
                f"Received: final_fraction={self.final_fraction!r}"
            )

    def step_boundaries(self, total_steps: int) -> list[int]:
        """The step boundaries for a run of ``total_steps`` optimiser steps.

        Strictly increasing and >= 1, so that very short runs (smoke budgets) still get a
        valid schedule; a boundary beyond the last step simply never takes effect.
        """
        out: list[int] = []
        for f in self.boundaries:
            step = max(1, int(round(f * total_steps)))
            out.append(step if not out or step > out[-1] else out[-1] + 1)
        return out


@dataclass(frozen=True)
class EvalConfig:
    """How the test set is scored.

    Attributes:
        modes: any of ``"standard"`` (``model.evaluate`` on the test images as given),
            ``"single_crop"`` (the centre crop of the image zero-padded by ``crop_padding``
            pixels -- the training crops come from that padded image -- which is the image
            itself), ``"multi_crop"`` (the 4 corner crops and the centre crop of the padded
            image, each also flipped when the dataset's augmentation flips: 10 views, class
            posteriors averaged) and ``"dense"`` (the network made fully convolutional with
            ``course_lib.models.dense_eval`` and run on the whole image rescaled to each size of
            ``dense_scales``; score maps averaged over space, scales and flips; seed 001
            section 3.2) and ``"multi_crop_dense"`` (the average of the multi-crop and the
            dense posteriors: Table 3's "dense + multi-crop"). The first mode is the run's
            headline test error.
        crop_padding: zero padding (pixels) around the image for the multi-crop views.
        dense_scales: smallest-side sizes ``Q`` for dense evaluation.
    """

    modes: tuple = ("standard",)
    crop_padding: int = 4
    dense_scales: tuple = (32, 48, 64)

    def __post_init__(self):
        object.__setattr__(self, "modes", tuple(self.modes))
        object.__setattr__(self, "dense_scales", tuple(int(q) for q in self.dense_scales))
        if not self.modes or any(m not in EVAL_MODES for m in self.modes):
            raise ValueError(
                f"`modes` must be a non-empty subset of {EVAL_MODES}. "
                f"Received: modes={self.modes!r}"
            )
        if isinstance(self.crop_padding, bool) or not isinstance(self.crop_padding, int) or (
            self.crop_padding < 1
        ):
            raise ValueError(
                "`crop_padding` must be a positive integer. "
                f"Received: crop_padding={self.crop_padding!r}"
            )
        if not self.dense_scales or any(q < 1 for q in self.dense_scales):
            raise ValueError(
                "`dense_scales` must be positive sizes. "
                f"Received: dense_scales={self.dense_scales!r}"
            )


@dataclass(frozen=True)
class Experiment:
    """One experiment of the course, tied to the table of the source it rebuilds.

    Attributes:
        name: registry key, e.g. ``"param-distribution"``.
        title: one line for ``python -m course_lib list``.
        source: the seed and table(s) rebuilt.
        models: the zoo models compared.
        datasets: the source's datasets; the first is the default. Any experiment also runs on
            any ``course_lib.data`` dataset (``fashion_mnist32`` offline) when asked.
        optimizer: the optimiser settings of the source (or the course's, see ``notes``).
        schedule: the learning-rate schedule.
        epochs: epochs of the ``full`` budget.
        batch_size: batch size of the ``full`` budget.
        seed: the random seed (weights, data order, dropout masks).
        augment: train with the data module's augmentation (zero-pad 4, random crop, and a
            horizontal flip on datasets where a flip keeps the class).
        no_augment: datasets the source trains without augmentation even so (SimpNet: MNIST
            and SVHN).
        svhn_extra: whether runs on ``svhn`` add SVHN's 531,131-image ``extra`` split to the
            training pool (``course_lib.data.load(..., extra=...)``). Seed 000 follows Maxout's
            protocol (train + extra minus a 6,000-image validation set): True. SimpNet (seed
            002, section 5.C.3) used the 73,257 training images only: False. Required (not
            None) when ``"svhn"`` is one of ``datasets``; otherwise ``None`` means False (train
            only) for an ``svhn`` run asked for by hand.
        evaluation: how the test set is scored.
        paper: where the source's own numbers are read from for the report (``None``: none).
        notes: what the source leaves open and what the course chose instead.
        budgets: budgets that differ for this experiment from :data:`BUDGETS`, as
            ``(name, Budget)`` pairs (e.g. a narrower ``quick`` where the models are costly on a
            CPU); read them with :meth:`budget`.
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
        labels = [m.label.lower() for m in models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"Experiment {self.name!r} has two model runs with the same label.")
        if not models:
            raise ValueError(f"Experiment {self.name!r} needs at least one model.")
        if not self.datasets:
            raise ValueError(f"Experiment {self.name!r} needs at least one dataset.")
        _positive_int("epochs", self.epochs)
        _positive_int("batch_size", self.batch_size)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"`seed` must be a non-negative integer. Received: seed={self.seed!r}")
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
        """The :class:`ModelRun` labelled ``label`` (case-insensitive)."""
        for m in self.models:
            if m.label.lower() == str(label).lower():
                return m
        raise ValueError(
            f"Model {label!r} is not part of experiment {self.name!r}. "
            f"Choose from: {', '.join(self.labels)}"
        )

    def budget(self, name: str | Budget) -> Budget:
        """The budget ``name`` as this experiment defines it (its own, else the global one)."""
        if isinstance(name, Budget):
            return name
        base = get_budget(name)
        return dict(self.budgets).get(base.name, base)

    def augments(self, dataset: str) -> bool:
        """Whether runs on ``dataset`` train with augmentation."""
        return bool(self.augment) and dataset not in self.no_augment

    def uses_extra(self, dataset: str) -> bool | None:
        """SVHN's ``extra`` split for runs on ``dataset``: a bool for ``svhn``, else None."""
        return bool(self.svhn_extra) if dataset == "svhn" else None


@dataclass(frozen=True)
class Budget:
    """How much of an experiment to run.

    Attributes:
        name: ``smoke``, ``quick`` or ``full``.
        epochs: epochs per run; ``None`` keeps the experiment's.
        train_limit: training images used; ``None`` uses all.
        test_limit: test images scored; ``None`` uses all.
        batch_size: cap on the batch size; ``None`` keeps the experiment's.
        width_multiplier: channel-width multiplier applied to models that take a width argument
            (``widths`` or ``width``); 1.0 keeps the architecture. Every run records what was
            applied, so a shrunk model is never reported as the source's.
        description: one line for ``--help``.
    """

    name: str
    epochs: int | None
    train_limit: int | None
    test_limit: int | None
    batch_size: int | None = None
    width_multiplier: float = 1.0
    description: str = ""

    def __post_init__(self):
        _positive_int("epochs", self.epochs, allow_none=True)
        _positive_int("train_limit", self.train_limit, allow_none=True)
        _positive_int("test_limit", self.test_limit, allow_none=True)
        _positive_int("batch_size", self.batch_size, allow_none=True)
        if not 0 < self.width_multiplier <= 1:
            raise ValueError(
                "`width_multiplier` must be in (0, 1]. "
                f"Received: width_multiplier={self.width_multiplier!r}"
            )


#: The three budgets. Small batches in ``smoke``/``quick`` give more SGD steps per image, which
#: is what a few CPU minutes need; experiments may redefine a budget (``Experiment.budgets``),
#: e.g. ``param-distribution`` narrows its costly RCNNs further for ``quick``.
BUDGETS: dict[str, Budget] = {
    "smoke": Budget(
        "smoke", epochs=1, train_limit=128, test_limit=64, batch_size=32, width_multiplier=0.25,
        description="seconds per run, for tests: 1 epoch, 128 train / 64 test images, "
        "batch <= 32, widths x0.25; its numbers are not evidence",
    ),
    "quick": Budget(
        "quick", epochs=3, train_limit=2048, test_limit=1000, batch_size=32, width_multiplier=0.5,
        description="minutes per run on a laptop CPU: 3 epochs, 2048 train / 1000 test images, "
        "batch <= 32, widths x0.5",
    ),
    "full": Budget(
        "full", epochs=None, train_limit=None, test_limit=None,
        description="the source's schedule on the whole dataset (meant for a GPU)",
    ),
}


def get_budget(name: str | Budget) -> Budget:
    """The :class:`Budget` called ``name`` (a ``Budget`` passes through)."""
    if isinstance(name, Budget):
        return name
    key = str(name).strip().lower()
    if key not in BUDGETS:
        raise ValueError(
            f"Unknown budget {name!r}. Choose from: {', '.join(BUDGETS)}. Received: budget={name!r}"
        )
    return BUDGETS[key]


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

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["overrides"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.overrides}
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
    _positive_int("epochs", epochs, allow_none=True)
    n_epochs = epochs or b.epochs or experiment.epochs
    batch = experiment.batch_size
    if b.batch_size is not None:
        batch = min(b.batch_size, batch)
    chosen_seed = experiment.seed if seed is None else seed
    chosen_dataset = dataset or experiment.datasets[0]
    if isinstance(chosen_seed, bool) or not isinstance(chosen_seed, int) or chosen_seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={chosen_seed!r}")
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
        augment=experiment.augments(chosen_dataset),
        overrides=run.overrides,
        extra=experiment.uses_extra(chosen_dataset),
    )


#: Builder arguments through which a budget can narrow a model, in order of preference.
WIDTH_ARGUMENTS = ("width_multiplier", "widths", "width", "base_width")


def scale_width_kwargs(
    kwargs: Mapping[str, Any], multiplier: float, accepted: Sequence[str] | None = None
) -> tuple[dict, dict]:
    """Apply a budget's width multiplier through the first width argument a builder takes.

    In order of preference: ``width_multiplier`` (multiplied), ``widths`` (a sequence of
    channel counts, each scaled and rounded, at least 1), ``width`` (a float multiplier, e.g.
    of the CIFAR VGGs, multiplied), ``base_width`` (an int, scaled and rounded). A model with
    none of them keeps its architecture.

    Args:
        kwargs: the builder's keyword arguments (registry defaults + overrides, plus the
            builder's own defaults for the width arguments).
        multiplier: the budget's width multiplier.
        accepted: argument names the builder accepts; ``None`` means those in ``kwargs``.

    Returns:
        ``(new_kwargs, change)``; ``change`` is ``{}`` when nothing changed, else
        ``{"argument": name, "from": old, "to": new}``.
    """
    new = dict(kwargs)
    if math.isclose(multiplier, 1.0):
        return new, {}
    names = set(kwargs if accepted is None else accepted)
    for arg in WIDTH_ARGUMENTS:
        if arg not in names:
            continue
        old = new.get(arg, 1.0 if arg == "width_multiplier" else None)
        is_number = isinstance(old, (int, float)) and not isinstance(old, bool)
        if arg in ("width_multiplier", "width") and is_number:
            value: Any = float(old) * multiplier
        elif arg == "widths" and isinstance(old, (list, tuple)) and all(
            isinstance(w, int) and not isinstance(w, bool) for w in old
        ):
            value = tuple(max(1, int(round(w * multiplier))) for w in old)
        elif arg == "base_width" and isinstance(old, int) and not isinstance(old, bool):
            value = max(1, int(round(old * multiplier)))
        else:
            continue
        new[arg] = value
        return new, {
            "argument": arg,
            "from": list(old) if isinstance(old, tuple) else old,
            "to": list(value) if isinstance(value, tuple) else value,
        }
    return new, {}
