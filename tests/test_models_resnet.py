"""Tests for the CIFAR plain/residual nets of He et al. (course_lib.models.resnet)."""
import keras
import numpy as np
import pytest

from course_lib.models import build, names
from course_lib.models.resnet import ZeroPadShortcut, resnet_cifar

# He et al. 2016, Table 6 (CIFAR-10, option A): parameters in millions, as printed.
PRINTED_M = {20: 0.27, 32: 0.46, 56: 0.85}


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def closed_form_basic(depth, num_classes=10, shortcut="A"):
    """Trainable parameters: bias-free 3x3 convs, BN (gamma, beta) per conv, FC."""
    n = (depth - 2) // 6
    total = 9 * 3 * 16 + 2 * 16  # stem conv + BN
    cin = 16
    for width in (16, 32, 64):
        for i in range(n):
            total += 9 * cin * width + 2 * width + 9 * width * width + 2 * width
            if shortcut == "B" and cin != width:
                total += cin * width + 2 * width  # 1x1 projection + BN
            cin = width
    return total + 64 * num_classes + num_classes


def closed_form_bottleneck(depth, num_classes=10):
    n = (depth - 2) // 9
    total = 9 * 3 * 16 + 2 * 16
    cin = 16
    for width in (16, 32, 64):
        for i in range(n):
            total += cin * width + 2 * width          # 1x1 reduce
            total += 9 * width * width + 2 * width     # 3x3
            total += width * 4 * width + 8 * width     # 1x1 expand
            if cin != 4 * width:
                total += cin * 4 * width + 8 * width   # projection (option B)
            cin = 4 * width
    return total + cin * num_classes + num_classes


def test_registered_names():
    assert names(family="resnet") == [
        "Plain-20", "ResNet-20", "Plain-32", "ResNet-32", "Plain-56", "ResNet-56",
        "ResNet-56-Bottleneck",
    ]


@pytest.mark.parametrize("depth", [20, 32, 56])
def test_counts_match_closed_form_and_paper(depth):
    res, plain = build(f"ResNet-{depth}"), build(f"plain-{depth}")
    assert (res.name, plain.name) == (f"ResNet-{depth}", f"Plain-{depth}")
    assert trainable(res) == trainable(plain) == closed_form_basic(depth)
    assert abs(trainable(res) / 1e6 - PRINTED_M[depth]) <= 0.005
    convs = [layer for layer in res.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) + 1 == depth  # weight layers: convs + fc
    adds = [layer for layer in res.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 3 * (depth - 2) // 6
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)


def test_stage_shapes():
    model = build("ResNet-20")
    assert model.get_layer("stage1_block3_out").output.shape == (None, 32, 32, 16)
    assert model.get_layer("stage2_block1_out").output.shape == (None, 16, 16, 32)
    assert model.get_layer("stage3_block3_out").output.shape == (None, 8, 8, 64)


def test_option_b_and_bottleneck_counts():
    assert trainable(resnet_cifar(20, shortcut="B")) == closed_form_basic(20, shortcut="B")
    bottleneck = build("ResNet-56-Bottleneck")
    assert trainable(bottleneck) == closed_form_bottleneck(56)
    assert bottleneck.get_layer("stage3_block6_out").output.shape == (None, 8, 8, 256)


def test_zero_pad_shortcut_against_numpy():
    layer = ZeroPadShortcut(32, strides=2)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    expected = np.concatenate([x[:, ::2, ::2, :], np.zeros((2, 4, 4, 16), "float32")], axis=-1)
    np.testing.assert_array_equal(np.asarray(layer(x)), expected)
    assert layer.compute_output_shape((None, 7, 8, 16)) == (None, 4, 4, 32)
    clone = ZeroPadShortcut.from_config(layer.get_config())
    assert (clone.filters, clone.strides) == (32, 2)
    assert not layer.weights


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": 0}, "Received: filters=0"),
        ({"filters": 8, "strides": 0}, "Received: strides=0"),
    ],
)
def test_zero_pad_shortcut_invalid(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ZeroPadShortcut(**kwargs)


def test_zero_pad_shortcut_cannot_remove_channels():
    with pytest.raises(ValueError, match="filters"):
        ZeroPadShortcut(8)(np.zeros((1, 4, 4, 16), "float32"))


def test_forward_and_round_trip(tmp_path):
    model = resnet_cifar(20, base_width=4, num_classes=5)
    x = np.random.default_rng(1).normal(size=(2, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x, training=False))
    assert y.shape == (2, 5)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    path = tmp_path / "resnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), y, atol=1e-6)


def test_batchnorm_momentum_is_he_et_al_value():
    # Keras' default 0.99 leaves short-budget test error near chance (moving stats barely move).
    bns = [l for l in resnet_cifar(20, base_width=4).layers if isinstance(l, keras.layers.BatchNormalization)]
    assert len(bns) == 19 and {l.momentum for l in bns} == {0.9}
    tuned = resnet_cifar(20, base_width=4, bn_momentum=0.5, residual=False)
    assert {l.momentum for l in tuned.layers if isinstance(l, keras.layers.BatchNormalization)} == {0.5}


def test_weight_decay_adds_losses():
    model = resnet_cifar(20, base_width=4, weight_decay=1e-4)
    assert len(model.losses) == 19 + 1  # every conv kernel and the fc kernel


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"depth": 21}, "Received: depth=21"),
        ({"depth": 32, "block": "bottleneck"}, "Received: depth=32"),
        ({"depth": 20, "block": "wide"}, "Received: block='wide'"),
        ({"depth": 20, "shortcut": "C"}, "Received: shortcut='C'"),
        ({"depth": 20, "weight_decay": -1.0}, "Received: weight_decay=-1.0"),
        ({"depth": 20, "bn_momentum": 1.0}, "Received: bn_momentum=1.0"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        resnet_cifar(**kwargs)
