"""Unit tests of course_lib.grading: discovery, time limits, scoring, the design rules of
assignment 3 and its fixed training. The end-to-end grading tests are in test_assignments.py."""

from __future__ import annotations

import copy
import json
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from course_lib.checks import CallTimeoutError, time_limit
from course_lib.grading import find_assignment, grade_submissions, list_assignments
from course_lib.grading.build import grading_requirements
from course_lib.grading.grade import QuestionSpec, _score

REPO = Path(__file__).resolve().parents[1]
NAMES = ["1-cnn-arithmetic", "2-custom-keras-layers", "3-design-under-budget"]


# ------------------------------------------------------------------ discovery


def test_list_assignments_finds_the_three_masters():
    specs = list_assignments(REPO / "assignments")
    assert [s.folder.name for s in specs] == NAMES
    assert [s.number for s in specs] == [1, 2, 3]
    for spec in specs:
        assert spec.master == spec.folder / f"{spec.name}.ipynb" and spec.master.is_file()
        assert spec.autograder_zip == spec.folder / "dist" / f"{spec.name}-autograder.zip"


@pytest.mark.parametrize("key", ["2-custom-keras-layers", "custom-keras-layers", "2"])
def test_find_assignment_by_folder_name_or_number(key):
    assert find_assignment(key, REPO / "assignments").folder.name == "2-custom-keras-layers"


def test_find_assignment_by_path():
    assert find_assignment(str(REPO / "assignments" / "1-cnn-arithmetic")).name == "cnn-arithmetic"


def test_find_assignment_unknown_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"No assignment matches 'nope'.*1-cnn-arithmetic, 2-custom"):
        find_assignment("nope", REPO / "assignments")


def test_missing_assignments_folder_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="--assignments-dir"):
        list_assignments(tmp_path / "nowhere")


# ------------------------------------------------------------------ the masters


