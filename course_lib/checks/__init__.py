"""What the assignments' tests and notebooks import, shipped whole with the student release.

* :func:`time_limit`: a limit on the CPU time of one call into student code;
* :mod:`course_lib.checks.expect`: array comparisons whose messages say what was expected;
* :mod:`course_lib.checks.answer_rules`: assignment 2's "write it yourself" rule;
* :mod:`course_lib.checks.design_rules` and :mod:`course_lib.checks.fixed_training`:
  assignment 3's budget, SimpNet's rules and the fixed training;
* :func:`student_side`: a module as the student's code sees it.

The instructor's grader is :mod:`course_lib.grading`, which the release leaves out.
"""

from course_lib.checks.time_limit import CallTimeoutError, CellTimeoutError, cell_limit, time_limit

__all__ = ["CallTimeoutError", "CellTimeoutError", "cell_limit", "student_side", "time_limit"]

# Set by the grader's judge while it runs tests: a function from a module name to that module
# inside the sandboxed submission.
_RESOLVER = None


def student_side(module: str):
    """The module ``module`` as the student's code sees it, for tests that build objects
    around the student's (a ``keras.Sequential`` holding their layer, a file their model
    saves). In the notebook (``grader.check``) that is the module itself; in the grader,
    where the tests run in another process than the submission, a handle to it there."""
    import importlib

    return importlib.import_module(module) if _RESOLVER is None else _RESOLVER(module)
