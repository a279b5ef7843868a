"""Seed 000: the CNN and RCNN of "parameter distribution across low and high layers".

Seed 000 (Figs. 1-2, Tables 1-3): at a fixed budget, moving parameters from the low layers
(conv1 + L2) to the high ones (L3..L5) lowers the test error. Builds both families
(:func:`param_net`), registers Table 1's variants (``CNN-A1`` .. ``RCNN-B3``) and splits
parameters (:func:`param_groups`). RCNN: Liang & Hu's RCLs (3x3, ``iterations=3``).

Choices the seed leaves open (all are arguments): pool padding ``"same"`` (cuda-convnet2's
3x3/2 windows: 32 -> 16 -> 8); LRN constants from the digest of Liang & Hu (window
``K // 8 + 1``, ``alpha = 0.001`` "mean", ``beta = 0.75``, ``k = 1``); dropout 0.5 after both
3x3 pools in both families (Liang & Hu's place), so CNN and RCNN differ only in recurrence.

Reference: 岳喜斌 et al., parameter distribution of CNN/RCNN (seed 000); M. Liang and X. Hu,
"Recurrent Convolutional Neural Network for Object Recognition", CVPR 2015.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from course_lib.layers import LRN, RecurrentConv2D
from course_lib.models import registry
from course_lib.validation import boolean, dropout_rate, ints, one_of, positive_int
from course_lib.models.registry import check_core, finish, scaled

__all__ = ["WIDTHS", "param_net", "param_groups", "lrn_window"]

SOURCE = "seed 000, Table 1-3 (widths); Fig. 1 (CNN), Fig. 2 (RCNN)"

#: Width lists ``(conv1, L2, L3, L4, L5)`` of seed 000, Tables 1-3 (identical in all three). In
#: every variant the low layers (conv1, L2) share one width and the high ones (L3..L5) another:
#: ``(low, high)`` per variant, one row per group (A, B) of each family.
_LOW_HIGH = {
    "CNN-A1": (256, 96), "CNN-A2": (160, 160), "CNN-A3": (96, 192),
    "CNN-B1": (256, 160), "CNN-B2": (192, 192), "CNN-B3": (128, 224),
    "RCNN-A1": (192, 128), "RCNN-A2": (160, 160), "RCNN-A3": (96, 192),
    "RCNN-B1": (224, 96), "RCNN-B2": (192, 192), "RCNN-B3": (128, 224),
}
WIDTHS: dict[str, tuple[int, int, int, int, int]] = {
    name: (low, low, high, high, high) for name, (low, high) in _LOW_HIGH.items()}

#: Names of the parameterised layers counted as "low" (seed 000, Figs. 1-2 captions).
LOW_LAYERS = {"cnn": ("conv1", "conv2"), "rcnn": ("conv1", "rcl1")}


def lrn_window(channels: int) -> int:
    """Liang & Hu's LRN window for ``channels`` channels: ``channels // 8 + 1`` (odd for seed 000)."""
    return int(channels) // 8 + 1


def _check_widths(widths) -> tuple[int, ...]:
    hint = "Five of them: conv1, L2, L3, L4, L5, e.g. (96, 96, 192, 192, 192)."
    if isinstance(widths, Sequence) and len(widths) != 5:
        raise ValueError(f"`widths` must hold 5 integers >= 1. {hint} Received: widths={widths!r}")
    return ints("widths", widths, hint=hint)


def _pool(x, idx, pool_padding):
    return keras.layers.MaxPooling2D(3, strides=2, padding=pool_padding, name=f"pool{idx}")(x)


def _lrn(x, channels, lrn, name):
    size = lrn_window(channels) if lrn["size"] is None else lrn["size"]
    return LRN(**{**lrn, "size": size}, name=name)(x)


def _drop(x, idx, dropout):
    return keras.layers.Dropout(dropout, name=f"drop{idx}")(x) if dropout > 0 else x


def _conv(x, filters, size, name, kernel_initializer):
    return keras.layers.Conv2D(filters, size, padding="same", activation="relu",
                               kernel_initializer=kernel_initializer, name=name)(x)


def _cnn_body(x, w, lrn, pool_padding, dropout, init, iterations):
    """Fig. 1: conv1 -> pool -> LRN -> drop -> conv2, conv3 -> pool -> LRN -> drop -> conv4, conv5."""
    x = _conv(x, w[0], 5, "conv1", init)
    for stage, (a, b) in enumerate(((1, 2), (3, 4)), start=1):
        x = _pool(x, stage, pool_padding)
        x = _lrn(x, w[a - 1], lrn, f"lrn{stage}")
        x = _drop(x, stage, dropout)
        x = _conv(x, w[a], 3, f"conv{a + 1}", init)
        x = _conv(x, w[b], 3, f"conv{b + 1}", init)
    return x


