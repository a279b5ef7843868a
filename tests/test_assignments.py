"""End-to-end tests of the graded assignments: otter build, release contents, Docker-free grading.

The autograders are built once per session from copies of the master notebooks (the ``built``
fixture of conftest.py, so the test also proves that the committed student release is what
``make assignments`` generates). Then real submissions are graded by the real grader, each in
its own sandbox:

* the reference solutions score full marks, the untouched student notebooks score zero;
* assignment 1 is also graded with submissions that raise, loop forever (inside a function
  and at top level, in a kernel that is slow to start the looping cell, as on a loaded
  machine), delete and rewrite files in their working folder, kill their own process, are not notebooks, belong to another assignment, or ignore interrupts;
  each gets the points its working parts earn and a message saying why the rest failed, and
  the batch carries on;
* a submission graded twice gets the same scores.

Independent gradings run at the same time (the assignment-1 batch with two jobs next to the
submission that ignores interrupts): the grader's limits count CPU time, so running them side
by side must not change any score. Assignments 2 and 3 are graded once per session, in the
batches that also hold their red team (``a2_batch``, ``a3_batch`` in conftest.py). Slow: the
assignment-1 batch takes about 95 s at a load of 9 (most of it the looping submission's CPU
limits), the two shared batches 5-6 minutes (assignment 3's reference trains for about a minute).
"""

from __future__ import annotations

import concurrent.futures
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from course_lib.grading import build_assignment, expected_questions, grade_submissions, list_assignments

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = REPO / "assignments"
NAMES = ["1-cnn-arithmetic", "2-custom-keras-layers", "3-design-under-budget"]
TOTALS = {"1-cnn-arithmetic": 30, "2-custom-keras-layers": 25, "3-design-under-budget": 12}
CELL_TIMEOUT = 3  # CPU seconds per student cell in the assignment-1 gradings
SLOW_START = 5  # seconds the looper's kernel waits before its looping cell (> CELL_TIMEOUT)
STUBBORN_TIMEOUT = 45  # seconds for the whole submission that ignores interrupts (it overlaps the batch)
STUBBORN_SLEEP = "7777.5"  # the stubborn notebook's own child: `sleep 7777.5`


def _nb(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _write_nb(nb: dict, path: Path) -> Path:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def _cell_index(nb: dict, needle: str) -> int:
    hits = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and needle in _source(c)]
    assert len(hits) == 1, f"{needle!r} found in {len(hits)} code cells"
    return hits[0]


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------ the release


@pytest.mark.parametrize("name", NAMES)
def test_committed_student_release_matches_a_fresh_build(built, name):
    fresh = built[name].student_dir
    committed = ASSIGNMENTS / name / "student"
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    assert fresh_files == committed_files, "run `make assignments` and commit student/"
    for rel in fresh_files:
        assert (fresh / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"{name}/student/{rel} is stale: run `make assignments` and commit it"
        )


def _solution_lines(master: dict) -> set[str]:
    """Lines only the master's solutions contain (stripped, long enough to be distinctive)."""
    inside, outside = set(), set()
    in_block = False
    for cell in master["cells"]:
        src = _source(cell)
        if cell["cell_type"] == "raw":
            in_block = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(src.strip(), in_block)
            continue
        block = False
        for line in src.splitlines():
            stripped = line.strip()
            if stripped.endswith("# BEGIN SOLUTION"):
                block = True
                continue
            if stripped.endswith("# END SOLUTION"):
                block = False
                continue
            target = inside if (in_block and (block or stripped.endswith("# SOLUTION"))) else outside
            if stripped.endswith("# SOLUTION"):
                stripped = stripped[: -len("# SOLUTION")].strip()
            if len(stripped) >= 12:
                target.add(stripped)
    return inside - outside


