"""``python -m course_lib list | run | report`` (see :mod:`course_lib.cli`)."""

import sys

from course_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
