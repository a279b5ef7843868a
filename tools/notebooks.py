#!/usr/bin/env python
"""Build and check the course notebooks.

Notebooks are written as jupytext *percent* scripts in ``notebooks/src/NN_name.py`` (plain
Python with ``# %%`` cell markers: reviewable diffs) and built into ``notebooks/NN_name.ipynb``.

Commands (run from anywhere; paths are relative to the repository)::

    python tools/notebooks.py build [NAMES...]   # py -> ipynb, execute (COURSE_BUDGET=smoke),
                                                 # keep only `# NBVAL_CHECK_OUTPUT` outputs
    python tools/notebooks.py execute --budget quick [NAMES...]  # py -> ipynb, execute, keep
                                                 # every result (lean), write in place, time it
    python tools/notebooks.py check [NAMES...]   # structural checks, src/ipynb in sync
    python tools/notebooks.py run --budget quick [NAMES...]  # execute and time, save nothing
    python tools/notebooks.py run --budget smoke --output-dir /tmp/nb 03  # keep every output
    python tools/notebooks.py list               # the notebooks the tool knows
    python tools/notebooks.py sync               # regenerate Colab badges + install cells
    python tools/notebooks.py retarget URL       # new address in pyproject.toml, then sync
                                                 # (and rebuild the assignments' student notebooks)

NAMES are notebook stems (``02_cnn_building_blocks``), their number prefix (``02``) or paths;
no NAMES means every notebook.

A notebook is committed in one of two forms, both rebuilt from its script:

* *built* (``build``): the fast form to produce while writing: executed under smoke, outputs
  kept only on the ``# NBVAL_CHECK_OUTPUT`` cells (below).
* *executed* (``execute --budget quick``): what a student should see before running anything.
  Every result is kept: figures as PNG at ``FIGURE_DPI`` dpi (the kernel is started with that
  inline-backend configuration), tables, printed numbers; what is not a result is dropped
  (stderr, i.e. TensorFlow logs and warnings; Keras progress bars and epoch headers; tqdm bars;
  widget views). ``metadata.course_kit.budget`` records the budget. It prints the time, the
  size and what was dropped for each notebook, and exits with 1 when a notebook is over
  ``MAX_NOTEBOOK_BYTES`` or when a check cell whose source did not change now prints
  something else than the notebook held before (a budget-dependent check cell: ``pytest
  --nbval-lax`` at smoke would fail on it). Runs whose record is already in ``results/`` are
  read back, not retrained (the notebook then shows "already done" instead of curves): move
  ``results/`` away first for a fresh execution. ``build`` after ``execute`` goes back to the
  built form.

``pytest --nbval-lax`` compares only the check cells, so it passes on either form as long as
those cells print the same under every budget.

The kit's address lives in one place, ``[project.urls] Repository`` of ``pyproject.toml``
(read by :func:`course_lib.notebook.repo_url`). Every notebook's Colab badge and install cell,
and every assignment notebook's (master and student) badge and install cell, are generated
from it (:func:`colab_badge`, :func:`install_cell`): ``sync`` rewrites them in place in
``notebooks/src/*.py``, ``notebooks/*.ipynb`` and ``assignments/*/**.ipynb`` without executing
anything; ``retarget URL`` writes the new address to ``pyproject.toml`` and then syncs, e.g.
``python tools/notebooks.py retarget https://github.com/<owner>/<repo>`` once the kit is
published. ``check`` fails when any of them disagrees with ``pyproject.toml``.

``check`` (also run by ``tests/test_notebooks_structure.py``) requires of every notebook:

1. a valid nbformat 4 document with the ``python3`` kernelspec;
2. first cell: markdown with the "Open in Colab" badge pointing at this very notebook;
3. a markdown cell with the learning goals (学习目标) among the first three cells;
4. first code cell: exactly the generated install cell (runs only on Colab; clones the kit unless
   it is importable, then ``course_lib.colab.setup_colab`` pip-installs it; says what to do if
   either fails; offers Google Drive for the results), tagged ``hide-input`` (collapsed on the
   course site);
5. second code cell: ``BUDGET = setup(expected_version="<course_lib.__version__>")``;
6. exercises (练习) in a markdown cell in the second half of the notebook;
7. no error outputs and no stderr anywhere; every ``# NBVAL_CHECK_OUTPUT`` cell executed (has an
   execution count). Built form: outputs and execution counts only on check cells. Executed
   form (``metadata.course_kit.budget`` set): every code cell executed, no progress lines or
   widget views. Either form: the file at most ``MAX_NOTEBOOK_BYTES``;
8. ``notebooks/src/<name>.py`` exists and its cells equal the notebook's cells (type and source).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import jupytext
import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SRC_DIR = NB_DIR / "src"
ASSIGNMENTS_DIR = ROOT / "assignments"
PYPROJECT = ROOT / "pyproject.toml"
KIT_DIR_ON_COLAB = "/content/cnn-course-kit"

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
KERNEL_NAME = "python3"
DEFAULT_CELL_TIMEOUT = 600
LONG_CELL_TIMEOUT = 3600  # `execute` under quick/full: a cell may train several models
_NAME_RE = re.compile(r"^\d\d_[a-z0-9_]+$")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: An executed notebook larger than this is flagged by ``check`` (a figure drawn too often or
#: at too high a resolution, a forgotten log): the repository carries every committed byte.
MAX_NOTEBOOK_BYTES = 2_000_000
#: Inline figures: PNG (no retina doubling, no SVG) at this resolution, whatever the local
#: IPython or Matplotlib configuration says (kernel command-line configuration).
FIGURE_DPI = 96
KERNEL_FIGURE_ARGS = (
    "--InlineBackend.figure_formats=png",
    f"--InlineBackend.rc={{'figure.dpi': {FIGURE_DPI}}}",
)
#: Stream lines that are training progress, not results: Keras progress bars and epoch
#: headers, tqdm bars. ``lean`` drops them from executed notebooks.
_PROGRESS_RE = re.compile(
    r"^\s*(Epoch \d+/\d+\s*$"          # Keras epoch header
    r"|\d+/\d+ .*(━|\[=*>?\.*\]|step)"  # Keras progress bar / per-step line
    r"|.*\d+%\|.*\|"                    # tqdm bar
    r")"
)
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: Matplotlib's warning for text it drew as empty boxes (e.g. Chinese with no CJK font, as on
#: Colab): figure text must stay in English (``execute`` reports it).
_MISSING_GLYPH_RE = re.compile(r"Glyph \d+ .*missing from (?:current )?font")

KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookError(RuntimeError):
    """A notebook failed to build or to pass its checks."""


# --------------------------------------------------------------------------------------------
# Facts the checks compare against


def _notebook_module():
    """course_lib.notebook of this checkout (imported from ROOT, not from elsewhere)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from course_lib import notebook

    return notebook


