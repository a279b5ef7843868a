"""Assignment 3's fixed training: one schedule, one seed, the same for every student.

Training runs in a fresh process (``python -m course_lib.checks.fixed_training``) from the
architecture alone (``model.to_json()``), so the result ignores the notebook's state. It is
machine-independent too: fixed seed and op determinism, float32, ``SCHEDULE["threads"]``
intra-op threads and one inter-op thread (same reduction split everywhere), and no oneDNN
(``TF_ENABLE_ONEDNN_OPTS=0``: its kernels depend on the CPU and round differently).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_lib.validation import in_open_interval, integer

__all__ = ["SCHEDULE", "TrainingResult", "fixed_training"]

#: The schedule every submission of assignment 3 is trained with.
SCHEDULE = {
    "dataset": "fashion_mnist32",
    "limit": 4000,
    "epochs": 3,
    "batch_size": 64,
    "learning_rate": 2e-3,
    "seed": 0,
    "threads": 2,
}


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """What :func:`fixed_training` measured."""

    test_accuracy: float
    test_loss: float
    train_accuracy: float
    params: int
    seconds: float
    schedule: dict


def _check_positive_int(name, value, minimum=1):
    integer(name, value, minimum=minimum)


def fixed_training(
    model,
    *,
    limit: int = SCHEDULE["limit"],
    epochs: int = SCHEDULE["epochs"],
    batch_size: int = SCHEDULE["batch_size"],
    learning_rate: float = SCHEDULE["learning_rate"],
    seed: int = SCHEDULE["seed"],
    timeout: float = 900,
) -> TrainingResult:
    """Train ``model``'s architecture with the fixed schedule in a fresh process.

    Adam and sparse categorical cross-entropy (the model must end with a softmax) on the first
    ``limit`` images of ``course_lib.data.load("fashion_mnist32")``; accuracy on as many test images.
    ``limit, epochs, batch_size, learning_rate, seed`` default to :data:`SCHEDULE`.

    Raises:
        ValueError: a bad argument, or a model that cannot be serialised.
        RuntimeError: the training process failed (its last output lines are in the message).
        TimeoutError: training took longer than ``timeout`` seconds.
    """
    import keras

    import course_lib

    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model={type(model).__name__}")
    for name, value in (("limit", limit), ("epochs", epochs), ("batch_size", batch_size)):
        _check_positive_int(name, value)
    _check_positive_int("seed", seed, minimum=0)
    in_open_interval("learning_rate", learning_rate, 0.0)
    try:
        architecture = model.to_json()
    except Exception as e:
        raise ValueError(f"The model cannot be serialised with model.to_json(): {e}") from e

    schedule = {**SCHEDULE, "limit": limit, "epochs": epochs, "batch_size": batch_size,
                "learning_rate": float(learning_rate), "seed": seed}
    key = _cache_key(architecture, schedule, course_lib.__version__)
    if key in _RESULTS:  # the same architecture trained before in this process: same numbers
        return _RESULTS[key]
    package_parent = str(Path(course_lib.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [package_parent, env.get("PYTHONPATH", "")] if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONHASHSEED"] = str(seed)
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    env["OMP_NUM_THREADS"] = str(schedule["threads"])
    env["TF_NUM_INTRAOP_THREADS"] = str(schedule["threads"])
    env["TF_NUM_INTEROP_THREADS"] = "1"
    with tempfile.TemporaryDirectory(prefix="fixed-training-") as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "result.json"
        spec.write_text(json.dumps({"architecture": architecture, "schedule": schedule}))
        cmd = [sys.executable, "-m", "course_lib.checks.fixed_training", str(spec), str(out)]
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(
                f"The fixed training did not finish within {timeout:g} s: the model is too slow "
                "(check its multiply-accumulates against the compute budget)."
            ) from None
        if proc.returncode != 0 or not out.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
            raise RuntimeError(f"The fixed training failed (exit code {proc.returncode}):\n{tail}")
        result = json.loads(out.read_text())
    _RESULTS[key] = TrainingResult(schedule=schedule, **result)
    return _RESULTS[key]


#: Results of this process's fixed trainings, by architecture and schedule. The training is a
#: function of the architecture (``to_json``, layer names aside) and the schedule alone, so a
#: second call (``grader.check("q3")`` after the notebook's own training cell) reuses the first
#: result instead of training again. Grading runs in another process, which trains afresh.
_RESULTS: dict[str, TrainingResult] = {}


def _cache_key(architecture: str, schedule: dict, version: str) -> str:
    """A digest of the architecture with its layer and model names replaced by their order of
    appearance (Keras numbers auto-named layers per process: ``conv2d_7`` the second time),
    the schedule and the kit's version."""
    import hashlib

    tree = json.loads(architecture)
    names: dict[str, str] = {}

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("name"), str):
                names.setdefault(node["name"], f"<{len(names)}>")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rename(node):
        if isinstance(node, dict):
            return {k: rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return names.get(node, node) if isinstance(node, str) else node

    collect(tree)
    text = json.dumps([rename(tree), schedule, version], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _train(spec: dict) -> dict:
    """The training itself (in the fresh process)."""
    start = time.perf_counter()
    import keras
    import tensorflow as tf

    import course_lib.layers  # noqa: F401  (registers the course layers for deserialisation)
    from course_lib.data import load

    schedule = spec["schedule"]
    tf.config.threading.set_intra_op_parallelism_threads(int(schedule.get("threads", 2)))
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(schedule["seed"])
    tf.config.experimental.enable_op_determinism()
    model = keras.models.model_from_json(spec["architecture"])
    data = load(
        schedule["dataset"], batch_size=schedule["batch_size"], limit=schedule["limit"],
        seed=schedule["seed"], val_size=0,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(data.train, epochs=schedule["epochs"], verbose=0)
    test_loss, test_accuracy = model.evaluate(data.test, verbose=0)
    return {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "train_accuracy": float(history.history["accuracy"][-1]),
        "params": int(model.count_params()),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.checks.fixed_training")
    parser.add_argument("spec", type=Path, help="JSON with 'architecture' (model.to_json()) and 'schedule'")
    parser.add_argument("out", type=Path, help="where to write the result JSON")
    args = parser.parse_args(argv)
    result = _train(json.loads(args.spec.read_text()))
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
