"""A wall-clock limit for one call into student code, for use inside autograder tests."""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["CallTimeoutError", "time_limit"]


class CallTimeoutError(TimeoutError):
    """Student code ran past the limit of a :func:`time_limit` block."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the code under test"):
    """Raise :class:`CallTimeoutError` inside the block if it runs longer than ``seconds``.

    Autograder tests wrap every call into student code with it, so an endless loop in one
    function fails that one test (with a message saying why) instead of hanging the grader::

        with time_limit(10, "conv_forward_naive"):
            out, _ = conv_forward_naive(x, w, b)

    ``CallTimeoutError`` derives from ``Exception``, so otter records it as a failed test case.
    The limit uses ``SIGALRM`` and therefore only works in the main thread on POSIX systems
    (where notebooks and the grader run); elsewhere the block runs without a limit. A limit
    cannot interrupt one long C call (a NumPy or TensorFlow kernel); it fires when control
    returns to Python.

    Args:
        seconds: Positive number, the limit in seconds.
        what: Named in the error message.

    Raises:
        ValueError: ``seconds`` is not a positive number.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"Argument `seconds` must be a positive number. Received: seconds={seconds!r}")
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _on_alarm(signum, frame):
        raise CallTimeoutError(
            f"{what} did not finish within {seconds:g} s (an endless loop, or far too slow) "
            "and was stopped."
        )

    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
