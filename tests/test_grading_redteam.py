"""Red team: submissions that try to raise their score by changing the grading machinery.

Every attack below is one code cell added to assignment 1's student notebook with every answer
left empty (so any point it earns is stolen). Each must score 0 with status ``flagged`` and the
reason in ``summary.csv``, the feedback and the instructor record, while the reference solution
keeps full marks and honest partial work keeps its points.

The grader has two layers (see ``assignments/README.md``): a static scan of the notebook, which
flags these attacks before they run, and a clean re-run of the tests in a fresh process that
fingerprints the machinery and compares its scores with the kernel's. The slow tests grade the
batch twice: with the scan (flagged without running) and without it, which proves the second
layer catches every technique on its own.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import pytest

from course_lib.grading import build_assignment, grade_submissions, list_assignments
from course_lib.grading._judge import changed, fingerprint
from course_lib.grading.scan import scan_notebook, scan_source

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = REPO / "assignments"

# technique -> the cell a student adds (answers empty)
ATTACKS = {
    # 1. replace otter's test runner: every test file "passes" in the kernel
    "otter_runner": (
        "from otter.test_files import exception_test\n"
        "from otter.test_files.abstract_test import TestCaseResult\n"
        "def run(self, env):\n"
        "    self.test_case_results = [TestCaseResult(test_case=tc, message='ok', passed=True)\n"
        "                              for tc in self.test_cases]\n"
        "exception_test.ExceptionTestFile.run = run\n"
    ),
    # 2. the same, every module and attribute name spelled from string pieces
    "string_pieces": (
        "m = __import__('otter.test_files.exc' + 'eption_test', fromlist=['x'])\n"
        "r = __import__('otter.test_files.abstract' + '_test', fromlist=['x'])\n"
        "def run(self, env):\n"
        "    self.test_case_results = [getattr(r, 'TestCase' + 'Result')(test_case=tc, message='ok', passed=True)\n"
        "                              for tc in self.test_cases]\n"
        "setattr(getattr(m, 'Exception' + 'TestFile'), 'r' + 'un', run)\n"
    ),
    # 3. numpy comparisons that always agree
    "numpy_compare": (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.array_equal = lambda *a, **k: True\n"
    ),
    # 4. builtins: every |difference| is 0
    "builtins": "import builtins\nbuiltins.abs = lambda x: 0\n",
    # 5. course_lib's own code used by the tests: no time limits
    "course_lib_patch": (
        "import contextlib\nimport course_lib.grading as g\n"
        "g.time_limit = lambda *a, **k: contextlib.nullcontext()\n"
    ),
    # 6. the test files on disk: the grader's protected copy becomes "always pass"
    "test_files_on_disk": (
        "import glob, pathlib\n"
        "for path in glob.glob('../../protected_tests/*.py') + glob.glob('tests/*.py'):\n"
        "    text = pathlib.Path(path).read_text()\n"
        "    pathlib.Path(path).write_text(text.replace('    assert ', '    pass  # '))\n"
    ),
    # 7. the result objects: every recorded test case result says passed
    "result_objects": (
        "from otter.execute import Checker\n"
        "_get = Checker.get_results.__func__\n"
        "def get_results(cls):\n"
        "    files = _get(cls)\n"
        "    for f in files:\n"
        "        for r in f.test_case_results:\n"
        "            r.passed = True\n"
        "    return files\n"
        "Checker.get_results = classmethod(get_results)\n"
    ),
    # 8. sys.modules: `import numpy` inside a test returns a fake whose comparisons agree
    "sys_modules": (
        "import sys, numpy\n"
        "class Fake:\n"
        "    def __getattr__(self, name):\n"
        "        return getattr(numpy, name)\n"
        "    allclose = staticmethod(lambda *a, **k: True)\n"
        "    array_equal = staticmethod(lambda *a, **k: True)\n"
        "sys.modules['numpy'] = Fake()\n"
    ),
    # 9. exec indirection: the patch is a string the scan would have to evaluate
    "exec_indirection": (
        "exec('import numpy\\nnumpy.testing.assert_allclose = lambda *a, **k: None\\n'\n"
        "     'numpy.allclose = lambda *a, **k: True')\n"
    ),
    # 10. gc inspection: find the test functions in memory and empty their code
    "gc_frames": (
        "import gc\n"
        "def nothing(*args, **kwargs):\n"
        "    pass\n"
        "for obj in gc.get_objects():\n"
        "    if type(obj) is type(nothing) and obj.__name__.startswith('test_q'):\n"
        "        obj.__code__ = nothing.__code__\n"
    ),
}


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def _cell_index(nb: dict, needle: str) -> int:
    hits = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and needle in _source(c)]
    assert len(hits) == 1, needle
    return hits[0]


# ------------------------------------------------------------------ fast: the static scan


@pytest.mark.parametrize("technique", sorted(ATTACKS))
def test_static_scan_flags_every_technique(technique):
    findings = scan_source(ATTACKS[technique])
    if technique == "test_files_on_disk":
        # Writing files is not flagged by the scan: the protected copy and the clean re-run
        # make it worthless (checked end to end below).
        assert findings == []
    else:
        assert findings, f"{technique} passes the scan"


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np\nm = np\nm.allclose = print",  # alias of an import
        "from numpy import testing\ntesting.assert_allclose = print",
        "import numpy as np\nsetattr(np, 'allclose', print)",
        "import numpy as np\ndel np.allclose",
        "f = lambda: 0\nf.__globals__['x'] = 1",
        "import os\nos.system('true')",
        "import sys\nsys.settrace(None)",
        "import sys\nx = sys.modules.get('numpy')",
        "import signal\nsignal.alarm(0)",
        "eval('1')",
        "x = vars(object)",
        "from course_lib.grading.grade import _score",
        "from course_lib.grading import _judge",
        "import otter\notter.test_files = None",
        # an answer that returns an object equal to everything changes no machinery
        "class Any:\n    def __eq__(self, other):\n        return True\n"
        "def conv_output_size(*args):\n    return Any()",
        "class Any(float):\n    __eq__ = lambda self, other: True",
        "class Fake:\n    def __getattr__(self, name):\n        return 0",
    ],
)
def test_static_scan_flags_more_spellings(source):
    assert scan_source(source), source


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np\nx = np.zeros(3)\nx[0] = 1\n",
        "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.units = 3\n    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n",
        "import os, sys\nif 'google.colab' in sys.modules:\n    os.chdir('/content')\n",
        "!git clone -q x\n%pip install -q numpy\n",
        "x = getattr(np, 'float32')\nprint(type(x).__name__)",
        "from course_lib.checks import time_limit\nfrom course_lib.checks.design_rules import check_design\n",
        "import otter\ngrader = otter.Notebook('a.ipynb')\n",
    ],
)
def test_static_scan_accepts_honest_code(source):
    assert scan_source(source) == []


def _answer_and_release_cells():
    """Every code cell of the masters except their tests, and every student notebook."""
    for spec in list_assignments(ASSIGNMENTS):
        master = json.loads(spec.master.read_text(encoding="utf-8"))
        master["cells"] = [c for c in master["cells"] if "BEGIN TEST CONFIG" not in _source(c)]
        yield f"{spec.folder.name} master", master
        yield f"{spec.folder.name} student", json.loads(spec.student_notebook.read_text(encoding="utf-8"))


def _provided(spec) -> frozenset[str]:
    """What ``make assignments`` stores in the autograder zip: the student notebook's code."""
    nb = json.loads(spec.student_notebook.read_text(encoding="utf-8"))
    return frozenset(_source(c) for c in nb["cells"] if c["cell_type"] == "code")


