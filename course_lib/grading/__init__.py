"""Assignments with otter-grader: build the student release and autograder, grade submissions.

Command line: ``course-lib build|grade|release`` (:mod:`course_lib.cli`). Instructor-only:
the release ships :mod:`course_lib.checks`, not this package.
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
