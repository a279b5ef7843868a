"""The one error every loader raises when a dataset cannot be had."""

from __future__ import annotations

from typing import Iterable

__all__ = ["DatasetUnavailableError"]


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither cached on this machine nor downloadable.

    The message names the dataset, every place that was searched, why the download did not
    happen, and the three ways out: connect to the internet, point ``COURSE_LIB_DATA_DIR``
    (or ``data_dir=``) at a folder that has the data, or use the offline set
    ``fashion_mnist32``.

    Args:
        dataset: the name passed to ``course_lib.data.load``.
        searched: the paths that were looked at, each optionally followed by what was
            missing there.
        reason: why the data could not be downloaded (the network check or the download
            error).
        download_dir: where a download would have gone.

    Attributes:
        dataset, searched, reason, download_dir: the arguments, for programs that want to
            react to the error instead of printing it.

    Example:

    >>> from course_lib.data import DatasetUnavailableError
    >>> err = DatasetUnavailableError("cifar10", ["/tmp/empty/tfds/cifar10"], "no network")
    >>> "fashion_mnist32" in str(err)
    True
    """

    def __init__(
        self,
        dataset: str,
        searched: Iterable[str],
        reason: str,
        download_dir: str | None = None,
    ):
        self.dataset = str(dataset)
        self.searched = tuple(str(p) for p in searched)
        self.reason = str(reason)
        self.download_dir = None if download_dir is None else str(download_dir)
        super().__init__(self._message())

    def _message(self) -> str:
        looked = "\n".join(f"  - {p}" for p in self.searched) or "  (nowhere)"
        target = f" into {self.download_dir}" if self.download_dir else ""
        return (
            f"Dataset '{self.dataset}' is not on this machine and could not be downloaded.\n"
            f"Looked in:\n{looked}\n"
            f"Download: {self.reason}\n"
            "Three ways out:\n"
            f"  1. Connect to the internet and load it again: tensorflow-datasets downloads "
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
