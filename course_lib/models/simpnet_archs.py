"""SimpNet architectures and printed results as data (seed 002), with the ``C_x{y}`` parser.

Seed 002 translates Hasanpour et al., "Towards Principled Design of Deep Convolutional
Networks: Introducing SimpNet" (arXiv:1802.06205). Widths (``C_x{y}``, tables S3-S8) and pools
(S9) are kept verbatim in ``course_lib/tables/seed002_archs.csv`` (:data:`ARCHS`); printed
results in ``seed002_paper_results.csv`` (:data:`PAPER_RESULTS`). Table numbers repeat in the
translation, so tables are named by content (``T_*``). Where the seed is silent or inconsistent
an entry's ``note`` says so and the official repository (github.com/Coderx7/SimpNet,
``SimpNetV2/``) decides: widths and dropout of named variants, short pool lists, kernel
layouts, and no dropout in the principle experiments (their prototxts are "NoDrp").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from course_lib.core import Registry

__all__ = [
    "ArchSpec", "PaperResult", "ARCHS", "PAPER_RESULTS", "parse_widths", "format_widths",
    "parse_param_count", "paper_results",
]

OFFICIAL_REPO = "github.com/Coderx7/SimpNet (official code the seed links to)"

# -- C_x{y} notation --

# "C64", "C_64", "C_{64}", each optionally followed by "{repeats}". A bare "C{3}" is rejected:
# it could mean "3 maps" or "3 repeats of a width that went missing".
_ITEM = re.compile(r"^C(?:_\{(?P<braced>\d+)\}|_?(?P<plain>\d+))(?:\{(?P<repeat>\d+)\})?$")


def parse_widths(spec: str) -> list[int]:
    """Expand the supplement's ``C_x{y}`` notation into one width per conv layer.

    One item: ``C64``, ``C64{3}``, ``C_64``, ``C_{64}`` or the seed's LaTeX ``C_{64}\{3\}``,
    optionally inside ``$...$``; items separated by commas.

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
    """Turn a printed parameter count (``"300K"``, ``"1.6M"``, ``"5.48M"``) into an integer."""
    match = _PARAMS.match(str(printed))
    if match is None:
        raise ValueError(
            "A printed parameter count must be a number followed by K or M, e.g. '300K' or '1.6M'. "
            f"Received: printed={printed!r}"
        )
    scale = 1_000 if match.group("unit").lower() == "k" else 1_000_000
    return int(round(float(match.group("number")) * scale))


# -- Tables, named by content (the translation repeats numbers 10 and 14) --

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


# -- Architectures --


@dataclass(frozen=True)
class ArchSpec:
    """One buildable SimpNet-style network, kept as data.

    Attributes:
        family: ``"simpnet"`` (the paper's models) or ``"simpnet-principles"`` (experiments).
        table: the table, by content (``T_*`` constants).
        widths: ``C_x{y}`` notation as built; ``widths_as_printed``: the seed's garbled cell.
        pool_after: 1-based conv indices followed by 2x2 downsampling.
        source, note: where widths, pools and kernels come from; interpretations, in words.
        kernel_size, kernel_overrides: default size; ``(first, last, size)`` triples, inclusive.
        dropout, saf, input_shape, num_classes: builder defaults.
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


def _read_csv(stem: str) -> list[dict]:
    """The rows of ``course_lib/tables/<stem>.csv``, read with ``importlib.resources`` like every
    seed's tables (``course_lib.analysis.load_table(stem)`` gives the same file as a frame)."""
    import csv
    import importlib.resources

    text = (importlib.resources.files("course_lib") / "tables" / f"{stem}.csv").read_text(
        encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _arch(row: dict) -> ArchSpec:
    """One row of seed002_archs.csv (tuple-valued cells are JSON) as an :class:`ArchSpec`."""
    import json

    out = dict(row)
    for key in ("pool_after", "kernel_overrides", "dropout", "input_shape"):
        out[key] = _tuples(json.loads(row[key]))
    return ArchSpec(**{**out, "kernel_size": int(row["kernel_size"]), "saf": row["saf"] == "True",
                       "num_classes": int(row["num_classes"]),
                       "widths_as_printed": row["widths_as_printed"] or None})


#: Every network: the paper's SimpNets (widths and dropout of the official Caffe models) and
#: the principle experiments' Arch1..Arch5 (seed 002 Tables 2-10, widths S3-S8, pools S9), in
#: course_lib/tables/seed002_archs.csv, one row each, its ``source`` and ``note`` saying where
#: every number comes from.
ARCHS: Registry[ArchSpec] = Registry("SimpNet architecture")
for _row in _read_csv("seed002_archs"):
    ARCHS.register(_row["name"], _arch(_row))


# -- Printed results --


@dataclass(frozen=True)
class PaperResult:
    """One printed result of seed 002.

    Attributes:
        table: by content (``T_*``) or ``"text, section ..."``; model: the row label (English).
        params_printed, accuracy_printed, error_printed: as printed (``""``/``None`` when not).
        zoo_name: the registered model, or ``None``.
        printed: the cell when not one plain number (``"1.79-1.59"``); note: how to read the row.
        augmentation: True (zero-padding + mirroring), False (none), None (not stated); a report
            picks the row matching the run.
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


def _read_paper_results(stem: str = "seed002_paper_results") -> tuple[PaperResult, ...]:
    """The printed results in ``course_lib/tables/<stem>.csv``."""
    flag = {"True": True, "False": False, "": None}
    return tuple(PaperResult(
        **{**row, "accuracy_printed": float(row["accuracy_printed"]) if row["accuracy_printed"]
           else None,
           "error_printed": float(row["error_printed"]) if row["error_printed"] else None,
           "zoo_name": row["zoo_name"] or None, "augmentation": flag[row["augmentation"]]})
        for row in _read_csv(stem))


#: Every printed result of seed 002 (course_lib/tables/seed002_paper_results.csv).
PAPER_RESULTS: tuple[PaperResult, ...] = _read_paper_results()


def paper_results(*, zoo_name: str | None = None, table: str | None = None, dataset: str | None = None) -> list[PaperResult]:
    """The rows of :data:`PAPER_RESULTS` matching every given filter (exact match)."""
    return [
        row for row in PAPER_RESULTS
        if (zoo_name is None or row.zoo_name == zoo_name)
        and (table is None or row.table == table)
        and (dataset is None or row.dataset == dataset)
    ]
