"""Batched (vectorised) preprocessing used by the pipelines, and the cached channel mean.

Order applied to every batch (see ``course_lib.data.load``):

1. view: ``fashion_mnist32`` pads 28x28 to 32x32 with 2 zero pixels per side and tiles the
   grey channel to 3 channels (a CIFAR-shaped view of real images);
2. scale uint8 to float32 in [0, 1] (``x / 255``);
3. subtract the per-channel mean of the training split (computed on the [0, 1] scale);
4. training pipeline only, if ``augment``: SimpNet's augmentation (seed 002, section 5:
   zero padding + random crops, mirroring on CIFAR): pad 4 pixels of zeros per side, take a
   random crop of the original size, and optionally flip horizontally with probability 1/2.
   Padding comes after mean subtraction, so padded pixels equal the mean colour;
5. optional bilinear resize (e.g. to 224x224 for VGG-style inputs).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf

__all__ = [
    "pad_and_tile",
    "scale_images",
    "random_pad_crop_flip",
    "channel_mean",
    "cached_channel_mean",
]


def pad_and_tile(images: tf.Tensor, size: int = 32, channels: int = 3) -> tf.Tensor:
    """Zero-pad a batch of images to ``size`` x ``size`` (centred) and tile to ``channels``.

    Args:
        images: ``(batch, h, w, 1)`` tensor with ``h, w <= size`` and ``size - h`` even.
        size: output height and width.
        channels: output channels (the single input channel repeated).

    Returns:
        ``(batch, size, size, channels)`` tensor, same dtype.
    """
    h, w = images.shape[1], images.shape[2]
    if h is None or w is None or h > size or w > size or (size - h) % 2 or (size - w) % 2:
        raise ValueError(
            f"pad_and_tile needs static height/width <= {size} with an even difference. "
            f"Received: images.shape={images.shape}"
        )
    ph, pw = (size - h) // 2, (size - w) // 2
    images = tf.pad(images, [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    return tf.tile(images, [1, 1, 1, channels])


def scale_images(images: tf.Tensor) -> tf.Tensor:
    """uint8 ``[0, 255]`` to float32 ``[0, 1]``."""
    return tf.cast(images, tf.float32) / 255.0


def random_pad_crop_flip(
    images: tf.Tensor, seed: tf.Tensor, padding: int = 4, flip: bool = True
) -> tf.Tensor:
    """SimpNet-style augmentation of a whole batch, one random draw per image.

    Pads ``padding`` zeros on every side, crops a random window of the input size from each
    image (offsets uniform in ``[0, 2 * padding]``), and flips each image horizontally with
    probability 1/2 when ``flip``. Vectorised with ``tf.gather(..., batch_dims=1)``; the
    randomness is stateless, so the same ``seed`` gives the same result.

    Args:
        images: ``(batch, h, w, c)`` float tensor.
        seed: int32/int64 tensor of shape ``(2,)`` for ``tf.random.stateless_*``.
        padding: pixels of zero padding per side (SimpNet and common CIFAR practice: 4).
        flip: whether to flip horizontally (off for digits).

    Returns:
        Tensor with the shape and dtype of ``images``.
    """
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"`padding` must be an int >= 0. Received: padding={padding!r}")
    images = tf.convert_to_tensor(images)
    static = images.shape
    dyn = tf.shape(images)
    batch = dyn[0]
    h = static[1] if static[1] is not None else dyn[1]
    w = static[2] if static[2] is not None else dyn[2]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    out = images
    if padding:
        padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
        dy = tf.random.stateless_uniform(
            [batch], seeds[0], minval=0, maxval=2 * padding + 1, dtype=tf.int32
        )
        dx = tf.random.stateless_uniform(
            [batch], seeds[1], minval=0, maxval=2 * padding + 1, dtype=tf.int32
        )
        rows = dy[:, None] + tf.range(h)[None, :]
        cols = dx[:, None] + tf.range(w)[None, :]
        out = tf.gather(padded, rows, axis=1, batch_dims=1)
        out = tf.gather(out, cols, axis=2, batch_dims=1)
    if flip:
        do_flip = tf.random.stateless_uniform([batch], seeds[2]) < 0.5
        out = tf.where(do_flip[:, None, None, None], tf.reverse(out, axis=[2]), out)
    out.set_shape(static)
    return out


def channel_mean(
    dataset: tf.data.Dataset, view: Callable[[tf.Tensor], tf.Tensor] | None = None
) -> tuple[np.ndarray, int]:
    """Per-channel mean of an image dataset on the [0, 1] scale, in float64.

    Args:
        dataset: unbatched ``(image_uint8, label)`` pairs.
        view: optional batched transform applied before averaging (e.g. ``pad_and_tile``).

    Returns:
        ``(mean, count)``: a float64 array with one value per channel, and the number of
        images.
    """
    total = None
    count = 0
    for images, _ in dataset.batch(2048):
        if view is not None:
            images = view(images)
        s = tf.reduce_sum(tf.cast(images, tf.float64), axis=[0, 1, 2]).numpy()
        total = s if total is None else total + s
        count += int(images.shape[0])
        pixels = int(images.shape[1]) * int(images.shape[2])
    if not count:
        raise ValueError("cannot compute a channel mean of an empty training split")
    return total / (count * pixels * 255.0), count


def _key_path(cache: Path, key: dict) -> Path:
    text = json.dumps(key, sort_keys=True)
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    return cache / "means" / f"{key.get('dataset', 'data')}-{digest}.json"


def cached_channel_mean(
    cache: Path, key: dict, compute: Callable[[], tuple[np.ndarray, int]]
) -> tuple[tuple[float, ...], bool]:
    """The channel mean for ``key``, read from ``cache`` or computed once and stored.

    Stored as a small JSON file ``<cache>/means/<dataset>-<sha1 of key>.json`` that repeats the
    key, so a reader can check what it describes. An unwritable cache only costs a
    recomputation next time (a warning says so).

    Args:
        cache: the loaders' cache folder (``<data_dir>/cache``).
        key: JSON-serialisable description of the training split (dataset, source, split,
            view, size).
        compute: called on a cache miss; returns ``(mean, count)``.

    Returns:
        ``(mean, from_cache)``.
    """
    path = _key_path(Path(cache), key)
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
            if stored.get("key") == key:
                return tuple(float(v) for v in stored["mean"]), True
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable or foreign file: recompute and overwrite
    mean, count = compute()
    record = {"key": key, "mean": [float(v) for v in mean], "num_examples": int(count)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(record, indent=1))
        os.replace(tmp, path)
    except OSError as exc:
        warnings.warn(
            f"could not cache the channel mean at {path} ({exc}); it will be recomputed "
            "next time. Set COURSE_LIB_DATA_DIR to a writable folder to keep it.",
            stacklevel=3,
        )
    return tuple(float(v) for v in mean), False
