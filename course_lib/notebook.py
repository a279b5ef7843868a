"""Helpers for the first cells of every course notebook.

Every notebook starts with::

    from course_lib.notebook import setup
    BUDGET = setup(expected_version="0.1.0")

which checks that the installed library is the version the notebook was written for (the
commonest failure of course kits: the library drifts from its notebooks), reports the
hardware (GPU 图形处理器 or CPU), and returns the compute budget chosen through the
``COURSE_BUDGET`` environment variable (``smoke`` for tests, ``quick`` for a laptop CPU,
``full`` for a GPU run of the source's schedule).
"""

from __future__ import annotations

import os
import sys

import course_lib

__all__ = [
    "BUDGETS",
    "REPO_URL",
    "VersionMismatchError",
    "budget",
    "check_version",
    "device_summary",
    "on_colab",
    "setup",
]

#: Where the kit lives; the Colab badge and install cell of every notebook point here.
REPO_URL = "https://github.com/cnn-course-kit/cnn-course-kit"

BUDGETS = ("smoke", "quick", "full")


class VersionMismatchError(RuntimeError):
    """The installed ``course_lib`` is not the version a notebook was written for."""


def on_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def check_version(expected: str) -> str:
    """Raise :class:`VersionMismatchError` unless ``course_lib.__version__ == expected``.

    The message says how to fix it: reinstall the kit from the folder the notebook came from.
    """
    installed = course_lib.__version__
    if installed != expected:
        where = os.path.dirname(os.path.dirname(os.path.abspath(course_lib.__file__)))
        raise VersionMismatchError(
            f"This notebook was written for course_lib {expected}, but {installed} is installed "
            f"(from {where}). Fix: run `make lab` from the kit's folder (it reinstalls the "
            "library), or `pip install -e <kit folder>` in this environment, then restart "
            "the kernel. On Colab: Runtime > Restart session, then run the install cell again."
        )
    return installed


def budget(default: str = "quick") -> str:
    """The compute budget from the ``COURSE_BUDGET`` environment variable.

    Raises:
        ValueError: the variable holds something other than smoke, quick or full.
    """
    value = os.environ.get("COURSE_BUDGET", default).strip().lower()
    if value not in BUDGETS:
        raise ValueError(
            f"COURSE_BUDGET must be one of {', '.join(BUDGETS)}. Received: COURSE_BUDGET={value!r}"
        )
    return value


def device_summary() -> str:
    """One line naming the accelerator TensorFlow sees (or saying it runs on CPU)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return (
            "No GPU found: running on CPU. Use the 'smoke' or 'quick' budget here; on Colab "
            "choose Runtime > Change runtime type > GPU for 'full'."
        )
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return f"{len(gpus)} GPU(s): {', '.join(names)}"


def setup(expected_version: str, default_budget: str = "quick", verbose: bool = True) -> str:
    """Version check + device report + budget, for a notebook's first code cell."""
    version = check_version(expected_version)
    chosen = budget(default_budget)
    if verbose:
        print(f"course_lib {version} | budget: {chosen} | {device_summary()}")
    return chosen