BUDGETS = _notebook_module().BUDGETS  # smoke, quick, full: defined once, in course_lib


def repo_url(pyproject: Path | None = None) -> str:
    """The kit's address: ``[project.urls] Repository`` of this checkout's pyproject.toml."""
    try:
        return _notebook_module().read_repo_url(pyproject or PYPROJECT)
    except (OSError, ValueError) as err:
        raise NotebookError(str(err)) from None


def library_version() -> str:
    """``course_lib.__version__`` read from course_lib/__init__.py (no TensorFlow import)."""
    text = (ROOT / "course_lib" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise NotebookError("course_lib/__init__.py does not define __version__ = \"...\".")
    return match.group(1)


def colab_badge(stem: str, folder: str = "notebooks") -> str:
    """The markdown of the "Open in Colab" badge for ``<folder>/<stem>.ipynb`` in the kit."""
    url = repo_url().replace("https://github.com/", "https://colab.research.google.com/github/")
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({url}/blob/main/{folder}/{stem}.ipynb)"
    )


_BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


#: The tag of the install cell: the course site (MyST-NB) shows it collapsed ("Show code cell
#: source"); Colab and Jupyter show it as it is, its first line saying what it does.
INSTALL_CELL_TAG = "hide-input"


def install_cell(workdir: str = "notebooks", extra: Sequence[str] = (), drive: bool = True) -> str:
    """The source of the Colab install cell of a notebook that works from ``<kit>/<workdir>``.

    On Colab only: clones the kit (from :func:`repo_url`) unless ``course_lib`` (and the
    modules of ``extra``) are already importable or the clone is already there, stopping with
    git's reason and what to do if the clone fails -- the one step that must run before the
    kit can be imported; then :func:`course_lib.colab.setup_colab` pip-installs it with
    ``extra`` (stopping with pip's reason and what to do if that fails), moves into
    ``workdir`` and, with ``drive``, offers Google Drive for the results (``USE_DRIVE``;
    :func:`course_lib.notebook.use_drive`).
    """
    url = repo_url()
    modules = ["course_lib"] + [re.split(r"[^A-Za-z0-9_.-]", p)[0].split("-")[0] for p in extra]
    lines = [
        f"# Colab only (does nothing elsewhere): install the course kit, work in {workdir}/.",
        "import importlib.util, os, subprocess, sys",
        'if "google.colab" in sys.modules:',
    ]
    if drive:
        lines.append("    USE_DRIVE = True  # results on Google Drive; False: in /content, wiped "
                     "with the runtime")
    lines += [
        f'    KIT, KIT_URL = "{KIT_DIR_ON_COLAB}", "{url}"',
        f"    missing = [m for m in {modules!r} if importlib.util.find_spec(m) is None]".replace(
            "'", '"'),
        "    if missing and not os.path.isdir(KIT):",
        '        git = subprocess.run(["git", "clone", "-q", "--depth", "1", KIT_URL, KIT], '
        'capture_output=True, text=True)',
        "        if git.returncode:",
        '            raise SystemExit(f"Could not download the course kit from {KIT_URL}: '
        '{git.stderr.strip()[-800:]}\\n"',
        '                             "Fix: check that the runtime is online and KIT_URL '
        'opens in a browser, then run this cell again.")',
        "    sys.path.append(KIT)",
        "    from course_lib.colab import setup_colab",
    ]
    args = ["KIT", "install=bool(missing)", f'workdir="{workdir}"']
    if extra:
        args.append("extra=" + repr(list(extra)).replace("'", '"'))
    if drive:
        args.append("use_drive=USE_DRIVE")
    lines.append(f"    setup_colab({', '.join(args)})")
    return "\n".join(lines)


