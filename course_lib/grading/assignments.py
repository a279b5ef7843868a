"""Where an assignment's files live: ``assignments/<n>-<name>/`` holds the master notebook,
``student/`` (generated notebook and public tests, committed) and ``dist/`` (build outputs).
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from course_lib.core import repo_root

__all__ = [
    "AssignmentSpec", "assignments_root", "colab_badge", "colab_url", "find_assignment", "list_assignments",
    "student_repo_url",
]

_FOLDER = re.compile(r"^(?P<number>\d+)-(?P<name>[a-z0-9][a-z0-9-]*)$")


@dataclasses.dataclass(frozen=True)
class AssignmentSpec:
    """Paths of one assignment, derived from its folder ``<n>-<name>``."""

    folder: Path
    number: int
    name: str

    @property
    def master(self) -> Path:
        """The master notebook (otter assign format), ``<folder>/<name>.ipynb``."""
        return self.folder / f"{self.name}.ipynb"

    @property
    def student_dir(self) -> Path:
        """The generated student release (notebook + public tests)."""
        return self.folder / "student"

    @property
    def student_notebook(self) -> Path:
        return self.student_dir / f"{self.name}.ipynb"

    @property
    def dist_dir(self) -> Path:
        """Build outputs (gitignored)."""
        return self.folder / "dist"

    @property
    def autograder_zip(self) -> Path:
        return self.dist_dir / f"{self.name}-autograder.zip"

    @property
    def solution_notebook(self) -> Path:
        """The reference solution as otter writes it (solutions kept, tests removed)."""
        return self.dist_dir / f"{self.name}-solution.ipynb"


def assignments_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the assignments: ``root``, else ``./assignments``, else the checkout's."""
    if root is not None:
        path = Path(root)
    elif Path("assignments").is_dir():
        path = Path("assignments")
    else:
        path = (repo_root() or Path.cwd()) / "assignments"
    if not path.is_dir():
        raise FileNotFoundError(
            f"No assignments folder at {path}. Run from the course kit's folder or pass "
            "--assignments-dir PATH."
        )
    return path.resolve()


def list_assignments(root: str | os.PathLike | None = None) -> list[AssignmentSpec]:
    """Every ``<n>-<name>/`` folder under ``root`` that holds its master ``<name>.ipynb``."""
    base = assignments_root(root)
    specs = []
    for folder in sorted(base.iterdir()):
        match = _FOLDER.match(folder.name)
        if not (folder.is_dir() and match):
            continue
        spec = AssignmentSpec(folder, int(match["number"]), match["name"])
        if spec.master.is_file():
            specs.append(spec)
    return sorted(specs, key=lambda s: (s.number, s.name))


def find_assignment(key: str, root: str | os.PathLike | None = None) -> AssignmentSpec:
    """The assignment named by ``key``: folder name, name, number or path; ``ValueError`` unless one matches."""
    path = Path(key)
    if path.is_dir() and _FOLDER.match(path.resolve().name):
        match = _FOLDER.match(path.resolve().name)
        spec = AssignmentSpec(path.resolve(), int(match["number"]), match["name"])
        if not spec.master.is_file():
            raise ValueError(f"{path} has no master notebook {spec.master.name}.")
        return spec
    specs = list_assignments(root)
    hits = [s for s in specs if key in (s.folder.name, s.name, str(s.number))]
    if len(hits) != 1:
        known = ", ".join(s.folder.name for s in specs) or "none"
        what = "No assignment" if not hits else "More than one assignment"
        raise ValueError(f"{what} matches {key!r}. Known assignments: {known}.")
    return hits[0]


def student_repo_url() -> str:
    """The public (student) repository students clone: ``[project.urls] Repository`` in the
    kit's ``pyproject.toml``, or in the installed package's metadata."""
    import tomllib
    from importlib import metadata

    pyproject = (repo_root() or Path("/nonexistent")) / "pyproject.toml"
    if pyproject.is_file():
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
    urls = metadata.metadata("course_lib").get_all("Project-URL") or []
    return next(u.split(",", 1)[1].strip() for u in urls if u.lower().startswith("repository"))


def colab_url(spec: AssignmentSpec) -> str:
    """Open ``spec``'s student notebook from the student repository in Colab."""
    repo = student_repo_url().rstrip("/").removeprefix("https://github.com/")
    rel = spec.student_notebook.relative_to(spec.folder.parent).as_posix()
    return f"https://colab.research.google.com/github/{repo}/blob/main/assignments/{rel}"


def colab_badge(spec: AssignmentSpec) -> str:
    """The *Open in Colab* badge (Markdown) each assignment's intro carries."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(spec)})"
