"""The runner: train one model of an experiment, or all of them, and file one record per run.

``run_model``: :func:`plan` resolves the run once (a frozen :class:`Run`); a finished record is
returned as is; otherwise the engine picks the devices, the model is built, resumed from its
backup, trained and scored, and the record is written atomically.

>>> from course_lib.train import run_experiment
>>> records = run_experiment("param-distribution", models=["CNN-A2"],
...                          dataset="fashion_mnist32", budget="smoke")  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from course_lib.validation import ints, one_of
from course_lib.train import engines
from course_lib.train import results as results_lib
from course_lib.train.config import Budget, Experiment, FrozenMapping, RunSettings, resolve
from course_lib.train.distributed import MultiWorkerUnsupportedError
from course_lib.train.experiments import get_experiment

__all__ = [
    "run_model", "run_experiment", "fingerprint", "grid", "parse_shard", "plan", "Run",
    "apply_weight_decay",
    "MultiWorkerUnsupportedError", "DEFAULT_RESULTS_DIR",
]

#: Where records go unless told otherwise (relative to the working directory); see
#: :func:`course_lib.places.results_dir` for ``COURSE_RESULTS_DIR`` and Google Drive.
DEFAULT_RESULTS_DIR = "results"


def parse_shard(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"I/N"`` (1 <= I <= N) as ``(I, N)``; a pair passes through the same checks."""
    if isinstance(text, tuple):
        index, count = text
    else:
        parts = str(text).strip().split("/")
        try:
            index, count = (int(p) for p in parts) if len(parts) == 2 else (0, 0)
        except ValueError:
            index, count = 0, 0
    if not (isinstance(index, int) and isinstance(count, int) and 1 <= index <= count):
        raise ValueError(
            "`shard` must be I/N with 1 <= I <= N, e.g. 2/3 for the second of three machines. "
            f"Received: shard={text!r}"
        )
    return index, count


def grid(
    experiment: str | Experiment,
    *,
    models: Iterable[str] | None = None,
    datasets: Iterable[str | None] | None = None,
    seeds: Iterable[int | None] | None = None,
    shard: str | tuple[int, int] | None = None,
) -> list[tuple[str, str | None, int | None]]:
    """The (model label, dataset, seed) runs of an experiment, or shard ``I/N`` of them.

    Shard ``I/N`` takes every N-th run from the I-th, so each machine gets a mix of cheap and
    costly models. ``None`` as a dataset or seed stands for the experiment's default.
    """
    exp = get_experiment(experiment)
    labels = [exp.model(m).label for m in models] if models else exp.labels
    runs = [(label, ds, seed) for label in labels for ds in (list(datasets or ()) or [None])
            for seed in (list(seeds or ()) or [None])]
    if shard is None:
        return runs
    index, count = parse_shard(shard)
    return runs[index - 1::count]


def fingerprint(experiment: Experiment, settings: RunSettings) -> dict:
    """Everything that determines a run's numbers; backups and records count only if equal."""
    from dataclasses import asdict

    out = {
        "settings": settings.to_dict(),
        "optimizer": asdict(settings.optimizer),
        "schedule": {**asdict(settings.schedule),
                     "boundaries": list(settings.schedule.boundaries)},
        "evaluation": {**asdict(experiment.evaluation),
                       "modes": list(experiment.evaluation.modes),
                       "dense_scales": list(experiment.evaluation.dense_scales)},
    }
    return out


def _versions() -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    import course_lib

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "course_lib": course_lib.__version__,
    }


#: What the runner asks every model to end in; the loss and the evaluation follow from it.
CLASSIFIER_ACTIVATION = "softmax"


def _model_kwargs(overrides: dict, multiplier: float) -> tuple[dict, dict]:
    """Builder arguments for a run: its overrides, narrowed by the budget's width multiplier.

    Returns ``(kwargs, change)``; ``change``: ``{}`` or ``{"argument", "from", "to"}`` of the width.
    """
    kwargs = dict(overrides)
    if math.isclose(multiplier, 1.0):
        return kwargs, {}
    own = kwargs.get("width_multiplier", 1.0)
    kwargs["width_multiplier"] = float(own) * multiplier
    return kwargs, {"argument": "width_multiplier", "from": own,
                    "to": kwargs["width_multiplier"]}


