"""LocalResponseNormalization against TensorFlow's kernel, PyTorch and a NumPy loop."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from course_lib.layers import LRN, LocalResponseNormalization
from course_lib.layers.local_response_normalization import local_response_normalization

import layer_harness

CHANNELS = 10


numpy_lrn = layer_harness.reference_lrn


@pytest.fixture
def x():
    # Large enough values that the normalisation is far from the identity.
    return (3.0 * np.random.default_rng(0).standard_normal((2, 5, 4, CHANNELS))).astype("float32")


@pytest.fixture
def mixed_float16_policy():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def test_lrn_alias_and_alexnet_defaults():
    assert LRN is LocalResponseNormalization
    layer = LRN()
    assert (layer.size, layer.alpha, layer.beta, layer.k, layer.alpha_mode) == (
        5, 1e-4, 0.75, 2.0, "sum")


@pytest.mark.parametrize("size", [1, 3, 5, 7, 13, 17])
def test_sum_mode_matches_tf_local_response_normalization(x, size):
    alpha, beta, k = 0.05, 0.75, 2.0
    out = LRN(size=size, alpha=alpha, beta=beta, k=k, alpha_mode="sum")(x)
    expected = tf.nn.local_response_normalization(
        x, depth_radius=(size - 1) // 2, bias=k, alpha=alpha, beta=beta)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_window_matrix_marks_each_channels_window():
    from course_lib.layers.local_response_normalization import window_matrix

    # Column d marks W(d) = [d - size // 2, d + (size - 1) // 2], clipped: a NumPy loop.
    for channels, size in [(6, 1), (6, 2), (6, 4), (6, 5), (5, 11)]:
        expected = np.zeros((channels, channels), "float32")
        for d in range(channels):
            for j in range(d - size // 2, d + (size - 1) // 2 + 1):
                if 0 <= j < channels:
                    expected[j, d] = 1
        np.testing.assert_array_equal(window_matrix(channels, size), expected)


@pytest.mark.parametrize("size", [3, 5, 9, 15, 21])
def test_keras_ops_path_matches_tf_kernel(x, size):
    # TensorFlow's fused kernel is the independent reference for centred (odd) windows.
    out = local_response_normalization(tf.constant(x), size, 0.05, 0.75, 2.0)
    expected = tf.nn.local_response_normalization(
        x, depth_radius=(size - 1) // 2, bias=2.0, alpha=0.05, beta=0.75)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alpha_mode", ["sum", "mean"])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 11, 20])
def test_matches_numpy_formula(x, size, alpha_mode):
    kwargs = dict(size=size, alpha=0.05, beta=0.6, k=1.5)
    out = LRN(**kwargs, alpha_mode=alpha_mode)(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out),
                               numpy_lrn(x, **kwargs, alpha_mode=alpha_mode),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_mean_mode_matches_torch_local_response_norm(x, size):
    torch = pytest.importorskip("torch")
    alpha, beta, k = 0.05, 0.75, 1.5
    x_nchw = torch.tensor(np.transpose(x, (0, 3, 1, 2)), requires_grad=True)
    expected = torch.nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)(x_nchw)
    expected.square().sum().backward()
    expected_grad = np.transpose(x_nchw.grad.numpy(), (0, 2, 3, 1))
    expected = np.transpose(expected.detach().numpy(), (0, 2, 3, 1))

    layer = LRN(size=size, alpha=alpha, beta=beta, k=k, alpha_mode="mean")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = layer(xt)
        loss = tf.reduce_sum(tf.square(out))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, xt).numpy(), expected_grad,
                               rtol=1e-4, atol=1e-5)


def test_l2_normalisation_special_case(x):
    # Seed 004: k=0, alpha=1, beta=0.5 and a window over all channels is a / ||a||_2.
    out = LRN(size=2 * CHANNELS - 1, alpha=1.0, beta=0.5, k=0.0, alpha_mode="sum")(x)
    expected = x / np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-5, atol=1e-6)
    # A window of only N channels (the seed's n = N) misses channels at the edges.
    partial = LRN(size=CHANNELS, alpha=1.0, beta=0.5, k=0.0)(x)
    assert not np.allclose(keras.ops.convert_to_numpy(partial), expected, atol=1e-3)


@pytest.mark.parametrize("size", [4, 5])
def test_gradients_finite_and_match_tf_kernel(size):
    # ReLU-like inputs with exact zeros, as LRN sees them after ReLU.
    rng = np.random.default_rng(1)
    x = tf.constant(np.maximum(rng.standard_normal((2, 4, 4, CHANNELS)), 0).astype("float32"))
    layer = LRN(size=size, alpha=1e-2, beta=0.75, k=1.0)
    weights = tf.constant(rng.standard_normal((2, 4, 4, CHANNELS)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(weights * layer(x))
    grad = tape.gradient(loss, x).numpy()
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    if size % 2:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(weights * tf.nn.local_response_normalization(
                x, depth_radius=size // 2, bias=1.0, alpha=1e-2, beta=0.75))
        np.testing.assert_allclose(tape.gradient(loss, x).numpy(), grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("size", [4, 5])
def test_mixed_float16_policy_computes_in_float32(mixed_float16_policy, size):
    # Values up to ~300 square to ~9e4, past float16's maximum (65504): a float16
    # computation would overflow, the layer's float32 one must not.
    rng = np.random.default_rng(2)
    x = (100.0 * rng.standard_normal((2, 4, 4, CHANNELS))).astype("float16")
    layer = LRN(size=size, alpha=1e-4, beta=0.75, k=2.0)
    assert layer.compute_dtype == "float16"
    out = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    out = keras.ops.convert_to_numpy(out).astype("float32")
    expected = numpy_lrn(x.astype("float32"), size, 1e-4, 0.75, 2.0, "sum")
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, expected, rtol=2e-3, atol=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(size=0), r"`size` must be an integer >= 1\. Received: size=0"),
        (dict(size=2.5), r"`size` must be an integer >= 1\. Received: size=2\.5"),
        (dict(alpha=-1e-4), r"`alpha` must be a number in \[0\.0, inf\)\. Received: alpha=-0\.0001"),
        (dict(beta=0.0), r"`beta` must be a number in \(0\.0, inf\)\. Received: beta=0\.0"),
        (dict(k=-1.0), r"`k` must be a number in \[0\.0, inf\)\. Received: k=-1\.0"),
        (dict(k=0.0, alpha=0.0), r"`k` and `alpha` cannot both be 0"),
        (dict(alpha_mode="avg"), r"`alpha_mode` must be one of \['mean', 'sum'\]\. Received: alpha_mode='avg'"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LRN(**kwargs)


@pytest.mark.parametrize("shape", [(4, 4, CHANNELS), (1, 2, 4, 4, CHANNELS)])
def test_rejects_non_4d_inputs(shape):
    with pytest.raises(ValueError, match=r"expects a 4D input .* Received: input_shape="):
        LRN()(keras.Input(shape=shape[1:], batch_size=shape[0]))
    with pytest.raises(ValueError, match=r"expects a 4D input"):
        LRN()(np.zeros(shape, "float32"))


@pytest.mark.parametrize(
    ("kwargs", "save_and_fit"),
    [(dict(), True), (dict(size=4, alpha=1e-2, beta=0.5, k=1.0, alpha_mode="mean"), False)],
)
def test_layer_harness(kwargs, save_and_fit, tmp_path):
    layer_harness.run_layer_checks(LRN, kwargs, (2, 6, 6, 8), tmp_path,
                                   expected_output_shape=(2, 6, 6, 8), save_and_fit=save_and_fit)


def test_layer_harness_mixed_precision():
    layer_harness.check_mixed_precision(LRN, dict(size=5, alpha=1e-2), (2, 6, 6, 8),
                                        rtol=2e-3, atol=1e-3)


def test_docstring_examples():
    import doctest

    import course_lib.layers.local_response_normalization as module

    assert doctest.testmod(module).failed == 0
