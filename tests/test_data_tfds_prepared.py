"""The tfds loaders on really prepared tfds folders (tfrecords written by tfds itself).

tfds' own MNIST/Fashion-MNIST builders prepare small datasets from synthetic idx files: only
the download step is replaced (it returns local files), so generation, the tfrecord files,
``is_prepared`` and reading are tfds' real code. No network is used.
"""

import gzip
import struct

import numpy as np
import pytest
import tensorflow_datasets as tfds
from tensorflow_datasets.image_classification import mnist as tfds_mnist

from course_lib.data import load, tfds_source
from course_lib.data import fashion_mnist as fm

N_TRAIN, N_TEST = 120, 40


def _idx(array):
    header = struct.pack(">HBB", 0, 8, array.ndim)
    return header + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()


def _synthetic(seed):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, N_TEST, dtype=np.uint8),
    }


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """Empty caches; tfds' MNIST builders sized for the synthetic files."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(fm, "SYSTEM_DIRS", ())
    monkeypatch.setattr(tfds_mnist, "_TRAIN_EXAMPLES", N_TRAIN)
    monkeypatch.setattr(tfds_mnist, "_TEST_EXAMPLES", N_TEST)
    return tmp_path


def _serve_locally(monkeypatch, folder, arrays):
    """Make tfds' download step return local (already extracted) idx files."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, a in arrays.items():
        (folder / stem).write_bytes(_idx(a))

    def local(self, urls):
        return {k: str(folder / u.rsplit("/", 1)[1].removesuffix(".gz")) for k, u in urls.items()}

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", local)


def _forbid_download(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("no download expected: the data is prepared")

    monkeypatch.setattr(tfds_source, "_offline", fail)
    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", fail)


def _pairs(images, labels):
    """{image bytes: label}: order-free content of a split (tfds shuffles when writing)."""
    return {img.tobytes(): int(lab) for img, lab in zip(images, labels)}


def _test_pairs(arrays):
    return _pairs(arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"])


def _uint8_from(ds, mean):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    x = np.concatenate(xs) + np.asarray(mean, np.float32)
    return np.rint(x * 255).astype(np.uint8), np.concatenate(ys)


def test_download_path_prepares_into_data_dir(machine, monkeypatch):
    arrays = _synthetic(0)
    _serve_locally(monkeypatch, machine / "server", arrays)
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    root = machine / "data"
    train, val, test, info = load("mnist", batch_size=32, data_dir=root)
    assert info.source == str(root / "tfds" / "mnist" / "3.0.1")
    assert (root / "tfds" / "mnist" / "3.0.1" / "dataset_info.json").is_file()
    assert info.num_examples == {"train": N_TRAIN, "val": 0, "test": N_TEST}
    x, y = _uint8_from(test, info.mean)
    assert x.shape == (N_TEST, 28, 28, 1)
    assert _pairs(x[..., 0], y) == _test_pairs(arrays)
    ref_mean = arrays["train-images-idx3-ubyte"].mean() / 255.0
    np.testing.assert_allclose(info.mean, [ref_mean], rtol=1e-9)

    # second time: found in <data_dir>/tfds, nothing downloaded
    _forbid_download(monkeypatch)
    *_, info2 = load("mnist", data_dir=root)
    assert info2.source == info.source


def test_tfds_default_dir_is_searched(machine, monkeypatch):
    arrays = _synthetic(1)
    _serve_locally(monkeypatch, machine / "server", arrays)
    tfds.builder("mnist", data_dir=str(machine / "tfds_default")).download_and_prepare()
    _forbid_download(monkeypatch)
    _, _, test, info = load("mnist", batch_size=64, data_dir=machine / "empty")
    assert info.source == str(machine / "tfds_default" / "mnist" / "3.0.1")
    assert not (machine / "empty" / "tfds" / "mnist").exists()  # nothing created there
    x, y = _uint8_from(test, info.mean)
    assert _pairs(x[..., 0], y) == _test_pairs(arrays)


def test_fashion_mnist_prefers_tfds_cache_over_keras_cache(machine, monkeypatch):
    in_tfds, in_keras = _synthetic(2), _synthetic(3)
    root = machine / "data"
    _serve_locally(monkeypatch, machine / "server", in_tfds)
    tfds.builder("fashion_mnist", data_dir=str(root / "tfds")).download_and_prepare()
    keras_dir = machine / "keras" / "datasets" / "fashion-mnist"
    keras_dir.mkdir(parents=True)
    for stem, a in in_keras.items():
        (keras_dir / f"{stem}.gz").write_bytes(gzip.compress(_idx(a)))
    _forbid_download(monkeypatch)

    _, _, test, info = load("fashion_mnist", batch_size=64, data_dir=root)
    assert info.source == str(root / "tfds" / "fashion_mnist" / "3.0.1")
    x, y = _uint8_from(test, info.mean)
    assert _pairs(x[..., 0], y) == _test_pairs(in_tfds)

    # without the tfds copy the Keras cache is next
    *_, info_k = load("fashion_mnist32", data_dir=machine / "other")
    assert info_k.source == str(keras_dir)
    assert info_k.input_shape == (32, 32, 3)
