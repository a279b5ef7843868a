"""Nothing points outside the repository, and SOURCES.md covers every source and notebook."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "results", "build", "dist", "__pycache__", ".ipynb_checkpoints",
             "tfds", "cache", "keras"}
TEXT = {".py", ".md", ".ipynb", ".txt", ".toml", ".cfg", ".csv", ".json", ".yml", ".yaml", ""}


def _files():
    """The repository's files: tracked and untracked but not git-ignored (all files without git)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        paths = [ROOT / line for line in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for p in ROOT.rglob("*") if not any(
            part in SKIP_DIRS for part in p.relative_to(ROOT).parts[:-1])]
    for path in paths:
        if path.is_file() and (path.suffix in TEXT or path.name == "Makefile"):
            yield path


def test_no_file_points_to_the_shared_folder_outside_the_repository():
    offenders = []
    for path in _files():
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "../shared" in text or "/work/shared" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_sources_md_names_every_seed_notebook_and_original():
    text = (ROOT / "SOURCES.md").read_text(encoding="utf-8")
    for seed in ("000", "001", "002", "003", "004"):
        assert re.search(rf"^\| {seed} \|", text, re.M), seed
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{nb.stem}" in text, nb.stem
    for assignment in sorted(p.name for p in (ROOT / "assignments").iterdir() if p.is_dir()):
        assert f"assignments/{assignment}" in text, assignment
    for ref in ("arXiv:1409.1556", "arXiv:1802.06205", "https://cs231n.github.io/convolutional-networks/",
                "魏秀参", "Liang", "CVPR 2015"):
        assert ref in text, ref


def test_no_build_artifact_or_trained_model_is_in_the_repository():
    """Wheels, saved models and weights are made by the kit, never shipped in it (a wheel was
    committed by accident once); the data files ship compressed."""
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        pytest.skip("not a git checkout")
    artifacts = (".whl", ".keras", ".h5", ".tar.gz", ".zip", ".pyc")
    offenders = [p for p in out.stdout.splitlines() if p.endswith(artifacts)]
    assert not offenders, offenders
