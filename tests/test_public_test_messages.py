"""Failing public tests say what was checked, what was expected and what came back.

Students read public tests' failures after ``grader.check("qN")``. This file checks

* statically, that every ``assert`` in every public test (in the masters and in the committed
  ``student/tests``) carries a message and every ``raise AssertionError`` one too: a bare
  ``assert`` added later fails here;
* :mod:`course_lib.checks.expect`, the helpers the public tests use for arrays (shapes,
  dtypes, CS231n's ``rel_error``), against an independent formula and with junk answers;
* end to end, that deliberately wrong answers run through otter's ``Notebook.check`` (what
  ``grader.check`` does in the student's notebook) on the committed public tests fail with
  messages that hold the expected and the obtained values: every question of assignment 1,
  LRN of assignment 2 and a design of assignment 3 that breaks its rules (no training).
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from course_lib.checks.expect import describe, expect_close, expect_rel_error, expect_shape, rel_error

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = REPO / "assignments"
NAMES = ["1-cnn-arithmetic", "2-custom-keras-layers", "3-design-under-budget"]


# ------------------------------------------------------------------ static: every assert has a message


def message_less_asserts(source: str, where: str) -> list[str]:
    """``where:line: code`` for each ``assert`` without a message and each ``raise
    AssertionError`` without arguments in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        bare = isinstance(node, ast.Assert) and node.msg is None
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc
            bare = (isinstance(exc, ast.Name) and exc.id == "AssertionError") or (
                isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name)
                and exc.func.id == "AssertionError" and not exc.args)
        if bare:
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)[:120]}")
    return found


def _public_test_cells(name: str) -> list[tuple[int, str]]:
    nb = json.loads((ASSIGNMENTS / name / f"{name.split('-', 1)[1]}.ipynb").read_text(encoding="utf-8"))
    cells = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "# BEGIN TEST CONFIG" in src:
            config = src.split("# END TEST CONFIG", 1)[0]
            if not re.search(r"^hidden:\s*true", config, re.M):
                cells.append((i, src))
    return cells


def test_the_scan_finds_message_less_asserts():
    source = textwrap.dedent("""
        def test_x(f):
            assert f(1) == 2
            assert f(2) == 3, "f(2): expected 3"
            raise AssertionError
            raise AssertionError()
            raise AssertionError("f: expected a ValueError")
    """)
    found = message_less_asserts(source, "t")
    assert [line.split(":", 2)[1] for line in found] == ["3", "5", "6"], found


