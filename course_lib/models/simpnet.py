"""SimpNet (seed 002): the 13-layer principled CNN, its variants and the principle experiments.

Reference: Hasanpour et al., "Towards Principled Design of Deep Convolutional Networks:
Introducing SimpNet", arXiv:1802.06205 (seed 002 is its translation), section 4. Every network
of :data:`course_lib.models.simpnet_archs.ARCHS` is registered at import; builder switches can
be overridden, e.g. ``build("SimpNet", saf=False)``.
"""

from __future__ import annotations

import numbers
from typing import Sequence

import keras

from course_lib.layers import SAFPooling2D
from course_lib.models import registry
from course_lib.validation import (boolean, dropout_rate, in_open_interval, integer, is_int, one_of,
                               positive_int)
from course_lib.models.registry import check_core, finish, scaled
from course_lib.models.simpnet_archs import ARCHS, parse_widths

__all__ = ["build_simpnet", "param_comparison"]

_SIMPNET_WIDTHS = ARCHS["SimpNet"].widths
_SIMPNET_DROPOUT = ARCHS["SimpNet"].dropout
_DOWNSAMPLE_MODES = ("maxpool", "strided")


def _resolve_widths(widths) -> list[int]:
    if isinstance(widths, str):
        return parse_widths(widths)
    if isinstance(widths, Sequence) and len(widths) > 0 and all(is_int(w) and w >= 1 for w in widths):
        return [int(w) for w in widths]
    raise ValueError(
        "`widths` must be a C_x{y} string such as 'C64, C128{3}' or a non-empty sequence of "
        f"positive integers. Received: widths={widths!r}"
    )


def _resolve_kernels(kernel_size, kernel_sizes, n_layers: int) -> list[int]:
    if kernel_size is not None and kernel_sizes is not None:
        raise ValueError(
            "Pass either `kernel_size` (one size for every layer) or `kernel_sizes` (one per layer), "
            "not both; to override a registered per-layer layout pass kernel_sizes=None as well. "
            f"Received: kernel_size={kernel_size!r}, kernel_sizes={kernel_sizes!r}"
        )
    if kernel_sizes is None:
        return [positive_int("kernel_size", 3 if kernel_size is None else kernel_size)] * n_layers
    if (
        isinstance(kernel_sizes, str)
        or not isinstance(kernel_sizes, Sequence)
        or len(kernel_sizes) != n_layers
        or not all(is_int(k) and k >= 1 for k in kernel_sizes)
    ):
        raise ValueError(
            f"`kernel_sizes` must hold one positive integer per conv layer ({n_layers} layers). "
            f"Received: kernel_sizes={kernel_sizes!r}"
        )
    return [int(k) for k in kernel_sizes]


def _resolve_pools(pool_positions, n_layers: int) -> list[int]:
    if isinstance(pool_positions, str) or not isinstance(pool_positions, Sequence):
        raise ValueError(
            "`pool_positions` must be a sequence of 1-based conv indices after which to downsample, "
            f"e.g. (5, 10). Received: pool_positions={pool_positions!r}"
        )
    positions = list(pool_positions)
    if not all(is_int(p) and 1 <= p <= n_layers - 1 for p in positions) or positions != sorted(set(positions)):
        raise ValueError(
            "`pool_positions` must be strictly increasing integers in [1, n_layers - 1] "
            f"(n_layers={n_layers}; the last conv is followed by global max pooling). "
            f"Received: pool_positions={pool_positions!r}"
        )
    return [int(p) for p in positions]


def _resolve_dropout(dropout, n_layers: int) -> list[float]:
    if dropout is None:
        return [0.0] * n_layers
    if isinstance(dropout, numbers.Real) and not isinstance(dropout, bool):
        return [dropout_rate("dropout", dropout)] * n_layers
    if isinstance(dropout, Sequence) and not isinstance(dropout, str) and len(dropout) == n_layers:
        return [dropout_rate(f"dropout[{i}]", r) for i, r in enumerate(dropout)]
    raise ValueError(
        f"`dropout` must be None, one rate in [0, 1), or one rate per conv layer ({n_layers} layers). "
        f"Received: dropout={dropout!r}"
    )


