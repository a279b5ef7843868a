"""Receptive fields: the arithmetic against the numbers of the notes and the textbooks, and
against an empirical reference: the gradient of one output unit with respect to the input is
nonzero exactly on the pixels inside its receptive field (linear layers, all-ones kernels)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib.analysis import load_table, receptive_field_arithmetic, receptive_fields, rf_bounds
from course_lib.analysis.receptive_field import COLUMNS
from course_lib.layers import RecurrentConv2D

L = keras.layers
ONES = dict(kernel_initializer="ones", use_bias=False)


def gradient_support(model, index, axis):
    """Input pixels (along ``axis``) with a nonzero gradient of output unit ``index``.

    ``index`` is the unit's position along ``axis``; along the other spatial axis the middle unit
    is used, and channel 0.
    """
    shape = (1, *model.input_shape[1:])
    x = tf.ones(shape)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
        pos = [0, 0, 0, 0]
        other = 1 - axis
        pos[1 + axis] = index
        pos[1 + other] = y.shape[1 + other] // 2
        unit = y[pos[0], pos[1], pos[2], 0]
    grad = np.abs(tape.gradient(unit, x).numpy()[0]).sum(axis=-1)  # (H, W)
    profile = grad.sum(axis=1 - axis)
    nz = np.flatnonzero(profile > 0)
    assert nz.size and np.all(np.diff(nz) == 1), "support must be one interval"
    return int(nz[0]), int(nz[-1])


def assert_matches_gradients(model, axis=0):
    table = receptive_fields(model, axis=axis)
    last = table.iloc[-1]
    n_in = model.input_shape[1 + axis]
    n_out = model.output_shape[1 + axis]
    for index in sorted({0, n_out // 2, n_out - 1}):
        lo, hi = rf_bounds(int(last.rf), int(last.jump), float(last.start), index)
        expected = (max(lo, 0), min(hi, n_in - 1))
        assert gradient_support(model, index, axis) == expected, (axis, index, last.to_dict())


# --- arithmetic ------------------------------------------------------------------------------


def test_three_3x3_convs_see_7x7():
    """Seed 003, section 5.1 (and seed 004, section 3.1.1)."""
    t = receptive_field_arithmetic([(3, 1, 1)] * 3)
    assert list(t.columns) == COLUMNS
    assert t["rf"].tolist() == [1, 3, 5, 7]
    assert t["jump"].tolist() == [1, 1, 1, 1]
    assert t["start"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert receptive_field_arithmetic([(7, 1, 3)])["rf"].iloc[-1] == 7


def test_alexnet_from_seed004_table():
    """Table 3.1's conv/pool rows (227 input): printed output sizes, and the receptive fields of
    the common references (conv1 11, pool1 19, conv2 51, pool2 67, conv3 99, conv4 131,
    conv5 163, pool5 195)."""
    t31 = load_table("seed004_alexnet_table3_1")
    rows = t31[t31.operation.isin(["conv", "maxpool"])]
    spec = [(int(r.f), int(r.s), 0 if np.isnan(r.p) else int(r.p)) for r in rows.itertuples()]
    names = [f"{op}{i}" for i, op in enumerate(rows.operation)]
    t = receptive_field_arithmetic(spec, input_size=227, names=names)
    assert t["size"].iloc[1:].tolist() == rows.out_h.astype(int).tolist()  # 55 27 27 13 13 13 13 6
    assert t["rf"].iloc[1:].tolist() == [11, 19, 51, 67, 99, 131, 163, 195]
    assert t["jump"].iloc[1:].tolist() == [4, 8, 8, 16, 16, 16, 16, 32]


def test_vgg16_last_conv_196_pool5_212():
    """conv5_3 sees 196 pixels and pool5 212 (the often-quoted 212 is pool5's, not conv5_3's)."""
    spec, names = [], []
    for block, n in enumerate([2, 2, 3, 3, 3], start=1):
        for i in range(1, n + 1):
            spec.append((3, 1, 1))
            names.append(f"block{block}_conv{i}")
        spec.append((2, 2, 0))
        names.append(f"block{block}_pool")
    t = receptive_field_arithmetic(spec, input_size=224, names=names).set_index("layer")
    assert t.loc["block5_conv3", "rf"] == 196 and t.loc["block5_pool", "rf"] == 212
    assert t.loc["block5_pool", "jump"] == 32 and t.loc["block5_pool", "size"] == 7
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    km = receptive_fields(model).set_index("layer")
    for col in ("rf", "jump", "start", "size"):
        assert km.loc[names, col].tolist() == t.loc[names, col].tolist(), col


def test_dilated_stack_closed_form():
    """3x3 convs with dilations 1, 2, 4, 8 (stride 1): rf = 1 + 2(1 + 2 + 4 + 8) = 31."""
    t = receptive_field_arithmetic([(3, 1, 0, d) for d in (1, 2, 4, 8)], input_size=40)
    assert t["rf"].tolist() == [1, 3, 7, 15, 31]
    assert t["size"].tolist() == [40, 38, 34, 26, 10]
    assert t["start"].iloc[-1] == 15.0


def test_same_padding_needs_the_input_size_for_strides():
    with pytest.raises(ValueError, match="input_size"):
        receptive_field_arithmetic([(3, 2, "same")])
    # Keras 'same' on an even input with stride 2 puts the extra pixel right: left pad 0
    t = receptive_field_arithmetic([(3, 2, "same")], input_size=8)
    assert t["padding"].iloc[-1] == 0 and t["size"].iloc[-1] == 4 and t["start"].iloc[-1] == 1.0
    assert receptive_field_arithmetic([(3, 2, "same")], input_size=9)["padding"].iloc[-1] == 1


@pytest.mark.parametrize(
    "spec, match",
    [
        ([(3,)], "tuple"),
        ([(0, 1)], "kernel must be an integer >= 1"),
        ([(3, 1, -1)], "padding must be"),
        ([(3, 1, "full")], "padding must be"),
        ([(3, 1, 0, 0)], "dilation must be"),
        ([(5, 1)], "larger than the padded input"),
    ],
)
def test_arithmetic_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        receptive_field_arithmetic(spec, input_size=3)


def test_rf_bounds():
    assert rf_bounds(7, 1, 3.0, 0) == (0, 6)
    assert rf_bounds(2, 2, 0.5, 3) == (6, 7)  # 2x2/2 pooling, unit 3


# --- Keras models vs gradients ---------------------------------------------------------------


def test_mixed_stack_matches_gradients_on_both_axes():
    """Non-square kernels, average pooling, dilation, zero padding, 'same' with stride 2 on an even
    size (asymmetric padding: the odd pixel goes right), cropping: the arithmetic = the gradient
    support, first/middle/last
    unit, height and width."""
    model = keras.Sequential(
        [
            keras.Input((37, 29, 2)),
            L.Conv2D(3, (3, 5), padding="same", **ONES),
            L.AveragePooling2D(2),
            L.Conv2D(3, 3, dilation_rate=2, **ONES),
            L.ZeroPadding2D(((1, 1), (2, 2))),  # 14x10 -> 16x14: even sizes before the stride
            L.Conv2D(3, 3, strides=2, padding="same", **ONES),
            L.AveragePooling2D(3, strides=1, padding="same"),
            L.Cropping2D(((1, 0), (0, 1))),
            L.Conv2D(2, 3, **ONES),
        ]
    )
    for axis in (0, 1):
        assert_matches_gradients(model, axis=axis)
    t = receptive_fields(model, axis=1)
    assert t["kernel"].iloc[1] == 5 and t["size"].tolist() == [29, 29, 14, 10, 14, 7, 7, 6, 4]
    assert t["padding"].tolist()[4:6] == [2, 0]  # 'same', 14 -> 7 with stride 2: 0 left, 1 right


def test_dilated_keras_stack_matches_gradients_and_arithmetic():
    model = keras.Sequential(
        [keras.Input((40, 40, 1))] + [L.Conv2D(2, 3, dilation_rate=d, **ONES) for d in (1, 2, 4, 8)]
    )
    t = receptive_fields(model)
    assert t["rf"].tolist() == [1, 3, 7, 15, 31]
    assert t["dilation"].iloc[1:].tolist() == [1, 2, 4, 8]
    assert_matches_gradients(model)


def test_recurrent_conv_grows_by_kr_minus_1_per_iteration():
    """x(T) sees k_f + T (k_r - 1) pixels (seed 000: every iteration widens the field)."""
    x = keras.Input((41, 41, 2))
    y = L.Conv2D(2, 3, strides=2, **ONES)(x)  # jump 2 before the RCL
    y = RecurrentConv2D(
        3,
        kernel_size=3,
        recurrent_kernel_size=5,
        iterations=2,
        activation=None,
        use_lrn=False,
        kernel_initializer="ones",
        recurrent_initializer="ones",
        name="rcl",
    )(y)
    model = keras.Model(x, y)
    t = receptive_fields(model).set_index("layer")
    assert t.loc["rcl", "kernel"] == 3 + 2 * (5 - 1)
    assert t.loc["rcl", "rf"] == 3 + (11 - 1) * 2
    assert_matches_gradients(model)


def test_branches_nested_models_and_sequential_input_row():
    inner_in = keras.Input((None, None, 4))
    a = L.Conv2D(4, 3, padding="same", name="a")(inner_in)
    a = L.Conv2D(4, 3, padding="same", name="b")(a)
    shortcut = L.Conv2D(4, 1, name="shortcut")(inner_in)
    block = keras.Model(inner_in, L.Add(name="add")([a, shortcut]), name="block")
    x = keras.Input((16, 16, 4))
    y = block(L.MaxPooling2D(2, name="pool")(x))
    model = keras.Model(x, L.GlobalMaxPooling2D(name="gmp")(y))
    t = receptive_fields(model).set_index("layer")
    assert t.loc["block/b", "rf"] == 2 + 2 * 2 + 2 * 2
    assert t.loc["block/shortcut", "rf"] == 2
    assert t.loc["block/add", "rf"] == 10  # the widest branch
    assert t.loc["gmp", "rf"] == 10 + (8 - 1) * 2 and t.loc["gmp", "kernel"] == 8
    seq = keras.Sequential([keras.Input((9, 9, 1)), L.Conv2D(1, 3)])
    assert receptive_fields(seq)["layer"].tolist() == ["input", seq.layers[0].name]


class Subsample(L.Layer):
    """x[:, ::s, ::s]: a layer with ``strides`` and no kernel (like ResNet's option-A shortcut)."""

    def __init__(self, strides, **kwargs):
        super().__init__(**kwargs)
        self.strides = strides

    def call(self, x):
        return x[:, :: self.strides, :: self.strides, :]

    def compute_output_shape(self, shape):
        return (shape[0], -(-shape[1] // self.strides), -(-shape[2] // self.strides), shape[3])


def test_strided_subsampling_shortcut_matches_gradients():
    x = keras.Input((21, 21, 2))
    y = L.Conv2D(2, 3, strides=2, padding="same", **ONES)(x)
    y = L.Conv2D(2, 3, padding="same", **ONES)(y)
    out = L.Conv2D(2, 3, **ONES)(L.Add()([y, Subsample(2, name="sub")(x)]))
    model = keras.Model(x, out)
    t = receptive_fields(model).set_index("layer")
    assert (t.loc["sub", "rf"], t.loc["sub", "jump"], t.loc["sub", "kernel"]) == (1, 2, 1)
    assert_matches_gradients(model)


def test_resnet_shortcuts_do_not_widen_the_field():
    """ResNet-20 and Plain-20 (the same convolutions without shortcuts) have the same receptive
    field at every layer they share."""
    from course_lib.models import build

    res = receptive_fields(build("ResNet-20")).set_index("layer")
    plain = receptive_fields(build("Plain-20")).set_index("layer")
    shared = [n for n in plain.index if n in res.index and n.endswith("conv")]
    assert len(shared) >= 19
    cols = ["rf", "jump", "start"]
    assert res.loc[shared, cols].equals(plain.loc[shared, cols])


def test_seed000_models():
    """conv1 5x5, 3x3/2 pools ('same'), 3x3 convs; RCLs with T = 3 act as 9x9 kernels."""
    from course_lib.models import build

    cnn = receptive_fields(build("CNN-A2")).set_index("layer")
    cnn_layers = ["conv1", "pool1", "conv2", "conv3", "pool2", "conv4", "conv5"]
    assert cnn.loc[cnn_layers, "rf"].tolist() == [5, 7, 11, 15, 19, 27, 35]
    rcnn = receptive_fields(build("RCNN-A2")).set_index("layer")
    assert rcnn.loc[["conv1", "pool1", "rcl1", "rcl2", "pool2", "rcl3", "rcl4"], "rf"].tolist() == [
        5, 7, 23, 39, 43, 75, 107
    ]
    assert rcnn.loc["rcl1", "kernel"] == 9


def test_model_errors():
    up = keras.Sequential([keras.Input((8, 8, 1)), L.UpSampling2D(2)])
    with pytest.raises(ValueError, match="up-sampling"):
        receptive_fields(up)
    with pytest.raises(ValueError, match="Received: axis=2"):
        receptive_fields(keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(1, 3)]), axis=2)
    x = keras.Input((8, 8, 1))
    merged = L.Concatenate()([L.Conv2D(1, 3, strides=2, padding="same")(x), L.Conv2D(1, 5)(x)])
    with pytest.raises(ValueError, match="different jumps"):
        receptive_fields(keras.Model(x, merged))
