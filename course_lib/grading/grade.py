"""Grade a folder of submitted notebooks without Docker, each in a bubblewrap sandbox.

Per submission a judge process (:mod:`course_lib.grading.judge`) runs every test against the
sandboxed notebook; limits and outputs are listed in :func:`grade_submissions` and the threat
model in ``assignments/README.md``. Only this process writes the outputs, each atomically.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import io
import json
import os
import re
import sys
import time
import warnings
import zipfile
from pathlib import Path

from course_lib import validation
from course_lib.core import atomic_write

__all__ = ["QuestionSpec", "SubmissionGrade", "expected_questions", "grade_submissions"]

_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_OUTPUT_FOLDERS = ("feedback", "results", "logs")


@dataclasses.dataclass(frozen=True)
class QuestionSpec:
    """A question as the autograder zip defines it."""

    name: str
    possible: float
    cases: int


@dataclasses.dataclass
class SubmissionGrade:
    """The grade of one submission."""

    student: str
    status: str  # ok | flagged | error | timeout
    points: dict[str, float]
    possible: dict[str, float]
    message: str
    seconds: float
    feedback: str
    record: dict

    @property
    def total(self) -> float:
        return sum(self.points.values())

    @property
    def total_possible(self) -> float:
        return sum(self.possible.values())


def expected_questions(autograder_zip: str | os.PathLike) -> list[QuestionSpec]:
    """The questions and their points possible, read from the autograder zip's test files."""
    from course_lib.grading.judge import read_tests

    out = []
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith("tests/") and name.endswith(".py"):
                question, points, cases = read_tests(zf.read(name).decode("utf-8"), name)
                out.append(QuestionSpec(question, points, len(cases)))
    if not out:
        raise ValueError(f"{autograder_zip} holds no tests/*.py: is it an otter autograder zip?")
    return sorted(out, key=lambda q: _natural_key(q.name))


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _notebook_json(data: bytes, suffix: str) -> bytes | None:
    """The notebook of a submission (an ``.ipynb``, or the one ``.ipynb`` of an otter zip)."""
    if suffix != ".zip":
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.endswith(".ipynb")]
            return zf.read(names[0]) if len(names) == 1 else None
    except (zipfile.BadZipFile, OSError):
        return None


def _assignment_name(autograder_zip: Path) -> str:
    """The assignment the zip grades (``assignment_name`` in otter's config)."""
    with zipfile.ZipFile(autograder_zip) as zf:
        try:
            return str(json.loads(zf.read("otter_config.json")).get("assignment_name") or "")
        except KeyError:
            return ""


