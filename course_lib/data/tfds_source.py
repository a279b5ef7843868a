"""Finding, downloading and reading tensorflow-datasets data.

Search order for a tfds dataset: ``<data_dir>/tfds`` (the course cache), then tfds' own
default folder (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``, read-only). If neither has a
prepared copy, the data is downloaded into ``<data_dir>/tfds`` after a short reachability
check; every failure becomes one ``DatasetUnavailableError``. With
``$COURSE_LIB_HIDE_SYSTEM_DATA=1`` only ``<data_dir>/tfds`` is searched and nothing is
downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from course_lib.data import network
from course_lib.data.errors import DatasetUnavailableError
from course_lib.data.paths import HIDE_ENV_VAR, system_data_hidden, tfds_default_dir, tfds_dir

__all__ = [
    "find_prepared",
    "download",
    "find_or_download",
    "read_split",
    "split_size",
    "split_labels",
]

#: Seconds allowed for the reachability check of each download host.
NETWORK_TIMEOUT_S = 5.0


def _locations(root: Path) -> list[Path]:
    out = []
    places = (tfds_dir(root),) if system_data_hidden() else (tfds_dir(root), tfds_default_dir())
    for loc in places:
        loc = Path(loc).expanduser().resolve()
        if loc not in out:
            out.append(loc)
    return out


def find_prepared(tfds_name: str, root: Path, searched: list | None = None):
    """A prepared builder from ``<root>/tfds`` or tfds' default folder, else None.

    Args:
        tfds_name: the tensorflow-datasets name (``"cifar10"``, ``"svhn_cropped"``...).
        root: the course data directory.
        searched: if given, a note per place looked at is appended (for error messages).
    """
    notes = searched if searched is not None else []
    for loc in _locations(root):
        folder = loc / tfds_name
        if not folder.is_dir():  # don't let tfds create folders in places we only read
            notes.append(f"{folder} (tfds cache: missing)")
            continue
        builder = tfds.builder(tfds_name, data_dir=str(loc))
        if builder.is_prepared():
            return builder
        notes.append(f"{folder} (tfds cache: version {builder.version} not prepared)")
    return None


def download(tfds_name: str, root: Path, *, dataset: str, searched=()):
    """Download and prepare ``tfds_name`` into ``<root>/tfds``.

    A reachability check of the download hosts (``NETWORK_TIMEOUT_S`` each) runs first, so an
    offline machine fails in seconds instead of waiting out tfds' retries.

    Args:
        tfds_name: the tensorflow-datasets name.
        root: the course data directory.
        dataset: the course name, for the error message.
        searched: places already searched (listed in the error).

    Returns:
        The prepared builder.

    Raises:
        DatasetUnavailableError: the hosts are unreachable or the download failed.
    """
    searched = list(searched)
    target = tfds_dir(root)
    builder = tfds.builder(tfds_name, data_dir=str(target))
    if builder.is_prepared():  # prepared by a concurrent process meanwhile
        return builder
    if system_data_hidden():
        raise DatasetUnavailableError(
            dataset, searched, f"downloads are disabled ({HIDE_ENV_VAR}=1)", download_dir=target
        )
    try:
        urls = sorted(str(u) for u in (builder.url_infos or {}))
    except Exception:  # noqa: BLE001 - metadata problems surface in the download below
        urls = []
    problem = network.check_reachable(urls, timeout=NETWORK_TIMEOUT_S) if urls else None
    if problem:
        raise DatasetUnavailableError(dataset, searched, problem, download_dir=target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        builder.download_and_prepare()
    except Exception as exc:  # noqa: BLE001 - any failure means: not available
        raise DatasetUnavailableError(
            dataset,
            searched,
            f"tfds download_and_prepare failed: {type(exc).__name__}: {exc}",
            download_dir=target,
        ) from exc
    return builder


def find_or_download(tfds_name: str, root: Path, *, dataset: str, searched=()):
    """``find_prepared``, else ``download``: a prepared builder or a DatasetUnavailableError."""
    searched = list(searched)
    builder = find_prepared(tfds_name, root, searched)
    if builder is not None:
        return builder
    return download(tfds_name, root, dataset=dataset, searched=searched)


def _base(builder, split: str) -> tf.data.Dataset:
    return builder.as_dataset(
        split=split, shuffle_files=False, decoders={"image": tfds.decode.SkipDecoding()}
    )


def split_size(builder, split: str) -> int:
    """Number of examples in ``split`` (from the dataset's cardinality, else by counting)."""
    ds = _base(builder, split)
    n = int(ds.cardinality())
    if n < 0:
        n = int(ds.reduce(np.int64(0), lambda c, _: c + 1))
    return n


def split_labels(builder, split: str) -> np.ndarray:
    """All labels of ``split`` in file order, without decoding the images."""
    def label(example):
        return example["label"]

    ds = _base(builder, split).map(label).batch(65536)
    parts = [np.asarray(b) for b in ds.as_numpy_iterator()]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros([0], np.int64)


def read_split(builder, split: str, keep: np.ndarray | None = None) -> tf.data.Dataset:
    """``(image uint8 HWC, label int32)`` pairs of ``split`` in file order.

    Args:
        builder: a prepared builder.
        split: tfds split name.
        keep: optional boolean mask over the split's examples; only ``True`` ones are read
            (images are decoded after the selection, so skipped ones cost no decoding).
    """
    ds = _base(builder, split)
    if keep is not None:
        mask = tf.constant(np.asarray(keep, dtype=bool))

        def selected(index, example):
            return tf.gather(mask, index)

        def drop_index(index, example):
            return example

        ds = ds.enumerate().filter(selected).map(drop_index)
        ds = ds.apply(tf.data.experimental.assert_cardinality(int(np.sum(keep))))
    image = builder.info.features["image"]

    def decode(example):
        return image.decode_example(example["image"]), tf.cast(example["label"], tf.int32)

    return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
