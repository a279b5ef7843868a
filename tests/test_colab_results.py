"""Where results go (one function), and a Colab recycle simulated: the working folder is wiped,
the results folder (Drive, or COURSE_RESULTS_DIR) is kept, and the same command resumes."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_lib import notebook, places
from course_lib.train.results import load_record, results_dir

REPO = Path(__file__).resolve().parents[1]


def test_results_dir_order_argument_env_drive_default(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_RESULTS_DIR", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(places, "DRIVE_MOUNT", str(tmp_path / "drive"))
    assert results_dir() == Path("results")
    assert results_dir(default="../results") == Path("../results")
    (tmp_path / "drive" / "MyDrive").mkdir(parents=True)
    assert results_dir() == Path("results"), "Drive counts only on Colab"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    drive = tmp_path / "drive" / "MyDrive" / "cnn-course-kit" / "results"
    assert results_dir(default="../results") == drive
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "anywhere"))
    assert results_dir() == tmp_path / "anywhere"
    assert results_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.setenv("COURSE_RESULTS_DIR", "~/r")
    assert results_dir() == Path.home() / "r"


def test_runner_and_cli_use_it(monkeypatch, tmp_path):
    from course_lib.cli import build_parser

    args = build_parser().parse_args(["run", "param-distribution"])
    assert args.results_dir is None  # resolved by results_dir(), not fixed to results/
    args = build_parser().parse_args(["report", "param-distribution"])
    assert args.results_dir is None


@pytest.mark.realdata
@pytest.mark.slow
def test_recycled_runtime_resumes_from_the_kept_results_folder(tmp_path):
    """Kill after epoch 1, wipe the working folder (/content on Colab), keep the results folder
    (Drive), run the same command: it resumes from the backup and files the record there."""
    epochs = 5
    content, drive = tmp_path / "content", tmp_path / "drive" / "results"
    content.mkdir()
    command = [sys.executable, "-m", "course_lib", "run", "param-distribution",
               "--models", "CNN-A2", "--dataset", "fashion_mnist32", "--budget", "smoke",
               "--epochs", str(epochs), "--quiet"]  # no --results-dir: the environment decides
    env = {**os.environ, "COURSE_RESULTS_DIR": str(drive), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    backup = drive / "param-distribution" / "CNN-A2" / "backup" / "fashion_mnist32__smoke"
    record_file = drive / "param-distribution" / "CNN-A2__fashion_mnist32__smoke.json"

    (content / "notes.txt").write_text("work in progress")
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(command, cwd=content, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        try:
            while not (backup / "epoch-00001.weights.h5").exists():
                assert proc.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "epoch 1 never completed"
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)  # the runtime goes away mid-run
        finally:
            proc.wait()
    assert not record_file.exists(), "the run finished before it could be killed"
    assert not (content / "results").exists(), "nothing may be written to the working folder"

    shutil.rmtree(content)  # a recycled runtime: a new, empty /content
    content.mkdir()
    second = subprocess.run(command, cwd=content, env=env, capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming after epoch" in second.stdout
    record = load_record(record_file)
    assert 1 <= record["resumed_from_epoch"] < epochs
    assert record["epochs_completed"] == epochs and not backup.exists()
    assert list(content.iterdir()) == []
    third = subprocess.run(command, cwd=content, env=env, capture_output=True, text=True,
                           timeout=300)
    assert third.returncode == 0 and "already done" in third.stdout