def _other_assignment(notebook: bytes | None, name: str) -> str | None:
    """The assignment a notebook was released for, when it is not ``name`` (its
    ``otter.Notebook("<assignment>.ipynb")`` cell names it); None if it is ``name`` or unknown."""
    if notebook is None or not name:
        return None
    try:
        nb = json.loads(notebook.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        match = re.search(r"""otter\.Notebook\(\s*["']([^"']+)\.ipynb["']""", source)
        if match:
            return match[1] if match[1] != name else None
    return None


def _score(record: dict, questions: list[QuestionSpec]) -> tuple[dict, dict, dict]:
    """Points per question from the judge's record, checked against the zip's questions."""
    got = record.get("questions", {})
    points, possible, notes = {}, {}, {}
    for q in questions:
        possible[q.name], result, points[q.name] = q.possible, got.get(q.name), 0.0
        if result is None:
            notes[q.name] = "0 points: no test results for this question (see the messages above)."
        elif abs(result["possible"] - q.possible) > 1e-9 or len(result["tests"]) != q.cases:
            notes[q.name] = "0 points: the tests that ran are not the autograder's (points or number differ)."
        else:
            points[q.name] = round(min(max(result["score"], 0.0), q.possible), 6)
    return points, possible, notes


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def _feedback(student: str, assignment: str, grade: SubmissionGrade, notes: dict) -> str:
    record = grade.record
    lines = [
        f"# Feedback: {assignment}, {student}",
        "",
        f"**Total: {grade.total:g} / {grade.total_possible:g}**",
        "",
    ]
    if grade.message:
        lines += [f"**Grading note:** {grade.message}", ""]
    lines += ["| question | points | out of |", "|---|---|---|"]
    for q, pts in grade.points.items():
        lines.append(f"| {q} | {pts:g} | {grade.possible[q]:g} |")
    lines.append("")
    for q in grade.points:
        result = record.get("questions", {}).get(q)
        lines.append(f"## {q}: {grade.points[q]:g} / {grade.possible[q]:g}")
        if q in notes:
            lines.append(notes[q])
        elif result is not None:
            failed = [t for t in result["tests"] if not t["passed"]]
            if not failed:
                lines.append("All tests passed.")
            for t in failed:
                if t["hidden"]:
                    text = f"- A hidden test failed ({_points(t['points'])})."
                    if t.get("failure_message"):
                        text += f" Hint: {t['failure_message']}"
                    lines.append(text)
                else:
                    lines.append(f"- Public test failed ({_points(t['points'])}):")
                    lines.append("")
                    lines.append("```")
                    lines.append(t["message"].strip())
                    lines.append("```")
        lines.append("")
    errors = record.get("errors", [])
    if errors:
        lines += ["## Errors raised while running your notebook", ""]
        for e in errors:
            why = f"{e['ename']}: {e['evalue']}"
            if e["ename"] == "CellTimeoutError":
                why = f"stopped by the per-cell time limit: {e['evalue']}"
            lines.append(f"- cell starting `{e['cell']}`: {why}")
        lines.append("")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _check_outputs(out_dir: Path, students: list[str]) -> None:
    """Stop before grading when an output entry exists and is not what the grader writes."""
    folders = [out_dir] + [out_dir / sub for sub in _OUTPUT_FOLDERS]
    files = [out_dir / "gradebook.csv", out_dir / "summary.csv"] + [
        out_dir / sub / f"{s}.{ext}" for s in students for sub, ext in zip(_OUTPUT_FOLDERS, ("md", "json", "log"))]
    for path, kind in [(f, "folder") for f in folders] + [(f, "regular file") for f in files]:
        is_ok = path.is_dir() if kind == "folder" else path.is_file()
        if path.is_symlink() or (os.path.lexists(path) and not is_ok):
            raise ValueError(f"Output entry {path} exists and is not a {kind} (a link, a folder or a "
                             "device): remove it or choose another --out.")


def _judge(job: dict, timeout: float) -> tuple[str, dict]:
    """Run the judge for one submission; returns (status, record)."""
    from course_lib.grading.sandbox import kit_env, run

    code, out, err = run([sys.executable, "-m", "course_lib.grading.judge"], stdin=json.dumps(job).encode(),
                         timeout=timeout, env=kit_env())
    if code is None:
        return "timeout", {"message": (
            f"grading was stopped after the time limit of {timeout:g} s for the whole notebook (an endless "
            "loop that ignores interrupts, or far too slow code); nothing could be scored")}
    try:
        record = json.loads(out)
        return record["status"], record
    except (ValueError, KeyError, TypeError):
        tail = err.decode("utf-8", errors="replace")[-1500:]
        return "error", {"message": f"the judge failed (exit code {code}); its log ends:\n{tail}"}


def _job(notebook: bytes, autograder_zip: Path, name: str, limits: dict) -> dict:
    return {"notebook": notebook.decode("utf-8"), "autograder": str(autograder_zip.resolve()),
            "notebook_name": f"{name or 'submission'}.ipynb", **limits}


def _grade_one(student: str, data: bytes, suffix: str, autograder_zip: Path, name: str, limits: dict):
    start = time.perf_counter()
    notebook = _notebook_json(data, suffix)
    other = _other_assignment(notebook, name)
    try:
        nb = json.loads(notebook) if notebook is not None else None
    except (ValueError, UnicodeDecodeError):
        nb = None
    if other:
        status, record = "error", {"message": (
            f"this is the notebook of assignment {other!r} (its otter.Notebook cell opens {other}.ipynb), "
            f"not of {name!r}: submit the {name} notebook")}
    elif not isinstance(nb, dict):
        status, record = "error", {"message": "the file is not a Jupyter notebook (not JSON with cells)"}
    else:
        status, record = _judge(_job(notebook, autograder_zip, name, limits), limits["timeout"])
    return status, record, time.perf_counter() - start


def grade_submissions(
    autograder_zip: str | os.PathLike,
    submissions_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    assignment: str = "",
    timeout: float = 1200,
    cell_timeout: int = 300,
    jobs: int = 1,
    sandbox: bool = True,
    memory_gib: float = 8,
) -> list[SubmissionGrade]:
    """Grade every ``*.ipynb`` (or otter-exported ``*.zip``) in ``submissions_dir``.

    Writes ``gradebook.csv``, ``summary.csv``, ``feedback/`` (for students), ``results/`` (raw,
    hidden messages included) and ``logs/`` into ``out_dir``. A submission past ``timeout`` is
    killed with everything it started and scores 0.

    Args:
        autograder_zip: The zip built by ``python -m course_lib build``.
        submissions_dir: Folder of submissions; the file name (without suffix) is the student.
        out_dir: Where the outputs go.
        assignment: Name shown in the feedback files.
        timeout: Seconds allowed for one whole submission.
        cell_timeout: CPU seconds per student cell (wall-clock ceiling ``3 * cell_timeout + 30``).
        jobs: Submissions graded in parallel.
        sandbox: Run submissions in bubblewrap (default); ``False`` is for trusted notebooks only.
        memory_gib: Address space one submission may use, in GiB.

    Raises:
        ValueError: a bad limit, no submissions, two submissions with the same student name,
            or an output entry that exists and is not a regular file or folder.
        FileNotFoundError: the autograder zip or the submissions folder does not exist.
        SandboxMissingError: ``sandbox`` is True and bubblewrap is not installed.
    """
    validation.in_open_interval("timeout", timeout, 0.0)
    validation.in_open_interval("memory_gib", memory_gib, 0.0)
    validation.positive_int("cell_timeout", cell_timeout)
    validation.positive_int("jobs", jobs)
    autograder_zip, submissions_dir, out_dir = Path(autograder_zip), Path(submissions_dir), Path(out_dir)
    if not autograder_zip.is_file():
        raise FileNotFoundError(f"Autograder zip {autograder_zip} not found: build it with `make assignments`.")
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"Submissions folder {submissions_dir} not found.")
    if sandbox:
        from course_lib.grading.sandbox import bwrap_command

        bwrap_command([])  # raises SandboxMissingError with how to install it
    else:
        warnings.warn("grading with --no-sandbox: the notebooks' code runs as you, with your files and "
                      "network within reach; use it only for notebooks you trust", stacklevel=2)
    questions = expected_questions(autograder_zip)
    name = _assignment_name(autograder_zip)
    # Read every submission first: one that deletes files while it runs cannot take the batch.
    submissions: dict[str, tuple[bytes, str]] = {}
    for path in sorted(submissions_dir.iterdir()):
        if not (path.is_file() and path.suffix in (".ipynb", ".zip")):
            continue
        student = _SAFE_ID.sub("_", path.stem)
        if student in submissions:
            raise ValueError(f"Two submissions map to student {student!r} in {submissions_dir}; rename one.")
        submissions[student] = (path.read_bytes(), path.suffix)
    if not submissions:
        raise ValueError(f"No .ipynb or .zip submissions in {submissions_dir}.")
    _check_outputs(out_dir, sorted(submissions))
    limits = {"timeout": timeout, "cell_timeout": cell_timeout, "sandbox": sandbox,
              "memory": int(memory_gib * (1 << 30))}

    def one(student: str) -> SubmissionGrade:
        try:
            status, record, seconds = _grade_one(student, *submissions[student], autograder_zip, name, limits)
        except Exception as e:  # noqa: BLE001 - one submission never stops the batch
            status, record, seconds = "error", {"message": f"the grader failed: {type(e).__name__}: {e}"}, 0.0
        record = {"status": status, "questions": {}, "errors": [], **record}
        points, possible, notes = _score(record, questions)
        grade = SubmissionGrade(student, status, points, possible, record.get("message", ""), round(seconds, 2),
                                "", record)
        grade.feedback = _feedback(student, assignment or autograder_zip.stem, grade, notes)
        log = record.pop("log", "")
        try:
            _write(out_dir / "feedback" / f"{student}.md", grade.feedback)
            _write(out_dir / "results" / f"{student}.json", json.dumps({**record, "points": points}, indent=1))
            _write(out_dir / "logs" / f"{student}.log", log)
        except OSError as e:  # the gradebook and the summary still hold this student's result
            grade.message = f"{grade.message}; its feedback could not be written: {e}".lstrip("; ")
        return grade

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        grades = list(pool.map(one, sorted(submissions)))
    book, summary = io.StringIO(), io.StringIO()
    csv.writer(book).writerows([["student", "question", "points", "total"]] + [
        [g.student, q.name, f"{g.points[q.name]:g}", f"{q.possible:g}"] for g in grades for q in questions])
    csv.writer(summary).writerows([["student", "points", "total", "status", "seconds", "message"]] + [
        [g.student, f"{g.total:g}", f"{g.total_possible:g}", g.status, f"{g.seconds:.1f}", g.message]
        for g in grades])
    _write(out_dir / "gradebook.csv", book.getvalue())
    _write(out_dir / "summary.csv", summary.getvalue())
    return grades
