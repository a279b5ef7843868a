"""The return type of ``course_lib.data.load``."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from course_lib.data.dataset_info import DatasetInfo

__all__ = ["Splits"]


class Splits(NamedTuple):
    """Three batched ``tf.data.Dataset`` pipelines and their ``DatasetInfo``.

    Each pipeline yields ``(images, labels)``: float32 images ``(batch, *info.input_shape)``
    and int32 labels ``(batch,)``, ready for ``model.fit``. Unpacks like a tuple.

    Attributes:
        train: shuffled (seeded, reshuffled every epoch), optionally augmented.
        val: the validation split in a fixed order, or None when the dataset has none.
        test: the test split in a fixed order.
        info: a ``DatasetInfo``.

    Example:

    >>> from course_lib.data import load
    >>> train, val, test, info = load("fashion_mnist32", limit=256)  # doctest: +SKIP
    >>> info.input_shape  # doctest: +SKIP
    (32, 32, 3)
    """

    train: Any
    val: Optional[Any]
    test: Any
    info: DatasetInfo
