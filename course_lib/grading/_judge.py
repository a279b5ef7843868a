"""Re-run a submission's tests in a clean process that the notebook cannot have prepared.

Run by :mod:`course_lib.grading.grade` after otter has graded the notebook in its kernel, as
``python -m course_lib.grading._judge NOTEBOOK AUTOGRADER_ZIP --cell-timeout S`` with a random
token on stdin. In order, before any of the student's code runs, it

1. reads the token, keeps a private copy of its stdout for the result (the student's output
   goes to stderr, the log) and reads every test file from the autograder zip into memory;
2. imports what the tests use (``numpy``, otter's ``test_case``, ``course_lib``, ``keras``
   when a test names it, every module a test imports) and builds the test cases;
3. takes a fingerprint of the machinery: the identity of every function, class and module
   in ``builtins``, ``numpy``, ``otter``, ``course_lib`` and ``keras`` (and of the attributes
   of their classes), every ``sys.modules`` entry of those packages and the test functions.

Then it runs the code cells of the notebook in order in one namespace (IPython syntax
translated; ``grader.check`` cells skipped; each cell under the per-cell CPU limit), compares
the fingerprint, runs every test case against the namespace (otter's rules: a test passes
when it raises nothing), compares the fingerprint again and prints ``TOKEN + JSON`` on the
private stdout. Any change of the machinery is reported as a flag; the grader then gives 0.

Not public API: the grading command is ``python -m course_lib grade``.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import linecache
import os
import sys
import time
import traceback
import types
import zipfile

_PACKAGES = ("builtins", "numpy", "otter", "course_lib", "keras", "math")
_MAX_MESSAGE = 2000


class _Anything:
    """Stand-in for ``get_ipython()`` and ``display``: accepts any attribute access or call."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


_WATCHED = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, property, staticmethod,
            classmethod, types.MethodType)


def _ident(value):
    # Exact types: proxies (wrapt's decorators in otter) pass isinstance checks but hand out a
    # new object for every attribute read.
    kind = type(value)
    if kind is types.FunctionType:
        return (id(value), id(value.__code__), id(value.__defaults__), id(value.__kwdefaults__))
    if kind is property:
        return (id(value), id(value.fget), id(value.fset))
    return id(value)


def _watched(value) -> bool:
    return type(value) in _WATCHED or callable(value)


def fingerprint(extra: dict | None = None) -> dict:
    """Identity of the machinery's functions, classes and modules (see the module docstring)."""
    out = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name in _PACKAGES or name.startswith(tuple(p + "." for p in _PACKAGES))):
            continue
        out[f"sys.modules[{name!r}]"] = id(module)
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            if not _watched(value):
                continue
            out[f"{name}.{key}"] = _ident(value)
            if isinstance(value, type) and str(vars(value).get("__module__", "")).startswith(_PACKAGES):
                for attr, member in list(vars(value).items()):
                    if _watched(member):
                        out[f"{name}.{key}.{attr}"] = _ident(member)
    for key, value in (extra or {}).items():
        out[key] = _ident(value)
    return out


def changed(before: dict, after: dict) -> list[str]:
    """What the student's code replaced, removed (or, for sys.modules, swapped)."""
    return sorted(k for k, v in before.items() if after.get(k) != v)


def _test_imports(sources: list[str]) -> list[str]:
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module)
    return sorted(modules)


def _message(exc: BaseException, path: str, source: str) -> str:
    """Like otter's: the test line that failed and the error."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno
    text = f"{type(exc).__name__}: {str(exc).strip(chr(39))}"
    if line is not None:
        code = source.splitlines()[line - 1].strip() if line <= len(source.splitlines()) else ""
        text = f"Error at line {line} in {path}:\n  {code}\n{text}"
    return ("❌ Test case failed\n" + text)[:_MAX_MESSAGE]


def _ignored(cell: dict) -> bool:
    """Cells otter's runner skips in the kernel (``otter.execute.preprocessor``'s
    ``filter_ignored_cells``): tagged ``otter_ignore`` or with ``metadata.otter.ignore``.
    Assignment 3's local run of the fixed training is one; running it here would train again."""
    metadata = cell.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    tags = metadata.get("tags")
    otter_meta = metadata.get("otter")
    return (isinstance(tags, list) and "otter_ignore" in tags) or (
        isinstance(otter_meta, dict) and bool(otter_meta.get("ignore", False)))


