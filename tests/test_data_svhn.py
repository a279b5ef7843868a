"""SVHN: seed 000's validation split (400/class from train + 200/class from extra, 6,000 images)."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from course_lib.data import load, svhn_validation_indices, tfds_source


def _labels(n, seed):
    return np.random.default_rng(seed).integers(0, 10, n)


def test_split_takes_400_and_200_per_class():
    train, extra = _labels(7000, 0), _labels(4000, 1)
    t_idx, e_idx = svhn_validation_indices(train, extra)
    assert len(t_idx) == 4000 and len(e_idx) == 2000
    np.testing.assert_array_equal(np.bincount(train[t_idx], minlength=10), [400] * 10)
    np.testing.assert_array_equal(np.bincount(extra[e_idx], minlength=10), [200] * 10)
    assert len(np.unique(t_idx)) == 4000 and len(np.unique(e_idx)) == 2000  # no repeats
    assert np.all(np.diff(t_idx) > 0) and np.all(np.diff(e_idx) > 0)  # sorted
    # fixed seed: the same split every time; a different seed gives another
    t2, e2 = svhn_validation_indices(train, extra)
    np.testing.assert_array_equal(t_idx, t2)
    np.testing.assert_array_equal(e_idx, e2)
    t3, _ = svhn_validation_indices(train, extra, seed=1)
    assert not np.array_equal(t_idx, t3)
    # random within each class, not the first 400 of each class
    first = np.concatenate([np.flatnonzero(train == c)[:400] for c in range(10)])
    assert not np.array_equal(np.sort(first), t_idx)


def test_split_without_extra_and_too_small_class():
    train = _labels(7000, 0)
    t_idx, e_idx = svhn_validation_indices(train, None)
    assert len(t_idx) == 4000 and len(e_idx) == 0
    small = np.concatenate([np.repeat(np.arange(10), 450), np.full(10, 3)])
    small[small == 7] = 3  # class 7 now empty
    with pytest.raises(ValueError, match="class 7 has 0 images in 'train'"):
        svhn_validation_indices(small, None)


# mock_data: every split (train, extra, test) yields the same N deterministic random examples;
# with N = 4400 each class has at least 422 images, enough for 400 per class.
N = 4400


@pytest.fixture
def mock_svhn(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    with tfds.testing.mock_data(num_examples=N):
        yield tmp_path / "data"


def _collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.slow
def test_svhn_with_extra_and_validation_split(mock_svhn):
    raw = list(tfds.as_numpy(tfds.load("svhn_cropped", split="train", shuffle_files=False)))
    raw_x = np.stack([ex["image"] for ex in raw])
    raw_y = np.array([ex["label"] for ex in raw])

    # 1) the whole validation split
    _, val, _, info = load("svhn", batch_size=1000, data_dir=mock_svhn)
    assert info.num_examples == {"train": 2 * N - 6000, "val": 6000, "test": N}
    assert "400/class from train + 200/class from extra" in info.splits["val"]
    assert info.splits["train"] == "train minus validation + extra minus validation"
    assert info.class_names == tuple("0123456789") and not info.flip
    x_val, y_val = _collect(val)
    x_val = x_val + np.asarray(info.mean)  # undo the mean subtraction
    assert x_val.shape == (6000, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(y_val, minlength=10), [600] * 10)

    t_idx, e_idx = svhn_validation_indices(raw_y, raw_y)  # mock extra == train
    assert len(t_idx) == 4000 and len(e_idx) == 2000
    np.testing.assert_array_equal(np.bincount(raw_y[t_idx], minlength=10), [400] * 10)
    # val = the chosen train images, then the chosen extra images (mock extra == train)
    np.testing.assert_allclose(x_val[:4000], raw_x[t_idx] / 255.0, atol=1e-6)
    np.testing.assert_allclose(x_val[4000:], raw_x[e_idx] / 255.0, atol=1e-6)

    # 2) the training pool: the images not chosen for validation (first ones with limit)
    train, val2, test, info2 = load("svhn", batch_size=100, data_dir=mock_svhn, limit=300)
    assert info2.num_examples == {"train": 300, "val": 300, "test": 300}
    x_tr, y_tr = _collect(train)
    kept = np.setdiff1d(np.arange(N), t_idx)[:300]
    ref = raw_x[kept] / 255.0
    np.testing.assert_allclose(info2.mean, ref.reshape(-1, 3).mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(x_tr.reshape(-1, 3).mean(axis=0), 0.0, atol=1e-5)
    ref_sums = np.sort((ref - np.asarray(info2.mean)).reshape(300, -1).sum(axis=1))
    np.testing.assert_allclose(np.sort(x_tr.reshape(300, -1).sum(axis=1)), ref_sums, atol=1e-2)
    assert sorted(y_tr.tolist()) == sorted(raw_y[kept].tolist())

    # 3) train_limit: first N per class of the pool (train minus validation, then extra)
    train3, *_, info3 = load("svhn", batch_size=1000, data_dir=mock_svhn, train_limit=1000)
    np.testing.assert_array_equal(np.bincount(_collect(train3)[1], minlength=10), [100] * 10)
    assert info3.splits["train"] == ("train minus validation + extra minus validation, first 100 "
                                     "per class in file order (1000 images, train_limit)")


@pytest.mark.slow
def test_svhn_without_extra(mock_svhn):
    _, val, test, info = load("svhn", batch_size=500, data_dir=mock_svhn, extra=False, limit=64)
    assert info.splits["val"].startswith("seed-000 validation split (400/class from train,")
    assert info.splits["train"] == "train minus validation, first 64"
    x, y = next(iter(test))
    assert x.shape == (64, 32, 32, 3)
    *_, info_all = load("svhn", data_dir=mock_svhn, val_size=0)
    assert info_all.num_examples == {"train": 2 * N, "val": 0, "test": N}
    assert info_all.splits["train"] == "train+extra"
