"""Pictures of a model drawn from the model itself: filters (CS231n notes, seed 003 3.1),
activation maps (3.2), receptive fields (seed 004, 3.1.1) and layer columns (He et al.'s Fig. 3,
seed 004 Fig. 3.11).

Computations return arrays and are tested; ``plot_*`` only draw them. Figure text is ASCII:
Matplotlib on Colab has no CJK font.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from course_lib.analysis._graph import flat, prepare_model
from course_lib.validation import integer
from course_lib.core import Registry
from course_lib.analysis.receptive_field import receptive_fields, rf_bounds

__all__ = [
    "ArchitectureBox", "activation_maps", "architecture_column", "filter_grid",
    "plot_architecture", "plot_filters", "plot_filters_and_maps", "plot_receptive_fields",
    "receptive_field_box",
]

_CHANNEL_MODES = ("auto", "rgb", "sum", "mean")


# -- Filters --


def _get_layer(model, name: str, caller: str):
    names = [layer.name for layer in model.layers]
    if name in names:
        return model.get_layer(name)
    layers = Registry("layer")
    for known in names:
        if known not in layers:  # names differing only in case or "_" vs "-" are kept once
            layers.register(known, known)
    try:
        return model.get_layer(layers.canonical(name))
    except ValueError as err:
        raise ValueError(f"{caller}: model {model.name!r}: {err} Received: layer={name!r}") from None


def _first_conv(model, caller: str):
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer
    raise ValueError(f"{caller}: model {model.name!r} has no Conv2D layer; pass layer=...")


def _conv_kernel(model, layer, caller: str) -> tuple[str, np.ndarray]:
    conv = _first_conv(model, caller) if layer is None else _get_layer(model, layer, caller)
    kernel = getattr(conv, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        raise ValueError(
            f"{caller}: layer {conv.name!r} ({type(conv).__name__}) has no 4-D convolution "
            "kernel (height, width, in_channels, filters); pick a Conv2D layer. "
            f"Received: layer={conv.name!r}"
        )
    return conv.name, keras.ops.convert_to_numpy(keras.ops.cast(kernel, "float32"))


def filter_grid(kernel, *, channels: str = "auto", columns: int = 8, pad: int = 1,
                max_filters: int | None = None) -> np.ndarray:
    """The filters of a ``(F_h, F_w, C_in, K)`` convolution kernel tiled into one RGB image.

    Args:
        kernel: a Keras ``Conv2D`` kernel.
        channels: ``"rgb"`` (needs ``C_in == 3``), ``"sum"`` (grey; the effective filter on
            copies of one grey image, as ``fashion_mnist32``), ``"mean"`` or ``"auto"``.
        columns: filters per row; pad: white pixels between tiles; max_filters: only the first n.

    Returns:
        A float array in [0, 1], each filter min-max scaled on its own (constant: 0.5 grey).

    Example:
        >>> k = np.zeros((3, 3, 1, 2), "float32"); k[1, 1, 0, 0] = 1.0
        >>> grid = filter_grid(k, columns=2, pad=1)
        >>> grid.shape, grid[1, 1].tolist(), grid[0, 0].tolist()
        ((3, 7, 3), [1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    k = np.asarray(kernel, dtype="float32")
    if k.ndim != 4:
        raise ValueError(
            "`kernel` must have shape (height, width, in_channels, filters). "
            f"Received: kernel with shape {k.shape}"
        )
    if channels not in _CHANNEL_MODES:
        raise ValueError(f"`channels` must be one of {', '.join(_CHANNEL_MODES)}. "
                         f"Received: channels={channels!r}")
    integer("columns", columns, minimum=1)
    integer("pad", pad, minimum=0)
    if integer("max_filters", max_filters, minimum=1, allow_none=True) is not None:
        k = k[..., :max_filters]
    fh, fw, c_in, n = k.shape
    mode = ("rgb" if c_in == 3 else "mean") if channels == "auto" else channels
    if mode == "rgb":
        if c_in != 3:
            raise ValueError(
                f'`channels="rgb"` needs a kernel with 3 input channels; this one has {c_in}. '
                'Use channels="sum" or "mean". Received: channels="rgb"'
            )
        tiles = np.moveaxis(k, -1, 0)  # (K, F, F, 3)
    else:
        reduced = k.sum(axis=2) if mode == "sum" else k.mean(axis=2)  # (F, F, K)
        tiles = np.repeat(np.moveaxis(reduced, -1, 0)[..., None], 3, axis=-1)
    low = tiles.min(axis=(1, 2, 3), keepdims=True)
    span = tiles.max(axis=(1, 2, 3), keepdims=True) - low
    scaled = np.where(span > 0, (tiles - low) / np.where(span > 0, span, 1.0), 0.5)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    grid = np.ones((rows * (fh + pad) - pad, cols * (fw + pad) - pad, 3), "float32")
    for i in range(n):
        r, c = divmod(i, cols)
        grid[r * (fh + pad):r * (fh + pad) + fh, c * (fw + pad):c * (fw + pad) + fw] = scaled[i]
    return grid


def plot_filters(model, layer: str | None = None, *, channels: str = "auto", columns: int = 8,
                 max_filters: int | None = 32, title: str | None = None, ax=None):
    """Draw the filters of one convolution (default: the first ``Conv2D``); see :func:`filter_grid`."""
    import matplotlib.pyplot as plt

    name, kernel = _conv_kernel(model, layer, "plot_filters")
    grid = filter_grid(kernel, channels=channels, columns=columns, max_filters=max_filters)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.22 * grid.shape[1] + 1, 0.22 * grid.shape[0] + 0.8))
    ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    fh, fw, c_in, n = kernel.shape
    shown = n if max_filters is None else min(n, max_filters)
    ax.set_title(title or f"{model.name} {name}: {shown} of {n} filters, {fh}x{fw}x{c_in}",
                 fontsize=9)
    return ax.figure


