"""The runner: train one model of an experiment, or all of them, and file one record per run.

``run_model`` does, in order: resolve the settings (experiment x model x dataset x budget);
return the existing record if this exact run already finished; choose the devices
(:mod:`course_lib.train.gpu`); seed everything; load the data in file order and build the
epoch stream (:mod:`course_lib.data.loaders`); build the zoo model (narrowed if the budget
says so, recorded) under the strategy and dtype policy; restore the last completed epoch from
``results/<experiment>/<label>/backup/``; train with a per-epoch progress bar; score the test
set in the experiment's evaluation modes; write the record atomically; delete the backup;
print a one-line summary.

With ``TF_CONFIG`` set, one run spans several workers: the model is built under
``tf.distribute.MultiWorkerMirroredStrategy`` and trained by
:func:`course_lib.train.distributed.fit` instead of ``Model.fit`` (see that module for what it
does and its limits); only the chief writes the record.

Example:

>>> from course_lib.train import run_experiment
>>> records = run_experiment("param-distribution", models=["CNN-A2"],
...                          dataset="fashion_mnist32", budget="smoke")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import gc
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from course_lib.train import results as results_lib
from course_lib.train.config import Experiment, FrozenMapping, RunSettings, resolve
from course_lib.train.distributed import MultiWorkerUnsupportedError, cluster_from_env
from course_lib.train.experiments import get_experiment

__all__ = [
    "run_model", "run_experiment", "fingerprint", "grid", "parse_shard",
    "MultiWorkerUnsupportedError", "DEFAULT_RESULTS_DIR",
]

#: Where records go unless told otherwise (relative to the working directory); see
#: :func:`course_lib.train.results.results_dir` for ``COURSE_RESULTS_DIR`` and Google Drive.
DEFAULT_RESULTS_DIR = "results"

def parse_shard(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"I/N"`` (1 <= I <= N) as ``(I, N)``; a pair passes through the same checks.

    Raises:
        ValueError: not of the form I/N with 1 <= I <= N.
    """
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

    The full grid is models (in the experiment's order, or as given) x datasets x seeds, in
    that nesting; shard ``I/N`` takes every N-th run starting at the I-th, so N machines given
    the same selection and shards 1/N .. N/N run every run exactly once, each a mix of cheap
    and costly models. ``None`` as a dataset or seed stands for the experiment's default.
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

    Every zoo builder takes ``width_multiplier``; the budget's multiplies the run's own (e.g.
    Arch1-13L-strided's 0.92). Returns ``(kwargs, change)``, ``change`` being ``{}`` when the
    budget keeps the widths, else ``{"argument": "width_multiplier", "from": ..., "to": ...}``.
    """
    kwargs = dict(overrides)
    if math.isclose(multiplier, 1.0):
        return kwargs, {}
    own = kwargs.get("width_multiplier", 1.0)
    kwargs["width_multiplier"] = float(own) * multiplier
    return kwargs, {"argument": "width_multiplier", "from": own,
                    "to": kwargs["width_multiplier"]}


def _apply_weight_decay(model, weight_decay: float) -> int:
    """Coupled L2 decay: ``wd/2 * ||w||^2`` in the loss for every kernel without a regulariser."""
    import keras

    if weight_decay <= 0:
        return 0
    regularizer = keras.regularizers.L2(weight_decay / 2.0)
    count = 0
    for variable in model.trainable_variables:
        if len(variable.shape) >= 2 and variable.regularizer is None:
            variable.regularizer = regularizer
            count += 1
    return count


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

    ``fit`` would create them while tracing its first step, and a ``tf.function`` whose first
    trace creates variables is traced a second time: building them here (public calls on a
    one-image dummy, then ``reset_metrics``) saves that second trace of the whole training
    step (measured: Plain-56's full configuration under XLA, first step 47.5 -> 37.5 s of
    CPU). Nothing else changes: the slots start at zero either way and no random numbers are
    drawn (a seeded smoke record is bit-identical).
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


def _verbose(verbose) -> int:
    if verbose != "auto":
        return int(verbose)
    from course_lib.train.callbacks import in_notebook

    return 1 if (in_notebook() or sys.stdout.isatty()) else 2


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


def _init_source(exp: Experiment, settings: RunSettings, results_dir, seed_tag) -> dict:
    """The finished record (with its saved model) of the run ``settings.init_from`` names."""
    path = results_lib.record_path(results_dir, exp.name, settings.init_from, settings.dataset,
                                   settings.budget, seed=seed_tag)
    source_settings = resolve(exp, settings.init_from, dataset=settings.dataset,
                              budget=settings.budget, epochs=settings.epochs, seed=settings.seed)
    record = _done_record(path, fingerprint(exp, source_settings))
    if record is None or not Path(record.get("model_path", "")).is_file():
        raise ValueError(
            f"Model run {settings.label!r} starts from the trained {settings.init_from!r} "
            f"(same dataset, budget, epochs and seed), which has no finished record with a "
            f"saved model at {path}. Train it first: run_model({exp.name!r}, "
            f"{settings.init_from!r}, dataset={settings.dataset!r}, budget={settings.budget!r}, "
            f"seed={settings.seed}), or run_experiment, which orders the runs."
        )
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


def run_model(
    experiment: str | Experiment,
    model: str,
    *,
    dataset: str | None = None,
    budget: str = "quick",
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
        experiment: an experiment name (see ``experiment_names()``) or an ``Experiment``.
        model: the label of one of its model runs (usually the zoo name, e.g. ``"CNN-A2"``).
        dataset: a ``course_lib.data`` dataset; default: the experiment's first (the source's).
        budget: ``"smoke"``, ``"quick"`` or ``"full"`` (see ``BUDGETS``).
        results_dir: folder of the records and backups; ``None``: ``COURSE_RESULTS_DIR``, the
            Drive folder on Colab once mounted, else ``results`` (see
            :func:`course_lib.train.results.results_dir`).
        epochs: override the budget's number of epochs.
        seed: override the experiment's seed; a run with another seed than the
            experiment's is filed as ``<label>__<dataset>__<budget>__seed<k>.json``.
        data_dir: dataset folder (default ``course_lib.data.data_dir()``).
        devices: devices to mirror across (default: all GPUs, else the CPU).
        mixed_precision: ``"auto"`` (float16 compute on tensor-core GPUs), ``True``, ``False``.
        jit_compile: ``"auto"`` (XLA on one GPU), ``True``, ``False``.
        deterministic: ``"auto"`` (op determinism on CPU), ``True``, ``False``.
        verbose: Keras verbosity; ``"auto"``: a progress bar in a terminal or notebook, one
            line per epoch otherwise.
        live: draw live curves (``LiveCurves``); ``None``: in notebooks only.
        rerun: train again even if this exact run already has a record (an interrupted
            run with the same settings still resumes from its backup).
        save_model: save the trained model next to the record, as ``<record>.keras``
            (load it with ``keras.models.load_model(record["model_path"])``).
        callbacks: extra Keras callbacks.

    Returns:
        The result record (a dict, as written to disk, plus ``"_path"``).
    """
    exp = get_experiment(experiment)
    settings = resolve(exp, model, dataset=dataset, budget=budget, epochs=epochs, seed=seed)
    fp = fingerprint(exp, settings)
    results_dir = results_lib.results_dir(results_dir, default=DEFAULT_RESULTS_DIR)
    cluster = cluster_from_env()
    if cluster is not None:  # one run on several workers (course_lib.train.distributed)
        from course_lib.train import distributed

        distributed.check_supported(cluster, settings, devices=devices,
                                    mixed_precision=mixed_precision, jit_compile=jit_compile,
                                    deterministic=deterministic, live=live, callbacks=callbacks)
        rerun = True  # every worker must train: none can see whether the chief has a record
        if not cluster.is_chief:  # only the chief keeps a record (TF's multi-worker recipe)
            import tempfile

            scratch = tempfile.TemporaryDirectory(prefix="course_lib-worker-")
            results_dir = Path(scratch.name)
    seed_tag = None if settings.seed == exp.seed else settings.seed
    path = results_lib.record_path(results_dir, exp.name, settings.label, settings.dataset,
                                   settings.budget, seed=seed_tag)
    source_record = None
    if settings.init_from:
        source_record = _init_source(exp, settings, results_dir, seed_tag)
        fp["init_from"] = {"label": settings.init_from, "layers": list(settings.init_layers),
                           "fingerprint": source_record["fingerprint"]}
    if not rerun:
        done = _done_record(path, fp)
        if done is not None:
            print(f"[{exp.name}] {settings.label} on {settings.dataset} ({settings.budget}): "
                  f"already done, test error {done['test_error_pct']:.2f}% ({path}); "
                  "pass rerun=True / --rerun to train again")
            done["_path"] = str(path)
            return done

    import keras

    from course_lib import models as zoo
    from course_lib.train import gpu
    from course_lib.train.callbacks import EpochReseed, LiveCurves, ResumableBackup
    from course_lib.data import epoch_stream, load_run_data
    from course_lib.train.evaluation import evaluate_modes

    started = time.perf_counter()
    spec = zoo.spec(settings.model)
    if cluster is not None:
        acc = distributed.configure(cluster, deterministic=deterministic)
    else:
        acc = gpu.configure(mixed_precision=mixed_precision, jit_compile=jit_compile,
                            deterministic=deterministic, devices=devices)
    keras.utils.set_random_seed(settings.seed)
    with gpu.op_determinism(acc.deterministic), gpu.mixed_precision_scope(acc.mixed_precision):
        data = load_run_data(
            settings.dataset, batch_size=settings.batch_size, augment=settings.augment,
            seed=settings.seed, extra=settings.extra, train_limit=settings.train_limit,
            test_limit=settings.test_limit, data_dir=data_dir,
        )
        info = data.info
        overrides = {k: v.thaw() if isinstance(v, FrozenMapping) else v
                     for k, v in settings.overrides}
        kwargs, width_change = _model_kwargs(overrides, settings.width_multiplier)
        steps = data.steps_per_epoch
        with acc.strategy.scope():
            net = zoo.build(settings.model, num_classes=info.num_classes,
                            input_shape=info.input_shape,
                            classifier_activation=CLASSIFIER_ACTIVATION, **kwargs)
            if acc.mixed_precision != "float32":
                net = _float32_outputs(net)
            decayed = _apply_weight_decay(net, settings.optimizer.weight_decay)
            optimizer = keras.optimizers.SGD(
                learning_rate=_learning_rate(settings, steps * settings.epochs),
                momentum=settings.optimizer.momentum, nesterov=settings.optimizer.nesterov,
            )
            if source_record is not None:
                copied = _copy_layers(source_record, net, settings)
            from_logits = CLASSIFIER_ACTIVATION is None
            net.compile(
                optimizer=optimizer,
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
                metrics=["accuracy"],
                jit_compile=acc.jit_compile,
            )
            if acc.replicas == 1:
                _build_training_state(net, info.num_classes)
        params = _params(net, spec.family)

        backup_dir = (Path(results_dir) / results_lib.safe_name(exp.name)
                      / results_lib.safe_name(settings.label) / "backup"
                      / (f"{results_lib.safe_name(settings.dataset)}__{settings.budget}"
                         + ("" if seed_tag is None else f"__seed{seed_tag}")))
        backup = ResumableBackup(backup_dir, fingerprint=fp)
        start_epoch, history = (0, []) if cluster is not None else backup.restore(net)
        title = f"{settings.label} on {settings.dataset} ({settings.budget})"
        if start_epoch:
            print(f"[{exp.name}] {title}: resuming after epoch {start_epoch}/{settings.epochs} "
                  f"from {backup_dir}")
        setup_seconds = time.perf_counter() - started
        if cluster is not None:
            history = distributed.fit(net, data, strategy=acc.strategy, seed=settings.seed,
                                      epochs=settings.epochs, worker=cluster.rank,
                                      verbose=_verbose(verbose),
                                      title=f"[{exp.name}] {title}")
            net = distributed.local_copy(net)  # scored and saved on this worker alone
        elif start_epoch < settings.epochs:
            stream = epoch_stream(data, seed=settings.seed, start_epoch=start_epoch,
                                  epochs=settings.epochs)
            net.fit(
                stream,
                epochs=settings.epochs,
                initial_epoch=start_epoch,
                steps_per_epoch=steps,
                validation_data=data.test,
                callbacks=[EpochReseed(settings.seed), backup,
                           LiveCurves(title, history=history, enabled=live), *callbacks],
                verbose=_verbose(verbose),
                shuffle=False,  # the stream is shuffled per epoch already
            )
            history = backup.history
        eval_start = time.perf_counter()
        scores = evaluate_modes(net, data.test, exp.evaluation, batch_size=settings.batch_size,
                                flip=info.flip, from_logits=from_logits)
        eval_seconds = time.perf_counter() - eval_start

    headline_mode = exp.evaluation.modes[0]
    train_seconds = sum(e["seconds"] for e in history)
    images = data.num_train * len(history)
    later = history[1:]
    record: dict[str, Any] = {
        "schema": results_lib.SCHEMA_VERSION,
        "experiment": exp.name,
        "model": settings.model,
        "label": settings.label,
        "dataset": settings.dataset,
        "budget": settings.budget,
        # where the images came from: "repository" (the shipped Fashion-MNIST subset),
        # "system" (Debian package), "data_dir", "tfds", "keras" or "download"
        "data_source": info.data_source,
        "source": {"seed": exp.source.seed, "tables": exp.source.tables,
                   "citation": exp.source.citation, "model_source": spec.source},
        "test_error_pct": scores[headline_mode]["error_pct"],
        "test_error_mode": headline_mode,
        "test_errors": scores,
        "train_error_pct": history[-1].get("train_error_pct") if history else None,
        "params": params,
        "epochs_completed": len(history),
        "history": history,
        "wall_time_s": round(sum(e["seconds"] + e.get("eval_seconds", 0.0) for e in history)
                             + eval_seconds + setup_seconds, 3),
        "train_seconds": round(train_seconds, 3),
        "images_per_second": round(images / train_seconds, 2) if train_seconds else None,
        "images_per_second_after_first_epoch": (
            round(data.num_train * len(later) / sum(e["seconds"] for e in later), 2)
            if later and sum(e["seconds"] for e in later) else None
        ),
        "resumed_from_epoch": start_epoch,
        "seed": settings.seed,
        "initialised_from": ({"label": settings.init_from, "record": source_record["_path"],
                              "layers": copied,
                              "source_test_error_pct": source_record["test_error_pct"]}
                             if source_record is not None else None),
        "architecture": {
            "changed_by_budget": bool(width_change),
            "width_multiplier": settings.width_multiplier if width_change else 1.0,
            "width_change": width_change or None,
            "builder_overrides": {k: list(v) if isinstance(v, tuple) else v
                                  for k, v in kwargs.items()},
            "note": ("narrowed by the budget: not the source's architecture" if width_change
                     else "the registered architecture"),
        },
        "config": {
            **fingerprint(exp, settings),
            "num_train": data.num_train,
            "num_test": data.num_test,
            "data_location": info.source,
            "data_splits": dict(info.splits),
            "steps_per_epoch": steps,
            "input_shape": list(info.input_shape),
            "num_classes": info.num_classes,
            "preprocessing": info.preprocessing,
            "augmentation": ("zero-pad 4, random crop" + (", random flip" if info.flip else "")
                             if settings.augment else "none"),
            "weight_decay_mode": (f"coupled L2 (wd/2 * ||w||^2 in the loss) on {decayed} "
                                  "kernels; biases and normalisation parameters excluded"),
            "loss_from_logits": from_logits,
            "notes": exp.notes,
        },
        "fingerprint": fp,
        "device": acc.to_dict(),
        "versions": _versions(),
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if save_model:
        record["model_path"] = str(_save_model_atomic(net, path.with_suffix(".keras")))
    results_lib.write_json_atomic(path, record)
    backup.clear()
    if cluster is not None:
        distributed.barrier(acc.strategy)  # no worker leaves while the chief still writes
    if cluster is not None and not cluster.is_chief:
        scratch.cleanup()
        print(f"[{exp.name}] {title}: worker {cluster.task_type}:{cluster.task_index} done "
              f"(test error {record['test_error_pct']:.2f}%); the chief keeps the record")
        return record
    record["_path"] = str(path)
    ips = record["images_per_second"]
    print(f"[{exp.name}] {title}: test error {record['test_error_pct']:.2f}% "
          f"({headline_mode}) | {record['epochs_completed']} epochs | "
          f"{record['wall_time_s']:.1f} s | {ips if ips is not None else float('nan'):.0f} img/s | "
          f"{_fmt_params(params)}" + (" | narrowed by budget" if width_change else "")
          + f" -> {path}")
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
    **kwargs,
) -> list[dict]:
    """Run the models of an experiment, one after the other, each with the budget's seeds.

    ``models=None`` trains the budget's default set (``Experiment.default_models``: e.g. the
    extremes of each group at ``quick``); name any other model of the experiment to add it.
    A run initialised from another (``ModelRun.init_from``) brings that run along, first.
    ``seeds=None`` trains each model with the budget's seeds (``Experiment.seeds``); give a
    seed or a list to choose. Runs that already finished with the same settings are skipped
    (their records returned); an interrupted run resumes from its last completed epoch. Other
    keyword arguments are those of :func:`run_model`.

    Args:
        datasets: several datasets (the grid's second axis); ``dataset`` is one of them.
        seeds: several seeds (the grid's third axis); ``seed=`` in ``kwargs`` is one of them.
            Records of a seed other than the experiment's own end in ``__seed<S>.json``.
        shard: ``"I/N"``: only the I-th of N interleaved shares of the (model, dataset, seed)
            grid (see :func:`grid`), so N machines or Colab sessions split an experiment;
            copy their result folders together (or pass them all to ``report``) afterwards.

    Returns:
        The records, in grid order (model by model, each model's datasets and seeds in order).
    """
    exp = get_experiment(experiment)
    if models:
        labels = exp.with_sources(models)  # validates every name before training
    else:
        labels = exp.default_models(budget)
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
        seed_list = exp.seeds(budget)
    else:
        seed_list = [seeds] if isinstance(seeds, int) else list(seeds)
        for value in seed_list:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    "`seeds` must be a non-negative integer or a list of them. "
                    f"Received: seeds={seeds!r}"
                )
    chosen = list(datasets) if datasets is not None else [dataset]
    known = None
    for name in chosen:
        if name is None:
            continue
        if known is None:
            from course_lib.data import names as dataset_names

            known = dataset_names()
        if name not in known:
            raise ValueError(f"Unknown dataset {name!r}. Choose from: {', '.join(known)}")
    exp.budget(budget)
    runs = grid(exp, models=labels, datasets=chosen, seeds=seed_list, shard=shard)
    if shard is not None:
        index, count = parse_shard(shard)
        print(f"[{exp.name}] shard {index}/{count}: {len(runs)} of "
              f"{len(grid(exp, models=labels, datasets=chosen, seeds=seed_list))} runs: "
              + ", ".join(f"{label}/{ds or exp.datasets[0]}"
                          + ("" if s is None else f"/seed {s}") for label, ds, s in runs))
    records = []
    for label, ds, seed in runs:
        records.append(run_model(exp, label, dataset=ds, budget=budget, seed=seed,
                                 results_dir=results_dir, epochs=epochs, **kwargs))
        gc.collect()  # a long experiment should not accumulate the previous models' memory
    return records