def _hidden_cases(autograder_zip: Path) -> list[str]:
    """The source of every hidden test case in the autograder zip."""
    out = []
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in zf.namelist():
            if not (name.startswith("tests/") and name.endswith(".py")):
                continue
            text = zf.read(name).decode()
            for block in re.split(r"\n(?=@test_case\()", text):
                if block.startswith("@test_case(") and "hidden=True" in block.splitlines()[0]:
                    out.append(block)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_student_release_contains_no_solution_and_no_hidden_test(built, name):
    spec = built[name]
    student_files = [spec.student_notebook, *sorted((spec.student_dir / "tests").glob("*.py"))]
    student_text = "\n".join(p.read_text(encoding="utf-8") for p in student_files)
    student_lines = {line.strip() for line in student_text.splitlines()}

    solutions = _solution_lines(_nb(spec.master))
    assert len(solutions) >= 10, "the master should have solution code to strip"
    leaked = sorted(line for line in solutions if line in student_lines)
    assert not leaked, f"solution lines in the student release: {leaked[:5]}"

    hidden = _hidden_cases(spec.autograder_zip)
    assert len(hidden) >= 4, "every assignment has hidden tests (public ones are worth at least half)"
    for case in hidden:
        name_line = next(line for line in case.splitlines() if line.startswith("def "))
        assert name_line.split("(")[0] not in student_text, f"hidden test {name_line} is in the release"
        body = [ln.strip() for ln in case.splitlines()[2:] if len(ln.strip()) >= 30]
        shared = [ln for ln in body if ln in student_lines and "time_limit" not in ln and not ln.startswith("from ")]
        assert len(shared) <= len(body) // 2, f"hidden test {name_line} is largely in the release: {shared[:3]}"
    assert "hidden=True" not in student_text

    nb = _nb(spec.student_notebook)
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "student notebook has outputs"
    checks = [c for c in nb["cells"] if c["cell_type"] == "code" and _source(c).startswith('grader.check("q')]
    assert len(checks) == len(expected_questions(spec.autograder_zip)), "one check cell per question"


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_opens_with_intro_and_colab_cell(built, name):
    from course_lib.notebook import REPO_URL

    cells = _nb(built[name].student_notebook)["cells"]
    intro = _source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and intro.startswith("# Assignment")
    assert "Learning goals" in intro and "感受野" in intro and "receptive field" in intro
    table = {m[0]: float(m[1]) for m in re.findall(r"^\| (q\d+) \|[^\n]*\| (\d+(?:\.\d+)?) \|$", intro, re.M)}
    questions = {q.name: q.possible for q in expected_questions(built[name].autograder_zip)}
    assert table == questions, "the points table in the intro must match the autograder"
    assert f"**{TOTALS[name]}**" in intro and sum(questions.values()) == TOTALS[name]
    colab = _source(cells[1])
    assert 'if "google.colab" in sys.modules:' in colab and REPO_URL in colab
    assert f"assignments/{name}/student" in colab
    assert "otter.Notebook" in _source(cells[2])


# ------------------------------------------------------------------ grading, assignment 1


def _a1_submissions(built, folder: Path) -> dict[str, Path]:
    """Reference, untouched, and submissions that misbehave in every way the grader must survive."""
    spec = built["1-cnn-arithmetic"]
    folder.mkdir()
    ref = _nb(spec.solution_notebook)
    subs = {
        "reference": shutil.copy(spec.solution_notebook, folder / "reference.ipynb"),
        "untouched": shutil.copy(spec.student_notebook, folder / "untouched.ipynb"),
    }

    # Raises: q6's backward is unfinished; q7's cell fails before it defines anything.
    raiser = copy.deepcopy(ref)
    i = _cell_index(raiser, "def max_pool_backward(")
    raiser["cells"].insert(i + 1, _code_cell(
        "def max_pool_backward(dout, cache):\n    raise NotImplementedError('not done yet')"))
    i = _cell_index(raiser, "def receptive_field(")
    raiser["cells"][i]["source"] = "raise RuntimeError('boom')\n" + _source(raiser["cells"][i])
    subs["raiser"] = _write_nb(raiser, folder / "raiser.ipynb")
    subs["raiser_again"] = shutil.copy(subs["raiser"], folder / "raiser_again.ipynb")

    # Loops forever: receptive_field never returns, and the q7 cell calls it at top level.
    # Its kernel is also slow to start that cell: an input transformer waits SLOW_START
    # seconds, longer than the cell limit, before the cell runs (a loaded machine delays a
    # cell like this). A limit counted from when the cell was sent would fire before the
    # cell's first statement; the grader's limit starts with the cell and counts CPU time.
    looper = copy.deepcopy(ref)
    i = _cell_index(looper, "def receptive_field(")
    looper["cells"][i]["source"] = _source(looper["cells"][i]).replace(
        "def stack_vs_single_params(",
        "def receptive_field(layers):\n    while True:\n        pass\n\n\ndef stack_vs_single_params(",
    )
    j = _cell_index(looper, "grader = otter.Notebook(")
    looper["cells"].insert(j + 1, _code_cell(
        "import time\n\n\n"
        "def slow_start(lines):\n"
        "    if any('def receptive_field(' in line for line in lines):\n"
        f"        time.sleep({SLOW_START})\n"
        "    return lines\n\n\n"
        "get_ipython().input_transformers_post.append(slow_start)"))
    subs["looper"] = _write_nb(looper, folder / "looper.ipynb")

    # Deletes and rewrites files in its working folder (where the tests were, in the old grader).
    vandal = copy.deepcopy(ref)
    i = _cell_index(vandal, "grader = otter.Notebook(")
    vandal["cells"].insert(i + 1, _code_cell(
        "import glob, os, pathlib, shutil\n"
        "shutil.rmtree('tests', ignore_errors=True)\n"
        "os.makedirs('tests', exist_ok=True)\n"
        "pathlib.Path('tests/q2.py').write_text('points = 40')\n"
        "for path in glob.glob('*.ipynb'):\n    os.remove(path)\n"
    ))
    subs["vandal"] = _write_nb(vandal, folder / "vandal.ipynb")

    # Kills its own kernel.
    crasher = copy.deepcopy(ref)
    i = _cell_index(crasher, "grader = otter.Notebook(")
    crasher["cells"].insert(i + 1, _code_cell("import os\nos._exit(3)"))
    subs["crasher"] = _write_nb(crasher, folder / "crasher.ipynb")

    (folder / "corrupt.ipynb").write_bytes(b"{ this is not a notebook")
    subs["corrupt"] = folder / "corrupt.ipynb"
    subs["wrong_assignment"] = shutil.copy(
        built["2-custom-keras-layers"].student_notebook, folder / "wrong_assignment.ipynb")
    (folder / "notes.txt").write_text("not a submission")  # ignored
    return subs


