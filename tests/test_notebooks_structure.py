"""Structure of the course notebooks, and the tool that builds them (tools/notebooks.py).

The first tests run ``tools/notebooks.py check`` on every notebook of the kit (Colab badge,
learning goals, install and version cells, exercises, outputs only on NBVAL_CHECK_OUTPUT cells
in the built form or lean outputs everywhere in the executed form, ipynb in sync with its percent
script). Executing the notebooks is ``pytest --nbval-lax
notebooks`` (``make test``); the tests below build a small notebook with a real kernel to pin
down what ``build`` and ``execute`` keep and what they reject.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
nbtool = load_script("tools/notebooks.py", "course_notebook_tool")

SOURCES = nbtool.sources()


# ------------------------------------------------------------------------------------------
# The kit's notebooks


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_course_notebook_passes_checks(src):
    out = nbtool.ipynb_for(src)
    assert out.exists(), f"{out.name} not built: python tools/notebooks.py build {src.stem}"
    assert nbtool.check_notebook(out, src) == []


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    report = nbtool.check()
    unpaired = {k: v for k, v in report.items() if any("source script" in p or "not been built" in p
                                                       for p in v)}
    assert unpaired == {}
    assert len(report) >= 1, "the kit has no notebooks in notebooks/src/"


def test_notebooks_never_download_cifar_or_imagenet_in_smoke():
    """Smoke runs are offline: a CIFAR/ImageNet/SVHN load must sit behind BUDGET == "full",
    or in a Colab-only cell that skips at smoke (e.g. notebook 06's optional VGG-16 cell)."""
    for src in SOURCES:
        for cell in nbtool.read_source(src).cells:
            if cell.cell_type != "code":
                continue
            colab_only = "on_colab()" in cell.source and 'BUDGET == "smoke"' in cell.source
            for name in ("cifar10", "cifar100", "svhn", "imagenet"):
                if f'"{name}"' in cell.source or f"'{name}'" in cell.source:
                    assert 'BUDGET == "full"' in cell.source or colab_only, (
                        f"{src.name}: a code cell names {name!r} without a BUDGET == \"full\" guard"
                    )


# ------------------------------------------------------------------------------------------
# The tool itself, on a small notebook executed by a real kernel

BADGE = nbtool.colab_badge("01_demo")
INSTALL = nbtool.install_cell("notebooks")  # generated from pyproject.toml


def _demo_source(body: str, version: str | None = None) -> str:
    version = version or nbtool.library_version()
    return (
        f"# %% [markdown]\n# {BADGE}\n#\n# # Demo\n#\n# ## 学习目标\n# - one\n\n"
        f'# %% tags=["{nbtool.INSTALL_CELL_TAG}"]\n{INSTALL}\n'
        "# %%\nfrom course_lib.notebook import setup\n"
        f'BUDGET = setup(expected_version="{version}", verbose=False)\n\n'
        f"{body}\n"
        "# %% [markdown]\n# ## 练习\n# 1. one\n# 2. two\n"
    )


GOOD_BODY = (
    "# %%\n# NBVAL_CHECK_OUTPUT\nprint(BUDGET, 6 * 7)\n\n"
    "# %%\nimport sys\nprint('unstable', id(object()))\nprint('warn', file=sys.stderr)\n\n"
    "# %%\n3 + 4  # NBVAL_CHECK_OUTPUT\n\n"
)


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbdemo")
    (root / "src").mkdir()
    (root / "src" / "01_demo.py").write_text(_demo_source(GOOD_BODY), encoding="utf-8")
    timings = nbtool.build(src_dir=root / "src", nb_dir=root, timeout=120)
    return root, timings


def test_build_keeps_outputs_only_on_check_cells(built_demo):
    root, timings = built_demo
    assert [t.name for t in timings] == ["01_demo"] and timings[0].budget == "smoke"
    nb = nbformat.read(str(root / "01_demo.ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 5
    install, setup_cell, checked, noisy, result = code
    for cell in (install, setup_cell, noisy):
        assert cell.outputs == [] and cell.execution_count is None
    # Executed under COURSE_BUDGET=smoke, counts kept so that nbval compares them.
    assert checked.outputs[0]["text"] == "smoke 42\n" and checked.execution_count == 3
    assert result.outputs[0]["data"]["text/plain"] == "7" and result.execution_count == 5
    assert [c.id for c in nb.cells] == [f"cell-{i:02d}" for i in range(len(nb.cells))]
    assert nb.metadata.kernelspec.name == "python3" and "jupytext" not in nb.metadata


def test_rebuilding_unchanged_source_is_byte_identical(built_demo, tmp_path):
    root, _ = built_demo
    first = (root / "01_demo.ipynb").read_text(encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "01_demo.py").write_text(_demo_source(GOOD_BODY), encoding="utf-8")
    nbtool.build(src_dir=tmp_path / "src", nb_dir=tmp_path, timeout=120)
    assert (tmp_path / "01_demo.ipynb").read_text(encoding="utf-8") == first


def test_check_passes_built_demo_and_flags_drift(built_demo, tmp_path):
    root, _ = built_demo
    src = root / "src" / "01_demo.py"
    assert nbtool.check_notebook(root / "01_demo.ipynb", src) == []
    edited = tmp_path / "01_demo.py"
    edited.write_text(src.read_text(encoding="utf-8").replace("6 * 7", "6 * 8"), encoding="utf-8")
    problems = nbtool.check_notebook(root / "01_demo.ipynb", edited)
    assert len(problems) == 1 and "out of sync" in problems[0] and "cell 3" in problems[0]


def _mutated(root: Path, tmp_path: Path, name: str, mutate) -> list[str]:
    data = json.loads((root / "01_demo.ipynb").read_text(encoding="utf-8"))
    mutate(data)
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    return nbtool.check_notebook(tmp_path / name, root / "src" / "01_demo.py")


def test_check_flags_stray_outputs_and_unexecuted_check_cells(built_demo, tmp_path):
    root, _ = built_demo

    def stray(data):
        cell = data["cells"][4]  # the unmarked, noisy cell
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]
        cell["execution_count"] = 4

    problems = _mutated(root, tmp_path, "01_demo.ipynb", stray)
    assert any("stores outputs but is not marked" in p for p in problems)
    assert any("stores an execution count" in p for p in problems)

    def unrun(data):
        data["cells"][3]["execution_count"] = None

    problems = _mutated(root, tmp_path, "01_demo.ipynb", unrun)
    assert problems == [p for p in problems if "was not executed" in p] and len(problems) == 1


def test_check_flags_badge_for_another_notebook(built_demo, tmp_path):
    root, _ = built_demo
    # Same content saved under another name: the badge points at 01_demo, not 02_other.
    problems = _mutated(root, tmp_path, "02_other.ipynb", lambda data: None)
    assert any("Colab badge" in p and "02_other.ipynb" in p for p in problems)


def test_check_flags_missing_structure(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# No badge"),
        nbformat.v4.new_code_cell("import os"),
        nbformat.v4.new_code_cell("BUDGET = 'smoke'"),
    ]
    nb.metadata["kernelspec"] = dict(nbtool.KERNELSPEC)
    nbformat.write(nb, str(tmp_path / "03_bare.ipynb"))
    problems = " | ".join(nbtool.check_notebook(tmp_path / "03_bare.ipynb", tmp_path / "none.py"))
    for expected in ("Colab badge", "学习目标", "guarded Colab install", "version/BUDGET cell",
                     "练习", "no source script"):
        assert expected in problems


def test_check_flags_wrong_library_version(tmp_path):
    (tmp_path / "src").mkdir()
    src = tmp_path / "src" / "01_demo.py"
    src.write_text(_demo_source("", version="0.0.9"), encoding="utf-8")
    nb = nbtool.read_source(src)
    nbtool.write(nb, tmp_path / "01_demo.ipynb")
    problems = nbtool.check_notebook(tmp_path / "01_demo.ipynb", src)
    assert len(problems) == 1 and f'expected_version="{nbtool.library_version()}"' in problems[0]


def test_build_rejects_stderr_in_a_check_cell_and_failing_cells(tmp_path):
    (tmp_path / "src").mkdir()
    src = tmp_path / "src" / "01_demo.py"
    src.write_text(_demo_source("# %%\n# NBVAL_CHECK_OUTPUT\nimport sys\nprint('w', file=sys.stderr)\n"),
                   encoding="utf-8")
    with pytest.raises(nbtool.NotebookError, match="wrote to stderr"):
        nbtool.build(src_dir=tmp_path / "src", nb_dir=tmp_path, timeout=120)
    src.write_text(_demo_source("# %%\nraise ValueError('bad cell 42')\n"), encoding="utf-8")
    with pytest.raises(nbtool.NotebookError, match="bad cell 42"):
        nbtool.build(src_dir=tmp_path / "src", nb_dir=tmp_path, timeout=120)
    assert not (tmp_path / "01_demo.ipynb").exists()


def test_sources_selects_by_number_stem_or_path_and_rejects_unknown(tmp_path):
    for stem in ("01_start_here", "02_cnn_building_blocks"):
        (tmp_path / f"{stem}.py").write_text("# %%\n", encoding="utf-8")
    by_num = nbtool.sources(["02"], tmp_path)
    by_stem = nbtool.sources(["01_start_here"], tmp_path)
    by_path = nbtool.sources(["notebooks/02_cnn_building_blocks.ipynb"], tmp_path)
    assert [p.stem for p in by_num + by_stem + by_path] == [
        "02_cnn_building_blocks", "01_start_here", "02_cnn_building_blocks"]
    with pytest.raises(nbtool.NotebookError, match="matches no notebook source"):
        nbtool.sources(["07"], tmp_path)
    (tmp_path / "Bad Name.py").write_text("", encoding="utf-8")
    with pytest.raises(nbtool.NotebookError, match="NN_snake_case"):
        nbtool.sources(None, tmp_path)


def test_execute_rejects_unknown_budget():
    nb = nbformat.v4.new_notebook()
    with pytest.raises(ValueError, match="Received: budget='huge'"):
        nbtool.execute(nb, budget="huge")


# ------------------------------------------------------------------------------------------
# execute: every result kept, lean (figures as PNG, no logs), written in place

NOISY_BODY = (
    "# %%\n# NBVAL_CHECK_OUTPUT\nprint(6 * 7)\n\n"
    "# %%\nimport sys\nprint('Epoch 1/3')\n"
    "print('\\r 1/32 \\x1b[32m━━━━\\x1b[0m 0s 5ms/step - loss: 1.0', end='')\n"
    "print('\\r32/32 \\x1b[32m━━━━━━━━\\x1b[0m 1s 6ms/step - loss: 0.9')\n"
    "print('test error 12.5%')\nprint('a TensorFlow log line', file=sys.stderr)\n\n"
    "# %%\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 2))\n"
    "ax.plot([0, 1], [1, 0]); ax.set_title('loss'); plt.show()\nprint(fig.dpi)\n\n"
)


def _png_size(b64: str) -> tuple[int, int]:
    import base64
    import struct

    data = base64.b64decode(b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def executed_demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbexec")
    (root / "src").mkdir()
    (root / "src" / "01_demo.py").write_text(_demo_source(NOISY_BODY), encoding="utf-8")
    nbtool.build(src_dir=root / "src", nb_dir=root, timeout=120)
    timings, problems = nbtool.execute_in_place(budget="quick", src_dir=root / "src", nb_dir=root,
                                                timeout=120)
    return root, timings, problems


def test_execute_keeps_results_and_drops_logs(executed_demo):
    root, timings, problems = executed_demo
    assert problems == [] and [(t.name, t.budget) for t in timings] == [("01_demo", "quick")]
    nb = nbformat.read(str(root / "01_demo.ipynb"), as_version=4)
    meta = nb.metadata.course_kit
    assert set(meta) == {"budget", "seconds", "matmul_gflops", "load_average", "cores"}
    assert meta["budget"] == "quick" and meta["seconds"] == round(timings[0].seconds)
    assert meta["matmul_gflops"] > 0 and len(meta["load_average"]) == 2
    assert nb.metadata.language_info == {"name": "python"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    install, setup_cell, checked, noisy, figure = code
    assert checked.outputs[0]["text"] == "42\n"
    # Only the result line survives: no epoch header, no progress bar, no stderr.
    assert [(o.output_type, o.get("name"), o.get("text")) for o in noisy.outputs] == [
        ("stream", "stdout", "test error 12.5%\n")]
    pngs = [o["data"]["image/png"] for o in figure.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1 and not any("image/svg+xml" in o.get("data", {}) for o in figure.outputs)
    assert figure.outputs[-1]["text"] == f"{float(nbtool.FIGURE_DPI)}\n"
    width, height = _png_size(pngs[0])
    # 4 x 2 inches at FIGURE_DPI, give or take what bbox_inches="tight" trims or adds around
    # the axes; retina (or the default 100 dpi with a 2x device ratio) would double it.
    assert 0.8 * 4 * nbtool.FIGURE_DPI <= width <= 1.2 * 4 * nbtool.FIGURE_DPI
    assert 0.8 * 2 * nbtool.FIGURE_DPI <= height <= 1.2 * 2 * nbtool.FIGURE_DPI
    assert nbtool.check_notebook(root / "01_demo.ipynb", root / "src" / "01_demo.py") == []


CJK_FIGURE = ("# %%\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 1))\n"
              "ax.set_title('感受野'); plt.show()\n\n")


def test_execute_flags_a_budget_dependent_check_cell_and_cjk_figure_text(tmp_path):
    (tmp_path / "src").mkdir()
    # GOOD_BODY prints the budget in a check cell: smoke's reference says "smoke 42".
    (tmp_path / "src" / "01_demo.py").write_text(_demo_source(GOOD_BODY + CJK_FIGURE),
                                                 encoding="utf-8")
    nbtool.build(src_dir=tmp_path / "src", nb_dir=tmp_path, timeout=120)
    _, problems = nbtool.execute_in_place(budget="quick", src_dir=tmp_path / "src",
                                          nb_dir=tmp_path, timeout=120)
    assert len(problems) == 2, problems
    assert "cell 3" in problems[0] and "budget" in problems[0]
    assert "missing from font" in problems[1] and "English" in problems[1]
    nb = nbformat.read(str(tmp_path / "01_demo.ipynb"), as_version=4)
    assert nb.cells[3].outputs[0]["text"] == "quick 42\n"  # written anyway, then reported


def test_check_of_executed_form_flags_logs_unexecuted_cells_and_size(executed_demo, tmp_path):
    root, _, _ = executed_demo

    def logs(data):
        data["cells"][4]["outputs"].append(
            {"output_type": "stream", "name": "stdout", "text": ["Epoch 2/3\n"]})
        data["cells"][4]["outputs"].append(
            {"output_type": "stream", "name": "stderr", "text": ["W0000 a log\n"]})

    problems = _mutated(root, tmp_path, "01_demo.ipynb", logs)
    assert any("progress lines" in p for p in problems) and any("stderr" in p for p in problems)

    def unexecuted(data):
        data["cells"][4]["execution_count"] = None

    problems = _mutated(root, tmp_path, "01_demo.ipynb", unexecuted)
    assert len(problems) == 1 and "was not executed" in problems[0]

    def huge(data):
        data["cells"][4]["outputs"][0]["text"] = ["x" * (nbtool.MAX_NOTEBOOK_BYTES + 1)]

    problems = _mutated(root, tmp_path, "01_demo.ipynb", huge)
    assert len(problems) == 1 and "MB limit" in problems[0]


def test_clean_stream_text_keeps_results_and_drops_progress():
    text = ("Epoch 1/2\n\r 1/8 ━━━━ 0s 4ms/step\r8/8 ━━━━━━━━ 0s 5ms/step - loss: 2.3\n"
            "CNN-A2: test error 15.9%\n 40%|████      | 4/10 [00:01<00:02]\n"
            "epochs 4/4 done\n")
    cleaned, dropped = nbtool._clean_stream_text(text)
    assert cleaned == "CNN-A2: test error 15.9%\nepochs 4/4 done\n" and dropped == 3


# Matplotlib text calls (and keywords) whose strings end up drawn in a figure.
_FIGURE_TEXT_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel",
                      "ylabel", "text", "annotate", "legend", "set_xticklabels",
                      "set_yticklabels", "figtext", "supxlabel", "supylabel", "bar_label"}
_FIGURE_TEXT_KEYWORDS = {"title", "xlabel", "ylabel", "label", "labels", "suptitle"}


def _cjk_figure_text(tree) -> list[tuple[int, str]]:
    import ast
    import re as _re

    cjk = _re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        args = list(node.args) if name in _FIGURE_TEXT_CALLS else []
        args += [k.value for k in node.keywords if k.arg in _FIGURE_TEXT_KEYWORDS
                 or name in _FIGURE_TEXT_CALLS]
        for arg in args:
            for const in ast.walk(arg):
                if isinstance(const, ast.Constant) and isinstance(const.value, str) \
                        and cjk.search(const.value):
                    found.append((node.lineno, const.value))
    return found


def test_figure_text_stays_in_english():
    """Colab's Matplotlib has no CJK font: Chinese in a title or label draws as empty boxes.

    Chinese key terms belong in the markdown; this scans the notebooks and the library for
    Matplotlib text calls with CJK strings (``execute`` also reports Matplotlib's missing-glyph
    warnings, which catches text that comes from data).
    """
    import ast

    files = SOURCES + sorted((ROOT / "course_lib").rglob("*.py"))
    offenders = {}
    for path in files:
        hits = _cjk_figure_text(ast.parse(path.read_text(encoding="utf-8")))
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert offenders == {}
    # The scan itself finds what it must.
    assert _cjk_figure_text(ast.parse("ax.set_title('感受野 (receptive field)')\n"
                                      "ax.plot(x, label=f'{n} 层')\nax.set(xlabel='x')")) == [
        (1, "感受野 (receptive field)"), (2, " 层")]
