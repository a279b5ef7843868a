"""What ``load`` returns (``Splits``, ``DatasetInfo``) and the error raised when data is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple, Optional

__all__ = ["DatasetInfo", "Splits", "DatasetUnavailableError"]


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about the pipelines of ``course_lib.data.load``: sizes, classes, the training ``mean``
    subtracted from every split (on [0, 1]), where the data came from and how each split was made.
    """

    name: str
    num_classes: int
    input_shape: tuple
    class_names: tuple
    num_examples: dict
    mean: tuple
    source: str
    data_source: str = ""
    splits: dict = field(default_factory=dict)
    preprocessing: str = ""
    batch_size: int = 128
    augment: bool = False
    flip: bool = False
    seed: int = 0


class Splits(NamedTuple):
    """``(train, val, test, info)``: batched ``(float32 images, int32 labels)`` pipelines; ``val``
    is None without a validation split."""

    train: Any
    val: Optional[Any]
    test: Any
    info: DatasetInfo


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither on this machine nor downloadable; the message names every place
    searched (``searched``), why the download did not happen (``reason``), and the ways out."""

    def __init__(self, dataset: str, searched: Iterable[str], reason: str,
                 download_dir: str | None = None):
        self.dataset = str(dataset)
        self.searched = tuple(str(p) for p in searched)
        self.reason = str(reason)
        self.download_dir = None if download_dir is None else str(download_dir)
        looked = "\n".join(f"  - {p}" for p in self.searched) or "  (nowhere)"
        target = f" into {self.download_dir}" if self.download_dir else ""
        super().__init__(
            f"Dataset '{self.dataset}' is not on this machine and could not be downloaded.\n"
            f"Looked in:\n{looked}\n"
            f"Download: {self.reason}\n"
            "Three ways out:\n"
            "  1. Connect to the internet and load it again: tensorflow-datasets downloads "
            f"it{target} once.\n"
            "  2. Set the environment variable COURSE_LIB_DATA_DIR (or pass data_dir=) to a "
            "folder that already has it (tfds data under <folder>/tfds, e.g. the data/ folder "
            "of a machine that downloaded it).\n"
            "  3. Use the offline set: course_lib.data.load('fashion_mnist32') (real "
            "Fashion-MNIST images as 32x32x3: the full set from the Debian package "
            "dataset-fashion-mnist, else the 20,000-image subset shipped in data/fashion-mnist)."
        )

    def __reduce__(self):
        return (type(self), (self.dataset, self.searched, self.reason, self.download_dir))