def _cells(notebook: dict) -> list[tuple[int, str]]:
    from course_lib.grading._worker import _is_grading_cell, _source

    out = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and not _ignored(cell):
            source = _source(cell)
            if not _is_grading_cell(source):
                out.append((index, source))
    return out


def judge(notebook_path: str, autograder_zip: str, cell_timeout: int, result_fd: int, token: str) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        tests = {
            n: zf.read(n).decode("utf-8")
            for n in sorted(zf.namelist())
            if n.startswith("tests/") and n.endswith(".py")
        }
        config = json.loads(zf.read("otter_config.json")) if "otter_config.json" in zf.namelist() else {}
    # The notebook's `otter.Notebook("<name>.ipynb")` cell reads the file it names.
    with open(notebook_path, "rb") as f:
        raw = f.read()
    if config.get("assignment_name"):
        with open(f"{config['assignment_name']}.ipynb", "wb") as f:
            f.write(raw)
    # Everything the tests use is imported now, before any student code.
    import numpy  # noqa: F401
    from otter.test_files import ExceptionTestFile

    import course_lib  # noqa: F401
    from course_lib.grading.time_limit import time_limit

    wanted = _test_imports(list(tests.values()))
    if any("keras" in s for s in tests.values()):
        wanted.append("keras")
    for module in wanted:
        try:
            __import__(module)
        except Exception:  # noqa: BLE001 - a test that needs it fails later and says why
            pass
    test_files = []
    test_funcs = {}
    for path, source in tests.items():
        test_file = ExceptionTestFile.from_string(source, path=path)
        cases = []
        for case in test_file.test_cases:
            func = case.body.test_func
            params = list(func.__code__.co_varnames[: func.__code__.co_argcount])
            cases.append((case, func, params))
            test_funcs[f"test {path}:{case.name}"] = func
        test_files.append((test_file.name, path, source, cases))
    judge_funcs = {f"judge.{k}": v for k, v in globals().items() if isinstance(v, types.FunctionType)}
    before = fingerprint({**test_funcs, **judge_funcs})

    record: dict = {"questions": {}, "errors": [], "flags": []}
    notebook = json.loads(raw.decode("utf-8"))
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _Anything(),
                 "display": _Anything()}
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    for index, source in _cells(notebook):
        try:
            python = transformer.transform_cell(source)
            filename = f"<cell {index}>"
            # As IPython does: inspect.getsource works on the notebook's classes and functions.
            linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
            code = compile(python, filename, "exec")
            with time_limit(cell_timeout, "this cell"):
                exec(code, namespace)  # noqa: S102 - the point of this process
        except BaseException as e:  # noqa: BLE001 - a failing cell is reported, the next one runs
            record["errors"].append({"cell": index, "ename": type(e).__name__, "evalue": str(e)[:500]})
    after_cells = fingerprint({**test_funcs, **judge_funcs})
    for key in changed(before, after_cells):
        record["flags"].append(f"the notebook's code replaced {key}")

    for name, path, source, cases in test_files:
        results = []
        for case, func, params in cases:
            passed, message = True, "✅ Test case passed"
            try:
                func(**{p: (namespace if p == "env" else namespace.get(p)) for p in params})
            except BaseException as e:  # noqa: BLE001 - otter's rule: anything raised fails the test
                passed, message = False, _message(e, path, source)
            results.append({
                "name": case.name, "hidden": bool(case.hidden), "points": float(case.points or 0),
                "passed": passed, "message": message, "failure_message": case.failure_message,
            })
        record["questions"][name] = {
            "score": sum(r["points"] for r in results if r["passed"]),
            "possible": sum(r["points"] for r in results),
            "tests": results,
        }
    after_tests = fingerprint({**test_funcs, **judge_funcs})
    for key in changed(after_cells, after_tests):
        record["flags"].append(f"the notebook's code, called by a test, replaced {key}")
    os.write(result_fd, (token + json.dumps(record) + "\n").encode("utf-8"))


def main(argv=None) -> int:
    token = sys.stdin.readline().strip()
    result_fd = os.dup(1)
    os.dup2(2, 1)  # the student's output goes to the log
    sys.stdin = open(os.devnull)  # noqa: SIM115
    from course_lib.grading._worker import _skip_iri_format_checks

    _skip_iri_format_checks()
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading._judge")
    parser.add_argument("notebook")
    parser.add_argument("autograder_zip")
    parser.add_argument("--cell-timeout", type=int, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    judge(args.notebook, args.autograder_zip, args.cell_timeout, result_fd, token)
    print(f"judge: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