def _cells(name):
    spec = find_assignment(name, REPO / "assignments")
    return json.loads(spec.master.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("name", NAMES)
def test_master_config_and_question_points(name):
    cells = _cells(name)
    config = _src(cells[0])
    assert cells[0]["cell_type"] == "raw" and config.startswith("# ASSIGNMENT CONFIG")
    for line in ("init_cell: false", "files: true", "ok_format: false", "autograder_files:", "- course_lib"):
        assert line in config
    points = [int(l.split(":")[1]) for c in cells if c["cell_type"] == "raw" and _src(c).startswith("# BEGIN QUESTION")
              for l in _src(c).splitlines() if l.startswith("points:")]
    intro = _src(cells[1])
    total = int(intro.split("| **total** | | **")[1].split("**")[0])
    assert sum(points) == total and len(points) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_master_colab_cell_points_at_the_kit(name):
    from course_lib.notebook import REPO_URL

    colab = _src(_cells(name)[2])
    assert REPO_URL in colab and f"assignments/{name}/student" in colab
    assert colab.index('if "google.colab" in sys.modules:') < colab.index('"git", "clone"')


def test_grading_requirements_pin_course_lib_dependencies_like_the_kit():
    reqs = grading_requirements(REPO / "requirements.txt")
    assert "tensorflow~=2.21.0" in reqs and "keras~=3.15.1" in reqs
    assert not any(r.startswith(("pytest", "jupyterlab", "otter")) for r in reqs)
    unpinned = grading_requirements(None)
    assert any(r.startswith("tensorflow>=") for r in unpinned)


# ------------------------------------------------------------------ time_limit


def test_time_limit_stops_an_endless_loop():
    start = time.perf_counter()
    with pytest.raises(CallTimeoutError, match=r"my_function did not finish within 0.3 s \(it used 0.3 s of CPU"):
        with time_limit(0.3, "my_function"):
            while True:
                pass
    assert time.perf_counter() - start < 5
    assert issubclass(CallTimeoutError, Exception), "otter records Exception subclasses as failed tests"


def test_time_limit_lets_fast_code_finish_and_restores_the_handler():
    sentinel = signal.getsignal(signal.SIGALRM)
    with time_limit(5):
        total = sum(range(1000))
    assert total == 499500
    assert signal.getsignal(signal.SIGALRM) is sentinel
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_counts_cpu_time_not_time_spent_waiting():
    start = time.perf_counter()
    with time_limit(0.2, "a sleeper", wall_seconds=10):
        time.sleep(0.7)  # 3.5 times the limit on the clock, almost no CPU time
    assert time.perf_counter() - start >= 0.7


def test_time_limit_wall_clock_ceiling_stops_code_that_waits_forever():
    start = time.perf_counter()
    with pytest.raises(CallTimeoutError, match=r"waiter did not finish within 0.5 s of wall-clock time"):
        with time_limit(0.2, "waiter", wall_seconds=0.5):
            while True:
                time.sleep(0.05)
    assert time.perf_counter() - start < 5


def test_time_limit_ignores_time_the_process_is_not_running():
    """A process stopped for longer than the limit (as a busy machine or memory pressure can
    stall it) in the middle of a call that does little work: the call is not stopped."""
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from course_lib.checks.time_limit import time_limit\n"
         "with time_limit(1.0, 'light work', wall_seconds=60):\n"
         "    print('inside', flush=True)\n"
         "    sys.stdin.readline()\n"  # the parent stops us, resumes us, then writes a line
         "    t = time.thread_time()\n"
         "    while time.thread_time() - t < 0.3:\n"
         "        pass\n"
         "print('finished', flush=True)\n"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout.readline().strip() == "inside"
        start = time.perf_counter()
        child.send_signal(signal.SIGSTOP)
        time.sleep(1.5)
        child.send_signal(signal.SIGCONT)
        child.stdin.write("go\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGCONT)
            child.kill()
    assert time.perf_counter() - start > 1.0, "the call took longer than its limit on the clock"
    assert child.returncode == 0 and out.strip() == "finished", err[-2000:]


def test_time_limit_nests_and_gives_the_outer_limit_its_alarm_back():
    start = time.perf_counter()
    with pytest.raises(CallTimeoutError, match="outer"):
        with time_limit(0.8, "outer"):
            with pytest.raises(CallTimeoutError, match="inner"):
                with time_limit(0.2, "inner"):
                    while True:
                        pass
            left, _ = signal.getitimer(signal.ITIMER_REAL)
            assert 0 < left < 0.8, "the outer alarm is set again"
            while True:
                pass
    assert time.perf_counter() - start < 10
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_docstring_example_runs():
    import doctest
    import importlib

    module = importlib.import_module("course_lib.checks.time_limit")
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("bad", [0, -1, True, "3"])
def test_time_limit_rejects_bad_seconds(bad):
    with pytest.raises(ValueError, match="seconds"):
        with time_limit(bad):
            pass


def test_time_limit_rejects_a_wall_clock_ceiling_below_the_limit():
    with pytest.raises(ValueError, match=r"Received: wall_seconds=1 with seconds=2"):
        with time_limit(2, wall_seconds=1):
            pass


def test_cell_limit_stops_a_busy_cell_with_an_error_except_exception_does_not_catch():
    from course_lib.checks import CellTimeoutError, cell_limit

    caught = None
    try:
        with cell_limit(0.3, wall_seconds=20):
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - what a student's cell may write
                caught = "swallowed"
    except CellTimeoutError as e:
        caught = str(e)
    assert "this cell did not finish within 0.3 s" in caught


# ------------------------------------------------------------------ scoring


QUESTIONS = [QuestionSpec("q1", 4.0, 2), QuestionSpec("q2", 3.0, 1), QuestionSpec("q3", 2.0, 1)]


def _result(score, possible, cases):
    return {"score": score, "possible": possible, "tests": [{"passed": True}] * cases}


def test_score_uses_the_autograders_points_and_explains_zeros():
    record = {"questions": {"q1": _result(3.0, 4.0, 2), "q2": _result(40.0, 40.0, 1)}}
    points, possible, notes = _score(record, QUESTIONS)
    assert points == {"q1": 3.0, "q2": 0.0, "q3": 0.0}
    assert possible == {"q1": 4.0, "q2": 3.0, "q3": 2.0}
    assert "not the autograder's" in notes["q2"], "a test with other points earns nothing"
    assert "no test results" in notes["q3"]


def test_the_judge_runs_the_cells_otter_runs_in_the_kernel():
    """Not grader.check cells, not cells tagged otter_ignore (assignment 3's local fixed
    training would otherwise train a second time)."""
    import nbformat
    from otter.execute.preprocessor import GradingPreprocessor

    from course_lib.grading.judge import _grading_cells

    metadata = [{}, {"tags": ["otter_ignore"]}, {"tags": ["otter_answer_cell", "otter_ignore"]},
                {"otter": {"ignore": True}}, {"otter": {"ignore": False}}, {"tags": ["otter_answer_cell"]}]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"x{i} = {i}", metadata=m) for i, m in enumerate(metadata)])
    nb.cells.append(nbformat.v4.new_code_cell('grader.check("q1")'))
    kept_by_otter = copy.deepcopy(nb)
    GradingPreprocessor.filter_ignored_cells(None, kept_by_otter)
    want = [c.source for c in kept_by_otter.cells][:-1]
    got = [source for _, source in _grading_cells(json.loads(nbformat.writes(nb)))]
    assert got == want == ["x0 = 0", "x4 = 4", "x5 = 5"]
    student = json.loads(find_assignment("3", REPO / "assignments").student_notebook.read_text(encoding="utf-8"))
    assert not [s for _, s in _grading_cells(student) if "fixed_training(" in s], "the local training cell runs again"


