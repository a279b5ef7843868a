"""Grade a folder of submitted notebooks without Docker.

Each submission is graded by otter's own runner in a separate subprocess
(:mod:`course_lib.grading._worker`) working in a fresh temporary folder with a fresh copy of
the autograder zip, under three limits:

* every call into student code made by a test runs under
  :func:`course_lib.grading.time_limit` (the tests do this), so an endless loop inside a
  function fails that one test;
* every cell of the student's may use ``cell_timeout`` seconds of CPU time (or three times
  that plus 30 s on the clock), counted inside the kernel from the moment the cell starts;
  then ``CellTimeoutError`` is raised in it and the next cell runs, so an endless loop at top
  level costs only its cell (the cells that run tests, ``grader.check`` and otter's final
  one, are bounded by the tests' own limits);
* the whole submission gets ``timeout`` seconds on the clock, then the worker and its kernel
  are killed and the submission scores 0 with a message saying so.

The first two limits count CPU time, not time on the clock, so a correct notebook gets the
same score on a busy machine (or with ``jobs`` above the number of cores) as on an idle one;
only the whole-submission limit depends on the machine, and it is meant to be generous.

The scores themselves are not taken from the student's kernel, which the notebook's code can
change. Before anything runs, a static scan (:mod:`course_lib.grading.scan`) flags code that
reaches into the grading machinery; after otter has graded the notebook, the tests are run
again in a clean process (:mod:`course_lib.grading._judge`) that loaded the tests and the
libraries they use before any student code and checks that none of them was replaced. Its
scores are the grades; a question that scored higher in the kernel than there, a changed
machinery or a changed protected test file makes the submission ``flagged`` (0 for the
affected questions, the reason in the summary, the feedback and the record). Points possible
come from the autograder zip itself, so a submission that rewrites its tests cannot raise
them. Outputs in ``out_dir``:

* ``gradebook.csv``: one row per student and question: ``student, question, points, total``;
* ``summary.csv``: one row per student: total points, status (``ok``, ``flagged``, ``error``,
  ``timeout``), grading seconds, message;
* ``feedback/<student>.md``: per-question scores and reasons, for the student (hidden test
  code is not shown);
* ``results/<student>.json``: the raw record for instructors (hidden test messages included);
* ``logs/<student>.log``: what the grading process printed.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import json
import os
import io
import re
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

__all__ = ["QuestionSpec", "SubmissionGrade", "expected_questions", "grade_submissions"]

_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


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
    from otter.test_files import ExceptionTestFile

    out = []
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in sorted(zf.namelist()):
            if not (name.startswith("tests/") and name.endswith(".py")):
                continue
            test_file = ExceptionTestFile.from_string(zf.read(name).decode("utf-8"), path=name)
            out.append(QuestionSpec(test_file.name, float(test_file.possible), len(test_file.test_cases)))
    if not out:
        raise ValueError(f"{autograder_zip} holds no tests/*.py: is it an otter autograder zip?")
    return sorted(out, key=lambda q: _natural_key(q.name))


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _kill_tree(pid: int) -> None:
    """Kill a process and every descendant (the notebook kernel runs in its own session)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def _grading_env() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONHASHSEED", "0")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")] if p
    )
    return env


def _run_worker(
    student: str,
    data: bytes,
    suffix: str,
    autograder_bytes: bytes,
    timeout: float,
    cell_timeout: int,
    log_path: Path,
) -> tuple[str, dict, float]:
    """Grade one submission in a fresh temporary folder; returns (status, record, seconds)."""
    start = time.perf_counter()
    # ignore_cleanup_errors: a notebook may leave files behind that cannot be removed.
    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-", ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        (tmp / "input").mkdir()
        submission = tmp / "input" / f"{student}{suffix}"
        submission.write_bytes(data)
        autograder = tmp / "input" / "autograder.zip"
        autograder.write_bytes(autograder_bytes)
        result = tmp / "result.json"
        workdir = tmp / "work"
        workdir.mkdir()
        cmd = [
            sys.executable, "-m", "course_lib.grading._worker",
            str(submission), str(autograder), str(result), "--cell-timeout", str(cell_timeout),
        ]
        env = _grading_env()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
                proc.wait()
                seconds = time.perf_counter() - start
                message = (
                    f"grading was stopped after the time limit of {timeout:g} s for the whole "
                    "notebook (an endless loop that ignores interrupts, or far too slow code); "
                    "nothing could be scored"
                )
                return "timeout", {"status": "timeout", "message": message}, seconds
            finally:
                if proc.poll() is None:  # pragma: no cover - defensive
                    _kill_tree(proc.pid)
        seconds = time.perf_counter() - start
        if proc.returncode != 0 or not result.is_file():
            tail = log_path.read_text(errors="replace")[-1500:]
            message = f"the grading process failed (exit code {proc.returncode}); log tail:\n{tail}"
            return "error", {"status": "error", "message": message}, seconds
        record = json.loads(result.read_text())
        return record.get("status", "error"), record, seconds


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


