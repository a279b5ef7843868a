"""What the first cell of every notebook and assignment does on Google Colab, after fetching the kit.

Standard library only: it runs before the kit's dependencies are installed.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from typing import Sequence

__all__ = ["KIT_DIR", "setup_colab", "on_colab"]

KIT_DIR = "/content/cnn-course-kit"  # where the first cell clones the kit on Colab


def on_colab() -> bool:
    """Whether this runs in a Google Colab runtime."""
    return "google.colab" in sys.modules


def _step(command: list[str], failed: str, fix: str) -> None:
    """Run ``command``; on failure stop with one message: what failed, the tool's reason, ``fix``."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{failed}: {(done.stderr or done.stdout).strip()[-800:]}\n{fix}")


def setup_colab(kit: str = KIT_DIR, *, install: bool, workdir: str = "notebooks",
                extra: Sequence[str] = (), use_drive: bool | None = None) -> None:
    """On Colab: install the kit, work from ``<kit>/<workdir>``, set up Drive. Nothing elsewhere.

    Args:
        kit: the kit's folder (the first cell's clone).
        install: ``pip install -e <kit> <extra...>`` and put ``kit`` first on ``sys.path``.
        workdir: relative to ``kit``; left alone if absent.
        extra: more pip requirements (``otter-grader~=7.0``).
        use_drive: True: results on Google Drive; False: in ``/content`` (said to be wiped);
            None: not mentioned.

    Raises:
        SystemExit: ``pip`` failed; the message gives pip's reason and what to do.
    """
    if not on_colab():
        return
    if install:
        _step([sys.executable, "-m", "pip", "install", "-q", "-e", kit, *extra],
              f"Could not install the course kit from {kit}",
              f"Fix: delete the copy (!rm -rf {kit}), choose Runtime > Restart session and "
              "run this cell again.")
        sys.path.insert(0, kit)
        importlib.invalidate_caches()
    if os.path.isdir(os.path.join(kit, workdir)):
        os.chdir(os.path.join(kit, workdir))
    if use_drive is not None:
        from course_lib.notebook import use_drive as _use_drive

        _use_drive(use_drive)
