"""Argument checks shared by the course layers (private helpers, not public API).

Every check raises one ``ValueError`` that names the argument, states the accepted
range and ends with ``Received: name=value``, the wording Keras' own layers use.
"""

import numbers


def check_int(name, value, *, minimum, odd=False):
    """Returns ``value`` as an ``int`` if it is an integer ``>= minimum`` (and odd if asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "an odd integer" if odd else "an integer"
        raise ValueError(
            f"Argument `{name}` must be {kind} >= {minimum}. Received: {name}={value!r}"
        )
    if odd and value % 2 == 0:
        raise ValueError(
            f"Argument `{name}` must be an odd integer >= {minimum} (odd sizes keep "
            f"'same' padding symmetric). Received: {name}={value!r}"
        )
    return int(value)


def check_float(name, value, *, minimum, inclusive=True, maximum=None, max_inclusive=True):
    """Returns ``value`` as a ``float`` if it lies in the stated interval."""
    lo = "[" if inclusive else "("
    if maximum is None:
        interval = f"{lo}{minimum}, inf)"
    else:
        interval = f"{lo}{minimum}, {maximum}{']' if max_inclusive else ')'}"
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and (value >= minimum if inclusive else value > minimum)
        and (maximum is None or (value <= maximum if max_inclusive else value < maximum))
    )
    if not ok:
        raise ValueError(
            f"Argument `{name}` must be a number in {interval}. Received: {name}={value!r}"
        )
    return float(value)


def check_choice(name, value, choices):
    """Returns ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(
            f"Argument `{name}` must be one of {sorted(choices)}. Received: {name}={value!r}"
        )
    return value


def check_pair(name, value, *, minimum, odd=False):
    """Normalises an int or a pair of ints to a 2-tuple, each checked like ``check_int``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(
            f"Argument `{name}` must be an integer or a tuple of 2 integers. "
            f"Received: {name}={value!r}"
        )
    return tuple(check_int(name, v, minimum=minimum, odd=odd) for v in pair)


def check_rank4(layer, input_shape, *, need_channels):
    """Checks a channels-last 4D input shape ``(batch, height, width, channels)``."""
    shape = tuple(input_shape)
    if len(shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} expects a 4D input (batch, height, width, channels), "
            f"channels last; reshape or add a batch axis. Received: input_shape={shape}"
        )
    if need_channels and shape[-1] is None:
        raise ValueError(
            f"{type(layer).__name__} needs the channel dimension (last axis) of its input "
            f"to be known when it is built. Received: input_shape={shape}"
        )
    return shape
