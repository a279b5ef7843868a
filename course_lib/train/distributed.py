"""One run on several workers: ``TF_CONFIG`` and ``tf.distribute.MultiWorkerMirroredStrategy``.

Keras 3's ``Model.fit`` cannot train under this strategy (keras-team/keras#20585), so
:func:`fit` is TensorFlow's custom-loop recipe: each worker takes its rows of the same global
batches a one-device run draws. Dropout and BatchNormalization are per worker (:data:`LIMITS`),
so such runs are equivalent, not equal, to one-device runs; without them weights match up to
rounding (tests/test_train_distribute.py).

>>> import json, os
>>> os.environ["TF_CONFIG"] = json.dumps({
...     "cluster": {"worker": ["host1:12345", "host2:12345"]},
...     "task": {"type": "worker", "index": 0}})  # "index": 1 on the second machine
>>> run_model("param-distribution", "CNN-A2", budget="quick")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from course_lib.validation import is_int

__all__ = ["Cluster", "MultiWorkerUnsupportedError", "TFConfigError", "cluster_from_env",
           "check_supported", "configure", "fit", "barrier", "local_copy", "LIMITS",
           "WORKER_SEED_STRIDE"]

#: What a multi-worker run does not do; the README and every refusal repeat it.
LIMITS = (
    "float32 only (no mixed_float16), no XLA, one device per worker, a global batch divisible "
    "by the number of workers, no live curves or extra callbacks, no resumption (an "
    "interrupted multi-worker run starts again from epoch 0, and every worker trains even when "
    "the chief has the record), no init_from runs; dropout masks "
    "and BatchNormalization statistics are per worker"
)


#: Offset between the dropout seeds of consecutive workers (:func:`fit`).
WORKER_SEED_STRIDE = 1_000_003


class MultiWorkerUnsupportedError(RuntimeError):
    """``TF_CONFIG`` asks for a multi-worker run with an option it cannot honour."""


@dataclass(frozen=True)
class Cluster:
    """The cluster ``TF_CONFIG`` describes: ``workers`` (chief + worker tasks), this process's
    ``task_type`` and ``task_index``, ``is_chief`` (keeps the record: the chief, or worker 0 without
    one) and ``rank`` among all training tasks (the chief first).
    """

    workers: int
    task_type: str
    task_index: int
    is_chief: bool
    rank: int


class TFConfigError(ValueError):
    """``TF_CONFIG`` is set but does not describe a cluster and this process's task in it."""


def _bad_config(problem: str, raw: str) -> TFConfigError:
    return TFConfigError(
        f"TF_CONFIG {problem}. It must be JSON like {{\"cluster\": {{\"worker\": "
        "[\"host1:port\", \"host2:port\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}. "
        f"Received: TF_CONFIG={raw!r}"
    )


def cluster_from_env(environ=None) -> Cluster | None:
    """The cluster of ``TF_CONFIG``, or ``None`` when it is unset or empty.

    Raises:
        TFConfigError: (a ``ValueError``) ``TF_CONFIG`` is not JSON, has no ``cluster.worker``
            list, or its ``task`` is not one of the cluster's ``chief``/``worker`` tasks.
    """
    raw = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not raw:
        return None
    try:
        config = json.loads(raw)
    except ValueError:
        raise _bad_config("is not valid JSON", raw) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(cluster.get("worker", []), list):
        raise _bad_config("has no `cluster` with a `worker` list", raw)
    chiefs, workers = cluster.get("chief", []), cluster.get("worker", [])
    if not isinstance(task, dict) or task.get("type") not in ("chief", "worker"):
        raise _bad_config("has no `task` of type 'chief' or 'worker'", raw)
    index = task.get("index", 0)
    job = chiefs if task["type"] == "chief" else workers
    if not is_int(index) or not 0 <= index < len(job):
        raise _bad_config(f"names task index {index!r}, not one of its {task['type']} tasks",
                          raw)
    return Cluster(workers=len(chiefs) + len(workers), task_type=task["type"],
                   task_index=index,
                   is_chief=task["type"] == "chief" or (not chiefs and index == 0),
                   rank=index if task["type"] == "chief" else len(chiefs) + index)


def _refuse(what: str, received: str) -> MultiWorkerUnsupportedError:
    return MultiWorkerUnsupportedError(
        f"TF_CONFIG is set (a multi-worker run), which cannot {what}. Multi-worker runs have "
        f"these limits: {LIMITS}. Unset TF_CONFIG for a one-machine run, or split an experiment "
        f"across machines with `python -m course_lib run EXPERIMENT --shard I/N`. "
        f"Received: {received}"
    )


