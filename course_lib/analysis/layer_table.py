"""Per-layer table of a Keras model: output shape, parameters, multiply-adds, activation memory.

Reference: seed 000 (low/high groups), seed 003 (CS231n: parameters, memory, 6.7).
"""

from __future__ import annotations

import math

import keras
import pandas as pd

from course_lib.analysis._graph import Leaf, flat, prepare_model, shape_tail, walk
from course_lib.layers import RecurrentConv2D

__all__ = ["COLUMNS", "layer_macs", "layer_table", "seed000_groups"]

#: Columns of :func:`layer_table`, in order.
COLUMNS = [
    "layer",
    "type",
    "output_shape",
    "params",
    "trainable_params",
    "macs",
    "activations",
    "activation_bytes",
    "group",
]

_POINTWISE_NO_MACS = (
    keras.layers.InputLayer,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.PReLU,
    keras.layers.Softmax,
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.Flatten,
    keras.layers.Reshape,
    keras.layers.Permute,
    keras.layers.Identity,
    keras.layers.Rescaling,
    keras.layers.Normalization,
    keras.layers.BatchNormalization,
    keras.layers.LayerNormalization,
    keras.layers.GroupNormalization,
    keras.layers.Embedding,
)


def _spatial(shape) -> int:
    """Product of the spatial axes of a channels-last shape without batch: (H, W, C) -> H*W."""
    return math.prod(shape[:-1])


