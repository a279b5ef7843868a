"""Receptive field, jump and start of every layer of a conv/pool stack.

The arithmetic of Dang Ha The Hien (2017), for kernel ``k``, stride ``s``, dilation ``d`` and
left padding ``p``::

    k_eff     = d * (k - 1) + 1
    j_out     = j_in * s
    r_out     = r_in + (k_eff - 1) * j_in
    start_out = start_in + ((k_eff - 1) / 2 - p) * j_in

Pixel ``i`` has its centre at ``i`` (the guide uses ``i + 0.5``). A
:class:`~course_lib.layers.RecurrentConv2D` acts as one kernel of extent ``k_f + T * (k_r - 1)``
(seed 000, section 2.2: "每次迭代使得神经元感受野扩大").

Reference: Dang Ha The Hien (2017), "A guide to receptive field arithmetic for Convolutional
Neural Networks"; CS231n notes (seed 003, 5.1: three 3x3 convs see 7x7); seed 004, 3.1.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import pandas as pd

from course_lib.analysis._graph import Enter, Exit, Leaf, flat, prepare_model, shape_tail, walk
from course_lib.validation import integer, is_int
from course_lib.layers import RecurrentConv2D

__all__ = ["COLUMNS", "receptive_field_arithmetic", "receptive_fields", "rf_bounds"]

#: Columns of :func:`receptive_fields` and :func:`receptive_field_arithmetic`, in order.
COLUMNS = [
    "layer", "type", "kernel", "stride", "dilation", "padding", "size", "rf", "jump", "start"
]

_UPSAMPLING = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.UpSampling1D,
    keras.layers.UpSampling2D,
    keras.layers.UpSampling3D,
    keras.layers.Resizing,
)
_GLOBAL = (
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
    keras.layers.Flatten,
)
_PADDING = (keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D, keras.layers.ZeroPadding3D)
_CROPPING = (keras.layers.Cropping1D, keras.layers.Cropping2D, keras.layers.Cropping3D)


@dataclass(frozen=True)
class _State:
    rf: int
    jump: int
    start: float


def _apply(state: _State, k: int, s: int, d: int, p: int) -> _State:
    k_eff = d * (k - 1) + 1
    return _State(
        rf=state.rf + (k_eff - 1) * state.jump,
        jump=state.jump * s,
        start=state.start + ((k_eff - 1) / 2 - p) * state.jump,
    )


def _same_left_pad(n_in: int, k_eff: int, s: int) -> int:
    """TensorFlow/Keras "same" padding: ``ceil(n/s)`` outputs, the extra pixel goes right."""
    n_out = -(-n_in // s)
    total = max((n_out - 1) * s + k_eff - n_in, 0)
    return total // 2


def _left_pad(padding, n_in, k_eff: int, s: int, where: str) -> int:
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0
        if mode == "causal":
            return k_eff - 1
        if mode == "same":
            if s == 1:
                return (k_eff - 1) // 2
            if n_in is None:
                raise ValueError(
                    f"{where}: 'same' padding with stride {s} depends on the input size; pass "
                    "input_size= (or an integer padding)."
                )
            return _same_left_pad(int(n_in), k_eff, s)
        raise ValueError(
            f"{where}: padding must be 'valid', 'same', 'causal' or an integer >= 0. "
            f"Received: padding={padding!r}"
        )
    if not is_int(padding) or padding < 0:
        raise ValueError(
            f"{where}: padding must be 'valid', 'same', 'causal' or an integer >= 0. "
            f"Received: padding={padding!r}"
        )
    return int(padding)


def _axis_value(value, axis: int, name: str, where: str) -> int:
    if isinstance(value, (tuple, list)):
        if axis >= len(value):
            raise ValueError(
                f"{where}: {name}={tuple(value)} has no spatial axis {axis}. Received: axis={axis}"
            )
        return int(value[axis])
    return int(value)


def rf_bounds(rf: int, jump: int, start: float, index: int = 0) -> tuple[int, int]:
    """First and last input pixel (inclusive; outside the input: padding) seen by unit ``index``.

    Example:
        >>> rf_bounds(rf=7, jump=1, start=3.0, index=0)  # three 3x3 'valid' convs
        (0, 6)
    """
    centre = start + index * jump
    half = (rf - 1) / 2
    return (int(round(centre - half)), int(round(centre + half)))


def _row(name, type_name, k, s, d, p, size, state: _State) -> dict:
    return {
        "layer": name,
        "type": type_name,
        "kernel": k,
        "stride": s,
        "dilation": d,
        "padding": p,
        "size": size,
        "rf": state.rf,
        "jump": state.jump,
        "start": state.start,
    }


def _frame(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("kernel", "stride", "dilation", "padding", "size", "rf", "jump"):
        table[col] = table[col].astype("Int64")
    table["start"] = table["start"].astype(float)
    return table


def receptive_field_arithmetic(
    layers, *, input_size: int | None = None, names=None
) -> pd.DataFrame:
    """Receptive field, jump and start after each ``(kernel, stride[, padding[, dilation]])``.

    Padding is left/top pixels, ``"valid"``, ``"same"`` or ``"causal"``; ``input_size`` enables the
    ``size`` column and strided ``"same"``. The input is the first row.

    Example:
        >>> t = receptive_field_arithmetic([(3, 1, 1)] * 3)  # three 3x3 convs, padding 1
        >>> t["rf"].tolist()
        [1, 3, 5, 7]
    """
    layers = list(layers)
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(layers):
            raise ValueError(
                f"`names` must have one entry per layer ({len(layers)}). "
                f"Received: {len(names)} names"
            )
    integer("input_size", input_size, minimum=1, allow_none=True)
    state = _State(1, 1, 0.0)
    size = input_size
    rows = [_row("input", "input", None, None, None, None, size, state)]
    for i, spec in enumerate(layers):
        name = names[i] if names is not None else f"layer{i + 1}"
        where = f"receptive_field_arithmetic: layer {i} ({name})"
        if not isinstance(spec, (tuple, list)) or not 2 <= len(spec) <= 4:
            raise ValueError(
                f"{where}: each layer must be a tuple (kernel, stride[, padding[, dilation]]). "
                f"Received: {spec!r}"
            )
        k, s = spec[0], spec[1]
        p = spec[2] if len(spec) > 2 else 0
        d = spec[3] if len(spec) > 3 else 1
        for arg, val in (("kernel", k), ("stride", s), ("dilation", d)):
            if not is_int(val) or val < 1:
                raise ValueError(f"{where}: {arg} must be an integer >= 1. Received: {arg}={val!r}")
        k_eff = d * (k - 1) + 1
        pad = _left_pad(p, size, k_eff, s, where)
        if size is not None:
            if isinstance(p, str) and p.lower() == "same":
                size = -(-size // s)
            else:
                total = 2 * pad if not (isinstance(p, str) and p.lower() == "causal") else pad
                span = size + total - k_eff
                if span < 0:
                    raise ValueError(
                        f"{where}: the window (k_eff={k_eff}) is larger than the padded input "
                        f"({size} + {total})."
                    )
                size = span // s + 1
        state = _apply(state, int(k), int(s), int(d), pad)
        rows.append(_row(name, "layer", int(k), int(s), int(d), pad, size, state))
    return _frame(rows)


def _spatial_dims(shape: tuple) -> tuple:
    """Spatial sizes of a channels-last shape without batch (none for a flat vector)."""
    return tuple(shape[:-1]) if len(shape) >= 2 else ()


def receptive_fields(model, input_shape=None, *, axis: int = 0) -> pd.DataFrame:
    """Receptive field, jump and start of every layer of a Keras model, along one spatial axis.

    Reads convolutions, pooling, padding, cropping, global pooling and ``Flatten`` (the whole
    input), ``RecurrentConv2D``, any layer with a window, ``strides`` and ``padding`` (its output
    size is checked), stride-only layers and merges (the widest input's field); other layers must
    keep the size. Nested models are flattened.

    Args:
        model: a functional or Sequential ``keras.Model`` (channels-last).
        input_shape: if the model has no or an unknown input size.
        axis: 0 = height, 1 = width.

    Returns:
        A DataFrame with :data:`COLUMNS`, one row per leaf layer in topological order (``size``:
        ``<NA>`` once there is no spatial axis).

    Raises:
        ValueError: up-sampling, an unknown layer that changes the size, channels-first, or merged
            branches with different jumps.

    Example:
        >>> import keras
        >>> convs = [keras.layers.Conv2D(8, 3) for _ in range(3)]
        >>> m = keras.Sequential([keras.Input((32, 32, 3)), *convs])
        >>> receptive_fields(m)["rf"].tolist()
        [1, 3, 5, 7]
    """
    integer("axis", axis, minimum=0, hint="A spatial axis index.")
    model = prepare_model(model, input_shape, caller="receptive_fields")
    states: dict[int, _State] = {}
    rows = []
    init = _State(1, 1, 0.0)
    input_rows = []
    for i, t in enumerate(flat(model.inputs)):
        dims = _spatial_dims(shape_tail(t))
        if axis >= len(dims):
            raise ValueError(
                f"receptive_fields: the model's input {shape_tail(t)} has {len(dims)} spatial "
                f"axes. Received: axis={axis}"
            )
        states[id(t)] = init
        name = "input" if len(model.inputs) == 1 else f"input_{i}"
        input_rows.append(_row(name, "InputLayer", None, None, None, None, dims[axis], init))
    for item in walk(model):
        if isinstance(item, (Enter, Exit)):  # carry the states into / out of a nested model
            if isinstance(item, Enter):
                sources = flat(keras.Operation.input.fget(item.sub))
                targets = flat(item.model.inputs)
            else:
                sources = flat(item.model.outputs)
                targets = flat(keras.Operation.output.fget(item.sub))
            for source, target in zip(sources, targets):
                if id(source) in states:
                    states[id(target)] = states[id(source)]
            continue
        assert isinstance(item, Leaf)
        rows.append(_layer_row(item, states, axis))
    if not any(row["type"] == "InputLayer" for row in rows):  # Sequential.layers omits it
        rows = input_rows + rows
    return _frame(rows)


def _layer_row(item: Leaf, states: dict, axis: int) -> dict:
    layer = item.layer
    name = item.path
    type_name = type(layer).__name__
    where = f"receptive_fields: layer {name!r} ({type_name})"
    outputs = flat(layer.output)
    out_dims = _spatial_dims(shape_tail(outputs[0]))
    size_out = out_dims[axis] if axis < len(out_dims) else None

    if isinstance(layer, keras.layers.InputLayer):
        state = states.setdefault(id(outputs[0]), _State(1, 1, 0.0))
        return _row(name, type_name, None, None, None, None, size_out, state)

    inputs = [t for t in flat(layer.input) if id(t) in states]
    if not inputs:
        raise ValueError(f"{where}: none of its inputs comes from the model's inputs.")
    in_states = [states[id(t)] for t in inputs]
    in_dims = _spatial_dims(shape_tail(inputs[0]))
    n_in = in_dims[axis] if axis < len(in_dims) else None

    if len(inputs) > 1:  # merge of branches
        jumps = {s.jump for s in in_states}
        if len(jumps) > 1:
            raise ValueError(f"{where}: merges branches with different jumps {sorted(jumps)}.")
        state = max(in_states, key=lambda s: s.rf)
        k = s = d = 1
        pad = 0
    else:
        state_in = in_states[0]
        k, s, d, pad = _window(layer, n_in, in_dims, out_dims, axis, where)
        state = state_in if n_in is None else _apply(state_in, k, s, d, pad)
    for t in outputs:
        states[id(t)] = state
    if n_in is None:
        k = s = d = pad = None
    return _row(name, type_name, k, s, d, pad, size_out, state)


def _leading(amounts, axis: int) -> int:
    """Pixels added (padding) or removed (cropping) before ``axis``."""
    if isinstance(amounts[0], (tuple, list)):
        return int(amounts[axis][0])
    return int(amounts[0])


def _window(layer, n_in, in_dims, out_dims, axis, where) -> tuple[int, int, int, int]:
    """(kernel, stride, dilation, left padding) of ``layer`` along ``axis``."""
    if n_in is None:  # no spatial axis left (after Flatten / global pooling): nothing changes
        return 1, 1, 1, 0
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        raise ValueError(f"{where}: channels-first layers are not supported; use channels_last.")
    if isinstance(layer, _UPSAMPLING):
        raise ValueError(
            f"{where}: up-sampling layers have no receptive-field arithmetic here; it covers "
            "convolution and pooling stacks."
        )
    if isinstance(layer, RecurrentConv2D):
        kf = _axis_value(layer.kernel_size, axis, "kernel_size", where)
        kr = _axis_value(layer.recurrent_kernel_size, axis, "recurrent_kernel_size", where)
        k = kf + int(layer.iterations) * (kr - 1)
        return k, 1, 1, (k - 1) // 2
    if isinstance(layer, _GLOBAL):
        return int(n_in), 1, 1, 0
    if isinstance(layer, _PADDING):
        return 1, 1, 1, _leading(layer.padding, axis)
    if isinstance(layer, _CROPPING):  # cropping c pixels = padding -c
        return 1, 1, 1, -_leading(layer.cropping, axis)
    n_out = out_dims[axis] if axis < len(out_dims) else None
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if window is not None and hasattr(layer, "strides") and hasattr(layer, "padding"):
        k = _axis_value(window, axis, "kernel_size", where)
        s = _axis_value(layer.strides, axis, "strides", where)
        d = _axis_value(getattr(layer, "dilation_rate", 1), axis, "dilation_rate", where)
        k_eff = d * (k - 1) + 1
        pad = _left_pad(layer.padding, n_in, k_eff, s, where)
        mode = layer.padding.lower() if isinstance(layer.padding, str) else "explicit"
        if mode == "same":
            expected = -(-n_in // s)
        elif mode == "causal":
            expected = (n_in - 1) // s + 1
        else:
            expected = (n_in + 2 * pad - k_eff) // s + 1
        reading = f"kernel {k}, stride {s}, dilation {d}, padding {layer.padding!r}"
        _check_size(where, n_in, n_out, expected, reading)
        return k, s, d, pad
    if window is None and hasattr(layer, "strides"):  # subsampling x[::s] (ResNet option A)
        s = _axis_value(layer.strides, axis, "strides", where)
        _check_size(where, n_in, n_out, (n_in - 1) // s + 1, f"a 1x1 window with stride {s}")
        return 1, s, 1, 0
    if in_dims == out_dims:
        return 1, 1, 1, 0
    raise ValueError(
        f"{where}: changes the spatial size {in_dims} -> {out_dims} without a kernel_size / "
        "pool_size, strides and padding, so its receptive field is unknown."
    )


def _check_size(where, n_in, n_out, expected, reading) -> None:
    """Refuse a layer whose actual output size contradicts how its attributes were read."""
    if n_out is not None and n_out != expected:
        raise ValueError(
            f"{where}: read as {reading}, it would map size {n_in} to {expected}, but its output "
            f"has size {n_out}; its receptive field is unknown."
        )
