"""Test-time evaluation modes against direct NumPy / Keras computations."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from course_lib.train.config import EvalConfig  # noqa: E402
from course_lib.train.evaluation import (  # noqa: E402
    crop_views,
    evaluate_modes,
    outputs_probabilities,
    collect_arrays,
)


@pytest.fixture(scope="module")
def vgg():
    from course_lib import models

    keras.utils.set_random_seed(0)
    model = models.build("VGG-A-CIFAR", num_classes=4, width=0.0625)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(12, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 4, size=12).astype("int32")
    return images, labels, tf.data.Dataset.from_tensor_slices((images, labels)).batch(5)


def test_crop_views_are_corner_and_centre_crops_of_the_padded_image():
    x = np.arange(2 * 5 * 6 * 1, dtype="float32").reshape(2, 5, 6, 1)
    views = crop_views(x, padding=2, flip=True)
    assert len(views) == 10
    padded = np.zeros((2, 9, 10, 1), "float32")
    padded[:, 2:7, 2:8] = x
    expected = [padded[:, 0:5, 0:6], padded[:, 0:5, 4:10], padded[:, 4:9, 0:6],
                padded[:, 4:9, 4:10], padded[:, 2:7, 2:8]]
    for got, want in zip(views[:5], expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(views[4], x)  # the centre crop is the image
    for got, want in zip(views[5:], expected):
        np.testing.assert_array_equal(got, want[:, :, ::-1])
    assert len(crop_views(x, padding=2, flip=False)) == 5
    with pytest.raises(ValueError, match="images"):
        crop_views(x[0], padding=2, flip=False)


def test_outputs_probabilities_detects_softmax_heads(vgg):
    assert outputs_probabilities(vgg)
    inputs = keras.Input((3,))
    assert not outputs_probabilities(keras.Model(inputs, keras.layers.Dense(2)(inputs)))
    assert outputs_probabilities(keras.Model(inputs, keras.layers.Softmax()(inputs)))


def test_collect_arrays_concatenates_the_pipeline(data):
    images, labels, ds = data
    x, y = collect_arrays(ds)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_modes_against_direct_computation(vgg, data):
    from course_lib.models.dense_eval import to_fully_convolutional

    images, labels, ds = data
    config = EvalConfig(modes=("standard", "single_crop", "multi_crop", "dense"),
                        crop_padding=4, dense_scales=(32, 64))
    got = evaluate_modes(vgg, ds, config, batch_size=5, flip=True)
    assert list(got) == ["standard", "single_crop", "multi_crop", "dense"]

    def error(scores):
        return 100.0 * np.mean(np.argmax(scores, -1) != labels)

    plain = vgg.predict(images, verbose=0)
    _, accuracy = vgg.evaluate(ds, verbose=0)
    assert got["standard"]["error_pct"] == pytest.approx(100 * (1 - accuracy))
    assert got["single_crop"]["error_pct"] == pytest.approx(error(plain))

    padded = np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)))
    total = 0
    for dy, dx in ((0, 0), (0, 8), (8, 0), (8, 8), (4, 4)):
        crop = padded[:, dy:dy + 32, dx:dx + 32]
        total = total + vgg.predict(crop, verbose=0) + vgg.predict(crop[:, :, ::-1], verbose=0)
    assert got["multi_crop"]["error_pct"] == pytest.approx(error(total))
    assert got["multi_crop"]["views"] == 10

    fc = to_fully_convolutional(vgg)
    dense = 0
    for q in (32, 64):
        view = images if q == 32 else tf.image.resize(images, (q, q), method="bilinear").numpy()
        for v in (view, view[:, :, ::-1]):
            dense = dense + fc.predict(v, verbose=0).mean(axis=(1, 2))
    assert got["dense"]["error_pct"] == pytest.approx(error(dense))
    assert got["dense"]["scales"] == [32, 64] and got["dense"]["views"] == 4


def test_logit_models_are_scored_by_posteriors(data):
    images, labels, ds = data
    keras.utils.set_random_seed(2)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Dense(4)(x)
    model = keras.Model(inputs, logits)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    got = evaluate_modes(model, ds, EvalConfig(modes=("multi_crop",)), batch_size=6, flip=False)
    padded = np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)))
    total = 0
    for dy, dx in ((0, 0), (0, 8), (8, 0), (8, 8), (4, 4)):
        logits = model.predict(padded[:, dy:dy + 32, dx:dx + 32], verbose=0)
        total = total + tf.nn.softmax(logits).numpy()
    assert got["multi_crop"]["error_pct"] == pytest.approx(
        100.0 * np.mean(np.argmax(total, -1) != labels))
