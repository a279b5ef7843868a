"""The Fashion-MNIST files shipped in ``data/fashion-mnist/`` and the stratified rule.

They hold the full test set and the first 2,000 training images of each class, so smoke runs,
tests and assignments work offline. ``train_limit`` takes the first ``quota[c]`` images of each
class in file order (:func:`stratified_quotas`): the same images from the shipped files as
from the full set.
"""

from __future__ import annotations

import numpy as np

from course_lib import validation

from course_lib.data.paths import shipped_root

__all__ = ["SHIPPED_DIR", "SUBSET_PER_CLASS", "SUBSET_FILES", "TEST_FILES", "stratified_quotas",
           "first_per_class", "IDENTICAL_PREFIX"]

SHIPPED_DIR = shipped_root() / "fashion-mnist"
SUBSET_PER_CLASS = 2000
SUBSET_FILES = {
    "x_train": f"train-{SUBSET_PER_CLASS}-per-class-images-idx3-ubyte.gz",
    "y_train": f"train-{SUBSET_PER_CLASS}-per-class-labels-idx1-ubyte.gz",
}
TEST_FILES = {"x_test": "t10k-images-idx3-ubyte.gz", "y_test": "t10k-labels-idx1-ubyte.gz"}
#: The subset's first 19,403 images are the full file's first 19,403: the subset skips nothing
#: before its first class completes 2,000 (``limit=`` loads up to this size read the subset).
IDENTICAL_PREFIX = 19_403


def stratified_quotas(n: int, num_classes: int) -> np.ndarray:
    """Images per class of a stratified selection of ``n``: ``n // num_classes`` each, the
    remainder one each to the lowest labels (``stratified_quotas(128, 10)``: 13 x 8, 12 x 2)."""
    validation.integer("n", n, minimum=0)
    validation.integer("num_classes", num_classes, minimum=1)
    base, extra = divmod(int(n), int(num_classes))
    return np.array([base + (c < extra) for c in range(num_classes)], dtype=np.int64)


def first_per_class(labels, quotas) -> np.ndarray:
    """Indices, in file order, of the first ``quotas[c]`` images of each class ``c`` (all of
    them when a class has fewer)."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= len(quotas)):
        raise ValueError(
            f"labels must lie in [0, {len(quotas)}) (one quota per class). Received labels in "
            f"[{labels.min()}, {labels.max()}]")
    keep = [np.flatnonzero(labels == c)[:q] for c, q in enumerate(quotas)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros([0], np.int64)