# -- Activation maps --


def activation_maps(model, images, layers) -> dict[str, np.ndarray]:
    """``{name: float32 array}``: the outputs of the named ``layers`` for a batch of (preprocessed)
    ``images``, in inference mode (dropout off, batch norm with its moving statistics).

    Raises:
        ValueError: a layer name is not in the model (the message suggests close names).
    """
    names = [layers] if isinstance(layers, str) else list(layers)
    if not names:
        raise ValueError("`layers` must name at least one layer. Received: layers=[]")
    model = prepare_model(model, caller="activation_maps")
    outputs = [_get_layer(model, n, "activation_maps").output for n in names]
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, outputs)
    values = probe(np.asarray(images, dtype="float32"), training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    return {n: keras.ops.convert_to_numpy(keras.ops.cast(v, "float32"))
            for n, v in zip(names, values)}


def plot_filters_and_maps(model, image, layer: str | None = None, *, channels: int | list = 8,
                          filter_channels: str = "auto", display_image=None):
    """Each filter of a convolution above the activation map it computes on one image (notes 3.2).

    Args:
        model, image: a trained model and one preprocessed image ``(H, W, C)``.
        layer: a ``Conv2D`` layer (default: the first).
        channels: how many filters (the first ``n``) or a list of filter indices.
        filter_channels: the ``channels`` argument of :func:`filter_grid`.
        display_image: the image shown on the left (default ``image``, clipped to [0, 1]).
    """
    import matplotlib.pyplot as plt

    name, kernel = _conv_kernel(model, layer, "plot_filters_and_maps")
    chosen = list(range(min(int(channels), kernel.shape[-1]))) if np.isscalar(channels) \
        else [int(c) for c in channels]
    bad = [c for c in chosen if not 0 <= c < kernel.shape[-1]]
    if bad or not chosen:
        raise ValueError(f"`channels` must be filter indices in [0, {kernel.shape[-1]}) "
                         f"(layer {name!r} has {kernel.shape[-1]} filters). Received: channels={channels!r}")
    maps = activation_maps(model, np.asarray(image)[None], name)[name][0]
    shown = np.clip(np.asarray(image if display_image is None else display_image, "float32"), 0, 1)
    fig, axes = plt.subplots(2, len(chosen) + 1, figsize=(1.3 * (len(chosen) + 1), 2.9),
                             squeeze=False)
    axes[0, 0].imshow(shown.squeeze(), cmap="gray" if shown.shape[-1] == 1 else None)
    axes[0, 0].set_title("image", fontsize=8)
    axes[1, 0].text(0.5, 0.5, f"{name}\nfilters (top)\nmaps (bottom)", ha="center", va="center",
                    fontsize=8, transform=axes[1, 0].transAxes)
    for j, c in enumerate(chosen, start=1):
        tile = filter_grid(kernel[..., c:c + 1], channels=filter_channels, columns=1, pad=0)
        axes[0, j].imshow(tile, interpolation="nearest")
        axes[0, j].set_title(f"filter {c}", fontsize=8)
        axes[1, j].imshow(maps[..., c], cmap="viridis", interpolation="nearest")
    for ax in axes.flat:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


# -- Receptive fields on an image --


def receptive_field_box(model, layer: str, position: tuple[int, int] = (0, 0),
                        input_shape=None) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)``: input pixels (inclusive, not clipped) seen by unit ``position``.

    Example:
        >>> m = keras.Sequential([keras.Input((9, 9, 1))] +
        ...                      [keras.layers.Conv2D(1, 3, name=f"c{i}") for i in range(3)])
        >>> receptive_field_box(m, "c2", (1, 2))
        (1, 2, 7, 8)
    """
    model = prepare_model(model, input_shape, caller="receptive_field_box")
    _get_layer(model, layer, "receptive_field_box")
    box = []
    for axis in (0, 1):
        table = receptive_fields(model, axis=axis).set_index("layer")
        row = table.loc[layer]
        size = row["size"]
        index = int(position[axis])
        if size is None or (isinstance(size, float) and math.isnan(size)) or str(size) == "<NA>":
            raise ValueError(f"receptive_field_box: layer {layer!r} has no spatial output "
                             f"(it is after a flatten or a global pooling). Received: layer={layer!r}")
        if not 0 <= index < int(size):
            raise ValueError(
                f"receptive_field_box: `position` must lie in layer {layer!r}'s "
                f"{int(size)}-unit map along axis {axis}. Received: position={tuple(position)}"
            )
        box.append(rf_bounds(int(row["rf"]), int(row["jump"]), float(row["start"]), index))
    (top, bottom), (left, right) = box
    return top, left, bottom, right


def plot_receptive_fields(image, model, units, *, ax=None, title: str | None = None):
    """Draw the receptive fields of ``units`` (``(layer, (row, col))``) as rectangles on ``image``."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    picture = np.clip(np.asarray(image, "float32"), 0, 1).squeeze()
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    lo, hi = 0, max(picture.shape[:2]) - 1
    for i, (layer, pos) in enumerate(units):
        top, left, bottom, right = receptive_field_box(model, layer, pos)
        colour = colours[i % len(colours)]
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
                               fill=False, lw=2, ec=colour,
                               label=f"{layer} unit {tuple(pos)}: {bottom - top + 1}x{right - left + 1}"))
        ax.plot((left + right) / 2, (top + bottom) / 2, "o", color=colour, ms=4)
        lo, hi = min(lo, top, left), max(hi, bottom, right)
    ax.set_xlim(lo - 1, hi + 1)
    ax.set_ylim(hi + 1, lo - 1)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title or f"receptive fields in {model.name}", fontsize=9)
    return ax.figure


