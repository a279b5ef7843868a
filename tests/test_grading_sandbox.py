"""The grader's process boundary, one piece at a time: the plain-data channel, the proxies of
the submission's objects, the sandbox and the refusals of ``grade`` (fast)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_lib.grading import channel, grade_submissions, sandbox
from course_lib.grading.channel import ChannelError, Remote, decode, encode

REPO = Path(__file__).resolve().parents[1]


def _round_trip(value):
    buffers = []
    data = json.loads(json.dumps(encode(value, buffers, lambda v: {"$h": 7, "type": type(v).__name__})))
    return decode(data, buffers, lambda entry: ("handle", entry["$h"]))


def test_plain_data_and_arrays_cross_unchanged():
    value = {"a": [1, 2.5, None, True, "s"], (1, 2): (np.float32(1.5), np.int64(3)),
             "x": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array([True, False]), "nan": float("nan")}
    got = _round_trip(value)
    assert got["a"] == [1, 2.5, None, True, "s"] and got[(1, 2)] == (1.5, 3)
    assert type(got[(1, 2)][1]) is np.int64, "NumPy scalars keep their type (a test may check isinstance)"
    assert got["x"].dtype == np.float32 and np.array_equal(got["x"], value["x"]) and got["x"].flags.writeable
    assert np.isnan(got["nan"])


def test_anything_else_becomes_a_handle_never_an_object():
    class Liar:
        def __eq__(self, other):
            return True

    assert _round_trip(Liar()) == ("handle", 7)
    assert _round_trip(np.array([Liar()], dtype=object)) == ("handle", 7), "object arrays are not plain data"


@pytest.mark.parametrize("data", [
    {"$a": 0, "dtype": "O", "shape": [1]}, {"$a": 0, "dtype": "<f8", "shape": [3]}, {"py/object": "os.system"},
    {"$h": 1}, {"$s": "O", "v": 1}, {"$d": [[[1], 2]]}, {"$t": [1], "extra": 2},
])
def test_the_judge_rejects_everything_that_is_not_plain_data(data):
    with pytest.raises(ChannelError, match="return a NumPy array, a number|unhashable key"):
        decode(data, [pickle.dumps(object())[:8]])


def test_a_malformed_frame_is_an_error_not_a_crash():
    read, write = os.pipe()
    os.write(write, (5).to_bytes(4, "little") + b"{bad}")
    with pytest.raises(ChannelError, match="malformed"):
        channel.read_frame(read, deadline=None)


def test_a_proxy_compares_as_itself_and_asks_for_everything_else():
    asked = []

    class Client:
        def request(self, op, **fields):
            asked.append((op, fields))
            return {"getattr": "__main__", "array": np.ones(2), "len": 2}.get(op)

    remote = Remote(Client(), 3, "Layer")
    assert remote != 1 and not (remote == remote.__class__) and remote == remote
    assert remote.__module__ == "__main__" and len(remote) == 2 and np.asarray(remote).shape == (2,)
    with pytest.raises(AttributeError):
        remote.__array_interface__  # noqa: B018 - NumPy's probes are not sent
    assert [op for op, _ in asked] == ["getattr", "len", "array"]
    assert repr(remote) == "<Layer in the submission>"


def test_time_limit_records_its_limit_for_the_sandbox():
    from course_lib.checks import time_limit
    from course_lib.checks.time_limit import active_limit

    assert active_limit() is None
    with time_limit(5, "f"):
        assert active_limit() == (5.0, 45.0, "f")


def test_grade_refuses_without_bubblewrap_with_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    zip_path = tmp_path / "ag.zip"
    zip_path.write_bytes(b"")
    with pytest.raises(sandbox.SandboxMissingError, match=r"apt-get install bubblewrap.*--no-sandbox"):
        grade_submissions(zip_path, tmp_path, tmp_path / "out")


@pytest.mark.parametrize("entry", ["gradebook.csv", "feedback", "logs/x.log"])
def test_grade_stops_before_grading_when_an_output_entry_is_not_a_regular_file(tmp_path, entry, built, bwrap):
    spec = built["1-cnn-arithmetic"]
    (tmp_path / "subs").mkdir()
    shutil.copy(spec.student_notebook, tmp_path / "subs" / "x.ipynb")
    out = tmp_path / "out"
    target = out / entry
    target.parent.mkdir(parents=True)
    if entry == "feedback":
        target.symlink_to(tmp_path)
    else:
        target.mkdir()
    with pytest.raises(ValueError, match=f"{target.name} exists and is not a"):
        grade_submissions(spec.autograder_zip, tmp_path / "subs", out)
    assert not (out / "summary.csv").exists(), "nothing was graded"


def test_the_sandbox_sees_no_network_no_other_process_and_no_kit_but_course_lib(bwrap):
    code = ("import os, socket, json\n"
            "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=2); net = True\n"
            "except OSError:\n    net = False\n"
            "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            f"print(json.dumps([net, len(pids), os.getuid(), os.path.exists({str(REPO / 'assignments')!r}),"
            " sorted(os.listdir('/kit')), os.listdir('.'), os.access('/usr', os.W_OK)]))\n")
    proc = sandbox.start_sandboxed(["-c", code], sandbox.Limits(cpu_seconds=30))
    out, err = proc.communicate(timeout=60)
    net, pids, uid, sees_assignments, kit, work, usr_writable = json.loads(out)
    assert (net, uid, sees_assignments, kit, work, usr_writable) == (False, 65534, False, ["course_lib"], [], False)
    assert pids <= 3, "its own PID namespace: bwrap and this process"


def test_a_venv_under_tmp_is_bound_but_never_tmp_itself(monkeypatch, tmp_path):
    """A clone in /tmp (CI's or a newcomer's) has its venv there: the sandbox must see that
    folder, on top of its own empty /tmp, and still never the whole /tmp."""
    import sys

    from course_lib.grading import sandbox

    venv = tmp_path / "kit" / ".venv"
    (venv / "bin").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "exec_prefix", str(venv))
    roots = sandbox._python_roots()
    assert str(venv) in roots
    assert "/tmp" not in roots and "/" not in roots and not any(r.startswith("/usr/") for r in roots)
