"""Render math as MathML at build time: the course site needs no MathJax and no network.

Sphinx's default HTML math renderer loads MathJax from a CDN, which fails offline. Browsers
render MathML Core natively (Chromium since 109, Firefox, Safari), and docutils ships a
LaTeX-to-MathML converter, so this extension registers a renderer called ``mathml`` that
writes the converted markup straight into the page. Select it with
``html_math_renderer = "mathml"``. LaTeX the converter does not know is shown as its source
(in a ``<code>`` element) with a build warning.
"""

from __future__ import annotations

import html
import re

from docutils import nodes
from docutils.utils.math import MathError, latex2mathml
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Delimiter sizing (\big( ... \big)): docutils' converter lacks it; MathML stretches delimiters
# by itself, so the commands are dropped.
_SIZING_RE = re.compile(r"\\[Bb]igg?[lrm]?(?![A-Za-z])")


def _mathml(node, block: bool) -> str:
    latex = node.astext()
    try:
        return latex2mathml.tex2mathml(_SIZING_RE.sub("", latex), as_block=block)
    except (MathError, SyntaxError) as err:
        logger.warning("math not converted to MathML (%s): %s", err, latex, location=node)
        return f'<code class="math-source">{html.escape(latex)}</code>'


def visit_math(self, node):
    self.body.append(_mathml(node, block=False))
    raise nodes.SkipNode


def visit_displaymath(self, node):
    self.body.append(f'<div class="math-display">{_mathml(node, block=True)}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
