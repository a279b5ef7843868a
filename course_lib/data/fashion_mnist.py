"""Fashion-MNIST as NumPy arrays, offline first (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747).

The first complete copy wins (``data_source`` names it): ``data_dir``, the Debian package
(``system``), tfds, Keras' cache, a tfds download, then the shipped subset (``repository``).
"""

from __future__ import annotations

import gzip
import os
import warnings
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_lib.data import shipped
from course_lib.data.info import DatasetUnavailableError
from course_lib.data.paths import keras_datasets_dir, resolve_data_dir, system_data_hidden

__all__ = ["FASHION_MNIST_CLASSES", "SYSTEM_DIRS", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC",
           "FASHION_MNIST_HUMAN_ERROR", "FashionMNISTArrays", "read_idx", "find_fashion_mnist_idx",
           "read_fashion_mnist_idx", "load_fashion_mnist_arrays", "read_shipped_fashion_mnist"]

#: Class names in label order (Xiao et al. 2017, table 1).
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
#: Fashion-MNIST's human line as a test error in %: the dataset's README (Xiao et al.,
#: github.com/zalandoresearch/fashion-mnist, "Human Performance") reports a crowd of
#: non-expert humans labelling test images with 83.5% accuracy. The quick budgets' models are
#: meant to end at or below it (``Budget.meant_to_fail`` names the runs meant to fail).
FASHION_MNIST_HUMAN_ERROR = 16.5
#: Folders of the Debian package dataset-fashion-mnist.
SYSTEM_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)
IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC = 0x00000803, 0x00000801
_STEMS = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
          "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read one uint8 idx file (``.gz`` decompressed) whose magic must be ``expected_magic``.

    Raises:
        FileNotFoundError: no such file. ValueError: bad gzip, magic or size (names the fix).
    """
    path = Path(path)
    data = path.read_bytes()  # FileNotFoundError names the file
    fix = ("The file is corrupt or truncated; delete it and restore it (for /usr/share/datasets/"
           "fashion-mnist: `apt-get install --reinstall dataset-fashion-mnist`; for the Keras or "
           "tfds caches: delete the file so it is downloaded again).")
    try:
        raw = bytearray(gzip.decompress(data) if path.suffix == ".gz" else data)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(
            f"{path} is not a valid idx file: cannot decompress it ({exc}). {fix}") from exc
    magic = int.from_bytes(raw[:4], "big")
    ndim, problem = magic & 0xFF, None
    if magic >> 8 != 0x08 or ndim == 0 or len(raw) < 4 + 4 * ndim:
        problem = f"magic number 0x{magic:08X} is not an idx magic number of uint8 data"
    elif expected_magic is not None and magic != expected_magic:
        problem = f"magic number 0x{magic:08X}, expected 0x{expected_magic:08X}"
    else:
        shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", ndim, offset=4))
        if len(raw) != 4 + 4 * ndim + int(np.prod(shape)):
            problem = f"header says shape {shape}, file has {len(raw)} bytes"
    if problem:
        raise ValueError(f"{path} is not a valid idx file: {problem}. {fix}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


class FashionMNISTArrays(NamedTuple):
    """uint8 images ``(n, 28, 28)`` and labels; the folder read and which kind of place."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    data_source: str = "idx"


def _idx_file(folder: Path, name: str) -> Path | None:
    return next((folder / n for n in (f"{name}.gz", name) if (folder / n).is_file()), None)


def _places(root: Path) -> list[tuple[Path | None, str]]:
    """``(idx folder or None for the tfds caches, data_source)`` in search order."""
    first = [(root / "fashion-mnist", "data_dir")]
    if system_data_hidden():
        return first + [(None, "tfds")]
    return (first + [(d, "system") for d in SYSTEM_DIRS]
            + [(None, "tfds"), (keras_datasets_dir() / "fashion-mnist", "keras")])


def _missing(folder: Path) -> str | None:
    """None when ``folder`` has all four idx files, else a note for the error message."""
    if not folder.is_dir():
        return f"{folder} (idx files: missing)"
    missing = [s + "[.gz]" for s in _STEMS.values() if _idx_file(folder, s) is None]
    return f"{folder} (idx files: missing {', '.join(missing)})" if missing else None