def _with_badge(markdown: str, badge: str) -> str:
    """``markdown`` with its Colab badge replaced by ``badge`` (added after the title if none)."""
    if _BADGE_RE.search(markdown):
        return _BADGE_RE.sub(lambda _: badge, markdown, count=1)
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{badge}\n" + (f"\n{rest.lstrip(chr(10))}" if rest.strip() else "")


# --------------------------------------------------------------------------------------------
# Finding notebooks


def sources(names: Sequence[str] | None = None, src_dir: Path = SRC_DIR) -> list[Path]:
    """The percent scripts selected by ``names`` (stems, number prefixes or paths), sorted.

    Raises:
        NotebookError: a name matches no script, or a script is not named ``NN_snake_case.py``.
    """
    available = sorted(p for p in Path(src_dir).glob("*.py") if not p.name.startswith("_"))
    for path in available:
        if not _NAME_RE.match(path.stem):
            raise NotebookError(
                f"Notebook source {path} must be named NN_snake_case.py (two digits, then "
                "lower-case words joined by underscores)."
            )
    if not names:
        return available
    chosen: list[Path] = []
    for name in names:
        stem = Path(name).stem
        hits = [p for p in available if p.stem == stem or p.stem.startswith(stem + "_")]
        if len(hits) != 1:
            known = ", ".join(p.stem for p in available) or "none"
            what = "matches no" if not hits else "matches more than one"
            raise NotebookError(f"{name!r} {what} notebook source in {src_dir}. Known: {known}.")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def ipynb_for(src: Path, nb_dir: Path = NB_DIR) -> Path:
    return Path(nb_dir) / f"{Path(src).stem}.ipynb"


# --------------------------------------------------------------------------------------------
# py -> notebook