def test_the_judge_reads_test_files_as_otter_does(built):
    from otter.test_files import ExceptionTestFile

    from course_lib.grading.judge import read_tests

    with zipfile.ZipFile(built["1-cnn-arithmetic"].autograder_zip) as zf:
        for name in (n for n in zf.namelist() if n.startswith("tests/")):
            source = zf.read(name).decode()
            otter_file = ExceptionTestFile.from_string(source, path=name)
            question, points, cases = read_tests(source, name)
            assert (question, points) == (otter_file.name, otter_file.possible)
            assert [(c.name, c.points, c.hidden, c.failure_message) for c in cases] == [
                (t.name, t.points, t.hidden, t.failure_message) for t in otter_file.test_cases]


def test_grade_submissions_checks_its_arguments(tmp_path):
    zip_path = tmp_path / "ag.zip"
    zip_path.write_bytes(b"")
    for kwargs, name in [({"timeout": 0}, "timeout"), ({"cell_timeout": 1.5}, "cell_timeout"), ({"jobs": 0}, "jobs"),
                         ({"memory_gib": -1}, "memory_gib")]:
        with pytest.raises(ValueError, match=f"Received: {name}="):
            grade_submissions(zip_path, tmp_path, tmp_path / "out", **kwargs)
    with pytest.raises(FileNotFoundError, match="make assignments"):
        grade_submissions(tmp_path / "missing.zip", tmp_path, tmp_path / "out")


def test_cli_reports_bad_input_in_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "course_lib.grading", "--assignments-dir", str(REPO / "assignments"),
         "grade", "no-such-assignment", str(tmp_path), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "grade: error: No assignment matches 'no-such-assignment'" in proc.stderr


# ------------------------------------------------------------------ assignment 3: design rules


def _net(first_kernel=3, pool_after=2, widths=(8, 8, 16, 16), classifier="gmp", dense_on_maps=False):
    import keras

    layers = keras.layers
    inputs = keras.Input((32, 32, 3))
    x = inputs
    for i, width in enumerate(widths):
        if i == pool_after:
            x = layers.MaxPooling2D()(x)
        x = layers.Conv2D(width, first_kernel if i == 0 else 3, padding="same", activation="relu")(x)
        if dense_on_maps and i == 0:
            x = layers.Dense(8)(x)
    if classifier == "gmp":
        x = layers.GlobalMaxPooling2D()(x)
    else:
        x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def _failed(report):
    return sorted(r.rule for r in report if not r.passed)


def test_design_rules_accept_a_compliant_net():
    from course_lib.checks.design_rules import check_design

    net = _net(widths=(8, 8, 16, 16, 16, 16, 16, 16, 16, 16), pool_after=2)
    report = check_design(net)
    assert report.passed, str(report)
    assert "the first 2 convolution layers run at the full 32x32 resolution" in str(report)


def test_design_rules_reject_early_1x1_early_pooling_and_small_receptive_field():
    from course_lib.checks.design_rules import check_design

    assert _failed(check_design(_net(first_kernel=1))) == ["locality", "receptive field"]
    report = check_design(_net(pool_after=1, widths=(8, 8, 16, 16, 16, 16, 16, 16, 16, 16)))
    assert _failed(report) == ["no early pooling"]
    assert "max_pooling2d" in report.failed("no early pooling")[0].message
    assert _failed(check_design(_net(widths=(8, 8, 16, 16, 16, 16, 16, 16, 16, 16), dense_on_maps=True))) == ["locality"]


