"""course_lib.analysis.visualize: the numbers behind the pictures, checked against hand-made
kernels, a hand-computed convolution, an empirical receptive field (gradient support) and the
layer counts of known models."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

matplotlib.use("Agg")

from course_lib.analysis import (  # noqa: E402
    activation_maps,
    architecture_column,
    filter_grid,
    plot_architecture,
    plot_filters,
    plot_filters_and_maps,
    plot_receptive_fields,
    receptive_field_box,
)
from course_lib.models import build  # noqa: E402

L = keras.layers


# ----------------------------------------------------------------------------- filter_grid


def test_filter_grid_places_and_scales_each_filter():
    k = np.zeros((2, 2, 3, 3), "float32")
    k[0, 0, 0, 0] = 5.0             # filter 0: one red pixel
    k[..., 1] = -1.0                # filter 1: constant -> 0.5 grey
    k[1, 1, 2, 2], k[0, 1, 2, 2] = 2.0, -2.0   # filter 2: blue +, blue -
    grid = filter_grid(k, columns=2, pad=1)
    assert grid.shape == (2 * 3 - 1, 2 * 3 - 1, 3)
    assert grid[0, 0].tolist() == [1.0, 0.0, 0.0]          # scaled to [0, 1] on its own
    assert np.all(grid[0:2, 3:5] == 0.5)                   # constant filter
    assert grid[3 + 1, 1].tolist() == [0.5, 0.5, 1.0]      # filter 2 starts a new row
    assert grid[3 + 0, 1].tolist() == [0.5, 0.5, 0.0]
    assert np.all(grid[2, :] == 1.0) and np.all(grid[:2, 2] == 1.0)   # white separators
    assert np.all(grid[3:5, 3:5] == 1.0)                   # empty slot stays white


def test_filter_grid_channel_modes():
    rng = np.random.default_rng(0)
    k = rng.standard_normal((3, 3, 4, 2)).astype("float32")
    summed = filter_grid(k, channels="sum", columns=2, pad=0)
    ref = k.sum(axis=2)[..., 0]
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(summed[:, :3, 0], ref, atol=1e-6)
    assert np.array_equal(summed[..., 0], summed[..., 2])  # grey
    np.testing.assert_allclose(filter_grid(k, channels="mean"), filter_grid(k, channels="auto"))
    # the mean and the sum differ only by a factor, which min-max scaling removes
    np.testing.assert_allclose(filter_grid(k, channels="mean"), filter_grid(k, channels="sum"),
                               atol=1e-6)
    assert filter_grid(k, max_filters=1).shape == (3, 3, 3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel=np.zeros((3, 3, 3))), "in_channels, filters"),
    (dict(kernel=np.zeros((3, 3, 2, 1)), channels="rgb"), "3 input channels"),
    (dict(kernel=np.zeros((3, 3, 3, 1)), channels="red"), "channels="),
    (dict(kernel=np.zeros((3, 3, 3, 1)), columns=0), "columns=0"),
    (dict(kernel=np.zeros((3, 3, 3, 1)), pad=-1), "pad=-1"),
    (dict(kernel=np.zeros((3, 3, 3, 1)), max_filters=0), "max_filters=0"),
])
def test_filter_grid_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        filter_grid(**kwargs)


# ----------------------------------------------------------------------------- activation maps


def _tiny_net():
    inputs = keras.Input((6, 6, 1))
    x = L.Conv2D(2, 3, name="conv", activation="relu")(inputs)
    x = L.Dropout(0.9, name="drop")(x)
    outputs = L.Dense(3, name="fc")(L.Flatten()(x))
    net = keras.Model(inputs, outputs, name="tiny")
    w = np.zeros((3, 3, 1, 2), "float32")
    w[1, 0, 0, 0], w[1, 2, 0, 0] = -1.0, 1.0      # horizontal gradient
    w[0, 1, 0, 1], w[2, 1, 0, 1] = -1.0, 1.0      # vertical gradient
    net.get_layer("conv").set_weights([w, np.zeros(2, "float32")])
    return net


def test_activation_maps_equal_a_hand_convolution_in_inference_mode():
    net = _tiny_net()
    image = np.tile(np.arange(6, dtype="float32"), (6, 1))[None, :, :, None]  # ramp along width
    maps = activation_maps(net, image, ["conv", "drop"])
    assert list(maps) == ["conv", "drop"]
    assert maps["conv"].shape == (1, 4, 4, 2) and maps["conv"].dtype == np.float32
    assert np.all(maps["conv"][..., 0] == 2.0)     # x[j+1] - x[j-1] of a unit ramp
    assert np.all(maps["conv"][..., 1] == 0.0)     # no vertical change
    np.testing.assert_array_equal(maps["drop"], maps["conv"])   # dropout off at inference


def test_activation_maps_unknown_layer_suggests_a_name():
    with pytest.raises(ValueError, match="Did you mean 'conv'"):
        activation_maps(_tiny_net(), np.zeros((1, 6, 6, 1)), "conv1")
    with pytest.raises(ValueError, match="layers=\\[\\]"):
        activation_maps(_tiny_net(), np.zeros((1, 6, 6, 1)), [])


# ----------------------------------------------------------------------------- receptive fields


def _gradient_box(model, layer, pos):
    """Input pixels with a nonzero gradient of unit ``pos`` of ``layer`` (all-ones weights)."""
    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    x = tf.ones((1, *model.input_shape[1:]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        unit = probe(x)[0, pos[0], pos[1], 0]
    grad = np.abs(tape.gradient(unit, x).numpy()[0]).sum(axis=-1)
    rows, cols = np.flatnonzero(grad.sum(axis=1)), np.flatnonzero(grad.sum(axis=0))
    return rows[0], cols[0], rows[-1], cols[-1]


def test_receptive_field_box_matches_gradient_support():
    ones = dict(kernel_initializer="ones", use_bias=False)
    inputs = keras.Input((23, 23, 1))
    x = L.Conv2D(1, 5, strides=2, padding="valid", name="c1", **ones)(inputs)   # 10x10
    x = L.AveragePooling2D(2, name="p1")(x)                                     # 5x5
    x = L.Conv2D(1, 3, padding="valid", name="c2", **ones)(x)                   # 3x3
    model = keras.Model(inputs, x)
    for layer, pos in [("c1", (0, 0)), ("c1", (3, 7)), ("p1", (2, 1)), ("c2", (1, 2))]:
        assert receptive_field_box(model, layer, pos) == _gradient_box(model, layer, pos), layer
    # by hand: rf 5 (jump 2) -> 5 + 1*2 = 7 (jump 4) -> 7 + 2*4 = 15; centre 2 -> 3 -> 7
    assert receptive_field_box(model, "c2", (0, 0)) == (0, 0, 14, 14)


def test_receptive_field_box_same_padding_runs_onto_the_padding():
    inputs = keras.Input((8, 8, 1))
    x = L.Conv2D(1, 3, padding="same", name="a")(inputs)
    x = L.Conv2D(1, 3, padding="same", name="b")(x)
    model = keras.Model(inputs, x)
    assert receptive_field_box(model, "b", (0, 0)) == (-2, -2, 2, 2)
    assert receptive_field_box(model, "b", (7, 3)) == (5, 1, 9, 5)


def test_receptive_field_box_rejects_bad_positions_and_layers():
    model = build("CNN-A2")
    with pytest.raises(ValueError, match="position"):
        receptive_field_box(model, "conv5", (8, 0))
    with pytest.raises(ValueError, match="no spatial output"):
        receptive_field_box(model, "fc", (0, 0))
    with pytest.raises(ValueError, match="Unknown layer 'conv9'"):
        receptive_field_box(model, "conv9", (0, 0))


# ----------------------------------------------------------------------------- architecture


def test_architecture_column_of_known_models():
    boxes, shortcuts = architecture_column(build("VGG-E"))
    kinds = [b.kind for b in boxes]
    assert (kinds.count("conv"), kinds.count("pool"), kinds.count("fc")) == (16, 5, 3)
    assert boxes[0].label == "3x3 conv, 64" and boxes[0].size == 224 and shortcuts == []
    assert boxes[2].label == "pool, /2" and boxes[2].size == 112

    boxes, shortcuts = architecture_column(build("ResNet-20"))
    assert [b.kind for b in boxes].count("conv") == 19 and boxes[-2].kind == "global_pool"
    # 9 blocks, each spanning its two convs; the 2 stage changes are the dashed (option A) ones
    assert [(a, b) for a, b, _ in shortcuts] == [(2 * i, 2 * i + 2) for i in range(9)]
    assert [d for *_, d in shortcuts] == [False] * 3 + [True] + [False] * 2 + [True] + [False] * 2
    assert boxes[7].label == "3x3 conv, 32, /2"

    assert architecture_column(build("Plain-20"))[1] == []
    alex = architecture_column(build("AlexNet"))[0]
    assert [b.label for b in alex[:3]] == ["11x11 conv, 96, /4", "pool, /2", "LRN"]


def test_architecture_column_projection_shortcut_spans_its_convolution():
    boxes, shortcuts = architecture_column(build("ResNet-56-Bottleneck"))
    # first block: stem (box 0) -> 1x1, 3x3, 1x1 (boxes 1-3) and the projection (box 4)
    assert boxes[4].layer.endswith("proj_conv")
    assert shortcuts[0] == (0, 4, True) and shortcuts[1] == (4, 7, False)


# ----------------------------------------------------------------------------- plots


def test_plots_draw_without_error():
    import matplotlib.pyplot as plt

    net = build("CNN-A2", input_shape=(32, 32, 3))
    image = np.random.default_rng(0).random((32, 32, 3)).astype("float32")
    for fig in (plot_filters(net, max_filters=8),
                plot_filters_and_maps(net, image, "conv1", channels=[0, 3]),
                plot_receptive_fields(image, net, [("conv1", (16, 16)), ("conv3", (8, 8))]),
                plot_architecture([build("Plain-20"), build("ResNet-20")])):
        assert fig.axes
        plt.close(fig)
    with pytest.raises(ValueError, match="filter indices"):
        plot_filters_and_maps(net, image, "conv1", channels=[10_000])
    with pytest.raises(ValueError, match="no 4-D convolution kernel"):
        plot_filters(net, "pool1")
