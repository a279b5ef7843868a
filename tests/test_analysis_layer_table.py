"""layer_table: shapes and parameters against Keras, MACs against TensorFlow's own FLOP
statistics (tf.compat.v1.profiler), the RCL against an explicitly unrolled stack of Conv2D
layers, low/high groups against course_lib.models.param_groups, VGG-16 against seed 004."""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pandas as pd
import pytest
import tensorflow as tf

from course_lib.analysis import conv_params, layer_macs, layer_table, load_table, seed000_groups
from course_lib.analysis.layer_table import COLUMNS
from course_lib.layers import RecurrentConv2D

L = keras.layers


def tf_profiler_flops(model, input_shape):
    """Float operations TensorFlow registers for one forward pass of a batch of one."""

    @tf.function(autograph=False)
    def forward(x):
        return model(x, training=False)

    graph = forward.get_concrete_function(tf.TensorSpec((1, *input_shape), tf.float32)).graph
    opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    return tf.compat.v1.profiler.profile(graph=graph, options=opts).total_float_ops


def test_columns_and_cs231n_example():
    conv = L.Conv2D(10, 5, padding="same", name="conv")
    model = keras.Sequential([keras.Input((32, 32, 3)), conv])
    t = layer_table(model)
    assert list(t.columns) == COLUMNS
    assert t["layer"].tolist() == ["input", "conv"]  # Sequential omits its InputLayer; we add it
    row = t.iloc[1]
    assert row["output_shape"] == (32, 32, 10)
    assert row["params"] == 760 == conv_params(5, 3, 10)
    assert row["macs"] == 32 * 32 * 5 * 5 * 3 * 10
    assert row["activations"] == 32 * 32 * 10 and row["activation_bytes"] == 4 * 32 * 32 * 10
    assert t["group"].isna().all()


def test_macs_match_tensorflow_flop_statistics():
    """TF counts 2 FLOPs per multiply-add for Conv2D, depthwise, separable and MatMul; with no
    biases its total is exactly 2 x our MACs (dilation included). (TF also counts pooling
    comparisons as FLOPs; MACs do not, so the model has no pooling layer.)"""
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            L.Conv2D(8, 3, padding="same", use_bias=False),
            L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False),
            L.SeparableConv2D(4, 3, use_bias=False),
            L.Conv2D(6, 3, dilation_rate=2, use_bias=False),
            L.Conv2D(5, (1, 3), strides=(1, 2), use_bias=False),
            L.Flatten(),
            L.Dense(7, use_bias=False),
        ]
    )
    t = layer_table(model)
    assert 2 * int(t["macs"].sum()) == tf_profiler_flops(model, (16, 16, 3))