def apply_weight_decay(model, weight_decay: float) -> list[str]:
    """Coupled L2 decay: ``wd/2 * ||w||^2`` in the loss for every kernel without a regulariser.

    Kernels are trainable weights of rank >= 2; biases and batch-norm parameters are left alone,
    as the sources train. Returns the decayed variables' paths (``"conv1/kernel"``, ...).

    Example:
    >>> names = apply_weight_decay(model, 5e-4)  # doctest: +SKIP
    >>> float(sum(model.losses))  # = 5e-4 / 2 * the kernels' squared norms   # doctest: +SKIP
    """
    import keras

    if weight_decay <= 0:
        return []
    regularizer = keras.regularizers.L2(weight_decay / 2.0)
    decayed = []
    for variable in model.trainable_variables:
        if len(variable.shape) >= 2 and variable.regularizer is None:
            variable.regularizer = regularizer
            decayed.append(variable.path)
    return decayed


def _learning_rate(settings: RunSettings, total_steps: int):
    """The run's learning rate: a float or a Keras schedule over ``total_steps`` steps."""
    import keras

    lr0 = settings.optimizer.learning_rate
    sched = settings.schedule
    if sched.kind == "constant":
        return lr0
    if sched.kind == "step":
        bounds = sched.step_boundaries(total_steps)
        values = [lr0 * sched.factor**i for i in range(len(bounds) + 1)]
        return keras.optimizers.schedules.PiecewiseConstantDecay(bounds, values)
    warmup = sched.warmup_steps(total_steps)
    if warmup:
        # Linear from 0 to lr0 over `warmup` steps, then cosine over the remaining steps.
        return keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(1, total_steps - warmup), alpha=sched.final_fraction,
            warmup_target=lr0, warmup_steps=warmup,
        )
    return keras.optimizers.schedules.CosineDecay(
        lr0, decay_steps=max(1, total_steps), alpha=sched.final_fraction
    )


def _float32_outputs(model):
    """Under mixed precision, end the model in a float32 layer (stable softmax / loss)."""
    import keras

    if model.outputs[0].dtype == "float32":
        return model
    cast = keras.layers.Activation("linear", dtype="float32", name="float32_output")
    out = cast(model.outputs[0])
    wrapped = keras.Model(model.inputs, out, name=model.name)
    wrapped.width_multiplier = model.width_multiplier
    return wrapped


def _build_training_state(net, num_classes: int) -> None:
    """Create the optimizer's, the loss's and the metrics' variables before ``fit``.

    Saves ``fit`` a second trace of the whole step (a first trace that creates variables is
    retraced): Plain-56 full under XLA, first step 47.5 -> 37.5 s CPU. Draws no random numbers.
    """
    import keras

    x = keras.ops.zeros((1, *net.input_shape[1:]))
    y = keras.ops.zeros((1,), dtype="int32")
    y_pred = keras.ops.full((1, num_classes), 1.0 / num_classes, dtype="float32")
    net.compute_loss(x=x, y=y, y_pred=y_pred)
    net.compute_metrics(x, y, y_pred, sample_weight=None)
    net.reset_metrics()
    net.optimizer.build(net.trainable_variables)


def _params(model, family: str) -> dict:
    import numpy as np

    total = int(model.count_params())
    trainable = int(sum(int(np.prod(v.shape)) for v in model.trainable_variables))
    if family == "param-distribution":
        from course_lib.models import param_groups

        groups = {k: int(v) for k, v in param_groups(model).items()}
        return {**groups, "trainable": trainable, "all_weights": total}
    return {"total": total, "trainable": trainable}


def _fmt_params(params: dict) -> str:
    if "low" in params:
        return (f"params {params['total'] / 1e6:.3f}M (low {params['low'] / 1e6:.3f}M / "
                f"high {params['high'] / 1e6:.3f}M)")
    return f"params {params['total'] / 1e6:.3f}M"


def _save_model_atomic(model, target: Path) -> Path:
    """``model.save`` to a temporary file, then rename: a kill never leaves half a model."""
    from course_lib.core import atomic_write

    with atomic_write(target) as partial:
        model.save(partial)
    return target


