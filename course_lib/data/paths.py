"""Where datasets and the loaders' caches live: ``<data_dir>/tfds``, ``<data_dir>/fashion-mnist``
(optional idx files) and ``<data_dir>/cache`` (channel means, the SVHN validation split)."""

from __future__ import annotations

import os
from pathlib import Path

from course_lib.core import repo_root

__all__ = ["ENV_VAR", "HIDE_ENV_VAR", "data_dir", "resolve_data_dir", "tfds_dir", "cache_dir",
           "tfds_default_dir", "keras_datasets_dir", "system_data_hidden", "shipped_root"]

#: Environment variable that moves the data directory.
ENV_VAR = "COURSE_LIB_DATA_DIR"
#: Set to 1 to hide every dataset outside the repository and the data directory (Debian folder,
#: tfds' and Keras' caches) and disable downloads: what a fresh clone offline sees.
HIDE_ENV_VAR = "COURSE_LIB_HIDE_SYSTEM_DATA"


def system_data_hidden() -> bool:
    """True when ``$COURSE_LIB_HIDE_SYSTEM_DATA`` is ``1``/``true``/``yes``."""
    return os.environ.get(HIDE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


def shipped_root() -> Path:
    """The repository's ``data/`` folder (the current folder's for an installed copy)."""
    return (repo_root() or Path.cwd()) / "data"


def data_dir() -> Path:
    """The default data directory: ``$COURSE_LIB_DATA_DIR`` if set, else ``<repo>/data``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser().resolve() if env else shipped_root()


def resolve_data_dir(data_dir_arg: str | os.PathLike | None = None) -> Path:
    """``data_dir_arg`` as an absolute path, or ``data_dir()`` when it is None.

    Args:
        data_dir_arg: a folder, or None.
    """
    if data_dir_arg is None:
        return data_dir()
    if not isinstance(data_dir_arg, (str, os.PathLike)) or not str(data_dir_arg).strip():
        raise ValueError(
            "`data_dir` must be a non-empty path (str or os.PathLike) or None for the default "
            f"({ENV_VAR} or <repo>/data). Received: data_dir={data_dir_arg!r}"
        )
    return Path(data_dir_arg).expanduser().resolve()


def tfds_dir(root=None) -> Path:
    """``<data_dir>/tfds``: where tensorflow-datasets data goes."""
    return resolve_data_dir(root) / "tfds"


def cache_dir(root=None) -> Path:
    """``<data_dir>/cache``: the loaders' small caches."""
    return resolve_data_dir(root) / "cache"


def tfds_default_dir() -> Path:
    """tfds' own folder (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``), searched read-only."""
    env = os.environ.get("TFDS_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / "tensorflow_datasets"


def keras_datasets_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    env = os.environ.get("KERAS_HOME", "").strip()
    return (Path(env).expanduser() if env else Path.home() / ".keras") / "datasets"
