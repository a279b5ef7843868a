"""``course-lib`` / ``python -m course_lib``: help, listing, and one-line argument errors."""

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


@pytest.mark.parametrize("command", [[], ["run"], ["report"], ["list"], ["build"], ["grade"],
                                     ["release"]])
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
        "build": ["ASSIGNMENT", "--check-solutions", "--assignments-dir"],
        "grade": ["ASSIGNMENT", "SUBMISSIONS", "--out", "--timeout", "--cell-timeout", "--jobs",
                  "--autograder", "--assignments-dir"],
        "release": ["DEST"],
    }.get(command[0] if command else "", ["list", "run", "report", "build", "grade", "release"])
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
        (["run", "param-distributon"], ["Did you mean 'param-distribution'", "vgg-depth"]),
        (["run", "vgg-depth", "--budget", "huge"], ["--budget", "invalid choice: 'huge'", "smoke",
                                                    "full"]),
        (["report", "vgg-depth", "--budget", "quik"], ["--budget", "invalid choice: 'quik'"]),
        (["run", "vgg-depth", "--dataset", "imagenet"], ["Unknown dataset", "fashion_mnist32"]),
        (["run", "vgg-depth", "--epochs", "0"], ["`epochs` must be an integer >= 1",
                                                 "Received: epochs=0"]),
        (["run", "vgg-depth", "--epochs", "two"], ["--epochs", "invalid int value: 'two'"]),
        (["run", "vgg-depth", "--seed", "x"], ["--seed"]),
        (["run", "vgg-depth", "--seed", "0", "-1"], ["`seed` must be an integer >= 0"]),
        (["run", "vgg-depth", "--shard", "4/3"], ["`shard` must be I/N", "Received: shard='4/3'"]),
        (["run"], ["EXPERIMENT"]),
        (["report", "nope"], ["Unknown experiment"]),
        (["train", "vgg-depth"], ["invalid choice", "build", "grade", "release"]),
        ([], ["required"]),
        (["grade", "no-such-assignment", "subs", "--out", "out"], ["No assignment matches",
                                                                    "1-cnn-arithmetic"]),
        (["grade", "1", "subs", "--out", "out", "--jobs", "two"], ["--jobs", "invalid int"]),
        (["grade", "1", "subs"], ["--out"]),
        (["build", "no-such-assignment"], ["No assignment matches"]),
        (["release"], ["DEST"]),
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


def test_grading_alias_and_console_script_are_the_same_command():
    """``python -m course_lib.grading`` (older scripts) and ``course-lib`` run the same parser."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"course-lib": "course_lib.cli:main"}
    alias = subprocess.run(
        [sys.executable, "-m", "course_lib.grading", "--assignments-dir", str(REPO / "assignments"),
         "grade", "no-such-assignment", "subs", "--out", "out"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert alias.returncode == 2
    assert "error: No assignment matches 'no-such-assignment'" in alias.stderr
    assert _cli("grade", "no-such-assignment", "subs", "--out", "out",
                "--assignments-dir", str(REPO / "assignments")).stderr == alias.stderr


def test_parsing_imports_no_tensorflow():
    """Building the parser and reading every command's --help loads no TensorFlow or Keras."""
    code = (
        "import contextlib, io, sys\n"
        "from course_lib.cli import COMMANDS, build_parser\n"
        "parser = build_parser()\n"
        "for argv in [['--help']] + [[c, '--help'] for c in COMMANDS]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        parser.parse_args(argv)\n"
        "args = parser.parse_args(['run', 'VGG_Depth', '--budget', 'smoke', '--epochs', '2'])\n"
        "assert (args.experiment, args.epochs) == ('vgg-depth', 2), args\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY=", out.stdout