def test_macs_equal_positions_times_kernel_size():
    """Grouped, transposed and 1-D convolutions and Dense on sequences (TF registers no FLOP
    statistics for them): every weight is used once per output (input, for transposed) position."""
    x = keras.Input((12, 12, 8))
    g = L.Conv2D(6, 3, groups=2, name="grouped")(x)
    tr = L.Conv2DTranspose(4, 3, strides=2, name="transposed")(g)
    seq = L.Reshape((-1, 4))(tr)
    c1 = L.Conv1D(3, 5, name="conv1d")(seq)
    d = L.Dense(9, name="dense_seq")(c1)
    model = keras.Model(x, d)
    t = layer_table(model).set_index("layer")
    # 12x12 -> 10x10 (grouped) -> 21x21 (transposed) -> 441 steps -> 437 (conv1d, dense)
    positions_of = {"grouped": 10 * 10, "transposed": 10 * 10, "conv1d": 437, "dense_seq": 437}
    for name, positions in positions_of.items():
        kernel = model.get_layer(name).kernel
        assert t.loc[name, "macs"] == positions * math.prod(kernel.shape), name
    assert t.loc["grouped", "macs"] == 10 * 10 * 3 * 3 * (8 // 2) * 6


def test_recurrent_conv_macs_equal_an_unrolled_conv_stack():
    """An RCL with T iterations = (T+1) feed-forward + T recurrent convs (seed 000, eq. 2)."""
    T, cin, F = 3, 5, 7
    x = keras.Input((9, 9, cin))
    rcl = RecurrentConv2D(F, 3, iterations=T, recurrent_kernel_size=5, name="rcl")
    rcl_model = keras.Model(x, rcl(x))
    row = layer_table(rcl_model).set_index("layer").loc["rcl"]
    # the same arithmetic spelled out as Keras layers: T+1 convs on u, T convs on the state
    y = keras.Input((9, 9, cin))
    state = L.Conv2D(F, 3, padding="same")(y)
    for _ in range(T):
        feedforward = L.Conv2D(F, 3, padding="same")(y)
        recurrent = L.Conv2D(F, 5, padding="same", use_bias=False)(state)
        state = L.Add()([feedforward, recurrent])
    unrolled = layer_table(keras.Model(y, state))
    assert row["macs"] == unrolled["macs"].sum() == 81 * (9 * cin * F * (T + 1) + 25 * F * F * T)
    assert row["params"] == 9 * cin * F + 25 * F * F + F
    once = layer_table(rcl_model, rcl_reuse_feedforward=True).set_index("layer").loc["rcl", "macs"]
    assert row["macs"] - once == T * 81 * 9 * cin * F
    assert row["output_shape"] == (9, 9, F)


def test_totals_row_and_unknown_layer_macs():
    @keras.saving.register_keras_serializable(package="course_lib_tests")
    class Scale(L.Layer):  # a parameterised layer layer_macs does not know
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    x = keras.Input((8, 8, 3))
    y = L.BatchNormalization()(L.Conv2D(4, 3)(x))
    model = keras.Model(x, y)
    t = layer_table(model, totals=True)
    total = t.iloc[-1]
    assert total["layer"] == "total"
    assert total["params"] == model.count_params() == t["params"].iloc[:-1].sum()
    assert total["trainable_params"] == model.count_params() - 8  # BN moving mean/variance
    assert total["macs"] == 6 * 6 * 9 * 3 * 4
    assert total["activations"] == t["activations"].iloc[:-1].sum()
    z = Scale()(y)
    t2 = layer_table(keras.Model(x, z), totals=True)
    assert pd.isna(t2["macs"].iloc[-2]) and pd.isna(t2["macs"].iloc[-1])
    assert layer_macs(L.ReLU(), (4, 4, 2), (4, 4, 2)) == 0


def test_nested_models_are_flattened():
    block = keras.Sequential(
        [L.Conv2D(6, 3, padding="same", name="c"), L.ReLU(name="r")], name="block"
    )
    backbone_in = keras.Input((None, None, 3))  # unknown size, like VGG16(include_top=False)
    backbone = keras.Model(backbone_in, block(backbone_in), name="backbone")
    x = keras.Input((16, 16, 3))
    y = L.GlobalAveragePooling2D(name="gap")(backbone(x))
    model = keras.Model(x, L.Dense(2, name="head")(y))
    t = layer_table(model)
    assert t["type"].iloc[0] == "InputLayer"
    assert t["layer"].tolist()[1:] == ["backbone/block/c", "backbone/block/r", "gap", "head"]
    assert t.set_index("layer").loc["backbone/block/c", "output_shape"] == (16, 16, 6)
    assert t["params"].sum() == model.count_params()
    assert t.set_index("layer").loc["backbone/block/c", "macs"] == 16 * 16 * 9 * 3 * 6


def test_input_shape_rebuilds_and_errors():
    seq = keras.Sequential([L.Conv2D(2, 3), L.Flatten()])
    with pytest.raises(ValueError, match="input_shape=\\(height, width, channels\\)"):
        layer_table(seq)
    t = layer_table(seq, input_shape=(10, 10, 1))
    assert t["output_shape"].tolist() == [(10, 10, 1), (8, 8, 2), (128,)]
    # a different input size than the model's own: computed on a clone
    model32 = keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(2, 3)])
    t64 = layer_table(model32, input_shape=(64, 64, 3))
    assert t64["output_shape"].iloc[-1] == (62, 62, 2)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = L.Conv2D(2, 3)

        def call(self, x):
            return self.conv(x)

    with pytest.raises(ValueError, match="subclassed"):
        layer_table(Sub())
    with pytest.raises(TypeError, match="Received: model of type Dense"):
        layer_table(L.Dense(3))
    unknown = keras.Sequential([keras.Input((None, None, 3)), L.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="unknown output size"):
        layer_table(unknown)


def test_seed000_groups_rule():
    cnn = seed000_groups(["conv1", "conv2", "conv3", "conv4", "conv5", "fc"])
    assert cnn == {
        "conv1": "low",
        "conv2": "low",
        "conv3": "high",
        "conv4": "high",
        "conv5": "high",
        "fc": "high",
    }
    assert seed000_groups(["conv1", "rcl1", "rcl2", "rcl3", "rcl4", "fc"])["rcl1"] == "low"
    assert seed000_groups(["conv1", "conv2", "dense"]) is None


@pytest.mark.parametrize("name", ["CNN-A2", "RCNN-A2"])
def test_groups_agree_with_param_groups(name):
    from course_lib.models import build, param_groups

    model = build(name)
    t = layer_table(model)
    groups = param_groups(model)
    assert t.loc[t.group == "low", "params"].sum() == groups["low"]
    assert t.loc[t.group == "high", "params"].sum() == groups["high"]
    assert t["params"].sum() == groups["total"] == model.count_params()
    low = {"conv1", "conv2"} if name.startswith("CNN") else {"conv1", "rcl1"}
    assert set(t.loc[t.group == "low", "layer"]) == low
    assert t.loc[t.params == 0, "group"].isna().all()


def test_vgg16_shapes_match_seed004_table():
    """keras.applications.VGG16's conv/pool output shapes = the printed Table 3.2 (seed 004)."""
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    t = layer_table(model)
    ours = [s for s, ty in zip(t["output_shape"], t["type"]) if ty in ("Conv2D", "MaxPooling2D")]
    printed = load_table("seed004_vgg16_table3_2")
    printed = printed[printed.operation.isin(["conv", "maxpool"])]
    printed_shapes = printed[["out_h", "out_w", "out_c"]].to_numpy()
    assert ours == [tuple(int(v) for v in r) for r in printed_shapes]
    assert t["params"].sum() == model.count_params() == 14_714_688