def _check_pool_room(shape, pools, downsample: str) -> None:
    """Raise when a 2x2 max pool meets a map smaller than 2x2 ('same' stride-2 convs round up)."""
    height, width = shape[0], shape[1]
    for position in pools:
        if height is None or width is None:
            break
        if downsample == "maxpool" and (height < 2 or width < 2):
            raise ValueError(
                f"The input is too small for pool_positions={tuple(pools)}: before the pool after conv{position} "
                f"the feature map is {height}x{width}, and 2x2 max pooling needs at least 2x2. "
                f"Received: input_shape={tuple(shape)}"
            )
        height, width = (height // 2, width // 2) if downsample == "maxpool" else (-(-height // 2), -(-width // 2))


def build_simpnet(
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    widths: str | Sequence[int] = _SIMPNET_WIDTHS,
    pool_positions: Sequence[int] = (5, 10),
    kernel_size: int | None = None,
    kernel_sizes: Sequence[int] | None = None,
    saf: bool = True,
    downsample: str = "maxpool",
    dropout: float | Sequence[float] | None = _SIMPNET_DROPOUT,
    dropout_in_downsampling_only: bool = False,
    bn_momentum: float = 0.95,
    bn_epsilon: float = 1e-5,
    use_bias: bool = True,
    kernel_initializer="lecun_uniform",
    kernel_regularizer=None,
    seed: int | None = None,
    classifier_activation: str | None = "softmax",
    name: str = "SimpNet",
) -> keras.Model:
    """Build a SimpNet-style plain CNN: n x [conv-BN-ReLU(-dropout)], 2x2 downsampling, GMP, FC.

    Defaults: the paper's 13-layer CIFAR-10 SimpNet (about 5.48M parameters). Dropout follows the
    official Caffe model: conv ``i`` owns rate ``r_i``, carried by a following downsampling step
    (SAF-pooling, or after a strided conv), by global max pooling for the last conv, else by a
    ``Dropout(r_i)``. Rates of 0 add no layer.

    Args:
        num_classes, input_shape, width_multiplier: as every zoo builder.
        widths: a ``C_x{y}`` string (:func:`course_lib.models.simpnet_archs.parse_widths`) or
            one integer per conv layer.
        pool_positions: 1-based conv indices followed by 2x2 downsampling (Table 5 and S9).
        kernel_size / kernel_sizes: one size for all (default 3) / one per layer (Arch4 v2, Arch5).
        saf: SAF-pooling if True, plain ``MaxPooling2D`` (no dropout) if False.
        downsample: ``"maxpool"`` or ``"strided"`` (3x3 stride-2 conv + BN + ReLU, Table 6, S1.A).
        dropout: ``None``/0, one rate for every slot, or one per conv layer.
        dropout_in_downsampling_only: keep only the downsampling steps' rates (the quick budget).
        bn_momentum, bn_epsilon: Caffe's ``moving_average_fraction`` 0.95 and epsilon 1e-5.
        use_bias: conv biases (the official model keeps them before BN).
        kernel_initializer: ``"lecun_uniform"`` is Caffe's ``xavier`` filler.
        kernel_regularizer: optional, for conv and FC kernels.
        seed: base seed for the dropout layers.
        classifier_activation: applied in float32 (layer ``softmax``); ``None``: logits of ``fc``.
        name: the model's name.

    Example:

    >>> model = build_simpnet(widths="C8{2}, C16{2}", pool_positions=(2,), dropout=0.1)
    >>> model.output_shape
    (None, 10)
    """
    shape, width_multiplier = check_core(num_classes, input_shape, width_multiplier,
                                         classifier_activation)
    layer_widths = [scaled(w, width_multiplier) for w in _resolve_widths(widths)]
    n_layers = len(layer_widths)
    kernels = _resolve_kernels(kernel_size, kernel_sizes, n_layers)
    pools = _resolve_pools(pool_positions, n_layers)
    rates = _resolve_dropout(dropout, n_layers)
    boolean("saf", saf)
    boolean("dropout_in_downsampling_only", dropout_in_downsampling_only)
    one_of("downsample", downsample, _DOWNSAMPLE_MODES)
    in_open_interval("bn_momentum", bn_momentum, 0.0, 1.0)
    in_open_interval("bn_epsilon", bn_epsilon, 0.0)
    integer("seed", seed, allow_none=True)

    if dropout_in_downsampling_only:
        rates = [rate if index in pools else 0.0 for index, rate in enumerate(rates, start=1)]

    _check_pool_room(shape, pools, downsample)

    def dropout_seed(offset: int) -> int | None:
        return None if seed is None else int(seed) + offset

    conv_kwargs = dict(padding="same", use_bias=use_bias, kernel_initializer=kernel_initializer,
                       kernel_regularizer=kernel_regularizer)

    def bn_relu(tensor, bn_name: str, relu_name: str):
        tensor = keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon, name=bn_name)(tensor)
        return keras.layers.ReLU(name=relu_name)(tensor)

    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    step = 0
    for index, (filters, size, rate) in enumerate(zip(layer_widths, kernels, rates), start=1):
        x = keras.layers.Conv2D(filters, size, name=f"conv{index}", **conv_kwargs)(x)
        x = bn_relu(x, f"bn{index}", f"relu{index}")
        if index in pools:
            step += 1
            if downsample == "strided":
                x = keras.layers.Conv2D(filters, 3, strides=2, name=f"strided{step}", **conv_kwargs)(x)
                x = bn_relu(x, f"strided{step}_bn", f"strided{step}_relu")
                if rate > 0:
                    x = keras.layers.Dropout(rate, seed=dropout_seed(index), name=f"strided{step}_drop")(x)
            elif saf:
                x = SAFPooling2D(pool_size=2, rate=rate, seed=dropout_seed(index), name=f"pool{step}")(x)
            else:
                x = keras.layers.MaxPooling2D(pool_size=2, name=f"pool{step}")(x)
        elif index < n_layers and rate > 0:
            x = keras.layers.Dropout(rate, seed=dropout_seed(index), name=f"drop{index}")(x)
    x = keras.layers.GlobalMaxPooling2D(name="gmp")(x)
    if rates[-1] > 0:
        x = keras.layers.Dropout(rates[-1], seed=dropout_seed(n_layers), name="head_drop")(x)
    x = keras.layers.Dense(num_classes, kernel_initializer=kernel_initializer,
                           kernel_regularizer=kernel_regularizer, name="fc")(x)
    if classifier_activation is not None:
        x = keras.layers.Activation(classifier_activation, dtype="float32", name="softmax")(x)
    return finish(inputs, x, name, width_multiplier)