def test_static_scan_passes_the_reference_solutions_and_the_release():
    provided = frozenset().union(*(_provided(spec) for spec in list_assignments(ASSIGNMENTS)))
    for label, nb in _answer_and_release_cells():
        assert [str(f) for f in scan_notebook(nb, provided)] == [], label


def test_static_scan_reports_a_changed_provided_cell_and_uses_of_what_it_imported():
    spec = list_assignments(ASSIGNMENTS)[0]
    provided = _provided(spec)
    nb = json.loads(spec.student_notebook.read_text(encoding="utf-8"))
    install = next(i for i, c in enumerate(nb["cells"]) if "subprocess" in _source(c))
    assert _source(nb["cells"][install]) in provided  # the kit's Colab install cell
    assert scan_notebook(nb, provided) == []  # as given: not reported
    assert scan_notebook(nb) != []  # it imports subprocess: reported when not provided
    changed_nb = copy.deepcopy(nb)
    changed_nb["cells"][install]["source"] = _source(nb["cells"][install]) + "\nimport gc\n"
    assert any("gc" in str(f) for f in scan_notebook(changed_nb, provided))
    later = copy.deepcopy(nb)  # a later cell uses the module the provided cell imported
    later["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": "subprocess.run(['true'])"})
    assert [f.cell for f in scan_notebook(later, provided)] == [len(later["cells"]) - 1]


def test_autograder_zip_carries_the_provided_cells():
    import zipfile

    from course_lib.grading.build import PROVIDED_CELLS

    for spec in list_assignments(ASSIGNMENTS):
        if not spec.autograder_zip.is_file():
            build_assignment(spec)
        with zipfile.ZipFile(spec.autograder_zip) as zf:
            assert frozenset(json.loads(zf.read(PROVIDED_CELLS))) == _provided(spec)