def check_supported(cluster: Cluster, settings, *, devices=None, mixed_precision="auto",
                    jit_compile="auto", deterministic="auto", live=None, callbacks=()) -> None:
    """Raise one :class:`MultiWorkerUnsupportedError` for an option a multi-worker run lacks
    (a ``ValueError`` first for a value no run accepts, as one-device runs do)."""
    from course_lib.train.gpu import check_options

    check_options(mixed_precision=mixed_precision, jit_compile=jit_compile,
                  deterministic=deterministic)
    if settings.batch_size % cluster.workers:
        raise _refuse(f"split a global batch of {settings.batch_size} images evenly over "
                      f"{cluster.workers} workers", f"batch_size={settings.batch_size}, "
                      f"workers={cluster.workers}")
    checks = (
        (mixed_precision in (True, "mixed_float16"), "train in mixed_float16",
         f"mixed_precision={mixed_precision!r}"),
        (jit_compile is True, "compile with XLA", f"jit_compile={jit_compile!r}"),
        (devices is not None, "take a device list (one device per worker)",
         f"devices={devices!r}"),
        (live is True, "draw live curves", f"live={live!r}"),
        (bool(list(callbacks)), "call Keras callbacks (there is no Model.fit)",
         f"callbacks={list(callbacks)!r}"),
        (bool(settings.init_from), "start from another run's weights",
         f"init_from={settings.init_from!r}"),
    )
    for failed, what, received in checks:
        if failed:
            raise _refuse(what, received)


_STRATEGIES: dict = {}


def configure(cluster: Cluster, *, deterministic="auto"):
    """The ``MultiWorkerMirroredStrategy`` of ``TF_CONFIG`` as an ``Accelerator`` (float32, no XLA).

    Created on the first call, which must precede any other TensorFlow op in the process
    (collectives are configured at start-up), and reused afterwards.
    """
    import platform

    import tensorflow as tf

    from course_lib.train.gpu import Accelerator, describe_gpus, check_options

    check_options(deterministic=deterministic)
    gpus = tf.config.list_physical_devices("GPU")
    # One strategy per process: collective ops are configured once, so the runs of an
    # experiment (run_experiment) share the first run's strategy.
    if cluster not in _STRATEGIES:
        _STRATEGIES[cluster] = tf.distribute.MultiWorkerMirroredStrategy()
    strategy = _STRATEGIES[cluster]
    if strategy.num_replicas_in_sync != cluster.workers:
        raise _refuse(
            "run several devices per worker; give each worker process one GPU "
            "(CUDA_VISIBLE_DEVICES) or none",
            f"{strategy.num_replicas_in_sync} replicas for {cluster.workers} workers")
    kind = "gpu" if gpus else "cpu"
    hardware = describe_gpus(gpus)[0] if gpus else (platform.processor()
                                                        or platform.machine() or "CPU")
    return Accelerator(
        strategy=strategy, replicas=int(strategy.num_replicas_in_sync),
        devices=[f"/job:{cluster.task_type}/task:{cluster.task_index}/{kind}:0"], kind=kind,
        mixed_precision="float32", jit_compile=False,
        deterministic=(kind == "cpu") if deterministic == "auto" else bool(deterministic),
        description=(f"{cluster.workers} workers (MultiWorkerMirroredStrategy), one "
                     f"{kind.upper()} each ({hardware} here)"),
    )


def _worker_rows(dataset, index: int, count: int, batch_size: int):
    """Rows ``[index*b, (index+1)*b)`` of every global batch, with the global batch's size."""
    import tensorflow as tf

    rows = batch_size // count

    def take(images, labels):
        size = tf.shape(labels)[0]
        start = tf.minimum(index * rows, size)
        stop = tf.minimum(start + rows, size)
        return images[start:stop], labels[start:stop], size

    return dataset.map(take)


