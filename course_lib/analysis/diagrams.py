"""Architecture pictures drawn from the models themselves (matplotlib, English text only).

Each picture has a function returning plain data (tested) and a ``plot_*`` drawing exactly
that. No Chinese on figures (Colab's matplotlib has no CJK font); the notebooks give the terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from course_lib.validation import integer, pair

__all__ = [
    "PRINCIPLES", "PrincipleComparison", "RCLDiagram", "has_cjk", "plot_principles",
    "plot_rcl_unrolled", "plot_vgg_configs", "principle_gaps", "rcl_unrolled", "vgg_layout",
]

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK character (figure text must not: Colab has no CJK font)."""
    return bool(_CJK.search(str(text)))


def _new_axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# -- seed 000, figure 3: the recurrent convolutional layer unrolled in time --
@dataclass(frozen=True)
class RCLDiagram:
    """The unrolled structure of one ``RecurrentConv2D``, read from its config.

    Attributes:
        iterations, filters, kernel_size, recurrent_kernel_size: ``T``, ``K``, ``w_f``, ``w_r``.
        in_channels, params: ``None`` when the layer is not built.
        feedforward_edges, recurrent_edges: ``(source, target, kernel)``.
        receptive_fields: side of each state's field, ``k_f + t * (k_r - 1)``.
    """

    iterations: int
    filters: int
    kernel_size: tuple[int, int]
    recurrent_kernel_size: tuple[int, int]
    in_channels: int | None
    params: int | None
    feedforward_edges: tuple[tuple[str, str, str], ...]
    recurrent_edges: tuple[tuple[str, str, str], ...]
    receptive_fields: tuple[int, ...]

    @property
    def kernels(self) -> set[str]:
        """The distinct kernels on the edges: weight sharing means exactly ``{"w_f", "w_r"}``."""
        return {e[2] for e in self.feedforward_edges + self.recurrent_edges}


def rcl_unrolled(layer, in_channels: int | None = None) -> RCLDiagram:
    """The unrolled structure of a ``RecurrentConv2D`` (seed 000, figure 3), from its config.

    Args:
        layer: a ``RecurrentConv2D`` (built or not) or its ``get_config()`` dict.
        in_channels: for the parameter count of an unbuilt layer.

    Example:

    >>> from course_lib.layers import RecurrentConv2D
    >>> d = rcl_unrolled(RecurrentConv2D(16, 3, iterations=3), in_channels=16)
    >>> d.receptive_fields, d.params
    ((3, 5, 7, 9), 4624)
    """
    if isinstance(layer, dict):
        config = layer
        kernel = None
    elif hasattr(layer, "get_config") and hasattr(layer, "iterations"):
        config = layer.get_config()
        kernel = getattr(layer, "kernel", None) if getattr(layer, "built", False) else None
    else:
        raise ValueError(
            "`layer` must be a course_lib.layers.RecurrentConv2D or its get_config() dict. "
            f"Received: layer={layer!r}"
        )
    missing = [k for k in ("filters", "kernel_size", "iterations") if k not in config]
    if missing:
        raise ValueError(
            f"`layer` config lacks {missing}: pass a RecurrentConv2D or its get_config(). "
            f"Received keys: {sorted(config)}"
        )
    integer("in_channels", in_channels, minimum=1, allow_none=True)
    if in_channels is None and kernel is not None:
        in_channels = int(kernel.shape[2])
    steps = int(config["iterations"])
    filters = int(config["filters"])
    kf = pair("kernel_size", config["kernel_size"])
    kr = pair("recurrent_kernel_size", config.get("recurrent_kernel_size") or config["kernel_size"])
    params = None
    if in_channels is not None:
        params = (kf[0] * kf[1] * in_channels * filters + kr[0] * kr[1] * filters * filters
                  + (filters if config.get("use_bias", True) else 0))
    states = [f"x({t})" for t in range(steps + 1)]
    return RCLDiagram(
        iterations=steps,
        filters=filters,
        kernel_size=kf,
        recurrent_kernel_size=kr,
        in_channels=in_channels,
        params=params,
        feedforward_edges=tuple(("u", s, "w_f") for s in states),
        recurrent_edges=tuple((states[t - 1], states[t], "w_r") for t in range(1, steps + 1)),
        receptive_fields=tuple(kf[0] + t * (kr[0] - 1) for t in range(steps + 1)),
    )