# -- Architecture columns (He et al. Fig. 3 / seed 004 Fig. 3.11) --


@dataclass(frozen=True)
class ArchitectureBox:
    """One box of :func:`architecture_column`: a convolution, pooling, LRN or FC layer."""

    layer: str
    kind: str  # "conv", "pool", "global_pool", "fc", "norm"
    label: str  # "3x3 conv, 64, /2" in He et al.'s notation
    size: int | None  # output height (None after flatten / global pooling)


_POOLS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
_GLOBAL_POOLS = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)


def _box(layer) -> ArchitectureBox | None:
    out = layer.output.shape
    size = int(out[1]) if len(out) == 4 and out[1] is not None else None
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        stride = layer.strides[0]
        label = f"{kh}x{kw} conv, {layer.filters}" + (f", /{stride}" if stride > 1 else "")
        return ArchitectureBox(layer.name, "conv", label, size)
    if isinstance(layer, _POOLS):
        what = "pool" if isinstance(layer, keras.layers.MaxPooling2D) else "avg pool"
        return ArchitectureBox(layer.name, "pool", f"{what}, /{layer.strides[0]}", size)
    if isinstance(layer, _GLOBAL_POOLS):
        what = "avg" if isinstance(layer, keras.layers.GlobalAveragePooling2D) else "max"
        return ArchitectureBox(layer.name, "global_pool", f"global {what} pool", None)
    if isinstance(layer, keras.layers.Dense):
        return ArchitectureBox(layer.name, "fc", f"fc {layer.units}", None)
    if type(layer).__name__ == "LocalResponseNormalization":
        return ArchitectureBox(layer.name, "norm", "LRN", size)
    return None


