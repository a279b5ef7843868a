"""RecurrentConv2D (Liang & Hu 2015 RCL) against hand-unrolled tf.nn / keras.ops loops."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from course_lib.layers import LRN, RecurrentConv2D

import layer_harness

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 7, 6, 3)).astype("float32")


def make_layer(input_shape=X.shape, **kwargs):
    kwargs.setdefault("bias_initializer", "random_normal")
    layer = RecurrentConv2D(**kwargs)
    layer.build(input_shape)
    return layer


def tf_reference(x, kernel, recurrent_kernel, bias, iterations, *, relu=True, lrn=None):
    """Eq. (2) of seed 000 unrolled with tf.nn ops; ``lrn`` = (size, alpha, beta, k, mode)."""

    def state(z):
        if relu:
            z = tf.nn.relu(z)
        if lrn is not None:
            size, alpha, beta, k, mode = lrn
            assert size % 2 == 1, "tf.nn.local_response_normalization needs an odd window"
            z = tf.nn.local_response_normalization(
                z, depth_radius=size // 2, bias=k, alpha=alpha / size if mode == "mean" else alpha,
                beta=beta)
        return z

    feedforward = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
    if bias is not None:
        feedforward = feedforward + bias
    x_t = state(feedforward)
    for _ in range(iterations):
        x_t = state(feedforward + tf.nn.conv2d(x_t, recurrent_kernel, strides=1, padding="SAME"))
    return x_t


def lrn_args(layer):
    return (layer.lrn_size, layer.lrn_alpha, layer.lrn_beta, layer.lrn_k, layer.lrn_alpha_mode)


@pytest.mark.parametrize(
    ("in_channels", "filters", "kernel_size", "recurrent_kernel_size", "iterations"),
    [(3, 8, 3, 3, 3), (5, 16, 5, 3, 0), (4, 4, 1, 3, 5), (3, 6, (3, 5), 1, 1)],
)
def test_weight_count_closed_form(in_channels, filters, kernel_size, recurrent_kernel_size,
                                  iterations):
    layer = make_layer((None, 8, 8, in_channels), filters=filters, kernel_size=kernel_size,
                       recurrent_kernel_size=recurrent_kernel_size, iterations=iterations)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    r = recurrent_kernel_size
    assert layer.count_params() == kh * kw * in_channels * filters + r * r * filters * filters + filters
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert tuple(layer.kernel.shape) == (kh, kw, in_channels, filters)
    assert tuple(layer.recurrent_kernel.shape) == (r, r, filters, filters)

    no_bias = make_layer((None, 8, 8, in_channels), filters=filters, kernel_size=kernel_size,
                         recurrent_kernel_size=recurrent_kernel_size, use_bias=False)
    assert no_bias.count_params() == layer.count_params() - filters


def test_defaults():
    layer = RecurrentConv2D(40)
    assert layer.kernel_size == layer.recurrent_kernel_size == (3, 3)
    assert layer.iterations == 3
    assert layer.lrn_size == 40 // 8 + 1
    assert (layer.lrn_alpha, layer.lrn_beta, layer.lrn_k, layer.lrn_alpha_mode) == (
        0.001, 0.75, 1.0, "mean")
    assert RecurrentConv2D(8, kernel_size=5).recurrent_kernel_size == (5, 5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filters=8, iterations=3),
        dict(filters=16, kernel_size=5, recurrent_kernel_size=3, iterations=2, lrn_size=5,
             lrn_alpha=0.05, lrn_alpha_mode="sum"),
        dict(filters=6, iterations=1, activation=None, use_lrn=False),
        dict(filters=6, iterations=4, use_lrn=False, use_bias=False),
    ],
)
def test_matches_tf_nn_unrolled_loop(kwargs):
    kwargs = dict(kwargs)
    kwargs.setdefault("lrn_size", 3)
    kwargs.setdefault("lrn_alpha", 0.1)
    layer = make_layer(**kwargs)
    expected = tf_reference(
        X, layer.kernel, layer.recurrent_kernel, layer.bias, layer.iterations,
        relu=layer.activation is keras.activations.relu,
        lrn=lrn_args(layer) if layer.use_lrn else None)
    out = layer(X)
    assert tuple(out.shape) == (*X.shape[:-1], layer.filters)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected.numpy(),
                               rtol=1e-5, atol=1e-5)


def test_matches_keras_ops_loop_with_even_lrn_window():
    # An even LRN window (Liang & Hu's default for 8 filters: 8 // 8 + 1 = 2), which
    # tf.nn cannot express: convolutions with keras.ops, LRN with the NumPy formula.
    layer = make_layer(filters=8, iterations=3, lrn_alpha=0.5)
    assert layer.lrn_size == 2
    kernel, recurrent_kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)

    def state(z):
        z = np.maximum(keras.ops.convert_to_numpy(z), 0.0)
        return layer_harness.reference_lrn(z, *lrn_args(layer)).astype("float32")

    feedforward = keras.ops.conv(X, kernel, strides=1, padding="same") + bias
    x_t = state(feedforward)
    for _ in range(3):
        x_t = state(feedforward + keras.ops.conv(x_t, recurrent_kernel, strides=1, padding="same"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(X)), x_t, rtol=1e-5, atol=1e-5)


def test_zero_iterations_is_conv2d_relu_lrn():
    layer = make_layer(filters=8, kernel_size=5, iterations=0, lrn_size=3, lrn_alpha=0.1)
    conv = keras.layers.Conv2D(8, 5, padding="same", activation="relu")
    conv.build(X.shape)
    conv.set_weights([keras.ops.convert_to_numpy(layer.kernel),
                      keras.ops.convert_to_numpy(layer.bias)])
    lrn = LRN(size=3, alpha=0.1, beta=0.75, k=1.0, alpha_mode="mean")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(X)),
                               keras.ops.convert_to_numpy(lrn(conv(X))), rtol=1e-6, atol=1e-6)


def test_one_recurrent_kernel_variable_drives_every_step():
    # Zeroing the single recurrent kernel makes every step equal x(0): the T = 3 layer
    # then equals the T = 0 layer with the same feed-forward weights.
    layer = make_layer(filters=8, iterations=3, lrn_size=3)
    shallow = make_layer(filters=8, iterations=0, lrn_size=3)
    shallow.set_weights(layer.get_weights())
    assert not np.allclose(keras.ops.convert_to_numpy(layer(X)),
                           keras.ops.convert_to_numpy(shallow(X)), atol=1e-4)
    layer.recurrent_kernel.assign(np.zeros(layer.recurrent_kernel.shape, "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(X)),
                               keras.ops.convert_to_numpy(shallow(X)), rtol=1e-6, atol=1e-6)


def test_recurrent_kernel_gradient_is_sum_over_steps():
    """d loss / d w_r of the shared kernel = sum of the gradients of per-step copies."""
    iterations = 3
    layer = make_layer(filters=8, iterations=iterations, lrn_size=3, lrn_alpha=0.1)
    weights = tf.constant(RNG.standard_normal((*X.shape[:-1], 8)).astype("float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(weights * layer(X))
    shared_grad = tape.gradient(loss, layer.recurrent_kernel.value).numpy()

    # Independent unrolled graph with one copy of w_r per step.
    copies = [tf.Variable(layer.recurrent_kernel.numpy()) for _ in range(iterations)]
    lrn = lrn_args(layer)
    with tf.GradientTape() as tape:
        feedforward = tf.nn.conv2d(X, layer.kernel, 1, "SAME") + layer.bias
        x_t = tf_reference(X, layer.kernel, None, layer.bias, 0, lrn=lrn)
        for w_r in copies:
            z = feedforward + tf.nn.conv2d(x_t, w_r, 1, "SAME")
            x_t = tf.nn.local_response_normalization(
                tf.nn.relu(z), depth_radius=1, bias=lrn[3], alpha=lrn[1] / 3, beta=lrn[2])
        loss_unrolled = tf.reduce_sum(weights * x_t)
    step_grads = [g.numpy() for g in tape.gradient(loss_unrolled, copies)]

    np.testing.assert_allclose(loss.numpy(), loss_unrolled.numpy(), rtol=1e-5)
    for t, g in enumerate(step_grads, start=1):
        assert np.linalg.norm(g) > 1e-3 * np.linalg.norm(shared_grad), f"step {t} contributes nothing"
    np.testing.assert_allclose(shared_grad, np.sum(step_grads, axis=0), rtol=1e-4, atol=1e-6)


def test_recurrent_kernel_gradient_changes_with_iterations():
    grads = {}
    base = make_layer(filters=8, iterations=0, lrn_size=3)
    weights = tf.constant(RNG.standard_normal((*X.shape[:-1], 8)).astype("float32"))
    for iterations in (0, 1, 2, 3):
        layer = make_layer(filters=8, iterations=iterations, lrn_size=3)
        layer.set_weights(base.get_weights())
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(weights * layer(X))
        grads[iterations] = tape.gradient(loss, layer.recurrent_kernel.value)
    assert grads[0] is None  # T = 0: the recurrent kernel is unused
    for t in (1, 2, 3):
        assert np.all(np.isfinite(grads[t].numpy())) and np.linalg.norm(grads[t].numpy()) > 0
    for a, b in [(1, 2), (2, 3)]:
        assert not np.allclose(grads[a].numpy(), grads[b].numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(filters=0), r"`filters` must be an integer >= 1\. Received: filters=0"),
        (dict(filters=8, kernel_size=2), r"`kernel_size` must be an odd integer >= 1 .*Received: kernel_size=2"),
        (dict(filters=8, kernel_size=(3,)), r"`kernel_size` must be an integer or a tuple of 2"),
        (dict(filters=8, recurrent_kernel_size=0), r"`recurrent_kernel_size` must be an odd integer >= 1"),
        (dict(filters=8, iterations=-1), r"`iterations` must be an integer >= 0\. Received: iterations=-1"),
        (dict(filters=8, iterations=1.5), r"`iterations` must be an integer >= 0\. Received: iterations=1\.5"),
        # the lrn_* arguments are checked once, by the LRN sub-layer they build
        (dict(filters=8, lrn_size=0), r"`size` must be an integer >= 1\. Received: size=0"),
        (dict(filters=8, lrn_alpha=-1.0), r"`alpha` must be a number in \[0\.0, inf\)"),
        (dict(filters=8, lrn_beta=0), r"`beta` must be a number in \(0\.0, inf\)"),
        (dict(filters=8, lrn_k=0, lrn_alpha=0), r"`k` and `alpha` cannot both be 0"),
        (dict(filters=8, lrn_alpha_mode="avg"), r"`alpha_mode` must be one of \['mean', 'sum'\]"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RecurrentConv2D(**kwargs)


def test_rejects_bad_input_shapes():
    with pytest.raises(ValueError, match=r"expects a 4D input .* Received: input_shape=\(None, 8, 3\)"):
        RecurrentConv2D(8)(keras.Input((8, 3)))
    with pytest.raises(ValueError, match=r"channel dimension .* known"):
        RecurrentConv2D(8)(keras.Input((8, 8, None)))


@pytest.mark.parametrize(
    ("kwargs", "save_and_fit"),
    [
        (dict(filters=6, kernel_size=5, recurrent_kernel_size=3, iterations=2,
              kernel_regularizer="l2", recurrent_regularizer="l2"), True),
        (dict(filters=8, iterations=1, activation=None, use_lrn=False, use_bias=False), False),
    ],
)
def test_layer_harness(kwargs, save_and_fit, tmp_path):
    layer_harness.run_layer_checks(RecurrentConv2D, kwargs, (2, 6, 6, 3), tmp_path,
                                   expected_output_shape=(2, 6, 6, kwargs["filters"]),
                                   save_and_fit=save_and_fit)


def test_layer_harness_mixed_precision():
    layer_harness.check_mixed_precision(RecurrentConv2D, dict(filters=8, lrn_size=3), (2, 6, 6, 3),
                                        rtol=2e-2, atol=2e-2)


def test_docstring_examples():
    import doctest

    import course_lib.layers.recurrent_conv2d as module

    assert doctest.testmod(module).failed == 0


def test_holds_its_lrn_as_a_serialised_sub_layer_and_reads_old_configs():
    layer = RecurrentConv2D(16, iterations=2, lrn_size=3, lrn_alpha=0.1, lrn_alpha_mode="sum")
    config = layer.get_config()
    assert not any(key.startswith("lrn_") for key in config)
    assert config["lrn"]["config"]["size"] == 3 and config["lrn"]["config"]["alpha_mode"] == "sum"
    again = RecurrentConv2D.from_config(config)
    assert lrn_args(again) == lrn_args(layer) == (3, 0.1, 0.75, 1.0, "sum")
    # a config saved before the LRN was a sub-layer (lrn_* keys) still loads
    old = {k: v for k, v in config.items() if k != "lrn"}
    old.update(lrn_size=3, lrn_alpha=0.1, lrn_beta=0.75, lrn_k=1.0, lrn_alpha_mode="sum")
    assert lrn_args(RecurrentConv2D.from_config(old)) == lrn_args(layer)
    plain = RecurrentConv2D(8, use_lrn=False)
    assert plain.lrn is None and plain.get_config()["lrn"] is None
    assert RecurrentConv2D.from_config(plain.get_config()).lrn is None
