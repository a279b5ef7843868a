"""What a loaded dataset is: classes, shapes, split sizes, mean, provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about the pipelines returned by ``course_lib.data.load``.

    Attributes:
        name: the name passed to ``load`` (``"cifar10"``, ``"svhn"``, ``"fashion_mnist32"``...).
        num_classes: number of classes; labels are int32 in ``[0, num_classes)``.
        input_shape: shape of one image as the model sees it, ``(height, width, channels)``
            (after the 32x32x3 view and ``resize``).
        class_names: one name per label.
        num_examples: examples per split after the validation split and ``limit``:
            ``{"train": n, "val": n_or_0, "test": n}``.
        mean: per-channel mean of the training split on the [0, 1] scale (before any
            resize), the value subtracted from every split; None when ``mean_subtracted``
            is false.
        mean_subtracted: whether ``mean`` is subtracted from every split.
        source: where the images were read from (a tfds folder or the idx folder).
        data_source: which kind of place that was: ``"repository"`` (the Fashion-MNIST
            subset shipped in ``data/fashion-mnist``), ``"system"`` (the Debian package),
            ``"data_dir"`` (idx files in ``<data_dir>/fashion-mnist``), ``"tfds"`` (a prepared
            tensorflow-datasets copy), ``"keras"`` (the Keras cache) or ``"download"``.
        splits: how each split was made from the source's splits, e.g.
            ``{"train": "train[:55000]", "val": "train[55000:]", "test": "test"}``.
        preprocessing: the preprocessing steps in order, as text.
        batch_size: the batch size of the three pipelines.
        augment: whether the training pipeline augments (pad 4 + random crop [+ flip]).
        flip: whether augmentation includes random horizontal flips.
        resize: ``(height, width)`` the images are resized to, or None.
        seed: the seed of shuffling and augmentation.
    """

    name: str
    num_classes: int
    input_shape: tuple
    class_names: tuple
    num_examples: dict
    mean: tuple | None
    mean_subtracted: bool
    source: str
    data_source: str = ""
    splits: dict = field(default_factory=dict)
    preprocessing: str = ""
    batch_size: int = 128
    augment: bool = False
    flip: bool = False
    resize: tuple | None = None
    seed: int = 0

    def steps(self, split: str = "train") -> int:
        """Batches per pass over ``split`` (the last, partial batch counts)."""
        if split not in self.num_examples:
            raise ValueError(
                f"`split` must be one of {sorted(self.num_examples)}. Received: split={split!r}"
            )
        return math.ceil(self.num_examples[split] / self.batch_size)