def plot_rcl_unrolled(layer, in_channels: int | None = None, *, ax=None):
    """Draw :func:`rcl_unrolled` (dashed ``w_f``, solid ``w_r`` arrows); returns the ``Axes``."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    d = rcl_unrolled(layer, in_channels)
    n = d.iterations + 1
    ax = _new_axes(ax, (max(5.0, 2.1 * n + 1), 3.4))
    xs = [1.0 + 2.0 * t for t in range(n)]
    y_state, y_in = 2.0, 0.3

    def box(x, y, text, color):
        ax.add_patch(FancyBboxPatch((x - 0.55, y - 0.3), 1.1, 0.6, boxstyle="round,pad=0.05",
                                    facecolor=color, edgecolor="black", linewidth=1))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def arrow(x0, y0, x1, y1, style, label, label_xy):
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                     linestyle=style, linewidth=1.4, color="black"))
        ax.text(*label_xy, label, ha="center", va="center", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})

    x_in = (xs[0] + xs[-1]) / 2
    box(x_in, y_in, "u (input)", "#dde8f5")
    for (src, dst, kernel), x in zip(d.feedforward_edges, xs):
        arrow(x_in, y_in + 0.35, x, y_state - 0.35, "--", kernel,
              (x_in + 0.55 * (x - x_in), y_in + 0.55 * (y_state - y_in)))
    for t, ((src, dst, kernel), x) in enumerate(zip(d.recurrent_edges, xs[1:]), start=1):
        arrow(xs[t - 1] + 0.6, y_state, x - 0.6, y_state, "-", kernel, ((xs[t - 1] + x) / 2, y_state + 0.32))
    for t, x in enumerate(xs):
        box(x, y_state, f"x({t})", "#fbe3c8")
        rf = d.receptive_fields[t]
        ax.text(x, y_state + 0.65, f"RF {rf}x{rf}", ha="center", fontsize=8, color="#444444")
    kf, kr = d.kernel_size, d.recurrent_kernel_size
    title = (f"RCL unrolled: T = {d.iterations}, K = {d.filters}; one w_f ({kf[0]}x{kf[1]}) and "
             f"one w_r ({kr[0]}x{kr[1]}) shared by every step")
    if d.params is not None:
        title += f"\nparameters {d.params:,} whatever T is"
    ax.set_title(title, fontsize=10)
    ax.set_xlim(xs[0] - 1.0, xs[-1] + 1.0)
    ax.set_ylim(-0.2, y_state + 1.1)
    ax.axis("off")
    return ax


# -- seed 001: the VGG configurations A..E --
def vgg_layout(configs=None) -> pd.DataFrame:
    """One row per layer of each VGG configuration (``VGG_CONFIGS`` format; default
    ``VGG_CONFIGS``), FC head appended: ``config, position, kind`` (conv/pool/lrn/fc), ``kernel``,
    ``filters`` and ``block``.
    """
    from course_lib.models.vgg import VGG_CONFIGS

    configs = VGG_CONFIGS if configs is None else configs
    rows = []
    for name, layers in configs.items():
        block, position = 1, 0
        for item in list(layers) + [("fc", 4096), ("fc", 4096), ("fc", 1000)]:
            if item == "M":
                row = {"kind": "pool", "kernel": 2, "filters": pd.NA}
            elif item == "LRN":
                row = {"kind": "lrn", "kernel": pd.NA, "filters": pd.NA}
            elif isinstance(item, tuple) and item[0] == "fc":
                row = {"kind": "fc", "kernel": pd.NA, "filters": item[1]}
            elif isinstance(item, int) and not isinstance(item, bool) and item > 0:
                row = {"kind": "conv", "kernel": 3, "filters": item}
            elif (isinstance(item, tuple) and len(item) == 2
                  and all(isinstance(v, int) and v > 0 for v in item)):
                row = {"kind": "conv", "kernel": item[0], "filters": item[1]}
            else:
                raise ValueError(
                    f"Configuration {name!r}: entries must be positive ints, (kernel, filters) "
                    f"tuples, 'M' or 'LRN'. Received: {item!r}"
                )
            rows.append({"config": name, "position": position, **row,
                         "block": block if row["kind"] != "fc" else 6})
            position += 1
            if item == "M":
                block += 1
    return pd.DataFrame(rows, columns=["config", "position", "kind", "kernel", "filters", "block"])


_WIDTH_COLORS = {64: "#c6dbef", 128: "#9ecae1", 256: "#6baed6", 512: "#3182bd"}


def plot_vgg_configs(configs=None, *, ax=None):
    """Draw :func:`vgg_layout` as columns of boxes (input at the bottom); returns the ``Axes``."""
    from matplotlib.patches import Patch, Rectangle

    layout = vgg_layout(configs)
    names = list(dict.fromkeys(layout["config"]))
    tallest = layout.groupby("config").size().max()
    ax = _new_axes(ax, (1.55 * len(names) + 2.6, 0.3 * tallest + 1.6))
    top = 0.0
    for i, name in enumerate(names):
        y = 0.0
        rows = layout[layout["config"] == name]
        for r in rows.itertuples():
            height, label, color, hatch = 0.9, "", "#cccccc", None
            if r.kind == "conv":
                color = _WIDTH_COLORS.get(int(r.filters), "#756bb1")
                hatch = None if r.kernel == 3 else "///"
                label = f"{r.kernel}x{r.kernel} {r.filters}"
            elif r.kind == "pool":
                height, color = 0.35, "#969696"
            elif r.kind == "lrn":
                color, label = "#fb6a4a", "LRN"
            elif r.kind == "fc":
                color, label = "#a1d99b", f"FC {r.filters}"
            ax.add_patch(Rectangle((i - 0.42, y), 0.84, height, facecolor=color,
                                   edgecolor="black", linewidth=0.6, hatch=hatch))
            if label:
                ax.text(i, y + height / 2, label, ha="center", va="center", fontsize=7)
            y += height + 0.08
        weight = int(rows["kind"].isin(["conv", "fc"]).sum())
        ax.text(i, y + 0.2, f"{name}\n{weight} weight layers", ha="center", va="bottom",
                fontsize=9, fontweight="bold")
        top = max(top, y + 1.6)
    ax.set_xlim(-0.7, len(names) - 0.3)
    ax.set_ylim(-0.3, top)
    legend = [Patch(facecolor=c, edgecolor="black", label=f"3x3 conv, {w} maps")
              for w, c in _WIDTH_COLORS.items()]
    legend += [Patch(facecolor="white", edgecolor="black", hatch="///", label="1x1 (or other) conv"),
               Patch(facecolor="#fb6a4a", edgecolor="black", label="LRN"),
               Patch(facecolor="#969696", edgecolor="black", label="2x2 max pool"),
               Patch(facecolor="#a1d99b", edgecolor="black", label="fully connected")]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_title("VGG configurations (input at the bottom)", fontsize=10)
    ax.axis("off")
    return ax


# -- seed 002: the design principles and the gaps the source prints for them --
#: SimpNet's principles A..J (seed 002, section 3), English names; the Chinese headings are in
#: the notebook's markdown.
PRINCIPLES: dict[str, str] = {
    "A": "gradual expansion, minimum allocation",
    "B": "homogeneous groups of layers",
    "C": "local correlation preservation (3x3; 2x2 over 1x1)",
    "D": "maximum information utilization (pool late; max pool over strided conv)",
    "E": "maximum performance utilization (3x3 runs fastest)",
    "F": "balanced distribution of neurons",
    "G": "rapid prototyping at equal capacity",
    "H": "dropout on every layer",
    "I": "SAF-pooling (max pool, then dropout)",
    "J": "final regulation (refine within the budget)",
}


@dataclass(frozen=True)
class PrincipleComparison:
    """One printed comparison: the row that follows a principle vs the row that breaks it.

    Rows are named by table, model and dataset (and size where a table repeats a model name):
    the numbers are looked up in ``PAPER_RESULTS``, not typed.
    """

    principle: str
    what: str
    table: str
    follows: str
    breaks: str
    dataset: str = "cifar10"
    follows_params: str | None = None
    breaks_params: str | None = None


def _comparisons() -> tuple[PrincipleComparison, ...]:
    from course_lib.models import simpnet_archs as s

    # A table that prints one comparison in two settings (where, depth, network): one row per
    # setting, the follows/breaks rows named alike.
    kernel_position = (
        PrincipleComparison("C", f"2x2 vs 1x1 in {where} layers", s.T_KERNEL_POS,
                            f"Arch5, 13 layers, 2x2 in {where} layers",
                            f"Arch5, 13 layers, 1x1 in {where} layers")
        for where in ("early", "middle"))
    balance = (
        PrincipleComparison("F", f"balanced vs wide end, {depth} {size}", s.T_BALANCED,
                            f"Arch2, {depth} (balanced width)",
                            f"Arch2, {depth} (unbalanced / wide end)")
        for depth, size in (("10 layers", "8M"), ("13 layers", "128K")))
    saf = (
        PrincipleComparison("I", f"SAF-pooling on vs off, {short}", s.T_SAF,
                            f"{net} with SAF-pooling", f"{net} without SAF-pooling")
        for short, net in (("SimpNet", "SimpNet (slim)"), ("SqueezeNet v1.1", "SqueezeNet v1.1")))
    return (
        PrincipleComparison("A", "10 vs 13 layers at 300K", s.T_GRADUAL,
                            "Arch1, 10 layers", "Arch1, 13 layers"),
        PrincipleComparison("A", "10 layers 570K vs 6 layers 1.1M", s.T_MIN_ALLOC,
                            "Arch1, 10 layers", "Arch1, 6 layers"),
        PrincipleComparison("C", "3x3 vs 7x7 at 300K (v1)", s.T_KERNEL,
                            "Arch4, 3x3", "Arch4, 7x7 (300K.v1)", follows_params="300K"),
        PrincipleComparison("C", "3x3 vs 5x5 at 1.6M", s.T_S1, "3x3 kernels", "5x5 kernels"),
        *kernel_position,
        PrincipleComparison("D", "first pool after conv7 vs conv3", s.T_POOL_POS,
                            "Arch3, L7 (delayed pooling)", "Arch3, L3 (early pooling)"),
        PrincipleComparison("D", "max pool vs strided conv, 15 layers (CIFAR-100)", s.T_STRIDED,
                            "SimpNet*, 15 layers, max pooling",
                            "SimpNet†, 15 layers, strided convolution", "cifar100"),
        PrincipleComparison("D", "max pool vs strided conv, ResNet-32", s.T_STRIDED,
                            "ResNet*, 32 layers, max pooling",
                            "ResNet†, 32 layers, strided convolution"),
        *balance, *saf,
    )


def principle_gaps() -> pd.DataFrame:
    """Every principle A..J with the accuracy gaps the source prints for it.

    One row per printed comparison (``principle, name, comparison, table, dataset, follows_acc,
    breaks_acc, gap = follows - breaks``) and an empty one for each principle no table tests (B;
    E, whose accuracy is part of C's table S1; G, H, J).
    """
    from course_lib.models.simpnet_archs import PAPER_RESULTS

    def acc(table, model, dataset, params):
        hits = [r for r in PAPER_RESULTS
                if r.table == table and r.model == model and r.dataset == dataset
                and (params is None or r.params_printed == params)]
        if len(hits) != 1 or hits[0].accuracy_printed is None:
            raise LookupError(f"No single printed accuracy for {model!r} in {table!r} ({dataset}).")
        return float(hits[0].accuracy_printed)

    rows = []
    for c in _comparisons():
        good = acc(c.table, c.follows, c.dataset, c.follows_params)
        bad = acc(c.table, c.breaks, c.dataset, c.breaks_params)
        rows.append({"principle": c.principle, "name": PRINCIPLES[c.principle],
                     "comparison": c.what, "table": c.table, "dataset": c.dataset,
                     "follows_acc": good, "breaks_acc": bad, "gap": round(good - bad, 4)})
    tested = {r["principle"] for r in rows}
    for letter, name in PRINCIPLES.items():
        if letter not in tested:
            rows.append({"principle": letter, "name": name, "comparison": "", "table": "",
                         "dataset": "", "follows_acc": float("nan"),
                         "breaks_acc": float("nan"), "gap": float("nan")})
    order = {letter: i for i, letter in enumerate(PRINCIPLES)}
    frame = pd.DataFrame(rows)
    frame["_order"] = frame["principle"].map(order)
    return frame.sort_values(["_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def plot_principles(gaps: pd.DataFrame | None = None, *, ax=None):
    """Draw :func:`principle_gaps` as horizontal bars grouped by principle; returns the ``Axes``."""
    gaps = principle_gaps() if gaps is None else gaps
    ax = _new_axes(ax, (9.5, 0.42 * len(gaps) + 1.2))
    letters = list(dict.fromkeys(gaps["principle"]))
    palette = {letter: f"C{i % 10}" for i, letter in enumerate(letters)}
    labels, y = [], list(range(len(gaps)))[::-1]
    for yi, r in zip(y, gaps.itertuples()):
        if r.comparison:
            ax.barh(yi, r.gap, color=palette[r.principle], edgecolor="black", linewidth=0.5)
            ax.text(r.gap + 0.05, yi, f"+{r.gap:.2f}" if r.gap >= 0 else f"{r.gap:.2f}",
                    va="center", fontsize=8)
            labels.append(f"{r.principle}: {r.comparison}")
        else:
            ax.text(0.05, yi, "no printed accuracy comparison", va="center", fontsize=8, color="#777777",
                    style="italic")
            labels.append(f"{r.principle}: {r.name}")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("accuracy gap printed by the source (points): follows - breaks the principle")
    ax.set_title("SimpNet's principles A-J and the gaps the source prints (one run each, no error bars)",
                 fontsize=10)
    ax.set_xlim(min(0.0, float(gaps["gap"].min(skipna=True)) - 0.3),
                float(gaps["gap"].max(skipna=True)) + 0.8)
    return ax
