"""Design rules from SimpNet's principles (seed 002) that code can check, for assignment 3.

Rules: parameter and MAC budget; locality (no 1x1 convolution, or ``Dense`` on a feature map,
among the first ``no_1x1_in_first`` convolutions); no downsampling before the first
``full_res_convs`` convolutions; the last feature map's receptive field covers the input.

Example:

>>> import keras
>>> from course_lib.checks.design_rules import check_design
>>> m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 1),
...                       keras.layers.Conv2D(8, 3), keras.layers.GlobalMaxPooling2D(),
...                       keras.layers.Dense(10, activation="softmax")])
>>> [r.rule for r in check_design(m) if not r.passed]
['locality', 'receptive field']
"""

from __future__ import annotations

import dataclasses

from course_lib.validation import non_negative_int

__all__ = ["DesignReport", "RuleResult", "check_design", "CONV_TYPES"]

#: Layer classes counted as convolution layers.
CONV_TYPES = frozenset({"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "RecurrentConv2D"})


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """One rule: whether the model keeps it, and a sentence saying why (not)."""

    rule: str
    passed: bool
    message: str


class DesignReport(list):
    """The list of :class:`RuleResult` returned by :func:`check_design` (prints as a table)."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self)

    def failed(self, rule: str | None = None) -> list[RuleResult]:
        return [r for r in self if not r.passed and (rule is None or r.rule == rule)]

    def __str__(self) -> str:
        return "\n".join(f"[{'ok' if r.passed else 'FAIL'}] {r.rule}: {r.message}" for r in self)


def _compute_rule(model, max_macs):
    from course_lib.analysis import layer_table

    try:
        table = layer_table(model)
        unknown = table[table["macs"].isna()]
        if len(unknown):
            names = ", ".join(f"{n} ({t})" for n, t in zip(unknown["layer"], unknown["type"]))
            return RuleResult(
                "compute", False,
                f"cannot count the multiply-accumulates of {names}: use Keras' built-in layers "
                "or course_lib.layers",
            )
        else:
            macs = int(table["macs"].sum())
            return RuleResult(
                "compute", macs <= max_macs,
                f"{macs:,} multiply-accumulates per image (budget {max_macs:,})",
            )
    except ValueError as e:
        return RuleResult("compute", False, f"the layer table could not be computed: {e}")


def _locality_rule(convs, no_1x1_in_first):
    early = convs[:no_1x1_in_first]
    pointwise = [f"{name} ({kh}x{kw})" for _, name, kh, kw in early if kh == 1 and kw == 1]
    if not convs:
        return RuleResult("locality", False, "the model has no convolution layer")
    else:
        return RuleResult(
            "locality", not pointwise,
            (f"1x1 convolution among the first {no_1x1_in_first} convolution layers: "
             + ", ".join(pointwise)) if pointwise else
            f"the first {len(early)} convolution layers all look at neighbourhoods "
            f"({', '.join(f'{kh}x{kw}' for _, _, kh, kw in early)})",
        )


def check_design(
    model,
    *,
    max_params: int = 60_000,
    max_macs: int = 15_000_000,
    no_1x1_in_first: int = 3,
    full_res_convs: int = 2,
) -> DesignReport:
    """Check a channels-last image classifier against the budget and the design rules.

    Args:
        model: A built ``keras.Model`` with a known input size.
        max_params: Parameter budget (all weights, trainable or not).
        max_macs: Multiply-accumulates per image, as :func:`course_lib.analysis.layer_table` counts.
        no_1x1_in_first: How many of the first convolution layers may not be 1x1.
        full_res_convs: How many convolution layers must run before the first downsampling.

    Returns a :class:`DesignReport` with one :class:`RuleResult` per rule, in the module's order;
    the model's own problems are failed rules, bad arguments a ``ValueError``.
    """
    import keras

    from course_lib.analysis import receptive_fields

    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model={type(model).__name__}")
    for name, value in (("max_params", max_params), ("max_macs", max_macs),
                        ("no_1x1_in_first", no_1x1_in_first), ("full_res_convs", full_res_convs)):
        non_negative_int(name, value)

    report = DesignReport()
    params = int(model.count_params())
    report.append(RuleResult(
        "parameters", params <= max_params,
        f"{params:,} parameters (budget {max_params:,})",
    ))

    report.append(_compute_rule(model, max_macs))

    try:
        rows = [receptive_fields(model, axis=a) for a in (0, 1)]
    except ValueError as e:
        why = f"the receptive fields could not be computed: {e}"
        for rule in ("locality", "no early pooling", "receptive field"):
            report.append(RuleResult(rule, False, why))
        return report

    height, width = (int(rows[a]["size"].iloc[0]) for a in (0, 1))
    convs = []  # (position, name, kernel_h, kernel_w)
    for i, (layer_h, layer_w) in enumerate(zip(rows[0].itertuples(), rows[1].itertuples())):
        spatial = layer_h.size is not None and str(layer_h.size) != "<NA>"
        if layer_h.type in CONV_TYPES or (layer_h.type == "Dense" and spatial):
            convs.append((i, layer_h.layer, int(layer_h.kernel), int(layer_w.kernel)))

    report.append(_locality_rule(convs, no_1x1_in_first))

    jumps = [max(int(rows[0]["jump"].iloc[i]), int(rows[1]["jump"].iloc[i])) for i in range(len(rows[0]))]
    if len(convs) < full_res_convs:
        report.append(RuleResult(
            "no early pooling", False,
            f"only {len(convs)} convolution layers; at least {full_res_convs} must run at full resolution",
        ))
    else:
        last = convs[full_res_convs - 1][0]
        shrunk = [rows[0]["layer"].iloc[i] for i in range(1, last + 1) if jumps[i] > jumps[i - 1]]
        report.append(RuleResult(
            "no early pooling", not shrunk,
            (f"the feature maps shrink at {', '.join(shrunk)} before convolution layer "
             f"{full_res_convs} ({convs[full_res_convs - 1][1]}) has run") if shrunk else
            f"the first {full_res_convs} convolution layers run at the full {height}x{width} resolution",
        ))

    spatial_rows = [i for i in range(len(rows[0])) if str(rows[0]["size"].iloc[i]) != "<NA>"]
    last = spatial_rows[-1]
    rf_h, rf_w = int(rows[0]["rf"].iloc[last]), int(rows[1]["rf"].iloc[last])
    covers = rf_h >= height and rf_w >= width
    report.append(RuleResult(
        "receptive field", covers,
        f"the last feature map ({rows[0]['layer'].iloc[last]}) has a {rf_h}x{rf_w} receptive field "
        f"for a {height}x{width} input" + ("" if covers else ": it does not cover the input"),
    ))
    return report
