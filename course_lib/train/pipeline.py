"""Training data whose order and augmentation depend only on (seed, epoch).

``course_lib.data.load`` shuffles with ``reshuffle_each_iteration=True``: the order of the
k-th pass is the k-th draw of a seed generator that lives as long as the dataset object. A
restarted process starts that sequence again, so a resumed epoch 3 would see the order of
epoch 1. For exact resumption the runner therefore builds its own epoch stream from the data
module's file-order training images (``shuffle_buffer=1`` turns its shuffle into the
identity; ``augment=False`` leaves augmentation to us):

* epoch ``e`` shuffles with the seed ``hash(seed, e)`` (a tensor seed inside ``flat_map``);
* batch ``b`` of epoch ``e`` is augmented with ``course_lib.data.random_pad_crop_flip`` and the
  stateless seed ``(seed, e * 2**20 + b)``, the data module's own augmentation;
* the stream covers epochs ``start_epoch .. epochs - 1`` back to back, so ``Model.fit`` with
  ``steps_per_epoch`` keeps one iterator for the whole run.

Starting the stream at epoch 3 yields exactly the batches an uninterrupted stream yields from
its third epoch on (tested in ``tests/test_train_pipeline.py``).

Memory: the per-epoch shuffle holds up to ``MAX_SHUFFLE_BUFFER`` preprocessed float32 images
(about 600 MB for all of CIFAR-10), four times the data module's uint8 buffer; the price of
an order that does not depend on how many epochs a process has already run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["RunData", "load_run_data", "epoch_stream", "stratified_indices"]

STEP_SPACE = 2**20  # batches per epoch before two epochs' augmentation seeds could collide
MAX_SHUFFLE_BUFFER = 50_000  # as course_lib.data.loaders: bounded memory on huge splits


@dataclass
class RunData:
    """What the runner needs from a dataset.

    Attributes:
        examples: unbatched training ``(image, label)`` pairs in file order, preprocessed.
        test: batched test pipeline in file order.
        num_train: training images used.
        num_test: test images used.
        info: the data module's ``DatasetInfo``.
        batch_size: training and test batch size.
        augment: whether the epoch stream augments.
        flip: whether augmentation flips (the data module's per-dataset default).
    """

    examples: Any
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


def load_run_data(
    dataset: str,
    *,
    batch_size: int,
    augment: bool,
    seed: int,
    extra: bool | None,
    train_limit: int | None = None,
    test_limit: int | None = None,
    data_dir=None,
) -> RunData:
    """Load ``dataset`` with ``course_lib.data.load`` in file order, for :func:`epoch_stream`.

    ``train_limit`` selects the stratified subset that :func:`course_lib.data.load` defines
    (the first images of each class in file order, equal counts) and the per-channel mean is
    that of the selected images, so the same selection gives the same numbers whichever copy of
    the dataset (the whole split, or the subset shipped in ``data/``) it is read from.
    ``test_limit`` keeps the first test images in file order.

    Args:
        extra: ``svhn``: True adds the 531,131-image ``extra`` split to the training pool
            (seed 000, Maxout's protocol), False uses the 73,257 training images only (SimpNet).
            No default, so no experiment inherits one silently (``Experiment.svhn_extra``).
            Other datasets have no extra split: pass None.
    """
    import tensorflow as tf

    from course_lib import data

    if dataset == "svhn" and extra not in (True, False):
        raise ValueError(
            "`extra` must be True (train + extra) or False (train only) for 'svhn'. "
            f"Received: extra={extra!r}"
        )
    if dataset != "svhn" and extra is not None:
        raise ValueError(
            f"`extra` applies to 'svhn' only; pass None for {dataset!r}. Received: extra={extra!r}"
        )
    extra_kwargs = {"extra": extra} if dataset == "svhn" else {}
    splits = data.load(
        dataset, batch_size=batch_size, augment=False, seed=seed, train_limit=train_limit,
        test_limit=test_limit, data_dir=data_dir, shuffle_buffer=1, **extra_kwargs,
    )
    info = splits.info
    num_train = info.num_examples["train"]
    num_test = info.num_examples["test"]
    examples = splits.train.unbatch()
    test = splits.test
    # A known length lets Keras size the progress bar and spares it an "ran out of data"
    # warning at the end of every evaluation.
    test = test.apply(tf.data.experimental.assert_cardinality(math.ceil(num_test / batch_size)))
    return RunData(
        examples=examples, test=test, num_train=int(num_train), num_test=int(num_test),
        info=info, batch_size=int(batch_size), augment=bool(augment), flip=bool(info.flip),
    )


def _epoch_seed(tf, seed: int, epoch):
    """A scalar int64 shuffle seed from (seed, epoch), distinct across epochs and seeds."""
    return tf.cast(seed, tf.int64) * 1_000_003 + tf.cast(epoch, tf.int64) + 1


def epoch_stream(run: RunData, *, seed: int, start_epoch: int, epochs: int):
    """Batches of epochs ``start_epoch .. epochs - 1``; epoch ``e`` depends only on (seed, e).

    Returns:
        A ``tf.data.Dataset`` of ``(images, labels)`` batches, ``steps_per_epoch`` per epoch.
    """
    import tensorflow as tf

    from course_lib.data import random_pad_crop_flip

    if not 0 <= start_epoch < epochs:
        raise ValueError(
            f"`start_epoch` must be in [0, epochs={epochs}). Received: start_epoch={start_epoch!r}"
        )
    buffer = max(1, min(run.num_train, MAX_SHUFFLE_BUFFER))
    examples, batch_size, augment, flip = run.examples, run.batch_size, run.augment, run.flip

    def one_epoch(epoch):
        # Traced in graph mode, so this sets the seed of this function's graph only (not the
        # process-wide one). Needed because with a graph seed of 0 (e.g. after
        # keras.utils.set_random_seed(0)) tf.data compares the tensor seed below with 0 in
        # Python and fails; any fixed non-zero value keeps the order a function of (seed, e).
        tf.random.set_seed(seed + 1)
        ds = examples.shuffle(buffer, seed=_epoch_seed(tf, seed, epoch),
                              reshuffle_each_iteration=False)
        ds = ds.batch(batch_size)
        if augment:
            def aug(index, batch):
                images, labels = batch
                step_seed = tf.stack([tf.cast(seed, tf.int64),
                                      tf.cast(epoch, tf.int64) * STEP_SPACE + index])
                return random_pad_crop_flip(images, step_seed, padding=4, flip=flip), labels

            ds = ds.enumerate().map(aug, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds

    stream = tf.data.Dataset.range(start_epoch, epochs).flat_map(one_epoch)
    return stream.prefetch(tf.data.AUTOTUNE)
