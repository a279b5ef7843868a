"""course_lib.data.fashion_mnist.read_idx and the Fashion-MNIST file search (synthetic idx files, no network)."""

import gzip
import struct

import numpy as np
import pytest

from course_lib.data import fashion_mnist as fm
from course_lib.data.fashion_mnist import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx


def _idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">HBB", 0, type_code, array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def _write(path, array, compress=True, type_code=0x08):
    data = _idx_bytes(array, type_code)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _fake_fashion(folder, n_train=20, n_test=10, seed=0, compress=True):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, (n_train,), dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, (n_test,), dtype=np.uint8),
    }
    for stem, a in arrays.items():
        _write(folder / (stem + (".gz" if compress else "")), a, compress)
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 1], np.uint8)
    suffix = ".gz" if compress else ""
    got_x = read_idx(_write(tmp_path / f"x{suffix}", images, compress), IDX_IMAGES_MAGIC)
    got_y = read_idx(_write(tmp_path / f"y{suffix}", labels, compress), IDX_LABELS_MAGIC)
    np.testing.assert_array_equal(got_x, images)
    np.testing.assert_array_equal(got_y, labels)
    assert got_x.dtype == np.uint8 and got_x.flags.writeable


def test_only_uint8_idx_files_are_read(tmp_path):
    a = np.array([[1, -2], [300000, 4]], dtype=">i4")
    with pytest.raises(ValueError, match="0x00000C02 is not an idx magic number of uint8 data"):
        read_idx(_write(tmp_path / "a.gz", a, type_code=0x0C))


def test_wrong_magic_names_the_file(tmp_path):
    path = _write(tmp_path / "labels.gz", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match=r"labels\.gz.*0x00000801, expected 0x00000803"):
        read_idx(path, expected_magic=IDX_IMAGES_MAGIC)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(b"\x12\x34\x56\x78" + b"\x00" * 16)
    with pytest.raises(ValueError, match="not an idx magic number"):
        read_idx(path)


def test_truncated_file(tmp_path):
    data = _idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(ValueError, match=r"shape \(4, 28, 28\).*corrupt or truncated"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    good = gzip.compress(_idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    path = tmp_path / "bad.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cannot decompress"):
        read_idx(path)
    (tmp_path / "text.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="cannot decompress"):
        read_idx(tmp_path / "text.gz")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere"):
        read_idx(tmp_path / "nothere.gz")


def test_read_fashion_mnist_idx_checks_consistency(tmp_path):
    arrays = _fake_fashion(tmp_path / "fm")
    got = fm.read_fashion_mnist_idx(tmp_path / "fm")
    np.testing.assert_array_equal(got.x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(got.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert got.source == str(tmp_path / "fm")
    # labels from another file: count mismatch is reported
    _write(tmp_path / "fm" / "train-labels-idx1-ubyte.gz", np.zeros(7, np.uint8))
    with pytest.raises(ValueError, match="20 train images but 7 labels"):
        fm.read_fashion_mnist_idx(tmp_path / "fm")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No system folder, an empty Keras home and tfds folder: only what a test writes exists."""
    monkeypatch.setattr(fm, "SYSTEM_DIRS", (tmp_path / "system",))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_DATA_DIR", raising=False)
    return tmp_path


def test_search_order_data_dir_system_keras(isolated):
    root = isolated / "data"
    assert fm.find_fashion_mnist_idx(root) is None
    _fake_fashion(isolated / "keras" / "datasets" / "fashion-mnist", seed=3)
    assert fm.find_fashion_mnist_idx(root) == isolated / "keras" / "datasets" / "fashion-mnist"
    _fake_fashion(isolated / "system", seed=2, compress=False)  # uncompressed files work too
    assert fm.find_fashion_mnist_idx(root) == isolated / "system"
    arrays = _fake_fashion(root / "fashion-mnist", seed=1)
    assert fm.find_fashion_mnist_idx(root) == root / "fashion-mnist"
    got = fm.load_fashion_mnist_arrays(root)
    np.testing.assert_array_equal(got.x_train, arrays["train-images-idx3-ubyte"])


def test_incomplete_folder_is_skipped(isolated):
    _fake_fashion(isolated / "system")
    (isolated / "system" / "t10k-labels-idx1-ubyte.gz").unlink()
    assert fm.find_fashion_mnist_idx(isolated / "data") is None


def test_env_var_moves_the_search(isolated, monkeypatch):
    _fake_fashion(isolated / "elsewhere" / "fashion-mnist")
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", str(isolated / "elsewhere"))
    assert fm.find_fashion_mnist_idx() == (isolated / "elsewhere" / "fashion-mnist").resolve()
