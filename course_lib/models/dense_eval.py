"""Dense (fully convolutional) evaluation of a VGG-style network (seed 001, section 3.2).

FC1 becomes a conv covering the final feature map, FC2/FC3 1x1 convs; the score map of the
rescaled image is averaged (CS231n, seed 003: "converting FC layers to CONV layers").

Reference: K. Simonyan and A. Zisserman, ICLR 2015, section 3.2 (seed 001).
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

from course_lib.validation import positive_int

__all__ = ["to_fully_convolutional", "dense_scores"]

_HEAD_PASSTHROUGH = (keras.layers.Dropout, keras.layers.Activation, keras.layers.ReLU)


def _chain_layers(model: keras.Model) -> list:
    """The model's layers (InputLayer excluded) if they form a single chain, else raise."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not layers:
        raise ValueError(
            "to_fully_convolutional() needs a single-input, single-output chain model "
            f"(each layer feeding the next). Received: model={model.name!r}"
        )
    previous = model.inputs[0]
    for layer in layers:
        if layer.input is not previous:
            raise ValueError(
                "to_fully_convolutional() needs a chain model in which each layer feeds only "
                f"the next; layer {layer.name!r} breaks the chain. Received: model={model.name!r}"
            )
        previous = layer.output
    return layers


def _clone(layer):
    return type(layer).from_config(layer.get_config())


def to_fully_convolutional(model: keras.Model, name: str | None = None) -> keras.Model:
    """Convert a model's fully connected head into convolutions, copying the weights.

    The new model takes any input at least the original size and outputs a score map (1x1 and
    equal scores at the original size). The original model is unchanged.

    Raises:
        ValueError: not a chain, no ``Flatten``, or a head layer with no conv equivalent.

    Example:

    >>> from course_lib.models.vgg import vgg_cifar
    >>> fc = to_fully_convolutional(vgg_cifar("A"))
    >>> fc(np.zeros((1, 64, 64, 3), "float32")).shape
    TensorShape([1, 2, 2, 10])
    """
    layers = _chain_layers(model)
    flatten_idx = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Flatten)]
    if len(flatten_idx) != 1:
        raise ValueError(
            "to_fully_convolutional() needs exactly one Flatten layer between the conv trunk "
            f"and the FC head; found {len(flatten_idx)}. Received: model={model.name!r}"
        )
    f_idx = flatten_idx[0]
    flatten = layers[f_idx]
    if flatten.get_config().get("data_format", "channels_last") != "channels_last":
        raise ValueError("to_fully_convolutional() supports channels_last models only.")
    map_shape = tuple(flatten.input.shape[1:])
    if len(map_shape) != 3 or any(d is None for d in map_shape):
        raise ValueError(
            "The Flatten layer must consume a fixed (height, width, channels) map. "
            f"Received map shape {map_shape} in model={model.name!r}"
        )

    channels = model.inputs[0].shape[-1]
    inputs = keras.Input(shape=(None, None, channels), name="image")
    x = inputs
    for layer in layers[:f_idx]:
        new = _clone(layer)
        x = new(x)
        new.set_weights(layer.get_weights())

    first_dense = True
    for layer in layers[f_idx + 1:]:
        if isinstance(layer, keras.layers.Dense):
            kernel, *bias = layer.get_weights()
            if first_dense:
                h, w, c = map_shape
                kernel_size = (h, w)
                kernel = kernel.reshape(h, w, c, kernel.shape[-1])  # Flatten order is (h, w, c)
                first_dense = False
            else:
                kernel_size = (1, 1)
                kernel = kernel.reshape(1, 1, *kernel.shape)
            cfg = layer.get_config()
            conv = keras.layers.Conv2D(
                cfg["units"], kernel_size, padding="valid", activation=cfg["activation"],
                use_bias=cfg["use_bias"], name=layer.name, dtype=cfg.get("dtype"),
            )
            x = conv(x)
            conv.set_weights([kernel, *bias])
        elif isinstance(layer, _HEAD_PASSTHROUGH):
            x = _clone(layer)(x)
        else:
            raise ValueError(
                f"Layer {layer.name!r} ({type(layer).__name__}) after Flatten has no "
                "convolutional equivalent here; the head may hold only Dense, Dropout, "
                "Activation and ReLU layers."
            )
    if first_dense:
        raise ValueError(f"No Dense layer after Flatten in model={model.name!r}.")
    return keras.Model(inputs, x, name=name or f"{model.name}-fully-conv")


