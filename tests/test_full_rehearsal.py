"""The GPU path rehearsed on CPU: the exact ``full`` configuration of every experiment's heaviest
model, on each of its datasets, for two training steps and one evaluation on tfds mock data.

What is exact: the experiment's full settings (``resolve(..., budget="full")``: full widths,
batch size, epochs, hence the learning-rate schedule's boundaries, augmentation), the optimizer
and weight decay, every evaluation mode, and the device choices the GPU path makes on a
tensor-core GPU such as Colab's T4 (``mixed_float16``, ``jit_compile=True``, no op determinism),
all through ``run_model``. What is not: the data (tfds ``mock_data``: random images of the
source dataset's shape), the number of steps (a callback stops training after two), and the
test set (one batch of 8 mock images, so that the evaluation modes stay cheap).

These cases are marked ``rehearsal``: ``make test`` leaves them out and ``make test-rehearsal``
(run by CI) runs them, two at a time (``pytest -n 2``): a case is mostly one single-threaded XLA
compile of the training step plus two steps, so two cases share a 2-core machine well.
Measured on the idle 2-core machine (``time make test-rehearsal``): the 11 cases (every dataset
of every experiment) in 343 s of wall time and 582 s of user CPU, so no schedule brings them
under 3 minutes on two cores (582 / 2 = 291 s); the six first-dataset cases alone took 177-185 s
two at a time (light load), 494 s one at a time, and 704 s before the runner stopped tracing the
first training step twice.
"""
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from course_lib.data import tfds_source
from course_lib.train import gpu
from course_lib.train.config import resolve
from course_lib.train.experiments import EXPERIMENTS, get_experiment
from course_lib.train.runner import fingerprint, run_model

#: Heaviest model of each experiment: most multiply-accumulates per 32x32x3 image at full width
#: (course_lib.analysis.layer_table), measured over every model of the experiment:
#: RCNN-B2 1.50 GMAC, VGG-E-CIFAR 25.2 MMAC, Arch2-10L-Balanced 2.00 GMAC, SimpNet-8.9M
#: 2.00 GMAC, Plain-56 125 MMAC.
HEAVIEST = {
    "param-distribution": "RCNN-B2",
    "vgg-depth": "VGG-E-CIFAR",
    # vgg-init's VGG-E nets are vgg-depth's VGG-E with another start; the N(0, 0.01) one goes
    # through the builder-override path (VGG-E-fromA needs a finished VGG-A run first)
    "vgg-init": "VGG-E-normal",
    "simpnet-principles": "Arch2-10L-Balanced",
    "simpnet": "SimpNet-8.9M",
    "resnet-degradation": "Plain-56",
}
#: One case per experiment and dataset: the experiment's heaviest model on each of its datasets
#: (the datasets change the input shape, the number of classes, the split and the
#: augmentation, so each is a different full configuration: 11 cases).
#: Costliest first, so that ``pytest -n 2`` (``make test-rehearsal``) starts the long cases
#: early and the two workers finish together. CPU seconds per case, measured on the 2-core
#: machine (first step = trace + XLA compile + step; then one more step, validation, modes):
#: SimpNet-8.9M 92 (a step 30), Arch2-10L-Balanced 63 (16.5), Plain-56 51 (compile 25),
#: RCNN-B2 46 (16.5), the two VGG-E about 25 each.
COST_ORDER = ("simpnet", "simpnet-principles", "resnet-degradation", "param-distribution",
              "vgg-depth", "vgg-init")
CASES = [(name, HEAVIEST[name], dataset) for name in COST_ORDER
         for dataset in get_experiment(name).datasets]
STEPS = 2
#: Test images the evaluation modes score (one small batch: the modes' code paths, not their cost).
EVAL_IMAGES = 8


def test_every_experiment_is_rehearsed():
    assert set(HEAVIEST) == set(EXPERIMENTS) == set(COST_ORDER)
    for name, model in HEAVIEST.items():
        get_experiment(name).model(model)  # raises if the model left the experiment


