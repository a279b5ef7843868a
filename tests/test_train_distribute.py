"""One run across several workers (TF_CONFIG, tf.distribute.MultiWorkerMirroredStrategy).

Keras 3.15's ``Model.fit`` cannot train under MultiWorkerMirroredStrategy (keras-team/keras#20585,
open): with two local workers on 127.0.0.1 it fails in ``_maybe_symbolic_build`` (the strategy's
``reduce`` is handed a tuple of per-worker batches), and with that step bypassed, in the
reduction of the metrics ("Invalid reduction dimension 0 for input with 0 dimensions"). So the
kit refuses TF_CONFIG with one message that says why and what to do (``--shard``), before it
loads data or builds anything; these tests hold it to that.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TF_CONFIG = json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
                        "task": {"type": "worker", "index": 0}})


def test_run_model_refuses_tf_config_with_what_to_do(monkeypatch, tmp_path):
    from course_lib.train.runner import MultiWorkerUnsupportedError, run_model

    monkeypatch.setenv("TF_CONFIG", TF_CONFIG)
    with pytest.raises(MultiWorkerUnsupportedError) as info:
        run_model("param-distribution", "CNN-A2", budget="smoke", results_dir=tmp_path)
    message = str(info.value)
    assert "TF_CONFIG" in message and "keras-team/keras#20585" in message
    assert "--shard I/N" in message and "Unset TF_CONFIG" in message
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing trained


def test_cli_says_it_in_one_line(tmp_path):
    env = {**os.environ, "TF_CONFIG": TF_CONFIG, "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "course_lib", "run", "param-distribution",
                          "--models", "CNN-A2", "--budget", "smoke", "--results-dir", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("python -m course_lib run: error: TF_CONFIG is set")
    assert "--shard I/N" in lines[-1]
