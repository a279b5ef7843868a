"""Sphinx configuration of the course site (``make book``; staged by ``tools/book.py``).

The pages are the README (front page), the notebooks with the outputs stored in them, and the
assignments' student notebooks. Nothing is executed here (``nb_execution_mode = "off"``), and
the site works offline: the theme's assets are local files, math is MathML written at build
time (``_ext/mathml_math.py``) instead of MathJax from a CDN, and no widget JavaScript is
loaded from a CDN.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

project = os.environ.get("COURSE_BOOK_TITLE", "CNN Architecture Course Kit")
author = "CNN course kit authors"
language = "en"

extensions = ["myst_nb", "mathml_math"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# MyST-NB: render the stored outputs, never run a kernel.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # default pulls require.js and the widget manager from CDNs
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

html_math_renderer = "mathml"
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "repository_url": os.environ.get("COURSE_BOOK_REPO", ""),
    "use_repository_button": bool(os.environ.get("COURSE_BOOK_REPO")),
    "use_download_button": True,
    "show_toc_level": 2,
}
# A local icon: without one the browser asks the server for /favicon.ico (a 404 in the console).
html_favicon = "_static/favicon.svg"
# pydata-sphinx-theme logs a console error ("invalid theme mode") on a first visit when no
# default mode is set.
html_context = {"default_mode": "auto"}
