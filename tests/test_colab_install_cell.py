"""The generated Colab install cell, executed as Colab would run it (a fake `google.colab`):
nothing happens off Colab, no clone when the kit is importable, one clear message when the
clone fails, and a real clone + install + chdir + Drive otherwise."""
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import notebooks as nbtool  # noqa: E402

from course_lib import notebook, places  # noqa: E402,F401
from course_lib.train.results import results_dir  # noqa: E402

KIT = "/content/cnn-course-kit"


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A fake google.colab whose drive.mount creates <mount>/MyDrive under tmp_path."""
    mounts = []

    def mount(path):
        mounts.append(path)
        (Path(path) / "MyDrive").mkdir(parents=True, exist_ok=True)

    pkg = types.ModuleType("google")
    pkg.__path__ = []
    colab_mod = types.ModuleType("google.colab")
    colab_mod.drive = types.SimpleNamespace(mount=mount)
    pkg.colab = colab_mod
    monkeypatch.setitem(sys.modules, "google", pkg)
    monkeypatch.setitem(sys.modules, "google.colab", colab_mod)
    monkeypatch.setattr(places, "DRIVE_MOUNT", str(tmp_path / "drive"))
    monkeypatch.delenv("COURSE_RESULTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return mounts


def _calls(monkeypatch, passthrough=("git",)):
    calls, real = [], subprocess.run

    def run(command, *args, **kwargs):
        calls.append(list(command))
        if command[0] in passthrough:
            return real(command, *args, **kwargs)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def _cell(kit: Path, url: str, workdir="notebooks", **kwargs) -> str:
    source = nbtool.install_cell(workdir, **kwargs)
    assert source.count(KIT) == 1 and source.count(nbtool.repo_url()) == 1
    return source.replace(KIT, str(kit)).replace(nbtool.repo_url(), url)


def _not_importable(monkeypatch, *names):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in names else real(name, *a))


def test_does_nothing_off_colab(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls = _calls(monkeypatch)
    monkeypatch.chdir(tmp_path)
    exec(nbtool.install_cell("notebooks"), {})
    assert calls == [] and Path.cwd() == tmp_path


def test_skips_the_clone_when_the_kit_is_importable(colab, monkeypatch, tmp_path, capsys):
    calls = _calls(monkeypatch)
    exec(_cell(tmp_path / "kit", "https://github.com/nobody/nothing"), {})
    assert calls == []  # no git, no pip
    assert colab == [str(tmp_path / "drive")]  # USE_DRIVE = True mounted Drive
    where = tmp_path / "drive" / "MyDrive" / "cnn-course-kit" / "results"
    assert results_dir() == where and str(where) in capsys.readouterr().out


def test_use_drive_false_keeps_results_local_and_says_so(colab, monkeypatch, tmp_path, capsys):
    _calls(monkeypatch)
    exec(_cell(tmp_path / "kit", "https://x").replace("USE_DRIVE = True", "USE_DRIVE = False"), {})
    assert colab == [] and results_dir() == Path("results")
    assert "a recycled runtime wipes them" in capsys.readouterr().out


def test_failed_clone_stops_with_one_clear_message(colab, monkeypatch, tmp_path):
    _not_importable(monkeypatch, "course_lib")
    calls = _calls(monkeypatch)
    missing = tmp_path / "no-such-repository"
    with pytest.raises(SystemExit) as info:
        exec(_cell(tmp_path / "kit", str(missing)), {})
    message = str(info.value)
    assert message.startswith(f"Could not download the course kit from {missing}: ")
    assert "does not exist" in message or "not a git repository" in message.lower() or \
        "not appear to be a git repository" in message  # git's own reason, kept
    assert "Fix: check that the runtime is online" in message and "KIT_URL" in message
    assert [c[:2] for c in calls] == [["git", "clone"]]  # pip never ran
    assert not (tmp_path / "kit").exists()


def test_failed_install_says_what_to_do(colab, monkeypatch, tmp_path):
    _not_importable(monkeypatch, "course_lib")
    (tmp_path / "kit").mkdir()  # an earlier clone is there: no clone, pip fails
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda cmd, *a, **k: real(
        [sys.executable, "-c", "import sys; sys.exit('ERROR: no setup.py or pyproject.toml')"],
        *a, **k))
    with pytest.raises(SystemExit, match=r"(?s)Could not install the course kit from .*kit: "
                                         r"ERROR: no setup.py.*Fix: delete the copy"):
        exec(_cell(tmp_path / "kit", "https://x"), {})


def test_clones_installs_and_moves_into_the_workdir(colab, monkeypatch, tmp_path):
    origin = tmp_path / "origin"
    (origin / "assignments" / "1-a" / "student").mkdir(parents=True)
    (origin / "assignments" / "1-a" / "student" / "README").write_text("x")
    git = ["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "kit"], check=True)
    _not_importable(monkeypatch, "otter")  # the kit is there, otter-grader is not
    calls = _calls(monkeypatch)
    kit = tmp_path / "kit"
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(_cell(kit, origin.as_uri(), "assignments/1-a/student",
               extra=("otter-grader~=7.0",), drive=False), {})
    assert calls[0][:2] == ["git", "clone"] and (kit / "assignments").is_dir()
    assert calls[1] == [sys.executable, "-m", "pip", "install", "-q", "-e", str(kit),
                        "otter-grader~=7.0"]
    assert sys.path[0] == str(kit) and Path.cwd() == kit / "assignments" / "1-a" / "student"
    assert colab == []  # assignments keep no results: no Drive


def test_the_cell_is_a_few_lines_that_call_the_kits_function():
    for source in (nbtool.install_cell("notebooks"),
                   nbtool.install_cell("assignments/1-a/student", nbtool.ASSIGNMENT_EXTRA,
                                       drive=False)):
        lines = source.split("\n")
        assert len(lines) <= 14, source
        assert lines[0].startswith("# Colab only (does nothing elsewhere): install the course kit")
        assert sum(line.lstrip().startswith("#") for line in lines) == 1  # one comment line
        assert "from course_lib.colab import setup_colab" in source
        assert lines[-1].lstrip().startswith("setup_colab(KIT, install=bool(missing)")


def test_course_lib_colab_needs_only_the_standard_library():
    """It runs before the kit's dependencies are installed."""
    code = ("import sys, course_lib.colab; "
            "print([m for m in ('numpy', 'tensorflow', 'keras', 'course_lib.notebook') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert out.strip() == "[]"


def test_setup_colab_does_nothing_off_colab(monkeypatch, tmp_path):
    from course_lib.colab import setup_colab

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls = _calls(monkeypatch)
    (tmp_path / "kit" / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    setup_colab(str(tmp_path / "kit"), install=True, use_drive=True)
    assert calls == [] and Path.cwd() == tmp_path


def test_every_install_cell_is_collapsed_on_the_site_and_check_requires_it(tmp_path):
    import nbformat

    tag = nbtool.INSTALL_CELL_TAG
    assert tag == "hide-input"  # MyST-NB (the course site) collapses the cell's source
    for src in nbtool.sources():
        nb = nbformat.read(str(nbtool.ipynb_for(src)), as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert tag in first.metadata.get("tags", []), src.stem
        assert tag in [c for c in nbtool.read_source(src).cells
                       if c.cell_type == "code"][0].metadata.get("tags", [])
    for path, _ in nbtool.assignment_notebooks():
        nb = nbformat.read(str(path), as_version=4)
        _, install = nbtool._assignment_cells(nb)
        assert tag in nb.cells[install].metadata.get("tags", []), path
    src = nbtool.sources()[0]
    nb = nbformat.read(str(nbtool.ipynb_for(src)), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.metadata["tags"] = []
    copy = tmp_path / nbtool.ipynb_for(src).name
    nbformat.write(nb, str(copy))
    assert any("hide-input" in p for p in nbtool.check_notebook(copy, src))
