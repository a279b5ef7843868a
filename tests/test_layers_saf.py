"""SAFPooling2D (SimpNet): max pooling, then dropout on the pooled maps in training only."""

import numpy as np
import pytest

import keras
from course_lib.layers import SAFPooling2D

import layer_harness


def positive_inputs(shape, seed=0):
    # Strictly positive, so a zero in the output can only come from dropout.
    return np.random.default_rng(seed).uniform(1.0, 2.0, shape).astype("float32")


@pytest.mark.parametrize(
    ("pool_size", "strides", "padding"),
    [(2, None, "valid"), (3, 2, "valid"), (3, 2, "same"), ((2, 3), (1, 2), "same")],
)
def test_inference_equals_max_pooling2d(pool_size, strides, padding):
    x = np.random.default_rng(0).standard_normal((2, 9, 8, 3)).astype("float32")
    saf = SAFPooling2D(pool_size, strides, padding, rate=0.5, seed=0)
    pool = keras.layers.MaxPooling2D(pool_size, strides, padding)
    expected = keras.ops.convert_to_numpy(pool(x))
    assert saf.compute_output_shape(x.shape) == pool.compute_output_shape(x.shape)
    assert saf.compute_output_shape((None, 9, 8, 3)) == pool.compute_output_shape((None, 9, 8, 3))
    for training in (None, False):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(saf(x, training=training)),
                                      expected)
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, saf(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


@pytest.mark.parametrize("rate", [0.3, 0.75])
def test_training_drops_pooled_values_at_rate_and_rescales(rate):
    x = positive_inputs((8, 32, 32, 16))
    pooled = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(x))
    out = keras.ops.convert_to_numpy(SAFPooling2D(2, rate=rate, seed=3)(x, training=True))
    dropped = out == 0
    n = dropped.size
    # Binomial(n, rate): 5 standard deviations is a false-alarm rate below 1e-6. Had
    # dropout been applied before pooling, a pooled value would be 0 only when all 4
    # inputs of its window were dropped (rate ** 4), far outside this band.
    tolerance = 5 * np.sqrt(rate * (1 - rate) / n)
    assert abs(dropped.mean() - rate) < tolerance
    np.testing.assert_allclose(out[~dropped], pooled[~dropped] / (1 - rate), rtol=1e-6)


def test_rate_zero_is_max_pooling_in_training():
    x = positive_inputs((2, 8, 8, 4))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(SAFPooling2D(2, rate=0.0)(x, training=True)),
        keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(x)))


def test_seed_makes_masks_reproducible_and_calls_differ():
    x = positive_inputs((4, 16, 16, 8))
    first = SAFPooling2D(2, rate=0.5, seed=7)
    again = SAFPooling2D(2, rate=0.5, seed=7)
    mask_a = keras.ops.convert_to_numpy(first(x, training=True)) == 0
    mask_b = keras.ops.convert_to_numpy(again(x, training=True)) == 0
    np.testing.assert_array_equal(mask_a, mask_b)
    mask_next = keras.ops.convert_to_numpy(first(x, training=True)) == 0
    assert not np.array_equal(mask_a, mask_next)


def test_model_applies_dropout_only_in_training():
    x = positive_inputs((4, 8, 8, 4))
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, SAFPooling2D(2, rate=0.5, seed=1)(inputs))
    assert np.any(keras.ops.convert_to_numpy(model(x, training=True)) == 0)
    assert np.all(keras.ops.convert_to_numpy(model(x, training=False)) > 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(rate=1.0), r"`rate` must be a number in \[0\.0, 1\.0\)\. Received: rate=1\.0"),
        (dict(rate=-0.1), r"`rate` must be a number in \[0\.0, 1\.0\)\. Received: rate=-0\.1"),
        (dict(rate="0.5"), r"`rate` must be a number in \[0\.0, 1\.0\)\. Received: rate='0\.5'"),
        (dict(pool_size=0), r"`pool_size` must be an integer >= 1\. Received: pool_size=0"),
        (dict(strides=(2, 0)), r"`strides` must be an integer >= 1\. Received: strides=0"),
        (dict(padding="full"), r"`padding` must be one of \['same', 'valid'\]\. Received: padding='full'"),
        (dict(seed=1.5), r"`seed` must be an integer or None\. Received: seed=1\.5"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SAFPooling2D(**kwargs)


def test_rejects_bad_input_shapes():
    with pytest.raises(ValueError, match=r"expects a 4D input .* Received: input_shape=\(None, 8, 3\)"):
        SAFPooling2D()(keras.Input((8, 3)))
    with pytest.raises(ValueError, match=r"needs inputs at least as large as pool_size=\(3, 3\)"):
        SAFPooling2D(3)(keras.Input((2, 8, 3)))


@pytest.mark.parametrize(
    ("kwargs", "save_and_fit"),
    [(dict(rate=0.5, seed=0), True), (dict(pool_size=3, strides=2, padding="same", rate=0.2), False)],
)
def test_layer_harness(kwargs, save_and_fit, tmp_path):
    layer_harness.run_layer_checks(SAFPooling2D, kwargs, (2, 6, 6, 3), tmp_path,
                                   expected_output_shape=(2, 3, 3, 3), save_and_fit=save_and_fit)


def test_layer_harness_mixed_precision():
    layer_harness.check_mixed_precision(SAFPooling2D, dict(rate=0.5, seed=0), (2, 6, 6, 3),
                                        rtol=1e-3, atol=1e-3)


def test_docstring_examples():
    import doctest

    import course_lib.layers.saf_pooling2d as module

    assert doctest.testmod(module).failed == 0
