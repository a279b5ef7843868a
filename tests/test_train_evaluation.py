"""Test-time evaluation modes against direct NumPy / Keras computations."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from course_lib.train.config import EvalConfig  # noqa: E402
from course_lib.train.evaluation import (  # noqa: E402
    crop_views,
    evaluate_modes,
    collect_arrays,
)


@pytest.fixture(scope="module")
def vgg():
    from course_lib import models

    keras.utils.set_random_seed(0)
    model = models.build("VGG-A-CIFAR", num_classes=4, width_multiplier=0.25)
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


def test_from_logits_must_be_a_bool(vgg, data):
    with pytest.raises(ValueError, match="Received: from_logits='yes'"):
        evaluate_modes(vgg, data[2], EvalConfig(), batch_size=5, flip=False, from_logits="yes")


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
    got = evaluate_modes(model, ds, EvalConfig(modes=("multi_crop",)), batch_size=6, flip=False,
                         from_logits=True)
    padded = np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)))
    total = 0
    for dy, dx in ((0, 0), (0, 8), (8, 0), (8, 8), (4, 4)):
        logits = model.predict(padded[:, dy:dy + 32, dx:dx + 32], verbose=0)
        total = total + tf.nn.softmax(logits).numpy()
    assert got["multi_crop"]["error_pct"] == pytest.approx(
        100.0 * np.mean(np.argmax(total, -1) != labels))


# ---- views that disagree, scored against hand-computed numbers ------------------------------
# A linear 3-class model on 2x2 one-channel images, with hand-chosen integer weights, so its
# output depends on where the image sits in a crop and on a mirror flip. The six images and
# labels were picked so that every evaluation mode predicts differently from the modes a wrong
# implementation would fall back to: multi-crop vs its centre crop only, averaged posteriors vs
# averaged logits, dense at two scales with flips vs one scale without flip, and the
# multi-crop + dense combination vs either part. The references below are plain NumPy
# (slicing, a 4x2 bilinear matrix, an explicit softmax), independent of the kit's code.
W = np.array([[-2, -3, 3], [3, -3, 1], [-3, 0, -3], [-1, 0, -2]], "float64")
X = np.array([[[-2, 1], [-1, 1]], [[-2, -2], [-1, 0]], [[2, 2], [0, 0]],
              [[0, 1], [-1, 1]], [[0, -1], [-1, -1]], [[1, -2], [-1, -1]]], "float64")
Y = np.array([2, 1, 0, 2, 1, 1])
# Bilinear 2 -> 4 upsampling (half-pixel centres): rows are the output pixels' weights.
UP = np.array([[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])


def _softmax(z):
    z = np.exp(z - z.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def _logits(x):
    return x.reshape(len(x), -1) @ W


def _crops(x, flip):
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    views = [padded[:, dy:dy + 2, dx:dx + 2] for dy, dx in ((0, 0), (0, 2), (2, 0), (2, 2), (1, 1))]
    return views + ([v[:, :, ::-1] for v in views] if flip else [])


def _dense(x, scales, flip, average_logits=False):
    views = []
    for q in scales:
        image = x if q == 2 else np.einsum("ai,nij,bj->nab", UP, x, UP)
        for v in ([image, image[:, :, ::-1]] if flip else [image]):
            h, w = v.shape[1:]
            maps = [_logits(v[:, i:i + 2, j:j + 2]) for i in range(h - 1) for j in range(w - 1)]
            views.append(np.mean([m if average_logits else _softmax(m) for m in maps], axis=0))
    return np.mean(views, axis=0)


def _multi_crop(x, flip, average_logits=False):
    return np.mean([_logits(v) if average_logits else _softmax(_logits(v))
                    for v in _crops(x, flip)], axis=0)


def _err(scores):
    return 100.0 * np.mean(np.argmax(scores, -1) != Y)


def _hand_model(softmax_head: bool):
    inputs = keras.Input((2, 2, 1))
    x = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(3, activation="softmax" if softmax_head else None)
    model = keras.Model(inputs, dense(x))
    dense.set_weights([W.astype("float32"), np.zeros(3, "float32")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax_head),
                  metrics=["accuracy"])
    return model


def _hand_data():
    images = X[..., None].astype("float32")
    return tf.data.Dataset.from_tensor_slices((images, Y.astype("int32"))).batch(4)


def test_hand_references_tell_the_modes_apart():
    """The data is discriminating: every wrong variant gives a different error by hand."""
    single = _err(_softmax(_logits(X)))
    multi = _err(_multi_crop(X, flip=True))
    dense = _err(_dense(X, (2, 4), flip=True))
    assert (single, multi, dense) == (pytest.approx(500 / 6), 50.0, 50.0)
    assert _err(_multi_crop(X, flip=True, average_logits=True)) == pytest.approx(100 / 3)
    assert _err(_dense(X, (2, 4), flip=True, average_logits=True)) == pytest.approx(100 / 3)
    assert _err(_dense(X, (2,), flip=False)) == single  # one scale, no flip = the plain image
    assert _err(_dense(X, (2,), flip=True)) == pytest.approx(200 / 3)
    assert _err(_dense(X, (2, 4), flip=False)) == pytest.approx(200 / 3)
    assert _err((_multi_crop(X, True) + _dense(X, (2, 4), True)) / 2) == pytest.approx(100 / 3)


@pytest.mark.parametrize("softmax_head", [True, False], ids=["softmax", "logits"])
def test_every_mode_matches_the_hand_computation(softmax_head):
    model = _hand_model(softmax_head)
    config = EvalConfig(modes=("standard", "single_crop", "multi_crop", "dense",
                               "multi_crop_dense"), crop_padding=1, dense_scales=(2, 4))
    got = evaluate_modes(model, _hand_data(), config, batch_size=4, flip=True,
                         from_logits=not softmax_head)
    errors = {mode: got[mode]["error_pct"] for mode in got}
    assert errors == pytest.approx({
        "standard": 500 / 6,
        "single_crop": 500 / 6,
        "multi_crop": 50.0,  # 10 views, posteriors averaged (centre crop only: 83.33)
        "dense": 50.0,  # Q = 2 and 4, flipped: posteriors averaged (logits: 33.33)
        "multi_crop_dense": 100 / 3,  # the mean of the two posteriors
    })
    assert got["multi_crop"]["views"] == 10 and got["dense"]["views"] == 4
    assert got["multi_crop_dense"]["views"] == 14


@pytest.mark.parametrize("scales, flip, expected", [
    ((2,), True, 200 / 3),  # the flip alone changes the answer
    ((2, 4), False, 200 / 3),  # the second scale alone changes it
    ((2,), False, 500 / 6),  # one scale, no flip: the plain image
])
def test_dense_uses_every_scale_and_the_flip(scales, flip, expected):
    config = EvalConfig(modes=("dense",), crop_padding=1, dense_scales=scales)
    got = evaluate_modes(_hand_model(False), _hand_data(), config, batch_size=4, flip=flip,
                         from_logits=True)
    assert got["dense"]["error_pct"] == pytest.approx(expected)
    assert got["dense"]["views"] == len(scales) * (2 if flip else 1)
