"""course_lib.analysis.figures: what the figures of results contain -- bars from zero, one bar
per model that has runs, error bars of the stated interval, a narrow axis that says its range,
training curves with every seed, a band and integer epoch ticks -- checked on the Matplotlib
objects, plus a PNG written and read back."""

import math
import statistics

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402

from course_lib.analysis import (  # noqa: E402
    compare_models,
    plot_error_bars,
    plot_error_lines,
    plot_training_curves,
    plot_verdicts,
    summarize_runs,
    t_quantile,
)

ORDER = ["VGG-A", "VGG-A-LRN", "VGG-B", "VGG-C", "VGG-D", "VGG-E"]
ERRORS = {"VGG-A": [12.1, 11.8, 12.4], "VGG-B": [11.6, 11.9, 11.2], "VGG-E": [12.0, 11.1, 12.6],
          "VGG-D": [11.5]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _runs(errors=ERRORS, **extra):
    return pd.DataFrame([{"model": m, "seed": s, "test error %": e, **extra}
                         for m, values in errors.items() for s, e in enumerate(values)])


def _errorbars(ax):
    """(x, low, high) of every error bar drawn on ``ax``."""
    out = []
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer):
            for segment in c.lines[2][0].get_segments():
                (x0, y0), (_, y1) = segment
                out.append((round(float(x0), 6), float(min(y0, y1)), float(max(y0, y1))))
    return sorted(out)


# ------------------------------------------------------------------------------ summarize_runs
def test_summarize_runs_gives_mean_and_the_stated_interval():
    s = summarize_runs(_runs(), order=ORDER).set_index("model")
    assert list(s.index) == ["VGG-A", "VGG-B", "VGG-D", "VGG-E"]  # order, no empty slots
    a = ERRORS["VGG-A"]
    half = t_quantile(0.975, 2) * statistics.stdev(a) / math.sqrt(3)
    assert s.loc["VGG-A", "mean"] == pytest.approx(statistics.mean(a))
    assert (s.loc["VGG-A", "low"], s.loc["VGG-A", "high"]) == pytest.approx(
        (statistics.mean(a) - half, statistics.mean(a) + half))
    assert s.loc["VGG-D", "seeds"] == 1 and math.isnan(s.loc["VGG-D", "low"])
    r = summarize_runs(_runs(), interval="range").set_index("model")
    assert (r.loc["VGG-E", "low"], r.loc["VGG-E", "high"]) == (11.1, 12.6)
    with pytest.raises(ValueError, match=r"interval must be one of \['range', 't95'\].*"
                                         r"Received: interval='sd'"):
        summarize_runs(_runs(), interval="sd")
    with pytest.raises(ValueError, match=r"no column\(s\) \['error'\]"):
        summarize_runs(_runs(), y="error")


# ------------------------------------------------------------------------------------- bars
def test_error_bars_start_at_zero_have_no_empty_slots_and_show_the_interval():
    fig = plot_error_bars(_runs(), order=ORDER, title="ours")
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    assert len(bars) == 4  # models with runs; A-LRN and C have none and get no slot
    assert [t.get_text() for t in ax.get_xticklabels()] == ["VGG-A", "VGG-B", "VGG-D", "VGG-E"]
    heights = [b.get_height() for b in sorted(bars, key=lambda b: b.get_x())]
    assert heights == pytest.approx([statistics.mean(ERRORS[m]) for m in
                                     ("VGG-A", "VGG-B", "VGG-D", "VGG-E")])
    # error bars: one per model with more than one seed, the 95% t-interval of the mean
    summary = summarize_runs(_runs(), order=ORDER)
    expected = [(float(i), row["low"], row["high"]) for i, (_, row) in enumerate(
        summary.iterrows()) if row["seeds"] > 1]
    got = _errorbars(ax)
    assert len(got) == 3
    for (x, lo, hi), (ex, elo, ehi) in zip(got, sorted(expected)):
        assert x == pytest.approx(ex) and (lo, hi) == pytest.approx((elo, ehi))
    title = ax.get_title().replace("\n", " ")
    assert "ours" in title and "95% t-interval" in title and "no bar for 1 seed" in title


def test_error_bars_range_groups_and_reference_points():
    runs = pd.concat([_runs(mode="single_crop"),
                      _runs({"VGG-A": [40.0, 41.0, 42.0]}, mode="multi_crop")])
    fig = plot_error_bars(runs, group="mode", interval="range", order=ORDER,
                          reference={"VGG-A": 29.4, "VGG-C": 28.1}, reference_label="paper")
    ax = fig.axes[0]
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    assert len(bars) == 5  # 4 single-crop + 1 multi-crop: only the groups a model has
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 42.0
    ranges = {(round(lo, 6), round(hi, 6)) for _, lo, hi in _errorbars(ax)}
    assert (40.0, 42.0) in ranges and (11.8, 12.4) in ranges
    (points,) = [c for c in ax.collections if c.get_offsets().shape[0] == 1
                 and c.get_label() == "paper"]
    assert points.get_offsets()[0].tolist() == [0.0, 29.4]  # VGG-C has no run: not drawn
    legend = ax.get_legend()
    assert {t.get_text() for t in legend.get_texts()} == {"single_crop", "multi_crop", "paper"}
    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1  # outside the data
    assert "range over seeds" in ax.get_title().replace("\n", " ")


def test_error_bars_reject_empty_runs():
    with pytest.raises(ValueError, match="no run has a value"):
        plot_error_bars(_runs().assign(**{"test error %": float("nan")}))