def read_source(src: Path) -> NotebookNode:
    """Read a percent script as a clean notebook: python3 kernelspec, stable cell ids.

    Cell ids are ``cell-00``, ``cell-01``... so that rebuilding an unchanged script gives a
    byte-identical notebook; jupytext's own bookkeeping metadata is dropped.
    """
    nb = jupytext.read(str(src), fmt="py:percent")
    nb.metadata = nbformat.from_dict(
        {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    )
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.from_dict({"tags": list(tags)} if tags else {})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def is_check_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def execute(
    nb: NotebookNode,
    *,
    budget: str = "smoke",
    cwd: Path = NB_DIR,
    timeout: int = DEFAULT_CELL_TIMEOUT,
    name: str = "notebook",
) -> float:
    """Execute ``nb`` in place with a fresh kernel; return the wall time in seconds.

    The kernel runs with ``COURSE_BUDGET=budget`` and ``TF_CPP_MIN_LOG_LEVEL=2`` in ``cwd``, and
    draws inline figures as PNG at ``FIGURE_DPI`` dots per inch (``KERNEL_FIGURE_ARGS``).

    Raises:
        ValueError: ``budget`` is not smoke, quick or full.
        NotebookError: a cell raised or ran past ``timeout`` seconds (the message names it).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {', '.join(BUDGETS)}. Received: budget={budget!r}")
    env = dict(os.environ, COURSE_BUDGET=budget, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=False,
        record_timing=False,
        extra_arguments=list(KERNEL_FIGURE_ARGS),
        resources={"metadata": {"path": str(cwd)}},
    )
    start = time.perf_counter()
    try:
        client.execute(env=env, cwd=str(cwd))
    except CellTimeoutError as err:
        raise NotebookError(f"{name}: a cell ran past {timeout} s under budget {budget!r}.\n{err}")
    except CellExecutionError as err:
        message = _ANSI_RE.sub("", str(err))
        raise NotebookError(f"{name}: a cell failed under budget {budget!r}.\n{message}") from None
    return time.perf_counter() - start


def strip(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """Keep outputs and execution counts only on ``# NBVAL_CHECK_OUTPUT`` cells (in place).

    Raises:
        NotebookError: a check cell wrote to stderr or holds an error (unstable reference).
    """
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if is_check_cell(cell):
            for out in cell.outputs:
                if out.output_type == "error" or (
                    out.output_type == "stream" and out.get("name") == "stderr"
                ):
                    raise NotebookError(
                        f"{name}, cell {i} is marked {CHECK_MARK} but wrote to stderr or failed; "
                        "nbval would compare that text. Move the noisy call (imports, TensorFlow "
                        "logging, warnings) to an unmarked cell.\n"
                        + "".join(out.get("text", "") or out.get("evalue", ""))[:2000]
                    )
        else:
            cell.outputs = []
            cell.execution_count = None
    return nb


def _clean_stream_text(text: str) -> tuple[str, int]:
    """Text as a terminal shows it, without ANSI codes and progress lines; (text, lines dropped)."""
    kept, dropped = [], 0
    for line in _ANSI_RE.sub("", text).split("\n"):
        line = line.rstrip("\r").rsplit("\r", 1)[-1]  # a carriage return overwrites the line
        if _PROGRESS_RE.match(line):
            dropped += 1
        else:
            kept.append(line)
    return "\n".join(kept), dropped


def lean(nb: NotebookNode, *, budget: str, name: str = "notebook") -> dict[str, int]:
    """Keep every result of an executed notebook, minus what is not a result (in place).

    Drops stderr streams (TensorFlow and Python warnings), progress lines from stdout (Keras
    progress bars and epoch headers, tqdm bars; see ``_PROGRESS_RE``), widget views (their
    state is not saved, so they would render as nothing) and per-cell timing metadata; merges
    consecutive stdout streams; records ``metadata.course_kit.budget``. Figures stay as PNG
    (``execute`` draws them at ``FIGURE_DPI``). Returns counts of what was dropped, including
    Matplotlib's "Glyph ... missing from font" warnings (text drawn as empty boxes).

    Raises:
        NotebookError: a cell stores an error, or a ``# NBVAL_CHECK_OUTPUT`` cell wrote to
            stderr or printed progress lines (nbval would compare that unstable text).
    """
    dropped = {"stderr": 0, "progress lines": 0, "widgets": 0, "missing-glyph warnings": 0}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        merged: list = []  # consecutive streams of one name joined: the text as printed
        for out in cell.outputs:
            if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1].text += out.get("text", "")
            else:
                merged.append(out)
        outputs = []
        for out in merged:
            kind = out.output_type
            if kind == "error":
                raise NotebookError(f"{name}, cell {i} stores an error ({out.get('ename')}).")
            if kind == "stream":
                noisy = out.get("name") == "stderr"
                text, lines = ("", 0) if noisy else _clean_stream_text(out.get("text", ""))
                if is_check_cell(cell) and (noisy or lines):
                    raise NotebookError(
                        f"{name}, cell {i} is marked {CHECK_MARK} but wrote to stderr or printed "
                        "progress lines; nbval would compare that text. Move the noisy call "
                        "(training, TensorFlow logging, warnings) to an unmarked cell.")
                dropped["stderr"] += noisy
                if noisy:
                    dropped["missing-glyph warnings"] += len(
                        _MISSING_GLYPH_RE.findall(out.get("text", "")))
                dropped["progress lines"] += lines
                if text.strip("\n"):
                    out.text = text
                    outputs.append(out)
                continue
            if kind in ("display_data", "execute_result") and _WIDGET_MIME in out.get("data", {}):
                dropped["widgets"] += 1
                continue
            outputs.append(out)
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}  # no interpreter version: stable diffs
    nb.metadata["course_kit"] = {"budget": budget}
    return dropped


def _check_outputs(nb: NotebookNode) -> dict[int, tuple[str, list]]:
    """``{cell index: (source, outputs)}`` of the ``# NBVAL_CHECK_OUTPUT`` cells."""
    return {i: (c.source, _comparable(c.outputs)) for i, c in enumerate(nb.cells)
            if is_check_cell(c)}


def _comparable(outputs) -> list:
    """What nbval compares of a cell's outputs: streams merged by name (as nbval's
    ``coalesce_streams``), display data without images; no ids, counts or metadata."""
    keep: list = []
    streams: dict[str, list] = {}
    for out in outputs:
        if out.output_type == "stream":
            if out.get("name") in streams:
                streams[out.get("name")][1] += out.get("text", "")
            else:
                streams[out.get("name")] = entry = ["stream", out.get("text", "")]
                keep.append(entry)
        elif out.output_type in ("display_data", "execute_result"):
            data = out.get("data", {})
            keep.append(["data", {k: v for k, v in data.items() if not k.startswith("image/")}])
    return keep


def write(nb: NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


@dataclass
class Timing:
    name: str
    seconds: float
    budget: str


def build(
    names: Sequence[str] | None = None,
    *,
    timeout: int = DEFAULT_CELL_TIMEOUT,
    src_dir: Path = SRC_DIR,
    nb_dir: Path = NB_DIR,
) -> list[Timing]:
    """Build ``notebooks/<name>.ipynb`` from each selected script (executed with smoke budget)."""
    timings = []
    for src in sources(names, src_dir):
        nb = read_source(src)
        seconds = execute(nb, budget="smoke", cwd=nb_dir, timeout=timeout, name=src.stem)
        strip(nb, src.stem)
        out = ipynb_for(src, nb_dir)
        write(nb, out)
        problems = check_notebook(out, src)
        if problems:
            raise NotebookError(f"{out} was built but fails its checks:\n- " + "\n- ".join(problems))
        timings.append(Timing(src.stem, seconds, "smoke"))
        print(f"built {out.relative_to(nb_dir.parent) if nb_dir.parent in out.parents else out} "
              f"({seconds:.1f} s, smoke)", flush=True)
    return timings


def _load_average() -> float:
    """The 1-minute load average (above the core count: other work competed for the CPU)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def matmul_gflops(n: int = 4096, repeats: int = 5) -> float:
    """This machine's FP32 rate on a large ``tf.matmul``, GFLOP/s: the ceiling that notebook
    times scale with, measured by ``benchmarks/levers.py``'s ``matmul_ceiling`` (one
    implementation) in a subprocess, so this tool never imports TensorFlow."""
    code = ("import sys; sys.path.insert(0, 'benchmarks'); from levers import matmul_ceiling; "
            f"print(matmul_ceiling({n}, {repeats}))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def execute_in_place(
    names: Sequence[str] | None = None,
    *,
    budget: str = "quick",
    timeout: int = DEFAULT_CELL_TIMEOUT,
    src_dir: Path = SRC_DIR,
    nb_dir: Path = NB_DIR,
) -> tuple[list[Timing], list[str]]:
    """Execute each selected script under ``budget`` and write it, outputs kept, in place.

    The notebook is rebuilt from its script (so it is in sync), executed top to bottom, made
    ``lean`` and written to ``notebooks/<name>.ipynb``; the time, size and what was dropped are
    printed. Returns the timings and the problems found, which do not stop the other
    notebooks: the written notebook fails ``check_notebook`` (e.g. it is over
    ``MAX_NOTEBOOK_BYTES``), or a ``# NBVAL_CHECK_OUTPUT`` cell whose source is unchanged now
    prints something else than the notebook held before (``pytest --nbval-lax`` at smoke
    would fail: that cell's output depends on the budget).

    Raises:
        NotebookError: a cell failed (the notebook is left as it was).
    """
    timings, problems = [], []
    gflops = matmul_gflops()
    for src in sources(names, src_dir):
        out = ipynb_for(src, nb_dir)
        before = _check_outputs(nbformat.read(str(out), as_version=4)) if out.exists() else {}
        nb = read_source(src)
        load_before = _load_average()
        seconds = execute(nb, budget=budget, cwd=nb_dir, timeout=timeout, name=src.stem)
        dropped = lean(nb, budget=budget, name=src.stem)
        # How long it took, and how fast this machine is (README: times scale with GFLOP/s)
        nb.metadata["course_kit"].update(
            seconds=round(seconds), matmul_gflops=round(gflops),
            load_average=[load_before, _load_average()], cores=os.cpu_count())
        for i, (source, outputs) in _check_outputs(nb).items():
            if i in before and before[i][0] == source and before[i][1] != outputs:
                problems.append(
                    f"{src.stem}, cell {i} ({CHECK_MARK}) printed something else under budget "
                    f"{budget!r} than the notebook held before: its output depends on the budget "
                    "(or on chance), so `pytest --nbval-lax` at smoke would fail on it. Make it "
                    "budget-independent or remove the mark.")
        if dropped["missing-glyph warnings"]:
            problems.append(
                f"{src.stem}: a figure drew characters its font lacks (Matplotlib warned "
                f"{dropped['missing-glyph warnings']} time(s) 'Glyph ... missing from font'): "
                "they show as empty boxes here and on Colab. Keep figure text in English "
                "(Chinese terms belong in the markdown).")
        write(nb, out)
        problems += [f"{src.stem}: {p}" for p in check_notebook(out, src)]
        size = out.stat().st_size
        timings.append(Timing(src.stem, seconds, budget))
        figures = sum("image/png" in o.get("data", {}) for c in nb.cells
                      if c.cell_type == "code" for o in c.outputs)
        gone = ", ".join(f"{v} {k}" for k, v in dropped.items() if v) or "nothing"
        print(f"executed {src.stem} ({seconds:.1f} s, {budget}): {size / 1e6:.2f} MB, "
              f"{figures} figure(s); dropped {gone}", flush=True)
    return timings, problems


def run(
    names: Sequence[str] | None = None,
    *,
    budget: str = "quick",
    timeout: int = DEFAULT_CELL_TIMEOUT,
    src_dir: Path = SRC_DIR,
    nb_dir: Path = NB_DIR,
    output_dir: Path | None = None,
) -> list[Timing]:
    """Execute each selected script under ``budget`` and report the time.

    Nothing in the repository is written (except what the notebook itself writes, e.g. its
    results/ records). With ``output_dir``, the executed notebooks, all outputs included, are
    saved there for a visual review (``<output_dir>/<name>.ipynb``).
    """
    timings = []
    for src in sources(names, src_dir):
        nb = read_source(src)
        seconds = execute(nb, budget=budget, cwd=nb_dir, timeout=timeout, name=src.stem)
        if output_dir is not None:
            Path(output_dir).mkdir(parents=True, exist_ok=True)
            write(nb, Path(output_dir) / f"{src.stem}.ipynb")
        timings.append(Timing(src.stem, seconds, budget))
        print(f"ran {src.stem} ({seconds:.1f} s, {budget})", flush=True)
    return timings


# --------------------------------------------------------------------------------------------
# Checks


def _code_cells(nb: NotebookNode) -> list[tuple[int, NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def check_notebook(path: Path, src: Path | None = None) -> list[str]:
    """Every problem found in ``path`` (empty list: the notebook passes). See the module doc."""
    path = Path(path)
    stem = path.stem
    problems: list[str] = []
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # unreadable JSON, wrong version...
        return [f"cannot read {path}: {err}"]
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        problems.append(f"not a valid nbformat 4 notebook: {err.message}")
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"metadata.kernelspec.name must be {KERNEL_NAME!r} (rebuild with the tool).")
    if not nb.cells:
        return problems + ["the notebook has no cells."]

    # 2. badge
    first = nb.cells[0]
    badge = colab_badge(stem)
    if first.cell_type != "markdown" or badge not in first.source:
        problems.append(f"the first cell must be markdown containing the Colab badge:\n  {badge}")

    # 3. learning goals
    if not any(
        c.cell_type == "markdown" and ("学习目标" in c.source)
        for c in nb.cells[:3]
    ):
        problems.append("no learning goals: one of the first three cells must be markdown with "
                        "a '学习目标' (learning goals) section.")

    # 4./5. install cell, version/BUDGET cell
    code = _code_cells(nb)
    if len(code) < 2:
        problems.append("the notebook needs at least the install cell and the setup cell.")
    else:
        install = code[0][1].source
        if install != install_cell("notebooks"):
            problems.append(
                "the first code cell must be the guarded Colab install cell generated from "
                f"pyproject.toml (address {repo_url()}): run `python tools/notebooks.py sync`"
            )
        elif INSTALL_CELL_TAG not in code[0][1].metadata.get("tags", []):
            problems.append(f"the install cell must carry the tag {INSTALL_CELL_TAG!r} (the "
                            "course site shows it collapsed): run `python tools/notebooks.py sync`")
        setup_src = code[1][1].source
        version = library_version()
        want = f'BUDGET = setup(expected_version="{version}")'
        pattern = r'^BUDGET\s*=\s*setup\(\s*expected_version\s*=\s*"' + re.escape(version) + '"'
        if (not re.search(pattern, setup_src, re.MULTILINE)
                or "from course_lib.notebook import setup" not in setup_src):
            problems.append(
                "the second code cell must be the version/BUDGET cell:\n"
                f"  from course_lib.notebook import setup\n  {want}"
            )

    # 6. exercises
    half = len(nb.cells) // 2
    if not any(c.cell_type == "markdown" and "练习" in c.source for c in nb.cells[half:]):
        problems.append("no exercises: add a markdown cell with 2-4 ungraded exercises (练习) "
                        "near the end.")

    # 7. outputs
    executed_under = nb.metadata.get("course_kit", {}).get("budget")
    if executed_under is not None and executed_under not in BUDGETS:
        problems.append(f"metadata.course_kit.budget must be one of {', '.join(BUDGETS)}. "
                        f"Received: {executed_under!r}")
    for i, cell in code:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            problems.append(f"cell {i} stores an error output ({errors[0].get('ename')}).")
        if any(o.output_type == "stream" and o.get("name") == "stderr" for o in cell.outputs):
            problems.append(f"cell {i} stores stderr output (warnings, logs): re-execute with "
                            "`tools/notebooks.py execute` or `build`.")
        if is_check_cell(cell) or executed_under:
            if cell.execution_count is None:
                problems.append(f"cell {i} was not executed (marked {CHECK_MARK}: nbval skips "
                                "it; or the notebook is stored executed): rebuild with "
                                "`tools/notebooks.py build` or `execute`.")
        if executed_under:
            for out in cell.outputs:
                if out.output_type == "stream" and _clean_stream_text(out.get("text", ""))[1]:
                    problems.append(f"cell {i} stores progress lines (training logs): "
                                    "re-execute with `tools/notebooks.py execute`.")
                if _WIDGET_MIME in out.get("data", {}):
                    problems.append(f"cell {i} stores a widget view (no saved state).")
        elif not is_check_cell(cell):
            if cell.outputs:
                problems.append(f"cell {i} stores outputs but is not marked {CHECK_MARK}: "
                                "rebuild with `tools/notebooks.py build`, or `execute` to "
                                "store every output.")
            if cell.execution_count is not None:
                problems.append(f"cell {i} stores an execution count but is not marked "
                                f"{CHECK_MARK}.")

    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        problems.append(f"{path.name} is {size / 1e6:.1f} MB, over the {MAX_NOTEBOOK_BYTES / 1e6:.0f} "
                        "MB limit: draw fewer or smaller figures, print less.")

    # 8. sync with the percent script
    src = Path(src) if src is not None else SRC_DIR / f"{stem}.py"
    if not src.exists():
        problems.append(f"no source script {src}: notebooks are written in notebooks/src/.")
    else:
        want_cells = [(c.cell_type, c.source) for c in read_source(src).cells]
        have_cells = [(c.cell_type, c.source) for c in nb.cells]
        if want_cells != have_cells:
            where = next(
                (k for k, (a, b) in enumerate(zip(want_cells, have_cells)) if a != b),
                min(len(want_cells), len(have_cells)),
            )
            problems.append(
                f"{path.name} is out of sync with {src.name} (first difference at cell {where}): "
                f"run `python tools/notebooks.py build {stem}`."
            )
    return problems


def check(
    names: Sequence[str] | None = None, *, src_dir: Path = SRC_DIR, nb_dir: Path = NB_DIR
) -> dict[str, list[str]]:
    """``{notebook stem: problems}`` for the selected notebooks, including unpaired files."""
    report: dict[str, list[str]] = {}
    for src in sources(names, src_dir):
        out = ipynb_for(src, nb_dir)
        report[src.stem] = (
            check_notebook(out, src) if out.exists()
            else [f"{out.name} has not been built: run `python tools/notebooks.py build {src.stem}`."]
        )
    if not names:
        stems = {p.stem for p in sources(None, src_dir)}
        for nb_path in sorted(Path(nb_dir).glob("*.ipynb")):
            if nb_path.stem not in stems:
                report[nb_path.stem] = [f"{nb_path.name} has no source script in {src_dir}."]
    return report


# --------------------------------------------------------------------------------------------
# Colab badges and install cells: generated from pyproject.toml, checked, retargeted

#: What assignment notebooks install on Colab besides the kit.
ASSIGNMENT_EXTRA = ("otter-grader~=7.0",)
_COLAB_GUARD = 'if "google.colab" in sys.modules:'


def assignment_notebooks(root: Path = ASSIGNMENTS_DIR) -> list[tuple[Path, str]]:
    """``(notebook, folder of its student version relative to the kit)`` for every assignment
    master (``assignments/<n>-<name>/<name>.ipynb``) and student notebook."""
    found = []
    for folder in sorted(p for p in Path(root).glob("*") if p.is_dir()):
        student = f"assignments/{folder.name}/student"
        for nb_path in sorted(folder.glob("*.ipynb")) + sorted((folder / "student").glob("*.ipynb")):
            found.append((nb_path, student))
    return found


def _assignment_cells(nb: NotebookNode) -> tuple[int | None, int | None]:
    """Indices of an assignment's intro markdown cell and of its Colab install cell."""
    intro = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "markdown" and c.source.startswith("# Assignment")), None)
    install = next((i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and _COLAB_GUARD in c.source), None)
    return intro, install


