"""Structure of the course notebooks, and the tool that builds them (tools/notebooks.py).

The first tests run ``tools/notebooks.py check`` on every notebook of the kit (Colab badge,
learning goals, install and version cells, exercises, outputs only on NBVAL_CHECK_OUTPUT cells,
ipynb in sync with its percent script). Executing the notebooks is ``pytest --nbval-lax
notebooks`` (``make test``); the tests below build a small notebook with a real kernel to pin
down what the build keeps and what it rejects.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("course_notebook_tool", ROOT / "tools" / "notebooks.py")
nbtool = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = nbtool
_spec.loader.exec_module(nbtool)

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
    """Smoke runs are offline: a CIFAR/ImageNet/SVHN load must sit behind BUDGET == "full"."""
    for src in SOURCES:
        for cell in nbtool.read_source(src).cells:
            if cell.cell_type != "code":
                continue
            for name in ("cifar10", "cifar100", "svhn", "imagenet"):
                if f'"{name}"' in cell.source or f"'{name}'" in cell.source:
                    assert 'BUDGET == "full"' in cell.source, (
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
        f"# %%\n{INSTALL}\n"
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
