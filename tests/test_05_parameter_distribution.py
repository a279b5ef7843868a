"""Notebook 05: the numbers its answers quote are those of the built models.

Exercise 4 asks how much the FC layer moves each network's high-layer fraction. Its answer
quotes numbers; this test computes them from the widths of the kit's table
(``course_lib/tables/seed000_param_distribution.csv``) and fails when the answer drifts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "src" / "05_parameter_distribution.py"
TABLE = ROOT / "course_lib" / "tables" / "seed000_param_distribution.csv"


@pytest.fixture(scope="module")
def fractions() -> pd.DataFrame:
    from course_lib.models.param_distribution import param_groups, param_net

    table = pd.read_csv(TABLE).drop_duplicates("model")
    rows = []
    for classes in (10, 100):
        for _, r in table.iterrows():
            widths = [int(w) for w in r["widths"].split("-")]
            groups = param_groups(param_net(widths, recurrent=r["family"] == "RCNN",
                                            num_classes=classes))
            fc = (widths[-1] + 1) * classes
            rows.append({
                "model": r["model"], "group": f"{r['family']}-{r['variant']}",
                "classes": classes, "fc": fc,
                "with": 100 * groups["high"] / groups["total"],
                "without": 100 * (groups["high"] - fc) / (groups["total"] - fc),
            })
    frame = pd.DataFrame(rows)
    frame["drop"] = frame["with"] - frame["without"]
    return frame


@pytest.fixture(scope="module")
def answer() -> str:
    text = SOURCE.read_text(encoding="utf-8")
    start = text.index("# 4. No. The FC has")
    return " ".join(line.lstrip("# ").strip() for line in text[start:].splitlines()[:12])


def test_exercise4_answer_quotes_the_largest_drop(fractions, answer):
    at100 = fractions[fractions["classes"] == 100].set_index("model")
    at10 = fractions[fractions["classes"] == 10].set_index("model")
    largest = at100["drop"].idxmax()
    assert largest == "CNN-A1"
    assert f"at most {at100['drop'].max():.2f} points at 100 classes" in answer
    assert f"at most {at10['drop'].max():.2f} points at 10 classes" in answer
    row = at100.loc[largest]
    assert f"{row['with']:.2f}% → {row['without']:.2f}%" in answer
    assert f"CNN-A3 drops {at100.loc['CNN-A3', 'drop']:.2f}" in answer


def test_exercise4_answer_quotes_the_fc_sizes(fractions, answer):
    for classes in (10, 100):
        fc = fractions.loc[fractions["classes"] == classes, "fc"]
        assert f"{fc.min():,}–{fc.max():,} at {classes}" in answer.replace("at 10 classes", "at 10")


def test_exercise4_ordering_within_groups_unchanged(fractions, answer):
    smallest_gap = None
    for (_, _), g in fractions.groupby(["classes", "group"]):
        g = g.sort_values("model")  # X1, X2, X3
        assert g["with"].is_monotonic_increasing and g["without"].is_monotonic_increasing
        gap = g["without"].diff().dropna().min()
        smallest_gap = gap if smallest_gap is None else min(smallest_gap, gap)
    assert f"{smallest_gap:.2f} points apart or more" in answer
    assert smallest_gap > 20 * fractions["drop"].max()
    cnn_a = fractions[(fractions["classes"] == 100) & (fractions["group"] == "CNN-A")]
    assert ("CNN-A: " + ", ".join(f"{v:.2f}%" for v in cnn_a["without"])) in answer


def test_no_typed_run_counts_in_budget_text():
    """The budget paragraph must not type the runs (they come from the experiment)."""
    text = SOURCE.read_text(encoding="utf-8")
    for stale in ("two seeds each", "about 10 minutes", "falls monotonically",
                  "(two at `quick`)", "x0.25 at both"):
        assert stale not in text, stale
    assert re.search(r"budget_plan\(\"param-distribution\", BUDGET", text)
