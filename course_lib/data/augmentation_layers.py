"""The training augmentation as a stack of Keras preprocessing layers, defined here and only here.

SimpNet's (seed 002, 5.C; He et al. 2016, 4.2): zero-pad 4, random crop, mirror with
probability 1/2. ``RandomTranslation`` with zero fill is exactly pad-and-crop per image
(``RandomCrop`` uses one offset per batch). Applied after mean subtraction with per-batch
seeds, so a resumed run draws the same crops and flips.

Example:

>>> import numpy as np
>>> stack = augmentation((32, 32, 3), seed=0)
>>> [layer.__class__.__name__ for layer in stack.layers]
['RandomTranslation', 'RandomFlip']
>>> images = np.random.default_rng(0).uniform(size=(8, 32, 32, 3)).astype("float32")
>>> stack(images, training=True).shape
TensorShape([8, 32, 32, 3])
>>> bool(np.array_equal(stack(images, training=False), images))  # off at inference
True
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["augmentation", "augment_batch", "PADDING"]

PADDING = 4  # pixels per side (SimpNet, and the common CIFAR practice)


def _shape(input_shape) -> tuple[int, int, int]:
    ok = (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3
          and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in input_shape))
    if not ok:
        raise ValueError("`input_shape` must be (height, width, channels), three ints >= 1. "
                         f"Received: input_shape={input_shape!r}")
    return tuple(input_shape)


def augmentation(input_shape=(32, 32, 3), *, padding: int = PADDING, flip: bool = True,
                 seed: int | None = None) -> keras.Sequential:
    """The training augmentation as a ``keras.Sequential`` named ``"augmentation"`` (float32).

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        padding: pixels per side, >= 0.
        flip: mirror horizontally.
        seed: for direct calls. None: Keras draws one from Python's ``random``, which shifts the
            seeds of later unseeded layers (a model built next gets other initial weights).

    Example:

    >>> stack = augmentation((28, 28, 1), flip=False, seed=1)
    >>> [layer.name for layer in stack.layers]
    ['random_shift']
    """
    height, width, _ = _shape(input_shape)
    if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
        raise ValueError(f"`padding` must be an int >= 0. Received: padding={padding!r}")
    if padding >= min(height, width):
        raise ValueError(f"`padding` must be smaller than the image ({height}x{width}). "
                         f"Received: padding={padding!r}")
    if not isinstance(flip, bool):
        raise ValueError(f"`flip` must be True or False. Received: flip={flip!r}")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ValueError(f"`seed` must be None or an int >= 0. Received: seed={seed!r}")
    layers = [keras.Input(shape=tuple(input_shape), name="augmentation_input")]
    if padding:
        # Shifts uniform on [-(p + 1/2), p + 1/2) pixels, rounded to the nearest pixel by the
        # "nearest" interpolation: each of -p..p with probability 1 / (2p + 1).
        layers.append(keras.layers.RandomTranslation(
            height_factor=(padding + 0.5) / height, width_factor=(padding + 0.5) / width,
            fill_mode="constant", fill_value=0.0, interpolation="nearest", seed=seed,
            dtype="float32", name="random_shift"))
    if flip:
        layers.append(keras.layers.RandomFlip(
            "horizontal", seed=None if seed is None else seed + 1, dtype="float32",
            name="random_flip"))
    return keras.Sequential(layers, name="augmentation")


class _BatchSeeds(keras.random.SeedGenerator):
    """Stateless seeds from a batch's seed: ``next()`` number ``i`` is ``stateless_fold_in(seed, i)``.

    No variable is read or written (keeps ``tf.data``'s parallel map deterministic), and
    ``SeedGenerator.__init__`` is skipped: it creates a variable, not allowed in a traced function.
    """

    def __init__(self, seed):  # noqa: D107 -- deliberately no super().__init__ (see above)
        self.name = "batch_seeds"
        self._seed = tf.cast(seed, tf.int64)
        self._draws = 0

    def next(self, ordered=True):
        del ordered
        out = tf.random.experimental.stateless_fold_in(self._seed, self._draws)
        self._draws += 1
        return out


def augment_batch(stack: keras.Sequential, images, seed) -> tf.Tensor:
    """``images`` through ``stack`` in training mode, all randomness from ``seed`` (int tensor (2,)).

    Raises:
        ValueError: Keras does not run on the TensorFlow backend.
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError("The tf.data augmentation needs the TensorFlow Keras backend. "
                         f"Received: KERAS_BACKEND={keras.backend.backend()!r}")
    seeds = _BatchSeeds(seed)
    out = tf.convert_to_tensor(images)
    for layer in stack.layers:
        transformation = layer.get_random_transformation(out, training=True, seed=seeds)
        out = layer.transform_images(out, transformation, training=True)
    out.set_shape(images.shape)
    return out
