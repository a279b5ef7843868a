"""Build an assignment with otter-grader: student release + autograder zip.

``otter assign`` does the work; this module stages the files the master's config names
(``requirements.txt``, a ``course_lib`` snapshot) and copies otter's outputs to stable paths.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import re
import shutil
from pathlib import Path

import course_lib
from course_lib.core import repo_root
from course_lib.grading.assignments import AssignmentSpec

__all__ = ["BuildResult", "build_assignment", "grading_requirements"]

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclasses.dataclass(frozen=True)
class BuildResult:
    """What :func:`build_assignment` wrote."""

    spec: AssignmentSpec
    student_notebook: Path
    public_tests: tuple[Path, ...]
    autograder_zip: Path
    solution_notebook: Path


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def grading_requirements(repo_requirements: Path | None = None) -> list[str]:
    """A grading image's packages: ``course_lib``'s dependencies, pinned as ``requirements.txt`` pins."""
    declared = importlib.metadata.requires("course_lib") or []
    declared = [r for r in declared if "extra ==" not in r]
    pins = {}
    if repo_requirements is not None and repo_requirements.is_file():
        for line in repo_requirements.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            match = _REQUIREMENT_NAME.match(line)
            if match:
                pins[_normalise(match[1])] = line
    out = []
    for requirement in declared:
        name = _normalise(_REQUIREMENT_NAME.match(requirement)[1])
        out.append(pins.get(name, requirement.replace(" ", "")))
    return out


def _stage(spec: AssignmentSpec, staging: Path) -> Path:
    """Copy the master and the files its config refers to into a clean staging folder."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    master = staging / spec.master.name
    shutil.copy2(spec.master, master)
    package = Path(course_lib.__file__).resolve().parent
    shutil.copytree(
        package, staging / "course_lib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    root = repo_root()
    repo_requirements = root / "requirements.txt" if root is not None else None
    (staging / "requirements.txt").write_text("\n".join(grading_requirements(repo_requirements)) + "\n")
    return master


def _stable_cell_ids(notebook: Path) -> None:
    """Replace otter's random cell ids with content-derived ones, so rebuilds are byte-identical."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        key = hashlib.sha1(f"{cell.get('cell_type')}\0{source}".encode()).hexdigest()[:8]
        seen[key] = seen.get(key, 0) + 1
        cell["id"] = key if seen[key] == 1 else f"{key}-{seen[key]}"
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build_assignment(spec: AssignmentSpec, *, check_solutions: bool = False) -> BuildResult:
    """Run ``otter assign`` on ``spec``'s master notebook; writes ``student/`` and ``dist/``.

    ``check_solutions`` lets otter run the solution against every test (slow). Raises
    ``RuntimeError`` when otter produced no autograder zip or no student notebook.
    """
    from otter.assign import main as otter_assign

    staging = spec.dist_dir / "build"
    output = spec.dist_dir / "otter"
    master = _stage(spec, staging)
    shutil.rmtree(output, ignore_errors=True)
    logging.getLogger("otter").setLevel(logging.WARNING)
    otter_assign(str(master), str(output), no_pdfs=True, no_run_tests=not check_solutions)

    zips = sorted((output / "autograder").glob(f"{spec.name}-autograder_*.zip"))
    student_nb = output / "student" / spec.master.name
    solution_nb = output / "autograder" / spec.master.name
    if len(zips) != 1 or not student_nb.is_file() or not solution_nb.is_file():
        raise RuntimeError(
            f"otter assign did not produce the expected files in {output} (one autograder zip, "
            "student and autograder notebooks); check the master notebook's config cell."
        )
    _stable_cell_ids(student_nb)
    _stable_cell_ids(solution_nb)
    shutil.copy2(zips[0], spec.autograder_zip)
    shutil.copy2(solution_nb, spec.solution_notebook)

    shutil.rmtree(spec.student_dir, ignore_errors=True)
    shutil.copytree(output / "student", spec.student_dir)
    public_tests = tuple(sorted((spec.student_dir / "tests").glob("*.py")))
    return BuildResult(spec, spec.student_notebook, public_tests, spec.autograder_zip, spec.solution_notebook)
