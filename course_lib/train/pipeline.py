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
    train_limit: int | None = None,
    test_limit: int | None = None,
    data_dir=None,
) -> RunData:
    """Load ``dataset`` with ``course_lib.data.load`` in file order, for :func:`epoch_stream`.

    ``train_limit`` selects a stratified subset (:func:`stratified_indices`: the first images
    of each class in file order, equal counts), held in memory; the per-channel mean is then
    that of the selected images, so the same selection gives the same numbers whichever copy
    of the dataset (the whole split or a shipped subset of it) it is read from.
    ``test_limit`` keeps the first test images in file order.
    """
    import dataclasses

    import numpy as np
    import tensorflow as tf

    from course_lib import data

    if train_limit is None:
        splits = data.load(
            dataset, batch_size=batch_size, augment=False, seed=seed, limit=test_limit,
            data_dir=data_dir, shuffle_buffer=1,
        )
        info = splits.info
        examples, test = splits.train.unbatch(), splits.test
        num_train, num_test = info.num_examples["train"], info.num_examples["test"]
    else:
        splits = data.load(
            dataset, batch_size=batch_size, augment=False, seed=seed, data_dir=data_dir,
            shuffle_buffer=1, mean_subtract=False,
        )
        info = splits.info
        images, labels = _stratified_arrays(splits.train, train_limit, info.num_classes)
        mean = images.mean(axis=(0, 1, 2), dtype=np.float64)
        mean_t = tf.constant(mean, tf.float32)
        images -= mean.astype(np.float32)
        examples = tf.data.Dataset.from_tensor_slices((images, labels))
        test = splits.test
        num_test = info.num_examples["test"]
        if test_limit is not None and num_test > test_limit:
            test = test.unbatch().take(test_limit).batch(batch_size)
            num_test = test_limit
        test = test.map(lambda x, y: (x - mean_t, y))
        num_train = len(labels)
        per_class = np.bincount(labels, minlength=info.num_classes)
        info = dataclasses.replace(
            info, mean=tuple(float(m) for m in mean), mean_subtracted=True,
            num_examples={**info.num_examples, "train": num_train, "test": num_test},
            splits={**info.splits, "train": f"{info.splits['train']}, first "
                    f"{int(per_class.max())} per class in file order ({num_train} images)"},
            preprocessing=info.preprocessing.replace(
                "scale uint8 to [0, 1] (x / 255)",
                "scale uint8 to [0, 1] (x / 255); subtract the per-channel mean of the "
                "selected training images"),
        )
    if train_limit is None and test_limit is not None and num_test > test_limit:
        num_test = test_limit
    # A known length lets Keras size the progress bar and spares it an "ran out of data"
    # warning at the end of every evaluation.
    test = test.apply(tf.data.experimental.assert_cardinality(math.ceil(num_test / batch_size)))
    return RunData(
        examples=examples, test=test, num_train=int(num_train), num_test=int(num_test),
        info=info, batch_size=int(batch_size), augment=bool(augment), flip=bool(info.flip),
    )


def stratified_indices(labels, limit: int, num_classes: int, counts=None):
    """Indices of the stratified subset of ``limit`` examples, in file order.

    Walking ``labels`` in order, an example is kept while its class has fewer than
    ``ceil(limit / num_classes)`` kept examples, until ``limit`` are kept. With ``limit`` a
    multiple of ``num_classes`` and enough examples of every class this is exactly the first
    ``limit / num_classes`` examples of each class. ``counts`` (per-class counts kept so
    far, updated in place) lets a stream be selected batch by batch.
    """
    import numpy as np

    labels = np.asarray(labels)
    quota = math.ceil(limit / num_classes)
    counts = np.zeros(num_classes, dtype=np.int64) if counts is None else counts
    keep = []
    for i, label in enumerate(labels):
        if int(counts.sum()) >= limit:
            break
        if counts[label] < quota:
            counts[label] += 1
            keep.append(i)
    return np.asarray(keep, dtype=np.int64)


def _stratified_arrays(train, limit: int, num_classes: int):
    """The stratified subset of a batched, preprocessed training pipeline, as arrays.

    Reads batches only until the subset is complete and keeps only the chosen images.
    """
    import numpy as np

    counts = np.zeros(num_classes, dtype=np.int64)
    images, labels = [], []
    for x, y in train:
        y = np.asarray(y, dtype=np.int32)
        keep = stratified_indices(y, limit, num_classes, counts=counts)
        if len(keep):
            images.append(np.asarray(x, dtype=np.float32)[keep])
            labels.append(y[keep])
        if int(counts.sum()) >= limit:
            break
    return np.concatenate(images), np.concatenate(labels)


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
