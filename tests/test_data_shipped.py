"""The Fashion-MNIST files shipped in data/fashion-mnist and the first-N-per-class rule.

Checks that need the full published set (the Debian package dataset-fashion-mnist) skip
without it; everything else runs on the shipped files alone.
"""

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib.core import repo_root
from course_lib.data import fashion_mnist as fm
from course_lib.data import load, load_run_data, read_idx, shipped
from course_lib.data.paths import HIDE_ENV_VAR
from repo_scripts import load_script


tool = load_script("tools/make_fashion_mnist_subset.py")

REPO_ROOT = repo_root()

README = REPO_ROOT / "data" / "README.md"
FILES = {**shipped.SUBSET_FILES, **shipped.TEST_FILES}


def _full_dir():
    folder = fm.find_fashion_mnist_idx()
    if folder is None:
        pytest.skip("the full Fashion-MNIST idx files are not on this machine (Debian package "
                    "dataset-fashion-mnist); the shipped-subset checks above still ran")
    return folder


def _run(**kwargs):
    return load_run_data("fashion_mnist", batch_size=1000, augment=False, seed=0, extra=None,
                         **kwargs)


def _images(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


def test_shipped_files_counts_classes_and_order():
    arrays = fm.read_shipped_fashion_mnist()
    assert arrays is not None and arrays.data_source == "repository"
    assert arrays.x_train.shape == (20_000, 28, 28) and arrays.x_train.dtype == np.uint8
    assert arrays.x_test.shape == (10_000, 28, 28)
    np.testing.assert_array_equal(np.bincount(arrays.y_train), [2000] * 10)
    np.testing.assert_array_equal(np.bincount(arrays.y_test), [1000] * 10)
    # the first training image of the published file is an ankle boot (label 9)
    assert arrays.y_train[0] == 9 and fm.FASHION_MNIST_CLASSES[9] == "Ankle boot"
    # the subset skips nothing before its first class completes 2,000 images
    completed = [np.flatnonzero(arrays.y_train == c)[1999] + 1 for c in range(10)]
    assert min(completed) == shipped.IDENTICAL_PREFIX == 19_403


def test_shipped_files_are_gzip_idx_with_mtime_zero():
    for key, name in FILES.items():
        path = shipped.SHIPPED_DIR / name
        head = path.read_bytes()[:10]
        assert head[:3] == b"\x1f\x8b\x08", name
        with gzip.open(path) as f:
            magic = int.from_bytes(f.read(4), "big")
        assert magic == (0x0803 if key.startswith("x") else 0x0801), name
        if key in shipped.SUBSET_FILES:
            assert head[3] == 0 and head[4:8] == b"\0\0\0\0", name  # no name, mtime 0


def test_readme_lists_size_and_sha256_of_every_shipped_file():
    text = README.read_text(encoding="utf-8")
    for name in FILES.values():
        path = shipped.SHIPPED_DIR / name
        row = next((line for line in text.splitlines() if f"`{name}`" in line), None)
        assert row is not None, f"{name} missing from data/README.md"
        assert tool.sha256(path) in row, name
        assert f"{path.stat().st_size:,}" in row, name
    assert (REPO_ROOT / "data" / "fashion-mnist" / "LICENSE").is_file()


def test_stratified_quotas_and_first_per_class():
    np.testing.assert_array_equal(shipped.stratified_quotas(128, 10), [13] * 8 + [12] * 2)
    assert shipped.stratified_quotas(20_000, 10).tolist() == [2000] * 10
    labels = np.array([2, 0, 0, 1, 2, 0, 1, 1, 2])
    np.testing.assert_array_equal(shipped.first_per_class(labels, [2, 1, 1]), [0, 1, 2, 3])
    quotas = shipped.stratified_quotas(6, 3)
    np.testing.assert_array_equal(shipped.first_per_class(labels, quotas), [0, 1, 2, 3, 4, 6])
    np.testing.assert_array_equal(shipped.first_per_class(labels, [4, 0, 0]), [1, 2, 5])
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 0. Received: n=-1"):
        shipped.stratified_quotas(-1, 10)
    with pytest.raises(ValueError, match="labels must lie in"):
        shipped.first_per_class([0, 3], [1, 1])


def test_write_idx_gz_round_trip_and_same_bytes(tmp_path):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    a = tool.write_idx_gz(tmp_path / "a.gz", x)
    b = tool.write_idx_gz(tmp_path / "b.gz", x)
    assert a.read_bytes() == b.read_bytes()
    np.testing.assert_array_equal(read_idx(a, 0x0803), x)
    with pytest.raises(ValueError, match="uint8"):
        tool.write_idx_gz(tmp_path / "c.gz", x.astype(np.int32))


def test_train_limit_is_stratified_and_reads_the_shipped_files():
    info = load("fashion_mnist", batch_size=1000, train_limit=128, test_limit=64).info
    assert info.data_source == "repository"
    assert info.num_examples == {"train": 128, "val": 0, "test": 64}
    run = _run(train_limit=128, test_limit=64)
    x, y = _images(run.raw.batch(1000))  # uint8, in file order
    np.testing.assert_array_equal(np.bincount(y, minlength=10), [13] * 8 + [12] * 2)
    arrays = fm.read_shipped_fashion_mnist()
    idx = np.sort(np.concatenate([np.flatnonzero(arrays.y_train == c)[:13 if c < 8 else 12]
                                  for c in range(10)]))
    np.testing.assert_array_equal(y, arrays.y_train[idx])  # file order kept
    np.testing.assert_array_equal(x[..., 0], arrays.x_train[idx])


def test_limit_and_train_limit_are_exclusive():
    with pytest.raises(ValueError, match="either `limit`"):
        load("fashion_mnist32", limit=10, train_limit=10)


def test_hidden_system_data_falls_back_to_the_shipped_subset(monkeypatch, tmp_path):
    monkeypatch.setenv(HIDE_ENV_VAR, "1")
    assert fm.find_fashion_mnist_idx(tmp_path) is None
    with pytest.warns(UserWarning, match="subset shipped"):
        arrays = fm.load_fashion_mnist_arrays(tmp_path)
    assert arrays.data_source == "repository" and len(arrays.x_train) == 20_000
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="dataset-fashion-mnist"):
        load("fashion_mnist32", data_dir=tmp_path, train_limit=30_000)


