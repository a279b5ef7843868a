"""Grade one submission without Docker, in the current (fresh, temporary) folder.

Run by :mod:`course_lib.grading.grade` as ``python -m course_lib.grading._worker SUBMISSION
AUTOGRADER_ZIP RESULT_JSON --cell-timeout S`` in a subprocess whose working folder is a new
temporary folder. It lays out otter's grading tree there (``autograder/{source,submission,
results}``, as ``otter run`` does), grades with otter's own runner, then writes one JSON file:
per-question scores and test-case results, the errors raised by the notebook's cells, and
whether the submission changed test files while it ran.

Three adjustments to otter's runner, made by wrapping functions it calls:

* a limit per student cell, enforced inside the kernel (:func:`_install_cell_limit`): a
  cell the grader adds after otter's first cell loads :mod:`course_lib.grading.time_limit`
  and calls its ``install_cell_limit``, which stops any student cell that uses
  ``--cell-timeout`` seconds of CPU time (or three times that plus 30 s on the clock) by
  raising ``CellTimeoutError`` in it. The limit starts when the cell starts running and
  counts the work it does, so how busy the machine is does not change which statement it
  stops. nbconvert's own timeout (an interrupt sent from outside the kernel, after a
  wall-clock time counted from when the cell was *sent*) stays only as a backstop, 30 s
  after the in-kernel ceiling: sent early, as on a loaded machine, such an interrupt can land
  before the cell's first statement or in the kernel's own code, which loses the cell's
  definitions or leaves the kernel without a reply until the whole-submission limit;
* the tests are read from a protected copy outside the notebook's working folder
  (:func:`_install_protected_tests`): otter copies them into ``submission/tests`` next to the
  notebook, where a notebook that deletes or rewrites files in its folder would break or fake
  its own grading. The copy in the working folder stays (the notebook's ``grader.check`` cells
  look there outside grading) and is compared afterwards, for the report;
* the cells that run tests (otter's first and last cells, the notebook's ``grader.check``
  cells) have no cell limit: the tests' own ``time_limit`` calls and the whole submission's
  limit bound them, and interrupting them would lose the results of every test they run.

Not public API: the grading command is ``python -m course_lib grade``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
import traceback
import zipfile
from pathlib import Path

# At most this many cell errors are reported per submission.
_MAX_ERRORS = 20


# Cells that run tests: otter's first and last cells, the notebook's grader.check cells (the
# whole cell), and the grader's own setup cell.
_SETUP_MARKER = "# course_lib grading: per-cell limits"
_GRADING_CELL = re.compile(
    r"\s*(?:from otter import Notebook as notebook_\w+\n|from otter\.execute import Checker\n|"
    r"notebook_\w+\(\)\.check\(|" + re.escape(_SETUP_MARKER) + r"\n|"
    r"grader\.check\(\s*(?P<q>[\"'])[\w.-]+(?P=q)\s*\)\s*$)"
)

# Seconds between the in-kernel wall-clock ceiling of a cell and nbconvert's interrupt.
_BACKSTOP_MARGIN = 30


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _is_grading_cell(source: str) -> bool:
    return _GRADING_CELL.match(source) is not None


def _cell_timeout(cell, seconds: int):
    """nbconvert's timeout for one cell: none for the cells that run tests, else a backstop
    ``_BACKSTOP_MARGIN`` seconds after the in-kernel wall-clock ceiling of ``seconds``."""
    from course_lib.grading.time_limit import default_wall_seconds

    if _is_grading_cell(_source(cell)):
        return None
    return int(default_wall_seconds(seconds) + _BACKSTOP_MARGIN)


def _setup_cell_source(seconds: int) -> str:
    """The cell the grader adds after otter's first cell: install the per-cell limit in the
    kernel, from this grader's own copy of ``time_limit.py`` (loaded by path, so it does not
    matter which ``course_lib``, if any, the notebook imports)."""
    path = str(Path(__file__).resolve().with_name("time_limit.py"))
    return (
        f"{_SETUP_MARKER}\n"
        "import importlib.util as _course_lib_util, re as _course_lib_re\n"
        f"_course_lib_spec = _course_lib_util.spec_from_file_location('_course_lib_time_limit', {path!r})\n"
        "_course_lib_limits = _course_lib_util.module_from_spec(_course_lib_spec)\n"
        "_course_lib_spec.loader.exec_module(_course_lib_limits)\n"
        f"_course_lib_limits.install_cell_limit({int(seconds)}, "
        f"exempt=_course_lib_re.compile({_GRADING_CELL.pattern!r}).match)\n"
        "del _course_lib_util, _course_lib_re, _course_lib_spec, _course_lib_limits\n"
    )


def _install_cell_limit(seconds: int) -> None:
    """Limit every student cell to ``seconds`` of CPU time, inside the kernel.

    otter builds the grading notebook in ``GradingPreprocessor.preprocess`` (its first cell
    enters grading mode) and a fresh traitlets ``Config`` for nbconvert's
    ``ExecutePreprocessor`` in ``otter.execute.grade_notebook``, with no option for either;
    both are wrapped here. The grader's setup cell goes right after otter's first cell;
    nbconvert gets the backstop timeout of :func:`_cell_timeout`, after which it interrupts
    the kernel and carries on with the next cell.
    """
    import nbformat
    import otter.execute
    from otter.execute.preprocessor import GradingPreprocessor

    base = getattr(otter.execute, "Config", None)
    preprocess = getattr(GradingPreprocessor, "preprocess", None)
    if base is None or preprocess is None:  # pragma: no cover - guards against an otter layout change
        raise RuntimeError(
            "otter.execute.Config or GradingPreprocessor.preprocess not found: this "
            "otter-grader version is not supported (requirements.txt pins otter-grader~=7.0)."
        )

    def config_with_cell_timeout(*args, **kwargs):
        config = base(*args, **kwargs)
        config.ExecutePreprocessor.timeout_func = lambda cell: _cell_timeout(cell, seconds)
        config.ExecutePreprocessor.interrupt_on_timeout = True
        return config

    def preprocess_with_cell_limit(self, nb, resources=None):
        nb, resources = preprocess(self, nb, resources)
        nb.cells.insert(1, nbformat.v4.new_code_cell(_setup_cell_source(seconds)))
        return nb, resources

    otter.execute.Config = config_with_cell_timeout
    GradingPreprocessor.preprocess = preprocess_with_cell_limit


def _install_protected_tests(protected_dir: Path) -> None:
    """Make otter's Python runner grade with the tests in ``protected_dir``.

    ``PythonRunner.run`` passes ``test_dir="./tests"`` and the relative paths of the test
    files to ``otter.execute.grade_notebook``; the wrapper swaps in absolute paths of the
    same files in ``protected_dir``, for the notebook's ``grader.check`` cells (otter's grading
    mode) and for the final cell that runs every test.
    """
    from otter.run.run_autograder.runners import python_runner

    original = getattr(python_runner, "grade_notebook", None)
    if original is None:  # pragma: no cover - guards against an otter layout change
        raise RuntimeError(
            "otter.run.run_autograder.runners.python_runner.grade_notebook not found: this "
            "otter-grader version is not supported (requirements.txt pins otter-grader~=7.0)."
        )

    def grade_with_protected_tests(submission_path, *, tests_glob=None, test_dir=None, **kwargs):
        tests_glob = [str(protected_dir / Path(t).name) for t in (tests_glob or [])]
        return original(submission_path, tests_glob=tests_glob, test_dir=str(protected_dir), **kwargs)

    python_runner.grade_notebook = grade_with_protected_tests


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _force_python3_kernel(notebook: Path) -> None:
    """Run every submission on this interpreter's kernel, whatever kernel the student's
    notebook names (an unknown kernel name would otherwise stop the grading)."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # otter reports the unreadable notebook itself
    if isinstance(nb, dict):
        nb.setdefault("metadata", {})["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _cell_errors(notebook) -> list[dict]:
    """The error outputs of the executed notebook, with the first line of each cell's source."""
    errors = []
    if notebook is None:
        return errors
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            source = _source(cell)
            first = next((line.strip() for line in source.splitlines() if line.strip()), "")
            errors.append(
                {
                    "cell": first[:80],
                    "ename": str(output.get("ename", "")),
                    "evalue": str(output.get("evalue", ""))[:500],
                }
            )
    return errors[:_MAX_ERRORS]


def _question_results(results) -> dict:
    out = {}
    for name, test_file in results.results.items():
        tests = []
        for tcr in test_file.test_case_results:
            case = tcr.test_case
            tests.append(
                {
                    "name": case.name,
                    "hidden": bool(case.hidden),
                    "points": float(case.points or 0),
                    "passed": bool(tcr.passed),
                    "message": (tcr.message or "")[:2000],
                    "failure_message": case.failure_message,
                }
            )
        out[name] = {
            "score": float(test_file.score),
            "possible": float(test_file.possible),
            "tests": tests,
        }
    return out


def grade(submission: Path, autograder_zip: Path, cell_timeout: int) -> dict:
    """Lay out otter's grading tree in the current folder, grade, and summarise."""
    import dill
    from otter.run.run_autograder import main as run_autograder
    from otter.run.run_autograder.utils import OtterRuntimeError

    root = Path.cwd() / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
        pristine = {
            Path(n).name: _digest(zf.read(n))
            for n in zf.namelist()
            if n.startswith("tests/") and n.endswith(".py")
        }
    config_path = root / "source" / "otter_config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as zf:
            zf.extractall(root / "submission")
        notebooks = list((root / "submission").glob("*.ipynb"))
        if len(notebooks) == 1:
            _force_python3_kernel(notebooks[0])
    else:
        # Give the notebook the file name it was released under: its `otter.Notebook(...)`
        # cell names that file, whatever the student called their copy.
        name = config.get("assignment_name")
        target = root / "submission" / (f"{name}.ipynb" if name else submission.name)
        shutil.copy(submission, target)
        _force_python3_kernel(target)

    protected = Path.cwd() / "protected_tests"
    shutil.copytree(root / "source" / "tests", protected)
    _install_cell_limit(cell_timeout)
    _install_protected_tests(protected)
    record: dict = {"status": "ok", "message": "", "questions": {}, "errors": [], "tampered": []}
    try:
        run_autograder(str(root), otter_run=True, logo=False, debug=False, print_summary=False)
    except OtterRuntimeError as e:
        record.update(status="error", message=f"otter could not grade this submission: {e}")
    except Exception as e:  # a dead kernel, an unreadable notebook, ...
        kind = type(e).__name__
        if kind == "DeadKernelError":
            message = (
                "the notebook's kernel died while running it (the code exited the process, "
                "crashed, or ran out of memory)"
            )
        else:
            message = f"grading stopped with {kind}: {str(e)[:500]}"
        record.update(status="error", message=message, traceback=traceback.format_exc()[-4000:])

    pickle_path = root / "results" / "results.pkl"
    if record["status"] == "ok" and pickle_path.is_file():
        with open(pickle_path, "rb") as f:
            results = dill.load(f)
        record["questions"] = _question_results(results)
        record["errors"] = _cell_errors(results.notebook)
        if results.catastrophic_error is not None:
            record.update(
                status="error",
                message=(
                    "the notebook ran but produced no test results (its last step, which runs "
                    f"the tests, failed: {type(results.catastrophic_error).__name__})"
                ),
            )

    # Did the submission change test files? The copy in its working folder only matters for
    # the report; a change to the protected copy means the grading itself cannot be trusted.
    for folder, used in ((root / "submission" / "tests", False), (protected, True)):
        for name, digest in sorted(pristine.items()):
            path = folder / name
            if not path.is_file():
                change = "deleted"
            elif _digest(path.read_bytes()) != digest:
                change = "modified"
            else:
                continue
            record["tampered"].append({"file": f"tests/{name}", "change": change, "used_for_grading": used})
    return record


def _skip_iri_format_checks() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process.

    otter imports nbformat, which imports jsonschema, which imports the optional
    ``rfc3987_syntax`` (when it is installed) to check the ``iri`` string formats; that import
    builds a grammar and costs about 2 s of CPU time in every grading process. Nothing here
    checks IRIs (nbformat's schemas use no such format), and jsonschema simply leaves those
    checks out when the import fails. Only this worker process is affected, not the kernel.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def main(argv=None) -> int:
    _skip_iri_format_checks()
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading._worker")
    parser.add_argument("submission", type=Path)
    parser.add_argument("autograder_zip", type=Path)
    parser.add_argument("result_json", type=Path)
    parser.add_argument("--cell-timeout", type=int, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    record = grade(args.submission.resolve(), args.autograder_zip.resolve(), args.cell_timeout)
    record["seconds"] = round(time.perf_counter() - start, 2)
    args.result_json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