def _smallest_side_size(h: int, w: int, q: int) -> tuple[int, int]:
    scale = q / min(h, w)
    return max(1, int(round(h * scale))), max(1, int(round(w * scale)))


def _resize_smallest_side(images, q: int):
    h, w = int(images.shape[1]), int(images.shape[2])
    size = _smallest_side_size(h, w, q)
    if size == (h, w):
        return images
    return keras.ops.image.resize(images, size, interpolation="bilinear")


def _check_scale(fc_model, h: int, w: int, q) -> None:
    """Raise a clear error when the net cannot run on the image rescaled to ``q``."""
    size = (h, w) if q is None else _smallest_side_size(h, w, q)
    try:
        fc_model.compute_output_shape((1, *size, int(fc_model.inputs[0].shape[-1])))
    except ValueError as error:
        raise ValueError(
            f"`scales`: Q={q} rescales the images to {size[0]}x{size[1]}, smaller than the "
            "network accepts (its pooling leaves no map for the converted FC1 kernel); use "
            "sizes at least the training input size. Received: "
            f"scales containing {q!r}. ({error})"
        ) from None


def _softmax(maps: np.ndarray) -> np.ndarray:
    maps = np.exp(maps - maps.max(axis=-1, keepdims=True))
    return maps / maps.sum(axis=-1, keepdims=True)


def dense_scores(
    fc_model: keras.Model,
    images,
    *,
    scales: Iterable[int] | None = None,
    flip: bool = False,
    batch_size: int = 32,
    from_logits: bool = False,
) -> np.ndarray:
    """Class scores by dense evaluation: spatially averaged score maps (seed 001, 3.2).

    Averaged over space, ``scales`` (smallest sides) and (``flip``) mirrors; always an average of
    posteriors (``from_logits`` applies a softmax first). Returns ``(N, num_classes)``.

    Example:

    >>> from course_lib.models.vgg import vgg_cifar
    >>> fc = to_fully_convolutional(vgg_cifar("A"))
    >>> dense_scores(fc, np.zeros((2, 32, 32, 3), "float32"), scales=(32, 48), flip=True).shape
    (2, 10)
    """
    images = keras.ops.convert_to_tensor(images)
    if len(images.shape) != 4:
        raise ValueError(
            f"`images` must be a batch (N, H, W, C). Received: images.shape={tuple(images.shape)}"
        )
    positive_int("batch_size", batch_size)
    scales = [None] if scales is None else [int(q) for q in scales]
    if not scales or any(q is not None and q < 1 for q in scales):
        raise ValueError(f"`scales` must hold positive sizes. Received: scales={scales!r}")
    if from_logits not in (True, False):
        raise ValueError(
            f"`from_logits` must be True or False. Received: from_logits={from_logits!r}"
        )
    h, w = int(images.shape[1]), int(images.shape[2])
    for q in scales:
        _check_scale(fc_model, h, w, q)
    images = keras.ops.cast(images, fc_model.inputs[0].dtype)

    total = None
    n_views = 0
    for q in scales:
        view = images if q is None else _resize_smallest_side(images, q)
        for flipped in (False, True) if flip else (False,):
            batch = keras.ops.flip(view, axis=2) if flipped else view
            # Direct calls, not predict(): every scale is a new input shape, and predict()
            # would retrace its compiled function for each one.
            maps = np.concatenate([
                keras.ops.convert_to_numpy(fc_model(batch[i:i + batch_size], training=False))
                for i in range(0, int(batch.shape[0]), batch_size)
            ])
            maps = maps.reshape(maps.shape[0], -1, maps.shape[-1]).astype(np.float64)
            scores = (_softmax(maps) if from_logits else maps).mean(axis=1)
            total = scores if total is None else total + scores
            n_views += 1
    return total / n_views
