"""SimpNet architectures and printed results as data (seed 002), with the ``C_x{y}`` parser.

Seed 002 is a Chinese translation of Hasanpour et al., "Towards Principled Design of Deep
Convolutional Networks: Introducing SimpNet" (arXiv:1802.06205). Its supplement gives the layer
widths of every principle experiment in the notation ``C_x{y}`` ("a convolution with x feature
maps, repeated y times; without braces y = 1"): tables S3-S8. Table S9 gives where the pooling
layers sit in the 13-layer base networks Arch1..Arch5. This module keeps those strings verbatim
(as data) and parses them with :func:`parse_widths`; :mod:`course_lib.models.simpnet` builds and
registers a Keras model for every entry of :data:`ARCHS`.

Table numbers repeat in the translation (two tables labelled 10, two labelled 14), so every table
is named by its content as well as its printed number (see the ``T_*`` constants).

Where the seed is silent or inconsistent, the entries say so in ``note`` and name what was used
instead. The outside information comes from the official repository the seed itself points to
for "complete implementation details" (github.com/Coderx7/SimpNet, ``SimpNetV2/``):

* the widths and dropout rates of the SimpNet variants that the seed only names (5.48M, 8.9M,
  slim 600K, MNIST); the seed never prints a dropout rate;
* the pool positions of networks shorter than the 13-layer columns of table S9;
* the kernel layout of rows whose literal reading disagrees with the printed parameter count
  (checked against that repository's prototxt);
* no dropout and plain max pooling in the principle experiments (their prototxts are "NoDrp").

:data:`PAPER_RESULTS` holds only numbers printed in the seed (tables and running text), each with
its table and a ``zoo_name`` when the row corresponds to a registered model, so the experiment
runner and the notebooks can put the paper's number next to ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "ArchSpec",
    "PaperResult",
    "ARCHS",
    "PAPER_RESULTS",
    "parse_widths",
    "format_widths",
    "parse_param_count",
    "paper_results",
]

OFFICIAL_REPO = "github.com/Coderx7/SimpNet (official code the seed links to)"

# --------------------------------------------------------------------------------------------
# C_x{y} notation
# --------------------------------------------------------------------------------------------

# "C64", "C_64", "C_{64}", each optionally followed by "{repeats}". A bare "C{3}" is rejected:
# it could mean "3 maps" or "3 repeats of a width that went missing".
_ITEM = re.compile(r"^C(?:_\{(?P<braced>\d+)\}|_?(?P<plain>\d+))(?:\{(?P<repeat>\d+)\})?$")


def parse_widths(spec: str) -> list[int]:
    """Expand the supplement's ``C_x{y}`` notation into one width per conv layer.

    Accepted spellings of one item: ``C64``, ``C64{3}``, ``C_64``, ``C_{64}`` and the LaTeX form of
    the seed, ``C_{64}\\{3\\}``, optionally inside ``$...$``; items are separated by commas and
    whitespace is ignored.

    Args:
        spec: e.g. ``"C41, C43, C70{4}, C85, C90"``.

    Returns:
        The expanded list of widths, e.g. ``[41, 43, 70, 70, 70, 70, 85, 90]``.

    Raises:
        TypeError: ``spec`` is not a string.
        ValueError: the string is empty, an item is empty (stray comma), an item is not of the
            form ``C<maps>`` / ``C<maps>{<repeats>}``, or maps/repeats is 0. The message names
            the item, its position and the whole spec.

    Example:

    >>> parse_widths("C64{2}, C128{2}, C256{2}")
    [64, 64, 128, 128, 256, 256]
    """
    if not isinstance(spec, str):
        raise TypeError(
            f"parse_widths expects a string in C_x{{y}} notation such as 'C64, C128{{3}}'. "
            f"Received: spec={spec!r} of type {type(spec).__name__}"
        )
    text = spec.replace("$", "").replace("\\{", "{").replace("\\}", "}")
    if not text.strip():
        raise ValueError(
            "The width spec is empty; write one item per conv group, e.g. 'C64, C128{3}'. "
            f"Received: spec={spec!r}"
        )
    widths: list[int] = []
    for position, raw in enumerate(text.split(","), start=1):
        item = re.sub(r"\s+", "", raw)
        if not item:
            raise ValueError(
                f"Item {position} of the width spec is empty (stray or doubled comma?). "
                f"Received: spec={spec!r}"
            )
        match = _ITEM.match(item)
        if match is None:
            raise ValueError(
                f"Item {position} ({raw.strip()!r}) is not in C_x{{y}} form: expected 'C<maps>' or "
                f"'C<maps>{{<repeats>}}' with positive integers, e.g. 'C64' or 'C128{{3}}'. "
                f"Received: spec={spec!r}"
            )
        maps = int(match.group("braced") or match.group("plain"))
        repeats = int(match.group("repeat")) if match.group("repeat") is not None else 1
        if maps < 1 or repeats < 1:
            which = "feature maps" if maps < 1 else "repeat count"
            raise ValueError(
                f"Item {position} ({raw.strip()!r}) has {which} 0; both the number of maps and the "
                f"repeat count must be >= 1. Received: spec={spec!r}"
            )
        widths.extend([maps] * repeats)
    return widths


def format_widths(widths: Iterable[int]) -> str:
    """Write widths back in ``C_x{y}`` notation, merging runs of equal widths.

    >>> format_widths([41, 43, 70, 70, 70, 70, 85, 90])
    'C41, C43, C70{4}, C85, C90'
    """
    values = [int(w) for w in widths]
    if not values or any(w < 1 for w in values):
        raise ValueError(f"widths must be a non-empty sequence of positive integers. Received: widths={values!r}")
    items: list[str] = []
    run_value, run_length = values[0], 1
    for w in values[1:] + [None]:  # type: ignore[list-item]
        if w == run_value:
            run_length += 1
            continue
        items.append(f"C{run_value}" + (f"{{{run_length}}}" if run_length > 1 else ""))
        run_value, run_length = w, 1
    return ", ".join(items)


_PARAMS = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KkMm])\s*$")


def parse_param_count(printed: str) -> int:
    """Turn a printed parameter count (``"300K"``, ``"1.6M"``, ``"5.48M"``) into an integer.

    Raises:
        ValueError: not a number followed by K or M.
    """
    match = _PARAMS.match(str(printed))
    if match is None:
        raise ValueError(
            "A printed parameter count must be a number followed by K or M, e.g. '300K' or '1.6M'. "
            f"Received: printed={printed!r}"
        )
    scale = 1_000 if match.group("unit").lower() == "k" else 1_000_000
    return int(round(float(match.group("number")) * scale))


# --------------------------------------------------------------------------------------------
# Tables, named by content (the translation repeats numbers 10 and 14)
# --------------------------------------------------------------------------------------------

T_GRADUAL = "Table 2 (gradual expansion: Arch1 at 300K, 8/9/10/13 layers)"
T_MIN_ALLOC = "Table 3 (minimum allocation: shallow-wide vs deep-thin, Arch1)"
T_BALANCED = "Table 4 (balanced vs unbalanced width distribution, Arch2)"
T_POOL_POS = "Table 5 (pooling position / maximum information utilization, Arch3)"
T_STRIDED = "Table 6 (strided convolution vs max pooling)"
T_KERNEL = "Table 7 (kernel size 3x3 / 5x5 / 7x7, Arch4)"
T_KERNEL_POS = "Table 8 (1x1 / 2x2 / 3x3 kernels by position, Arch5)"
T_ISOLATION = "Table 9 (experiment isolation: 3x3 vs 5x5 at unequal size)"
T_UNFAIR = "first Table 10 (unequal-capacity comparison: 5x5 at the start vs at the end)"
T_SAF = "second Table 10 (SAF-pooling on/off; Table 11 of the original paper)"
T_CIFAR = "Table 12 (CIFAR-10/100 results vs other networks)"
T_MNIST = "Table 13 (MNIST test error without augmentation)"
T_SVHN = "first Table 14 (SVHN test error)"
T_SLIM = "second Table 14 (slim 300K/600K models on CIFAR-10/100)"
T_S1 = "Table S1 (accuracy and training time by kernel size at 1.6M)"

_S9 = "table S9 (pool positions of the 13-layer Arch1..Arch5)"


# --------------------------------------------------------------------------------------------
# Architectures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchSpec:
    """One buildable SimpNet-style network, kept as data.

    Attributes:
        name: registry name (e.g. ``"Arch1-8L"``).
        family: ``"simpnet"`` (the paper's models) or ``"simpnet-principles"`` (experiments).
        table: the table the network belongs to, by content (``T_*`` constants).
        widths: layer widths in ``C_x{y}`` notation, as used to build the model.
        pool_after: 1-based conv indices followed by a 2x2 downsampling step.
        params_printed: the parameter count printed in the seed (``"300K"``), or ``""``.
        source: where widths, pools and kernels come from.
        kernel_size: kernel size of every layer not in ``kernel_overrides``.
        kernel_overrides: ``(first_layer, last_layer, size)`` triples, 1-based inclusive.
        dropout: one rate for every dropout slot, or one rate per conv layer (see
            :func:`course_lib.models.simpnet.build_simpnet`).
        saf: SAF-pooling (max pool then dropout) at the downsampling steps, else plain max pool.
        input_shape: default input shape.
        num_classes: default number of classes.
        widths_as_printed: the seed's verbatim cell where it differs from ``widths`` (garbled).
        note: interpretations and disagreements, in words.
    """

    name: str
    family: str
    table: str
    widths: str
    pool_after: tuple[int, ...]
    params_printed: str
    source: str
    kernel_size: int = 3
    kernel_overrides: tuple[tuple[int, int, int], ...] = ()
    dropout: float | tuple[float, ...] = 0.0
    saf: bool = False
    input_shape: tuple[int, int, int] = (32, 32, 3)
    num_classes: int = 10
    widths_as_printed: str | None = None
    note: str = ""

    def layer_widths(self) -> list[int]:
        """The expanded widths (one per conv layer)."""
        return parse_widths(self.widths)

    def kernel_sizes(self) -> list[int]:
        """The kernel size of every conv layer, overrides applied."""
        sizes = [self.kernel_size] * len(self.layer_widths())
        for first, last, size in self.kernel_overrides:
            if not 1 <= first <= last <= len(sizes):
                raise ValueError(
                    f"{self.name}: kernel override ({first}, {last}, {size}) is outside layers 1..{len(sizes)}."
                )
            for index in range(first - 1, last):
                sizes[index] = size
        return sizes

    @property
    def params_printed_value(self) -> int | None:
        """The printed parameter count as an integer, or ``None`` when none is printed."""
        return parse_param_count(self.params_printed) if self.params_printed else None

    def builder_kwargs(self) -> dict:
        """Keyword arguments for :func:`course_lib.models.simpnet.build_simpnet`."""
        kwargs: dict = {
            "widths": self.widths,
            "pool_positions": tuple(self.pool_after),
            "dropout": self.dropout,
            "saf": self.saf,
        }
        if self.kernel_overrides:
            kwargs["kernel_sizes"] = tuple(self.kernel_sizes())
        else:
            kwargs["kernel_size"] = self.kernel_size
        return kwargs


def _drop(first: float, first_count: int, rest: float, total: int = 13) -> tuple[float, ...]:
    return (first,) * first_count + (rest,) * (total - first_count)


_SIMPNET_NOTE = (
    "The seed describes SimpNet (section 4: 13 conv layers, 3x3, 2x2 pooling, BN + ReLU + dropout, "
    "global max pooling, one FC) and prints its size (Table 12) but gives no widths; widths and "
    "dropout rates are those of the official Caffe model. Dropout: 0.2 after convs 1-9 and in the "
    "first SAF pool, 0.3 in the second SAF pool, after convs 11-12 and after global max pooling. "
    "The conv right before a pool (and the last conv) has no dropout of its own: the pool's (or the "
    "head's) dropout takes its place, as in the official prototxt."
)

_PRINCIPLE_NOTE = (
    "No dropout and plain max pooling by default: the official prototxts of the principle "
    "experiments have their dropout layers commented out ('NoDrp'). Pass saf=True, dropout=... "
    "to change that."
)

ARCHS: dict[str, ArchSpec] = {}


def _add(spec: ArchSpec) -> None:
    if spec.name in ARCHS:
        raise ValueError(f"Duplicate architecture name {spec.name!r}")
    ARCHS[spec.name] = spec


# ---- the paper's models (family "simpnet") ---------------------------------------------------
_add(ArchSpec(
    name="SimpNet",
    family="simpnet",
    table=T_CIFAR,
    widths="C66, C128{3}, C192{5}, C288{2}, C355, C432",
    pool_after=(5, 10),
    params_printed="5.48M",
    dropout=_drop(0.2, 9, 0.3),
    saf=True,
    source=(
        "seed 002 section 4 and Table 12 (5.48M); widths/dropout from SimpNetV2/Architectures/"
        f"CIFAR10/5Mil of {OFFICIAL_REPO}"
    ),
    note=_SIMPNET_NOTE,
))
_add(ArchSpec(
    name="SimpNet-8.9M",
    family="simpnet",
    table=T_CIFAR,
    widths="C128, C182{8}, C430{2}, C455, C600",
    pool_after=(5, 10),
    params_printed="8.9M",
    dropout=0.2,
    saf=True,
    source=f"seed 002 Table 12 (8.9M); widths/dropout from SimpNetV2/Architectures/CIFAR10/8.9Mil of {OFFICIAL_REPO}",
    note="The seed prints only the size (8.9M); widths are the official Caffe model's, dropout 0.2 everywhere.",
))
_add(ArchSpec(
    name="SimpNet-Slim-300K",
    family="simpnet",
    table=T_SLIM,
    widths="C30, C40{3}, C50{5}, C58{2}, C70, C90",
    pool_after=(5, 10),
    params_printed="300K",
    dropout=0.0,
    saf=False,
    source=(
        "seed 002 table S3 (13-layer, 300K: the same widths); official SimpNetV2/Experiments/Slim Test/"
        f"CIFAR10/300K_93.25 of {OFFICIAL_REPO}"
    ),
    note=(
        "The seed's 13-layer 300K configuration (S3) is exactly the official slim-300K network. "
        "That official CIFAR-10 file has every dropout commented out and plain max pooling, so the "
        "defaults here are dropout=0.0, saf=False."
    ),
))
_add(ArchSpec(
    name="SimpNet-Slim-600K",
    family="simpnet",
    table=T_SLIM,
    widths="C40, C60{3}, C72, C73{3}, C75, C81, C82, C90, C120",
    pool_after=(5, 10),
    params_printed="600K",
    dropout=_drop(0.1, 9, 0.2),
    saf=True,
    source=f"seed 002 second Table 14 (600K); widths/dropout from SimpNetV2/Experiments/Slim Test/CIFAR10/600K_94.03 of {OFFICIAL_REPO}",
    note="Widths are not in the seed. Official dropout: 0.1 after convs 1-9 and in the first pool, 0.2 afterwards.",
))
_add(ArchSpec(
    name="SimpNet-MNIST",
    family="simpnet",
    table=T_MNIST,
    widths="C66, C64{3}, C96{5}, C144{2}, C178, C216",
    pool_after=(5, 10),
    params_printed="",
    dropout=0.2,
    saf=True,
    input_shape=(28, 28, 1),
    source=f"seed 002 Table 13 (MNIST, 0.25% error); widths from SimpNetV2/Architectures/MNIST of {OFFICIAL_REPO}",
    note=(
        "The seed gives neither widths nor a size for the MNIST model. The official MNIST model is "
        "narrower than the CIFAR one (about 1.4M parameters); dropout 0.2 everywhere."
    ),
))
_add(ArchSpec(
    name="SimpNet-SVHN",
    family="simpnet",
    table=T_SVHN,
    widths="C66, C128{3}, C192{5}, C288{2}, C355, C432",
    pool_after=(5, 10),
    params_printed="",
    dropout=_drop(0.2, 9, 0.3),
    saf=True,
    source=f"seed 002 first Table 14 (SVHN, 1.648% error); SimpNetV2/Architectures/SVHN of {OFFICIAL_REPO}",
    note="The seed does not describe an SVHN-specific model; the official SVHN model is the CIFAR-10 5.48M one.",
))

# ---- Arch1: gradual expansion (Table 2, widths S3) and minimum allocation (Table 3, widths S4) ----
_ARCH1_SHORT_POOLS = (
    "S9 only shows the 13-layer Arch1 (pools after conv5 and conv10); pools of the shorter nets are "
    "taken from the official prototxt/log of that run"
)
for _name, _widths, _pools, _pool_src in (
    ("Arch1-8L", "C41, C43, C70{4}, C85, C90", (3, 7), _ARCH1_SHORT_POOLS),
    ("Arch1-9L", "C44{2}, C57{4}, C75, C85, C96", (3, 7), _ARCH1_SHORT_POOLS),
    ("Arch1-10L", "C40{3}, C55{4}, C75, C85, C95", (4, 8), _ARCH1_SHORT_POOLS),
    ("Arch1-13L", "C30, C40{3}, C50{5}, C58{2}, C70, C90", (5, 10), _S9),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_GRADUAL,
        widths=_widths,
        pool_after=_pools,
        params_printed="300K",
        source=f"seed 002 table S3 (widths); pools: {_pool_src}",
        note=_PRINCIPLE_NOTE,
    ))

_add(ArchSpec(
    name="Arch1-6L-1.1M",
    family="simpnet-principles",
    table=T_MIN_ALLOC,
    widths="C64{2}, C128{2}, C256{2}",
    pool_after=(2, 4),
    params_printed="1.1M",
    source=f"seed 002 table S4 (widths); pools after conv2 and conv4 from the official run's log ({OFFICIAL_REPO})",
    note=_PRINCIPLE_NOTE,
))
_add(ArchSpec(
    name="Arch1-10L-570K",
    family="simpnet-principles",
    table=T_MIN_ALLOC,
    widths="C32, C48{2}, C96{7}",
    pool_after=(4, 7, 9),
    params_printed="570K",
    source=f"seed 002 table S4 (widths); pools after conv4, conv7, conv9 from the official run's log ({OFFICIAL_REPO})",
    note=_PRINCIPLE_NOTE,
))

# ---- Arch2: balanced distribution (Table 4, widths S5, pools S9) -----------------------------
_ARCH2_13_NOTE = (
    "Kernel layout: S9 marks conv11 and conv12 of Arch2 as 1x1, but with these S5 widths that "
    "reading gives ~0.72M (wide end) / ~0.20M (balanced) parameters, not the printed 128K. Putting "
    "the 1x1 kernels on conv12 and conv13 instead gives 128K for both rows and matches the official "
    "prototxt ('end has 1x1 kernels'), so that layout is used. Pools follow S9 (after conv4, 7, 9, "
    "12); the official prototxt pools after conv5, 9, 11, 12 and pads its 1x1 convs by 1 (Caffe), "
    "which 'same' padding here does not reproduce. "
) + _PRINCIPLE_NOTE
for _name, _widths, _printed in (
    ("Arch2-10L-WideEnd", "C64, C128{2}, C256{3}, C384{2}, C512{2}", "8M"),
    ("Arch2-10L-Balanced", "C150, C200{2}, C300{5}, C512{2}", "8M"),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_BALANCED,
        widths=_widths,
        pool_after=(4, 7, 9),
        params_printed=_printed,
        source=f"seed 002 table S5 (widths); {_S9}, Arch2 column cut after its first 10 layers as the text says",
        note="All 3x3 (S9's 1x1 layers are conv11/conv12, beyond the first 10). " + _PRINCIPLE_NOTE,
    ))
for _name, _widths in (
    ("Arch2-13L-WideEnd", "C19, C16{7}, C32{3}, C252, C300"),
    ("Arch2-13L-Balanced", "C19, C25{7}, C56{3}, C110{2}"),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_BALANCED,
        widths=_widths,
        pool_after=(4, 7, 9, 12),
        kernel_overrides=((12, 13, 1),),
        params_printed="128K",
        source=f"seed 002 table S5 (widths); pools from {_S9}; 1x1 on conv12-13 (see note)",
        note=_ARCH2_13_NOTE,
    ))

# ---- Arch3: pooling position (Table 5, widths S6, pools S9) ----------------------------------
for _name, _first_pool, _label in (
    ("Arch3-pool-L5", 5, "default"),
    ("Arch3-pool-L3", 3, "early pooling"),
    ("Arch3-pool-L7", 7, "delayed pooling"),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_POOL_POS,
        widths="C6, C12{3}, C19{5}, C28{2}, C35, C43",
        pool_after=(_first_pool, 10),
        params_printed="53K",
        source=f"seed 002 table S6 (widths); {_S9} (default: after conv5 and conv10); Table 5 moves the first pool",
        note=f"{_label}: first pool after conv{_first_pool}; the second stays after conv10. " + _PRINCIPLE_NOTE,
    ))

# ---- Arch4: kernel sizes (Table 7, widths in the table labelled S7, 8 layers) ----------------
_ARCH4_POOLS = (
    "Arch4 has 8 layers (section 5) while the S9 column shows 13; pools after conv3 and conv7 as in "
    "the official 8-layer prototxt"
)
for _name, _widths, _k, _overrides, _printed, _extra in (
    ("Arch4-3x3-300K", "C41, C43, C70{4}, C85, C90", 3, (), "300K", "Same network as Arch1-8L."),
    ("Arch4-3x3-1.6M", "C66, C96, C128{4}, C215, C384", 3, (), "1.6M", ""),
    ("Arch4-5x5-1.6M", "C53, C55, C90{4}, C110, C200", 5, (), "1.6M", ""),
    ("Arch4-7x7-300K-v1", "C20{2}, C30{4}, C35, C38", 7, (), "300K", "300K.v1: every layer 7x7, fewer maps."),
    ("Arch4-7x7-300K-v2", "C35, C38, C65{4}, C74, C75", 3, ((1, 2, 7),), "300K",
     "300K.v2: 7x7 only in the first two layers, 3x3 elsewhere (section 5 text)."),
    ("Arch4-7x7-1.6M", "C41, C43, C70{4}, C85, C90", 7, (), "1.6M",
     "Same widths as the 3x3 300K net, so 49/9 times its conv weights."),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_KERNEL,
        widths=_widths,
        pool_after=(3, 7),
        kernel_size=_k,
        kernel_overrides=_overrides,
        params_printed=_printed,
        source=f"seed 002 table labelled S7 (kernel-size configurations); pools: {_ARCH4_POOLS}",
        note=(_extra + " " + _PRINCIPLE_NOTE).strip(),
    ))

# ---- Arch5: 1x1 / 2x2 / 3x3 by position (Table 8, widths S8, pools S9) ------------------------
_ARCH5_END = (
    "'End' is taken to mean the last two conv layers: that is the layout whose parameter count "
    "matches the printed 128K (and the official 11-layer 2x2 prototxt). "
)
_ARCH5_11 = (
    "The translation's cell is garbled (braces lost: 'C_{257}' is C25{7}, 'C_{922}' is C92{2}, "
    "'C_{643}' is C64{3}); restored, the net has 11 layers, as the official README says ('Arch5, 11 "
    "Layers ... bigger learned feature-maps'), although Table 8 of the translation says 13. "
)
for _name, _widths, _overrides, _printed_cell, _extra in (
    ("Arch5-1x1-L1-L3", "C21, C32{8}, C37, C48, C49, C50", ((1, 3, 1),), None, ""),
    ("Arch5-2x2-L1-L3", "C20, C32{8}, C38, C46{3}", ((1, 3, 2),), None, ""),
    ("Arch5-1x1-L4-L8", "C20, C32{2}, C46{6}, C48{3}, C49", ((4, 8, 1),), None, ""),
    ("Arch5-2x2-L4-L8", "C20, C32, C33, C41{2}, C40{4}, C41, C43, C44, C45", ((4, 8, 2),), None, ""),
    ("Arch5-1x1-End", "C19, C25{7}, C64, C53{2}, C108{2}", ((12, 13, 1),), None, _ARCH5_END),
    ("Arch5-3x3-End", "C19, C25{7}, C26, C51{3}, C52", (), None, "All layers 3x3. "),
    ("Arch5-2x2-End-11L", "C19, C25{7}, C91, C92{2}", ((10, 11, 2),), "C_{19}, C_{257}, C_{91}, C_{922}",
     _ARCH5_11 + _ARCH5_END),
    ("Arch5-3x3-End-11L", "C20, C25{7}, C64{3}", (), "C_{20}, C_{257}, C_{643}", _ARCH5_11 + "All layers 3x3. "),
):
    _add(ArchSpec(
        name=_name,
        family="simpnet-principles",
        table=T_KERNEL_POS,
        widths=_widths,
        pool_after=(5, 9),
        kernel_overrides=_overrides,
        params_printed="128K",
        widths_as_printed=_printed_cell,
        source=f"seed 002 table S8 (widths, 'L1->L3' etc. = layers with the small kernel); {_S9} (after conv5, conv9)",
        note=(_extra + _PRINCIPLE_NOTE).strip(),
    ))


# --------------------------------------------------------------------------------------------
# Printed results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperResult:
    """One printed result of seed 002.

    Attributes:
        table: the table, by content (``T_*`` constants) or ``"text, section ..."``.
        model: the row label as printed (translated to English).
        dataset: ``"cifar10"``, ``"cifar100"``, ``"mnist"`` or ``"svhn"``.
        params_printed: printed parameter count (``"300K"``), ``""`` when none is printed.
        accuracy_printed: printed top-1 accuracy in percent, or ``None``.
        error_printed: printed test error in percent (MNIST/SVHN tables), or ``None``.
        source: ``"seed 002, <table>"``.
        zoo_name: the registered model this row corresponds to, or ``None``.
        printed: the cell as printed when it is not one plain number (``"1.79-1.59"``).
        note: anything needed to read the row.
        augmentation: the training setting the number belongs to, where the source says:
            True (zero-padding + mirroring), False (none), None (not stated). A report picks
            the row matching the run's setting (``course_lib.train.reporting``).
    """

    table: str
    model: str
    dataset: str
    params_printed: str
    accuracy_printed: float | None
    error_printed: float | None
    source: str
    zoo_name: str | None = None
    printed: str = ""
    note: str = ""
    augmentation: bool | None = None


def _rows(table: str, dataset: str, rows: Sequence[tuple], *, error: bool = False) -> list[PaperResult]:
    out = []
    for row in rows:
        model, params, value, zoo = row[:4]
        extra = row[4] if len(row) > 4 else {}
        out.append(PaperResult(
            table=table,
            model=model,
            dataset=dataset,
            params_printed=params,
            accuracy_printed=None if error else value,
            error_printed=value if error else None,
            source=f"seed 002, {table}",
            zoo_name=zoo,
            **extra,
        ))
    return out


PAPER_RESULTS: tuple[PaperResult, ...] = tuple(
    _rows(T_GRADUAL, "cifar10", [
        ("Arch1, 8 layers", "300K", 90.21, "Arch1-8L"),
        ("Arch1, 9 layers", "300K", 90.55, "Arch1-9L"),
        ("Arch1, 10 layers", "300K", 90.61, "Arch1-10L"),
        ("Arch1, 13 layers", "300K", 89.78, "Arch1-13L"),
    ])
    + _rows(T_MIN_ALLOC, "cifar10", [
        ("Arch1, 6 layers", "1.1M", 92.18, "Arch1-6L-1.1M"),
        ("Arch1, 10 layers", "570K", 92.23, "Arch1-10L-570K"),
    ])
    + _rows(T_BALANCED, "cifar10", [
        ("Arch2, 10 layers (unbalanced / wide end)", "8M", 95.19, "Arch2-10L-WideEnd"),
        ("Arch2, 10 layers (balanced width)", "8M", 95.51, "Arch2-10L-Balanced"),
        ("Arch2, 13 layers (unbalanced / wide end)", "128K", 87.20, "Arch2-13L-WideEnd"),
        ("Arch2, 13 layers (balanced width)", "128K", 89.70, "Arch2-13L-Balanced"),
    ])
    + _rows(T_POOL_POS, "cifar10", [
        ("Arch3, L5 (default)", "53K", 79.09, "Arch3-pool-L5"),
        ("Arch3, L3 (early pooling)", "53K", 77.34, "Arch3-pool-L3"),
        ("Arch3, L7 (delayed pooling)", "53K", 79.44, "Arch3-pool-L7"),
    ])
    + _rows(T_STRIDED, "cifar100", [
        ("SimpNet*, 13 layers, max pooling", "360K", 62.28, None, {
            "note": "Widths not in the seed. The official README prints 69.28 for this row; 62.28 is the translation's."}),
        ("SimpNet*, 15 layers, max pooling", "360K", 68.89, None, {"note": "Widths not in the seed."}),
        ("SimpNet†, 15 layers, strided convolution", "360K", 68.10, None, {"note": "Widths not in the seed."}),
    ])
    + _rows(T_STRIDED, "cifar10", [
        ("ResNet*, 32 layers, max pooling", "460K", 93.75, None),
        ("ResNet†, 32 layers, strided convolution", "460K", 93.46, None),
    ])
    + _rows(T_KERNEL, "cifar10", [
        ("Arch4, 3x3", "300K", 90.21, "Arch4-3x3-300K"),
        ("Arch4, 3x3", "1.6M", 92.14, "Arch4-3x3-1.6M"),
        ("Arch4, 5x5", "1.6M", 90.99, "Arch4-5x5-1.6M"),
        ("Arch4, 7x7 (300K.v1)", "300K", 86.09, "Arch4-7x7-300K-v1", {"printed": "300K.v1"}),
        ("Arch4, 7x7 (300K.v2)", "300K", 88.57, "Arch4-7x7-300K-v2", {"printed": "300K.v2"}),
        ("Arch4, 7x7", "1.6M", 89.22, "Arch4-7x7-1.6M"),
    ])
    + _rows(T_KERNEL_POS, "cifar10", [
        ("Arch5, 13 layers, 1x1 in early layers", "128K", 87.71, "Arch5-1x1-L1-L3", {"printed": "87.71 vs. 88.50"}),
        ("Arch5, 13 layers, 2x2 in early layers", "128K", 88.50, "Arch5-2x2-L1-L3", {"printed": "87.71 vs. 88.50"}),
        ("Arch5, 13 layers, 1x1 in middle layers", "128K", 88.16, "Arch5-1x1-L4-L8", {"printed": "88.16 vs. 88.51"}),
        ("Arch5, 13 layers, 2x2 in middle layers", "128K", 88.51, "Arch5-2x2-L4-L8", {"printed": "88.16 vs. 88.51"}),
        ("Arch5, 13 layers, 1x1 at the end (smaller output)", "128K", 89.45, "Arch5-1x1-End", {"printed": "89.45 vs. 89.60"}),
        ("Arch5, 13 layers, 3x3 at the end (larger output)", "128K", 89.60, "Arch5-3x3-End", {"printed": "89.45 vs. 89.60"}),
        ("Arch5, 2x2 at the end (larger feature maps)", "128K", 89.30, "Arch5-2x2-End-11L", {
            "printed": "89.30 vs. 89.44", "note": "Printed as 13 layers; the S8 widths have 11 (see Arch5-2x2-End-11L)."}),
        ("Arch5, 3x3 at the end (larger feature maps)", "128K", 89.44, "Arch5-3x3-End-11L", {
            "printed": "89.30 vs. 89.44", "note": "Printed as 13 layers; the S8 widths have 11 (see Arch5-3x3-End-11L)."}),
    ])
    + _rows(T_ISOLATION, "cifar10", [
        ("3x3 kernels", "300K", 90.21, "Arch4-3x3-300K", {"note": "Sizes from the text under Table 9: 300K vs 1.6M."}),
        ("5x5 kernels instead of 3x3", "1.6M", 90.99, "Arch4-5x5-1.6M", {"note": "Sizes from the text under Table 9."}),
    ])
    + _rows(T_UNFAIR, "cifar10", [
        ("5x5 kernels at the start", "412K", 89.53, None, {
            "note": "Sizes from the text ('the first has only 412K, the second 640K'); widths not in the seed. "
                    "The translated sentence 'putting 5x5 at the start is better than at the end' contradicts "
                    "the printed numbers; the numbers are kept as printed."}),
        ("5x5 kernels at the end", "640K", 90.15, None, {"note": "See the first row."}),
    ])
    + _rows(T_SAF, "cifar10", [
        ("SqueezeNet v1.1 with SAF-pooling", "", 88.05, None, {"printed": "88.05(avg)"}),
        ("SqueezeNet v1.1 without SAF-pooling", "", 87.74, None, {"printed": "87.74(avg)"}),
        ("SimpNet (slim) with SAF-pooling", "", 94.76, None, {
            "note": "The text says 'our slim architecture'; its size is not printed, so no zoo model is named."}),
        ("SimpNet (slim) without SAF-pooling", "", 94.68, None),
    ])
    + _rows(T_CIFAR, "cifar10", [
        ("VGGNet(16L)", "138M", 91.4, None, {"printed": "91.4 / 92.45"}),
        ("VGGNet(16L) enhanced", "138M", 92.45, None, {"printed": "91.4 / 92.45"}),
        ("ResNet-110L", "1.7M", 93.57, None),
        ("ResNet-1202L", "10.2M", 92.07, None),
        ("SD-110L", "1.7M", 94.77, None),
        ("SD-1202L", "10.2M", 95.09, None),
        ("WRN-(16/8)", "11M", 95.19, None),
        ("WRN-(28/10)", "36M", 95.83, None),
        ("DenseNet", "27.2M", 96.26, None),
        ("Highway Network", "", 92.40, None, {"printed": "#params N/A"}),
        ("FitNet", "1M", 91.61, None),
        ("FMP* (1 test)", "12M", 95.50, None),
        ("Max-out (k=2)", "6M", 90.62, None),
        ("Network in Network", "1M", 91.19, None),
        ("DSN", "1M", 92.03, None),
        ("Max-out NIN", "", 93.25, None),
        ("LSUV", "", 94.16, None, {"printed": "#params N/A"}),
        ("SimpNet", "5.48M", 95.49, "SimpNet", {
            "printed": "95.49/95.56",
            "note": "First of the two printed CIFAR-10 numbers. The text below the table gives 95.26 without "
                    "augmentation and 95.56 with it, which does not match 95.49."}),
        ("SimpNet (with augmentation)", "5.48M", 95.56, "SimpNet", {
            "printed": "95.49/95.56", "augmentation": True,
            "note": "Section 5.C.1: 95.56% with augmentation (zero-padding and mirroring)."}),
        ("SimpNet", "8.9M", 95.89, "SimpNet-8.9M"),
    ])
    + _rows("text, section 5.C.1 (CIFAR-10)", "cifar10", [
        ("SimpNet (without augmentation)", "5.48M", 95.26, "SimpNet", {
            "augmentation": False,
            "note": "Section 5.C.1: 95.26% without augmentation (no zero-padding and "
                    "normalisation)."}),
    ])
    + _rows(T_CIFAR, "cifar100", [
        ("ResNet-110L", "1.7M", 74.84, None),
        ("ResNet-1202L", "10.2M", 72.18, None),
        ("SD-110L", "1.7M", 75.42, None),
        ("WRN-(16/8)", "11M", 77.11, None),
        ("WRN-(28/10)", "36M", 79.5, None),
        ("DenseNet", "27.2M", 80.75, None),
        ("Highway Network", "", 67.76, None),
        ("FitNet", "1M", 64.96, None),
        ("FMP* (1 test)", "12M", 73.61, None),
        ("Max-out (k=2)", "6M", 65.46, None),
        ("Network in Network", "1M", 64.32, None),
        ("DSN", "1M", 65.43, None),
        ("Max-out NIN", "", 71.14, None),
        ("SimpNet", "5.48M", 78.08, "SimpNet", {"note": "Build with num_classes=100."}),
        ("SimpNet", "8.9M", 79.17, "SimpNet-8.9M", {"note": "Build with num_classes=100."}),
    ])
    + _rows(T_MNIST, "mnist", [
        ("Batch-normalized Max-out NIN", "", 0.24, None),
        ("Max-out network (k=2)", "", 0.45, None),
        ("Network In Network", "", 0.45, None),
        ("Deeply Supervised Network", "", 0.39, None),
        ("RCNN-96", "", 0.31, None),
        ("SimpNet", "", 0.25, "SimpNet-MNIST"),
    ], error=True)
    + _rows("text, section 5.C.2 (MNIST)", "mnist", [
        ("SimpNet slim", "300K", 99.73, None, {
            "note": "Accuracy, from the text; the slim MNIST widths are not in the seed."}),
    ])
    + _rows(T_SVHN, "svhn", [
        ("Network in Network", "", 2.35, None),
        ("Deeply Supervised Net", "", 1.92, None),
        ("ResNet (reported by [66])", "", 2.01, None),
        ("ResNet with Stochastic Depth", "", 1.75, None),
        ("DenseNet", "", None, None, {"printed": "1.79-1.59"}),
        ("Wide ResNet", "", None, None, {"printed": "2.08-1.64"}),
        ("SimpNet", "", 1.648, "SimpNet-SVHN"),
    ], error=True)
    + _rows("text, section 5.C.3 (SVHN)", "svhn", [
        ("SimpNet slim", "300K", 1.95, None, {"note": "Error rate, from the text; slim SVHN widths are not in the seed."}),
    ], error=True)
    + _rows(T_SLIM, "cifar10", [
        ("Ours (slim)", "300K", 93.25, "SimpNet-Slim-300K", {"printed": "300K - 600K: 93.25 - 94.03"}),
        ("Ours (slim)", "600K", 94.03, "SimpNet-Slim-600K", {"printed": "300K - 600K: 93.25 - 94.03"}),
        ("Maxout", "6M", 90.62, None),
        ("DSN", "1M", 92.03, None),
        ("ALLCNN", "1.3M", 92.75, None),
        ("dasNet", "6M", 90.78, None),
        ("ResNet (depth 32, tested by the authors)", "475K", 93.22, None),
        ("WRN", "600K", 93.15, None),
        ("NIN", "1M", 91.19, None),
    ])
    + _rows(T_SLIM, "cifar100", [
        ("Ours (slim)", "300K", 68.47, "SimpNet-Slim-300K", {"printed": "300K - 600K: 68.47 - 71.74"}),
        ("Ours (slim)", "600K", 71.74, "SimpNet-Slim-600K", {"printed": "300K - 600K: 68.47 - 71.74"}),
        ("Maxout", "6M", 65.46, None),
        ("DSN", "1M", 65.43, None),
        ("ALLCNN", "1.3M", 66.29, None),
        ("dasNet", "6M", 66.22, None),
        ("ResNet (depth 32, tested by the authors)", "475K", None, None, {"printed": "67.37-68.95"}),
        ("WRN", "600K", 69.11, None),
    ])
    + _rows(T_S1, "cifar10", [
        ("3x3 kernels", "1.6M", 92.14, "Arch4-3x3-1.6M", {"note": "Training time 41.32 min (Caffe, cuDNN v6)."}),
        ("5x5 kernels", "1.6M", 90.99, "Arch4-5x5-1.6M", {"note": "Training time 45.29 min (Caffe, cuDNN v6)."}),
        ("7x7 kernels", "1.6M", 89.22, "Arch4-7x7-1.6M", {"note": "Training time 64.52 min (Caffe, cuDNN v6)."}),
    ])
)


def paper_results(*, zoo_name: str | None = None, table: str | None = None, dataset: str | None = None) -> list[PaperResult]:
    """The rows of :data:`PAPER_RESULTS` matching every given filter (exact match)."""
    return [
        row for row in PAPER_RESULTS
        if (zoo_name is None or row.zoo_name == zoo_name)
        and (table is None or row.table == table)
        and (dataset is None or row.dataset == dataset)
    ]
