"""The student release: the tree students get (what the public student repository holds).

No master notebook, hidden test, autograder zip or solution; the grader package is left out.
Files come from ``git ls-files`` in a git checkout (so build outputs never leak).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from course_lib.core import repo_root

__all__ = ["release_files", "write_release"]

_TOP_FILES = ("pyproject.toml", "requirements.txt", "LICENSE", "SOURCES.md")


def _tracked(root: Path) -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8")
        files = [f for f in out.split("\0") if f]
        if files:
            return files
    except (OSError, subprocess.SubprocessError):
        pass
    return [
        str(p.relative_to(root)) for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts
    ]


def _wanted(rel: str) -> bool:
    parts = rel.split("/")
    if rel in _TOP_FILES:
        return True
    if parts[0] == "notebooks":
        return rel.endswith((".ipynb", ".py")) and "/." not in rel
    if parts[0] == "data":
        return True
    if parts[0] == "course_lib":
        return parts[1:2] != ["grading"] and not rel.endswith(".pyc")
    if parts[0] == "assignments":
        return len(parts) >= 4 and parts[2] == "student"
    return False


def release_files(root: str | os.PathLike) -> list[str]:
    """The files of ``root`` (the instructor repository) that go into the student release."""
    root = Path(root)
    return sorted(rel for rel in _tracked(root) if _wanted(rel) and (root / rel).is_file())


def write_release(dest: str | os.PathLike, root: str | os.PathLike | None = None) -> list[Path]:
    """Write the student release into ``dest`` (created; must be empty but for ``.git``); returns the files.

    ``root``: the instructor repository (default: this ``course_lib``'s). Raises ``ValueError`` for
    a bad ``dest`` and ``FileNotFoundError`` when ``root`` lacks the student README or assignments.
    """
    if root is None:
        root = repo_root()
        if root is None:
            raise FileNotFoundError(
                "course_lib is not imported from a checkout of the kit: pass `root=` the kit's "
                "folder (the one holding course_lib/, assignments/ and notebooks/).")
    root = Path(root)
    root, dest = root.resolve(), Path(dest).resolve()
    for inner in ("course_lib", "assignments", "notebooks"):
        if dest == root or (root / inner) in (dest, *dest.parents):
            raise ValueError(f"Argument `dest` must lie outside the kit's sources. Received: dest={dest}")
    if dest.exists() and any(p.name != ".git" for p in dest.iterdir()):
        raise ValueError(
            f"Argument `dest` must be an empty folder (or hold only .git). Received: dest={dest}, "
            "which has files: remove them or pick another folder."
        )
    readme = root / "assignments" / "STUDENT_README.md"
    if not readme.is_file():
        raise FileNotFoundError(f"No student README at {readme}.")
    files = release_files(root)
    if not any(f.startswith("assignments/") for f in files):
        raise FileNotFoundError(f"No assignments/*/student/ in {root}: run `make assignments` first.")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
        written.append(target)
    (dest / "README.md").write_text(readme.read_text(encoding="utf-8"), encoding="utf-8")
    written.append(dest / "README.md")
    return sorted(written)
