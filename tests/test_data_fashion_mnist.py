"""Real Fashion-MNIST (Debian package dataset-fashion-mnist): counts, labels, pixel statistics,
the fashion_mnist32 view, validation splits, determinism, and a Keras fit on the pipeline.

These tests need the real files: the ``fashion_mnist_dir`` fixture (tests/conftest.py) skips
them with the reason when the files are missing, and fails them under CI=true.
"""

import numpy as np
import pytest
import tensorflow as tf

from course_lib.data import FASHION_MNIST_CLASSES, load
from course_lib.data.fashion_mnist import read_fashion_mnist_idx

pytestmark = [pytest.mark.realdata, pytest.mark.usefixtures("fashion_mnist_dir")]

# Xiao, Rasul & Vollgraf (2017): 60,000 + 10,000 images, 6,000 + 1,000 per class. The pixel
# mean and standard deviation of the training images on the [0, 1] scale are the widely
# used normalisation constants 0.2860 and 0.3530; the first training image is an ankle boot.
TRAIN_MEAN, TRAIN_STD = 0.2860, 0.3530


@pytest.fixture(scope="module")
def arrays(fashion_mnist_dir):
    return read_fashion_mnist_idx(fashion_mnist_dir)


def test_counts_labels_and_pixel_statistics(arrays):
    assert arrays.x_train.shape == (60_000, 28, 28) and arrays.x_train.dtype == np.uint8
    assert arrays.x_test.shape == (10_000, 28, 28)
    np.testing.assert_array_equal(np.bincount(arrays.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(arrays.y_test), [1000] * 10)
    x = arrays.x_train.astype(np.float64) / 255.0
    assert abs(x.mean() - TRAIN_MEAN) < 1e-4
    assert abs(x.std() - TRAIN_STD) < 1e-4
    assert FASHION_MNIST_CLASSES[arrays.y_train[0]] == "Ankle boot"


def test_fashion_mnist_full_pipeline_counts(arrays, tmp_path):
    train, val, test, info = load("fashion_mnist", batch_size=1000, data_dir=tmp_path)
    assert val is None
    assert info.num_examples == {"train": 60_000, "val": 0, "test": 10_000}
    assert info.input_shape == (28, 28, 1) and info.class_names == FASHION_MNIST_CLASSES
    assert abs(info.mean[0] - TRAIN_MEAN) < 1e-4
    ys = np.concatenate([y.numpy() for _, y in test])
    np.testing.assert_array_equal(ys, arrays.y_test)  # test keeps file order
    labels = np.concatenate([y.numpy() for _, y in train])
    np.testing.assert_array_equal(np.bincount(labels), [6000] * 10)
    assert not np.array_equal(labels, arrays.y_train)  # shuffled


def test_fashion_mnist32_view(arrays, tmp_path):
    train, val, test, info = load("fashion_mnist32", batch_size=256, data_dir=tmp_path)
    assert info.input_shape == (32, 32, 3) and info.num_classes == 10
    # the mean of the padded view: same images, 784 of 1024 pixels, identical channels
    expected = (arrays.x_train.astype(np.float64) / 255.0).mean() * 784 / 1024
    np.testing.assert_allclose(info.mean, [expected] * 3, rtol=1e-9)
    x, y = next(iter(test))
    x = x.numpy()
    assert x.shape == (256, 32, 32, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], x[..., 1])
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    ref = np.pad(arrays.x_test[:256] / 255.0, [(0, 0), (2, 2), (2, 2)]) - expected
    np.testing.assert_allclose(x[..., 0], ref, atol=1e-6)
    np.testing.assert_allclose(x[:, :2, :, :], -expected, atol=1e-7)  # 2 px border of zeros
    np.testing.assert_array_equal(y.numpy(), arrays.y_test[:256])
    assert str(info.source) == str(arrays.source)


def test_limit_and_determinism(tmp_path):
    kw = dict(batch_size=64, data_dir=tmp_path, limit=256, augment=True)
    runs = [load("fashion_mnist32", seed=s, **kw)[0] for s in (3, 3, 4)]
    epochs = [[np.concatenate([x.numpy() for x, _ in r]) for _ in range(2)] for r in runs]
    labels = [np.concatenate([y.numpy() for _, y in r]) for r in runs]
    assert epochs[0][0].shape == (256, 32, 32, 3)
    np.testing.assert_array_equal(epochs[0][0], epochs[1][0])  # same seed, same batches
    np.testing.assert_array_equal(epochs[0][1], epochs[1][1])  # ... in every epoch
    np.testing.assert_array_equal(labels[0], labels[1])
    assert not np.array_equal(epochs[0][0], epochs[0][1])  # a new order each epoch
    assert not np.array_equal(epochs[0][0], epochs[2][0])  # another seed, other batches


def test_keras_fit_on_pipeline(tmp_path):
    import keras

    train, val, test, info = load(
        "fashion_mnist32", batch_size=64, data_dir=tmp_path, limit=256
    )
    assert val is None and info.num_examples == {"train": 256, "val": 0, "test": 256}
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(info.input_shape),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(info.num_classes),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    hist = model.fit(train, validation_data=test, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["val_loss"]).all()
    loss, acc = model.evaluate(test, verbose=0)
    # the value, not a range: evaluate()'s accuracy is the share of argmax hits on the test set
    hits = [np.argmax(model.predict(x, verbose=0), -1) == y.numpy() for x, y in test]
    assert np.isfinite(loss) and acc == pytest.approx(np.mean(np.concatenate(hits)), abs=1e-6)
    tf.debugging.assert_equal(tf.shape(next(iter(test))[0])[1:], info.input_shape)
