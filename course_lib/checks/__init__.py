"""What the assignments' tests and notebooks import, shipped whole with the student release.

The instructor's grader is :mod:`course_lib.grading`, which the release leaves out.
"""

from course_lib.checks.time_limit import CallTimeoutError, CellTimeoutError, cell_limit, time_limit

__all__ = ["CallTimeoutError", "CellTimeoutError", "cell_limit", "student_side", "time_limit"]

# Set by the grader's judge while it runs tests: a function from a module name to that module
# inside the sandboxed submission.
_RESOLVER = None


def student_side(module: str):
    """The module ``module`` as the student's code sees it (in the grader, a handle in the sandbox)."""
    import importlib

    return importlib.import_module(module) if _RESOLVER is None else _RESOLVER(module)
