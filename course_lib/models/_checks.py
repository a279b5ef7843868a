"""The one argument check of the zoo's builders, and the width rule they share.

Every builder of :mod:`course_lib.models` takes the same core keyword arguments --
``num_classes``, ``input_shape``, ``width_multiplier``, ``classifier_activation``, ``name`` --
and checks them with :func:`check_core`; its own arguments go through the small checks below.
Messages follow Keras: the argument, what is accepted, then ``Received: name=value``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import keras

__all__ = ["check_core", "positive_int", "dropout_rate", "one_of", "boolean",
           "in_open_interval", "non_negative", "scaled", "finish"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name: str, value, *, hint: str = "") -> int:
    """``value`` as an ``int`` >= 1, else ``ValueError`` naming ``name`` (``hint`` appended)."""
    if not _is_int(value) or value < 1:
        hint = f" {hint}" if hint else ""
        raise ValueError(f"`{name}` must be a positive integer.{hint} Received: {name}={value!r}")
    return int(value)


def dropout_rate(name: str, value) -> float:
    """A dropout rate in [0, 1)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a dropout rate in [0, 1). Received: {name}={value!r}")
    return float(value)


def one_of(name: str, value, choices: Sequence):
    """``value`` if it is one of ``choices``."""
    if isinstance(value, (list, dict, set)) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {listed}. Received: {name}={value!r}")
    return value


def boolean(name: str, value) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return value


def in_open_interval(name: str, value, low: float, high: float = math.inf) -> float:
    """A real number in (``low``, ``high``)."""
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not low < value < high):
        bound = f"> {low:g}" if high == math.inf else f"in ({low:g}, {high:g})"
        raise ValueError(f"`{name}` must be {bound}. Received: {name}={value!r}")
    return float(value)


def non_negative(name: str, value) -> float:
    """A real number >= 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
    return float(value)


def check_core(num_classes, input_shape, width_multiplier=1.0, classifier_activation=None, *,
               min_side: int = 1, why: str = "") -> tuple[tuple, float]:
    """Check the arguments every builder takes; return ``(input_shape, width_multiplier)``.

    Args:
        num_classes: a positive integer.
        input_shape: ``(height, width, channels)``; height and width may be ``None``.
        width_multiplier: a finite number > 0.
        classifier_activation: ``None`` (logits) or a Keras activation (name or callable).
        min_side: the smallest height and width the network accepts.
        why: the reason for ``min_side``, quoted in the message (e.g. "for 5 2x2 pools").

    Raises:
        ValueError: the first argument out of range, named, with what is accepted.
    """
    positive_int("num_classes", num_classes)
    shape = input_shape
    ok = (not isinstance(shape, (str, bytes)) and isinstance(shape, Sequence) and len(shape) == 3
          and _is_int(shape[2]) and shape[2] >= 1
          and all(d is None or (_is_int(d) and d >= min_side) for d in shape[:2]))
    if not ok:
        need = f"height and width >= {min_side}{' ' + why if why else ''}" if min_side > 1 else (
            "positive integers")
        raise ValueError(
            f"`input_shape` must be (height, width, channels) with {need}, e.g. (32, 32, 3). "
            f"Received: input_shape={input_shape!r}"
        )
    if (not isinstance(width_multiplier, numbers.Real) or isinstance(width_multiplier, bool)
            or not math.isfinite(width_multiplier) or width_multiplier <= 0):
        raise ValueError(
            "`width_multiplier` must be a finite number > 0 (1.0 keeps the source's widths). "
            f"Received: width_multiplier={width_multiplier!r}"
        )
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError(
                "`classifier_activation` must be None (logits) or a Keras activation such as "
                f"'softmax'. Received: classifier_activation={classifier_activation!r}"
            ) from None
    return tuple(None if d is None else int(d) for d in shape), float(width_multiplier)


def scaled(width: int, width_multiplier: float) -> int:
    """A width of the source times ``width_multiplier``, rounded, at least 1."""
    return max(1, int(round(width * width_multiplier)))


def finish(inputs, outputs, name: str, width_multiplier: float) -> keras.Model:
    """The builders' ``keras.Model``, with ``model.width_multiplier`` recording the multiplier.

    ``width_multiplier`` is a plain Python attribute: it is read by the runner and reports on
    the model as built; ``keras.models.load_model`` does not restore it (the run record keeps
    the multiplier).
    """
    model = keras.Model(inputs, outputs, name=name)
    model.width_multiplier = float(width_multiplier)
    return model
