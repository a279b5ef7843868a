"""Argument checks for the whole kit: one rule per kind of value, one wording.

Each check returns the value as a plain Python type or raises one ``ValueError`` ending
``Received: name=value`` (Keras' wording). :func:`width_multiplier` accepts any finite number
> 0: widening is a legitimate study and records say how a budget changed the widths.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["boolean", "dropout_rate", "in_open_interval", "integer", "ints", "is_int",
           "non_negative", "non_negative_int", "number", "one_of", "pair", "positive_int",
           "rank4", "width_multiplier"]


def is_int(value) -> bool:
    """An integer (Python or NumPy), not a ``bool``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _fail(name: str, what: str, value, hint: str = "") -> ValueError:
    hint = f" {hint}" if hint else ""
    return ValueError(f"`{name}` must be {what}.{hint} Received: {name}={value!r}")


def integer(name: str, value, *, minimum: int | None = None, maximum: int | None = None,
            odd: bool = False, hint: str = "", allow_none: bool = False):
    """``value`` as an ``int`` in ``[minimum, maximum]`` (odd if asked); ``None`` if allowed."""
    if value is None and allow_none:
        return None
    kind = ("an odd integer" if odd else "an integer") + "".join(
        f" {op} {b}" for op, b in ((">=", minimum), ("<=", maximum)) if b is not None)
    if odd:
        kind += " (odd sizes keep 'same' padding symmetric)"
    if allow_none:
        kind += " or None"
    if (not is_int(value) or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum) or (odd and value % 2 == 0)):
        raise _fail(name, kind, value, hint)
    return int(value)


def positive_int(name: str, value, *, hint: str = "", allow_none: bool = False):
    """An ``int`` >= 1 (``None`` passes when ``allow_none``)."""
    return integer(name, value, minimum=1, hint=hint, allow_none=allow_none)


def non_negative_int(name: str, value, *, hint: str = "", allow_none: bool = False):
    """An ``int`` >= 0 (seeds, paddings, indices)."""
    return integer(name, value, minimum=0, hint=hint, allow_none=allow_none)


def ints(name: str, values, *, minimum: int = 1, hint: str = "") -> tuple[int, ...]:
    """A non-empty sequence of ``int`` >= ``minimum``, as a tuple (widths, sizes)."""
    if (isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values
            or not all(is_int(v) and v >= minimum for v in values)):
        raise _fail(name, f"a non-empty sequence of integers >= {minimum}", values, hint)
    return tuple(int(v) for v in values)


def pair(name: str, value, *, minimum: int = 1, odd: bool = False) -> tuple[int, int]:
    """An ``int`` or a pair of them, as a 2-tuple, each checked like :func:`integer`."""
    if is_int(value):
        value = (value, value)
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != 2:
        raise _fail(name, "an integer or a tuple of 2 integers", value)
    return tuple(integer(name, v, minimum=minimum, odd=odd) for v in items)


def number(name: str, value, *, low: float = -math.inf, high: float = math.inf,
           low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """A finite real number (not a ``bool``) in the interval from ``low`` to ``high``."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value)
          and (value > low if low_open else value >= low)
          and (value < high if high_open else value <= high))
    if not ok:
        what = (f"a number in {'(' if low_open or low == -math.inf else '['}{float(low)}, "
                f"{float(high)}{')' if high_open or high == math.inf else ']'}")
        raise _fail(name, what, value, hint)
    return float(value)


def rank4(owner, input_shape, *, need_channels: bool) -> tuple:
    """A channels-last 4D input shape ``(batch, height, width, channels)`` of layer ``owner``
    (with a known channel count if ``need_channels``)."""
    shape = tuple(input_shape)
    if len(shape) != 4:
        raise ValueError(
            f"{type(owner).__name__} expects a 4D input (batch, height, width, channels), "
            f"channels last; reshape or add a batch axis. Received: input_shape={shape}")
    if need_channels and shape[-1] is None:
        raise ValueError(
            f"{type(owner).__name__} needs the channel dimension (last axis) of its input "
            f"to be known when it is built. Received: input_shape={shape}")
    return shape


def dropout_rate(name: str, value) -> float:
    """A dropout rate in [0, 1)."""
    return number(name, value, low=0.0, high=1.0, high_open=True)


def non_negative(name: str, value) -> float:
    """A real number >= 0."""
    return number(name, value, low=0.0)


def in_open_interval(name: str, value, low: float, high: float = math.inf) -> float:
    """A real number in (``low``, ``high``)."""
    return number(name, value, low=low, high=high, low_open=True, high_open=True)


def width_multiplier(value, name: str = "width_multiplier") -> float:
    """The kit's one width rule: a finite number > 0 (see the module docstring)."""
    return number(name, value, low=0.0, low_open=True,
                  hint="1.0 keeps the source's widths, 0.25 keeps a quarter.")


def boolean(name: str, value) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise _fail(name, "True or False", value)
    return value


def one_of(name: str, value, choices: Sequence):
    """``value`` if it is one of ``choices`` (listed in the message as given)."""
    if isinstance(value, (list, dict, set)) or value not in choices:
        raise _fail(name, f"one of {list(choices)}", value)
    return value
