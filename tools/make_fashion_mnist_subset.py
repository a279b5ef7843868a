"""Regenerate the Fashion-MNIST files shipped in data/fashion-mnist/ from the published set.

    python tools/make_fashion_mnist_subset.py [FULL_DIR] [--out OUT_DIR]

FULL_DIR holds the four published idx files (default: /usr/share/datasets/fashion-mnist, the
Debian package dataset-fashion-mnist). The test files are copied unchanged; the training
subset is the first 2,000 images of each class in file order, file order kept, written as
gzip idx files with mtime 0 (the same bytes on every run). Prints each file's size and SHA-256
(the values data/README.md lists).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.core import atomic_write  # noqa: E402
from course_lib.data import fashion_mnist as fm, shipped  # noqa: E402


def write_idx_gz(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as a gzip idx file, the same bytes on every run.

    Args:
        path: the file to write (atomically).
        array: uint8, at least one dimension; written as magic ``0x000008<ndim>``, big-endian
            uint32 sizes, the data in C order, gzip level 9 with no name and mtime 0.
    """
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or array.ndim < 1:
        raise ValueError(f"`array` must be uint8 with at least one dimension. Received: "
                         f"dtype={array.dtype}, shape={array.shape}")
    header = np.array([0x0800 | array.ndim, *array.shape], ">u4").tobytes()
    with atomic_write(path) as tmp, open(tmp, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as gz:
        gz.write(header + array.tobytes())
    return Path(path)


def sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, as hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def make_subset(full_dir: str | os.PathLike, out_dir: str | os.PathLike = shipped.SHIPPED_DIR,
                per_class: int = shipped.SUBSET_PER_CLASS) -> dict[str, Path]:
    """Write the shipped files from a folder with the four published Fashion-MNIST idx files.

    Args:
        full_dir: the published files (``.gz`` or not).
        out_dir: where to write; the test files are copied unchanged.
        per_class: training images per class (the first of each class, file order kept).

    Returns:
        ``{array key: written path}``.
    """
    full_dir, out_dir = Path(full_dir), Path(out_dir)
    full = fm.read_fashion_mnist_idx(full_dir)
    idx = shipped.first_per_class(full.y_train, np.full(10, per_class))
    written = {key: write_idx_gz(out_dir / f"train-{per_class}-per-class-{kind}-ubyte.gz",
                                 getattr(full, key)[idx])
               for key, kind in (("x_train", "images-idx3"), ("y_train", "labels-idx1"))}
    for key, name in shipped.TEST_FILES.items():
        src, dst = fm._idx_file(full_dir, name[: -len(".gz")]), out_dir / name
        if src.suffix != ".gz":
            write_idx_gz(dst, getattr(full, key))
        elif src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
        written[key] = dst
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("full_dir", nargs="?", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=str(shipped.SHIPPED_DIR))
    args = parser.parse_args(argv)
    written = make_subset(args.full_dir, args.out)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        path = written[key]
        print(f"{path.name}  {path.stat().st_size:>9,} bytes  sha256 {sha256(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
