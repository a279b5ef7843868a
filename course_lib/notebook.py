"""Helpers for the first cells of every course notebook (version check, hardware, budget)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import course_lib
from course_lib import places
from course_lib.core import repo_root
from course_lib.places import on_colab, results_dir
from course_lib.train.config import BUDGET_NAMES

__all__ = [
    "BUDGETS", "DRIVE_MOUNT", "REPO_URL", "VersionMismatchError", "budget", "check_version",
    "device_summary", "on_colab", "read_repo_url", "repo_url", "setup", "use_drive",
]

#: The label of the kit's address in ``[project.urls]`` of pyproject.toml.
URL_LABEL = "Repository"

BUDGETS = BUDGET_NAMES  # smoke, quick, full: defined once, in course_lib.train.config


class VersionMismatchError(RuntimeError):
    """The installed ``course_lib`` is not the version a notebook was written for."""


def read_repo_url(pyproject: str | os.PathLike) -> str:
    """``[project.urls] Repository`` in ``pyproject``; ``ValueError`` if none or not ``https://``."""
    text = Path(pyproject).read_text(encoding="utf-8")
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # Python 3.10: read the one line we need
        section = re.search(r"^\[project\.urls\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        found = section and re.search(
            rf'^\s*"?{URL_LABEL}"?\s*=\s*"([^"]*)"', section.group(1), re.M | re.I)
        url = found.group(1) if found else None
    else:
        urls = tomllib.loads(text).get("project", {}).get("urls", {})
        url = next((v for k, v in urls.items() if k.lower() == URL_LABEL.lower()), None)
    if not url or not str(url).startswith("https://"):
        raise ValueError(
            f"{pyproject} must give the kit's address as `{URL_LABEL} = \"https://...\"` under "
            f"[project.urls]. Received: {URL_LABEL}={url!r}"
        )
    return str(url).rstrip("/")


def _checkout_pyproject() -> Path | None:
    """pyproject.toml of the checkout course_lib is imported from, if it is one (not a wheel)."""
    root = repo_root()
    candidate = root / "pyproject.toml" if root is not None else None
    if candidate is not None and re.search(r'^name\s*=\s*"course_lib"', candidate.read_text(
            encoding="utf-8"), re.M):
        return candidate
    return None


def repo_url() -> str:
    """The kit's address, from which every Colab badge and install cell is generated.

    From the checkout's pyproject.toml (a retarget needs no reinstall), else installed metadata.

    Raises:
        RuntimeError: neither a checkout nor installed metadata gives the address.
    """
    pyproject = _checkout_pyproject()
    if pyproject is not None:
        return read_repo_url(pyproject)
    from importlib import metadata

    try:
        entries = metadata.metadata("course_lib").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == URL_LABEL.lower() and url.strip():
            return url.strip().rstrip("/")
    raise RuntimeError(
        "course_lib's address is unknown: it is neither imported from a checkout with "
        "pyproject.toml nor installed with package metadata. Install the kit with "
        "`pip install -e <kit folder>`."
    )


def __getattr__(name: str):
    if name == "REPO_URL":  # the address, as a constant for older code; read on each access
        return repo_url()
    if name == "DRIVE_MOUNT":  # lives in course_lib.places; read on each access
        return places.DRIVE_MOUNT
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_version(expected: str) -> str:
    """Raise :class:`VersionMismatchError` unless ``course_lib.__version__ == expected``."""
    installed = course_lib.__version__
    if installed != expected:
        where = Path(course_lib.__file__).resolve().parent
        raise VersionMismatchError(
            f"This notebook was written for course_lib {expected}, but {installed} is installed "
            f"(from {where}). Fix: run `make lab` from the kit's folder (it reinstalls the "
            "library), or `pip install -e <kit folder>` in this environment, then restart "
            "the kernel. On Colab: Runtime > Restart session, then run the install cell again."
        )
    return installed


def use_drive(enabled: bool = True) -> str:
    """On Colab, keep results on Google Drive so a run resumes after the runtime is recycled.

    Returns the results folder (``""`` outside Colab, where it does nothing).
    """
    if not on_colab():
        return ""
    if enabled:
        from google.colab import drive  # only importable on Colab

        drive.mount(places.DRIVE_MOUNT)
        where = results_dir()
        print(f"results go to {where} (Google Drive): a run interrupted by a recycled runtime "
              "resumes when you run the same cell again.")
    else:
        where = results_dir()
        print(f"results go to {where}: a recycled runtime wipes them. Set USE_DRIVE = True in "
              "the first cell to keep them on Google Drive.")
    return str(where)


def budget(default: str = "quick") -> str:
    """The compute budget from ``COURSE_BUDGET``; ``ValueError`` unless smoke, quick or full."""
    value = os.environ.get("COURSE_BUDGET", default).strip().lower()
    if value not in BUDGETS:
        raise ValueError(
            f"COURSE_BUDGET must be one of {', '.join(BUDGETS)}. Received: COURSE_BUDGET={value!r}"
        )
    return value


def device_summary() -> str:
    """One line naming the accelerator TensorFlow sees (or saying it runs on CPU)."""
    from course_lib.train.gpu import gpu_details

    gpus = gpu_details()
    if not gpus:
        return (
            "No GPU found: running on CPU. Use the 'smoke' or 'quick' budget here; on Colab "
            "choose Runtime > Change runtime type > GPU for 'full'."
        )
    return f"{len(gpus)} GPU(s): {', '.join(name for name, _ in gpus)}"


def setup(expected_version: str, default_budget: str = "quick", verbose: bool = True) -> str:
    """Version check + device report + budget, for a notebook's first code cell."""
    version = check_version(expected_version)
    chosen = budget(default_budget)
    if verbose:
        print(f"course_lib {version} | budget: {chosen} | {device_summary()}")
    return chosen
