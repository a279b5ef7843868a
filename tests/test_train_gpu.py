"""The speed path: device choice, dtype policy, determinism scope, MirroredStrategy."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from course_lib.train import gpu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_cpu_machine_gets_the_plain_setup():
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this test describes a CPU-only machine")
    acc = gpu.configure()
    assert (acc.kind, acc.replicas, acc.mixed_precision, acc.jit_compile, acc.deterministic) == (
        "cpu", 1, "float32", False, True)
    assert acc.strategy is tf.distribute.get_strategy()
    assert acc.description.startswith("1 x CPU")
    assert set(acc.to_dict()) == {"kind", "replicas", "devices", "mixed_precision",
                                  "jit_compile", "deterministic", "description"}


def test_explicit_choices_are_honoured():
    acc = gpu.configure(mixed_precision=True, jit_compile=True, deterministic=False)
    assert acc.mixed_precision == "mixed_float16"
    assert acc.jit_compile is True and acc.deterministic is False


def test_xla_and_op_determinism_exclude_each_other():
    # An explicit choice of one turns the other's "auto" off ...
    assert gpu.configure(jit_compile=True).deterministic is False
    assert gpu.configure(deterministic=True).jit_compile is False
    # ... and asking for both is refused with a message that says what to pass instead.
    with pytest.raises(ValueError, match="jit_compile=False for a reproducible run"):
        gpu.configure(jit_compile=True, deterministic=True)


def test_the_refused_combination_really_fails_in_tensorflow():
    # Why configure() refuses it: a max-pooling gradient under XLA with op determinism on.
    x = tf.random.stateless_normal((1, 4, 4, 1), seed=(1, 2))

    @tf.function(jit_compile=True)
    def grad(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.nn.max_pool2d(t, 2, 2, "VALID")
        return tape.gradient(y, t)

    with gpu.op_determinism(True), pytest.raises(tf.errors.UnimplementedError,
                                                   match="deterministic XLA"):
        grad(x)


@pytest.mark.parametrize("kwargs, name", [
    ({"mixed_precision": "fp8"}, "mixed_precision"),
    ({"jit_compile": "yes"}, "jit_compile"),
    ({"deterministic": 1.5}, "deterministic"),
    ({"devices": "/cpu:0"}, "devices"),
    ({"devices": []}, "devices"),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gpu.configure(**kwargs)


def test_mixed_precision_scope_restores_the_policy():
    before = keras.config.dtype_policy().name
    with gpu.mixed_precision_scope("mixed_float16"):
        assert keras.config.dtype_policy().name == "mixed_float16"
        assert keras.layers.Dense(2).compute_dtype == "float16"
    assert keras.config.dtype_policy().name == before


def test_op_determinism_scope_restores_the_state():
    from tensorflow.python.framework import config as tf_config

    before = tf_config.is_op_determinism_enabled()
    with gpu.op_determinism(True):
        assert tf_config.is_op_determinism_enabled()
    assert tf_config.is_op_determinism_enabled() == before


def test_mixed_precision_model_trains_with_float32_outputs_and_loss_scaling():
    """What run_model does under mixed_float16 (the GPU default), exercised on the CPU."""
    import numpy as np

    from course_lib import models
    from course_lib.train.runner import _float32_outputs

    with gpu.mixed_precision_scope("mixed_float16"):
        keras.utils.set_random_seed(0)
        net = _float32_outputs(models.build("CNN-A3", widths=(8, 8, 8, 8, 8)))
        assert net.layers[-2].compute_dtype == "float16"
        net.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    assert net.output.dtype == "float32"
    assert isinstance(net.optimizer, keras.optimizers.LossScaleOptimizer)
    x = np.random.default_rng(0).normal(size=(8, 32, 32, 3)).astype("float32")
    y = np.arange(8) % 10
    history = net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert models.param_groups(net)["total"] == models.param_groups(
        models.build("CNN-A3", widths=(8, 8, 8, 8, 8)))["total"]


_MIRRORED = textwrap.dedent("""
    import dataclasses, json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    # Must run before TensorFlow initialises its devices: hence a fresh process.
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    from course_lib.train import ModelRun, get_experiment, run_model
    exp = dataclasses.replace(
        get_experiment("param-distribution"), name="param-distribution-nodrop",
        models=(ModelRun("CNN-A2", {"dropout": 0.0}),), budgets=())  # the global budgets
    common = dict(dataset="fashion_mnist32", budget="smoke", epochs=2, verbose=0)
    one = run_model(exp, "CNN-A2", results_dir=sys.argv[1] + "/one", **common)
    two = run_model(exp, "CNN-A2", results_dir=sys.argv[1] + "/two",
                    devices=["/cpu:0", "/cpu:1"], **common)
    print("RESULT " + json.dumps({"one": one, "two": two}))
""")


@pytest.mark.slow
@pytest.mark.realdata
def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(tmp_path):
    """Two replicas, each half of every batch, gradients all-reduced: the same training."""
    out = subprocess.run(
        [sys.executable, "-c", _MIRRORED, str(tmp_path)], cwd=REPO, capture_output=True,
        text=True, timeout=900, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))
    runs = json.loads(line[len("RESULT "):])
    one, two = runs["one"], runs["two"]
    assert one["device"]["replicas"] == 1
    assert two["device"]["replicas"] == 2 and len(two["device"]["devices"]) == 2
    for a, b in zip(one["history"], two["history"]):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
        assert b["test_loss"] == pytest.approx(a["test_loss"], rel=1e-4)
    assert two["test_error_pct"] == pytest.approx(one["test_error_pct"], abs=100 / 64 + 1e-9)


def test_gpu_details_names_and_capabilities(monkeypatch):
    """One function reads GPU names (runner, notebooks, benchmarks); fake devices, no GPU."""
    import tensorflow as tf

    from course_lib.train.gpu import describe_gpus, gpu_details

    class Device:
        def __init__(self, name):
            self.name = name

    details = {
        "/physical_device:GPU:0": {"device_name": "NVIDIA A100", "compute_capability": (8, 0)},
        "/physical_device:GPU:1": {"compute_capability": (6, 1)},
    }

    def fake(device):
        if device.name not in details:
            raise ValueError("no details")
        return details[device.name]

    monkeypatch.setattr(tf.config.experimental, "get_device_details", fake)
    gpus = [Device(name) for name in (*details, "/physical_device:GPU:2")]
    assert gpu_details(gpus) == [("NVIDIA A100", (8, 0)), ("/physical_device:GPU:1", (6, 1)),
                                 ("/physical_device:GPU:2", None)]
    assert describe_gpus(gpus[:1]) == ("NVIDIA A100", True)
    assert describe_gpus(gpus[:2])[1] is False  # a pre-Volta card: no mixed precision
    if not tf.config.list_physical_devices("GPU"):
        assert gpu_details() == []
