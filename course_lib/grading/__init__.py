"""Assignments with otter-grader: build the student release and autograder, grade submissions.

Command line (the kit's one command, :mod:`course_lib.cli`; ``make assignments`` runs the
first; ``python -m course_lib.grading`` is an alias)::

    course-lib build [ASSIGNMENT ...] [--check-solutions]
    course-lib grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR
        [--timeout SECONDS] [--cell-timeout SECONDS] [--jobs N]
    course-lib release DEST        # = make release DEST=...

Python::

    from course_lib.grading import find_assignment, build_assignment, grade_submissions

Helpers the assignments' tests and notebooks use: :func:`time_limit` (a limit on the CPU time
of one call into student code; the grader limits each notebook cell the same way with
:func:`install_cell_limit`) and, for assignment 3, :mod:`course_lib.grading.design_rules`.
"""

from course_lib.grading.assignments import (
    AssignmentSpec,
    assignments_root,
    find_assignment,
    list_assignments,
)
from course_lib.grading.build import BuildResult, build_assignment
from course_lib.grading.grade import SubmissionGrade, expected_questions, grade_submissions
from course_lib.grading.time_limit import CallTimeoutError, CellTimeoutError, install_cell_limit, time_limit

__all__ = [
    "AssignmentSpec",
    "BuildResult",
    "CallTimeoutError",
    "CellTimeoutError",
    "SubmissionGrade",
    "assignments_root",
    "build_assignment",
    "expected_questions",
    "find_assignment",
    "grade_submissions",
    "install_cell_limit",
    "list_assignments",
    "time_limit",
]