def find_fashion_mnist_idx(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first idx folder of the search order with all four files, or None."""
    return next((folder for folder, _ in _places(resolve_data_dir(data_dir))
                 if folder is not None and _missing(folder) is None), None)


def read_fashion_mnist_idx(folder: str | os.PathLike, data_source: str = "idx",
                           files: dict[str, str] = _STEMS) -> FashionMNISTArrays:
    """Read and check the four idx files (``files``: ``{array key: name[.gz]}``) in ``folder``."""
    folder, arrays = Path(folder), {}
    for key, name in files.items():
        if (path := _idx_file(folder, name)) is None:
            raise FileNotFoundError(f"{folder / name}[.gz] not found")
        arrays[key] = read_idx(path, IDX_IMAGES_MAGIC if key[0] == "x" else IDX_LABELS_MAGIC)
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.shape[1:] != (28, 28):
            raise ValueError(
                f"{folder}: {part} images have shape {x.shape[1:]}, Fashion-MNIST is 28x28")
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"{folder}: {x.shape[0]} {part} images but {y.shape[0]} labels; "
                             "one of the files is from another dataset or truncated")
        if y.size and int(y.max()) >= len(FASHION_MNIST_CLASSES):
            raise ValueError(f"{folder}: {part} labels go up to {int(y.max())}, expected 0..9")
    return FashionMNISTArrays(source=str(folder), data_source=data_source, **arrays)


def read_shipped_fashion_mnist() -> FashionMNISTArrays | None:
    """The subset shipped in ``data/fashion-mnist`` (``data_source="repository"``), or None."""
    files = {**shipped.SUBSET_FILES, **shipped.TEST_FILES}
    if any(_idx_file(shipped.SHIPPED_DIR, name) is None for name in files.values()):
        return None
    return read_fashion_mnist_idx(shipped.SHIPPED_DIR, "repository", files)


def _from_tfds(builder, data_source: str) -> FashionMNISTArrays:
    out = {}
    for part in ("train", "test"):
        batch = builder.as_dataset(split=part, batch_size=-1, shuffle_files=False)
        out[f"x_{part}"] = batch["image"].numpy().astype(np.uint8).reshape(-1, 28, 28)
        out[f"y_{part}"] = batch["label"].numpy().astype(np.uint8)
    return FashionMNISTArrays(source=str(builder.data_dir), data_source=data_source, **out)


def load_fashion_mnist_arrays(data_dir: str | os.PathLike | None = None,
                              dataset: str = "fashion_mnist") -> FashionMNISTArrays:
    """Fashion-MNIST from the first place that has it, else the shipped subset (``UserWarning``).

    Raises:
        DatasetUnavailableError: no copy anywhere. ValueError: a corrupt file.
    """
    root = resolve_data_dir(data_dir)
    searched = []
    from course_lib.data.tfds_source import download, find_prepared  # imports TensorFlow

    for folder, kind in _places(root):
        if folder is None:
            if (builder := find_prepared("fashion_mnist", root, searched)) is not None:
                return _from_tfds(builder, "tfds")
        elif (note := _missing(folder)) is None:
            return read_fashion_mnist_idx(folder, data_source=kind)
        else:
            searched.append(note)
    try:
        return _from_tfds(download("fashion_mnist", root, dataset=dataset, searched=searched),
                          "download")
    except DatasetUnavailableError as err:
        if (arrays := read_shipped_fashion_mnist()) is None:
            raise
        warnings.warn(
            f"The full Fashion-MNIST training set is not on this machine ({err.reason}); "
            f"using the subset shipped in the repository ({len(arrays.x_train):,} training "
            f"images, {shipped.SUBSET_PER_CLASS:,} per class, and the full test set) from "
            f"{arrays.source}. Install the Debian package dataset-fashion-mnist or connect to "
            "the internet for all 60,000.", UserWarning, stacklevel=2)
        return arrays
