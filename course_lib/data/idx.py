"""A NumPy reader for the idx format of MNIST and Fashion-MNIST.

The format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the data in C order.
Images are ``0x00000803`` (uint8, 3 dims: count, rows, cols), labels ``0x00000801``
(uint8, 1 dim). Files may be gzip-compressed (``.gz``), as the distributions ship them.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC"]

#: Magic number of an idx file of uint8 images (3 dimensions).
IDX_IMAGES_MAGIC = 0x00000803
#: Magic number of an idx file of uint8 labels (1 dimension).
IDX_LABELS_MAGIC = 0x00000801

_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _fail(path: Path, what: str) -> ValueError:
    return ValueError(
        f"{path} is not a valid idx file: {what}. The file is corrupt or truncated; delete it "
        "and restore it (for /usr/share/datasets/fashion-mnist: "
        "`apt-get install --reinstall dataset-fashion-mnist`; for the Keras or tfds caches: "
        "delete the file so it is downloaded again)."
    )


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read one idx file (optionally gzip-compressed) into a NumPy array.

    Args:
        path: the file; names ending in ``.gz`` are decompressed with gzip.
        expected_magic: if given, the file's magic number must equal it (use
            ``IDX_IMAGES_MAGIC`` or ``IDX_LABELS_MAGIC``).

    Returns:
        An array with the file's shape and dtype (native byte order).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not valid gzip, has a wrong magic number, or its size does
            not match the header; the message names the file and how to restore it.

    Example:

    >>> from course_lib.data.idx import read_idx, IDX_LABELS_MAGIC
    >>> y = read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
    ...              IDX_LABELS_MAGIC)  # doctest: +SKIP
    >>> y.shape, y.dtype  # doctest: +SKIP
    ((10000,), dtype('uint8'))
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"idx file not found: {path}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise _fail(path, f"cannot decompress it ({exc})") from exc

    if len(raw) < 4:
        raise _fail(path, f"only {len(raw)} bytes, shorter than the 4-byte magic number")
    magic = int.from_bytes(raw[:4], "big")
    zero, type_code, ndim = magic >> 16, (magic >> 8) & 0xFF, magic & 0xFF
    if zero != 0 or type_code not in _DTYPES or ndim == 0:
        raise _fail(path, f"magic number 0x{magic:08X} is not an idx magic number")
    if expected_magic is not None and magic != expected_magic:
        raise _fail(path, f"magic number 0x{magic:08X}, expected 0x{expected_magic:08X}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _fail(path, f"header needs {header} bytes, file has {len(raw)}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise _fail(
            path,
            f"header says shape {shape} ({expected} bytes with the header), file has "
            f"{len(raw)} bytes",
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)
