"""The submission's side of the channel; runs inside the sandbox (``python -m course_lib.grading._host``).

Runs the notebook's cells in one namespace, then answers the judge's requests until stdin
closes. Non-plain objects stay here behind handles. Nothing here is trusted.
"""

from __future__ import annotations

import builtins
import importlib
import linecache
import os
import sys

_MAX_ERRORS = 20


class _Anything:
    """Stand-in for ``get_ipython()`` and ``display``: accepts any attribute access or call."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


class Host:
    def __init__(self, rfd: int, wfd: int):
        self.rfd, self.wfd = rfd, wfd
        self.objects: dict[int, object] = {}
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _Anything(),
                          "display": _Anything()}

    # -- encoding -------------------------------------------------------------------------
    def handle(self, value):
        import numpy as np

        kind = type(value)
        if isinstance(value, np.ndarray) or "Tensor" in kind.__name__ and hasattr(value, "numpy"):
            from course_lib.grading.channel import encode

            return encode(np.asarray(value), self._buffers, self.handle)
        self.objects[id(value)] = value
        entry = {"$h": id(value), "type": kind.__name__[:100]}
        keras = sys.modules.get("keras")
        if keras is not None and isinstance(value, keras.Model):
            try:
                entry["model"] = value.to_json()
            except Exception:  # noqa: BLE001 - then it stays a handle
                pass
        return entry

    def send(self, header: dict, value=None) -> None:
        from course_lib.grading.channel import encode, write_frame

        self._buffers: list[bytes] = []
        if "ok" in header:
            header = {**header, "ok": encode(value, self._buffers, self.handle)}
        write_frame(self.wfd, header, self._buffers)

    def receive(self):
        from course_lib.grading.channel import decode, read_frame

        header, buffers = read_frame(self.rfd)
        return header, (lambda data: decode(data, buffers, self.resolve))

    def resolve(self, data: dict):
        if "$cb" in data:
            return lambda *args, **kwargs: self.callback(data["$h"], args, kwargs)
        return self.objects[data["$h"]]

    def callback(self, handle_id, args, kwargs):
        """Call a function of the judge's (a test's ``lambda``) and wait for its value."""
        self.send({"ok": None, "callback": handle_id}, {"args": list(args), "kwargs": kwargs})
        header, value = self.receive()
        if "error" in header:
            from course_lib.grading.channel import raise_error

            raise_error(header["error"])
        return value(header["ok"])

    # -- the notebook ---------------------------------------------------------------------
    def run_cells(self, cells: list, seconds: float) -> list[dict]:
        from course_lib.checks.time_limit import cell_limit

        errors = []
        for index, source in cells:
            try:
                python = _python(source)
                filename = f"<cell {index}>"
                linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
                with cell_limit(seconds):
                    exec(compile(python, filename, "exec"), self.namespace)  # noqa: S102 - its purpose
            except BaseException as e:  # noqa: BLE001 - reported; the next cell runs
                first = next((line.strip() for line in source.splitlines() if line.strip()), "")
                errors.append({"cell": first[:80], "ename": type(e).__name__, "evalue": str(e)[:500]})
        return errors[:_MAX_ERRORS]

    # -- requests -------------------------------------------------------------------------
    def answer(self, op: str, value, header: dict):
        target = self.objects.get(header.get("h"))
        if op == "global":
            return self.namespace.get(header["name"])
        if op == "module":
            return importlib.import_module(header["name"])
        if op == "getattr":
            return getattr(target, header["name"])
        if op == "setattr":
            return setattr(target, header["name"], value(header["value"]))
        if op == "call":
            from course_lib.checks.time_limit import time_limit

            seconds, wall, what = header["limit"]
            with time_limit(seconds, what, wall_seconds=wall):
                return target(*value(header["args"]), **value(header["kwargs"]))
        if op == "len":
            return len(target)
        if op == "list":
            return list(target)
        if op == "getitem":
            return target[value(header["key"])]
        if op == "array":
            return _numeric_array(target)
        if op == "weights":
            return [_numeric_array(w) for w in target.get_weights()]
        raise ValueError(f"unknown request {op!r}")

    def serve(self) -> None:
        while True:
            try:
                header, value = self.receive()
            except Exception:  # noqa: BLE001 - the judge closed the channel
                return
            try:
                result = self.answer(str(header.get("op")), value, header)
                self.send({"ok": None}, result)
            except BaseException as e:  # noqa: BLE001 - every error goes back to the judge
                self.send({"error": {"type": type(e).__name__, "message": str(e)[:2000]}})


def _python(source: str) -> str:
    """A cell's source as Python: IPython's syntax (``%magic``, ``!cmd``) translated."""
    try:
        compile(source, "<cell>", "exec")
        return source
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)


def _otter_stand_in() -> None:
    """The notebook's ``grader = otter.Notebook(...)`` gets a stand-in whose methods do
    nothing: grading does not need it, and importing otter takes seconds."""
    otter = type(sys)("otter")

    class Notebook:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    otter.Notebook = Notebook
    sys.modules["otter"] = otter


def _numeric_array(value):
    import numpy as np

    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"it returned an object of type {type(value).__name__}, which is not an array of "
                        "numbers; return a NumPy array or a tensor")
    return array


def main() -> int:
    rfd, wfd = os.dup(0), os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)  # the student's output goes to the log
    sys.modules.setdefault("rfc3987_syntax", None)  # spares jsonschema a 2 s grammar build
    _otter_stand_in()
    host = Host(rfd, wfd)
    header, value = host.receive()
    if header.get("notebook_name"):
        with open(header["notebook_name"], "wb") as f:
            f.write(value(header["notebook"]).encode("utf-8"))
    errors = host.run_cells(value(header["cells"]), header["cell_timeout"])
    host.send({"ok": None}, {"errors": errors})
    host.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