@pytest.mark.parametrize("name", NAMES)
def test_every_public_test_assert_has_a_message(name):
    cells = _public_test_cells(name)
    files = sorted((ASSIGNMENTS / name / "student" / "tests").glob("q*.py"))
    assert len(cells) >= 3 and files, (name, len(cells), files)
    found = []
    for i, src in cells:
        found += message_less_asserts(src, f"{name} master cell {i}")
    for path in files:
        found += message_less_asserts(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    assert not found, (
        "public tests must say what was checked, what was expected and what came back; "
        "give these asserts a message (or use course_lib.checks.expect):\n" + "\n".join(found))


# ------------------------------------------------------------------ course_lib.checks.expect


def test_rel_error_is_cs231ns_formula():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    want = max(abs(x - y) / max(1e-8, abs(x) + abs(y)) for x, y in zip(a.ravel(), b.ravel()))
    assert rel_error(a, b) == pytest.approx(want, rel=1e-12)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([0.0, 0.0], [0.0, 1e-9]) == pytest.approx(0.1)


def test_expect_close_reports_shapes_dtypes_rel_error_and_both_arrays():
    want = np.array([[4.5, 6.5], [6.5, 9.5]])
    with pytest.raises(AssertionError) as info:
        expect_close("conv output", np.full((2, 2), 0.5, np.float32), want)
    text = str(info.value)
    assert text.startswith("conv output: values differ, rel_error 9.00e-01 (max abs difference 9, allowed 1e-08 + "
                           "1e-05 * |expected|); at index (1, 1): expected 9.5, got 0.5\n")
    assert "expected (2, 2) float64: [[4.5 6.5]\n [6.5 9.5]]" in text
    assert "got      (2, 2) float32: [[0.5 0.5]\n [0.5 0.5]]" in text
    with pytest.raises(AssertionError, match=r"^dx: expected shape \(2, 2\), got shape \(4,\), dtype int64$"):
        expect_close("dx", np.arange(4), want)
    with pytest.raises(AssertionError, match=r"^dx: expected shape \(2, 2\), got None \(NoneType\)$"):
        expect_close("dx", None, want)
    with pytest.raises(AssertionError, match=r"exact equality\); at index \(1,\): expected 2, got nan; not finite: 1 of 2 values"):
        expect_close("maxima", [1.0, np.nan], [1.0, 2.0], rtol=0, atol=0)
    with pytest.raises(AssertionError, match=r"at index \(0, 2\): expected 7, got 0\n"
                                             r"expected \(2, 10\) int64: first values \[0, 1, 7, 3, 4, 5, \.\.\.\]\n"
                                             r"got      \(2, 10\) int64: first values \[0, 1, 0, 3, 4, 5, \.\.\.\]$"):
        big = np.arange(20).reshape(2, 10)
        expect_close("big", np.where(big == 2, 0, big), np.where(big == 2, 7, big))
    expect_close("same", [1.0, 2.0 + 1e-9], [1.0, 2.0])  # passes
    assert expect_shape("cols", [[1, 2]], (1, 2)).shape == (1, 2)


def test_expect_rel_error_and_describe():
    with pytest.raises(AssertionError, match=r"^db: rel_error 1\.00e\+00, expected below 1e-07\nexpected \(3,\) float64"):
        expect_rel_error("db", np.zeros(3), np.ones(3), below=1e-7)
    with pytest.raises(AssertionError, match=r"rel_error nan"):
        expect_rel_error("db", [np.nan, 1, 1], np.ones(3), below=1e-7)
    assert expect_rel_error("db", np.ones(3), np.ones(3), below=1e-7) == 0.0
    assert describe(54) == "54 (int)" and describe([1, 2]) == "(2,) int64: [1 2]"
    assert "..." in describe("x" * 1000) and len(describe(np.zeros((100, 100)))) < 400


# ------------------------------------------------------------------ end to end: wrong answers through grader.check


def _check(name: str, question: str, env: dict, tmp_path, monkeypatch):
    """otter's ``Notebook.check`` (``grader.check`` in the notebook) on the committed public test."""
    import otter

    monkeypatch.chdir(tmp_path)  # otter writes its log into the working folder
    grader = otter.Notebook(tests_dir=str(ASSIGNMENTS / name / "student" / "tests"))
    result = grader.check(question, env)
    failed = {r.test_case.name: r.message for r in result.test_case_results if not r.passed}
    return result, failed


def _assert_expected_and_got(failed: dict, summary: str) -> str:
    """Every failure names what was expected and what came back, and the summary that
    ``grader.check`` shows holds it; returns the failures' messages, joined."""
    assert failed, "the wrong answer must fail at least one public test"
    for test, message in failed.items():
        # otter's message: "Error at line N in test qN:", the test's line, then "AssertionError: <the message>"
        error = re.search(r"^AssertionError: (.*)\Z", message, re.M | re.S)
        assert error, (test, message)
        assert re.search(r"\bexpected\b", error[1], re.I) and re.search(r"\bgot\b", error[1], re.I), (test, message)
        assert all(line.strip() in summary for line in message.splitlines()), (message, summary)
    return "\n".join(failed.values())


WRONG_A1 = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv_output_size(W, F, S, P):
    return (W - F + 2 * P) // S              # forgets + 1

def conv_params(F, C, K):
    return F * F * C * K                     # forgets the biases

def rel_error(a, b):
    with np.errstate(invalid="ignore"):
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))   # no 1e-8 floor: 0/0

def numerical_gradient(f, x, df, h=1e-5):
    return np.zeros_like(x)

def gradient_check_verdict(err):
    return "good"