def test_fingerprint_sees_replaced_functions_modules_and_class_members():
    import sys

    import numpy

    import course_lib.grading

    before = fingerprint()
    saved = numpy.allclose, course_lib.checks.time_limit, sys.modules["numpy.linalg"]
    try:
        numpy.allclose = lambda *a, **k: True
        course_lib.checks.time_limit = None
        sys.modules["numpy.linalg"] = numpy
        assert set(changed(before, fingerprint())) >= {
            "numpy.allclose", "course_lib.checks.time_limit", "sys.modules['numpy.linalg']"}
    finally:
        numpy.allclose, course_lib.checks.time_limit, sys.modules["numpy.linalg"] = saved
    assert changed(before, fingerprint()) == []


# ------------------------------------------------------------------ slow: grade the attacks


@pytest.fixture(scope="module")
def a1_spec(tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam-assignments")
    spec = next(s for s in list_assignments(ASSIGNMENTS) if s.folder.name == "1-cnn-arithmetic")
    (root / spec.folder.name).mkdir()
    shutil.copy2(spec.master, root / spec.folder.name / spec.master.name)
    (built,) = list_assignments(root)
    build_assignment(built)
    return built


def _submissions(spec, folder: Path) -> Path:
    folder.mkdir()
    student = json.loads(spec.student_notebook.read_text(encoding="utf-8"))
    reference = json.loads(spec.solution_notebook.read_text(encoding="utf-8"))
    for name, source in ATTACKS.items():
        nb = copy.deepcopy(student)
        nb["cells"].insert(_cell_index(nb, "grader = otter.Notebook(") + 1, _code_cell(source))
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (folder / "reference.ipynb").write_text(json.dumps(reference), encoding="utf-8")
    # Honest partial work: q6's backward pass unfinished (3.5 of q6's 5 points depend on it).
    partial = copy.deepcopy(reference)
    i = _cell_index(partial, "def max_pool_backward(")
    partial["cells"].insert(i + 1, _code_cell(
        "def max_pool_backward(dout, cache):\n    raise NotImplementedError('not done yet')"))
    (folder / "partial.ipynb").write_text(json.dumps(partial), encoding="utf-8")
    return folder


def _grade(spec, tmp: Path, static_scan: bool):
    subs = _submissions(spec, tmp / "subs")
    grades = grade_submissions(spec.autograder_zip, subs, tmp / "out", timeout=600, cell_timeout=30,
                               jobs=2, static_scan=static_scan)
    with open(tmp / "out" / "summary.csv", newline="", encoding="utf-8") as f:
        summary = {row["student"]: row for row in csv.DictReader(f)}
    return {g.student: g for g in grades}, summary, tmp / "out"


@pytest.fixture(scope="module")
def with_scan(a1_spec, tmp_path_factory):
    return _grade(a1_spec, tmp_path_factory.mktemp("with-scan"), True)


@pytest.fixture(scope="module")
def without_scan(a1_spec, tmp_path_factory):
    return _grade(a1_spec, tmp_path_factory.mktemp("without-scan"), False)


def _check_caught(graded, technique):
    grades, summary, out = graded
    g = grades[technique]
    row = summary[technique]
    assert (g.total, g.status) == (0, "flagged"), (technique, g.total, g.status, g.message)
    assert row["status"] == "flagged" and row["points"] == "0" and "flagged" in row["message"], row
    assert "Flagged" in (out / "feedback" / f"{technique}.md").read_text(encoding="utf-8")
    assert json.loads((out / "results" / f"{technique}.json").read_text())["flags"]
    return g


def _table(grades, label):
    lines = [f"\nred team ({label}): technique | points | status | seconds | reason"]
    for name, g in sorted(grades.items()):
        lines.append(f"  {name} | {g.total:g}/{g.total_possible:g} | {g.status} | {g.seconds:.1f} | "
                     f"{g.message[:110]}")
    print("\n".join(lines))


@pytest.mark.slow
@pytest.mark.parametrize("technique", sorted(ATTACKS))
def test_attack_is_caught_by_the_clean_rerun_alone(without_scan, technique):
    _check_caught(without_scan, technique)


@pytest.mark.slow
@pytest.mark.parametrize("technique", sorted(ATTACKS))
def test_attack_is_caught(with_scan, technique):
    g = _check_caught(with_scan, technique)
    if technique != "test_files_on_disk":
        assert "static scan" in g.message


@pytest.mark.slow
@pytest.mark.parametrize("graded", ["with_scan", "without_scan"])
def test_reference_full_marks_and_honest_partial_work_unchanged(graded, request):
    grades, _, _ = request.getfixturevalue(graded)
    _table(grades, graded)
    assert (grades["reference"].total, grades["reference"].status) == (30, "ok"), grades["reference"].message
    partial = grades["partial"]
    assert partial.status == "ok" and partial.points["q6"] == 1.5 and partial.total == 30 - 3.5, partial.message
