"""The Fashion-MNIST files shipped in the repository, and the first-N-per-class rule.

``data/fashion-mnist/`` (tracked in git) holds real Fashion-MNIST, so that smoke runs, the
tests, the notebooks at ``quick`` and the assignments work on a fresh clone with no network:

* ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``: the full 10,000-image test
  set, byte-identical to the published files;
* ``train-2000-per-class-images-idx3-ubyte.gz``, ``train-2000-per-class-labels-idx1-ubyte.gz``:
  the first 2,000 training images of each class in file order (20,000 images, file order
  kept), written by :func:`make_subset` from the published training files.

The selection rule (:func:`stratified_indices`) is "the first ``quota[c]`` images of each class
``c`` in file order, file order kept", with ``n`` split as evenly as the classes allow. Because
the shipped subset *is* the first 2,000 per class, any selection of up to 2,000 per class gives
the same images, in the same order, from the shipped files and from the full set; the first
:func:`identical_prefix` images of the subset are also the first images of the full file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

from course_lib.data.idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx
from course_lib.data.paths import REPO_ROOT

__all__ = [
    "SHIPPED_DIR",
    "SUBSET_PER_CLASS",
    "SUBSET_FILES",
    "TEST_FILES",
    "stratified_quotas",
    "first_per_class",
    "stratified_indices",
    "identical_prefix",
    "write_idx_gz",
    "make_subset",
    "sha256",
]

#: Where the shipped files live: ``<repo>/data/fashion-mnist``.
SHIPPED_DIR = REPO_ROOT / "data" / "fashion-mnist"
#: Training images per class in the shipped subset.
SUBSET_PER_CLASS = 2000
#: The shipped training subset: ``{array key: file name}``.
SUBSET_FILES = {
    "x_train": f"train-{SUBSET_PER_CLASS}-per-class-images-idx3-ubyte.gz",
    "y_train": f"train-{SUBSET_PER_CLASS}-per-class-labels-idx1-ubyte.gz",
}
#: The shipped test set (the published files, unchanged).
TEST_FILES = {
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_MAGIC = {"x": IDX_IMAGES_MAGIC, "y": IDX_LABELS_MAGIC}


def _count(value, arg: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < 0:
        raise ValueError(f"`{arg}` must be an int >= 0. Received: {arg}={value!r}")
    return int(value)


def stratified_quotas(n: int, num_classes: int) -> np.ndarray:
    """How many images of each class a stratified selection of ``n`` takes.

    ``n // num_classes`` each; the remainder goes one each to the lowest labels
    (``stratified_quotas(128, 10)`` = 13 for labels 0-7, 12 for labels 8-9).
    """
    n = _count(n, "n")
    num_classes = _count(num_classes, "num_classes")
    if num_classes < 1:
        raise ValueError(f"`num_classes` must be >= 1. Received: num_classes={num_classes}")
    base, extra = divmod(n, num_classes)
    return np.array([base + (c < extra) for c in range(num_classes)], dtype=np.int64)


def first_per_class(labels, quotas) -> np.ndarray:
    """Indices (ascending, i.e. file order) of the first ``quotas[c]`` images of each class.

    A class with fewer images than its quota contributes all it has.
    """
    labels = np.asarray(labels).reshape(-1)
    quotas = np.asarray(quotas, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= len(quotas)):
        raise ValueError(
            f"labels must lie in [0, {len(quotas)}) (one quota per class). Received labels in "
            f"[{labels.min()}, {labels.max()}]"
        )
    keep = [np.flatnonzero(labels == c)[:q] for c, q in enumerate(quotas)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros([0], np.int64)


def stratified_indices(labels, n: int, num_classes: int) -> np.ndarray:
    """The first-N-per-class selection of ``n`` images: indices in file order.

    Raises:
        ValueError: ``n`` is larger than the images available under the rule (a class runs
            out before its quota).
    """
    idx = first_per_class(labels, stratified_quotas(n, num_classes))
    if len(idx) < n:
        counts = np.bincount(np.asarray(labels).reshape(-1), minlength=num_classes)
        raise ValueError(
            f"a stratified selection of {n} images needs {stratified_quotas(n, num_classes)} "
            f"per class, but the split has {counts.tolist()}. Received: n={n}"
        )
    return idx


def identical_prefix(subset_labels, per_class: int = SUBSET_PER_CLASS) -> int:
    """How many leading images of a first-``per_class``-per-class subset equal the full file's.

    The full file can differ from the subset only after a class has had its ``per_class``
    images, so the prefix ends where the first class completes in the subset.
    """
    labels = np.asarray(subset_labels).reshape(-1)
    ends = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    complete = [e[per_class - 1] + 1 for e in ends if len(e) >= per_class]
    return int(min(complete)) if complete else int(labels.size)


def write_idx_gz(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as a gzip idx file, byte-for-byte reproducible.

    The idx layout of the published files (magic ``0x000008<ndim>``, big-endian uint32 sizes,
    the data in C order), gzip level 9 with no file name and mtime 0 in the gzip header.
    """
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or array.ndim < 1:
        raise ValueError(
            f"`array` must be uint8 with at least one dimension. Received: dtype={array.dtype}, "
            f"shape={array.shape}"
        )
    header = (0x0800 | array.ndim).to_bytes(4, "big") + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as gz:
        gz.write(header)
        gz.write(array.tobytes())
    os.replace(tmp, path)
    return path


def sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_subset(
    full_dir: str | os.PathLike,
    out_dir: str | os.PathLike = SHIPPED_DIR,
    per_class: int = SUBSET_PER_CLASS,
) -> dict[str, Path]:
    """Write the shipped files from a folder with the four published Fashion-MNIST idx files.

    The test files are copied unchanged; the training subset is the first ``per_class``
    images of every class in file order (:func:`first_per_class`), file order kept.

    Returns:
        ``{array key: written path}``.
    """
    from course_lib.data.fashion_mnist import read_fashion_mnist_idx, _idx_file

    per_class = _count(per_class, "per_class")
    full_dir, out_dir = Path(full_dir), Path(out_dir)
    full = read_fashion_mnist_idx(full_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    idx = first_per_class(full.y_train, np.full(10, per_class))
    names = {
        "x_train": f"train-{per_class}-per-class-images-idx3-ubyte.gz",
        "y_train": f"train-{per_class}-per-class-labels-idx1-ubyte.gz",
    }
    written = {
        "x_train": write_idx_gz(out_dir / names["x_train"], full.x_train[idx]),
        "y_train": write_idx_gz(out_dir / names["y_train"], full.y_train[idx]),
    }
    for key, name in TEST_FILES.items():
        src = _idx_file(full_dir, name[: -len(".gz")])
        dst = out_dir / name
        if src.suffix == ".gz":
            if src.resolve() != dst.resolve():
                shutil.copyfile(src, dst)
        else:
            write_idx_gz(dst, read_idx(src, _MAGIC[key[0]]))
        written[key] = dst
    return written


def read_subset(folder: str | os.PathLike = SHIPPED_DIR) -> dict[str, np.ndarray] | None:
    """The shipped arrays ``{x_train, y_train, x_test, y_test}``, or None if a file is missing."""
    folder = Path(folder)
    files = {**SUBSET_FILES, **TEST_FILES}
    if not all((folder / name).is_file() for name in files.values()):
        return None
    return {key: read_idx(folder / name, _MAGIC[key[0]]) for key, name in files.items()}
