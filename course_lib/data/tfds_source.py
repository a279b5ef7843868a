"""tensorflow-datasets data: ``<data_dir>/tfds``, tfds' own folder (read-only), else a download.
Every failure becomes one ``DatasetUnavailableError``.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from course_lib.data.info import DatasetUnavailableError
from course_lib.data.paths import HIDE_ENV_VAR, system_data_hidden, tfds_default_dir

__all__ = ["find_prepared", "download", "read_split", "split_size", "split_labels"]


def find_prepared(tfds_name: str, root: Path, searched: list):
    """A prepared builder from ``<root>/tfds`` or tfds' folder, else None; a note per place
    looked at is appended to ``searched`` (for the error message)."""
    places = [root / "tfds"] + ([] if system_data_hidden() else [tfds_default_dir()])
    for loc in dict.fromkeys(Path(p).expanduser().resolve() for p in places):
        if not (loc / tfds_name).is_dir():  # don't let tfds create folders we only read
            searched.append(f"{loc / tfds_name} (tfds cache: missing)")
            continue
        builder = tfds.builder(tfds_name, data_dir=str(loc))
        if builder.is_prepared():
            return builder
        searched.append(f"{loc / tfds_name} (tfds cache: version {builder.version} not prepared)")
    return None


def _offline(urls) -> str | None:
    """Why a download cannot work: the first host's name does not resolve (and no proxy is
    set). tfds retries each URL ten times with backoff, 3.5 minutes offline (measured)."""
    host = urlparse(str(next(iter(urls), ""))).hostname
    if not host or urllib.request.getproxies():
        return None
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        return f"cannot resolve {host} ({exc}): offline?"
    return None


def download(tfds_name: str, root: Path, *, dataset: str, searched=()):
    """Download and prepare ``tfds_name`` into ``<root>/tfds``; return the prepared builder.

    Raises:
        DatasetUnavailableError: downloads disabled, unknown host, or tfds failed.
    """
    target = root / "tfds"
    builder = tfds.builder(tfds_name, data_dir=str(target))
    if builder.is_prepared():  # prepared by a concurrent process meanwhile
        return builder
    problem = (f"downloads are disabled ({HIDE_ENV_VAR}=1)" if system_data_hidden()
               else _offline(sorted(str(u) for u in (builder.url_infos or {}))))
    if problem:
        raise DatasetUnavailableError(dataset, searched, problem, download_dir=target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        builder.download_and_prepare()
    except Exception as exc:  # noqa: BLE001 - any failure means: not available
        raise DatasetUnavailableError(
            dataset, searched, f"tfds download_and_prepare failed: {type(exc).__name__}: {exc}",
            download_dir=target) from exc
    return builder


def _base(builder, split: str) -> tf.data.Dataset:
    return builder.as_dataset(split=split, shuffle_files=False,
                              decoders={"image": tfds.decode.SkipDecoding()})


def split_size(builder, split: str) -> int:
    """Number of examples in ``split``."""
    ds = _base(builder, split)
    n = int(ds.cardinality())
    return n if n >= 0 else int(ds.reduce(np.int64(0), lambda c, _: c + 1))


def split_labels(builder, split: str) -> np.ndarray:
    """All labels of ``split`` in file order, without decoding the images."""
    parts = list(_base(builder, split).map(lambda e: e["label"]).batch(65536).as_numpy_iterator())
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros([0], np.int64)


def read_split(builder, split: str, keep: np.ndarray | None = None) -> tf.data.Dataset:
    """``(image uint8 HWC, label int32)`` pairs of ``split`` in file order; with ``keep`` (a
    boolean mask over the split) only the kept examples are read and decoded."""
    ds = _base(builder, split)
    if keep is not None:
        mask = tf.constant(np.asarray(keep, dtype=bool))
        ds = ds.enumerate().filter(lambda i, e: tf.gather(mask, i)).map(lambda _, ex: ex)
        ds = ds.apply(tf.data.experimental.assert_cardinality(int(np.sum(keep))))
    image = builder.info.features["image"]
    return ds.map(lambda e: (image.decode_example(e["image"]), tf.cast(e["label"], tf.int32)),
                  num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
