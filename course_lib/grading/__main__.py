"""``python -m course_lib.grading build|grade|release``: see :mod:`course_lib.grading`."""

from __future__ import annotations

import argparse
import sys
import time

from course_lib.grading.assignments import find_assignment, list_assignments
from course_lib.grading.build import build_assignment
from course_lib.grading.grade import grade_submissions


def _build(args) -> int:
    specs = [find_assignment(k, args.assignments_dir) for k in args.assignments] or list_assignments(
        args.assignments_dir
    )
    if not specs:
        print("No assignments found.", file=sys.stderr)
        return 1
    for spec in specs:
        start = time.perf_counter()
        result = build_assignment(spec, check_solutions=args.check_solutions)
        print(
            f"{spec.folder.name}: {result.student_notebook.relative_to(spec.folder)} "
            f"(+{len(result.public_tests)} public test files), "
            f"{result.autograder_zip.relative_to(spec.folder)} "
            f"[{time.perf_counter() - start:.1f} s]"
        )
    return 0


def _grade(args) -> int:
    spec = find_assignment(args.assignment, args.assignments_dir)
    autograder = args.autograder or spec.autograder_zip
    grades = grade_submissions(
        autograder,
        args.submissions,
        args.out,
        assignment=spec.folder.name,
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        jobs=args.jobs,
    )
    width = max(len(g.student) for g in grades)
    for g in grades:
        note = f"  ({g.message.splitlines()[0]})" if g.message else ""
        print(f"{g.student:<{width}}  {g.total:g}/{g.total_possible:g}  {g.status}  {g.seconds:.1f} s{note}")
    print(f"Gradebook: {args.out}/gradebook.csv  feedback: {args.out}/feedback/")
    return 0


def _release(args) -> int:
    from course_lib.grading.release import write_release

    written = write_release(args.dest)
    print(f"student release: {len(written)} files in {args.dest}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading",
        description="Build otter-grader assignments and grade submissions without Docker.",
    )
    parser.add_argument("--assignments-dir", default=None, help="folder holding <n>-<name>/ assignments")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="regenerate student notebooks and autograder zips (otter assign)")
    b.add_argument("assignments", nargs="*", help="assignments to build (default: all)")
    b.add_argument(
        "--check-solutions", action="store_true",
        help="also let otter run the reference solution against every test (slow)",
    )
    b.set_defaults(func=_build)

    g = sub.add_parser("grade", help="grade a folder of submitted notebooks, each in its own subprocess")
    g.add_argument("assignment", help="folder name, name or number, e.g. 1-cnn-arithmetic")
    g.add_argument("submissions", help="folder of .ipynb (or otter export .zip) submissions")
    g.add_argument("--out", required=True, help="output folder (gradebook.csv, summary.csv, feedback/, ...)")
    g.add_argument("--timeout", type=float, default=1200, help="seconds per submission (default 1200)")
    g.add_argument(
        "--cell-timeout", type=int, default=300,
        help="CPU seconds per student cell (wall-clock ceiling 3x + 30 s), then the cell is "
        "stopped and the next one runs (default 300)",
    )
    g.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    g.add_argument("--autograder", default=None, help="autograder zip (default: the assignment's dist/ zip)")
    g.set_defaults(func=_grade)

    r = sub.add_parser("release", help="write the student release (no masters, hidden tests or grader) into DEST")
    r.add_argument("dest", help="an empty folder (or a checkout of the student repository holding only .git)")
    r.set_defaults(func=_release)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