def test_fake_system_folder_is_the_debian_source(monkeypatch, tmp_path):
    system = tmp_path / "system"
    system.mkdir()
    rng = np.random.default_rng(0)
    for key, stem in fm._STEMS.items():
        n = 30 if key.endswith("train") else 10
        data = (rng.integers(0, 256, (n, 28, 28)) if key.startswith("x")
                else np.arange(n) % 10).astype(np.uint8)
        tool.write_idx_gz(system / f"{stem}.gz", data)
    monkeypatch.setattr(fm, "SYSTEM_DIRS", (system,))
    monkeypatch.delenv(HIDE_ENV_VAR, raising=False)
    got = fm.load_fashion_mnist_arrays(tmp_path / "data")
    assert got.data_source == "system" and got.source == str(system)
    # a full-set load reads it; a train_limit load reads the shipped files
    assert load("fashion_mnist", data_dir=tmp_path / "data").info.data_source == "system"
    assert load("fashion_mnist", data_dir=tmp_path / "data",
                train_limit=20).info.data_source == "repository"
    monkeypatch.setenv(HIDE_ENV_VAR, "1")
    assert fm.find_fashion_mnist_idx(tmp_path / "data") is None


# ------------------------------------------------------------ against the full published set


def test_shipped_files_follow_the_rule(tmp_path):
    full = fm.read_fashion_mnist_idx(_full_dir())
    for name in shipped.TEST_FILES.values():
        assert (shipped.SHIPPED_DIR / name).read_bytes() == fm._idx_file(
            Path(full.source), name[:-3]).read_bytes()
    arrays = fm.read_shipped_fashion_mnist()
    idx = shipped.first_per_class(full.y_train, [2000] * 10)
    np.testing.assert_array_equal(arrays.x_train, full.x_train[idx])
    np.testing.assert_array_equal(arrays.y_train, full.y_train[idx])
    # the prefix claim: the subset's first 19,403 images are the full file's first ones
    n = shipped.IDENTICAL_PREFIX
    np.testing.assert_array_equal(arrays.x_train[:n], full.x_train[:n])
    # regenerating gives the same bytes
    written = tool.make_subset(full.source, tmp_path)
    for key in shipped.SUBSET_FILES:
        assert written[key].read_bytes() == (shipped.SHIPPED_DIR / written[key].name).read_bytes()


@pytest.mark.parametrize("train_limit", [128, 20_000])
def test_train_limit_gives_the_same_images_from_either_source(monkeypatch, tmp_path, train_limit):
    _full_dir()
    a = _run(train_limit=train_limit)
    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path / "absent")
    b = _run(train_limit=train_limit)
    assert (a.info.data_source, b.info.data_source) == ("repository", "system")
    xa, ya = _images(a.raw.batch(2000))
    xb, yb = _images(b.raw.batch(2000))
    np.testing.assert_array_equal(ya, yb)
    assert xa.tobytes() == xb.tobytes()
    assert re.search("per class", b.info.splits["train"])
