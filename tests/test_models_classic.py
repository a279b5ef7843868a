"""Tests for LeNet-5, AlexNet, NIN and the highway nets (course_lib.models.classic)."""
import keras
import numpy as np
import pytest

from course_lib.models import build, spec
from course_lib.models.classic import alexnet, highway_block, highway_cifar, lenet5, nin


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def test_lenet5_shapes_and_count():
    model = build("lenet-5")
    assert model.name == "LeNet-5" and spec("LeNet-5").input_shape == (32, 32, 1)
    shapes = {n: model.get_layer(n).output.shape[1:] for n in ("c1", "s2", "c3", "s4", "c5")}
    assert shapes == {"c1": (28, 28, 6), "s2": (14, 14, 6), "c3": (10, 10, 16),
                      "s4": (5, 5, 16), "c5": (1, 1, 120)}
    expected = conv(5, 1, 6) + conv(5, 6, 16) + conv(5, 16, 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert model.count_params() == expected == 61706
    y = np.asarray(model(np.zeros((2, 32, 32, 1), "float32")))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def test_alexnet_matches_table_3_1():
    model = alexnet(num_classes=1000)
    # CS231n (seed 003): 96 x (11*11*3 + 1) = 34,944 parameters in conv1.
    assert model.get_layer("conv1").count_params() == 34944
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}
    table = {  # seed 004, Table 3.1 output sizes
        "conv1": (55, 55, 96), "pool1": (27, 27, 96), "lrn1": (27, 27, 96),
        "conv2": (27, 27, 256), "pool2": (13, 13, 256), "lrn2": (13, 13, 256),
        "conv3": (13, 13, 384), "conv4": (13, 13, 384), "conv5": (13, 13, 256),
        "pool5": (6, 6, 256), "fc6": (4096,), "fc7": (4096,), "fc8": (1000,),
    }
    assert {k: shapes[k] for k in table} == table
    expected = (conv(11, 3, 96) + conv(5, 96, 256) + conv(3, 256, 384) + conv(3, 384, 384)
                + conv(3, 384, 256) + (6 * 6 * 256 * 4096 + 4096) + (4096 * 4096 + 4096)
                + (4096 * 1000 + 1000))
    assert model.count_params() == expected == 62378344
    lrn = model.get_layer("lrn1")
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k, lrn.alpha_mode) == (5, 1e-4, 0.75, 2.0, "sum")
    assert [model.get_layer(n).rate for n in ("fc6_dropout", "fc7_dropout")] == [0.5, 0.5]


def test_nin_count_structure_and_forward():
    model = nin()
    expected = (conv(5, 3, 192) + conv(1, 192, 160) + conv(1, 160, 96)
                + conv(5, 96, 192) + 2 * conv(1, 192, 192)
                + conv(3, 192, 192) + conv(1, 192, 192) + conv(1, 192, 10))
    assert model.count_params() == expected == 966986
    assert model.get_layer("pool1").output.shape[1:3] == (16, 16)
    assert model.get_layer("pool2").output.shape[1:3] == (8, 8)
    assert model.get_layer("cccp6").output.shape[1:] == (8, 8, 10)
    assert not any(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    assert nin(num_classes=100).get_layer("cccp6").filters == 100


def test_highway_block_formula():
    inputs = keras.Input((6, 6, 4))
    out = highway_block(inputs, gate_bias=-1.0, name="hw")
    model = keras.Model(inputs, out)
    probe = keras.Model(inputs, [model.get_layer("hw_h").output, model.get_layer("hw_t").output])
    x = np.random.default_rng(0).normal(size=(3, 6, 6, 4)).astype("float32")
    h, t = (np.asarray(v) for v in probe(x))
    # Independent evaluation of H and T from the kernels with TF's conv2d.
    import tensorflow as tf

    def conv_same(layer, act):
        z = tf.nn.conv2d(x, layer.kernel.numpy(), 1, "SAME") + layer.bias.numpy()
        return act(z).numpy()

    np.testing.assert_allclose(h, conv_same(model.get_layer("hw_h"), tf.nn.relu), atol=1e-5)
    np.testing.assert_allclose(t, conv_same(model.get_layer("hw_t"), tf.sigmoid), atol=1e-5)
    np.testing.assert_allclose(np.asarray(model(x)), h * t + x * (1 - t), atol=1e-5)
    np.testing.assert_array_equal(model.get_layer("hw_t").bias.numpy(), -1.0)


def test_highway_block_starts_near_identity_with_very_negative_bias():
    inputs = keras.Input((6, 6, 4))
    model = keras.Model(inputs, highway_block(inputs, gate_bias=-30.0))
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), x, atol=1e-6)
    with pytest.raises(ValueError, match="Received: gate_bias=1.0"):
        highway_block(inputs, gate_bias=1.0)


def test_highway_cifar_forward_and_round_trip(tmp_path):
    model = build("Highway-CIFAR", widths=(8, 16), blocks_per_stage=1)
    x = np.random.default_rng(2).normal(size=(2, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 10)
    expected = (conv(3, 3, 8) + 2 * conv(3, 8, 8) + conv(3, 8, 16) + 2 * conv(3, 16, 16)
                + 16 * 10 + 10)
    assert model.count_params() == expected
    path = tmp_path / "highway.keras"
    model.save(path)
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), y, atol=1e-6)


@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (lenet5, {"num_classes": 0}, "Received: num_classes=0"),
        (alexnet, {"dropout": 1.5}, "Received: dropout=1.5"),
        (nin, {"input_shape": (32, 32)}, "Received: input_shape="),
        (highway_cifar, {"widths": ()}, "Received: widths=()"),
        (highway_cifar, {"blocks_per_stage": 0}, "Received: blocks_per_stage=0"),
    ],
)
def test_invalid_arguments(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)


def test_unknown_name():
    with pytest.raises(ValueError, match=r"Unknown model 'AlexNett'.*AlexNet"):
        build("AlexNett")