def _done_record(path: Path, fp: dict) -> dict | None:
    if not path.is_file():
        return None
    try:
        record = results_lib.load_record(path)
    except (OSError, ValueError):
        return None
    return record if record.get("fingerprint") == fp else None


def _missing_source(exp: Experiment, settings: RunSettings, path: Path) -> ValueError:
    return ValueError(
        f"Model run {settings.label!r} starts from the trained {settings.init_from!r} "
        f"(same dataset, budget, epochs and seed), which has no finished record with a "
        f"saved model at {path}. Train it first: run_model({exp.name!r}, "
        f"{settings.init_from!r}, dataset={settings.dataset!r}, budget={settings.budget!r}, "
        f"seed={settings.seed}), or run_experiment, which orders the runs (with "
        f"shipped='train' where the kit ships its record: a shipped record holds no model)."
    )


def _chain_fingerprint(exp: Experiment, budget: Budget, settings: RunSettings) -> dict:
    """The run's fingerprint and, for a run started from another, that run's (recursively):
    computed from the definitions alone, so a shipped record of such a run is read without
    its source's record."""
    fp = fingerprint(exp, settings)
    if settings.init_from:
        source = resolve(exp, settings.init_from, dataset=settings.dataset, budget=budget,
                         epochs=settings.epochs, seed=settings.seed)
        fp = {**fp, "init_from": {"label": settings.init_from,
                                  "layers": list(settings.init_layers),
                                  "fingerprint": _chain_fingerprint(exp, budget, source)}}
    return fp


def _init_source(path: Path, source_fingerprint: dict) -> dict | None:
    """The user's finished record of the run this one starts from, with its saved model, or
    None (training then stops with :func:`_missing_source`; reading does not need it)."""
    record = _done_record(path, source_fingerprint)
    if record is None or not Path(record.get("model_path", "")).is_file():
        return None
    record["_path"] = str(path)
    return record


def _copy_layers(source_record: dict, net, settings: RunSettings) -> list[str]:
    """Copy the weights of ``settings.init_layers`` from the source run's saved model."""
    import keras

    source = keras.models.load_model(source_record["model_path"], compile=False)
    copied = []
    for name in settings.init_layers:
        try:
            src, dst = source.get_layer(name), net.get_layer(name)
        except ValueError:
            raise ValueError(
                f"`init_layers` names layer {name!r}, which is not in both "
                f"{settings.init_from!r} and {settings.label!r}. Received: "
                f"init_layers={list(settings.init_layers)!r}"
            ) from None
        weights = src.get_weights()
        shapes = [tuple(w.shape) for w in weights]
        expected = [tuple(w.shape) for w in dst.get_weights()]
        if shapes != expected:
            raise ValueError(
                f"Layer {name!r} has weight shapes {shapes} in {settings.init_from!r} but "
                f"{expected} in {settings.label!r}; only layers of equal shape can be copied."
            )
        dst.set_weights(weights)
        copied.append(name)
    del source
    return copied


@dataclass(frozen=True)
class Run:
    """One run, resolved once: everything after :func:`plan` reads this, nothing resolves again.

    ``fingerprint`` is ``base_fingerprint`` (of the settings) plus the ``init_from`` source run's,
    when there is one (``source``: that run's finished record with its model, or None).
    """

    experiment: Experiment
    budget: Budget
    settings: RunSettings
    path: Path
    backup_dir: Path
    base_fingerprint: dict
    fingerprint: dict
    source: dict | None = None
    #: where the record of the run this one starts from must be (``init_from``), else None
    source_path: Path | None = None

    @property
    def title(self) -> str:
        return f"{self.settings.label} on {self.settings.dataset} ({self.settings.budget})"