def _rcnn_body(x, w, lrn, pool_padding, dropout, init, iterations):
    """Fig. 2: conv1 -> LRN -> pool -> drop -> rcl1, rcl2 -> pool -> drop -> rcl3, rcl4."""
    x = _conv(x, w[0], 5, "conv1", init)
    x = _lrn(x, w[0], lrn, "lrn1")
    for stage in (1, 2):
        x = _pool(x, stage, pool_padding)
        x = _drop(x, stage, dropout)
        for idx in (2 * stage - 1, 2 * stage):
            size = lrn_window(w[idx]) if lrn["size"] is None else lrn["size"]
            lrn_args = {f"lrn_{k}": v for k, v in {**lrn, "size": size}.items()}
            x = RecurrentConv2D(
                w[idx], kernel_size=3, iterations=iterations, activation="relu", use_lrn=True,
                **lrn_args,
                kernel_initializer=init, recurrent_initializer=init, name=f"rcl{idx}")(x)
    return x


def param_net(
    widths: Sequence[int],
    recurrent: bool = False,
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    iterations: int = 3,
    dropout: float = 0.5,
    pool_padding: str = "same",
    lrn_size: int | None = None,
    lrn_alpha: float = 1e-3,
    lrn_beta: float = 0.75,
    lrn_k: float = 1.0,
    lrn_alpha_mode: str = "mean",
    kernel_initializer="glorot_uniform",
    classifier_activation: str | None = "softmax",
    name: str | None = None,
) -> keras.Model:
    """Build the seed-000 CNN (``recurrent=False``, Fig. 1) or RCNN (``recurrent=True``, Fig. 2).

    Args:
        widths: five channel counts ``(conv1, L2, L3, L4, L5)``; L2..L5 are ``conv2..conv5``
            (CNN) or ``rcl1..rcl4`` (RCNN).
        num_classes, input_shape, width_multiplier: as every zoo builder (the paper: 32x32x3).
        iterations: RCL unrolling steps ``T`` (RCNN only; the paper uses 3).
        dropout: rate after each 3x3 pooling stage; 0 disables it.
        pool_padding: ``"same"`` (cuda-convnet2 windows) or ``"valid"`` (32 -> 15 -> 7).
        lrn_size: LRN window; ``None``: :func:`lrn_window` of each layer's channels.
        lrn_alpha, lrn_beta, lrn_k, lrn_alpha_mode: the LRN constants (module docstring).
        classifier_activation: of ``fc``; ``None`` returns logits.

    Example:

    >>> model = param_net((96, 96, 192, 192, 192), recurrent=True)
    >>> param_groups(model)["low"]
    173280
    """
    widths = _check_widths(widths)
    boolean("recurrent", recurrent)
    input_shape, width_multiplier = check_core(num_classes, input_shape, width_multiplier,
                                               classifier_activation)
    dropout_rate("dropout", dropout)
    one_of("pool_padding", pool_padding, ("same", "valid"))
    if lrn_size is not None:
        positive_int("lrn_size", lrn_size, hint="Pass None for each layer's lrn_window.")

    lrn = dict(size=lrn_size, alpha=lrn_alpha, beta=lrn_beta, k=lrn_k, alpha_mode=lrn_alpha_mode)
    w = [scaled(w, width_multiplier) for w in widths]
    inputs = keras.Input(shape=input_shape, name="image")
    body = _rcnn_body if recurrent else _cnn_body
    x = body(inputs, w, lrn, pool_padding, dropout, kernel_initializer, iterations)
    x = keras.layers.GlobalMaxPooling2D(name="global_max_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="fc")(x)
    if name is None:
        name = ("RCNN-" if recurrent else "CNN-") + "-".join(str(w) for w in widths)
    return finish(inputs, outputs, name, width_multiplier)


def param_groups(model: keras.Model) -> dict[str, int]:
    """Split a seed-000 model's parameters into low (``conv1`` + ``conv2``/``rcl1``, Figs. 1-2) and high.

    Returns ``{"low", "high", "total"}``; raises ``ValueError`` without those layers.

    Example:

    >>> param_groups(param_net((160,) * 5))
    {'low': 242720, 'high': 693290, 'total': 936010}
    """
    layer_names = {layer.name for layer in model.layers}
    if {"conv1", "rcl1"} <= layer_names:
        low_names = LOW_LAYERS["rcnn"]
    elif {"conv1", "conv2"} <= layer_names:
        low_names = LOW_LAYERS["cnn"]
    else:
        raise ValueError(
            "param_groups() needs a seed-000 model with layers named 'conv1' and 'conv2' "
            "(CNN) or 'conv1' and 'rcl1' (RCNN), as built by param_net(). "
            f"Received: model={model.name!r} with layers {sorted(layer_names)}"
        )
    low = sum(model.get_layer(n).count_params() for n in low_names)
    total = model.count_params()
    return {"low": int(low), "high": int(total - low), "total": int(total)}


def _register() -> None:
    for zoo_name, widths in WIDTHS.items():
        registry.register(
            zoo_name,
            param_net,
            source=SOURCE,
            input_shape=(32, 32, 3),
            num_classes=10,
            family="param-distribution",
            widths=widths,
            recurrent=zoo_name.startswith("RCNN"),
        )


_register()
