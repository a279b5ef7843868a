"""Shared test setup: quiet TensorFlow, Keras on TensorFlow, the real-data fixture, and skips.

Skips that hide: a skipped test proves nothing, so every skip is classified by its reason.

* *Required* checks compare the kit with an independent reference or with real data: the
  Fashion-MNIST tests (Debian package ``dataset-fashion-mnist``) and the PyTorch comparisons
  (``torch.nn.LocalResponseNorm``, the torch reference models, Keras' torch backend; install
  the CPU wheel, e.g. ``make venv TORCH_WHEEL=...``). Under ``CI=true`` such a skip is turned
  into a failure. A CI machine that deliberately lacks one of them names it in
  ``COURSE_OPTIONAL_CHECKS`` (comma-separated: ``torch``, ``fashion-mnist``), and its skips
  are then reported as optional instead.
* Every other skip (a CPU-only or GPU-only test, another Keras backend) is *optional*.

Either way, the terminal summary ends with a "skipped checks" section listing each skip, its
class and its reason, so no comparison is skipped without a word.
"""

import os
import re
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

#: Skip reasons that mean a required comparison did not run (category -> reason pattern).
REQUIRED_SKIPS = {
    "fashion-mnist": re.compile(r"fashion[- ]mnist", re.IGNORECASE),
    "torch": re.compile(r"could not import 'torch'|torch is not installed", re.IGNORECASE),
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _optional_checks() -> dict[str, str]:
    """Required categories declared optional on this machine, each with what declared it.

    A CI machine names them in ``COURSE_OPTIONAL_CHECKS``. A run with
    ``COURSE_LIB_HIDE_SYSTEM_DATA=1`` hides the full Fashion-MNIST on purpose (it plays a fresh
    offline machine that has only the files shipped in ``data/``), so the tests of the full
    60,000-image set are optional there.
    """
    from course_lib.places import system_data_hidden  # (not course_lib.data: no TensorFlow)

    declared = {n.strip().lower(): "COURSE_OPTIONAL_CHECKS"
                for n in os.environ.get("COURSE_OPTIONAL_CHECKS", "").split(",")}
    if system_data_hidden():
        declared["fashion-mnist"] = "COURSE_LIB_HIDE_SYSTEM_DATA=1"
    return {name: by for name, by in declared.items() if name in REQUIRED_SKIPS}


def skip_reason(report) -> str:
    """The reason of a skipped test report (``pytest.skip``/``importorskip`` message)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


def required_category(reason: str) -> str | None:
    """The required-check category a skip reason belongs to, or None (optional)."""
    for category, pattern in REQUIRED_SKIPS.items():
        if pattern.search(reason):
            return category
    return None


#: Session fixtures that build or grade the assignments (minutes each): every test that uses
#: one runs on the same xdist worker, so that they are built once, not once per worker.
SHARED_GRADING_FIXTURES = {"built", "a2_batch", "a3_batch"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the node ids
def pytest_collection_modifyitems(config, items):
    """Under ``pytest -n N --dist loadgroup`` (``make test``): each test file runs on one worker
    (its module fixtures are built once), the tests that grade the assignments share one worker
    (their session fixtures are built once), and the notebooks run one after the other on one
    worker, in file order, as a student runs them (02 reads the record 01 trains, and two
    notebooks must not train the same run into one results folder at once)."""
    def file(item):
        return item.nodeid.split("::")[0]

    grading = {file(item) for item in items
               if SHARED_GRADING_FIXTURES & set(getattr(item, "fixturenames", ()))}
    for item in items:
        group = "notebooks" if file(item).endswith(".ipynb") else file(item)
        if file(item) in grading:
            group = "assignments"  # one worker builds and grades the assignments once
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report)
    category = required_category(reason)
    if category and _in_ci() and category not in _optional_checks():
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true, but a required comparison was skipped ({category}): {reason}\n"
            f"Install what it needs, or, if this CI machine deliberately lacks it, set "
            f"COURSE_OPTIONAL_CHECKS={category} to report it as an optional skip."
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if not skipped:
        return
    terminalreporter.section("skipped checks")
    optional = _optional_checks()
    for report in skipped:
        reason = skip_reason(report)
        category = required_category(reason)
        if category is None:
            label = "optional"
        elif category in optional:
            label = f"required, declared optional by {optional[category]} ({category})"
        else:
            label = f"REQUIRED in CI ({category})"
        terminalreporter.write_line(f"[{label}] {report.nodeid}: {reason}")


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """Folder with the real Fashion-MNIST idx files.

    Missing files skip the test with the reason, except under CI=true, where they fail it:
    CI must run the real-data tests (install the Debian package dataset-fashion-mnist).
    """
    from course_lib.data import find_fashion_mnist_idx

    folder = find_fashion_mnist_idx()
    if folder is None:
        reason = (
            "real Fashion-MNIST idx files not found in $COURSE_LIB_DATA_DIR/fashion-mnist, "
            "/usr/share/datasets/fashion-mnist or ~/.keras/datasets/fashion-mnist; install the "
            "Debian package dataset-fashion-mnist"
        )
        if _in_ci() and "fashion-mnist" not in _optional_checks():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return folder


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every assignment built once per session (otter assign) from copies of the masters."""
    import shutil

    from course_lib.grading import build_assignment, list_assignments

    root = tmp_path_factory.mktemp("assignments")
    specs = list_assignments(Path(__file__).resolve().parents[1] / "assignments")
    for spec in specs:
        (root / spec.folder.name).mkdir()
        shutil.copy2(spec.master, root / spec.folder.name / spec.master.name)
    built = {spec.folder.name: spec for spec in list_assignments(root)}
    for spec in built.values():
        build_assignment(spec)
    return built


@pytest.fixture(scope="session")
def bwrap():
    """bubblewrap, which the grader's sandbox needs: a skip without it, a failure under CI=true."""
    import shutil

    path = shutil.which("bwrap")
    if path is None:
        reason = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def a2_batch(built, bwrap, tmp_path_factory):
    """Assignment 2's reference, untouched notebook and red team, graded in one sandboxed batch
    (shared by test_assignments.py and test_grading_redteam.py)."""
    import redteam

    return redteam.sandboxed_batch(built["2-custom-keras-layers"], redteam.A2, tmp_path_factory.mktemp("a2"),
                                   timeout=900, cell_timeout=120)


@pytest.fixture(scope="session")
def a3_batch(built, bwrap, tmp_path_factory):
    """The same for assignment 3 (its reference trains for about a minute)."""
    import redteam

    return redteam.sandboxed_batch(built["3-design-under-budget"], redteam.A3, tmp_path_factory.mktemp("a3"),
                                   timeout=900, cell_timeout=120)
