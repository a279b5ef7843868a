"""Batched preprocessing, and the one shuffle + augmentation of training data.

Augmentation comes after the mean subtraction, so shifted-in zeros are the mean colour.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

__all__ = ["MAX_SHUFFLE_BUFFER", "STEP_SPACE", "pad_and_tile", "scale_images",
           "shuffled_batches", "channel_mean"]

MAX_SHUFFLE_BUFFER = 50_000  # examples: bounded memory on huge splits
STEP_SPACE = 2**20  # batches per epoch before two epochs' augmentation seeds could collide


def pad_and_tile(images: tf.Tensor, size: int = 32, channels: int = 3) -> tf.Tensor:
    """Zero-pad a ``(batch, h, w, 1)`` batch to ``size`` x ``size`` (centred); tile to
    ``channels``."""
    ph, pw = (size - images.shape[1]) // 2, (size - images.shape[2]) // 2
    return tf.tile(tf.pad(images, [[0, 0], [ph, ph], [pw, pw], [0, 0]]), [1, 1, 1, channels])


def scale_images(images: tf.Tensor) -> tf.Tensor:
    """uint8 ``[0, 255]`` to float32 ``[0, 1]``."""
    return tf.cast(images, tf.float32) / 255.0


def shuffled_batches(examples: tf.data.Dataset, preprocess: Callable, *, num_examples: int,
                     batch_size: int, seed: int, augment: bool, epoch=None) -> tf.data.Dataset:
    """Training batches of unbatched raw ``(image, label)`` pairs: the kit's one shuffle, batching
    and preprocessing, with augmentation seeds if ``augment``.

    ``epoch`` None (``load``): a new order every pass. ``epoch`` a scalar tensor (the runner): that
    epoch only, shuffled with seed ``seed * 1000003 + epoch + 1``, batch ``b`` augmented with
    ``(seed, epoch * STEP_SPACE + b)``, so a resumed run draws the same batches.
    """
    buffer = max(1, min(num_examples, MAX_SHUFFLE_BUFFER))
    if epoch is None:
        ds = examples.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    else:
        epoch = tf.cast(epoch, tf.int64)
        ds = examples.shuffle(buffer, seed=tf.cast(seed, tf.int64) * 1_000_003 + epoch + 1,
                              reshuffle_each_iteration=False)
    ds = ds.batch(batch_size)
    if not augment:
        return ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if epoch is None:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    else:
        seeds = tf.data.Dataset.range(STEP_SPACE).map(
            lambda b: tf.stack([tf.cast(seed, tf.int64), epoch * STEP_SPACE + b]))
    return tf.data.Dataset.zip((ds, seeds)).map(
        lambda batch, s: preprocess(batch[0], batch[1], s),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def channel_mean(dataset: tf.data.Dataset,
                 view: Callable[[tf.Tensor], tf.Tensor] | None = None) -> np.ndarray:
    """The float64 per-channel mean, on the [0, 1] scale, of unbatched uint8 ``(image, label)``
    pairs as ``view`` (a batched transform, e.g. ``pad_and_tile``) shows them. Exact: the sums
    are integers."""
    total, count = 0, 0
    for images, _ in dataset.batch(2048):
        images = images if view is None else view(images)
        total = total + tf.reduce_sum(tf.cast(images, tf.int64), axis=[0, 1, 2]).numpy()
        count += int(np.prod(images.shape[:3]))
    if not count:
        raise ValueError("cannot compute a channel mean of an empty training split")
    return total / (count * 255.0)
