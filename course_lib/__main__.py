"""``python -m course_lib``: the kit's command line (see :mod:`course_lib.cli`)."""

import sys

from course_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