def test_design_rules_receptive_field_matches_the_arithmetic():
    from course_lib.analysis import receptive_fields
    from course_lib.checks.design_rules import check_design

    net = _net(widths=(8, 8, 16, 16))  # 3, 5, pool -> 6, 10, 14: below 32
    report = check_design(net)
    assert _failed(report) == ["receptive field"]
    rf = int(receptive_fields(net)["rf"].iloc[-3])
    assert rf == 14 and "14x14 receptive field" in report.failed("receptive field")[0].message


def test_design_rules_budget_counts_parameters_and_macs():
    import keras

    from course_lib.checks.design_rules import check_design

    net = _net(widths=(8, 8, 16, 16, 16, 16, 16, 16, 16, 16), classifier="flatten")
    report = check_design(net, max_params=net.count_params() - 1, max_macs=10**9)
    assert _failed(report) == ["parameters"]
    report = check_design(net, max_params=10**9, max_macs=1000)
    assert _failed(report) == ["compute"]

    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = Scale()(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    custom = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    compute = check_design(custom).failed("compute")
    assert compute and "cannot count" in compute[0].message


def test_design_rules_check_arguments():
    from course_lib.checks.design_rules import check_design

    with pytest.raises(ValueError, match="keras.Model"):
        check_design("not a model")
    with pytest.raises(ValueError, match="Received: max_params=-1"):
        check_design(_net(), max_params=-1)


# ------------------------------------------------------------------ assignment 3: fixed training


def test_fixed_training_checks_arguments():
    from course_lib.checks.fixed_training import fixed_training

    with pytest.raises(ValueError, match="keras.Model"):
        fixed_training(object())
    for kwargs, name in [({"epochs": 0}, "epochs"), ({"limit": 2.5}, "limit"), ({"learning_rate": 0}, "learning_rate")]:
        with pytest.raises(ValueError, match=f"Received: {name}="):
            fixed_training(_net(), **kwargs)


def _tiny_net():
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D(4)(x))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))  # learns fast


def test_fixed_training_trains_an_architecture_once_per_process(monkeypatch):
    """grader.check("q3") after the notebook's training cell reuses that cell's result: the same
    architecture (rebuilt, so Keras names its layers anew) and schedule train only once; another
    architecture or schedule trains again. (Grading runs in its own process: it trains afresh.)"""
    import subprocess

    from course_lib.checks import fixed_training as ft

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        out = Path(cmd[-1])
        out.write_text(json.dumps({"test_accuracy": 0.5 + len(calls) / 100, "test_loss": 1.0,
                                   "train_accuracy": 0.5, "params": 1, "seconds": 1.0}))
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(ft, "_RESULTS", {})
    monkeypatch.setattr(ft.subprocess, "run", fake_run)
    first = ft.fixed_training(_tiny_net())
    again = ft.fixed_training(_tiny_net())  # rebuilt: other auto-generated layer names
    assert len(calls) == 1 and again == first
    ft.fixed_training(_net())  # another architecture
    ft.fixed_training(_tiny_net(), epochs=1)  # another schedule
    assert len(calls) == 3


def _unrebuildable_net():
    import keras

    class Unregistered(keras.layers.Layer):
        def call(self, x):
            return x

    inputs = keras.Input((32, 32, 3))
    x = Unregistered()(keras.layers.Conv2D(4, 3)(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalMaxPooling2D()(x)))


def _on_one_core(job):
    """Run ``job`` with this thread (and the training process it starts) pinned to one core."""
    import os

    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})  # Linux: this thread only; children inherit it
    try:
        return job()
    finally:
        os.sched_setaffinity(0, before)