def check_assignments(root: Path = ASSIGNMENTS_DIR) -> dict[str, list[str]]:
    """``{notebook path: problems}``: badge and install cell of every assignment notebook must
    equal what pyproject.toml generates."""
    report: dict[str, list[str]] = {}
    for nb_path, student in assignment_notebooks(root):
        nb = nbformat.read(str(nb_path), as_version=4)
        intro, install = _assignment_cells(nb)
        problems = []
        badge = colab_badge(nb_path.stem, student)
        if intro is None or badge not in nb.cells[intro].source:
            problems.append(f"the intro cell (# Assignment ...) must hold the Colab badge {badge}: "
                            "run `python tools/notebooks.py sync`")
        want = install_cell(student, ASSIGNMENT_EXTRA, drive=False)
        if install is None or nb.cells[install].source != want:
            problems.append("the Colab install cell is not the one generated from pyproject.toml "
                            f"(address {repo_url()}): run `python tools/notebooks.py sync`")
        elif INSTALL_CELL_TAG not in nb.cells[install].metadata.get("tags", []):
            problems.append(f"the Colab install cell must carry the tag {INSTALL_CELL_TAG!r}: run "
                            "`python tools/notebooks.py sync`")
        key = nb_path.relative_to(root.parent) if root.parent in nb_path.parents else nb_path
        report[str(key)] = problems
    return report