# ------------------------------------------------------------------------------------ lines
def test_error_lines_state_their_narrow_range_and_show_intervals():
    runs = pd.DataFrame([
        {"model": f"CNN-{f}{i}", "group": f"CNN-{f}", "high fraction": hf,
         "test error %": e + d}
        for f, es in (("A", (14.20, 14.05, 13.95)), ("B", (14.10, 14.00, 14.02)))
        for i, (hf, e) in enumerate(zip((0.3, 0.5, 0.7), es), 1) for d in (-0.1, 0.0, 0.12)])
    fig = plot_error_lines(runs, x="high fraction", line="group", label="model", title="ours")
    ax = fig.axes[0]
    y0, y1 = ax.get_ylim()
    assert 13 < y0 < y1 < 15  # narrow: not from zero ...
    title = ax.get_title()
    assert f"y-axis {y0:.2f} to {y1:.2f} (not from 0)" in title.replace("\n", " ")  # ... said
    assert "not from 0" in ax.get_ylabel()
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 2 and len(_errorbars(ax)) == 6  # an interval on every point
    lo_hi = summarize_runs(runs[runs["group"] == "CNN-A"], x="model")
    assert y0 <= lo_hi["low"].min() and lo_hi["high"].max() <= y1  # intervals inside the axes
    assert {t.get_text() for t in ax.texts} >= {"CNN-A1", "CNN-B3"}


# -------------------------------------------------------------------------- training curves
def _records():
    rng = np.random.default_rng(0)
    return [{"label": m, "seed": s,
             "history": [{"epoch": e, "train_error_pct": b + 30 / e + rng.normal(0, 0.4),
                          "test_error_pct": b + 1 + 28 / e + rng.normal(0, 0.6)}
                         for e in range(1, 9)]}
            for m, b, seeds in (("Plain-20", 12, (0, 1, 2)), ("Plain-56", 15, (0, 1)))
            for s in seeds]


def test_training_curves_show_every_seed_a_mean_and_a_band(tmp_path):
    from PIL import Image

    records = _records()
    fig = plot_training_curves(records)
    train, test = fig.axes[:2]
    assert (train.get_title(), test.get_title()) == ("train error", "test error")
    title = fig._suptitle.get_text()
    assert "Plain-20 (seeds 0, 1, 2)" in title and "Plain-56 (seeds 0, 1)" in title
    assert "band: range over seeds" in title
    for ax in (train, test):
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)  # integer epochs
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 2  # one band per model
        # 3 + 2 thin seed lines and 2 mean lines
        assert len(ax.get_lines()) == 7
    means = {line.get_label(): line for line in test.get_lines()
             if not line.get_label().startswith("_")}
    mean20 = means["Plain-20 (mean of 3 seeds)"].get_ydata()
    expected = [statistics.mean(r["history"][e]["test_error_pct"] for r in records
                                if r["label"] == "Plain-20") for e in range(8)]
    assert list(mean20) == pytest.approx(expected)
    path = tmp_path / "curves.png"
    fig.savefig(path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 500


def test_training_curves_one_model_one_seed_and_bad_arguments():
    records = [r for r in _records() if r["label"] == "Plain-56" and r["seed"] == 0]
    fig = plot_training_curves(records, splits="test", band="t95")
    (ax,) = fig.axes
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # one seed: no band
    assert "Plain-56 (seeds 0)" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"no records of \['Plain-32'\]"):
        plot_training_curves(records, models=["Plain-32"])
    with pytest.raises(ValueError, match="splits must be taken from"):
        plot_training_curves(records, splits=("val",))
    with pytest.raises(ValueError, match="no records to draw"):
        plot_training_curves([])
    with pytest.raises(ValueError, match=r"records\[0\] is not a run record"):
        plot_training_curves([{"label": "x"}])


# --------------------------------------------------------------------------------- verdicts
def test_verdicts_plot_each_interval_against_zero():
    verdicts = [
        compare_models([14.5, 13.9, 14.2], [11.3, 11.0, 11.6], n_test=10_000),
        compare_models([14.5, 13.9, 14.2], [14.3, 14.0, 14.4], n_test=10_000),
        compare_models([11.57, 11.56], [12.0, 12.01], n_test=10_000),
    ]
    fig = plot_verdicts(verdicts)
    ax = fig.axes[0]
    points = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [p.get_xdata()[0] for p in points] == pytest.approx([v.difference for v in verdicts])
    segments = [line for line in ax.get_lines() if len(line.get_xdata()) == 2
                and line.get_ydata()[0] == line.get_ydata()[1]]
    assert sorted(tuple(s.get_xdata()) for s in segments) == sorted(
        (v.ci_low, v.ci_high) for v in verdicts)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].endswith("supports, 3+3 seeds")
    assert "inconclusive (too few seeds), 2+2 seeds" in labels[2]
    with pytest.raises(ValueError, match=r"verdicts\[0\] is not a Verdict"):
        plot_verdicts([{"word": "supports"}])


def test_docstring_examples_run():
    import doctest

    import course_lib.analysis.figures as module

    assert doctest.testmod(module).failed == 0


def test_a_model_column_named_like_a_summary_column_gets_one_clear_error():
    import pandas as pd

    from course_lib.analysis.figures import plot_error_lines, summarize_runs

    runs = pd.DataFrame({"high": [0.2, 0.2, 0.8, 0.8], "test error %": [14.0, 14.2, 13.9, 13.7]})
    for call in (lambda: summarize_runs(runs, x="high"), lambda: plot_error_lines(runs, x="high")):
        with pytest.raises(ValueError, match=r"rename it. Received: x='high'"):
            call()
