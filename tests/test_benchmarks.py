"""benchmarks/: the PyTorch reference networks match the kit's, and the scripts run.

No timing is asserted here (timings depend on the machine); ``make benchmark`` measures.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(BENCH))

import gpu  # noqa: E402  (benchmarks/gpu.py)
import timing  # noqa: E402  (benchmarks/timing.py)


def _keras_weights(layer) -> list[tuple]:
    return sorted(tuple(w.shape) for w in layer.weights)


def _torch_weights(module) -> list[tuple]:
    """Weight shapes of a torch module in Keras layout (kernels HWIO), biases as they are."""
    shapes = []
    for name, p in module.named_parameters():
        shape = tuple(p.shape)
        if len(shape) == 4:  # OIHW -> HWIO
            shape = (shape[2], shape[3], shape[1], shape[0])
        elif len(shape) == 2:  # Linear (out, in) -> Dense (in, out)
            shape = (shape[1], shape[0])
        shapes.append(shape)
    return sorted(shapes)


@pytest.mark.parametrize("name", ["CNN-A2", "RCNN-A2", "SimpNet"])
def test_torch_models_have_the_kits_parameters(name):
    torch = pytest.importorskip("torch")
    import torch_models

    from course_lib import models

    kit = models.build(name)
    ref = torch_models.build(name)
    counts = torch_models.count_parameters(ref)
    trainable = int(sum(np.prod(w.shape) for w in kit.trainable_weights))
    assert counts["trainable"] == trainable
    assert counts["trainable"] + counts["statistics"] == kit.count_params()

    # Layer by layer: the same weight shapes under the same names.
    if name == "SimpNet":
        kit_convs = [layer for layer in kit.layers if layer.name.startswith("conv")]
        ref_convs = [m for m in ref.features if isinstance(m, torch.nn.Conv2d)]
        assert len(kit_convs) == len(ref_convs) == 13
        for kit_layer, ref_layer in zip(kit_convs, ref_convs):
            assert _keras_weights(kit_layer) == _torch_weights(ref_layer), kit_layer.name
    else:
        names = ["conv1", "fc"] + ([f"rcl{i}" for i in range(1, 5)] if name.startswith("RCNN")
                                   else [f"conv{i}" for i in range(2, 6)])
        for layer_name in names:
            assert (_keras_weights(kit.get_layer(layer_name))
                    == _torch_weights(getattr(ref, layer_name))), layer_name
    assert _keras_weights(kit.get_layer("fc")) == _torch_weights(ref.fc)

    ref.eval()
    with torch.no_grad():
        out = ref(torch.zeros(2, 3, 32, 32).contiguous(memory_format=torch.channels_last))
    assert tuple(out.shape) == (2, 10)


def test_torch_seed_net_pools_like_keras_same_padding():
    """MaxPool2d(3, 2, ceil_mode=True) = Keras MaxPooling2D(3, 2, padding="same") at 32 and 16."""
    torch = pytest.importorskip("torch")
    import keras

    x = np.random.default_rng(0).standard_normal((2, 32, 32, 4)).astype("float32")
    pool_keras = keras.layers.MaxPooling2D(3, strides=2, padding="same")
    pool_torch = torch.nn.MaxPool2d(3, 2, ceil_mode=True)
    for size in (32, 16):
        xs = x[:, :size, :size]
        expected = keras.ops.convert_to_numpy(pool_keras(xs))
        got = pool_torch(torch.from_numpy(xs).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        np.testing.assert_array_equal(got, expected)


def test_run_py_help():
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for word in ("--only", "--suite", "--quick", "lrn", "rcl", "models", "pipeline"):
        assert word in proc.stdout


def test_run_py_rejects_bad_repeats():
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--repeats", "0"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--repeats must be >= 1" in proc.stderr


def test_run_py_reads_the_pytest_summary_and_durations():
    import run

    out = (
        "......s.\n"
        "============================= slowest 10 durations =============================\n"
        "110.52s call     tests/test_a.py::test_x[3-design under budget]\n"
        "83.80s setup    tests/test_b.py::test_y\n"
        "(8 durations < 0.005s hidden.  Use -vv to show these durations.)\n"
        "241 passed, 12 skipped in 1035.71s (0:17:15)\n"
    )
    parsed = run.parse_pytest_output(out)
    assert parsed["summary"] == "241 passed, 12 skipped in 1035.71s (0:17:15)"
    assert parsed["slowest"] == [(110.52, "call", "tests/test_a.py::test_x[3-design under budget]"),
                                 (83.8, "setup", "tests/test_b.py::test_y")]
    verbose = run.parse_pytest_output("==== 1 failed, 2 passed in 3.00s ====\n")
    assert verbose["summary"] == "1 failed, 2 passed in 3.00s"


def test_interleaved_warms_up_and_rotates_the_order():
    calls = []
    cases = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = timing.interleaved(cases, repeats=3, warmup=2)
    assert calls[:6] == list("abcabc")  # warm-up, untimed
    assert calls[6:] == list("abc") + list("bca") + list("cab")
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3, "c": 3}
    with pytest.raises(ValueError, match="repeats"):
        timing.interleaved(cases, repeats=0, warmup=1)


def test_busy_warning_only_when_the_load_exceeds_the_cores():
    quiet = {"load_average_start": "2.10, 1.00, 0.50", "load_average_end": "2.60, 1.5, 1.0",
             "usable_cores": 2}
    assert timing.busy_warning(quiet) is None
    busy = {**quiet, "load_average_end": "4.50, 3.0, 2.0"}
    assert "4.5 on 2 usable cores" in timing.busy_warning(busy)
    assert timing.busy_warning({"load_average_start": "n/a", "usable_cores": 2}) is None


def test_gpu_dataset_sizes_follow_the_data_module():
    from course_lib.data.loaders import SVHN_VALIDATION_PER_CLASS

    per_train, per_extra = SVHN_VALIDATION_PER_CLASS
    assert gpu.TRAIN_IMAGES["svhn"] == 73_257 + 531_131 - 10 * (per_train + per_extra)
    assert set(gpu.TRAIN_IMAGES) == set(gpu.TEST_IMAGES)
    from course_lib.data import names

    assert set(gpu.TRAIN_IMAGES) == set(names())


@pytest.mark.realdata
def test_gpu_fashion_mnist_sizes_match_the_loader(fashion_mnist_dir):
    from course_lib.data import load

    info = load("fashion_mnist32", batch_size=1000).info
    assert info.num_examples["train"] == gpu.TRAIN_IMAGES["fashion_mnist32"]
    assert info.num_examples["test"] == gpu.TEST_IMAGES["fashion_mnist32"]


def test_gpu_estimate_is_epochs_times_passes():
    result = {"train_images_per_s": 1000.0, "test_images_per_s": 4000.0}
    est = gpu.estimate(result, "cifar10", epochs=100)
    assert est["epoch_s"] == pytest.approx(50_000 / 1000 + 10_000 / 4000)
    assert est["total_s"] == pytest.approx(100 * est["epoch_s"] + 10_000 / 4000)


@pytest.mark.slow
def test_gpu_py_cpu_smoke_on_torch_imports_no_tensorflow(tmp_path):
    pytest.importorskip("torch")
    script = (
        "import runpy, sys\n"
        f"sys.argv = ['gpu.py', '--cpu-smoke', '--models', 'CNN-A2', 'RCNN-A2',"
        f" '--json', {str(tmp_path / 'out.json')!r}, '--output', {str(tmp_path / 'out.md')!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(BENCH / 'gpu.py')!r}, run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
        "assert 'tensorflow' not in sys.modules, 'gpu.py imported tensorflow'\n"
        "print('NO_TENSORFLOW_OK')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NO_TENSORFLOW_OK" in proc.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["backend"] == "torch" and data["cpu_smoke"] is True
    assert [r["model"] for r in data["results"]] == ["CNN-A2", "RCNN-A2"]
    for r in data["results"]:
        assert r["error"] is None
        assert r["train_images_per_s"] > 0 and r["test_images_per_s"] > 0
        assert r["width_change"]["argument"] == "width_multiplier"  # narrowed for the smoke run
    text = (tmp_path / "out.md").read_text()
    assert "CPU smoke run" in text and "Full-budget estimate" in text


def test_gpu_py_without_gpu_refuses_to_run_without_cpu_smoke():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(BENCH / "gpu.py"), "--models", "CNN-A2"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "--cpu-smoke" in proc.stderr


def test_summarize_op_times_splits_convolutions_and_ranks_the_rest():
    ops = {"_MklNativeFusedConv2D": 2.0, "_MklNativeConv2DBackpropInput": 3.0,
           "_MklNativeConv2DBackpropFilterWithBias": 3.0, "Mul": 1.5, "Relu": 0.5,
           "NoOp": 0.001}
    text = timing.summarize_op_times(ops, top=2)
    assert text == ("convolution kernels 80% (forward 20%, backward 60%); then Mul 15%, Relu 5%")
    torch_ops = {"aten::mkldnn_convolution": 1.0, "aten::convolution_backward": 1.0,
                 "aten::relu": 2.0}
    assert timing.summarize_op_times(torch_ops).startswith(
        "convolution kernels 50% (forward 25%, backward 25%); then aten::relu 50%")
    with pytest.raises(ValueError, match="no op time"):
        timing.summarize_op_times({})


def _conv_grad_inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((4, 16, 16, 8)).astype("float32"),
            rng.standard_normal((3, 3, 8, 8)).astype("float32"))


def test_tf_op_times_finds_the_convolutions_of_a_training_step(tmp_path):
    tf = pytest.importorskip("tensorflow")
    x, w = (tf.constant(a) for a in _conv_grad_inputs())
    w = tf.Variable(w)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME")))
        return tape.gradient(loss, w)

    step()
    ops = timing.tf_op_times(step, calls=2, logdir=tmp_path)
    assert any("Conv2D" in name and "Backprop" not in name for name in ops), ops
    assert any("Conv2DBackpropFilter" in name for name in ops), ops
    assert "Process" not in ops and all(seconds >= 0 for seconds in ops.values())


def test_torch_op_times_counts_self_time_of_the_convolutions():
    torch = pytest.importorskip("torch")
    x_nhwc, w_hwio = _conv_grad_inputs()
    x = torch.from_numpy(x_nhwc).permute(0, 3, 1, 2).contiguous()  # NCHW
    w = torch.from_numpy(w_hwio).permute(3, 2, 0, 1).contiguous().requires_grad_(True)  # OIHW

    def step():
        torch.relu(torch.nn.functional.conv2d(x, w, padding=1)).sum().backward()

    ops = timing.torch_op_times(step, calls=2)
    assert "aten::convolution_backward" in ops, sorted(ops)
    assert timing.summarize_op_times(ops).startswith("convolution kernels")


def test_run_py_rejects_negative_profile_steps():
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--profile-steps", "-1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--profile-steps must be >= 0" in proc.stderr


def test_run_py_quick_models_and_pipeline_write_a_report(tmp_path):
    # The real script end to end at --quick sizes: a model row with both op-time profiles and
    # the pipeline rows with the input-side-alone measurement.
    pytest.importorskip("torch")
    report_path = tmp_path / "report.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--only", "models", "pipeline",
         "--models", "CNN-A2", "--profile-steps", "1", "--output", str(report_path)],
        capture_output=True, text=True, timeout=600, env={**os.environ,
                                                          "KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report_path.read_text()
    assert "--quick sizes: these numbers only show the script works" in text
    assert "training throughput, CNN-A2 (batch 4)" in text
    assert "kit (TensorFlow profiler, summed over threads): convolution kernels" in text
    assert "PyTorch (torch.profiler, self CPU time): convolution kernels" in text
    assert "training epoch, kit tf.data pipeline vs tensors in memory" in text
    assert "The input side alone (one epoch of batches, no training): kit pipeline" in text


def test_time_to_accuracy_script_runs_end_to_end(tmp_path):
    # Both sides at --quick sizes (smoke budget, a few seconds): the PyTorch side reads the
    # runner's data as the runner does (a missing loader argument once broke it unnoticed).
    pytest.importorskip("torch")
    report_path = tmp_path / "report.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "time_to_accuracy.py"), "--quick", "--output",
         str(report_path)], capture_output=True, text=True, timeout=600,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report_path.read_text()
    assert "## Time to accuracy" in text and "| kit (course_lib runner) |" in text
    assert "| PyTorch |" in text and "**Ratio" in text and "Training seconds per epoch" in text


def test_augmentation_script_runs_end_to_end(tmp_path):
    report_path = tmp_path / "report.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "augmentation.py"), "--quick", "--output", str(report_path)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report_path.read_text()
    assert "## Augmentation" in text and "| augmentation alone: one batch of" in text
    assert "| training epoch, CNN-A2 widths" in text


def test_time_to_accuracy_schedule_mirrors_the_runner():
    pytest.importorskip("torch")
    import time_to_accuracy

    from course_lib.train import get_experiment, resolve, runner

    exp = get_experiment("param-distribution")
    for budget in ("quick", "full"):
        settings = resolve(exp, "CNN-A2", budget=budget)
        keras_schedule = runner._learning_rate(settings, 400)
        factor = time_to_accuracy._schedule_factor(settings, 400)
        for step in (0, 1, 20, 39, 40, 41, 200, 299, 300, 399):
            expected = float(keras_schedule(step)) / settings.optimizer.learning_rate
            assert factor(step) == pytest.approx(expected, rel=1e-5, abs=1e-7), (budget, step)


def test_time_to_accuracy_section_replaces_only_itself(tmp_path):
    import time_to_accuracy

    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmarks\n\n## Results\n\nold rows\n")
    timing.write_section(path, time_to_accuracy.SECTION, "## Time to accuracy\n\nfirst\n")
    timing.write_section(path, time_to_accuracy.SECTION, "## Time to accuracy\n\nsecond\n")
    text = path.read_text()
    assert text.count("## Time to accuracy") == 1 and "second" in text and "first" not in text
    assert text.startswith("# Benchmarks\n\n## Results\n\nold rows\n")
    assert time_to_accuracy._first_reaching(
        [{"epoch": 1, "test_error_pct": 20.0}, {"epoch": 2, "test_error_pct": 15.0}], 85.0) == 2


def test_run_py_target_is_met_only_when_every_round_meets_it():
    import run

    def row(kit, ref, kind="time"):
        return run.Row("s", "c", "k", "r", kit, ref, kind=kind, target=1.05, images=64)

    assert row([1.0, 1.0], [1.0, 1.0]).verdict == "met"          # ratios 1.0, 1.0
    assert row([2.0, 2.0], [1.0, 1.0]).verdict == "missed"       # 2.0, 2.0
    unclear = row([0.9, 1.5, 1.2], [1.0, 1.0, 1.0])              # 0.9, 1.5, 1.2: median 1.2
    assert unclear.verdict == "unclear" and unclear.met is False
    assert run._met_text(unclear) == "not settled (median **no**)"
    # speed rows: ratio = kit img/s / reference img/s, higher is better
    assert row([1.0, 1.0], [2.0, 2.0], kind="speed").verdict == "met"
    assert run.Row("s", "c", "k", "r", [1.0], [1.0]).verdict is None  # no target


def test_run_py_times_make_tests_own_pytest_command():
    import run

    makefile = (BENCH.parent / "Makefile").read_text()
    recipe = makefile.split("\ntest: ", 1)[1].split("\n")[1]
    workers = re.search(r"^PYTEST_WORKERS \?= (\d+)$", makefile, flags=re.M).group(1)
    expected = shlex.split(recipe.replace("$(PYTEST_WORKERS)", workers))
    expected = expected[expected.index("pytest") + 1:]
    assert [a for a in expected if not a.startswith("$(")] == list(run.MAKE_TEST_ARGS)


def test_run_py_report_keeps_the_sections_other_scripts_write(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmarks\n\n## Machine\n\nold machine\n\n## Results\n\nold rows\n\n"
                    "## Time to accuracy\n\nttA\n\n## Augmentation\n\naug\n\n## Levers\n\n"
                    "levers\n")
    timing.write_report(path, "# Benchmarks\n\n## Machine\n\nnew machine\n\n## Results\n\n"
                              "new rows\n")
    text = path.read_text()
    assert "old" not in text and "new machine" in text and "new rows" in text
    assert text.index("new rows") < text.index("## Time to accuracy\n\nttA") \
        < text.index("## Augmentation\n\naug") < text.index("## Levers\n\nlevers")
    assert text.count("## Results") == 1 and text.endswith("levers\n")
    timing.write_report(tmp_path / "new.md", "# Benchmarks\n\n## Results\n\nrows\n")
    assert (tmp_path / "new.md").read_text() == "# Benchmarks\n\n## Results\n\nrows\n"


def test_augmentation_section_replaces_only_itself(tmp_path):
    import augmentation as aug_bench

    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmarks\n\n## Results\n\nrows\n\n## Time to accuracy\n\nkept\n")
    timing.write_section(path, aug_bench.SECTION, "## Augmentation\n\nfirst\n")
    timing.write_section(path, aug_bench.SECTION, "## Augmentation\n\nsecond\n")
    text = path.read_text()
    assert text.count("## Augmentation") == 1 and "second" in text and "first" not in text
    assert "rows" in text and "kept" in text
