"""CS231n arithmetic (course_lib.analysis.arithmetic) against the notes' worked examples,
Keras' own shape inference and parameter counts, and closed forms."""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pandas as pd
import pytest

from course_lib.analysis import (
    OPTIMIZER_SLOTS,
    MemoryEstimate,
    conv_output_size,
    conv_params,
    load_table,
    memory_bytes,
    model_memory,
    receptive_field_arithmetic,
)

L = keras.layers


# --- conv_output_size -------------------------------------------------------------------


def test_notes_examples():
    assert conv_output_size(32, 5, P=2, S=1) == 32  # ten 5x5 filters, P=2: 32x32x10
    assert conv_output_size(227, 11, P=0, S=4) == 55  # AlexNet conv1
    assert conv_output_size(7, 3, P=0, S=2) == 3
    assert conv_output_size(5, 3, P=1, S=2) == 3  # the notes' demo


def test_non_integer_output_is_an_error_with_the_numbers_and_fixes():
    # CS231n's own example: W=10, F=3, P=0, S=2 gives 4.5.
    with pytest.raises(ValueError) as info:
        conv_output_size(10, 3, P=0, S=2)
    msg = str(info.value)
    assert "(10 - 3 + 2*0)/2 + 1 = 4.5" in msg
    assert "not an integer" in msg
    assert "strides that work with P=0: [1]" in msg  # 7 is odd: only S=1 divides it (up to F)
    # seed 003: N=7, F=3, S=3 -> 2.333; padding 1 makes it fit ((7-3+2)/3 + 1 = 3)
    with pytest.raises(ValueError, match=r"2\.33333 is not an integer") as info:
        conv_output_size(7, 3, P=0, S=3)
    assert "paddings that work with S=3: [1]" in str(info.value)
    assert conv_output_size(7, 3, P=1, S=3) == 3


def test_filter_larger_than_padded_input():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match=r"F_eff=9 \(F=3, dilation=4\)"):
        conv_output_size(6, 3, dilation=4)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(W=0, F=3), "W"),
        (dict(W=8, F=0), "F"),
        (dict(W=8, F=3, P=-1), "P"),
        (dict(W=8, F=3, S=0), "S"),
        (dict(W=8, F=3, dilation=0), "dilation"),
        (dict(W=8.0, F=3), "W"),
        (dict(W=8, F=True), "F"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=rf"Received: {name}="):
        conv_output_size(**kwargs)


@pytest.mark.parametrize(
    "W, F, P, S, d",
    [
        (32, 5, 2, 1, 1),
        (227, 11, 0, 4, 1),
        (9, 3, 1, 2, 1),
        (32, 3, 2, 1, 2),
        (33, 3, 0, 1, 4),
        (33, 3, 0, 2, 1),
        (15, 2, 0, 1, 3),
    ],
)
def test_matches_keras_shape_inference(W, F, P, S, d):
    """Keras' ZeroPadding2D + Conv2D('valid') is an independent reference (when exact)."""
    model = keras.Sequential(
        [keras.Input((W, W, 1)), L.ZeroPadding2D(P), L.Conv2D(1, F, strides=S, dilation_rate=d)]
    )
    assert model.output_shape[1:3] == (conv_output_size(W, F, P, S, dilation=d),) * 2


# --- conv_params ------------------------------------------------------------------------


def test_conv_params_notes():
    assert conv_params(5, 3, 10) == 760
    assert conv_params(11, 3, 96) == 34944
    assert conv_params(5, 3, 1) == 76
    # three 3x3 vs one 7x7 on C channels, no biases: 27 C^2 vs 49 C^2
    C = 64
    assert 3 * conv_params(3, C, C, bias=False) == 27 * C * C
    assert conv_params(7, C, C, bias=False) == 49 * C * C


@pytest.mark.parametrize(
    "F, C_in, K, bias", [(3, 3, 64, True), ((1, 7), 16, 8, True), (5, 32, 5, False)]
)
def test_conv_params_matches_keras(F, C_in, K, bias):
    layer = L.Conv2D(K, F, use_bias=bias)
    layer.build((None, 16, 16, C_in))
    assert conv_params(F, C_in, K, bias=bias) == layer.count_params()


def test_conv_params_bad_arguments():
    with pytest.raises(ValueError, match="Received: C_in=0"):
        conv_params(3, 0, 4)
    with pytest.raises(ValueError, match=r"an integer or a tuple of 2 integers"):
        conv_params((3, 3, 3), 3, 4)


# --- every seed-003 worked example ------------------------------------------------------


def _int(v):
    return None if pd.isna(v) else int(v)


