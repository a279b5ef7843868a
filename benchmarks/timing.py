"""Shared helpers of ``run.py`` and ``gpu.py``: interleaved timing, machine description, Markdown.

Nothing here imports TensorFlow (``gpu.py`` must run on machines without it).
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent


def interleaved(cases: dict[str, Callable[[], object]], *, repeats: int, warmup: int) -> dict:
    """Time several cases side by side in one process.

    Every case runs ``warmup`` times untimed (tracing, compilation, allocator and cache
    warm-up), then ``repeats`` rounds follow in which each case runs once; the order of the
    cases rotates from round to round so that no case always runs right after another (or
    always first, on a machine whose load drifts).

    Returns:
        ``{name: [seconds of round 0, round 1, ...]}``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"`repeats` must be >= 1 and `warmup` >= 0. Received: "
                         f"repeats={repeats!r}, warmup={warmup!r}")
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
    return times


def forward_backward(fn: Callable, x, upstream) -> Callable[[], object]:
    """A call that runs ``fn`` forward and backward on ``x`` (gradient of ``fn(x)`` with
    ``upstream`` as the output gradient) in one ``tf.function`` and waits for the result."""
    import tensorflow as tf

    @tf.function
    def run(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = fn(inputs)
        grad = tape.gradient(outputs, inputs, output_gradients=upstream)
        return tf.reduce_sum(grad)  # a scalar: .numpy() waits without copying the tensor

    return lambda: run(x).numpy()


def median(values) -> float:
    return float(statistics.median(values))


def paired_ratio_range(numerator: list[float], denominator: list[float]) -> tuple[float, float]:
    """Min and max over rounds of ``numerator[r] / denominator[r]`` (same round, same load)."""
    ratios = [a / b for a, b in zip(numerator, denominator)]
    return min(ratios), max(ratios)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def busy_warning(info: dict) -> str | None:
    """A warning when other processes competed for the CPU during the run, else ``None``.

    The 1-minute load average counts this process too (about one unit per busy core), so
    the machine counts as busy when it exceeds the usable cores by more than 0.75.
    """
    loads = []
    for key in ("load_average_start", "load_average_end"):
        try:
            loads.append(float(str(info.get(key, "")).split(",")[0]))
        except ValueError:
            pass
    cores = info.get("usable_cores") or 1
    if not loads or max(loads) <= cores + 0.75:
        return None
    return (f"The 1-minute load average reached {max(loads):.1f} on {cores} usable cores: other "
            "processes competed for the CPU, so the timings are noisy (see the per-round "
            "ranges). PyTorch's OpenMP threads slow down most when the cores are oversubscribed "
            "(they wait at barriers for descheduled threads): rerun on a quiet machine before "
            "drawing conclusions.")


def machine_info(packages=("numpy", "keras", "tensorflow", "torch", "jax")) -> dict:
    """CPU model, cores, memory, OS and versions of the packages that are importable.

    Versions are read from package metadata, so nothing (TensorFlow in particular) is imported.
    """
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    try:
        import course_lib

        versions["course_lib"] = course_lib.__version__
    except ImportError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    memory = _memory_gib()
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": round(memory, 1) if memory else None,
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "commit": _git_commit(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average_start": load_average(),
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
    }


def machine_markdown(info: dict) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines = [
        f"- CPU: {info['cpu']}, {info['logical_cores']} logical cores "
        f"({info['usable_cores']} usable by this process)"
        + (f", {info['memory_gib']} GiB memory" if info.get("memory_gib") else ""),
        f"- OS: {info['os']}; versions: {versions}",
        f"- course kit commit: {info['commit']}; run at {info['date']}",
        f"- load average (1, 5, 15 min) at start: {info['load_average_start']}"
        + (f"; at end: {info['load_average_end']}" if info.get("load_average_end") else "")
        + " (above the core count means other processes competed for the CPU)",
    ]
    for extra in info.get("notes", []):
        lines.append(f"- {extra}")
    return "\n".join(lines)


def table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def fmt_seconds(seconds: float) -> str:
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


def fmt_duration(seconds: float) -> str:
    """Human wall time: ``42 s``, ``12.5 min``, ``3.2 h``, ``2.1 d``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def summarize_op_times(op_seconds: dict[str, float], top: int = 6) -> str:
    """One line of shares: convolution kernels (forward / backward), then the ``top`` largest
    other ops, each as a percentage of all op time.

    ``op_seconds`` maps an op name (a TensorFlow op type such as
    ``_MklNativeConv2DBackpropInput``, or a PyTorch one such as ``aten::convolution_backward``)
    to the seconds spent in it, summed over threads.
    """
    total = sum(op_seconds.values())
    if total <= 0:
        raise ValueError("no op time to summarise (was the profiled function empty?)")

    def is_conv(name: str) -> bool:
        lowered = name.lower()
        return "conv2d" in lowered or "conv3d" in lowered or "convolution" in lowered

    forward = backward = 0.0
    others = {}
    for name, seconds in op_seconds.items():
        if not is_conv(name):
            others[name] = others.get(name, 0.0) + seconds
        elif "backprop" in name.lower() or "backward" in name.lower():
            backward += seconds
        else:
            forward += seconds

    def pct(seconds: float) -> str:
        return f"{100 * seconds / total:.0f}%"

    text = (f"convolution kernels {pct(forward + backward)} (forward {pct(forward)}, "
            f"backward {pct(backward)})")
    largest = [(n, s) for n, s in sorted(others.items(), key=lambda kv: -kv[1])[:top]
               if s >= 0.005 * total]
    if largest:
        text += "; then " + ", ".join(f"{name} {pct(s)}" for name, s in largest)
    return text


def torch_op_times(fn: Callable[[], object], *, calls: int) -> dict[str, float]:
    """Run ``fn`` ``calls`` times under ``torch.profiler``; self CPU seconds per op.

    Self time (time in the op minus its children) so that nested ops are not counted twice.
    """
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            fn()
    seconds = {e.key: e.self_cpu_time_total * 1e-6 for e in prof.key_averages()
               if e.self_cpu_time_total > 0}
    if not seconds:
        raise RuntimeError("torch.profiler recorded no op time")
    return seconds


def tf_op_times(fn: Callable[[], object], *, calls: int, logdir: str | Path) -> dict[str, float]:
    """Run ``fn`` ``calls`` times under the TensorFlow profiler; seconds per op type.

    Times are the op events of TensorFlow's compute threads, summed over threads (so on two
    cores they can add up to twice the wall time). Raises ``RuntimeError`` when the profiler
    wrote no trace.
    """
    import tensorflow as tf

    try:
        from tsl.profiler.protobuf import xplane_pb2
    except ImportError:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = Path(logdir)
    tf.profiler.experimental.start(str(logdir))
    try:
        for _ in range(calls):
            fn()
    finally:
        tf.profiler.experimental.stop()
    traces = sorted(logdir.glob("**/*.xplane.pb"), key=lambda p: p.stat().st_mtime)
    if not traces:
        raise RuntimeError(f"the TensorFlow profiler wrote no trace under {logdir}")
    space = xplane_pb2.XSpace()
    space.ParseFromString(traces[-1].read_bytes())
    seconds: dict[str, float] = {}
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "")
                # Op events are named "node:OpType"; "Process" spans whole steps and helper
                # spans such as "ParallelFor" nest inside ops: counting either would double up.
                if ":" not in name:
                    continue
                op_type = name.rsplit(":", 1)[-1]
                if op_type == "Process":
                    continue
                seconds[op_type] = seconds.get(op_type, 0.0) + event.duration_ps * 1e-12
    if not seconds:
        raise RuntimeError(f"the trace under {logdir} has no TensorFlow op events")
    return seconds


def write_section(path: Path, heading: str, section: str) -> None:
    """Put ``section`` (which starts with ``heading``, e.g. ``"## Augmentation"``) into the
    Markdown file ``path`` in place of an older section under that heading (or at the end)."""
    text = path.read_text() if path.is_file() else "# Benchmarks\n"
    sections = _sections(text)
    sections[heading] = section.rstrip("\n") + "\n"  # in its place, or last if new
    head = re.split(r"(?m)^(?=## )", text)[0].rstrip("\n")
    path.write_text("\n".join([head + "\n", *sections.values()]).rstrip("\n") + "\n")


def _sections(text: str) -> dict[str, str]:
    """``{"## Heading": the section's text up to the next "## "}`` of a Markdown report."""
    parts = re.split(r"(?m)^(?=## )", text)
    return {part.split("\n", 1)[0]: part.rstrip("\n") + "\n" for part in parts
            if part.startswith("## ")}


def write_report(path: Path, text: str) -> None:
    """Write the report ``text`` to ``path``, keeping every section of the file already there
    whose heading ``text`` does not have (the sections other scripts write: time to accuracy,
    augmentation, levers), in their order, after it."""
    old = path.read_text() if path.is_file() else ""
    mine = _sections(text)
    kept = [body for heading, body in _sections(old).items() if heading not in mine]
    path.write_text("\n".join([text.rstrip("\n") + "\n", *kept]).rstrip("\n") + "\n")
