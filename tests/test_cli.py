"""``python -m course_lib list | run | report``: help, listing, and one-line argument errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "course_lib", *args], cwd=REPO, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


@pytest.mark.parametrize("command", [[], ["run"], ["report"], ["list"]])
def test_help_explains_every_option_with_an_example(command):
    out = _cli(*command, "--help")
    assert out.returncode == 0 and out.stderr == ""
    text = out.stdout
    assert "example" in text
    assert "python -m course_lib" in text
    options = {
        "run": ["--models", "--dataset", "--budget", "--results-dir", "--epochs", "--seed",
                "--rerun", "--data-dir"],
        "report": ["--results-dir", "--dataset", "--budget", "--no-figures"],
        "list": ["--models"],
    }.get(command[0] if command else "", ["list", "run", "report"])
    for option in options:
        assert option in text, option
    if command == ["run"]:
        for budget in ("smoke", "quick", "full"):
            assert f"  {budget} " in text  # each budget explained


def test_list_names_every_experiment_and_budget():
    out = _cli("list", "--models")
    assert out.returncode == 0, out.stderr
    for name in ("param-distribution", "vgg-depth", "simpnet-principles", "simpnet",
                 "resnet-degradation"):
        assert name in out.stdout
    assert "seed 000" in out.stdout and "CNN-A1" in out.stdout and "Plain-56" in out.stdout
    assert "smoke" in out.stdout and "full" in out.stdout


def test_list_does_not_import_tensorflow():
    """``list`` runs in a fresh interpreter; afterwards no TensorFlow or Keras module is loaded."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['course_lib', 'list', '--models']\n"
        "try:\n"
        "    runpy.run_module('course_lib', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr
    assert "param-distribution" in out.stdout  # the listing did run
    assert out.stdout.strip().splitlines()[-1] == "HEAVY=", out.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    "args, words",
    [
        (["run", "no-such-experiment"], ["Unknown experiment", "param-distribution"]),
        (["run", "vgg-deep"], ["Did you mean 'vgg-depth'"]),
        (["run", "vgg-depth", "--models", "VGG-A-CIFAR", "VGG-Z"], ["VGG-Z", "VGG-E-CIFAR"]),
        (["run", "vgg-depth", "--budget", "huge"], ["unknown budget", "smoke, quick, full"]),
        (["run", "vgg-depth", "--dataset", "imagenet"], ["unknown dataset", "fashion_mnist32"]),
        (["run", "vgg-depth", "--epochs", "0"], ["--epochs", "positive integer"]),
        (["run", "vgg-depth", "--seed", "x"], ["--seed"]),
        (["run"], ["EXPERIMENT"]),
        (["report", "nope"], ["Unknown experiment"]),
        (["train", "vgg-depth"], ["invalid choice"]),
        ([], ["required"]),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, words):
    out = _cli(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr and "error:" in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_report_without_results_says_what_to_run(tmp_path):
    out = _cli("report", "resnet-degradation", "--results-dir", str(tmp_path))
    assert out.returncode == 1
    assert "python -m course_lib run resnet-degradation" in out.stdout
    assert "Traceback" not in out.stderr