@pytest.fixture(scope="module")
def fixed_training_runs():
    """Four fixed trainings at once (each is its own process, so they load each other): the
    tiny net three times with a small schedule (same code path as grading, fewer images and
    epochs), once of them pinned to a single core (another thread count and speed than the
    others get), and a model whose custom layer the training process cannot rebuild. Values
    are results or exceptions."""
    import concurrent.futures

    from course_lib.checks.fixed_training import fixed_training

    net, broken = _tiny_net(), _unrebuildable_net()
    jobs = {
        "first": lambda: fixed_training(net, limit=512, epochs=2, batch_size=64),
        "second": lambda: fixed_training(net, limit=512, epochs=2, batch_size=64),
        "one_core": lambda: _on_one_core(lambda: fixed_training(net, limit=512, epochs=2, batch_size=64)),
        "broken": lambda: fixed_training(broken, limit=64, epochs=1),
    }

    def run(job):
        try:
            return job()
        except Exception as e:  # the test inspects it
            return e

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {"net": net, **{name: f.result() for name, f in futures.items()}}


@pytest.mark.slow
@pytest.mark.realdata
def test_fixed_training_is_deterministic_and_learns(fixed_training_runs):
    """Two runs of a small schedule give the same numbers, and better than chance (0.1)."""
    first, second, net = fixed_training_runs["first"], fixed_training_runs["second"], fixed_training_runs["net"]
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first.test_accuracy == second.test_accuracy and first.test_loss == second.test_loss
    assert first.train_accuracy == second.train_accuracy
    assert first.test_accuracy > 0.3 and first.params == net.count_params()
    assert first.schedule["limit"] == 512 and first.schedule["seed"] == 0


@pytest.mark.slow
@pytest.mark.realdata
def test_fixed_training_gives_the_same_score_on_one_core_under_load(fixed_training_runs):
    """The same design trained on one core (next to three other trainings) gives bit-identical
    numbers, so a design at any threshold scores the same whatever the machine's cores and load
    (the training fixes float32, its thread counts and oneDNN off)."""
    first, pinned = fixed_training_runs["first"], fixed_training_runs["one_core"]
    assert not isinstance(pinned, Exception), pinned
    assert (pinned.test_accuracy, pinned.test_loss) == (first.test_accuracy, first.test_loss)
    assert pinned.schedule["threads"] == 2


@pytest.mark.slow
@pytest.mark.realdata
def test_fixed_training_reports_a_model_it_cannot_rebuild(fixed_training_runs):
    error = fixed_training_runs["broken"]
    assert isinstance(error, RuntimeError) and "fixed training failed" in str(error), repr(error)
    assert "Unregistered" in str(error), "the message shows the training process's error"


@pytest.mark.parametrize("name", ["1-cnn-arithmetic", "2-custom-keras-layers", "3-design-under-budget"])
def test_public_tests_are_worth_at_least_half_of_every_question(name):
    """Students can check at least half of each question's points themselves with grader.check."""
    nb = json.loads(find_assignment(name, REPO / "assignments").master.read_text(encoding="utf-8"))
    public, total, question = {}, {}, None
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = re.search(r"# BEGIN QUESTION\nname: (\w+)\npoints: ([\d.]+)", src)
        if cell["cell_type"] == "raw" and match:
            question = match[1]
            total[question], public[question] = float(match[2]), 0.0
        elif "BEGIN TEST CONFIG" in src and "hidden: true" not in src:
            public[question] += float(re.search(r"points: ([\d.]+)", src)[1])
    assert total and all(public[q] >= total[q] / 2 for q in total), (public, total)
    assert sum(public.values()) >= sum(total.values()) / 2


@pytest.mark.parametrize("name", ["1-cnn-arithmetic", "2-custom-keras-layers", "3-design-under-budget"])
def test_master_intro_has_the_colab_badge_and_the_notebooks_that_prepare_for_it(name):
    from course_lib.grading.assignments import colab_badge, colab_url, student_repo_url

    spec = find_assignment(name, REPO / "assignments")
    intro = "".join(json.loads(spec.master.read_text(encoding="utf-8"))["cells"][1]["source"])
    assert colab_badge(spec) in intro
    assert colab_url(spec).endswith(f"/blob/main/assignments/{name}/student/{spec.name}.ipynb")
    assert student_repo_url().removeprefix("https://github.com/") in colab_url(spec)
    prepared = re.search(r"\*\*Prepared by:\*\*(.*?)\n\n", intro, re.S)
    assert prepared, "the intro names the notebooks that prepare for the assignment"
    named = re.findall(r"`(\d\d_\w+)`", prepared[1])
    assert named and all((REPO / "notebooks" / f"{n}.ipynb").is_file() for n in named), named
