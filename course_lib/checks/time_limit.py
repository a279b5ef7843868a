"""Limits on student code: one call inside an autograder test, or one notebook cell.

Limits count the CPU time of the calling thread, so a busy machine never fails correct code;
a wall-clock ceiling (default ``3 * seconds + 30``) catches code that waits or works in other
threads. A ``SIGALRM`` handler checks them, so they apply in the main thread on POSIX only,
fire when control returns to Python (not inside one long C call), and nest.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from course_lib.validation import in_open_interval

__all__ = [
    "CallTimeoutError",
    "CellTimeoutError",
    "active_limit",
    "cell_limit",
    "default_wall_seconds",
    "time_limit",
]

# The alarm never rings sooner than this after it is set again (seconds).
_MIN_STEP = 0.05

# The limits in force, innermost last: (seconds, wall_seconds, what). In the grader's judge,
# where student code runs in another process, `RECORD_ONLY` is True: the limits are only
# recorded here, sent with each call and enforced in the sandbox.
_ACTIVE: list[tuple[float, float, str]] = []
RECORD_ONLY = False


def active_limit() -> tuple[float, float, str] | None:
    """The innermost :func:`time_limit` in force: (seconds, wall_seconds, what), or None."""
    return _ACTIVE[-1] if _ACTIVE else None


class CallTimeoutError(TimeoutError):
    """Student code ran past the limit of a :func:`time_limit` block."""


class CellTimeoutError(KeyboardInterrupt):
    """A notebook cell ran past :func:`cell_limit` (a ``KeyboardInterrupt``, so that an
    ``except Exception`` in the student's code does not swallow it)."""


def default_wall_seconds(seconds: float) -> float:
    """The wall-clock ceiling that goes with a CPU-time limit of ``seconds``: ``3 * seconds + 30``."""
    return 3 * seconds + 30


def _check_limits(seconds, wall_seconds) -> float:
    in_open_interval("seconds", seconds, 0.0)
    if wall_seconds is None:
        return default_wall_seconds(seconds)
    number = isinstance(wall_seconds, (int, float)) and not isinstance(wall_seconds, bool)
    if not (number and wall_seconds >= seconds):
        raise ValueError(
            "Argument `wall_seconds` must be a number >= `seconds` (or None for "
            f"3 * seconds + 30). Received: wall_seconds={wall_seconds!r} with seconds={seconds!r}"
        )
    return float(wall_seconds)


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class _Alarm:
    """A CPU-time limit with a wall-clock ceiling; ``make_error(kind, used)`` builds the one exception."""

    def __init__(self, seconds: float, wall_seconds: float, make_error):
        self.seconds = float(seconds)
        self.wall_seconds = float(wall_seconds)
        self.make_error = make_error
        self.active = False
        self._cpu0 = self._wall0 = 0.0

    def start(self) -> None:
        self._cpu0 = time.thread_time()
        self._wall0 = time.monotonic()
        self.active = True
        signal.setitimer(signal.ITIMER_REAL, min(self.seconds, self.wall_seconds))

    def stop(self) -> None:
        self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)

    def handler(self, signum, frame) -> None:
        if not self.active:
            return
        cpu = time.thread_time() - self._cpu0  # the handler runs in the main thread
        wall = time.monotonic() - self._wall0
        if cpu >= self.seconds - 1e-3:
            self.active = False
            raise self.make_error("cpu", cpu)
        if wall >= self.wall_seconds - 1e-3:
            self.active = False
            raise self.make_error("wall", wall)
        left = min(self.seconds - cpu, self.wall_seconds - wall)
        signal.setitimer(signal.ITIMER_REAL, max(left, _MIN_STEP))


def _limit_message(what: str, kind: str, seconds: float, wall_seconds: float) -> str:
    if kind == "cpu":
        return (
            f"{what} did not finish within {seconds:g} s (it used {seconds:g} s of CPU time: "
            "an endless loop, or far too slow) and was stopped."
        )
    return (
        f"{what} did not finish within {wall_seconds:g} s of wall-clock time (it was waiting "
        "rather than computing, or computing outside Python's main thread) and was stopped."
    )


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the code under test", *, wall_seconds: float | None = None):
    """Raise :class:`CallTimeoutError` inside the block once it has used ``seconds`` of CPU time.

    Autograder tests wrap every call into student code with it, so an endless loop fails one
    test instead of hanging the grader. ``CallTimeoutError`` derives from ``Exception``, so otter
    records it as a failed test case.

    Args:
        seconds: Positive number, the CPU time allowed, in seconds.
        what: Named in the error message.
        wall_seconds: Wall-clock ceiling, at least ``seconds``; None for ``3 * seconds + 30``.

    Example:

    >>> from course_lib.checks import CallTimeoutError, time_limit
    >>> try:
    ...     with time_limit(0.2, "spin"):
    ...         while True:
    ...             pass
    ... except CallTimeoutError as e:
    ...     print(e)
    spin did not finish within 0.2 s (it used 0.2 s of CPU time: an endless loop, or far too slow) and was stopped.
    """
    wall_seconds = _check_limits(seconds, wall_seconds)
    _ACTIVE.append((float(seconds), wall_seconds, what))
    try:
        if RECORD_ONLY or not _usable():
            yield
        else:
            with _alarm(seconds, wall_seconds, what):
                yield
    finally:
        _ACTIVE.pop()


def cell_limit(seconds: float, wall_seconds: float | None = None):
    """Like :func:`time_limit` for one notebook cell, raising :class:`CellTimeoutError`."""
    return _alarm(seconds, _check_limits(seconds, wall_seconds), "this cell", CellTimeoutError)


@contextlib.contextmanager
def _alarm(seconds, wall_seconds, what, kind_of_error=CallTimeoutError):
    def error(kind, used):
        return kind_of_error(_limit_message(what, kind, seconds, wall_seconds))

    alarm = _Alarm(seconds, wall_seconds, error)
    previous_handler = signal.signal(signal.SIGALRM, alarm.handler)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    entered = time.monotonic()
    alarm.start()
    try:
        yield
    finally:
        alarm.stop()
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_left > 0:  # give an enclosing limit its alarm back
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - entered), 1e-3))
