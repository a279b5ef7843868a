"""The student release (``make release DEST=...``): everything students need, no solution, no
hidden test, no grader. A release is written into a temporary folder and every file is read."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.grading import list_assignments
from course_lib.grading.release import write_release

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = REPO / "assignments"
MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION", "# SOLUTION", "BEGIN TESTS", "END TESTS",
           "ASSIGNMENT CONFIG", "hidden: true", "hidden=True", "BEGIN QUESTION")


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _masters():
    return [json.loads(s.master.read_text(encoding="utf-8")) for s in list_assignments(ASSIGNMENTS)]


def _solution_lines(master: dict) -> set[str]:
    """The master's solution lines long enough to be distinctive outside the assignment too."""
    from test_assignments import _solution_lines as lines

    return {line for line in lines(master) if len(line) >= 25}


def _hidden_tests(master: dict) -> list[tuple[str, list[str]]]:
    """(function name, distinctive body lines) of every hidden test of a master."""
    out = []
    for cell in master["cells"]:
        src = _source(cell)
        if "BEGIN TEST CONFIG" in src and "hidden: true" in src:
            name = re.search(r"def (test_\w+)", src).group(1)
            body = [ln.strip() for ln in src.split("# END TEST CONFIG", 1)[1].splitlines()[1:]
                    if len(ln.strip()) >= 30 and "time_limit" not in ln and not ln.strip().startswith(("from ", "import "))]
            out.append((name, body))
    return out


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "student-kit"
    write_release(dest, REPO)
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    return dest, {p.relative_to(dest).as_posix(): _read(p) for p in files}


def _read(path):
    """A release file as text: gzip files (the shipped data) are read decompressed, and bytes
    that are not UTF-8 are replaced, so that markers (ASCII) are found in any file."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def test_release_holds_what_students_need_and_no_grader(release):
    dest, files = release
    for name in ("README.md", "SOURCES.md", "pyproject.toml", "requirements.txt", "course_lib/__init__.py",
                 "course_lib/layers/__init__.py", "course_lib/checks/time_limit.py", "data/README.md"):
        assert name in files, name
    for spec in list_assignments(ASSIGNMENTS):
        rel = spec.student_notebook.relative_to(REPO).as_posix()
        assert rel in files, rel
        assert spec.master.relative_to(REPO).as_posix() not in files, "a master notebook is in the release"
        assert any(f.startswith(f"assignments/{spec.folder.name}/student/tests/q") for f in files)
    assert any(f.startswith("notebooks/") and f.endswith(".ipynb") for f in files)
    assert not [f for f in files if f.startswith("course_lib/grading/")], "the grader is not released"
    import course_lib.checks

    package = Path(course_lib.checks.__file__).parent
    assert {f"course_lib/checks/{p.name}" for p in package.glob("*.py")} <= set(files), "checks ships whole"
    assert not [f for f in files if f.endswith(".zip") or "/dist/" in f or f.startswith(("tests/", "benchmarks/"))]
    assert "STUDENT_README.md" not in " ".join(files)


def test_release_has_no_solution_marker_solution_line_or_hidden_test(release):
    _, files = release
    for rel, text in files.items():
        for marker in MARKERS:
            assert marker not in text, f"{rel} contains {marker!r}"
    lines = {rel: {ln.strip() for ln in text.replace("\\n", "\n").splitlines()} for rel, text in files.items()}
    for master in _masters():
        solutions = _solution_lines(master)
        assert len(solutions) >= 5
        for rel, have in lines.items():
            if rel.startswith("course_lib/"):
                # The library shares argument checks with answers, and course_lib.layers is
                # assignment 2's topic: its tests reject answers that use it (an AST check).
                continue
            leaked = sorted(solutions & have)
            assert not leaked, f"{rel} holds solution lines: {leaked[:3]}"
        hidden = _hidden_tests(master)
        assert len(hidden) >= 3
        for name, body in hidden:
            for rel, text in files.items():
                assert name not in text, f"hidden test {name} named in {rel}"
                shared = [ln for ln in body if ln in lines[rel]]
                assert len(shared) <= len(body) // 2, f"hidden test {name} largely in {rel}: {shared[:2]}"


def test_release_imports_without_the_grader(release):
    dest, _ = release
    code = ("import course_lib, course_lib.checks.design_rules, course_lib.checks.fixed_training\n"
            "from course_lib.checks import time_limit\n"
            "import importlib.util\n"
            "spec = importlib.util.find_spec('course_lib.grading')\n"
            "assert spec is None or not spec.origin.startswith(course_lib.__path__[0])  # an editable kit elsewhere\n"
            "print(course_lib.__file__)")
    env = {**os.environ, "PYTHONPATH": str(dest)}
    out = subprocess.run([sys.executable, "-c", code], cwd=dest, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith(str(dest))


def test_release_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="must be an empty folder"):
        write_release(tmp_path, REPO)
    with pytest.raises(ValueError, match="outside the kit"):
        write_release(REPO / "assignments" / "x", REPO)


def test_release_cli(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "course_lib.grading", "release", str(tmp_path / "r")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "student release:" in out.stdout and (tmp_path / "r" / "README.md").is_file()