def plan(experiment, model: str, *, dataset=None, budget="quick", epochs=None, seed=None,
         results_dir=None, engine=None) -> Run:
    """Resolve a run once: experiment, model run, dataset (any accepted spelling), budget,
    the results folder (``engine``'s, default one device), paths and fingerprint."""
    engine = engine or engines.OneDevice()
    exp = get_experiment(experiment)
    chosen = exp.budget(budget)
    if dataset is not None:
        from course_lib.data import canonical

        dataset = canonical(dataset)
    settings = resolve(exp, model, dataset=dataset, budget=chosen, epochs=epochs, seed=seed)
    base = fingerprint(exp, settings)
    fp = _chain_fingerprint(exp, chosen, settings)
    engine.check(settings)
    folder = engine.results_dir(results_lib.results_dir(results_dir, default=DEFAULT_RESULTS_DIR))
    tag = None if settings.seed == exp.seed else settings.seed
    where = {"dataset": settings.dataset, "budget": settings.budget, "seed": tag}
    source = source_path = None
    if settings.init_from:
        source_path = results_lib.record_path(folder, exp.name, settings.init_from, **where)
        source = _init_source(source_path, fp["init_from"]["fingerprint"])
    safe = results_lib.safe_name
    backup = (folder / safe(exp.name) / safe(settings.label) / "backup"
              / (f"{safe(settings.dataset)}__{settings.budget}" + ("" if tag is None
                                                                     else f"__seed{tag}")))
    return Run(exp, chosen, settings, results_lib.record_path(folder, exp.name, settings.label,
                                                             **where),
               backup, base, fp, source, source_path)


