"""Tests for dense (fully convolutional) evaluation (course_lib.models.dense_eval)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib.models import build, dense_scores, to_fully_convolutional
from course_lib.models.vgg import vgg, vgg_cifar


def run(model, x):
    return np.asarray(model(x, training=False))


def _images(n, side, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, side, side, 3)).astype("float32")


@pytest.fixture(scope="module")
def narrow_vgg224():
    # VGG-D's layer pattern at 224x224 with 1/16 of the widths (4..32 channels), FC 64.
    return vgg("D", width_multiplier=1 / 16, fc_units=1024, num_classes=10)


@pytest.fixture(scope="module")
def narrow_vgg224_fc(narrow_vgg224):
    return to_fully_convolutional(narrow_vgg224)


def test_224_vgg_head_becomes_7x7_and_1x1_convs(narrow_vgg224, narrow_vgg224_fc):
    fc = narrow_vgg224_fc
    assert fc.get_layer("fc1").kernel.shape == (7, 7, 32, 64)
    assert fc.get_layer("fc2").kernel.shape == (1, 1, 64, 64)
    assert fc.get_layer("predictions").kernel.shape == (1, 1, 64, 10)
    assert fc.count_params() == narrow_vgg224.count_params()
    np.testing.assert_array_equal(
        fc.get_layer("fc1").kernel.numpy().reshape(-1, 64),
        narrow_vgg224.get_layer("fc1").kernel.numpy(),
    )


def test_224_scores_equal_original(narrow_vgg224, narrow_vgg224_fc):
    x = _images(2, 224)
    ref = run(narrow_vgg224, x)
    maps = run(narrow_vgg224_fc, x)
    assert maps.shape == (2, 1, 1, 10)
    np.testing.assert_allclose(maps[:, 0, 0, :], ref, atol=1e-4)


@pytest.mark.parametrize("side, grid", [(256, 2), (384, 6)])
def test_score_map_size(narrow_vgg224_fc, side, grid):
    # (side / 32 - 7) + 1 positions: CS231n's 384 -> 6x6 example (seed 003).
    maps = run(narrow_vgg224_fc, _images(1, side))
    assert maps.shape == (1, grid, grid, 10)
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0, rtol=1e-5)  # softmax per position


def test_cifar_vgg_fc1_becomes_1x1_conv():
    model = vgg_cifar("A", width_multiplier=0.5)
    fc = to_fully_convolutional(model)
    assert fc.get_layer("fc1").kernel.shape == (1, 1, 64, 64)
    x = _images(3, 32)
    np.testing.assert_allclose(
        run(fc, x)[:, 0, 0, :], run(model, x), atol=1e-5
    )
    assert run(fc, _images(1, 64)).shape == (1, 2, 2, 10)


def test_conversion_copies_weights():
    model = vgg_cifar("A-LRN", width_multiplier=0.5)
    fc = to_fully_convolutional(model)
    before = model.get_layer("block1_conv1").kernel.numpy().copy()
    fc.get_layer("block1_conv1").kernel.assign(np.zeros_like(before))
    np.testing.assert_array_equal(model.get_layer("block1_conv1").kernel.numpy(), before)


def test_dense_scores_against_manual_average():
    model = vgg_cifar("B", width_multiplier=0.5)
    fc = to_fully_convolutional(model)
    x = _images(4, 32, seed=1)
    # At the training size the dense score is the original prediction.
    np.testing.assert_allclose(dense_scores(fc, x), run(model, x), atol=1e-5)
    # Flip: mean of the image and its mirror.
    expected = (run(model, x) + run(model, x[:, :, ::-1])) / 2
    np.testing.assert_allclose(dense_scores(fc, x, flip=True), expected, atol=1e-5)
    # Multi-scale: spatial mean of each scale's map, then mean over scales.
    big = tf.image.resize(x, (64, 64), method="bilinear").numpy()
    mean64 = run(fc, big).mean(axis=(1, 2))
    expected = (run(model, x) + mean64) / 2
    np.testing.assert_allclose(dense_scores(fc, x, scales=(32, 64)), expected, atol=1e-5)
    np.testing.assert_allclose(dense_scores(fc, x, scales=(64,)).sum(axis=1), 1.0, rtol=1e-5)


def test_dense_scores_keeps_aspect_ratio():
    fc = to_fully_convolutional(vgg_cifar("A", width_multiplier=0.5))
    x = np.random.default_rng(2).uniform(size=(1, 32, 48, 3)).astype("float32")
    big = tf.image.resize(x, (64, 96), method="bilinear").numpy()
    expected = run(fc, big).mean(axis=(1, 2))
    np.testing.assert_allclose(dense_scores(fc, x, scales=(64,)), expected, atol=1e-5)


def test_rejects_models_without_flatten_or_not_a_chain():
    with pytest.raises(ValueError, match="Flatten"):
        to_fully_convolutional(build("NIN"))
    with pytest.raises(ValueError, match="chain"):
        to_fully_convolutional(build("ResNet-20"))
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.BatchNormalization()(x)
    with pytest.raises(ValueError, match="no convolutional equivalent"):
        to_fully_convolutional(keras.Model(inputs, keras.layers.Dense(2)(x)))


def test_dense_scores_rejects_bad_input():
    fc = to_fully_convolutional(vgg_cifar("A", width_multiplier=0.5))
    with pytest.raises(ValueError, match="Received: images.shape"):
        dense_scores(fc, np.zeros((32, 32, 3), "float32"))
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        dense_scores(fc, np.zeros((1, 32, 32, 3), "float32"), batch_size=0)
