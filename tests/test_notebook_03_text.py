"""Notebook 03: the numbers its markdown states are the ones the library computes.

The exercise "How to compare two models" (section 5) gives worked numbers in its answer, and
the text states a few facts about the budgets and the verdict rule; each is checked here, so
the text cannot drift from the code. Cheap: no training, no notebook execution.
"""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import analysis
from course_lib.train import get_experiment

SRC = Path(__file__).resolve().parents[1] / "notebooks" / "src" / "03_receptive_fields_and_classic_nets.py"

PLAIN20 = [12.67, 12.96, 12.81]
PLAIN32 = [15.45, 15.90, 15.62]
SHIFT = 2.4


@pytest.fixture(scope="module")
def text():
    # the markdown as one string, comment markers and line breaks removed
    lines = [line[2:] if line.startswith("# ") else line.lstrip("#")
             for line in SRC.read_text(encoding="utf-8").splitlines()]
    return re.sub(r"\s+", " ", " ".join(lines))


def _interval(v):
    return f"[{v.ci_low:.2f}, {v.ci_high:.2f}]"


def test_exercise_inputs_are_the_ones_stated(text):
    assert "Plain-20 ended at 12.67, 12.96 and 12.81% test error" in text
    assert "Plain-32 at 15.45, 15.90 and 15.62%" in text
    shifted = ", ".join(f"{e + SHIFT:.2f}" for e in PLAIN20[:2]) + f" and {PLAIN20[2] + SHIFT:.2f}"
    assert f"move Plain-20 up by {SHIFT} points" in text
    assert f"({shifted.replace(' and ', ', ')})" in text


def test_exercise_answer_a_matches_compare_models(text):
    v = analysis.compare_models(PLAIN32, PLAIN20, "B < A", n_test=10_000,
                                name_a="Plain-32", name_b="Plain-20")
    assert v.word == "supports"
    seed_part = np.var(PLAIN20, ddof=1) / 3 + np.var(PLAIN32, ddof=1) / 3
    p20, p32 = np.mean(PLAIN20), np.mean(PLAIN32)
    test_part = (p20 * (100 - p20) + p32 * (100 - p32)) / 10_000
    assert math.isclose(v.se_seeds ** 2, seed_part, rel_tol=1e-9)
    assert math.isclose(v.se_test_set ** 2, test_part, rel_tol=1e-9)
    assert f"Means {p20:.3f} and {p32:.3f}, so `d = {v.difference:.2f}` points" in text
    assert (f"variances {np.var(PLAIN20, ddof=1):.4f} and {np.var(PLAIN32, ddof=1):.4f}"
            in text)
    assert f"= {seed_part:.4f}`" in text
    assert f"= {p20 * (100 - p20) / 10_000:.3f} + {p32 * (100 - p32) / 10_000:.3f} = {test_part:.3f}`" in text
    assert f"together {seed_part + test_part:.3f}, a standard error of {v.se:.3f} points" in text
    assert 350 < v.df < 450, v.df  # "near 400"
    t = analysis.t_quantile(0.975, v.df)
    assert f"`t = {t:.2f}`" in text
    assert f"`{v.difference:.2f} ± {t * v.se:.2f} = {_interval(v)}`" in text
    assert "the verdict is **supports**" in text


def test_exercise_answer_b_matches_compare_models(text):
    v = analysis.compare_models(PLAIN32, [e + SHIFT for e in PLAIN20], "B < A", n_test=10_000)
    assert v.word == "inconclusive"
    assert f"(b) `d = {v.difference:.2f}`, the same half-width gives `{_interval(v)}`" in text
    assert "**inconclusive** — a 0.44-point gap" in text and f"{-v.difference:.2f}" == "0.44"


def test_exercise_answer_c_matches_compare_models(text):
    v = analysis.compare_models(PLAIN32[:2], PLAIN20[:2], "B < A", n_test=10_000)
    assert v.word == "inconclusive (too few seeds)"
    assert "(c) **inconclusive (too few seeds)**" in text


def test_two_seed_rule_rate_stated_in_the_summary(text):
    # the summary says equal models have non-overlapping ranges "about one time in three"
    assert "about one time in three" in text
    rate = analysis.simulate_equal_models(seeds=2, draws=2_000)["old rule"]
    assert 0.27 < rate < 0.40, rate


def test_binomial_standard_error_stated(text):
    # "at 13% error on the 10,000 images ... about ±0.3 points"
    assert "at 13% error on the 10,000 images" in text and "about ±0.3 points" in text
    assert round(100 * math.sqrt(0.13 * 0.87 / 10_000), 1) == 0.3


def test_full_budget_claims(text):
    # exercise 4's answer: at `full` one seed per net, so every verdict is "too few seeds"
    assert "At `full` (one seed per net)" in text
    exp = get_experiment("resnet-degradation")
    assert len(exp.seeds("full")) == 1
    assert all(label in exp.default_models("full") for label in ("Plain-20", "Plain-32"))


def test_quick_gives_plain_pair_enough_seeds_for_a_verdict(text):
    # exercise 4's answer: at quick the verdict on Plain-20 < Plain-32 can read "supports"
    assert "whenever each net has at least three seeds" in text
    exp = get_experiment("resnet-degradation")
    assert {"Plain-20", "Plain-32"} <= set(exp.default_models("quick"))
    assert len(exp.seeds("quick")) >= analysis.verdict.MIN_SEEDS
