"""benchmarks/levers.py: the models it times are the quick runs' models, and its report states
the ceiling, each model's fraction of it and every lever's ratio to the runner's setting."""

from pathlib import Path

import pytest
from repo_scripts import load_script

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def levers():
    return load_script("benchmarks/levers.py")


def test_the_timed_model_is_the_quick_runs_model(levers):
    from course_lib import models as zoo
    from course_lib.train import get_experiment, resolve

    net, settings = levers.quick_model("vgg-depth", "VGG-A-CIFAR")
    quick = get_experiment("vgg-depth").budget("quick")
    assert settings.width_multiplier == quick.width_multiplier == 0.5
    assert dict(settings.overrides)["dropout"] == 0.0  # the quick recipe's overrides
    reference = zoo.build("VGG-A-CIFAR", width_multiplier=0.5, dropout=0.0,
                          num_classes=10, input_shape=(32, 32, 3))
    assert net.count_params() == reference.count_params()
    assert resolve(get_experiment("vgg-depth"), "VGG-A-CIFAR", budget="quick").model == settings.model


def test_report_gives_the_ceiling_fraction_and_the_per_round_ratios(levers):
    class Args:
        images, repeats, all = 1024, 2, False

    cases = list(levers.CASES)
    # runner: 1.0 s per epoch of 1024 images; every lever 0.5 s (2x the images per second),
    # the former LRN 2.0 s (the kit's LRN is the lever there: its column is runner / former)
    times = {c: [1.0, 1.0] if c == "runner" else [2.0, 2.0] if c in levers.INVERTED
             else [0.5, 0.5] for c in cases}
    result = {"label": "CNN-A2", "macs": 10_000_000, "width": 0.25, "times": times,
              "images": {c: 1024 for c in cases}}
    info = {"date": "today", "commit": "abc", "load_average_start": "0.1",
            "load_average_end": "0.2", "usable_cores": 2}
    text = levers.report([result], 100.0, info, Args(), 60.0)
    assert "**100 GFLOP/s**" in text
    assert "Where a training step's op time goes" not in text  # no profile, no table
    Args.profile_steps = 5
    profiled = levers.report([{**result, "ops": {"_MklNativeFusedConv2D": 1.0,
                                                 "_MklNativeConv2DBackpropInput": 2.0,
                                                 "Mul": 1.0}}], 100.0, info, Args(), 60.0)
    assert ("| CNN-A2 | convolution kernels 75% (forward 25%, backward 50%); then Mul 25% |"
            in profiled)
    # 1024 img/s x 6 x 10M MACs = 61.4 GFLOP/s: 61% of the 100 GFLOP/s ceiling
    assert "| CNN-A2 (x0.25) | 10.0M | 1024 | 61% |" in text
    assert text.count("**2.00x** (2.00-2.00)") == len(cases) - 1
    assert "| LRN now / former |" in text
    # A model without LRN has no former-LRN case: its cell says so.
    del times["former LRN"]
    text = levers.report([{**result, "times": times}], 100.0, info, Args(), 60.0)
    assert text.count("**2.00x** (2.00-2.00)") == len(cases) - 2
    assert "| no LRN |" in text
    # ... nor one without batch normalisation a fused-BN case.
    del times["fused BN"]
    text = levers.report([{**result, "times": times}], 100.0, info, Args(), 60.0)
    assert text.count("**2.00x** (2.00-2.00)") == len(cases) - 3
    assert "| no BN |" in text