def _build(run: Run, data, acc) -> tuple:
    """The compiled model under the accelerator's strategy, and the facts the record keeps."""
    import keras

    from course_lib import models as zoo

    settings, info = run.settings, data.info
    spec = zoo.spec(settings.model)
    overrides = {k: v.thaw() if isinstance(v, FrozenMapping) else v
                 for k, v in settings.overrides}
    kwargs, width_change = _model_kwargs(overrides, settings.width_multiplier)
    copied, from_logits = None, CLASSIFIER_ACTIVATION is None
    with acc.strategy.scope():
        net = zoo.build(settings.model, num_classes=info.num_classes,
                        input_shape=info.input_shape,
                        classifier_activation=CLASSIFIER_ACTIVATION, **kwargs)
        if acc.mixed_precision != "float32":
            net = _float32_outputs(net)
        decayed = apply_weight_decay(net, settings.optimizer.weight_decay)
        optimizer = keras.optimizers.SGD(
            learning_rate=_learning_rate(settings, data.steps_per_epoch * settings.epochs),
            momentum=settings.optimizer.momentum, nesterov=settings.optimizer.nesterov)
        if settings.init_from:
            if run.source is None:
                raise _missing_source(run.experiment, settings, run.source_path)
            copied = _copy_layers(run.source, net, settings)
        net.compile(optimizer=optimizer, metrics=["accuracy"], jit_compile=acc.jit_compile,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
        if acc.replicas == 1:
            _build_training_state(net, info.num_classes)
    return net, {"params": _params(net, spec.family), "kwargs": kwargs, "copied": copied,
                 "width_change": width_change, "decayed": decayed, "from_logits": from_logits,
                 "model_source": spec.source}


def _summary(run: Run, record: dict, engine, built: dict) -> dict:
    """Print the run's one line and return its record (``_path`` added where it was filed)."""
    exp, ips = run.experiment.name, record["images_per_second"]
    if not engine.keeps_record:
        print(f"[{exp}] {run.title}: worker {engine.cluster.task_type}:"
              f"{engine.cluster.task_index} done (test error {record['test_error_pct']:.2f}%); "
              "the chief keeps the record")
        return record
    record["_path"] = str(run.path)
    print(f"[{exp}] {run.title}: test error {record['test_error_pct']:.2f}% "
          f"({record['test_error_mode']}) | {record['epochs_completed']} epochs | "
          f"{record['wall_time_s']:.1f} s | {ips if ips is not None else float('nan'):.0f} img/s"
          f" | {_fmt_params(built['params'])}"
          + (" | narrowed by budget" if built["width_change"] else "") + f" -> {run.path}")
    return record


def run_model(
    experiment: str | Experiment,
    model: str,
    *,
    dataset: str | None = None,
    budget: str | Budget = "quick",
    results_dir: str | os.PathLike | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    data_dir: str | os.PathLike | None = None,
    devices: list[str] | None = None,
    mixed_precision: str | bool = "auto",
    jit_compile: str | bool = "auto",
    deterministic: str | bool = "auto",
    verbose: int | str = "auto",
    live: bool | None = None,
    rerun: bool = False,
    save_model: bool = True,
    callbacks: Iterable = (),
) -> dict:
    """Train one model of an experiment and write its result record.

    Args:
        experiment: an experiment name or an ``Experiment``.
        model: the label of one of its model runs (usually the zoo name, e.g. ``"CNN-A2"``).
        dataset: a ``course_lib.data`` dataset; default: the experiment's first.
        budget: ``"smoke"``, ``"quick"`` or ``"full"``.
        results_dir: folder of records and backups (default: :func:`course_lib.places.results_dir`).
        epochs, seed: override the budget's epochs or the experiment's seed (another seed is
            filed as ``<label>__<dataset>__<budget>__seed<k>.json``).
        data_dir: dataset folder (default ``course_lib.data.data_dir()``).
        devices: devices to mirror across (default: all GPUs, else the CPU).
        mixed_precision, jit_compile, deterministic: ``"auto"`` (float16 on tensor-core GPUs; XLA
            on one GPU; op determinism on CPU), ``True`` or ``False``.
        verbose: Keras verbosity; ``"auto"``: a progress bar in a terminal or notebook.
        live: draw live curves; ``None``: in notebooks only.
        rerun: train again even if this run has a record (a backup still resumes).
        save_model: save the trained model as ``<record>.keras`` (``record["model_path"]``).
        callbacks: extra Keras callbacks.

    Returns:
        The result record (a dict, as written to disk, plus ``"_path"``).
    """
    engine = engines.choose(devices=devices, mixed_precision=mixed_precision,
                            jit_compile=jit_compile, deterministic=deterministic,
                            verbose=verbose, live=live, callbacks=callbacks)
    run = plan(experiment, model, dataset=dataset, budget=budget, epochs=epochs, seed=seed,
               results_dir=results_dir, engine=engine)
    settings = run.settings
    done = None if rerun or engine.always_trains else _done_record(run.path, run.fingerprint)
    if done is not None:
        print(f"[{run.experiment.name}] {run.title}: already done, test error "
              f"{done['test_error_pct']:.2f}% ({run.path}); pass rerun=True / --rerun to train "
              "again")
        return {**done, "_path": str(run.path)}

    import keras

    from course_lib.data import load_run_data
    from course_lib.train import gpu
    from course_lib.train.callbacks import ResumableBackup
    from course_lib.train.evaluation import evaluate_modes

    started = time.perf_counter()
    acc = engine.configure()
    keras.utils.set_random_seed(settings.seed)
    with gpu.op_determinism(acc.deterministic), gpu.mixed_precision_scope(acc.mixed_precision):
        data = load_run_data(
            settings.dataset, batch_size=settings.batch_size, augment=settings.augment,
            seed=settings.seed, extra=settings.extra, train_limit=settings.train_limit,
            test_limit=settings.test_limit, data_dir=data_dir)
        net, built = _build(run, data, acc)
        backup = ResumableBackup(run.backup_dir, fingerprint=run.fingerprint)
        start_epoch, _ = engine.restore(net, backup)
        if start_epoch:
            print(f"[{run.experiment.name}] {run.title}: resuming after epoch {start_epoch}/"
                  f"{settings.epochs} from {run.backup_dir}")
        setup_seconds = time.perf_counter() - started
        history = engine.train(net, data, settings, backup, start_epoch, run.title)
        net = engine.scoring_model(net)
        eval_start, correct = time.perf_counter(), {}
        scores = evaluate_modes(net, data.test, run.experiment.evaluation, correct=correct,
                                batch_size=data.test_batch_size, flip=data.info.flip,
                                from_logits=built["from_logits"])
        trained = {"history": history, "start_epoch": start_epoch, "setup_seconds":
                   setup_seconds, "eval_seconds": time.perf_counter() - eval_start}
    record = results_lib.make_record(
        run, data=data, built=built, trained=trained, scores=scores,
        correct=correct.get(run.experiment.evaluation.modes[0]), device=acc.to_dict(),
        versions=_versions())
    if save_model:
        record["model_path"] = str(_save_model_atomic(net, run.path.with_suffix(".keras")))
    results_lib.write_json_atomic(run.path, record)
    backup.clear()
    engine.finish(acc)
    return _summary(run, record, engine, built)


def _shipped_or_own(exp, label, dataset, budget, seed, results_dir) -> dict | None:
    """The kit's shipped record of a run, or None when this run should be trained (or read
    back) by :func:`run_model`: another dataset than the shipped one, or a finished run of
    the user's own in ``results_dir``."""
    from course_lib.train import shipped as shipped_lib

    run = plan(exp, label, dataset=dataset, budget=budget, seed=seed, results_dir=results_dir)
    if run.settings.dataset != shipped_lib.SHIPPED_DATASET or _done_record(
            run.path, run.fingerprint) is not None:
        return None
    record = shipped_lib.read_shipped_record(run)
    print(f"[{exp.name}] {run.title}, seed {seed}: read from the kit's shipped record "
          f"(test error {record['test_error_pct']:.2f}%, trained by "
          f"`{shipped_lib.ship_command(exp)}`) -> {record['_path']}")
    return record


def run_experiment(
    experiment: str | Experiment,
    *,
    models: Iterable[str] | None = None,
    dataset: str | None = None,
    budget: str = "quick",
    results_dir: str | os.PathLike | None = None,
    epochs: int | None = None,
    datasets: Iterable[str] | None = None,
    seeds: int | Iterable[int] | None = None,
    shard: str | tuple[int, int] | None = None,
    shipped: str = "read",
    **kwargs,
) -> list[dict]:
    """Run the models of an experiment, one after the other, each with the budget's seeds.

    ``models=None`` trains the budget's default set; a run with ``init_from`` brings its source
    run along, first. Finished runs are skipped (their records returned); interrupted ones resume.
    Other keyword arguments are those of :func:`run_model`. Returns the records in grid order.

    Args:
        datasets: several datasets (the grid's second axis); ``dataset`` is one of them.
        seeds: several seeds (the grid's third axis); ``None``: the budget's seeds.
        shard: ``"I/N"``: the I-th of N interleaved shares of the grid (see :func:`grid`).
        shipped: ``"read"``: the budget's shipped runs (:mod:`course_lib.train.shipped`) are
            read from the kit's records (``record["shipped"] = True``) unless this results
            folder already holds them; ``"train"``: train them like every other run.
    """
    exp = get_experiment(experiment)
    chosen_budget = exp.budget(budget)  # resolved once, passed down as a Budget
    labels = exp.run_labels(chosen_budget, models)
    if dataset is not None and datasets is not None:
        raise ValueError("Pass `dataset` or `datasets`, not both. "
                         f"Received: dataset={dataset!r}, datasets={datasets!r}")
    seed = kwargs.pop("seed", None)  # run_model's single seed: that seed only
    if seed is not None:
        if seeds is not None:
            raise ValueError(f"Pass `seed` or `seeds`, not both. Received: seed={seed!r}, "
                             f"seeds={seeds!r}")
        seeds = seed
    if seeds is None:
        seed_list = exp.seeds(chosen_budget)
    else:
        seed_list = [seeds] if isinstance(seeds, int) else list(seeds)
        ints("seeds", seed_list, minimum=0, hint="One seed or a list of them.")
    chosen = list(datasets) if datasets is not None else [dataset]
    if any(name is not None for name in chosen):
        from course_lib.data import canonical

        chosen = [None if name is None else canonical(name) for name in chosen]
    runs = grid(exp, models=labels, datasets=chosen, seeds=seed_list, shard=shard)
    if shard is not None:
        index, count = parse_shard(shard)
        print(f"[{exp.name}] shard {index}/{count}: {len(runs)} of "
              f"{len(grid(exp, models=labels, datasets=chosen, seeds=seed_list))} runs: "
              + ", ".join(f"{label}/{ds or exp.datasets[0]}"
                          + ("" if s is None else f"/seed {s}") for label, ds, s in runs))
    one_of("shipped", shipped, ("read", "train"))
    reading = (set(chosen_budget.shipped) if shipped == "read" and epochs is None
               and not kwargs.get("rerun") else set())
    records = []
    for label, ds, seed in runs:
        if (label, seed) in reading:
            record = _shipped_or_own(exp, label, ds, chosen_budget, seed, results_dir)
            if record is not None:
                records.append(record)
                continue
        records.append(run_model(exp, label, dataset=ds, budget=chosen_budget, seed=seed,
                                 results_dir=results_dir, epochs=epochs, **kwargs))
        gc.collect()  # a long experiment should not accumulate the previous models' memory
    return records