def _sync_script(src: Path) -> bool:
    """Rewrite the badge and the install cell of a percent script; True if it changed."""
    text = Path(src).read_text(encoding="utf-8")
    lines = text.split("\n")
    # the first code cell: the install cell (its header with or without the tag)
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("# %%") and not line.startswith("# %% [markdown]"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("# %%"))
    new_lines = (lines[:start] + [f'# %% tags=["{INSTALL_CELL_TAG}"]']
                 + install_cell("notebooks").split("\n") + [""] + lines[end:])
    new = _BADGE_RE.sub(lambda _: colab_badge(Path(src).stem), "\n".join(new_lines), count=1)
    if new != text:
        Path(src).write_text(new, encoding="utf-8")
    return new != text


def _sync_ipynb(path: Path, badge: str, install: str, intro: int | None,
                install_at: int | None) -> bool:
    """Set the badge and install cell of a notebook file in place; True if it changed."""
    nb = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(nb, version=4)
    if intro is not None:
        nb.cells[intro].source = _with_badge(nb.cells[intro].source, badge)
    if install_at is not None:
        nb.cells[install_at].source = install
        tags = list(nb.cells[install_at].metadata.get("tags", []))
        if INSTALL_CELL_TAG not in tags:
            nb.cells[install_at].metadata["tags"] = tags + [INSTALL_CELL_TAG]
    if nbformat.writes(nb, version=4) == before:
        return False
    write(nb, path)
    return True


