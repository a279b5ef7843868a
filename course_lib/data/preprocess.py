"""Batched preprocessing, the one shuffle + augmentation of training data, the cached mean.

Per batch: (1) ``fashion_mnist32``'s view: zero-pad 28x28 to 32x32, tile grey to 3 channels;
(2) scale uint8 to float32 in [0, 1]; (3) subtract the training split's per-channel mean; (4)
training only, if ``augment``: SimpNet's augmentation (seed 002, section 5): pad 4 zeros per
side (after the mean subtraction, so they equal the mean colour), random crop, optional flip;
(5) optional bilinear resize (e.g. to 224x224 for VGG-style inputs).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf

from course_lib.core import write_json_atomic

__all__ = ["MAX_SHUFFLE_BUFFER", "STEP_SPACE", "pad_and_tile", "scale_images",
           "random_pad_crop_flip", "shuffled_batches", "channel_mean", "json_cache",
           "cached_channel_mean"]

#: Largest shuffle buffer (examples): bounded memory on huge splits.
MAX_SHUFFLE_BUFFER = 50_000
#: Batches per epoch before two epochs' augmentation seeds could collide.
STEP_SPACE = 2**20


def pad_and_tile(images: tf.Tensor, size: int = 32, channels: int = 3) -> tf.Tensor:
    """Zero-pad a batch of images to ``size`` x ``size`` (centred) and tile to ``channels``.

    Args:
        images: ``(batch, h, w, 1)`` with static ``h, w <= size`` and ``size - h`` even.
        size: output height and width.
        channels: output channels (the input channel repeated).
    """
    h, w = images.shape[1], images.shape[2]
    if h is None or w is None or h > size or w > size or (size - h) % 2 or (size - w) % 2:
        raise ValueError(
            f"pad_and_tile needs static height/width <= {size} with an even difference. "
            f"Received: images.shape={images.shape}"
        )
    ph, pw = (size - h) // 2, (size - w) // 2
    return tf.tile(tf.pad(images, [[0, 0], [ph, ph], [pw, pw], [0, 0]]), [1, 1, 1, channels])


def scale_images(images: tf.Tensor) -> tf.Tensor:
    """uint8 ``[0, 255]`` to float32 ``[0, 1]``."""
    return tf.cast(images, tf.float32) / 255.0


def random_pad_crop_flip(images: tf.Tensor, seed: tf.Tensor, padding: int = 4,
                         flip: bool = True) -> tf.Tensor:
    """Pad ``padding`` zeros per side, crop the input size at offsets uniform in ``[0, 2 *
    padding]``, flip with probability 1/2 if ``flip``: per image, stateless (same seed, same
    result).

    Args:
        images: ``(batch, h, w, c)`` float tensor.
        seed: int tensor of shape ``(2,)`` for ``tf.random.stateless_*``.
        padding: pixels of zero padding per side (SimpNet and common CIFAR practice: 4).
        flip: whether to flip horizontally (off for digits).
    """
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"`padding` must be an int >= 0. Received: padding={padding!r}")
    images = tf.convert_to_tensor(images)
    static, dyn = images.shape, tf.shape(images)
    batch = dyn[0]
    h = static[1] if static[1] is not None else dyn[1]
    w = static[2] if static[2] is not None else dyn[2]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    out = images
    if padding:
        padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
        dy, dx = (tf.random.stateless_uniform([batch], s, minval=0, maxval=2 * padding + 1,
                                              dtype=tf.int32) for s in (seeds[0], seeds[1]))
        out = tf.gather(padded, dy[:, None] + tf.range(h)[None, :], axis=1, batch_dims=1)
        out = tf.gather(out, dx[:, None] + tf.range(w)[None, :], axis=2, batch_dims=1)
    if flip:
        do_flip = tf.random.stateless_uniform([batch], seeds[2]) < 0.5
        out = tf.where(do_flip[:, None, None, None], tf.reverse(out, axis=[2]), out)
    out.set_shape(static)
    return out


def shuffled_batches(examples: tf.data.Dataset, preprocess: Callable, *, num_examples: int,
                     batch_size: int, seed: int, augment: bool, epoch=None,
                     buffer: int | None = None, drop_remainder: bool = False) -> tf.data.Dataset:
    """Training batches: the kit's one shuffle + batch + preprocess + augmentation.

    Args:
        examples: unbatched raw ``(image, label)`` pairs in file order.
        preprocess: ``preprocess(images, labels, aug_seed=None)`` on a batch (augments with a seed).
        num_examples: examples in ``examples`` (sizes the shuffle buffer).
        batch_size: examples per batch.
        seed: seed of the shuffle and the augmentation.
        augment: whether batches are augmented.
        epoch: None: a new order and new augmentation every pass (``load``). A scalar tensor:
            that epoch only, shuffled with seed ``seed * 1000003 + epoch + 1``, batch ``b``
            augmented with the stateless seed ``(seed, epoch * STEP_SPACE + b)`` (the runner).
        buffer: shuffle buffer (default: all examples, at most ``MAX_SHUFFLE_BUFFER``).
        drop_remainder: drop the last partial batch.
    """
    buffer = buffer or max(1, min(num_examples, MAX_SHUFFLE_BUFFER))
    if epoch is None:
        ds = examples.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    else:
        epoch = tf.cast(epoch, tf.int64)
        ds = examples.shuffle(buffer, seed=tf.cast(seed, tf.int64) * 1_000_003 + epoch + 1,
                              reshuffle_each_iteration=False)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
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
                 view: Callable[[tf.Tensor], tf.Tensor] | None = None) -> tuple[np.ndarray, int]:
    """``(mean, count)``: the float64 per-channel mean on the [0, 1] scale, and the images.

    Args:
        dataset: unbatched ``(image_uint8, label)`` pairs.
        view: optional batched transform applied before averaging (e.g. ``pad_and_tile``).
    """
    total, count = 0.0, 0
    for images, _ in dataset.batch(2048):
        images = view(images) if view is not None else images
        total = total + tf.reduce_sum(tf.cast(images, tf.float64), axis=[0, 1, 2]).numpy()
        count += int(images.shape[0])
        pixels = int(images.shape[1]) * int(images.shape[2])
    if not count:
        raise ValueError("cannot compute a channel mean of an empty training split")
    return total / (count * pixels * 255.0), count


def json_cache(path: Path, key: dict, compute: Callable[[], dict], what: str
               ) -> tuple[dict, bool]:
    """``(fields, from_cache)``: ``compute()``'s dict kept at ``path`` as JSON beside ``key``.

    Args:
        path: the cache file (one with another key is recomputed and overwritten).
        key: JSON-serialisable description of what was computed.
        compute: returns a dict of JSON-serialisable fields, called on a miss.
        what: what is cached, for the warning when it cannot be written.
    """
    try:
        stored = json.loads(Path(path).read_text())
        if stored.pop("key") == key:
            return stored, True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing, unreadable or foreign file
    fields = compute()
    try:
        write_json_atomic(path, {"key": key, **fields})
    except OSError as exc:
        warnings.warn(f"could not cache {what} at {path} ({exc}); it will be recomputed next "
                      "time. Set COURSE_LIB_DATA_DIR to a writable folder to keep it.",
                      stacklevel=3)
    return fields, False


def cached_channel_mean(cache: Path, key: dict, compute: Callable[[], tuple[np.ndarray, int]]
                        ) -> tuple[tuple[float, ...], bool]:
    """``(mean, from_cache)``, kept in ``<cache>/means/<dataset>-<sha1 of key>.json``.

    Args:
        cache: the loaders' cache folder (``<data_dir>/cache``).
        key: JSON-serialisable description of the training split.
        compute: called on a miss; returns ``(mean, count)``.
    """
    def fields():
        mean, count = compute()
        return {"mean": [float(v) for v in mean], "num_examples": int(count)}

    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache) / "means" / f"{key.get('dataset', 'data')}-{digest}.json"
    stored, hit = json_cache(path, key, fields, "the channel mean")
    return tuple(float(v) for v in stored["mean"]), hit