def test_former_lrn_is_the_same_function_and_lrn_models_are_found(levers):
    import numpy as np
    import tensorflow as tf

    from course_lib.layers.local_response_normalization import local_response_normalization

    x = tf.random.stateless_normal((2, 4, 4, 12), seed=(5, 6)) * 3.0
    for size in (1, 4, 5, 21):
        np.testing.assert_allclose(levers.former_lrn(x, size, 1e-2, 0.75, 1.0).numpy(),
                                   local_response_normalization(x, size, 1e-2, 0.75, 1.0).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert levers.has_lrn(levers.quick_model("param-distribution", "CNN-A2")[0])
    assert levers.has_lrn(levers.quick_model("param-distribution", "RCNN-A1")[0])
    assert not levers.has_lrn(levers.quick_model("vgg-depth", "VGG-A-CIFAR")[0])
    # Inside the context the kit's LRN module traces the former formulation, and not after.
    from course_lib.layers import local_response_normalization as module

    with levers._FormerLRN():
        assert module.local_response_normalization is levers.former_lrn
    assert module.local_response_normalization is local_response_normalization


def test_report_gives_the_scoring_ratio_per_round(levers):
    class Args:
        images, repeats, all = 1024, 2, False

    times = {c: [1.0, 1.0] for c in levers.CASES}
    result = {"label": "VGG-A-CIFAR", "macs": 10_000_000, "width": 0.5, "times": times,
              "images": {c: 1024 for c in levers.CASES}}
    info = {"date": "today", "commit": "abc", "load_average_start": "0.1",
            "load_average_end": "0.2", "usable_cores": 2}
    # batch 64: 3.0 and 2.0 s; batch 512: 2.0 and 1.0 s -> per-round ratios 1.5 and 2.0
    scoring = {"images": 2000, "views": 15, "new": "batch 512",
               "times": {"batch 64": [3.0, 2.0], "batch 512": [2.0, 1.0]}}
    text = levers.report([result], 100.0, info, Args(), 60.0, scoring)
    assert "2.5 s in test batches of 64, 1.5 s in batches of 512" in text
    assert "**1.75x** (1.50-2.00)" in text


def test_lrn_step_table_gives_each_side_per_step_and_the_ratio_per_round(levers):
    # 20 steps per round: kit 1.0 s (50 ms a step, 1280 img/s at batch 64); former 2.0 and 3.0 s
    result = {"label": "CNN-A2", "steps": 20, "batch": 64,
              "times": {"kit": [1.0, 1.0], "former": [2.0, 3.0]}}
    text = "\n".join(levers.lrn_step_lines([result]))
    assert "| CNN-A2 | 50.0 ms (1280 img/s) | 125.0 ms (512 img/s) | **2.50x** (2.00-3.00) |" in text
    assert "20 steps per case and round, 2 interleaved rounds" in text


def test_fused_batch_norm_trains_as_keras_batch_norm(levers):
    """The fused-BN case times the same layer: in training its output and its moving statistics
    after a step equal Keras' composite (to float32 rounding); in inference it is Keras' own."""
    import keras
    import numpy as np

    x = np.random.default_rng(0).normal(2.0, 3.0, (8, 5, 5, 6)).astype("float32")
    fused, plain = levers.fused_batch_norm_class()(momentum=0.9), keras.layers.BatchNormalization(
        momentum=0.9)
    for layer in (fused, plain):
        layer.build(x.shape)
        layer.gamma.assign(np.linspace(0.5, 2.0, 6, dtype="float32"))
        layer.beta.assign(np.linspace(-1.0, 1.0, 6, dtype="float32"))
    np.testing.assert_allclose(fused(x, training=True), plain(x, training=True), atol=1e-5)
    for a, b in ((fused.moving_mean, plain.moving_mean),
                 (fused.moving_variance, plain.moving_variance)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    assert not np.allclose(plain.moving_variance.numpy(), 1.0)  # the step moved them
    np.testing.assert_allclose(fused(x, training=False), plain(x, training=False), atol=1e-5)


def test_build_context_swaps_only_while_building(levers):
    import keras

    with levers.build_context("fused BN"):
        net = levers.quick_model("simpnet", "SimpNet-Slim-600K")[0]
    assert levers.has_batch_norm(net)
    assert all(type(layer).__name__ == "FusedBatchNormalization" for layer in net.layers
               if isinstance(layer, keras.layers.BatchNormalization))
    assert keras.layers.BatchNormalization.__name__ == "BatchNormalization"
    with levers.build_context("bfloat16"):
        net = levers.quick_model("vgg-depth", "VGG-A-CIFAR")[0]
    assert net.layers[1].compute_dtype == "bfloat16"
    assert keras.mixed_precision.dtype_policy().name == "float32"
    assert not levers.has_batch_norm(levers.quick_model("vgg-depth", "VGG-A-CIFAR")[0])