def _step_functions(net, strategy):
    """The ``tf.function`` train and test steps: each runs on every replica and returns the
    global (loss sum, correct count, rows) of its batch."""
    import keras
    import tensorflow as tf

    per_example = keras.losses.SparseCategoricalCrossentropy(
        from_logits=getattr(net.loss, "from_logits", False), reduction=None)
    optimizer = net.optimizer

    def sums(labels, probabilities, losses):
        """Loss sum and correct count of this replica's rows."""
        correct = tf.cast(tf.argmax(probabilities, axis=-1, output_type=labels.dtype)
                          == labels, tf.float32)
        return tf.reduce_sum(losses), tf.reduce_sum(correct)

    def replica_train_step(images, labels, global_size):
        with tf.GradientTape() as tape:
            probabilities = net(images, training=True)
            losses = per_example(labels, probabilities)
            regularization = tf.add_n([tf.reduce_sum(v) for v in net.losses]) \
                if net.losses else tf.constant(0.0)
            loss = (tf.nn.compute_average_loss(losses, global_batch_size=global_size)
                    + tf.nn.scale_regularization_loss(regularization))
        gradients = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(gradients, net.trainable_variables))  # sums across replicas
        loss_sum, correct = sums(labels, probabilities, losses)
        rows = tf.cast(tf.shape(labels)[0], tf.float32)
        # Keras' train loss is the batch-size-weighted mean of (mean loss + weight-decay term).
        return loss_sum + rows * regularization, correct, rows

    def replica_test_step(images, labels, _):
        probabilities = net(images, training=False)
        losses = per_example(labels, probabilities)
        loss_sum, correct = sums(labels, probabilities, losses)
        return loss_sum, correct, tf.cast(tf.shape(labels)[0], tf.float32)

    def reduced(step):
        @tf.function
        def run(batch):
            outputs = strategy.run(step, args=batch)
            return [strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in outputs]
        return run

    return reduced(replica_train_step), reduced(replica_test_step)


def fit(net, data, *, strategy, seed: int, epochs: int, worker: int = 0, verbose: int = 2,
        title: str = "") -> list[dict]:
    """Train ``net`` (compiled under ``strategy.scope()``) on ``data`` for ``epochs`` (no resumption).

    Dropout is reseeded from ``seed + worker * WORKER_SEED_STRIDE`` (different rows, different masks).
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from course_lib.data import epoch_stream
    from course_lib.train.callbacks import EpochHistory, EpochReseed

    batch_size = data.batch_size

    def train_input(context):
        stream = epoch_stream(data, seed=seed, start_epoch=0, epochs=epochs)
        return _worker_rows(stream, context.input_pipeline_id, context.num_input_pipelines,
                            batch_size)

    def test_input(context):
        return _worker_rows(data.test, context.input_pipeline_id,
                            context.num_input_pipelines, data.test_batch_size)

    train_step, test_step = _step_functions(net, strategy)
    train_batches = iter(strategy.distribute_datasets_from_function(train_input))
    test_batches = strategy.distribute_datasets_from_function(test_input)
    # The one-device run's bookkeeping, driven through the same Keras callback hooks.
    reseed, log = EpochReseed(seed + worker * WORKER_SEED_STRIDE), EpochHistory()
    for callback in (reseed, log):
        callback.set_model(net)
    for epoch in range(epochs):
        reseed.on_epoch_begin(epoch)
        log.on_epoch_begin(epoch)
        totals = np.zeros(3)
        for _ in range(data.steps_per_epoch):
            totals += [float(v) for v in train_step(next(train_batches))]
        log.on_test_begin()
        test_totals = np.zeros(3)
        for batch in test_batches:
            test_totals += [float(v) for v in test_step(batch)]
        regularization = float(sum(keras.ops.sum(v) for v in net.losses)) if net.losses else 0.0
        logs = {"loss": totals[0] / totals[2], "accuracy": totals[1] / totals[2],
                "val_loss": test_totals[0] / test_totals[2] + regularization,
                "val_accuracy": test_totals[1] / test_totals[2]}
        log.on_test_end()
        log.on_epoch_end(epoch, logs)
        entry = log.history[-1]
        if verbose:
            print(f"{title}: epoch {epoch + 1}/{epochs} | loss {logs['loss']:.4f} | "
                  f"test error {entry['test_error_pct']:.2f}% | {entry['seconds']:.1f} s",
                  flush=True)
    return log.history


def barrier(strategy) -> None:
    """Wait until every worker gets here (a collective sum of ones, checked)."""
    import tensorflow as tf

    count = strategy.reduce(tf.distribute.ReduceOp.SUM,
                            strategy.run(lambda: tf.constant(1.0)), axis=None)
    if int(count) != strategy.num_replicas_in_sync:
        raise RuntimeError(f"Barrier counted {int(count)} of {strategy.num_replicas_in_sync} "
                           "workers.")


def local_copy(net):
    """A one-device compiled copy of ``net``, outside the strategy (no collectives to score or save)."""
    import keras

    copy = keras.models.clone_model(net)
    copy.set_weights(net.get_weights())
    for source, target in zip(net.trainable_variables, copy.trainable_variables):
        target.regularizer = source.regularizer
    copy.compile(loss=net.loss, metrics=["accuracy"])
    if hasattr(net, "width_multiplier"):
        copy.width_multiplier = net.width_multiplier
    return copy
