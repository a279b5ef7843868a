"""Architecture pictures (course_lib.analysis.diagrams): the data each picture is drawn from
matches the model it claims to show (parameter counts from Keras, receptive fields from the
gradient of one output unit, layer counts from the seed's configuration table, gaps from the
printed results), the drawing draws exactly that data, and no figure text holds Chinese."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.patches import FancyArrowPatch, Rectangle

from course_lib.analysis import diagrams, load_table
from course_lib.layers import RecurrentConv2D
from course_lib.models.vgg import VGG_CONFIGS


def _texts(ax):
    texts = [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel()]
    texts += [t.get_text() for t in ax.get_yticklabels()]
    legend = ax.get_legend()
    if legend is not None:
        texts += [t.get_text() for t in legend.get_texts()]
    return texts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# RCL unrolled (seed 000, figure 3)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("steps", [0, 1, 3])
def test_rcl_structure_follows_the_layer(steps):
    layer = RecurrentConv2D(6, 3, iterations=steps, recurrent_kernel_size=5)
    layer.build((None, 8, 8, 4))
    d = diagrams.rcl_unrolled(layer)
    assert d.iterations == steps
    assert len(d.feedforward_edges) == steps + 1
    assert len(d.recurrent_edges) == steps
    assert [e[1] for e in d.feedforward_edges] == [f"x({t})" for t in range(steps + 1)]
    # weight sharing: one feed-forward and (when T > 0) one recurrent kernel on every edge
    assert d.kernels == ({"w_f", "w_r"} if steps else {"w_f"})
    assert d.in_channels == 4
    assert d.params == layer.count_params() == 3 * 3 * 4 * 6 + 5 * 5 * 6 * 6 + 6
    assert d.receptive_fields == tuple(3 + 4 * t for t in range(steps + 1))


def test_rcl_receptive_field_matches_the_gradient():
    """The receptive field of x(T): pixels where d output(centre) / d input is nonzero."""
    layer = RecurrentConv2D(1, 3, iterations=3, use_lrn=False, activation=None,
                            kernel_initializer="ones", recurrent_initializer="ones",
                            use_bias=False)
    x = tf.Variable(tf.zeros((1, 21, 21, 1)))
    with tf.GradientTape() as tape:
        y = layer(x)[0, 10, 10, 0]
    grad = tape.gradient(y, x).numpy()[0, :, :, 0]
    rows = np.nonzero(grad.any(axis=1))[0]
    assert rows.max() - rows.min() + 1 == diagrams.rcl_unrolled(layer).receptive_fields[-1] == 9


def test_rcl_from_config_and_errors():
    layer = RecurrentConv2D(8, 3, iterations=2)
    d = diagrams.rcl_unrolled(layer.get_config(), in_channels=8)
    assert d.params == 9 * 8 * 8 * 2 + 8
    assert diagrams.rcl_unrolled(layer).params is None  # unbuilt and no in_channels
    no_bias = RecurrentConv2D(8, 3, iterations=2, use_bias=False)
    assert diagrams.rcl_unrolled(no_bias, in_channels=8).params == 9 * 8 * 8 * 2
    with pytest.raises(ValueError, match="RecurrentConv2D"):
        diagrams.rcl_unrolled(keras.layers.Conv2D(4, 3))
    with pytest.raises(ValueError, match="in_channels"):
        diagrams.rcl_unrolled(layer, in_channels=0)
    with pytest.raises(ValueError, match="lacks"):
        diagrams.rcl_unrolled({"filters": 3})


def test_rcl_plot_draws_every_edge_in_english():
    layer = RecurrentConv2D(16, 3, iterations=3)
    ax = diagrams.plot_rcl_unrolled(layer, in_channels=16)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 4 + 3
    texts = _texts(ax)
    assert sum(t == "w_f" for t in texts) == 4 and sum(t == "w_r" for t in texts) == 3
    assert "RF 9x9" in texts
    assert f"{16 * 9 * 16 + 16 * 9 * 16 + 16:,}" in ax.get_title()
    assert not any(diagrams.has_cjk(t) for t in texts)


# ---------------------------------------------------------------------------------------------
# VGG configurations (seed 001)
# ---------------------------------------------------------------------------------------------
def test_vgg_layout_matches_the_configuration_table():
    layout = diagrams.vgg_layout()
    table = load_table("seed001_vgg_configs").set_index("config")
    for name in VGG_CONFIGS:
        rows = layout[layout["config"] == name]
        assert (rows["kind"] == "conv").sum() == table.loc[name, "conv_layers"]
        assert rows["kind"].isin(["conv", "fc"]).sum() == table.loc[name, "weight_layers"]
        assert (rows["kind"] == "pool").sum() == 5
        assert rows["block"].max() == 6  # five conv blocks, then the FC head
    c = layout[(layout["config"] == "C") & (layout["kind"] == "conv")]
    assert sorted(c.loc[c["kernel"] == 1, "filters"].tolist()) == [256, 512, 512]
    assert (layout.loc[layout["config"] == "A-LRN", "kind"] == "lrn").sum() == 1


def test_vgg_layout_custom_and_errors():
    five = diagrams.vgg_layout({"5x5": [(5, 64), "M", (5, 128), "M"]})
    assert five.loc[five["kind"] == "conv", "kernel"].tolist() == [5, 5]
    with pytest.raises(ValueError, match="Received"):
        diagrams.vgg_layout({"bad": [64, "X"]})


def test_vgg_plot_draws_one_box_per_layer():
    configs = {k: VGG_CONFIGS[k] for k in ("A", "E")}
    ax = diagrams.plot_vgg_configs(configs)
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == len(diagrams.vgg_layout(configs))
    texts = _texts(ax)
    assert "A\n11 weight layers" in texts and "E\n19 weight layers" in texts
    assert not any(diagrams.has_cjk(t) for t in texts)


# ---------------------------------------------------------------------------------------------
# SimpNet principles (seed 002)
# ---------------------------------------------------------------------------------------------
def test_principle_gaps_are_the_printed_differences():
    gaps = diagrams.principle_gaps()
    assert list(dict.fromkeys(gaps["principle"])) == list("ABCDEFGHIJ")
    row = gaps[gaps["comparison"] == "10 vs 13 layers at 300K"].iloc[0]
    assert (row.follows_acc, row.breaks_acc) == (90.61, 89.78)  # seed 002, Table 2
    assert row.gap == pytest.approx(0.83)
    row = gaps[gaps["comparison"] == "first pool after conv7 vs conv3"].iloc[0]
    assert row.gap == pytest.approx(79.44 - 77.34)  # Table 5
    row = gaps[gaps["comparison"] == "3x3 vs 7x7 at 300K (v1)"].iloc[0]
    assert row.gap == pytest.approx(90.21 - 86.09)  # Table 7, the 300K 3x3 row
    assert np.allclose(gaps["gap"].dropna(), gaps["follows_acc"].dropna() - gaps["breaks_acc"].dropna())
    untested = set(gaps.loc[gaps["comparison"] == "", "principle"])
    assert untested == {"B", "E", "G", "H", "J"}


def test_principles_plot_one_bar_per_comparison():
    gaps = diagrams.principle_gaps()
    ax = diagrams.plot_principles(gaps)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == (gaps["comparison"] != "").sum()
    assert sorted(round(b.get_width(), 4) for b in bars) == sorted(gaps["gap"].dropna().round(4))
    assert not any(diagrams.has_cjk(t) for t in _texts(ax))


def test_has_cjk():
    assert diagrams.has_cjk("同类层组") and not diagrams.has_cjk("homogeneous groups, 3x3")
