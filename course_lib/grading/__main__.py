"""``python -m course_lib.grading build|grade|release``: an alias of ``course-lib`` (see
:mod:`course_lib.cli`), kept for scripts written before the kit had one command line."""

import sys

from course_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