def param_comparison(names: Sequence[str] | None = None):
    """Parameter counts of built models (``names``, default all of :data:`ARCHS`) next to seed 002's.

    Columns ``name``, ``family``, ``table``, ``params_printed``, ``params_printed_value``,
    ``params_computed`` (BN moving statistics included), ``params_trainable`` and ``rel_diff``
    (computed / printed - 1; NaN where the seed prints no size).
    """
    import numpy as np
    import pandas as pd

    rows = []
    for name in names if names is not None else list(ARCHS):
        spec = ARCHS[name]
        model = registry.build(name)
        trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        printed = spec.params_printed_value
        total = model.count_params()
        rows.append({
            "name": spec.name,
            "family": spec.family,
            "table": spec.table,
            "params_printed": spec.params_printed,
            "params_printed_value": float("nan") if printed is None else printed,
            "params_computed": total,
            "params_trainable": trainable,
            "rel_diff": float("nan") if printed is None else total / printed - 1.0,
        })
        del model
    return pd.DataFrame(rows)


for _spec in ARCHS.values():
    registry.register(
        _spec.name,
        build_simpnet,
        source=f"{_spec.source} [{_spec.table}]",
        input_shape=_spec.input_shape,
        num_classes=_spec.num_classes,
        family=_spec.family,
        **_spec.builder_kwargs(),
    )
