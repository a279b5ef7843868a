"""The tfds loaders through tensorflow-datasets' real code paths, on tfds.testing.mock_data.

mock_data makes ``download_and_prepare`` a no-op and generates deterministic random examples
(every split yields the same ones). The reachability check is switched off because the mocked
download needs no network; nothing here touches the network.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from course_lib.data import CIFAR10_CLASSES, CIFAR100_CLASSES, load, tfds_source
from course_lib.data import preprocess

N = 200  # mock examples per split


@pytest.fixture
def mock_tfds(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    with tfds.testing.mock_data(num_examples=N):
        yield tmp_path / "data"


def _raw(tfds_name, split):
    """The split as NumPy arrays through plain tfds.load (an independent path)."""
    ds = tfds.load(tfds_name, split=split, shuffle_files=False)
    examples = list(tfds.as_numpy(ds))
    return (
        np.stack([ex["image"] for ex in examples]),
        np.array([ex["label"] for ex in examples]),
    )


def _collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


def _key(images):
    """Order-free fingerprint of a set of images: sorted per-image sums and labels."""
    return np.sort(images.reshape(len(images), -1).sum(axis=1))


def test_cifar10_shapes_dtypes_batching_info(mock_tfds):
    train, val, test, info = load("cifar10", batch_size=64, data_dir=mock_tfds)
    sizes = [int(x.shape[0]) for x, _ in train]
    assert sizes == [64, 64, 64, 8] and val is None
    x, y = next(iter(test))
    assert x.dtype == tf.float32 and y.dtype == tf.int32
    assert x.shape == (64, 32, 32, 3) and y.shape == (64,)
    assert train.element_spec[0].shape.as_list() == [None, 32, 32, 3]
    assert int(train.cardinality()) == 4 and int(test.cardinality()) == 4
    assert info.num_classes == 10 and info.input_shape == (32, 32, 3)
    assert info.class_names == CIFAR10_CLASSES and info.class_names[0] == "airplane"
    assert info.num_examples == {"train": N, "val": 0, "test": N}
    assert info.splits == {"train": "train", "val": None, "test": "test"}
    assert "cifar10" in info.source
    assert not info.augment and info.flip  # flips are allowed on CIFAR
    assert info.preprocessing.startswith("scale uint8 to [0, 1]")


def test_mean_subtraction_against_numpy(mock_tfds):
    train, _, test, info = load("cifar10", batch_size=50, data_dir=mock_tfds, train_limit=100)
    raw_x, raw_y = _raw("cifar10", "train")
    idx = np.sort(np.concatenate([np.flatnonzero(raw_y == c)[:10] for c in range(10)]))
    assert info.splits["train"] == ("train, first 10 per class in file order (100 images, "
                                    "train_limit)")
    mean = (raw_x[idx].astype(np.float64) / 255).reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(info.mean, mean, rtol=1e-10)

    x_train, y_train = _collect(train)
    np.testing.assert_allclose(x_train.reshape(-1, 3).mean(axis=0), 0.0, atol=1e-5)
    assert _key(x_train).shape == (100,)
    np.testing.assert_allclose(_key(x_train), _key(raw_x[idx] / 255.0 - mean), atol=1e-3)
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), [10] * 10)

    test_x, test_y = _raw("cifar10", "test")
    x_test, y_test = _collect(test)
    np.testing.assert_allclose(x_test, test_x / 255.0 - mean, atol=1e-6)
    np.testing.assert_array_equal(y_test, test_y)
    assert not (mock_tfds / "cache").exists()  # computed each time, nothing written


def test_cifar100(mock_tfds):
    train, val, test, info = load("cifar100", batch_size=100, data_dir=mock_tfds)
    assert val is None and info.num_examples["val"] == 0
    assert info.num_classes == 100 and len(info.class_names) == 100
    assert info.class_names[:3] == ("apple", "aquarium_fish", "baby")
    assert info.class_names == CIFAR100_CLASSES
    x, y = _collect(test)
    assert x.shape == (N, 32, 32, 3) and y.max() < 100
    np.testing.assert_array_equal(y, _raw("cifar100", "test")[1])  # fine labels


def _padded_crop_hits(out, img, padding=4):
    """Every (dy, dx, flipped) for which ``out`` is that crop of the zero-padded ``img``."""
    padded = np.pad(img, [(padding, padding), (padding, padding), (0, 0)])
    h, w = img.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(0, 1))
    windows = np.moveaxis(windows, 2, -1)  # (dy, dx, h, w, c)
    hits = []
    for flipped, target in ((False, out), (True, out[:, ::-1])):
        close = np.abs(windows - target).max(axis=(2, 3, 4)) < 1e-6
        hits += [(int(dy), int(dx), flipped) for dy, dx in zip(*np.nonzero(close))]
    return hits


def test_mnist_augmentation_is_crop_without_flip(mock_tfds):
    plain, _, test_a, info = load("mnist", batch_size=50, data_dir=mock_tfds, limit=100)
    aug, _, test_b, info_aug = load(
        "mnist", batch_size=50, data_dir=mock_tfds, limit=100, augment=True
    )
    assert info.input_shape == (28, 28, 1) and info.class_names[3] == "3"
    assert info_aug.augment and not info_aug.flip  # digits: no flips by default
    xa, ya = _collect(plain)
    xb, yb = _collect(aug)
    np.testing.assert_array_equal(ya, yb)  # same seed: same order, augmentation on top
    assert xb.shape == (100, 28, 28, 1)
    assert not np.allclose(xa, xb)
    offsets = []
    for o, img in zip(xb, xa):
        hits = [h for h in _padded_crop_hits(o, img) if not h[2]]
        assert hits, "augmented image is not a zero-padded crop of the original"
        offsets.append(hits[0][:2])
    assert len(set(offsets)) > 10
    np.testing.assert_array_equal(_collect(test_a)[0], _collect(test_b)[0])


def test_augmentation_only_changes_training_images(mock_tfds):
    kw = dict(batch_size=40, data_dir=mock_tfds, limit=80)
    tr0, _, te0, _ = load("cifar10", **kw)
    tr1, _, te1, info = load("cifar10", augment=True, **kw)
    assert info.flip and "random horizontal flip" in info.preprocessing
    np.testing.assert_array_equal(_collect(te0)[0], _collect(te1)[0])
    x0, y0 = _collect(tr0)
    x1, y1 = _collect(tr1)
    np.testing.assert_array_equal(y0, y1)
    assert x1.shape == x0.shape == (80, 32, 32, 3)
    changed = [not np.allclose(a, b) for a, b in zip(x0, x1)]
    assert sum(changed) > 60  # 1/81 * 1/2 chance of an unchanged image
    flips = [hits[0][2] for hits in (_padded_crop_hits(b, a) for a, b in zip(x0, x1)) if hits]
    assert len(flips) == 80 and 10 < sum(flips) < 70


def test_same_seed_same_batches(mock_tfds):
    kw = dict(batch_size=32, data_dir=mock_tfds, limit=128, augment=True)
    a, *_ = load("cifar10", seed=7, **kw)
    b, *_ = load("cifar10", seed=7, **kw)
    c, *_ = load("cifar10", seed=8, **kw)
    xa, ya = _collect(a)
    xb, yb = _collect(b)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(xa, xb)
    xc, yc = _collect(c)
    assert not np.array_equal(xa, xc)
    # the next epoch is a new order (and new crops), the same for the same seed
    xa2, _ = _collect(a)
    xb2, _ = _collect(b)
    assert not np.array_equal(xa, xa2)
    np.testing.assert_array_equal(xa2, xb2)


def test_limit(mock_tfds):
    train, val, test, info = load("cifar10", batch_size=16, data_dir=mock_tfds, limit=48)
    assert info.num_examples == {"train": 48, "val": 0, "test": 48}
    assert info.splits["train"] == "train, first 48"
    assert sum(int(x.shape[0]) for x, _ in train) == 48
    assert sum(int(x.shape[0]) for x, _ in test) == 48


def test_cache_decision(mock_tfds, monkeypatch):
    seen = []
    original = tf.data.Dataset.cache

    def spy(self, *args, **kwargs):
        seen.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tf.data.Dataset, "cache", spy)
    load("cifar10", data_dir=mock_tfds)
    assert len(seen) == 2  # small splits (train, test) are cached in memory
    seen.clear()
    monkeypatch.setattr("course_lib.data.loaders._memory_bytes", lambda: 1000)
    load("cifar10", data_dir=mock_tfds)
    assert not seen  # would not fit


def test_preprocessing_is_batched(mock_tfds, monkeypatch):
    """Preprocessing runs once per batch (batch before map), not once per image."""
    calls = []
    original = preprocess.scale_images

    def counting(images):
        calls.append(images.shape.rank)
        return original(images)

    monkeypatch.setattr("course_lib.data.loaders.scale_images", counting)
    train, *_ = load("cifar10", batch_size=20, data_dir=mock_tfds, limit=60)
    for _ in train:
        pass
    assert calls and set(calls) == {4}  # traced on (batch, h, w, c) tensors
