"""Where the kit runs and where its results go, asked by both notebooks and runner.

Nothing here imports the rest of the kit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DRIVE_MOUNT", "DRIVE_RESULTS", "HIDE_ENV_VAR", "RESULTS_ENV", "on_colab",
           "results_dir", "system_data_hidden"]

#: Set to 1 to hide every dataset outside the repository and the data directory and disable
#: downloads (:mod:`course_lib.data.paths`): what a fresh clone offline sees.
HIDE_ENV_VAR = "COURSE_LIB_HIDE_SYSTEM_DATA"


def system_data_hidden() -> bool:
    """True when ``$COURSE_LIB_HIDE_SYSTEM_DATA`` is ``1``/``true``/``yes``."""
    return os.environ.get(HIDE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")

#: Where Colab mounts Google Drive (``google.colab.drive.mount``).
DRIVE_MOUNT = "/content/drive"

#: The results folder on Google Drive, relative to the Drive mount point, used on Colab once
#: Drive is mounted (``course_lib.notebook.use_drive``).
DRIVE_RESULTS = os.path.join("MyDrive", "cnn-course-kit", "results")

#: Environment variable that sets the results folder anywhere (a Drive folder, a shared disk).
RESULTS_ENV = "COURSE_RESULTS_DIR"


def on_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def results_dir(path: str | os.PathLike | None = None, *, default: str | os.PathLike = "results"
                ) -> Path:
    """The results folder: ``path``, else ``$COURSE_RESULTS_DIR``, else on Colab with Drive mounted
    ``/content/drive/MyDrive/cnn-course-kit/results``, else ``default``.

    Example:

    >>> import os
    >>> os.environ["COURSE_RESULTS_DIR"] = "/tmp/my-results"
    >>> str(results_dir())
    '/tmp/my-results'
    >>> str(results_dir("elsewhere"))
    'elsewhere'
    >>> del os.environ["COURSE_RESULTS_DIR"]
    """
    if path is not None and str(path) != "":
        return Path(path)
    env = os.environ.get(RESULTS_ENV, "").strip()
    if env:
        return Path(os.path.expanduser(env))
    drive = Path(DRIVE_MOUNT)
    if on_colab() and (drive / "MyDrive").is_dir():
        return drive / DRIVE_RESULTS
    return Path(default)
