"""Fashion-MNIST as NumPy arrays, offline first.

Search order for the full set (first complete copy wins); ``data_source`` names the place:

===  =============================================================  ===============
1    idx files in ``<data_dir>/fashion-mnist/``                     ``"data_dir"``
2    idx files in ``/usr/share/datasets/fashion-mnist/`` (Debian    ``"system"``
     package ``dataset-fashion-mnist``)
3    a prepared tensorflow-datasets copy (``<data_dir>/tfds``,      ``"tfds"``
     then ``~/tensorflow_datasets``)
4    idx files in the Keras cache (``~/.keras/datasets/             ``"keras"``
     fashion-mnist/``)
5    a tfds download into ``<data_dir>/tfds`` (needs the internet)  ``"download"``
6    the subset shipped in the repository (``data/fashion-mnist``:  ``"repository"``
     2,000 training images per class and the full test set)
===  =============================================================  ===============

With ``$COURSE_LIB_HIDE_SYSTEM_DATA=1`` steps 2, 4, the ``~/tensorflow_datasets`` part of 3
and 5 are skipped (what a fresh clone on an offline machine sees).

idx files are ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` with or without ``.gz``.
Xiao, Rasul & Vollgraf (2017), "Fashion-MNIST: a novel image dataset for benchmarking machine
learning algorithms", arXiv:1708.07747: 60,000 training and 10,000 test images, 28x28 grey,
10 classes of 6,000 + 1,000 images each.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_lib.data.idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx
from course_lib.data import shipped
from course_lib.data.errors import DatasetUnavailableError
from course_lib.data.paths import keras_datasets_dir, resolve_data_dir, system_data_hidden

__all__ = [
    "FASHION_MNIST_CLASSES",
    "SYSTEM_DIRS",
    "FashionMNISTArrays",
    "find_fashion_mnist_idx",
    "read_fashion_mnist_idx",
    "load_fashion_mnist_arrays",
    "read_shipped_fashion_mnist",
]

#: Class names in label order (Xiao et al. 2017, table 1).
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: System folders with the idx files (the Debian package dataset-fashion-mnist).
SYSTEM_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)

_STEMS = {
    "x_train": ("train-images-idx3-ubyte", IDX_IMAGES_MAGIC),
    "y_train": ("train-labels-idx1-ubyte", IDX_LABELS_MAGIC),
    "x_test": ("t10k-images-idx3-ubyte", IDX_IMAGES_MAGIC),
    "y_test": ("t10k-labels-idx1-ubyte", IDX_LABELS_MAGIC),
}


class FashionMNISTArrays(NamedTuple):
    """Fashion-MNIST in memory: uint8 images ``(n, 28, 28)``, uint8 labels ``(n,)``.

    ``source`` is the folder read; ``data_source`` says which kind of place it was
    (``"data_dir"``, ``"system"``, ``"tfds"``, ``"keras"``, ``"download"``, ``"repository"``;
    see the module docstring).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    data_source: str = "idx"


def _idx_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _idx_dirs(root: Path) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    before_tfds = [(root / "fashion-mnist", "data_dir")]
    after_tfds = []
    if not system_data_hidden():
        before_tfds += [(d, "system") for d in SYSTEM_DIRS]
        after_tfds.append((keras_datasets_dir() / "fashion-mnist", "keras"))
    return before_tfds, after_tfds


def _complete(folder: Path) -> tuple[bool, str]:
    if not folder.is_dir():
        return False, f"{folder} (idx files: missing)"
    missing = [stem for stem, _ in _STEMS.values() if _idx_file(folder, stem) is None]
    if missing:
        return False, f"{folder} (idx files: missing {', '.join(m + '[.gz]' for m in missing)})"
    return True, str(folder)


