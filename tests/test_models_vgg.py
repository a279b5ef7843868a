"""Tests for the VGG configurations (course_lib.models.vgg)."""
import gc

import keras
import numpy as np
import pytest

from course_lib.models import build, names
from course_lib.models.vgg import VGG_CONFIGS, vgg, vgg_cifar

# Parameter counts printed in the original paper (millions; seed 001 digest), as data.
PRINTED_M = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}


def closed_form(config, num_classes=1000, image=224, width=1.0, fc=4096):
    """Independent count: conv k*k*cin*cout + cout, FC in*out + out."""
    total, cin, side = 0, 3, image
    for item in config:
        if item == "M":
            side //= 2
        elif item == "LRN":
            continue
        else:
            k, f = item if isinstance(item, tuple) else (3, item)
            f = max(1, round(f * width))
            total += k * k * cin * f + f
            cin = f
    for n_in, n_out in ((side * side * cin, fc), (fc, fc), (fc, num_classes)):
        total += n_in * n_out + n_out
    return total


@pytest.fixture
def free_memory():
    """Release a 224-input VGG (0.5 GB of weights, held in reference cycles) after the test."""
    yield
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.parametrize("key", list(VGG_CONFIGS))
def test_paper_configs_count(key, free_memory):
    # Zero init: the count does not depend on it and 140M random draws are slow on 2 cores.
    model = build(f"VGG-{key}", kernel_initializer="zeros")
    assert model.name == f"VGG-{key}"
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 1000)
    count = model.count_params()
    assert count == closed_form(VGG_CONFIGS[key])
    assert abs(count / 1e6 - PRINTED_M[key]) < 0.5  # the paper's rounded count
    app = {"D": "VGG16", "E": "VGG19"}.get(key)
    if app is not None:  # same layer names and weight shapes as keras.applications
        ref = getattr(keras.applications, app)(weights=None)
        assert count == ref.count_params()
        assert {w.path: tuple(w.shape) for w in model.weights} == {
            w.path: tuple(w.shape) for w in ref.weights}


def test_depths_and_special_layers():
    def conv_kernels(model):
        return [tuple(layer.kernel.shape[:2]) for layer in model.layers
                if isinstance(layer, keras.layers.Conv2D)]

    weight_layers = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}
    for key, depth in weight_layers.items():
        convs = sum(isinstance(x, (int, tuple)) for x in VGG_CONFIGS[key])
        assert convs + 3 == depth
        assert VGG_CONFIGS[key].count("M") == 5
    c = vgg_cifar("C")
    kernels = conv_kernels(c)
    assert kernels.count((1, 1)) == 3
    assert [c.get_layer(f"block{b}_conv3").kernel.shape[:2] for b in (3, 4, 5)] == [(1, 1)] * 3
    lrn = vgg_cifar("A-LRN")
    order = [layer.name for layer in lrn.layers]
    assert order[1:4] == ["block1_conv1", "block1_lrn", "block1_pool"]
    assert type(lrn.get_layer("block1_lrn")).__name__ == "LocalResponseNormalization"
    assert (lrn.get_layer("block1_lrn").size, lrn.get_layer("block1_lrn").k) == (5, 2.0)


def test_dropout_after_fc1_and_fc2():
    order = [layer.name for layer in vgg_cifar("A").layers]
    assert order[-5:] == ["fc1", "fc1_dropout", "fc2", "fc2_dropout", "predictions"]
    assert vgg_cifar("A").get_layer("fc1_dropout").rate == 0.5


def test_cifar_family():
    assert names(family="vgg-cifar") == [f"VGG-{k}-CIFAR" for k in VGG_CONFIGS]
    model = build("vgg-d-cifar")
    assert model.name == "VGG-D-CIFAR"
    assert model.get_layer("flatten").input.shape == (None, 1, 1, 128)
    assert model.get_layer("fc1").units == 128 and model.output_shape == (None, 10)
    assert model.count_params() == closed_form(VGG_CONFIGS["D"], 10, 32, 0.25, 128)
    wider = build("VGG-D-CIFAR", num_classes=100, width_multiplier=2.0)
    assert wider.get_layer("fc1").units == 256
    assert wider.count_params() == closed_form(VGG_CONFIGS["D"], 100, 32, 0.5, 256)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def test_batch_norm_option_adds_bn_per_conv():
    plain, bn = vgg_cifar("A"), vgg_cifar("A", batch_norm=True)
    conv_channels = [layer.filters for layer in plain.layers
                     if isinstance(layer, keras.layers.Conv2D)]
    assert bn.count_params() - plain.count_params() == 4 * sum(conv_channels)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"config": "F"}, "Received: config='F'"),
        ({"config": [64, "P"]}, "Received: config="),
        ({"config": "A", "width_multiplier": 0}, "Received: width_multiplier=0"),
        ({"config": "A", "fc_units": 0}, "Received: fc_units=0"),
        ({"config": "A", "dropout": -0.1}, "Received: dropout=-0.1"),
        ({"config": "A", "input_shape": (16, 16, 3)}, "Received: input_shape="),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vgg(**kwargs)


def test_unknown_name_suggests_close_match():
    with pytest.raises(ValueError, match=r"Unknown model 'VGG-F'.*VGG-"):
        build("VGG-F")
