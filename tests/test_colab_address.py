"""The kit's address lives in one place ([project.urls] in pyproject.toml): every Colab badge and
install cell (notebooks and assignments) agrees with it, and `retarget` moves them all."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import notebooks as nbtool  # noqa: E402

from course_lib import notebook  # noqa: E402

NEW_URL = "https://github.com/example-teacher/cnn-kit"


def _pyproject_url(path=REPO / "pyproject.toml") -> str:
    section = path.read_text(encoding="utf-8").split("[project.urls]")[1].split("\n[")[0]
    return re.search(r'^Repository\s*=\s*"([^"]+)"', section, re.M).group(1)


def test_repo_url_is_read_from_pyproject():
    url = _pyproject_url()
    assert url.startswith("https://github.com/")
    assert notebook.repo_url() == nbtool.repo_url() == url
    assert notebook.REPO_URL == url  # the old constant reads the same place
    assert "REPO_URL =" not in (REPO / "course_lib" / "notebook.py").read_text(encoding="utf-8")


def test_installed_metadata_is_used_outside_a_checkout(monkeypatch):
    from importlib import metadata

    class Meta:
        def get_all(self, key):
            assert key == "Project-URL"
            return ["Documentation, https://example.org/docs", f"Repository, {NEW_URL}/"]

    monkeypatch.setattr(notebook, "_checkout_pyproject", lambda: None)
    monkeypatch.setattr(metadata, "metadata", lambda name: Meta())
    assert notebook.repo_url() == NEW_URL
    monkeypatch.setattr(metadata, "metadata", lambda name: (_ for _ in ()).throw(
        metadata.PackageNotFoundError(name)))
    with pytest.raises(RuntimeError, match="pip install -e"):
        notebook.repo_url()


def test_read_repo_url_rejects_a_missing_or_bad_entry(tmp_path):
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project]\nname = "course_lib"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[project.urls\].*Received: Repository=None"):
        notebook.read_repo_url(bad)
    bad.write_text('[project.urls]\nRepository = "git@github.com:a/b"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="Received: Repository='git@github.com:a/b'"):
        notebook.read_repo_url(bad)


def test_every_notebook_and_assignment_agrees_with_pyproject():
    url = _pyproject_url()
    colab = url.replace("https://github.com/", "https://colab.research.google.com/github/")
    for src in nbtool.sources():
        for nb in (nbtool.read_source(src), nbformat.read(str(nbtool.ipynb_for(src)), as_version=4)):
            assert f"({colab}/blob/main/notebooks/{src.stem}.ipynb)" in nb.cells[0].source
            code = [c for c in nb.cells if c.cell_type == "code"]
            assert code[0].source == nbtool.install_cell("notebooks")
            assert f'KIT_URL = "/content/cnn-course-kit", "{url}"' in code[0].source
    found = nbtool.assignment_notebooks()
    assert len(found) == 6  # three masters, three student notebooks
    assert nbtool.check_assignments() == {str(p.relative_to(REPO)): [] for p, _ in found}
    for path, student in found:
        text = path.read_text(encoding="utf-8")
        assert f"{colab}/blob/main/{student}/{path.stem}.ipynb" in text
    # no other address of the kit anywhere in the notebooks and assignments: every Colab link
    # and every clone address is the configured one (links to other projects, such as
    # Fashion-MNIST's own repository, are citations, not the kit's address)
    for path in [*REPO.glob("notebooks/**/*.py"), *REPO.glob("notebooks/*.ipynb"),
                 *REPO.glob("assignments/**/*.ipynb")]:
        text = path.read_text("utf-8")
        for other in re.findall(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+", text):
            assert other == colab, f"{path} opens {other} in Colab"
        for other in re.findall(r'KIT_URL = \\?"[^"\\]*\\?", \\?"([^"\\]+)', text):
            assert other == url, f"{path} clones {other}"
        for other in re.findall(r"https://github\.com/([\w.-]+)/(cnn-course-kit[\w.-]*)", text):
            assert f"https://github.com/{other[0]}/{other[1]}" == url, f"{path} names {other}"


def _copy_kit(tmp_path: Path) -> Path:
    root = tmp_path / "kit"
    shutil.copytree(REPO / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns("results", ".ipynb_checkpoints"))
    shutil.copytree(REPO / "assignments", root / "assignments",
                    ignore=shutil.ignore_patterns("dist", "tests"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_retarget_rewrites_pyproject_notebooks_and_assignments(tmp_path, monkeypatch):
    root = _copy_kit(tmp_path)
    old = _pyproject_url()
    monkeypatch.setattr(nbtool, "PYPROJECT", root / "pyproject.toml")
    dirs = dict(src_dir=root / "notebooks" / "src", nb_dir=root / "notebooks",
                assignments_dir=root / "assignments")
    changed = nbtool.retarget(NEW_URL + ".git", pyproject=root / "pyproject.toml", **dirs)
    assert _pyproject_url(root / "pyproject.toml") == NEW_URL
    n_notebooks = len(nbtool.sources(None, dirs["src_dir"]))
    assert len(changed) == 1 + 2 * n_notebooks + 6
    assert nbtool.repo_url() == NEW_URL
    report = nbtool.check(src_dir=dirs["src_dir"], nb_dir=dirs["nb_dir"])
    assert report and all(problems == [] for problems in report.values()), report
    assert all(p == [] for p in nbtool.check_assignments(dirs["assignments_dir"]).values())
    for path in root.rglob("*"):
        if path.suffix in (".py", ".ipynb"):
            assert old not in path.read_text(encoding="utf-8"), path
    # the rest of pyproject is untouched, and a second sync changes nothing
    before = (REPO / "pyproject.toml").read_text(encoding="utf-8").replace(old, NEW_URL)
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == before
    assert nbtool.sync(**dirs) == []


def test_check_flags_a_notebook_left_at_the_old_address(tmp_path, monkeypatch):
    root = _copy_kit(tmp_path)
    monkeypatch.setattr(nbtool, "PYPROJECT", root / "pyproject.toml")
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace(_pyproject_url(), NEW_URL), encoding="utf-8")
    report = nbtool.check(src_dir=root / "notebooks" / "src", nb_dir=root / "notebooks")
    assert all(any("Colab badge" in p for p in v) and any("install cell" in p and NEW_URL in p
                                                          for p in v) for v in report.values())
    flagged = nbtool.check_assignments(root / "assignments")
    assert len(flagged) == 6 and all(len(v) == 2 for v in flagged.values())


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"])
def test_retarget_rejects_addresses_colab_cannot_open(tmp_path, url):
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://github.com/a/b"\n')
    with pytest.raises(nbtool.NotebookError, match=r"https://github.com/<owner>/<repo>.*Received"):
        nbtool.retarget(url, pyproject=tmp_path / "pyproject.toml")
    assert "https://github.com/a/b" in (tmp_path / "pyproject.toml").read_text()


def test_retarget_command_line_is_documented():
    out = subprocess.run([sys.executable, str(REPO / "tools" / "notebooks.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "retarget" in out and "sync" in out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "python tools/notebooks.py retarget" in readme


def test_python_310_reads_the_same_address_without_tomllib(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.10
    assert notebook.read_repo_url(REPO / "pyproject.toml") == _pyproject_url()
    other = tmp_path / "pyproject.toml"
    other.write_text('[project.urls]\nHomepage = "https://a.example"\n"Repository" = '
                     '"https://github.com/o/r/"\n[tool.x]\nRepository = "https://no.example"\n')
    assert notebook.read_repo_url(other) == "https://github.com/o/r"
