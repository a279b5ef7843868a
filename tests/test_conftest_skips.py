"""tests/conftest.py: under CI=true a skipped required comparison fails; every skip is listed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

SAMPLE = '''
import pytest

@pytest.fixture
def data():
    pytest.skip("needs the offline Fashion-MNIST files (Debian package dataset-fashion-mnist)")

def test_torch_reference():
    pytest.importorskip("no_such_module_for_the_test")

def test_torch_comparison():
    pytest.skip("could not import 'torch': No module named 'torch'")

def test_real_data(data):
    pass

def test_gpu_only():
    pytest.skip("this test describes a GPU machine")

@pytest.mark.xfail(reason="known")
def test_known_failure():
    assert False

def test_passes():
    pass
'''


def _run(tmp_path, **env):
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "COURSE_OPTIONAL_CHECKS", "COURSE_LIB_HIDE_SYSTEM_DATA")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rN", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**clean, **env},
    )


def _summary(out):
    return out.stdout.strip().splitlines()[-1]


def test_without_ci_skips_are_listed_with_their_class(tmp_path):
    out = _run(tmp_path)
    assert out.returncode == 0, out.stdout
    assert "1 passed, 4 skipped, 1 xfailed" in _summary(out)
    text = out.stdout
    assert "skipped checks" in text
    assert "[REQUIRED in CI (torch)] test_sample.py::test_torch_comparison" in text
    assert "[REQUIRED in CI (fashion-mnist)] test_sample.py::test_real_data" in text
    assert "[optional] test_sample.py::test_gpu_only: this test describes a GPU machine" in text
    # an unknown missing module is an optional skip, but still listed with its reason
    assert "[optional] test_sample.py::test_torch_reference: could not import" in text
    assert "test_known_failure" not in text.split("skipped checks")[1]


def test_under_ci_a_skipped_required_comparison_fails(tmp_path):
    out = _run(tmp_path, CI="true")
    assert out.returncode == 1
    summary = _summary(out)
    # the torch skip in the test fails it; the Fashion-MNIST skip in a fixture errors its setup
    assert "1 failed" in summary and "1 error" in summary and "2 skipped" in summary
    assert "CI=true, but a required comparison was skipped (torch)" in out.stdout
    assert "CI=true, but a required comparison was skipped (fashion-mnist)" in out.stdout
    assert "COURSE_OPTIONAL_CHECKS=torch" in out.stdout  # says how to opt out


def test_ci_can_declare_a_required_check_optional(tmp_path):
    out = _run(tmp_path, CI="true", COURSE_OPTIONAL_CHECKS="torch")
    assert out.returncode == 1  # fashion-mnist is still required
    assert "1 error" in _summary(out) and "3 skipped" in _summary(out)
    assert " failed" not in _summary(out)  # ("xfailed" is the expected failure)
    assert ("[required, declared optional by COURSE_OPTIONAL_CHECKS (torch)] "
            "test_sample.py::test_torch_comparison") in out.stdout


def test_hidden_system_data_makes_the_full_set_optional_but_not_torch(tmp_path):
    # CI's offline pass (COURSE_LIB_HIDE_SYSTEM_DATA=1) hides the full Fashion-MNIST on purpose
    out = _run(tmp_path, CI="true", COURSE_LIB_HIDE_SYSTEM_DATA="1")
    assert out.returncode == 1  # torch is still required
    summary = _summary(out)
    assert "1 failed" in summary and " error" not in summary and "3 skipped" in summary
    assert ("[required, declared optional by COURSE_LIB_HIDE_SYSTEM_DATA=1 (fashion-mnist)] "
            "test_sample.py::test_real_data") in out.stdout
    assert "declared optional by COURSE_OPTIONAL_CHECKS" not in out.stdout


@pytest.mark.parametrize("reason, category", [
    ("could not import 'torch': No module named 'torch'", "torch"),
    ("torch is not installed", "torch"),
    ("needs the offline Fashion-MNIST files (Debian package dataset-fashion-mnist)",
     "fashion-mnist"),
    ("real Fashion-MNIST idx files not found in ...", "fashion-mnist"),
    ("this test describes a CPU-only machine", None),
    ("the reference outputs are computed on the TensorFlow backend", None),
])
def test_real_skip_reasons_of_the_suite_are_classified(reason, category):
    from conftest import required_category

    assert required_category(reason) == category
