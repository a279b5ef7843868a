"""Red team: submissions that try to score more than their code earns (see tests/redteam.py).

Assignment 1's student notebook with every answer empty gets each technique appended. Every
technique must steal with the defences off (graded in the student's own process as the old
grader did, or by ``grade --no-sandbox``), and steal nothing in the sandbox: its honest points,
the batch finished, every control (reference 30, untouched 0, honest partial work 26.5, each
honest twin) unchanged. Slow: about a minute on the shared 2-core machine.
"""

from __future__ import annotations

import copy
import csv
import json
import time
from pathlib import Path

import psutil
import pytest
import redteam

from course_lib.grading import grade_submissions

pytestmark = pytest.mark.slow

A1 = "1-cnn-arithmetic"


def _nb(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _controls(spec) -> dict[str, dict]:
    reference = _nb(spec.solution_notebook)
    partial = redteam.with_cells(reference, "def max_pool_backward(dout, cache):\n    raise NotImplementedError('later')")
    return {"reference": reference, "untouched": _nb(spec.student_notebook), "partial": partial}


def _paths(spec, tmp: Path) -> dict:
    return {"zip": spec.autograder_zip, "master": spec.master, "subs": tmp / "subs", "out": tmp / "out"}


def _summary(out: Path) -> dict[str, dict]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def sandboxed(built, bwrap, tmp_path_factory):
    """Every technique, its honest twin and the controls, graded in one sandboxed batch."""
    spec, tmp = built[A1], tmp_path_factory.mktemp("sandboxed")
    honest = redteam.write_batch(redteam.A1, _nb(spec.student_notebook), _controls(spec), tmp / "subs",
                                 _paths(spec, tmp), ("kernel", "rerun", "nosandbox", "sandbox_only"))
    start = time.perf_counter()
    grades = grade_submissions(spec.autograder_zip, tmp / "subs", tmp / "out", timeout=300, cell_timeout=30,
                               jobs=2, memory_gib=2)
    wall = time.perf_counter() - start
    time.sleep(2)  # a process left behind would now rewrite the summary
    return {"grades": {g.student: g for g in grades}, "honest": honest, "out": tmp / "out", "wall": wall,
            "summary": _summary(tmp / "out")}


@pytest.fixture(scope="module")
def in_process(built, tmp_path_factory):
    spec, tmp = built[A1], tmp_path_factory.mktemp("in-process")
    (tmp / "subs").mkdir()
    (tmp / "subs" / "reference.ipynb").write_text(spec.solution_notebook.read_text())
    return redteam.in_process_scores(redteam.A1, _nb(spec.student_notebook), spec.autograder_zip, tmp / "k",
                                     _paths(spec, tmp))


@pytest.fixture(scope="module")
def unsandboxed(built, tmp_path_factory):
    """Each ``nosandbox`` technique graded by ``grade --no-sandbox`` beside the controls."""
    spec, out = built[A1], {}
    for name, attack in redteam.A1.items():
        if attack.mode != "nosandbox":
            continue
        tmp = tmp_path_factory.mktemp(name)
        controls = {k: v for k, v in _controls(spec).items() if k != "partial"}
        redteam.write_batch({name: attack}, _nb(spec.student_notebook), controls, tmp / "subs",
                            _paths(spec, tmp), ("nosandbox",))
        try:
            with pytest.warns(UserWarning, match="no-sandbox"):
                grade_submissions(spec.autograder_zip, tmp / "subs", tmp / "out", timeout=120, cell_timeout=30,
                                  jobs=2, sandbox=False)
            error = None
        except Exception as e:  # noqa: BLE001 - what the technique did to the batch
            error = e
        deadline = time.time() + 15
        while error is None and time.time() < deadline and _summary(tmp / "out")[name]["points"] == "0":
            time.sleep(0.5)
        out[name] = {"error": error, "summary": _summary(tmp / "out") if error is None else None}
    return out


def _table(sandboxed, in_process) -> str:
    lines = ["technique | class | defences off | sandboxed | honest | status | stopped by"]
    for name, attack in redteam.A1.items():
        g, honest = sandboxed["grades"][name], sandboxed["grades"][sandboxed["honest"][name]].total
        off = {"nosandbox": "see --no-sandbox", "sandbox_only": "not run"}.get(attack.mode, in_process.get(name))
        lines.append(f"{name} | {attack.cls} | {off} | {g.total:g} | {honest:g} | {g.status} | {_layer(attack)}")
    return "\n".join(lines)


def _layer(attack) -> str:
    return {"stack/machinery": "process boundary", "stack walking": "process boundary",
            "trace/profile hooks": "process boundary", "objects claiming equality": "plain-data channel",
            "reading tests or the zip": "sandbox file view", "other submissions": "sandbox file view",
            "/proc": "sandbox PID namespace", "start-up code": "read-only env, judge never runs it",
            "test files": "tests only in the judge", "processes left behind": "PID namespace, die-with-parent",
            "output paths": "outputs only written by the judge", "floods": "rlimits, capped log"}[attack.cls]


@pytest.mark.parametrize("name", [n for n, a in redteam.A1.items() if a.mode in ("kernel", "rerun")])
def test_technique_steals_with_the_defences_off(in_process, sandboxed, name):
    honest = sandboxed["grades"][sandboxed["honest"][name]].total
    assert in_process[name] > honest, f"{name} cannot steal even in the student's process: replace it"


def test_process_left_behind_rewrites_the_summary_without_the_sandbox(unsandboxed):
    run = unsandboxed["process_left_behind"]
    assert run["error"] is None and run["summary"]["process_left_behind"]["points"] == "30", run


def test_output_sabotage_costs_the_batch_its_results_without_the_sandbox(unsandboxed):
    assert unsandboxed["output_sabotage"]["error"] is not None


@pytest.mark.parametrize("name", sorted(redteam.A1))
def test_technique_steals_nothing_in_the_sandbox(sandboxed, name):
    g = sandboxed["grades"][name]
    honest = sandboxed["grades"][sandboxed["honest"][name]].total
    assert g.total in (0, honest), (name, g.total, honest, g.message)
    assert sandboxed["summary"][name]["points"] == f"{g.total:g}", "the summary was rewritten"


def test_controls_keep_their_scores_and_the_batch_finishes(sandboxed, in_process):
    grades = sandboxed["grades"]
    print(f"\nred team, assignment 1: {len(grades)} submissions in {sandboxed['wall']:.0f} s (2 jobs)\n"
          + _table(sandboxed, in_process))
    assert (grades["reference"].total, grades["reference"].status) == (30, "ok"), grades["reference"].feedback
    assert (grades["untouched"].total, grades["untouched"].status) == (0, "ok")
    assert grades["partial"].points["q6"] == 1.5 and grades["partial"].total == 26.5
    for name, row in sandboxed["summary"].items():
        assert row["points"] == f"{grades[name].total:g}"


def test_floods_are_stopped_and_nothing_survives(sandboxed):
    log = sandboxed["out"] / "logs" / "output_flood.log"
    assert log.stat().st_size <= 70_000, "the log is capped"
    for name in ("output_flood", "disk_flood", "process_flood", "memory_flood"):
        assert sandboxed["grades"][name].status in ("ok", "error"), sandboxed["grades"][name].message
    left = [p.info for p in psutil.process_iter(["cmdline"]) if (p.info["cmdline"] or [])[:2] == ["sleep", "300"]]
    assert not left, f"processes of the sandboxed batch survived it: {left}"


# ------------------------------------------------------------------ assignments 2 and 3

BATCHES = {"2-custom-keras-layers": ("a2_batch", redteam.A2), "3-design-under-budget": ("a3_batch", redteam.A3)}
CASES = [(a, n) for a, (_, attacks) in BATCHES.items() for n in attacks]


@pytest.fixture(scope="module")
def in_process_23(built, request, tmp_path_factory):
    """The techniques of assignments 2 and 3 graded the old way, computed once per assignment."""
    cache = {}

    def scores(assignment):
        if assignment not in cache:
            fixture, attacks = BATCHES[assignment]
            batch = request.getfixturevalue(fixture)
            spec = built[assignment]
            cache[assignment] = redteam.in_process_scores(
                attacks, _nb(spec.student_notebook), spec.autograder_zip,
                tmp_path_factory.mktemp(f"in-process-{assignment}"), batch["paths"], timeout=600)
        return cache[assignment]

    return scores


@pytest.mark.parametrize("assignment, name", CASES)
def test_a2_a3_technique_steals_with_the_defences_off(in_process_23, request, assignment, name):
    batch = request.getfixturevalue(BATCHES[assignment][0])
    honest = batch["grades"][batch["honest"][name]].total
    stolen = in_process_23(assignment)[name]
    print(f"\n{assignment} {name}: defences off {stolen:g}, sandboxed {batch['grades'][name].total:g}, "
          f"honest {honest:g}, status {batch['grades'][name].status}")
    assert stolen > honest, f"{name} cannot steal even in the student's process: replace it"


@pytest.mark.parametrize("assignment, name", CASES)
def test_a2_a3_technique_steals_nothing_in_the_sandbox(request, assignment, name):
    batch = request.getfixturevalue(BATCHES[assignment][0])
    g, honest = batch["grades"][name], batch["grades"][batch["honest"][name]].total
    assert g.total in (0, honest), (name, g.total, honest, g.feedback)
    assert batch["summary"][name]["points"] == f"{g.total:g}"
