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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.data import shipped  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("full_dir", nargs="?", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default=str(shipped.SHIPPED_DIR))
    args = parser.parse_args(argv)
    written = shipped.make_subset(args.full_dir, args.out)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        path = written[key]
        print(f"{path.name}  {path.stat().st_size:>9,} bytes  sha256 {shipped.sha256(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