def layer_macs(
    layer, input_shape, output_shape, *, rcl_reuse_feedforward: bool = False
) -> int | None:
    """Multiply-accumulates of one call of ``layer`` on ONE example (``2 x MACs ~ FLOPs``).

    Only linear maps count (convolutions of every kind, ``Dense``, ``RecurrentConv2D`` per seed
    000 eq. 2); the RCL computes ``w_f * u`` once, which ``rcl_reuse_feedforward=True`` counts.
    Returns ``None`` for a parameterised layer type it does not know.
    """
    L = keras.layers
    if isinstance(layer, RecurrentConv2D):
        T = int(layer.iterations)
        kf = math.prod(layer.kernel.shape)  # k_f * k_f * C_in * F
        kr = math.prod(layer.recurrent_kernel.shape)  # k_r * k_r * F * F
        return _spatial(output_shape) * (kf * (1 if rcl_reuse_feedforward else T + 1) + kr * T)
    if isinstance(layer, (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)):
        c_in = input_shape[-1]
        return _spatial(input_shape) * math.prod(layer.kernel_size) * c_in * layer.filters
    if isinstance(layer, (L.SeparableConv1D, L.SeparableConv2D)):
        c_in = input_shape[-1]
        dm = layer.depth_multiplier
        pos = _spatial(output_shape)
        return pos * (math.prod(layer.kernel_size) * c_in * dm + c_in * dm * layer.filters)
    if isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        c_in = input_shape[-1]
        return _spatial(output_shape) * math.prod(layer.kernel_size) * c_in * layer.depth_multiplier
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)):
        c_in = input_shape[-1]
        groups = getattr(layer, "groups", 1) or 1
        per_position = math.prod(layer.kernel_size) * (c_in // groups) * layer.filters
        return _spatial(output_shape) * per_position
    if isinstance(layer, L.Dense):
        return math.prod(output_shape[:-1]) * input_shape[-1] * layer.units
    if layer.count_params() == 0 or isinstance(layer, _POINTWISE_NO_MACS):
        return 0
    return None


def seed000_groups(layer_names) -> dict[str, str] | None:
    """Map seed-000 layer names to ``"low"``/``"high"`` (as ``param_groups``), or ``None``."""
    names = set(layer_names)
    if not {"conv1", "fc"} <= names:
        return None
    if "rcl1" in names:
        low, high = ("conv1", "rcl1"), ("rcl2", "rcl3", "rcl4", "fc")
    elif "conv2" in names:
        low, high = ("conv1", "conv2"), ("conv3", "conv4", "conv5", "fc")
    else:
        return None
    return {**{n: "low" for n in low}, **{n: "high" for n in high if n in names}}


def _weights_count(layer, trainable: bool) -> int:
    weights = layer.trainable_weights if trainable else layer.weights
    return int(sum(math.prod(w.shape) for w in weights))


def layer_table(
    model, input_shape=None, *, totals: bool = False, rcl_reuse_feedforward: bool = False
) -> pd.DataFrame:
    """One row per leaf layer: output shape, parameters, MACs, activation memory, low/high group.

    Args:
        model: a functional or Sequential ``keras.Model`` (nested models flattened as
            ``outer/inner``).
        input_shape: without the batch axis; needed for an unbuilt Sequential or an unknown input
            size. If it differs from the model's, a clone built on it is tabled.
        totals: append a ``"total"`` row.
        rcl_reuse_feedforward: see :func:`layer_macs`.

    Returns:
        A DataFrame (``macs`` is ``<NA>`` for a layer type :func:`layer_macs` does not know;
        ``activations`` per example). A shared layer is listed once, with its first call's shapes.

    Example:
        >>> import keras
        >>> conv = keras.layers.Conv2D(10, 5, padding="same", name="conv")
        >>> table = layer_table(keras.Sequential([keras.Input((32, 32, 3)), conv]))
        >>> row = table.set_index("layer").loc["conv"]
        >>> row["output_shape"], int(row["params"]), int(row["macs"])
        ((32, 32, 10), 760, 768000)
    """
    model = prepare_model(model, input_shape, caller="layer_table")
    rows = []
    saw_input_layer = False
    for item in walk(model):
        if not isinstance(item, Leaf):
            continue
        layer = item.layer
        if isinstance(layer, keras.layers.InputLayer):
            saw_input_layer = True
        try:
            outputs = flat(layer.output)
            is_input = isinstance(layer, keras.layers.InputLayer)
            inputs = outputs if is_input else flat(layer.input)
        except (AttributeError, ValueError) as err:
            raise ValueError(
                f"layer_table: layer {item.path!r} has not been called in the model's graph "
                f"({err})."
            ) from err
        out_shapes = [shape_tail(t) for t in outputs]
        for s in out_shapes:
            if None in s:
                raise ValueError(
                    f"layer_table: layer {item.path!r} has an unknown output size {s}. Pass "
                    "input_shape=(height, width, channels), or build nested models with a fixed "
                    "input shape (e.g. keras.applications.VGG16(include_top=False, "
                    "input_shape=(224, 224, 3)))."
                )
        macs = layer_macs(
            layer,
            shape_tail(inputs[0]) if inputs else (),
            out_shapes[0],
            rcl_reuse_feedforward=rcl_reuse_feedforward,
        )
        activations = int(sum(math.prod(s) for s in out_shapes))
        rows.append(
            {
                "layer": item.path,
                "type": type(layer).__name__,
                "output_shape": out_shapes[0] if len(out_shapes) == 1 else out_shapes,
                "params": _weights_count(layer, trainable=False),
                "trainable_params": _weights_count(layer, trainable=True),
                "macs": macs,
                "activations": activations,
                "activation_bytes": 4 * activations,
            }
        )
    if not saw_input_layer:  # Sequential.layers omits its InputLayer
        for i, t in enumerate(flat(model.inputs)):
            shape = shape_tail(t)
            n = math.prod(shape)
            name = "input" if len(model.inputs) == 1 else f"input_{i}"
            row = {"layer": name, "type": "InputLayer", "output_shape": shape, "params": 0}
            row.update(trainable_params=0, macs=0, activations=n, activation_bytes=4 * n)
            rows.insert(i, row)

    short_names = [row["layer"].rsplit("/", 1)[-1] for row in rows]
    groups = seed000_groups(short_names) or {}
    for row, short in zip(rows, short_names):
        row["group"] = groups.get(short) if row["params"] > 0 else None
    if totals:
        macs = [row["macs"] for row in rows]
        rows.append(
            {
                "layer": "total",
                "type": "",
                "output_shape": None,
                "params": sum(row["params"] for row in rows),
                "trainable_params": sum(row["trainable_params"] for row in rows),
                "macs": None if any(m is None for m in macs) else sum(macs),
                "activations": sum(row["activations"] for row in rows),
                "activation_bytes": sum(row["activation_bytes"] for row in rows),
                "group": None,
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["macs"] = table["macs"].astype("Int64")
    return table
