"""Where datasets and the loaders' small caches live on disk.

Layout under the data directory (``data_dir()``)::

    <data_dir>/tfds/            tensorflow-datasets data (``tfds.builder(..., data_dir=...)``)
    <data_dir>/fashion-mnist/   optional Fashion-MNIST idx files (``*-ubyte.gz``)
    <data_dir>/cache/           per-channel means (JSON) and the SVHN validation split (npz)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "data_dir",
    "resolve_data_dir",
    "tfds_dir",
    "cache_dir",
    "tfds_default_dir",
    "keras_datasets_dir",
    "HIDE_ENV_VAR",
    "system_data_hidden",
    "REPO_ROOT",
]

#: Environment variable that moves the data directory.
ENV_VAR = "COURSE_LIB_DATA_DIR"

#: Environment variable that hides every dataset location outside the repository and the data
#: directory (the Debian folder, tfds' and Keras' caches) and disables downloads: set it to 1
#: to see what a fresh clone on an offline machine sees.
HIDE_ENV_VAR = "COURSE_LIB_HIDE_SYSTEM_DATA"

REPO_ROOT = Path(__file__).resolve().parents[2]


def system_data_hidden() -> bool:
    """True when ``$COURSE_LIB_HIDE_SYSTEM_DATA`` is ``1``/``true``/``yes``.

    The loaders then search only the data directory and the files shipped in the repository:
    not ``/usr/share/datasets``, ``~/tensorflow_datasets`` (``$TFDS_DATA_DIR``) or
    ``~/.keras/datasets``, and they do not download.
    """
    return os.environ.get(HIDE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


def data_dir() -> Path:
    """The default data directory.

    Returns ``$COURSE_LIB_DATA_DIR`` when that variable is set (and not empty), else the
    ``data/`` folder at the top of the repository (the folder above ``course_lib``). The
    folder is not created here; loaders create the sub-folders they write to.

    Example:

    >>> from course_lib.data import data_dir
    >>> data_dir().name  # doctest: +SKIP
    'data'
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return REPO_ROOT / "data"


def resolve_data_dir(data_dir_arg: str | os.PathLike | None = None) -> Path:
    """``data_dir_arg`` as an absolute path, or ``data_dir()`` when it is None."""
    if data_dir_arg is None:
        return data_dir()
    if not isinstance(data_dir_arg, (str, os.PathLike)) or not str(data_dir_arg).strip():
        raise ValueError(
            "`data_dir` must be a non-empty path (str or os.PathLike) or None for the default "
            f"({ENV_VAR} or <repo>/data). Received: data_dir={data_dir_arg!r}"
        )
    return Path(data_dir_arg).expanduser().resolve()


def tfds_dir(root: str | os.PathLike | None = None) -> Path:
    """Where tensorflow-datasets data goes: ``<data_dir>/tfds``."""
    return resolve_data_dir(root) / "tfds"


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """Where the loaders keep their small caches: ``<data_dir>/cache``."""
    return resolve_data_dir(root) / "cache"


def tfds_default_dir() -> Path:
    """tensorflow-datasets' own default folder: ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``.

    Searched read-only after ``<data_dir>/tfds``, so data downloaded by other tfds projects
    on the machine is reused.
    """
    env = os.environ.get("TFDS_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / "tensorflow_datasets"


def keras_datasets_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    env = os.environ.get("KERAS_HOME", "").strip()
    base = Path(env).expanduser() if env else Path.home() / ".keras"
    return base / "datasets"
