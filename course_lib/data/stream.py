"""The runner's training stream: epoch ``e`` depends only on (seed, e), so a resumed run draws
the same batches (see :func:`course_lib.data.preprocess.shuffled_batches`, which ``load`` uses
too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import tensorflow as tf

from course_lib.data.loaders import _prepare, in_order
from course_lib.data.preprocess import shuffled_batches

__all__ = ["RunData", "load_run_data", "epoch_stream"]


@dataclass
class RunData:
    """What the runner needs from a dataset: ``raw`` unbatched uint8 training ``(image, label)``
    pairs in file order, the batch ``preprocess(images, labels, aug_seed=None)``, the batched
    ``test`` pipeline (file order, known length), the ``DatasetInfo`` and the stream's settings."""

    raw: Any
    preprocess: Callable
    test: Any
    num_train: int
    num_test: int
    info: Any
    batch_size: int
    augment: bool
    flip: bool

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.num_train / self.batch_size)

    @property
    def examples(self) -> tf.data.Dataset:
        """The preprocessed, unaugmented training pairs in file order (unbatched)."""
        return in_order(self.raw, self.batch_size, self.preprocess).unbatch()


def load_run_data(dataset: str, *, batch_size: int, augment: bool, seed: int,
                  extra: bool | None, train_limit: int | None = None,
                  test_limit: int | None = None, data_dir=None) -> RunData:
    """Load ``dataset`` for :func:`epoch_stream`.

    Args:
        dataset, batch_size, seed, train_limit, test_limit, data_dir: as in
            ``course_lib.data.load``.
        augment: whether :func:`epoch_stream` augments.
        extra: ``svhn``: True (train + extra, seed 000) or False (train only, SimpNet), no
            default so that no experiment inherits one silently; other datasets: None.

    Returns:
        A ``RunData``.

    Raises:
        ValueError, DatasetUnavailableError: as ``load``.

    Example:

    >>> load_run_data("fashion_mnist32", batch_size=128, augment=True, seed=0, extra=None,
    ...               train_limit=2000).steps_per_epoch  # doctest: +SKIP
    16
    """
    if dataset == "svhn" and extra not in (True, False):
        raise ValueError("`extra` must be True (train + extra) or False (train only) for "
                         f"'svhn'. Received: extra={extra!r}")
    if dataset != "svhn" and extra is not None:
        raise ValueError(f"`extra` applies to 'svhn' only; pass None for {dataset!r}. "
                         f"Received: extra={extra!r}")
    datasets, preprocess, info = _prepare(
        dataset, batch_size, seed=seed, train_limit=train_limit, test_limit=test_limit,
        data_dir=data_dir, **({"extra": extra} if dataset == "svhn" else {}))
    num_test = info.num_examples["test"]
    # A known length sizes Keras' progress bar and spares it a "ran out of data" warning.
    test = in_order(datasets["test"], info.batch_size, preprocess).apply(
        tf.data.experimental.assert_cardinality(math.ceil(num_test / info.batch_size)))
    return RunData(raw=datasets["train"], preprocess=preprocess, test=test,
                   num_train=int(info.num_examples["train"]), num_test=int(num_test), info=info,
                   batch_size=info.batch_size, augment=bool(augment), flip=bool(info.flip))


def epoch_stream(run: RunData, *, seed: int, start_epoch: int, epochs: int) -> tf.data.Dataset:
    """Batches of epochs ``start_epoch .. epochs - 1``; epoch ``e`` depends only on (seed, e).

    Args:
        run: from :func:`load_run_data`.
        seed: the run's seed.
        start_epoch: first epoch (a resumed run's), in ``[0, epochs)``.
        epochs: one past the last epoch; ``Model.fit`` keeps one iterator for the whole run.

    Returns:
        ``(images, labels)`` batches, ``run.steps_per_epoch`` per epoch.

    Raises:
        ValueError: ``start_epoch`` is not in ``[0, epochs)``.

    Example:

    >>> model.fit(epoch_stream(run, seed=0, start_epoch=0, epochs=30), epochs=30,
    ...           steps_per_epoch=run.steps_per_epoch)  # doctest: +SKIP
    """
    if not 0 <= start_epoch < epochs:
        raise ValueError(f"`start_epoch` must be in [0, epochs={epochs}). "
                         f"Received: start_epoch={start_epoch!r}")

    def one_epoch(epoch):
        # Traced: sets this function's graph seed only. With a graph seed of 0 (after
        # keras.utils.set_random_seed(0)) tf.data fails on a tensor shuffle seed.
        tf.random.set_seed(seed + 1)
        return shuffled_batches(run.raw, run.preprocess, num_examples=run.num_train,
                                batch_size=run.batch_size, seed=seed, augment=run.augment,
                                epoch=epoch)

    return tf.data.Dataset.range(start_epoch, epochs).flat_map(one_epoch).prefetch(
        tf.data.AUTOTUNE)
