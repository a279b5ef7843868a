"""Checks for the assignments' public tests that say what was expected and what came back.

Each raises an ``AssertionError`` naming the check, the expected value and what came back
(with CS231n's ``rel_error`` for arrays; arrays over 16 elements are summarised). They accept
any return value (``None``, lists, Keras tensors). Hidden tests do not use them, to keep their
expected values out of the students' feedback.
"""

from __future__ import annotations

import numpy as np

__all__ = ["describe", "expect_close", "expect_rel_error", "expect_shape", "layer_gradients", "rel_error"]

_MAX_REPR = 400
_MAX_SHOWN = 16  # arrays with more elements are summarised: shape, dtype, first values


def rel_error(got, want) -> float:
    """CS231n's relative error: ``max(|got - want| / max(1e-8, |got| + |want|))``."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(1e-8, np.abs(got) + np.abs(want)), initial=0.0))


def _as_array(value):
    """``value`` as a numeric array, or None when it is not one (None, a string, ragged lists)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - a student's object that numpy cannot convert
        return None
    return array if array.dtype.kind in "biuf" else None


def describe(value) -> str:
    """A short description of ``value``: shape, dtype and values for arrays (the first few of
    a large one), the type and ``repr`` otherwise."""
    array = _as_array(value)
    if array is not None and not isinstance(value, (bool, int, float, np.generic)):
        if array.size <= _MAX_SHOWN:
            text = np.array2string(array, precision=4, max_line_width=100)
        else:
            first = np.array2string(array.ravel()[:6], precision=4, separator=", ")
            text = f"first values {first[:-1]}, ...]"
        return f"{array.shape} {array.dtype}: {text}"
    text = repr(value)
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + " ..."
    return f"{text} ({type(value).__name__})"


def _number(value) -> str:
    try:
        return f"{value:.6g}"
    except (TypeError, ValueError):
        return repr(value)


def _fail(what: str, detail: str, want, got) -> AssertionError:
    return AssertionError(f"{what}: {detail}\nexpected {describe(want)}\ngot      {describe(got)}")


def expect_shape(what: str, got, shape) -> np.ndarray:
    """``got`` must be a numeric array (or convertible) of ``shape``; returns it as an array."""
    shape = tuple(shape)
    array = _as_array(got)
    if array is None or array.shape != shape:
        found = f"shape {array.shape}, dtype {array.dtype}" if array is not None else describe(got)
        raise AssertionError(f"{what}: expected shape {shape}, got {found}")
    return array


def expect_close(what: str, got, want, *, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """``np.allclose(got, want, rtol, atol)`` with equal shapes, else an ``AssertionError``
    with both shapes, the relative error, the largest difference and both arrays.
    ``rtol=0, atol=0`` asks for exact equality."""
    want = np.asarray(want)
    array = expect_shape(what, got, want.shape)
    if np.allclose(array, want, rtol=rtol, atol=atol):
        return
    with np.errstate(invalid="ignore"):
        diff = np.abs(array.astype(np.float64) - want.astype(np.float64))
    allowed = "exact equality" if rtol == 0 and atol == 0 else f"allowed {atol:g} + {rtol:g} * |expected|"
    detail = (f"values differ, rel_error {rel_error(array, want):.2e} "
              f"(max abs difference {np.nanmax(diff, initial=0.0):.3g}, {allowed})")
    if want.ndim:
        worst = np.unravel_index(np.argmax(np.where(np.isnan(diff), np.inf, diff)), want.shape)
        index = tuple(int(i) for i in worst)
        detail += f"; at index {index}: expected {_number(want[worst])}, got {_number(array[worst])}"
    if not np.isfinite(array).all():
        detail += f"; not finite: {int((~np.isfinite(array)).sum())} of {array.size} values"
    raise _fail(what, detail, want, got)


def expect_rel_error(what: str, got, want, *, below: float) -> float:
    """CS231n's check: ``rel_error(got, want) < below`` with equal shapes, else an
    ``AssertionError`` with the relative error and both arrays. Returns the relative error."""
    want = np.asarray(want)
    array = expect_shape(what, got, want.shape)
    err = rel_error(array, want)
    if not err < below:  # also catches NaN
        raise _fail(what, f"rel_error {err:.2e}, expected below {below:.0e}", want, got)
    return err


def layer_gradients(layer, x, g) -> dict:
    """The gradients of ``sum(layer(x) * g)`` with respect to ``layer``'s trainable weights, by
    name, as NumPy arrays (TensorFlow backend). A test calls it where the layer lives:
    ``student_side("course_lib.checks.expect").layer_gradients(...)`` for the student's layer."""
    import tensorflow as tf

    x, g = tf.constant(np.asarray(x)), tf.constant(np.asarray(g))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) * g)
    weights = layer.trainable_weights
    return {w.name: np.asarray(gr) for w, gr in zip(weights, tape.gradient(loss, weights)) if gr is not None}