def sync(*, src_dir: Path = SRC_DIR, nb_dir: Path = NB_DIR,
         assignments_dir: Path | None = ASSIGNMENTS_DIR) -> list[Path]:
    """Regenerate every Colab badge and install cell from pyproject.toml; the changed files.

    Notebooks: ``notebooks/src/*.py`` and the built ``notebooks/*.ipynb`` (the install cell
    stores no output, so nothing is executed). Assignments: masters and student notebooks.
    """
    changed = []
    for src in sources(None, src_dir):
        if _sync_script(src):
            changed.append(src)
        out = ipynb_for(src, nb_dir)
        if out.exists():
            nb = nbformat.read(str(out), as_version=4)
            first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
            if _sync_ipynb(out, colab_badge(src.stem), install_cell("notebooks"), 0, first_code):
                changed.append(out)
    if assignments_dir is not None:
        for nb_path, student in assignment_notebooks(assignments_dir):
            nb = nbformat.read(str(nb_path), as_version=4)
            intro, install = _assignment_cells(nb)
            if _sync_ipynb(nb_path, colab_badge(nb_path.stem, student),
                           install_cell(student, ASSIGNMENT_EXTRA, drive=False), intro, install):
                changed.append(nb_path)
    return changed


def retarget(url: str, *, pyproject: Path = PYPROJECT, **sync_kwargs) -> list[Path]:
    """Point the kit at ``url`` (``https://github.com/<owner>/<repo>``): write it to
    ``[project.urls] Repository`` in pyproject.toml, then :func:`sync`. The changed files.

    Raises:
        NotebookError: ``url`` is not a GitHub repository address (Colab opens notebooks from
            GitHub only), or pyproject.toml has no ``Repository`` entry to rewrite.
    """
    url = str(url).strip().rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    if not re.fullmatch(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", url):
        raise NotebookError(
            "the address must be a GitHub repository, https://github.com/<owner>/<repo> (Colab "
            f"badges open notebooks from GitHub). Received: url={url!r}"
        )
    text = Path(pyproject).read_text(encoding="utf-8")
    pattern = re.compile(r'^(\[project\.urls\][^\[]*?^Repository\s*=\s*)"[^"]*"', re.M | re.S)
    if not pattern.search(text):
        raise NotebookError(f"{pyproject} has no `Repository = \"...\"` under [project.urls].")
    Path(pyproject).write_text(pattern.sub(lambda m: f'{m.group(1)}"{url}"', text, count=1),
                               encoding="utf-8")
    return [Path(pyproject)] + sync(**sync_kwargs)


# --------------------------------------------------------------------------------------------
# CLI


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/notebooks.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="py -> ipynb, execute under smoke, strip outputs")
    p_build.add_argument("names", nargs="*")
    p_build.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT,
                         help="seconds per cell (default %(default)s)")
    p_exec = sub.add_parser("execute", help="execute under a budget, keep lean outputs, write "
                            "the notebook in place")
    p_exec.add_argument("names", nargs="*")
    p_exec.add_argument("--budget", choices=BUDGETS, default="quick")
    p_exec.add_argument("--timeout", type=int, default=None,
                        help=f"seconds per cell (default {DEFAULT_CELL_TIMEOUT} under smoke, "
                             f"{LONG_CELL_TIMEOUT} under quick and full: one cell may train "
                             "several models)")
    p_check = sub.add_parser("check", help="structural checks and src/ipynb sync")
    p_check.add_argument("names", nargs="*")
    p_run = sub.add_parser("run", help="execute under a budget and time it; saves nothing")
    p_run.add_argument("names", nargs="*")
    p_run.add_argument("--budget", choices=BUDGETS, default="quick")
    p_run.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT)
    p_run.add_argument("--output-dir", type=Path, default=None,
                       help="save the executed notebooks (with every output) here for review")
    sub.add_parser("list", help="the notebook sources")
    sub.add_parser("sync", help="regenerate every Colab badge and install cell (notebooks and "
                                "assignments) from pyproject.toml")
    p_retarget = sub.add_parser("retarget", help="write a new kit address to pyproject.toml "
                                                 "([project.urls]), then sync")
    p_retarget.add_argument("url", help="https://github.com/<owner>/<repo>")
    args = parser.parse_args(list(argv) if argv is not None else None)

    try:
        if args.command == "list":
            for src in sources():
                built = "built" if ipynb_for(src).exists() else "not built"
                print(f"{src.stem}  ({built})")
            return 0
        if args.command in ("sync", "retarget"):
            changed = sync() if args.command == "sync" else retarget(args.url)
            for path in changed:
                print(f"updated {path.relative_to(ROOT) if ROOT in path.parents else path}")
            print(f"{len(changed)} file(s) updated; address: {repo_url()}")
            if any(ASSIGNMENTS_DIR in p.parents for p in changed):
                # otter names the student notebooks' cells after their content: rebuild them
                # so that the committed release equals a fresh build (make assignments)
                print("rebuilding the assignments' student releases (make assignments)")
                env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                    [str(ROOT), os.environ.get("PYTHONPATH", "")]))
                import subprocess

                return subprocess.run([sys.executable, "-m", "course_lib", "build"],
                                      cwd=ROOT, env=env).returncode
            return 0
        if args.command == "check":
            report = check(args.names)
            if not args.names:
                report.update(check_assignments())
            bad = {k: v for k, v in report.items() if v}
            for stem, problems in report.items():
                print(f"{'FAIL' if problems else 'ok  '} {stem}")
                for problem in problems:
                    print(f"     - {problem}")
            return 1 if bad else 0
        problems: list[str] = []
        if args.command == "build":
            timings = build(args.names, timeout=args.timeout)
        elif args.command == "execute":
            timeout = args.timeout or (DEFAULT_CELL_TIMEOUT if args.budget == "smoke"
                                       else LONG_CELL_TIMEOUT)
            timings, problems = execute_in_place(args.names, budget=args.budget, timeout=timeout)
        else:
            timings = run(args.names, budget=args.budget, timeout=args.timeout,
                          output_dir=args.output_dir)
        total = sum(t.seconds for t in timings)
        print(f"{len(timings)} notebook(s), {total:.1f} s in all")
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        return 1 if problems else 0
    except NotebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