def architecture_column(model) -> tuple[list[ArchitectureBox], list[tuple[int, int, bool]]]:
    """A model as He et al. draw it (their Fig. 3): ``(boxes, shortcuts)``.

    Boxes: conv, pooling, LRN and FC layers (no BN, activations, dropout). A shortcut is
    ``(from_box, to_box, dashed)`` (``-1``: the image; dashed when it changes the shape).
    """
    model = prepare_model(model, caller="architecture_column")
    boxes: list[ArchitectureBox] = []
    shortcuts: list[tuple[int, int, bool]] = []
    ancestors: dict[int, frozenset] = {-1: frozenset()}  # box index -> box indices before it
    shapes: dict[int, tuple] = {-1: tuple(flat(model.inputs)[0].shape[1:])}
    where: dict[int, int] = {id(t): -1 for t in flat(model.inputs)}  # tensor -> last box
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        ins = [where.get(id(t), -1) for t in flat(layer.input)]
        outs = flat(layer.output)
        box = _box(layer)
        if box is not None:
            boxes.append(box)
            last = len(boxes) - 1
            ancestors[last] = frozenset(set().union(*({i} | ancestors[i] for i in ins)))
            shapes[last] = tuple(outs[0].shape[1:])
        else:
            last = max(ins)
            if len(set(ins)) > 1:  # a merge: the branches left the column at their last common box
                common = max(set.intersection(*({i} | set(ancestors[i]) for i in ins)), default=-1)
                shortcuts.append((common, last, shapes[common] != tuple(outs[0].shape[1:])))
        for t in outs:
            where[id(t)] = last
    return boxes, shortcuts


_KIND_COLOURS = {"conv": "#cfe2f3", "pool": "#f4cccc", "global_pool": "#f4cccc",
                 "fc": "#d9ead3", "norm": "#fff2cc"}


def plot_architecture(models, titles=None, *, box_height: float = 0.26, ax=None):
    """Draw models side by side as columns of boxes with their shortcuts (He et al., Fig. 3)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    models = [models] if isinstance(models, keras.Model) else list(models)
    columns = [architecture_column(m) for m in models]
    n_max = max(len(b) for b, _ in columns)
    fig, axes = plt.subplots(1, len(models), figsize=(2.6 * len(models), box_height * n_max + 1.2),
                             squeeze=False)
    for k, (ax_, model, (boxes, shortcuts)) in enumerate(zip(axes[0], models, columns)):
        previous_size = None
        for i, b in enumerate(boxes):
            y = -i
            ax_.add_patch(FancyBboxPatch((0.05, y - 0.38), 0.9, 0.76,
                                         boxstyle="round,pad=0.0,rounding_size=0.12",
                                         fc=_KIND_COLOURS[b.kind], ec="#555555", lw=0.6))
            ax_.text(0.5, y, b.label, ha="center", va="center", fontsize=6.5)
            if b.size is not None and b.size != previous_size:
                ax_.text(-0.02, y, f"{b.size}", ha="right", va="center", fontsize=6, color="#777777")
                previous_size = b.size
        for first, last, dashed in shortcuts:
            y0, y1 = -first - 0.4 if first >= 0 else 0.6, -last - 0.4
            xs = np.array([0.95, 1.15, 1.15, 0.95])
            ax_.plot(xs, [y0, y0, y1, y1], ls="--" if dashed else "-", lw=0.9, color="#333333")
        title = (titles[k] if titles is not None else
                 f"{model.name}\n{len(boxes)} boxes, {model.count_params() / 1e6:.1f}M params")
        ax_.set_title(title, fontsize=8)
        ax_.set_xlim(-0.25, 1.3)
        ax_.set_ylim(-n_max + 0.4, 1.0)
        ax_.set_axis_off()
    fig.tight_layout()
    return fig
