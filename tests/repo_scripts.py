"""Load the kit's scripts (``tools/*.py``, ``benchmarks/*.py``) as modules for tests: they are
scripts, not a package, so each test used to spell out the same ``importlib`` stanza."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script(relative_path: str, name: str | None = None):
    """The module of the script ``REPO / relative_path``, executed once and registered in
    ``sys.modules`` under ``name`` (default: the file's stem) so that its dataclasses and
    pickles resolve. The script's folder goes on ``sys.path`` for the siblings it imports
    (``benchmarks/levers.py`` imports ``timing``)."""
    path = REPO / relative_path
    if not path.is_file():
        raise FileNotFoundError(f"no script {relative_path!r} under {REPO}")
    name = name or path.stem
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
