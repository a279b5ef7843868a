"""Seed 000: the CNN and RCNN of "parameter distribution across low and high layers".

The paper (seed 000, Figs. 1-2 and Tables 1-3) trains two five-stage networks whose only
difference between variants is the width list ``(conv1, L2, L3, L4, L5)``; at a fixed total
budget, moving parameters from the *low* layers (conv1 + L2) to the *high* layers (L3..L5)
lowers the test error. This module builds both families from any width list
(:func:`param_net`), registers the twelve named variants of Table 1 (``CNN-A1`` .. ``RCNN-B3``)
and splits a built model's parameters into low/high groups (:func:`param_groups`).

Architecture (seed 000, section 2):

* CNN (Fig. 1): ``conv1`` 5x5 pad 2 -> ReLU -> maxpool 3x3/2 -> LRN -> ``conv2`` 3x3 -> ReLU ->
  ``conv3`` 3x3 -> ReLU -> maxpool 3x3/2 -> LRN -> ``conv4`` 3x3 -> ReLU -> ``conv5`` 3x3 -> ReLU ->
  global max pool -> ``fc`` -> softmax. Every conv has stride 1 and keeps the spatial size.
* RCNN (Fig. 2, the network of Liang & Hu, CVPR 2015): ``conv1`` 5x5 -> ReLU -> LRN ->
  maxpool 3x3/2 -> ``rcl1`` -> ``rcl2`` -> maxpool 3x3/2 -> ``rcl3`` -> ``rcl4`` -> global max
  pool -> ``fc`` -> softmax, where each RCL is a :class:`course_lib.layers.RecurrentConv2D`
  (3x3 feed-forward and recurrent kernels, unrolled ``iterations=3`` steps, ReLU + LRN on
  every state).

Choices the seed leaves open (all are arguments):

* Pool padding: ``"same"``. The seed trained with cuda-convnet2, whose overlapping 3x3/2
  pools start at pixel 0 and let the last window run over the border, giving
  ``ceil((32 - 3) / 2) + 1 = 16`` outputs; Keras' ``"same"`` places its single padding
  pixel at the end and gives the same windows (32 -> 16 -> 8). ``"valid"`` gives 32 -> 15 -> 7.
* LRN: the seed names LRN but gives no constants. We use Liang & Hu's cuda-convnet2 setting
  for both families: window ``N = K // 8 + 1`` channels for a ``K``-channel input,
  ``alpha = 0.001`` divided by ``N`` (``alpha_mode="mean"``), ``beta = 0.75``,
  ``k = 1``. These come from the digest of Liang & Hu, not from seed 000.
* Dropout: the seed is silent; Liang & Hu put dropout after the pooling layers. We apply
  ``dropout`` (default 0.5) after each of the two 3x3 pooling stages in both families so that
  CNN and RCNN differ only in recurrence. Pass ``dropout=0.0`` to remove it.
* The classifier ends in ``classifier_activation`` (default ``"softmax"``, as
  ``keras.applications`` does); pass ``None`` for logits.
* ``width_multiplier`` scales the five widths (rounded, at least 1); the model keeps its name.

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
    """Liang & Hu's LRN window for a ``channels``-wide layer: ``channels // 8 + 1``.

    The same rule as :class:`course_lib.layers.RecurrentConv2D`'s default. For the widths of
    seed 000 (multiples of 16) the window is odd, hence centred on each channel.
    """
    return int(channels) // 8 + 1


def _check_widths(widths) -> tuple[int, ...]:
    hint = "Five of them: conv1, L2, L3, L4, L5, e.g. (96, 96, 192, 192, 192)."
    if isinstance(widths, Sequence) and len(widths) != 5:
        raise ValueError(f"`widths` must hold 5 integers >= 1. {hint} Received: widths={widths!r}")
    return ints("widths", widths, hint=hint)


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
    """Build the seed-000 CNN (``recurrent=False``) or RCNN (``recurrent=True``).

    Args:
        widths: five channel counts ``(conv1, L2, L3, L4, L5)``; L2..L5 are ``conv2..conv5``
            for the CNN and ``rcl1..rcl4`` for the RCNN.
        recurrent: ``False`` for the CNN of Fig. 1, ``True`` for the RCNN of Fig. 2.
        num_classes: number of classes of the ``fc`` softmax layer.
        input_shape: ``(height, width, channels)``; the paper uses 32x32x3.
        width_multiplier: scales the five ``widths`` (rounded, at least 1).
        iterations: RCL unrolling steps ``T`` (RCNN only; the paper uses 3).
        dropout: rate of the dropout applied after each 3x3 pooling stage; 0 disables it.
        pool_padding: ``"same"`` (cuda-convnet2 windows, 32 -> 16 -> 8) or ``"valid"``.
        lrn_size: LRN window in channels; ``None`` uses :func:`lrn_window` of each layer's
            channel count (Liang & Hu's ``K // 8 + 1``).
        lrn_alpha: LRN scale ``alpha``.
        lrn_beta: LRN exponent ``beta``.
        lrn_k: LRN additive constant ``k``.
        lrn_alpha_mode: ``"mean"`` (alpha divided by the window, cuda-convnet/Caffe) or
            ``"sum"`` (alpha on the plain sum, AlexNet paper / TensorFlow).
        kernel_initializer: initializer of every convolution kernel.
        classifier_activation: activation of ``fc``; ``None`` returns logits.
        name: model name; defaults to ``"CNN-<widths>"`` / ``"RCNN-<widths>"`` (the widths
            as given, before ``width_multiplier``).

    Returns:
        An uncompiled ``keras.Model`` whose parameterised layers are named ``conv1``..``conv5``
        (CNN) or ``conv1``, ``rcl1``..``rcl4`` (RCNN), and ``fc``; ``model.width_multiplier``
        records the multiplier.

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

    def lrn_kwargs(channels: int) -> dict:
        return dict(
            size=lrn_window(channels) if lrn_size is None else lrn_size,
            alpha=lrn_alpha,
            beta=lrn_beta,
            k=lrn_k,
            alpha_mode=lrn_alpha_mode,
        )

    def pool(x, idx):
        x = keras.layers.MaxPooling2D(3, strides=2, padding=pool_padding, name=f"pool{idx}")(x)
        return x

    def drop(x, idx):
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"drop{idx}")(x)
        return x

    def conv(x, filters, size, name):
        return keras.layers.Conv2D(
            filters, size, padding="same", activation="relu",
            kernel_initializer=kernel_initializer, name=name,
        )(x)

    inputs = keras.Input(shape=input_shape, name="image")
    w1, w2, w3, w4, w5 = (scaled(w, width_multiplier) for w in widths)
    if not recurrent:
        x = conv(inputs, w1, 5, "conv1")
        x = pool(x, 1)
        x = LRN(**lrn_kwargs(w1), name="lrn1")(x)
        x = drop(x, 1)
        x = conv(x, w2, 3, "conv2")
        x = conv(x, w3, 3, "conv3")
        x = pool(x, 2)
        x = LRN(**lrn_kwargs(w3), name="lrn2")(x)
        x = drop(x, 2)
        x = conv(x, w4, 3, "conv4")
        x = conv(x, w5, 3, "conv5")
    else:
        def rcl(x, filters, idx):
            lk = lrn_kwargs(filters)
            return RecurrentConv2D(
                filters,
                kernel_size=3,
                iterations=iterations,
                activation="relu",
                use_lrn=True,
                lrn_size=lk["size"],
                lrn_alpha=lk["alpha"],
                lrn_beta=lk["beta"],
                lrn_k=lk["k"],
                lrn_alpha_mode=lk["alpha_mode"],
                kernel_initializer=kernel_initializer,
                recurrent_initializer=kernel_initializer,
                name=f"rcl{idx}",
            )(x)

        x = conv(inputs, w1, 5, "conv1")
        x = LRN(**lrn_kwargs(w1), name="lrn1")(x)
        x = pool(x, 1)
        x = drop(x, 1)
        x = rcl(x, w2, 1)
        x = rcl(x, w3, 2)
        x = pool(x, 2)
        x = drop(x, 2)
        x = rcl(x, w4, 3)
        x = rcl(x, w5, 4)
    x = keras.layers.GlobalMaxPooling2D(name="global_max_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="fc")(x)
    if name is None:
        name = ("RCNN-" if recurrent else "CNN-") + "-".join(str(w) for w in widths)
    return finish(inputs, outputs, name, width_multiplier)


def param_groups(model: keras.Model) -> dict[str, int]:
    """Split a seed-000 model's parameters into the paper's low and high groups.

    Low = ``conv1 + conv2`` for the CNN, ``conv1 + rcl1`` for the RCNN (seed 000, Figs. 1-2);
    high = every other parameter of the model, the classifier ``fc`` included.

    Args:
        model: a model built by :func:`param_net` (or any model with layers named
            ``conv1`` and ``conv2``, or ``conv1`` and ``rcl1``).

    Returns:
        ``{"low": int, "high": int, "total": int}`` with ``low + high == total ==
        model.count_params()``.

    Raises:
        ValueError: the model has no ``conv1`` + ``conv2`` / ``rcl1`` layers.

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
