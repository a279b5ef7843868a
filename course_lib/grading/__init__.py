"""Assignments with otter-grader: build the student release and autograder, grade submissions.

Command line (the kit's one command, :mod:`course_lib.cli`; ``make assignments`` runs the
first; ``python -m course_lib.grading`` is an alias)::

    course-lib build [ASSIGNMENT ...] [--check-solutions]
    course-lib grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR
        [--timeout SECONDS] [--cell-timeout SECONDS] [--jobs N] [--no-sandbox]
    course-lib release DEST        # = make release DEST=...

Python::

    from course_lib.grading import find_assignment, build_assignment, grade_submissions

What the assignments' tests and notebooks import is :mod:`course_lib.checks`, which the
student release ships whole; this package is the instructor's and is not released.
"""

from course_lib.grading.assignments import (
    AssignmentSpec,
    assignments_root,
    find_assignment,
    list_assignments,
)
from course_lib.grading.build import BuildResult, build_assignment
from course_lib.grading.grade import SubmissionGrade, expected_questions, grade_submissions

__all__ = [
    "AssignmentSpec",
    "BuildResult",
    "SubmissionGrade",
    "assignments_root",
    "build_assignment",
    "expected_questions",
    "find_assignment",
    "grade_submissions",
    "list_assignments",
]