def find_fashion_mnist_idx(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first folder with all four Fashion-MNIST idx files, or None.

    Looks in ``<data_dir>/fashion-mnist``, ``/usr/share/datasets/fashion-mnist`` and the Keras
    cache, in that order (tfds copies are not idx files and are not considered here; the
    shipped subset is not the full set and is not returned; with
    ``$COURSE_LIB_HIDE_SYSTEM_DATA=1`` only the first folder is searched).
    """
    root = resolve_data_dir(data_dir)
    before, after = _idx_dirs(root)
    for folder, _ in before + after:
        if _complete(folder)[0]:
            return folder
    return None


def read_fashion_mnist_idx(
    folder: str | os.PathLike, data_source: str = "idx"
) -> FashionMNISTArrays:
    """Read and check the four idx files in ``folder``.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: a file is corrupt, or images and labels disagree (counts, 28x28 shape,
            labels outside 0..9); the message names the file.
    """
    folder = Path(folder)
    arrays = {}
    for key, (stem, magic) in _STEMS.items():
        path = _idx_file(folder, stem)
        if path is None:
            raise FileNotFoundError(f"{folder / stem}[.gz] not found")
        arrays[key] = read_idx(path, expected_magic=magic)
    _check(arrays, folder)
    return FashionMNISTArrays(source=str(folder), data_source=data_source, **arrays)


def _check(arrays: dict, folder) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.shape[1:] != (28, 28):
            raise ValueError(
                f"{folder}: {part} images have shape {x.shape[1:]}, Fashion-MNIST is 28x28"
            )
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{folder}: {x.shape[0]} {part} images but {y.shape[0]} labels; one of the "
                "files is from another dataset or truncated"
            )
        if y.size and int(y.max()) >= len(FASHION_MNIST_CLASSES):
            raise ValueError(f"{folder}: {part} labels go up to {int(y.max())}, expected 0..9")


def read_shipped_fashion_mnist(
    folder: str | os.PathLike | None = None,
) -> FashionMNISTArrays | None:
    """The subset shipped in the repository (``data/fashion-mnist``), or None if it is absent.

    2,000 training images per class (the first of each class in file order, 20,000 in all,
    file order kept) and the full 10,000-image test set; ``data_source="repository"``.
    """
    folder = Path(folder) if folder is not None else shipped.SHIPPED_DIR
    arrays = shipped.read_subset(folder)
    if arrays is None:
        return None
    _check(arrays, folder)
    return FashionMNISTArrays(source=str(folder), data_source="repository", **arrays)


def _from_tfds(builder, data_source: str) -> FashionMNISTArrays:
    out = {}
    for part in ("train", "test"):
        ds = builder.as_dataset(split=part, shuffle_files=False).batch(10_000)
        xs, ys = [], []
        for batch in ds.as_numpy_iterator():
            xs.append(np.asarray(batch["image"], np.uint8).reshape(-1, 28, 28))
            ys.append(np.asarray(batch["label"], np.uint8))
        out[f"x_{part}"] = np.concatenate(xs)
        out[f"y_{part}"] = np.concatenate(ys)
    return FashionMNISTArrays(source=str(builder.data_dir), data_source=data_source, **out)


def load_fashion_mnist_arrays(
    data_dir: str | os.PathLike | None = None,
    dataset: str = "fashion_mnist",
    fallback: bool = True,
) -> FashionMNISTArrays:
    """Fashion-MNIST from the first place that has it (see the module docstring).

    Args:
        data_dir: course data directory (default ``data_dir()``).
        dataset: the name used in error messages.
        fallback: when no full copy is found, return the subset shipped in the repository
            (with a ``UserWarning``) instead of raising.

    Raises:
        DatasetUnavailableError: no copy anywhere (and no shipped subset, or
            ``fallback=False``) and no download possible.
        ValueError: a copy exists but a file in it is corrupt.
    """
    root = resolve_data_dir(data_dir)
    before, after = _idx_dirs(root)
    searched = []
    for folder, kind in before:
        ok, note = _complete(folder)
        if ok:
            return read_fashion_mnist_idx(folder, data_source=kind)
        searched.append(note)

    from course_lib.data.tfds_source import download, find_prepared  # imports TensorFlow

    builder = find_prepared("fashion_mnist", root, searched)
    if builder is not None:
        return _from_tfds(builder, "tfds")
    for folder, kind in after:
        ok, note = _complete(folder)
        if ok:
            return read_fashion_mnist_idx(folder, data_source=kind)
        searched.append(note)
    try:
        return _from_tfds(download("fashion_mnist", root, dataset=dataset, searched=searched),
                          "download")
    except DatasetUnavailableError as err:
        arrays = read_shipped_fashion_mnist() if fallback else None
        if arrays is None:
            raise
        warnings.warn(
            f"The full Fashion-MNIST training set is not on this machine ({err.reason}); "
            f"using the subset shipped in the repository ({len(arrays.x_train):,} training "
            f"images, {shipped.SUBSET_PER_CLASS:,} per class, and the full test set) from "
            f"{arrays.source}. Install the Debian package dataset-fashion-mnist or connect to "
            "the internet for all 60,000.",
            UserWarning,
            stacklevel=2,
        )
        return arrays
