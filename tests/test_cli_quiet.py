"""``python -m course_lib``: no TensorFlow/absl C++ log lines unless ``--verbose``."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# absl's C++ line prefix (I0000 00:00:..., E0000 ..., W1201 ...) and the usual TF start-up talk
TF_LOG = re.compile(r"^[IWEF]\d{4} |oneDNN|cuda|cuInit|cpu_feature_guard|absl", re.I | re.M)


def _cli(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user has it
    return subprocess.run([sys.executable, "-m", "course_lib", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_run_is_quiet_and_verbose_shows_tensorflow_logs(tmp_path):
    out = _cli("run", "param-distribution", "--models", "CNN-A1", "--dataset", "fashion_mnist32",
               "--budget", "smoke", "--results-dir", str(tmp_path), "--quiet")
    assert out.returncode == 0, out.stderr
    assert not TF_LOG.search(out.stderr), out.stderr
    assert "test error" in out.stdout
    report = _cli("report", "param-distribution", "--results-dir", str(tmp_path),
                  "--no-figures")
    assert report.returncode == 0 and not TF_LOG.search(report.stderr), report.stderr
    # the same report with --verbose leaves TensorFlow's logging alone: its start-up lines show
    verbose = _cli("--verbose", "report", "param-distribution", "--results-dir", str(tmp_path),
                   "--no-figures")
    assert verbose.returncode == 0
    assert TF_LOG.search(verbose.stderr), verbose.stderr
