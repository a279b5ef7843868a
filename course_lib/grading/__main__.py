"""``python -m course_lib.grading``: an alias of ``course-lib`` (:mod:`course_lib.cli`)."""

import sys

from course_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