def _provided_cells(autograder_zip: Path) -> frozenset[str]:
    """The student notebook's own code cells, which ``make assignments`` stores in the zip."""
    from course_lib.grading.build import PROVIDED_CELLS

    with zipfile.ZipFile(autograder_zip) as zf:
        if PROVIDED_CELLS not in zf.namelist():
            return frozenset()
        return frozenset(json.loads(zf.read(PROVIDED_CELLS).decode("utf-8")))


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


def _static_flags(notebook: bytes | None, provided: frozenset[str] = frozenset()) -> list[str]:
    """What :func:`course_lib.grading.scan.scan_notebook` finds (nothing for a non-notebook)."""
    from course_lib.grading.scan import scan_notebook

    if notebook is None:
        return []
    try:
        nb = json.loads(notebook.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return []
    return [str(f) for f in scan_notebook(nb, provided)]


def _run_judge(
    notebook: bytes, autograder_bytes: bytes, timeout: float, cell_timeout: int, log_path: Path
) -> tuple[dict | None, str]:
    """Re-run the tests in a clean process (:mod:`course_lib.grading._judge`).

    Returns (its record, "") or (None, why there is none). The record only counts when it
    carries the random token this function hands the process before any student code runs.
    """
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="judge-", ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        (tmp / "submission.ipynb").write_bytes(notebook)
        (tmp / "autograder.zip").write_bytes(autograder_bytes)
        (tmp / "work").mkdir()
        cmd = [sys.executable, "-m", "course_lib.grading._judge", str(tmp / "submission.ipynb"),
               str(tmp / "autograder.zip"), "--cell-timeout", str(cell_timeout)]
        with open(log_path, "ab") as log:
            log.write(b"\n---- clean re-run of the tests (course_lib.grading._judge) ----\n")
            log.flush()
            proc = subprocess.Popen(
                cmd, cwd=tmp / "work", env=_grading_env(), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True,
            )
            try:
                out, _ = proc.communicate((token + "\n").encode(), timeout=max(timeout, 1))
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
                proc.communicate()
                return None, "timeout"
            finally:
                if proc.poll() is None:  # pragma: no cover - defensive
                    _kill_tree(proc.pid)
    for line in reversed(out.decode("utf-8", errors="replace").splitlines()):
        if line.startswith(token):
            return json.loads(line[len(token):]), ""
    return None, f"the clean re-run of the tests ended without a result (exit code {proc.returncode})"


def _combine(kernel: dict, judge: dict) -> dict:
    """One record: the clean process's results count; every way the two disagree is a flag.

    * the judge saw the machinery change: every question is affected;
    * a question scored higher in the notebook's kernel than in the clean process: that
      question is affected (the kernel's grading was changed; the clean one was not).
    """
    record = dict(kernel)
    record["kernel_questions"] = kernel.get("questions", {})
    record["questions"] = judge.get("questions", {})
    record["judge_errors"] = judge.get("errors", [])
    flags = list(judge.get("flags", []))
    affected = set(record["questions"]) if flags else set()
    for name, ran in sorted(record["kernel_questions"].items()):
        clean = record["questions"].get(name)
        if clean is not None and ran.get("score", 0) > clean["score"] + 1e-9:
            flags.append(
                f"{name} scored {ran['score']:g} inside the notebook's kernel but {clean['score']:g} "
                "when its code was re-run in a clean process: the notebook changed the grading"
            )
            affected.add(name)
    record["flags"] = flags
    record["flagged_questions"] = sorted(affected)
    return record


def _score(record: dict, questions: list[QuestionSpec]) -> tuple[dict, dict, dict]:
    """Points per question from a worker record, checked against the zip's questions."""
    tampered = {t["file"] for t in record.get("tampered", []) if t.get("used_for_grading")}
    flagged = set(record.get("flagged_questions", []))
    got = record.get("questions", {})
    points, possible, notes = {}, {}, {}
    for q in questions:
        possible[q.name] = q.possible
        result = got.get(q.name)
        if q.name in flagged:
            points[q.name] = 0.0
            notes[q.name] = (
                "0 points: the submission was flagged for changing the grading (see the grading "
                "note above); this question's results cannot be trusted."
            )
        elif f"tests/{q.name}.py" in tampered:
            points[q.name] = 0.0
            notes[q.name] = (
                f"0 points: the submission changed or deleted the grader's protected copy of "
                f"tests/{q.name}.py while it ran, so this question's results cannot be trusted."
            )
        elif result is None:
            points[q.name] = 0.0
            notes[q.name] = "0 points: no test results for this question (see the messages above)."
        elif abs(result["possible"] - q.possible) > 1e-9 or len(result["tests"]) != q.cases:
            points[q.name] = 0.0
            notes[q.name] = (
                "0 points: the tests that ran for this question are not the autograder's "
                "(different points or number of tests)."
            )
        else:
            points[q.name] = round(min(max(result["score"], 0.0), q.possible), 6)
    return points, possible, notes


def _summary_message(record: dict) -> str:
    """One line for summary.csv: the grading error, if any, and any change to test files."""
    parts = [record.get("message", "")]
    if record.get("flags"):
        parts.append("flagged: " + "; ".join(record["flags"][:5]) + ("; ..." if len(record["flags"]) > 5 else ""))
    tampered = record.get("tampered", [])
    changed = [f"{t['change']} {t['file']}" for t in tampered if not t.get("used_for_grading")]
    if changed:
        parts.append("the notebook " + ", ".join(changed) + " in its working folder (graded with a protected copy)")
    protected = [f"{t['change']} {t['file']}" for t in tampered if t.get("used_for_grading")]
    if protected:
        parts.append("it " + ", ".join(protected) + " of the grader's protected copy: 0 points for those questions")
    return "; ".join(p for p in parts if p)


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
    if record.get("flags"):
        lines += ["**Flagged.** The grader found code that changes the grading machinery:", ""]
        lines += [f"- {flag}" for flag in record["flags"]]
        lines += ["", "Flagged questions score 0; ask your instructor if you think this is a mistake.", ""]
    for entry in record.get("tampered", []):
        where = "the grader's protected copy of" if entry.get("used_for_grading") else "its working folder's copy of"
        lines.append(f"- The notebook {entry['change']} {where} `{entry['file']}` while it ran.")
    if record.get("tampered"):
        lines += [
            "",
            "Grading reads the tests from a protected copy; changes to the files next to the "
            "notebook do not change the score.",
            "",
        ]
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
            if e["ename"] == "CellTimeoutError":
                why = f"stopped by the per-cell time limit: {e['evalue']}"
            elif e["ename"] == "KeyboardInterrupt":
                why = "stopped: the cell ran past the per-cell time limit and was interrupted"
            else:
                why = f"{e['ename']}: {e['evalue']}"
            lines.append(f"- cell starting `{e['cell']}`: {why}")
        lines.append("")
    return "\n".join(lines)


def grade_submissions(
    autograder_zip: str | os.PathLike,
    submissions_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    assignment: str = "",
    timeout: float = 1200,
    cell_timeout: int = 300,
    jobs: int = 1,
    static_scan: bool = True,
) -> list[SubmissionGrade]:
    """Grade every ``*.ipynb`` (or otter-exported ``*.zip``) in ``submissions_dir``.

    Args:
        autograder_zip: The zip built by ``python -m course_lib build``.
        submissions_dir: Folder of submissions; the file name (without suffix) is the student.
        out_dir: Where the gradebook, summary, feedback, raw results and logs go.
        assignment: Name shown in the feedback files.
        timeout: Seconds allowed for one whole submission (positive).
        cell_timeout: CPU seconds allowed for one of the student's notebook cells (positive
            integer; the wall-clock ceiling is ``3 * cell_timeout + 30``); the cells that run
            tests are not limited by it.
        jobs: Submissions graded in parallel (positive integer).
        static_scan: Flag (and do not run) submissions whose code the static scan
            (:mod:`course_lib.grading.scan`) finds reaching into the grader. Turn it off only to
            test the other layers: the clean re-run still catches what the scan would.

    Returns:
        One :class:`SubmissionGrade` per submission, sorted by student.

    Raises:
        ValueError: a bad limit, no submissions, or two submissions with the same student name.
        FileNotFoundError: the autograder zip or the submissions folder does not exist.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"Argument `timeout` must be a positive number of seconds. Received: timeout={timeout!r}")
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int) or cell_timeout <= 0:
        raise ValueError(
            f"Argument `cell_timeout` must be a positive integer of seconds. Received: cell_timeout={cell_timeout!r}"
        )
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"Argument `jobs` must be an integer >= 1. Received: jobs={jobs!r}")
    autograder_zip, submissions_dir, out_dir = Path(autograder_zip), Path(submissions_dir), Path(out_dir)
    if not autograder_zip.is_file():
        raise FileNotFoundError(
            f"Autograder zip {autograder_zip} not found: build it with `make assignments`."
        )
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"Submissions folder {submissions_dir} not found.")
    questions = expected_questions(autograder_zip)
    provided = _provided_cells(autograder_zip)
    assignment_name = _assignment_name(autograder_zip)
    autograder_bytes = autograder_zip.read_bytes()

    # Read every submission into memory first: a submission that deletes files elsewhere on
    # disk while it runs cannot take the rest of the batch with it.
    submissions: dict[str, tuple[bytes, str]] = {}
    for path in sorted(submissions_dir.iterdir()):
        if not (path.is_file() and path.suffix in (".ipynb", ".zip")):
            continue
        student = _SAFE_ID.sub("_", path.stem)
        if student in submissions:
            raise ValueError(
                f"Two submissions map to student {student!r} in {submissions_dir}; rename one."
            )
        submissions[student] = (path.read_bytes(), path.suffix)
    if not submissions:
        raise ValueError(f"No .ipynb or .zip submissions in {submissions_dir}.")

    def one(student: str) -> SubmissionGrade:
        data, suffix = submissions[student]
        start = time.perf_counter()
        log_path = out_dir / "logs" / f"{student}.log"
        try:
            notebook = _notebook_json(data, suffix)
            other = _other_assignment(notebook, assignment_name)
            static = _static_flags(notebook, provided) if static_scan and not other else []
            if other:
                status, seconds = "error", time.perf_counter() - start
                record = {"status": "error", "message": (
                    f"this is the notebook of assignment {other!r} (its otter.Notebook cell opens "
                    f"{other}.ipynb), not of {assignment_name!r}: submit the {assignment_name} "
                    "notebook"), "questions": {}}
            elif static:
                status, seconds = "flagged", time.perf_counter() - start
                record = {
                    "status": "flagged", "message": "not run: the static scan found code that changes the grading",
                    "flags": [f"static scan: {f}" for f in static],
                    "flagged_questions": [q.name for q in questions],
                }
            else:
                status, record, seconds = _run_worker(
                    student, data, suffix, autograder_bytes, timeout, cell_timeout, log_path,
                )
            if status == "ok" and notebook is not None:
                left = timeout - (time.perf_counter() - start)
                clean, why = _run_judge(notebook, autograder_bytes, left, cell_timeout, log_path)
                if clean is None and why == "timeout":
                    status = "timeout"
                    record = {"status": "timeout", "message": (
                        f"grading was stopped after the time limit of {timeout:g} s for the whole "
                        "notebook, while its tests were re-run in a clean process; nothing could be scored")}
                elif clean is None:
                    status = "error"
                    record = {**record, "status": "error", "message": why, "questions": {}}
                else:
                    record = _combine(record, clean)
                seconds = time.perf_counter() - start
            if status == "ok" and (record.get("flags") or any(
                    t.get("used_for_grading") for t in record.get("tampered", []))):
                status = "flagged"
                record["status"] = "flagged"
        except Exception as e:  # never let one submission stop the batch
            status, seconds = "error", time.perf_counter() - start
            record = {"status": "error", "message": f"the grader failed on this submission: {type(e).__name__}: {e}"}
        points, possible, notes = _score(record, questions)
        grade = SubmissionGrade(
            student, status, points, possible, _summary_message(record), round(seconds, 2), "", record
        )
        grade.feedback = _feedback(student, assignment or autograder_zip.stem, grade, notes)
        for sub, name, text in (
            ("feedback", f"{student}.md", grade.feedback),
            ("results", f"{student}.json", json.dumps({**record, "points": points}, indent=1)),
        ):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
            (out_dir / sub / name).write_text(text, encoding="utf-8")
        return grade

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        grades = list(pool.map(one, sorted(submissions)))

    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "gradebook.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "question", "points", "total"])
        for g in grades:
            for q in questions:
                writer.writerow([g.student, q.name, f"{g.points[q.name]:g}", f"{q.possible:g}"])
    with open(out_dir / "summary.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "points", "total", "status", "seconds", "message"])
        for g in grades:
            writer.writerow(
                [g.student, f"{g.total:g}", f"{g.total_possible:g}", g.status, f"{g.seconds:.1f}", g.message]
            )
    return grades
