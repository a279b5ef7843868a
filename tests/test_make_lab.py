"""`make lab`: --allow-root only as root, PORT and LAB_ARGS pass through, it prints the URL,
and it really serves JupyterLab (as whichever user runs the tests)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _fake_venv(tmp_path) -> Path:
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".course-kit-installed").touch()  # newer than requirements.txt: no install step
    return venv


def _dry_run(venv, *args, user=None) -> str:
    cmd = ["make", "--no-print-directory", "-n", "-C", str(ROOT), "lab", f"VENV={venv}", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def test_lab_command_as_this_user(tmp_path):
    out = _dry_run(_fake_venv(tmp_path), "PORT=8890", "LAB_ARGS=--no-browser --ip=0.0.0.0")
    line = next(x for x in out.splitlines() if "jupyter lab" in x)
    assert "--port=8890" in line and "--ServerApp.port_retries=0" in line
    assert line.rstrip().endswith("--no-browser --ip=0.0.0.0")
    assert ("--allow-root" in line) == (os.getuid() == 0)
    assert "http://localhost:8890/lab" in out


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root (and setpriv) to try an ordinary user too")
def test_lab_command_as_an_ordinary_user(tmp_path):
    tmp_path.chmod(0o755)
    venv = _fake_venv(tmp_path)
    line = next(x for x in _dry_run(venv, user=65534).splitlines() if "jupyter lab" in x)
    assert "--allow-root" not in line and "--port=8888" in line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_jupyterlab(tmp_path):
    jupyter = Path(sys.prefix) / "bin" / "jupyter"
    if not jupyter.exists():
        pytest.skip(f"no jupyter in {sys.prefix}")
    # a stand-in venv whose stamp is fresh, so make never runs its install step on a real venv
    venv = _fake_venv(tmp_path)
    (venv / "bin").mkdir()
    (venv / "bin" / "jupyter").symlink_to(jupyter)
    port = _free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(ROOT), "lab", f"VENV={venv}", f"PORT={port}",
         "LAB_ARGS=--no-browser --ip=127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=", line):
                break
        text = "".join(lines)
        assert f"open http://localhost:{port}/lab" in text, text
        assert proc.poll() is None, text
        assert re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=", text), text
        for _ in range(30):  # the URL can be logged a moment before the socket accepts
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=10) as r:
                    assert r.status == 200 and b"version" in r.read()
                break
            except urllib.error.URLError:
                time.sleep(1)
        else:
            pytest.fail(f"nothing answers on port {port}:\n{text}")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
