"""The judge: run an assignment's tests against one sandboxed submission.

``python -m course_lib.grading.judge`` reads a JSON job on stdin and prints one JSON record.
It never runs submission code: the submission lives in :mod:`course_lib.grading._host` in the
sandbox. A test passes when it raises nothing (otter's rule).
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import threading
import time
import traceback
import zipfile

from course_lib.grading.channel import ChannelError, Remote, decode, encode, raise_error, read_frame, write_frame

_LOG_LIMIT = 64 << 10
_RESTARTS = 2
# Requests outside any time_limit (reading a name or an attribute) get this limit.
_DEFAULT_LIMIT = (30.0, 120.0, "your notebook's code")


def _grading_cells(notebook: dict) -> list[tuple[int, str]]:
    """The code cells the submission runs: not ``grader.check`` cells, not ``otter_ignore``
    ones (as otter's runner), not otter's own ``grader.export``/``check_all`` cells."""
    out = []
    for index, cell in enumerate(notebook.get("cells", []) if isinstance(notebook, dict) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags, otter_meta = meta.get("tags"), meta.get("otter")
        if (isinstance(tags, list) and "otter_ignore" in tags) or (
                isinstance(otter_meta, dict) and otter_meta.get("ignore")):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if not source.lstrip().startswith(("grader.check", "grader.export")):
            out.append((index, source))
    return out


class Submission:
    """The sandboxed submission: its process, the channel to it, and restarts after a crash."""

    def __init__(self, job: dict, hide: tuple[str, ...]):
        self.job, self.hide = job, hide
        self.proc, self.log, self.restarts, self.callbacks = None, bytearray(), 0, {}
        self.errors: list[dict] = []

    # -- the process --------------------------------------------------------------------
    def start(self) -> None:
        from course_lib.grading.sandbox import Limits, start_sandboxed

        limits = Limits(cpu_seconds=int(self.job["timeout"]) + 10, memory_bytes=self.job["memory"])
        self.proc = start_sandboxed(["-m", "course_lib.grading._host"], limits, sandbox=self.job["sandbox"],
                                    hide=self.hide)
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        notebook = self.job["notebook"]
        cells = _grading_cells(json.loads(notebook))
        ready = self._exchange({"notebook_name": self.job["notebook_name"], "notebook": notebook,
                                "cells": cells, "cell_timeout": self.job["cell_timeout"]},
                               wait=self.job["cell_timeout"] * 3 * (len(cells) + 1) + 60)
        if not self.errors:
            self.errors = [e for e in ready.get("errors", []) if isinstance(e, dict)][:20]

    def _drain(self, stream) -> None:
        for chunk in iter(lambda: stream.read(4096), b""):
            if len(self.log) < _LOG_LIMIT:
                self.log += chunk[: _LOG_LIMIT - len(self.log)]

    def stop(self) -> None:
        if self.proc is not None:
            from course_lib.grading.sandbox import kill_tree

            kill_tree(self.proc)
            self.proc = None

    def ensure(self) -> None:
        if self.proc is None:
            if self.restarts >= _RESTARTS:
                raise ChannelError("your notebook's process stopped answering too often; the remaining "
                                   "tests were not run")
            self.restarts += 1
            self.start()

    # -- requests -----------------------------------------------------------------------
    def _arg(self, value):
        if isinstance(value, Remote):
            return {"$h": object.__getattribute__(value, "_id")}
        if callable(value):
            self.callbacks[id(value)] = value
            return {"$h": id(value), "$cb": True}
        raise ChannelError(f"a test passed an object of type {type(value).__name__} to your code, "
                           "which cannot cross into the sandbox")

    def _remote(self, entry: dict):
        if "model" in entry:
            model = _rebuild_model(self, entry)
            if model is not None:
                return model
        return Remote(self, entry["$h"], str(entry.get("type", "object"))[:100])

    def _exchange(self, header: dict, wait: float):
        buffers: list[bytes] = []
        header = {k: (v if k in ("op", "h", "name", "limit") else encode(v, buffers, self._arg))
                  for k, v in header.items()}
        deadline = time.monotonic() + wait
        try:
            write_frame(self.proc.stdin.fileno(), header, buffers)
            while True:
                reply, data = read_frame(self.proc.stdout.fileno(), deadline)
                if "callback" in reply:
                    self._run_callback(reply, data)
                    continue
                if "error" in reply and isinstance(reply["error"], dict):
                    raise_error(reply["error"])
                if "ok" not in reply:
                    raise ChannelError("your notebook's process sent a malformed answer")
                return decode(reply["ok"], data, self._remote)
        except (ChannelError, OSError) as e:
            self.stop()
            raise ChannelError(f"{e}; your notebook's process was stopped (the next test starts it again)") from None

    def _run_callback(self, reply: dict, data: list[bytes]) -> None:
        buffers: list[bytes] = []
        try:
            call = decode(reply["ok"], data, self._remote)
            result = self.callbacks[reply["callback"]](*call["args"], **call["kwargs"])
            header = {"ok": encode(result, buffers, self._arg)}
        except Exception as e:  # noqa: BLE001 - the submission's code sees the error
            header, buffers = {"error": {"type": type(e).__name__, "message": str(e)[:500]}}, []
        write_frame(self.proc.stdin.fileno(), header, buffers)

    def request(self, op: str, **fields):
        from course_lib.checks.time_limit import active_limit

        self.ensure()
        limit = active_limit() or _DEFAULT_LIMIT
        return self._exchange({"op": op, "limit": list(limit), **fields}, wait=limit[1] + 15)


def _rebuild_model(submission: Submission, entry: dict):
    """A model of Keras' and the kit's layers, rebuilt here (safe mode) so tests measure the judge's code;
    None for models with the student's own layers, which stay in the sandbox.
    """
    import keras

    import course_lib.layers  # noqa: F401 - registers the kit's layers for deserialisation

    try:
        model = keras.models.model_from_json(entry["model"])
    except Exception:  # noqa: BLE001 - a layer only the submission knows
        return None
    model.set_weights(submission.request("weights", h=entry["$h"]))
    return model


class _TestCase:
    """otter's ``@test_case(points=..., hidden=..., failure_message=...)`` decorator, read here
    without importing otter (whose package import takes seconds)."""

    def __init__(self, name=None, points=None, hidden=False, success_message=None, failure_message=None):
        self.name, self.points, self.hidden, self.failure_message = name, points, hidden, failure_message

    def __call__(self, func):
        self.func = func
        return self


def read_tests(source: str, path: str) -> tuple[str, float, list[_TestCase]]:
    """(question name, points, test cases) of an otter exception-based test file, with otter's
    rules: unnamed cases are ``"<name> - <i>"``; cases without points share what is left."""
    stub = type(sys)("otter.test_files")
    stub.test_case = _TestCase
    real_import = __builtins__["__import__"] if isinstance(__builtins__, dict) else __builtins__.__import__

    def importer(name, *args, **kwargs):
        return stub if name == "otter.test_files" else real_import(name, *args, **kwargs)

    namespace = {"__builtins__": {**vars(builtins), "__import__": importer}, "__name__": path}
    exec(compile(source, path, "exec"), namespace)  # noqa: S102 - the autograder's own test file
    cases = [v for v in namespace.values() if isinstance(v, _TestCase)]
    given = sum(c.points for c in cases if c.points is not None)
    total = namespace.get("points")
    total = float(total) if isinstance(total, (int, float)) else given
    unset = [c for c in cases if c.points is None]
    for i, case in enumerate(cases):
        case.name = case.name or f"{namespace['name']} - {i + 1}"
        if case.points is None:
            case.points = (total - given) / len(unset)
    return str(namespace["name"]), total if unset or total == given else given, cases


def _message(exc: BaseException, path: str, source: str) -> str:
    """Like otter's: the test line that failed and the error."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno
    text = f"{type(exc).__name__}: {str(exc).strip(chr(39))}"
    lines = source.splitlines()
    if line is not None and line <= len(lines):
        text = f"Error at line {line} in {path}:\n  {lines[line - 1].strip()}\n{text}"
    return ("❌ Test case failed\n" + text)[:2000]


def _run_tests(submission: Submission, tests: dict[str, str]) -> dict:
    questions = {}
    for path, source in tests.items():
        name, _, cases = read_tests(source, path)
        results = []
        for case in cases:
            func = case.func
            passed, message = True, "✅ Test case passed"
            try:
                params = func.__code__.co_varnames[: func.__code__.co_argcount]
                func(**{p: submission.request("global", name=p) for p in params})
            except BaseException as e:  # noqa: BLE001 - otter's rule: anything raised fails the test
                passed, message = False, _message(e, path, source)
            results.append({"name": case.name, "hidden": bool(case.hidden), "points": float(case.points or 0),
                            "passed": passed, "message": message, "failure_message": case.failure_message})
        questions[name] = {"score": sum(r["points"] for r in results if r["passed"]),
                                     "possible": sum(r["points"] for r in results), "tests": results}
    return questions


def judge(job: dict) -> dict:
    import course_lib.checks as checks
    from course_lib.checks import time_limit

    with zipfile.ZipFile(job["autograder"]) as zf:
        tests = {n: zf.read(n).decode("utf-8") for n in sorted(zf.namelist())
                 if n.startswith("tests/") and n.endswith(".py")}
    hide = ("layers",) if any("assert_own_code" in s for s in tests.values()) else ()
    submission = Submission(job, hide)
    time_limit.RECORD_ONLY = True
    checks._RESOLVER = lambda name: submission.request("module", name=name)
    record = {"status": "ok", "message": "", "questions": {}, "errors": []}
    try:
        submission.start()
    except ChannelError as e:
        record.update(status="error", message=(
            "your notebook's process ended or stopped answering while its cells ran (the code exited the "
            f"process, crashed, ran out of memory or past its limits), so nothing could be scored: {e}"))
    try:
        if record["status"] == "ok":
            record["questions"] = _run_tests(submission, tests)
    except ChannelError as e:
        record.update(status="error", message=f"your notebook could not be graded: {e}")
    finally:
        submission.stop()
    record["errors"] = submission.errors
    record["log"] = submission.log.decode("utf-8", errors="replace")
    return record


def main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    out = os.dup(1)
    os.dup2(2, 1)
    record = judge(job)
    os.write(out, json.dumps(record).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