def _stubborn_submission(built, folder: Path) -> dict:
    """A notebook that starts a process of its own, loops until the per-cell limit interrupts
    it, catches that, and then waits forever, catching every further interrupt."""
    folder.mkdir()
    nb = _nb(built["1-cnn-arithmetic"].student_notebook)
    nb["cells"] = [
        _code_cell(f"import subprocess\nsubprocess.Popen(['sleep', '{STUBBORN_SLEEP}'])"),
        _code_cell(
            "import time\n"
            "caught = 0\n"
            "while True:\n"
            "    try:\n"
            "        while not caught:\n"
            "            pass\n"
            "        time.sleep(3600)\n"
            "    except KeyboardInterrupt:\n"
            "        caught += 1\n"
        ),
    ]
    (folder / "subs").mkdir()
    _write_nb(nb, folder / "subs" / "stubborn.ipynb")
    return {}


def _grade_cli(root: Path, subs: Path, out: Path, *, timeout, jobs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course_lib.grading", "--assignments-dir", str(root), "grade",
         "1-cnn-arithmetic", str(subs), "--out", str(out),
         "--timeout", str(timeout), "--cell-timeout", str(CELL_TIMEOUT), "--jobs", str(jobs)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.fixture(scope="session")
def a1_gradings(built, tmp_path_factory):
    """Grade the assignment-1 batch through the command line (two jobs) and, at the same
    time, the submission that ignores interrupts (its own short whole-submission limit)."""
    tmp = tmp_path_factory.mktemp("a1")
    subs = _a1_submissions(built, tmp / "submissions")
    stubborn = _stubborn_submission(built, tmp / "stubborn")
    root = built["1-cnn-arithmetic"].folder.parent
    start = time.perf_counter()
    batch = _grade_cli(root, tmp / "submissions", tmp / "out", timeout=600, jobs=2)
    lone = _grade_cli(root, tmp / "stubborn" / "subs", tmp / "stubborn" / "out", timeout=STUBBORN_TIMEOUT, jobs=1)
    elapsed = {}
    try:
        for name, proc in (("stubborn", lone), ("batch", batch)):
            output, _ = proc.communicate(timeout=1800)
            elapsed[name] = time.perf_counter() - start
            assert proc.returncode == 0, output
    finally:
        for proc in (batch, lone):
            if proc.poll() is None:
                proc.kill()
    out = tmp / "out"
    return {
        "batch": {
            "subs": subs, "out": out, "elapsed": elapsed["batch"],
            "summary": {row["student"]: row for row in _read_csv(out / "summary.csv")},
            "gradebook": _read_csv(out / "gradebook.csv"),
        },
        "stubborn": {
            **stubborn, "elapsed": elapsed["stubborn"],
            "summary": _read_csv(tmp / "stubborn" / "out" / "summary.csv"),
        },
    }


@pytest.fixture(scope="session")
def a1_batch(a1_gradings):
    return a1_gradings["batch"]


def _points(batch, student) -> dict[str, float]:
    return {r["question"]: float(r["points"]) for r in batch["gradebook"] if r["student"] == student}


def _feedback(batch, student) -> str:
    return (batch["out"] / "feedback" / f"{student}.md").read_text(encoding="utf-8")


def test_a1_gradebook_has_every_student_and_question(a1_batch):
    students = sorted(a1_batch["summary"])
    assert students == sorted(a1_batch["subs"]), "every submission is graded, notes.txt is ignored"
    assert len(a1_batch["gradebook"]) == len(students) * 7
    assert set(a1_batch["gradebook"][0]) == {"student", "question", "points", "total"}
    for student in students:
        assert (a1_batch["out"] / "feedback" / f"{student}.md").is_file()
        assert (a1_batch["out"] / "results" / f"{student}.json").is_file()
    seconds = {s: float(r["seconds"]) for s, r in a1_batch["summary"].items()}
    print(f"\nassignment 1 batch: {a1_batch['elapsed']:.0f} s wall for {len(students)} submissions; "
          f"per submission: {seconds}")


def test_a1_reference_full_marks_and_untouched_zero(a1_batch):
    assert a1_batch["summary"]["reference"]["points"] == "30"
    assert set(_points(a1_batch, "reference").values()) != {0.0}
    assert a1_batch["summary"]["untouched"]["points"] == "0"
    assert a1_batch["summary"]["untouched"]["status"] == "ok"
    assert "Public test failed" in _feedback(a1_batch, "untouched")


def test_a1_submission_that_raises_loses_only_what_fails(a1_batch):
    points = _points(a1_batch, "raiser")
    assert points["q7"] == 0, "the q7 cell raised before defining anything"
    assert points["q6"] == 1.5, "only max_pool_forward works in q6"
    assert sum(points.values()) == 30 - 4 - 3.5
    text = _feedback(a1_batch, "raiser")
    assert "RuntimeError: boom" in text and "NotImplementedError" in text


def test_a1_endless_loops_are_stopped_and_cost_only_their_tests(a1_batch):
    assert a1_batch["summary"]["looper"]["status"] == "ok"
    points = _points(a1_batch, "looper")
    assert points["q7"] == 1.5, "public and strided tests call the looping function, the third does not"
    assert sum(points.values()) == 30 - 2.5
    text = _feedback(a1_batch, "looper")
    assert "per-cell time limit" in text, "the top-level call was stopped"
    assert f"did not finish within {CELL_TIMEOUT} s" in text, "by the cell limit, not in the slow start"
    assert "did not finish within 10 s" in json.dumps(
        json.loads((a1_batch["out"] / "results" / "looper.json").read_text()))


def test_a1_deleting_and_rewriting_files_changes_nothing(a1_batch):
    assert sum(_points(a1_batch, "vandal").values()) == 30, "the tests live in the judge, not next to the notebook"


def test_a1_dead_process_corrupt_file_and_wrong_assignment_get_zero_with_reasons(a1_batch):
    s = a1_batch["summary"]
    assert s["crasher"]["points"] == "0" and s["crasher"]["status"] == "error"
    assert "process ended" in s["crasher"]["message"]
    assert s["corrupt"]["points"] == "0" and s["corrupt"]["status"] == "error"
    assert "not a Jupyter notebook" in s["corrupt"]["message"]
    assert s["wrong_assignment"]["points"] == "0"
    assert "custom-keras-layers" in s["wrong_assignment"]["message"]
    assert s["wrong_assignment"]["status"] == "error"


def test_grading_the_same_submission_twice_gives_the_same_scores(a1_batch):
    assert _points(a1_batch, "raiser") == _points(a1_batch, "raiser_again")
    first = json.loads((a1_batch["out"] / "results" / "raiser.json").read_text())
    second = json.loads((a1_batch["out"] / "results" / "raiser_again.json").read_text())
    outcome = lambda r: {q: [t["passed"] for t in v["tests"]] for q, v in r["questions"].items()}  # noqa: E731
    assert outcome(first) == outcome(second)


def test_a1_submission_that_ignores_interrupts_is_killed_at_the_time_limit(a1_gradings):
    import psutil

    stubborn = a1_gradings["stubborn"]
    (row,) = stubborn["summary"]
    assert row["status"] == "timeout" and row["points"] == "0", row
    assert f"{STUBBORN_TIMEOUT} s" in row["message"]
    assert stubborn["elapsed"] < STUBBORN_TIMEOUT + 60
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", STUBBORN_SLEEP]]
    assert not left, "a process the killed submission started survived it"


# ------------------------------------------------------------------ assignments 2 and 3


@pytest.mark.parametrize("name", ["2-custom-keras-layers", "3-design-under-budget"])
def test_reference_full_marks_and_untouched_zero(request, name):
    batch = {"2-custom-keras-layers": "a2_batch", "3-design-under-budget": "a3_batch"}[name]
    grades = request.getfixturevalue(batch)["grades"]
    ref, untouched = grades["reference"], grades["untouched"]
    print(f"\n{name}: reference graded in {ref.seconds:.0f} s, untouched in {untouched.seconds:.0f} s")
    assert ref.status == "ok" and ref.total == TOTALS[name], ref.feedback
    assert untouched.status == "ok" and untouched.total == 0, untouched.feedback
    assert untouched.total_possible == TOTALS[name]
