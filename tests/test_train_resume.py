"""Resume a REAL run: `python -m course_lib run ...` killed with SIGKILL, then run again.

The finished record of the interrupted-and-resumed run must equal the record of an
uninterrupted run with the same seed (CPU, op determinism): every epoch's losses and errors
and the final test error. CNN-A2 has dropout (masks drawn from seed generators that weight
files do not store), momentum buffers and a step schedule (optimizer state), and the data
order changes every epoch; augmentation of a resumed stream is checked bit for bit in
test_train_pipeline.py.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

EXPERIMENT, MODEL, EPOCHS = "param-distribution", "CNN-A2", 4
ARGS = ["run", EXPERIMENT, "--models", MODEL, "--dataset", "fashion_mnist32",
        "--budget", "smoke", "--epochs", str(EPOCHS), "--quiet"]
REPO = Path(__file__).resolve().parents[1]


def _command(results: Path) -> list[str]:
    return [sys.executable, "-m", "course_lib", *ARGS, "--results-dir", str(results)]


def _env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    from course_lib.train import run_model
    from course_lib.train.results import load_record

    results = tmp_path / "interrupted"
    backup = results / EXPERIMENT / MODEL / "backup" / "fashion_mnist32__smoke"
    record_file = results / EXPERIMENT / f"{MODEL}__fashion_mnist32__smoke.json"

    log = open(tmp_path / "first.log", "w")
    proc = subprocess.Popen(_command(results), cwd=REPO, env=_env(), stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 400
    try:
        while not (backup / "epoch-00001.weights.h5").exists():
            assert proc.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "epoch 1 never completed"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up: like a Colab disconnect
    finally:
        proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert not record_file.exists(), "the run finished before it could be killed"
    completed = sorted(p.name for p in backup.glob("epoch-*.weights.h5"))
    assert completed and completed[-1] < f"epoch-{EPOCHS:05d}.weights.h5"

    second = subprocess.run(_command(results), cwd=REPO, env=_env(), capture_output=True,
                            text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming after epoch" in second.stdout
    resumed = load_record(record_file)
    assert 1 <= resumed["resumed_from_epoch"] < EPOCHS
    assert not backup.exists()

    # The uninterrupted reference, same settings (in this process: same code, same seed).
    reference = run_model(EXPERIMENT, MODEL, dataset="fashion_mnist32", budget="smoke",
                          epochs=EPOCHS, results_dir=tmp_path / "reference", verbose=0)
    assert reference["resumed_from_epoch"] == 0
    assert resumed["epochs_completed"] == reference["epochs_completed"] == EPOCHS
    for a, b in zip(resumed["history"], reference["history"]):
        for key in ("train_loss", "train_error_pct", "test_loss", "test_error_pct",
                    "learning_rate"):
            assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-6), (a["epoch"], key)
    assert resumed["test_error_pct"] == pytest.approx(reference["test_error_pct"], abs=1e-6)
    assert resumed["fingerprint"] == reference["fingerprint"]