def conv_forward_naive(x, w, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    win = sliding_window_view(xp, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nhwcij,ijck->nhwk", win, w), (x, w, b, stride, pad)   # forgets the bias

def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)

def im2col(x, F, S):
    win = sliding_window_view(x, (F, F), axis=(1, 2))[:, ::S, ::S]      # (N, Ho, Wo, C, F, F)
    return win.reshape(-1, win.shape[3] * F * F).T                      # (channel, row, column) order

def conv_forward_im2col(x, w, b, stride=1, pad=0):
    return conv_forward_naive(x, w, b, stride, pad)[0]

def max_pool_forward(x, F, S):
    win = sliding_window_view(x, (F, F), axis=(1, 2))[:, ::S, ::S]
    return win.mean(axis=(-2, -1)), (x, F, S)                           # average, not max

def max_pool_backward(dout, cache):
    return np.zeros_like(cache[0])

def receptive_field(layers):
    return sum(k for k, s in layers)          # adds kernel sizes

def stack_vs_single_params(C):
    return 27 * C, 49 * C                     # forgets that each filter has C inputs

SCORE_MAP_SIDE_384 = 12
'''

#: question -> what its public tests' failures must show (expected and obtained values).
A1_SHOWS = {
    "q1": ["expected 55, got 54", "expected the int 5, got 4"],
    "q2": ["expected 0.0, got nan"],
    "q3": ["rel_error 5.88e-02", "expected (3, 3) float64: [[4.5 6.5 4.5]", "got      (3, 3) float64: [[4. 6. 4.]",
           "expected a ValueError, got output of shape (1, 3, 3, 1)"],
    "q4": ["conv_forward_naive(x (1, 4, 4, 2), w (3, 3, 2, 3), b, 1, 1), the forward pass checked here: values differ",
           "dx for x (2, 7, 7, 3), w (3, 3, 3, 4), stride 2, pad 1: values differ, rel_error 1.00e+00"],
    "q5": ["expected (8,) float64: [0. 1. 2. 3. 4. 5. 6. 7.]", "got      (8,) float64: [0. 2. 4. 6. 1. 3. 5. 7.]",
           "conv_forward_im2col with x (2, 5, 5, 3), w (3, 3, 3, 4), stride 1, pad 1: values differ, rel_error"],
    "q6": ["expected (2, 2) int64: [[4 5]\n [9 3]]", "got      (2, 2) float64: [[2.5  1.75]",
           "max_pool_forward with x (2, 6, 6, 3), pool 2, stride 2: values differ"],
    "q7": ["expected 7, got 9", "expected (110592, 200704), got (1728, 3136)"],
}


@pytest.mark.parametrize("question", sorted(A1_SHOWS))
def test_a1_wrong_answers_fail_with_expected_and_got(question, tmp_path, monkeypatch):
    env = {"__name__": "__main__"}
    exec(compile(WRONG_A1, "<wrong answers>", "exec"), env)  # noqa: S102 - the test's own code
    result, failed = _check("1-cnn-arithmetic", question, env, tmp_path, monkeypatch)
    summary = repr(result)
    assert len(failed) == len(result.test_case_results), f"every public test of {question} must fail:\n{summary}"
    messages = _assert_expected_and_got(failed, summary)
    for text in A1_SHOWS[question]:
        assert text in messages, f"{text!r} not in:\n{messages}"


WRONG_LRN = '''
import keras

class LRN(keras.layers.Layer):
    """Forgets the normalisation: returns its input."""

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="sum", **kwargs):
        super().__init__(**kwargs)

    def call(self, x):
        return x
'''


def test_a2_wrong_lrn_fails_with_rel_error_expected_and_got(tmp_path, monkeypatch):
    env = {"__name__": "__main__"}
    exec(compile(WRONG_LRN, "<wrong LRN>", "exec"), env)  # noqa: S102
    result, failed = _check("2-custom-keras-layers", "q1", env, tmp_path, monkeypatch)
    summary = repr(result)
    assert len(failed) == 2, summary
    messages = _assert_expected_and_got(failed, summary)
    for text in ["LRN() output (size 5, alpha 1e-4, beta 0.75, k 2, sum) on x of shape (2, 4, 4, 8), same shape as x",
                 "values differ, rel_error", "expected (2, 4, 4, 8) float32:", "got      (2, 4, 4, 8) float32:",
                 "LRN({'size': 5, 'alpha': 0.0001, 'beta': 0.75, 'k': 2.0, 'alpha_mode': 'sum'}) on x of shape (2, 3, 5, 6)"]:
        assert text in messages, f"{text!r} not in:\n{messages}"


WRONG_DESIGN = '''
import keras

def build_model():
    """A 1x1 convolution first, no spatial convolution, five classes instead of ten."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 1, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))
'''


@pytest.mark.parametrize("question, shows", [
    ("q1", ["model.output_shape: expected (None, 10), got (None, 5)"]),
    ("q2", ["locality rule: expected no 1x1 convolution among the first 3 convolution layers, got 1x1 convolution",
            "receptive field rule: expected a last feature map whose receptive field covers the 32x32 input, got"]),
])
def test_a3_wrong_design_fails_with_expected_and_got(question, shows, tmp_path, monkeypatch):
    env = {"__name__": "__main__"}
    exec(compile(WRONG_DESIGN, "<wrong design>", "exec"), env)  # noqa: S102
    result, failed = _check("3-design-under-budget", question, env, tmp_path, monkeypatch)
    summary = repr(result)
    messages = _assert_expected_and_got(failed, summary)
    for text in shows:
        assert text in messages, f"{text!r} not in:\n{messages}"