@pytest.fixture
def gpu_path(monkeypatch):
    """What ``gpu.configure()`` chooses on one tensor-core GPU (Colab's T4, capability 7.5)."""
    real = tf.config.list_physical_devices
    fake = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    with monkeypatch.context() as m:
        m.setattr(tf.config, "list_physical_devices",
                  lambda kind=None: [fake] if kind == "GPU" else real(kind))
        m.setattr(tf.config.experimental, "get_device_details",
                  lambda device: {"device_name": "Tesla T4", "compute_capability": (7, 5)})
        m.setattr(tf.config.experimental, "set_memory_growth", lambda device, on: None)
        acc = gpu.configure()
    return acc


def test_the_gpu_path_choices(gpu_path):
    assert (gpu_path.kind, gpu_path.replicas, gpu_path.mixed_precision, gpu_path.jit_compile,
            gpu_path.deterministic) == ("gpu", 1, "mixed_float16", True, False)
    assert gpu_path.description == "1 x GPU (Tesla T4)"


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, steps):
        super().__init__()
        self.steps, self.done, self.losses = steps, 0, []

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        self.losses.append(float((logs or {}).get("loss", np.nan)))
        if self.done >= self.steps:
            self.model.stop_training = True


@pytest.fixture
def mock_source(tmp_path, monkeypatch):
    """No network check, a private TFDS folder, and one batch of test images."""
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # mock "downloads" allowed
    import course_lib.data as pipeline

    real = pipeline.load_run_data

    def one_test_batch(*args, **kwargs):  # the evaluation modes on one small batch of images
        data = real(*args, **kwargs)
        return dataclasses.replace(data, test=data.test.unbatch().take(EVAL_IMAGES).batch(EVAL_IMAGES))

    monkeypatch.setattr(pipeline, "load_run_data", one_test_batch)
    return tmp_path / "data"


#: Mock examples per split: two steps of the largest full batch (256); SVHN's loader holds out
#: a validation set of 400 + 200 images per class from 'train', so it needs more.
MOCK_EXAMPLES = {"svhn": 8000}


@pytest.mark.slow
@pytest.mark.rehearsal
@pytest.mark.parametrize("experiment,model,dataset", CASES,
                         ids=[f"{e}-{m}-{d}" for e, m, d in CASES])
def test_full_configuration_runs(experiment, model, dataset, gpu_path, mock_source, tmp_path):
    exp = get_experiment(experiment)
    stop = _StopAfter(STEPS)
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES.get(dataset, 2 * 256)):
        record = run_model(
            exp, model, dataset=dataset, budget="full", results_dir=tmp_path / "results",
            data_dir=mock_source, mixed_precision=gpu_path.mixed_precision,
            jit_compile=gpu_path.jit_compile, deterministic=gpu_path.deterministic,
            verbose=0, live=False, save_model=False, callbacks=[stop])
    settings = resolve(exp, model, dataset=dataset, budget="full")
    assert (settings.batch_size, settings.epochs, settings.width_multiplier, settings.train_limit) \
        == (exp.batch_size, exp.epochs, 1.0, None)
    assert settings.augment == exp.augments(dataset)
    assert record["fingerprint"] == fingerprint(exp, settings)  # the full run's own settings
    assert record["architecture"]["changed_by_budget"] is False
    device = record["device"]
    assert (device["mixed_precision"], device["jit_compile"], device["deterministic"]) == (
        gpu_path.mixed_precision, gpu_path.jit_compile, gpu_path.deterministic)
    assert stop.done == STEPS and all(np.isfinite(stop.losses))
    assert list(record["test_errors"]) == list(exp.evaluation.modes)
    assert all(0 <= v["error_pct"] <= 100 for v in record["test_errors"].values())
    assert record["config"]["steps_per_epoch"] * exp.epochs > STEPS  # a real, long schedule
