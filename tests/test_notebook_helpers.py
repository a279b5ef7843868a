"""Tests for course_lib.notebook: the first-cell helpers of every notebook."""
import pytest

import course_lib
from course_lib import notebook


def test_check_version_accepts_installed_version():
    assert notebook.check_version(course_lib.__version__) == course_lib.__version__


def test_check_version_mismatch_says_how_to_fix():
    with pytest.raises(notebook.VersionMismatchError) as info:
        notebook.check_version("0.0.0-not-this")
    message = str(info.value)
    assert "0.0.0-not-this" in message and course_lib.__version__ in message
    assert "make lab" in message and "pip install -e" in message


@pytest.mark.parametrize("value", ["smoke", "quick", "full", " QUICK "])
def test_budget_reads_environment(monkeypatch, value):
    monkeypatch.setenv("COURSE_BUDGET", value)
    assert notebook.budget() == value.strip().lower()


def test_budget_default_when_unset(monkeypatch):
    monkeypatch.delenv("COURSE_BUDGET", raising=False)
    assert notebook.budget(default="full") == "full"


def test_budget_rejects_unknown_value(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "huge")
    with pytest.raises(ValueError, match=r"smoke, quick, full.*COURSE_BUDGET='huge'"):
        notebook.budget()


def test_setup_prints_one_line(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    assert notebook.setup(course_lib.__version__) == "smoke"
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "budget: smoke" in out[0]
    assert ("GPU" in out[0]) or ("CPU" in out[0])


def test_on_colab_false_here(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert notebook.on_colab() is False
