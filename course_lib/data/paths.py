"""Where data lives: ``data_dir()`` holds ``tfds/`` and ``fashion-mnist/``.

``$COURSE_LIB_HIDE_SYSTEM_DATA=1`` hides every dataset outside the repository and the data
directory and disables downloads: what a fresh clone offline sees.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_lib.core import repo_root
from course_lib.places import HIDE_ENV_VAR, system_data_hidden

__all__ = ["ENV_VAR", "HIDE_ENV_VAR", "data_dir", "resolve_data_dir", "tfds_default_dir",
           "keras_datasets_dir", "system_data_hidden", "shipped_root"]

ENV_VAR = "COURSE_LIB_DATA_DIR"


def _env_path(var: str) -> Path | None:
    value = os.environ.get(var, "").strip()
    return Path(value).expanduser() if value else None


def shipped_root() -> Path:
    """The repository's ``data/`` folder (the current folder's for an installed copy)."""
    return (repo_root() or Path.cwd()) / "data"


def data_dir() -> Path:
    """The data directory: ``$COURSE_LIB_DATA_DIR`` (absolute) if set, else ``<repo>/data``."""
    env = _env_path(ENV_VAR)
    return env.resolve() if env else shipped_root()


def resolve_data_dir(data_dir_arg: str | os.PathLike | None = None) -> Path:
    """``data_dir_arg`` as an absolute path, or ``data_dir()`` when it is None."""
    if data_dir_arg is None:
        return data_dir()
    if not isinstance(data_dir_arg, (str, os.PathLike)) or not str(data_dir_arg).strip():
        raise ValueError(
            "`data_dir` must be a non-empty path (str or os.PathLike) or None for the default "
            f"({ENV_VAR} or <repo>/data). Received: data_dir={data_dir_arg!r}")
    return Path(data_dir_arg).expanduser().resolve()


def tfds_default_dir() -> Path:
    """tfds' own folder: ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``."""
    return _env_path("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets"


def keras_datasets_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    return (_env_path("KERAS_HOME") or Path.home() / ".keras") / "datasets"
