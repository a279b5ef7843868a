"""The narrow channel between the judge and the sandboxed submission.

Only plain data crosses it (JSON-able values, numeric/boolean NumPy arrays as raw bytes, and
handles to objects on the other side); no pickle. A frame is a 4-byte length, a JSON header,
then array bytes. Submission objects reach the judge as :class:`Remote` proxies whose
comparisons are the proxy's own.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

__all__ = ["ChannelError", "Remote", "SubmissionError", "decode", "encode", "read_frame", "write_frame"]

MAX_FRAME = 512 << 20
_PLAIN = (type(None), bool, int, float, str)
_KINDS = "biufc"
# Exceptions raised by the submission are raised again in the judge by name, when they are one
# of these (tests expect e.g. a ValueError); any other becomes a SubmissionError.
_BUILTIN_ERRORS = {e.__name__: e for e in (
    ValueError, TypeError, KeyError, IndexError, AssertionError, AttributeError, NotImplementedError,
    RuntimeError, ZeroDivisionError, ArithmeticError, OverflowError, NameError, LookupError)}


class ChannelError(Exception):
    """The submission sent something that is not plain data, or stopped answering."""


class SubmissionError(Exception):
    """The submission's code raised an exception the judge does not raise by name."""


def write_frame(fd: int, header: dict, buffers: list[bytes]) -> None:
    header = dict(header, buffers=[len(b) for b in buffers])
    data = json.dumps(header).encode("utf-8")
    os.write(fd, struct.pack("<I", len(data)))
    for chunk in (data, *buffers):
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    parts, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise ChannelError("the submission did not answer in time")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise ChannelError("the submission's process ended")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_frame(fd: int, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    (size,) = struct.unpack("<I", _read_exact(fd, 4, deadline))
    if size > MAX_FRAME:
        raise ChannelError(f"a message of {size} bytes is over the limit of {MAX_FRAME}")
    try:
        header = json.loads(_read_exact(fd, size, deadline))
        sizes = header["buffers"]
        if not (isinstance(sizes, list) and all(type(s) is int and 0 <= s for s in sizes)
                and sum(sizes) <= MAX_FRAME):
            raise ValueError(sizes)
    except (ValueError, KeyError, TypeError) as e:
        raise ChannelError(f"the submission sent a malformed message ({e})") from None
    return header, [_read_exact(fd, s, deadline) for s in sizes]


def encode(value, buffers: list, handle) -> object:
    """``value`` as JSON-able data; arrays go to ``buffers``; ``handle(obj)`` encodes anything else."""
    kind = type(value)
    if kind in _PLAIN:
        return value if kind is not float or value == value and abs(value) != float("inf") else {"$f": repr(value)}
    if kind is list:
        return [encode(v, buffers, handle) for v in value]
    if kind is tuple:
        return {"$t": [encode(v, buffers, handle) for v in value]}
    if kind is dict:
        return {"$d": [[encode(k, buffers, handle), encode(v, buffers, handle)] for k, v in value.items()]}
    if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
        return {"$s": value.dtype.str, "v": encode(value.item(), buffers, handle)}
    if isinstance(value, np.ndarray) and value.dtype.kind in _KINDS:
        array = np.ascontiguousarray(value)
        buffers.append(array.tobytes())
        return {"$a": len(buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}
    return handle(value)


def _what(value) -> str:
    return f"an object of type {value['type']}" if isinstance(value, dict) and "type" in value else "something"


def decode(data, buffers: list[bytes], handle=None):
    """The value of :func:`encode`'s output (``handle(data)`` resolves handles); else :class:`ChannelError`."""
    kind = type(data)
    if kind in _PLAIN:
        return data
    if kind is list:
        return [decode(v, buffers, handle) for v in data]
    if kind is dict and len(data) == 1 and type(data.get("$t")) is list:
        return tuple(decode(v, buffers, handle) for v in data["$t"])
    if kind is dict and len(data) == 1 and type(data.get("$d")) is list:
        out = {}
        for pair in data["$d"]:
            if type(pair) is not list or len(pair) != 2:
                raise ChannelError("the submission sent a malformed dict")
            key = decode(pair[0], buffers, handle)
            try:
                out[key] = decode(pair[1], buffers, handle)
            except TypeError:
                raise ChannelError("the submission sent a dict with an unhashable key") from None
        return out
    if kind is dict and set(data) == {"$f"} and data["$f"] in ("nan", "inf", "-inf"):
        return float(data["$f"])
    try:
        if kind is dict and set(data) == {"$s", "v"}:
            dtype = np.dtype(data["$s"])
            if dtype.kind in _KINDS and type(data["v"]) in (bool, int, float, dict):
                return dtype.type(decode(data["v"], buffers, handle))
        if kind is dict and set(data) == {"$a", "dtype", "shape"}:
            dtype, shape = np.dtype(data["dtype"]), tuple(data["shape"])
            if dtype.kind in _KINDS and all(type(n) is int and n >= 0 for n in shape):
                return np.frombuffer(buffers[data["$a"]], dtype=dtype).reshape(shape).copy()
    except (TypeError, ValueError, IndexError):
        pass
    if kind is dict and type(data.get("$h")) is int and handle is not None:
        return handle(data)
    raise ChannelError(
        f"it returned {_what(data)}; return a NumPy array, a number, a string, or lists, "
        "tuples and dicts of these")


def raise_error(error: dict):
    """Raise, in the judge, the exception the submission's code raised."""
    name, message = str(error.get("type", "Exception"))[:100], str(error.get("message", ""))[:2000]
    if name == "CallTimeoutError":
        from course_lib.checks.time_limit import CallTimeoutError

        raise CallTimeoutError(message)
    if name in _BUILTIN_ERRORS:
        raise _BUILTIN_ERRORS[name](message)
    raise SubmissionError(f"{name}: {message}")


class Remote:
    """An object that lives in the sandbox. Attribute reads, calls, ``len``, iteration,
    indexing and ``np.asarray`` are asked of the submission and answered with plain data or
    more handles; everything else (``==``, ``hash``, ``bool``, ``repr``) is the proxy's own."""

    __slots__ = ("_client", "_id", "_type")
    _FORWARDED = frozenset({"__module__", "__name__", "__qualname__"})

    def __init__(self, client, handle_id: int, type_name: str):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_id", handle_id)
        object.__setattr__(self, "_type", type_name)

    def __getattribute__(self, name):
        if name in Remote._FORWARDED:
            return object.__getattribute__(self, "_ask")("getattr", name=name)
        return object.__getattribute__(self, name)

    def _ask(self, op, **fields):
        return self._client.request(op, h=self._id, **fields)

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith(("_repr_", "_ipython_")):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        self._ask("setattr", name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._ask("call", args=list(args), kwargs=kwargs)

    def __len__(self):
        return self._ask("len")

    def __iter__(self):
        return iter(self._ask("list"))

    def __getitem__(self, key):
        return self._ask("getitem", key=key)

    def __array__(self, dtype=None, copy=None):
        array = self._ask("array")
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return f"<{self._type} in the submission>"