def _check_worked_example(row):
    """Recompute one printed quantity of seed 003; return (computed, printed)."""
    W, F, P, S, C, K = (_int(row[c]) for c in ("W", "F", "P", "S", "C_in", "K"))
    q, printed = row["quantity"], float(row["printed"])
    if q == "output_size":
        if printed != int(printed):  # the notes' "unreasonable" stride
            with pytest.raises(ValueError, match="not an integer"):
                conv_output_size(W, F, P, S)
            return round((W - F + 2 * P) / S + 1, 3), printed
        return conv_output_size(W, F, P, S), printed
    if q == "params":
        return conv_params(F, C, K), printed
    if q == "weights_per_neuron":
        return W * W * C, printed
    if q == "neurons":
        return conv_output_size(W, F, P, S) ** 2 * K, printed
    if q == "params_per_neuron":
        return conv_params(F, C, 1), printed
    if q == "params_no_sharing":
        return conv_output_size(W, F, P, S) ** 2 * K * conv_params(F, C, 1), printed
    if q == "im2col_rows":
        return F * F * C, printed
    if q == "im2col_columns":
        return conv_output_size(W, F, P, S) ** 2, printed
    if q == "receptive_field":
        return int(receptive_field_arithmetic([(F, S)] * 3)["rf"].iloc[-1]), printed
    if q == "params_per_C_squared_3x3":
        return 3 * conv_params(F, 10, 10, bias=False) // 100, printed
    if q == "params_per_C_squared_7x7":
        return conv_params(F, 10, 10, bias=False) // 100, printed
    if q == "activations_approx":
        # "ten million": three 224x224x64 volumes (see the row's note)
        n = 3 * conv_output_size(W, F, P, S) ** 2 * K
        assert abs(n - printed) / printed < 0.05
        return printed, printed
    if q == "memory_MB_approx":
        n = 3 * conv_output_size(W, F, P, S) ** 2 * K
        mib = memory_bytes(n, 0, optimizer="sgd").total / 2**20  # values + gradients, float32
        assert abs(mib - printed) / printed < 0.03, mib
        return printed, printed
    raise AssertionError(f"no check for quantity {q!r}: add one")


def test_every_seed003_worked_example():
    table = load_table("seed003_worked_examples")
    assert len(table) >= 25
    for _, row in table.iterrows():
        computed, printed = _check_worked_example(row)
        assert computed == pytest.approx(printed), (row["example"], row["quantity"])


# --- memory -----------------------------------------------------------------------------


def test_optimizer_multipliers():
    """params + grads + slots: 2x for SGD, 3x for momentum (the notes' x3), 4x for Adam."""
    for opt, factor in [("sgd", 2), ("sgd-momentum", 3), ("rmsprop", 3), ("adam", 4)]:
        m = memory_bytes(0, 1000, optimizer=opt)
        assert m.parameter_total == factor * 4000
        assert m.optimizer_state == OPTIMIZER_SLOTS[opt] * 4000


def test_memory_bytes_fields():
    m = memory_bytes(100, 50, trainable_params=30, batch_size=8, optimizer="adam")
    assert isinstance(m, MemoryEstimate)
    assert m.activations == 100 * 8 * 4
    assert m.activation_gradients == m.activations
    assert m.params == 200 and m.param_gradients == 120 and m.optimizer_state == 240
    assert m.total == 3200 + 3200 + 200 + 120 + 240
    assert m.forward == 3200 + 200
    assert m.to_dict()["total"] == m.total
    inference = memory_bytes(100, 50, batch_size=8, training=False)
    assert inference.total == inference.forward == 3200 + 200
    assert memory_bytes(10, 10, bytes_per_value=2).params == 20
    assert "MiB" in str(m)


def test_memory_bytes_errors():
    with pytest.raises(ValueError, match="Received: optimizer='lion'"):
        memory_bytes(1, 1, optimizer="lion")
    with pytest.raises(ValueError, match="cannot exceed"):
        memory_bytes(1, 1, trainable_params=2)
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        memory_bytes(1, 1, batch_size=0)


@pytest.fixture(scope="module")
def vgg16():
    return keras.applications.VGG16(weights=None)


def test_vgg16_memory(vgg16):
    """VGG-16 at 224x224: activations from seed 004's Table 3.2 (printed output sizes), params
    from the configuration (138M in the paper); the Keras model is the thing measured."""
    t32 = load_table("seed004_vgg16_table3_2")
    shapes = t32[t32.operation.isin(["conv", "maxpool", "fc"])]
    out_c = shapes.out_c.replace("C", "1000").astype(int)
    sizes = shapes.out_h.astype(int) * shapes.out_w.astype(int) * out_c
    printed_acts = 224 * 224 * 3 + int(sizes.sum())
    flatten = 7 * 7 * 512  # Keras' Flatten output is counted too (a view, see model_memory)
    m = model_memory(vgg16, training=False)
    assert m.activations == 4 * (printed_acts + flatten)
    assert printed_acts == 15_237_608  # ~15.2M values, ~58 MiB per image forward
    assert m.params == 4 * 138_357_544
    assert round(vgg16.count_params() / 1e6) == 138
    train = model_memory(vgg16, batch_size=2, optimizer="adam")
    assert train.activations == 2 * m.activations
    assert train.parameter_total == 4 * m.params
    assert math.isclose(train.total, 2 * train.activations + 4 * m.params)
