"""Processes for grading: the one subprocess helper, and the bubblewrap sandbox.

Student code runs only in :func:`start_sandboxed`'s process: bubblewrap with a read-only
system, ``course_lib`` alone, a private working folder, no network, its own namespaces, user
``nobody`` and resource limits; see ``assignments/README.md`` for the threat model.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["SandboxMissingError", "Limits", "kill_tree", "run", "start_sandboxed"]

INSTALL_HINT = (
    "The grader runs each submission in a bubblewrap sandbox, and `bwrap` was not found on "
    "PATH. Install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`), or pass "
    "--no-sandbox to grade trusted notebooks without one."
)


class SandboxMissingError(FileNotFoundError):
    """bubblewrap is not installed."""


class Limits:
    """Resource limits of one sandboxed submission (``setrlimit`` values)."""

    def __init__(self, cpu_seconds: int, memory_bytes: int = 8 << 30, file_bytes: int = 256 << 20,
                 processes: int = 512):
        self.cpu_seconds, self.memory_bytes = int(cpu_seconds), int(memory_bytes)
        self.file_bytes, self.processes = int(file_bytes), int(processes)

    def preexec(self):
        """What the child runs before ``exec``: a new session, then the limits. RLIMIT_NPROC
        counts every process of the real user (as root, what root runs now too), counted here."""
        running = _own_process_count()

        def apply():
            os.setsid()
            self._set(running)

        return apply

    def _set(self, running: int) -> None:
        for kind, value in ((resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_AS, self.memory_bytes),
                            (resource.RLIMIT_FSIZE, self.file_bytes),
                            (resource.RLIMIT_NPROC, running + self.processes), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(kind, (value, value))


def _own_process_count() -> int:
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s process group (each helper starts one) and reap ``proc``."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()
    proc.wait()


def run(cmd: list[str], *, stdin: bytes, timeout: float, env: dict, preexec=None) -> tuple[int | None, bytes, bytes]:
    """Run ``cmd`` in a new session, feed it ``stdin``, wait at most ``timeout`` seconds and
    kill the whole group at the end. Returns (exit code or None on timeout, stdout, stderr)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, preexec_fn=preexec or os.setsid)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code, out, err = None, b"", b""
    finally:
        kill_tree(proc)
    return code, out, err


def kit_env() -> dict:
    """The environment of the grader's own processes (the judge): this interpreter, this kit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COURSE_LIB_GRAD"))}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0", PYTHONPATH=str(_kit_root()))
    return env


def _kit_root() -> Path:
    import course_lib

    return Path(course_lib.__file__).resolve().parents[1]


def _python_roots() -> list[str]:
    """Folders the interpreter needs: its prefix, the venv, and the real interpreter's prefix.

    A venv under ``/tmp`` (a clone in ``/tmp/kit/.venv``) is bound like any other: only that
    folder, on top of the sandbox's own empty ``/tmp``; never ``/``, ``/tmp`` itself or ``/usr``
    (already bound).
    """
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).parent.parent)}
    roots.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    return sorted(r for r in roots if r and Path(r).is_dir() and r not in ("/", "/tmp")
                  and not (r + "/").startswith("/usr/"))


def bwrap_command(argv: list[str], hide: tuple[str, ...] = ()) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` (a Python command) in the sandbox."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxMissingError(INSTALL_HINT)
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--uid", "65534", "--gid", "65534",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
           "--tmpfs", "/submission", "--chdir", "/submission", "--clearenv"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    cmd += ["--ro-bind", str(_kit_root() / "course_lib"), "/kit/course_lib"]
    for rel in hide:  # e.g. the reference layers an assignment asks students to write
        cmd += ["--tmpfs", f"/kit/course_lib/{rel}"]
    for key, value in (("PYTHONPATH", "/kit"), ("HOME", "/submission"), ("TF_CPP_MIN_LOG_LEVEL", "2"),
                       ("PYTHONHASHSEED", "0"), ("PATH", "/usr/bin:/bin"), ("MPLBACKEND", "Agg")):
        cmd += ["--setenv", key, value]
    return cmd + argv


def start_sandboxed(argv: list[str], limits: Limits, *, sandbox: bool = True, hide=()) -> subprocess.Popen:
    """Start ``argv`` (a Python command run by this interpreter) with pipes on stdin, stdout
    and stderr: in the sandbox, or, with ``sandbox=False``, as a plain child process."""
    cmd = bwrap_command([sys.executable, *argv], hide) if sandbox else [sys.executable, *argv]
    work = None if sandbox else tempfile.mkdtemp(prefix="grade-no-sandbox-")
    env = None if sandbox else {**kit_env(), "HOME": work}
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, preexec_fn=limits.preexec(), cwd=work)
