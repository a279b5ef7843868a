"""A small shared test harness for the course's Keras layers.

Keras tests its own layers with one harness per layer (``LayerTestCase.run_layer_test``,
a private module); this is our own version of the parts we need. ``run_layer_checks``
exercises one layer configuration end to end:

1. ``get_config`` -> ``from_config`` and ``keras.saving`` (de)serialisation by the
   registered name ``course_lib>ClassName``;
2. a symbolic call on a ``keras.Input`` and an eager call on NumPy data, both with the
   shape ``compute_output_shape`` predicts;
3. a layer rebuilt from its config with the same weights gives the same outputs;
4. a ``.keras`` save and load of a ``keras.Model`` holding the layer (no
   ``custom_objects``: registration must be enough) gives identical outputs;
5. one ``model.fit`` step on random data gives a finite loss and changes the layer's
   trainable weights (when it has any).

``check_mixed_precision`` is separate: the layer built with ``dtype="mixed_float16"``
must return float16 values close to the float32 layer with the same weights.
``reference_lrn`` is an independent NumPy version of the LRN formula for the tests.
"""

import numpy as np

import keras


def reference_lrn(x, size, alpha, beta, k, alpha_mode):
    """The LRN formula of seed 004 as an explicit float64 loop over channels (last axis).

    Window ``[d - size // 2, d + (size - 1) // 2]`` clipped to the channels (the
    ``torch.nn.LocalResponseNorm`` window); ``alpha / size`` when ``alpha_mode="mean"``.
    """
    x = np.asarray(x, dtype=np.float64)
    scale = alpha / size if alpha_mode == "mean" else alpha
    out = np.empty_like(x)
    channels = x.shape[-1]
    for d in range(channels):
        lo, hi = max(0, d - size // 2), min(channels - 1, d + (size - 1) // 2)
        window = np.sum(x[..., lo:hi + 1] ** 2, axis=-1)
        out[..., d] = x[..., d] / (k + scale * window) ** beta
    return out


def _random_inputs(input_shape, seed):
    return np.random.default_rng(seed).standard_normal(input_shape).astype("float32")


def check_config_roundtrip(layer_cls, init_kwargs):
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "from_config(get_config()) changed the config"

    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"course_lib>{layer_cls.__name__}"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is layer_cls
    assert restored.get_config() == config
    return config


def check_calls_and_shapes(layer_cls, init_kwargs, input_shape, *, expected_output_shape=None,
                           seed=0):
    layer = layer_cls(**init_kwargs)
    inputs = keras.Input(shape=input_shape[1:])
    symbolic = layer(inputs)
    assert tuple(symbolic.shape) == tuple(layer.compute_output_shape(inputs.shape))

    x = _random_inputs(input_shape, seed)
    eager = keras.ops.convert_to_numpy(layer(x))
    predicted = tuple(layer.compute_output_shape(input_shape))
    assert eager.shape == predicted, f"eager output {eager.shape} != computed {predicted}"
    if expected_output_shape is not None:
        assert eager.shape == tuple(expected_output_shape)
    assert np.all(np.isfinite(eager)), "eager output has non-finite values"

    clone = layer_cls.from_config(layer.get_config())
    clone.build(input_shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(x)), eager)
    return layer, inputs, symbolic, x


def check_saved_model(layer_cls, init_kwargs, input_shape, tmp_path, *,
                      expected_output_shape=None, seed=0):
    """Runs ``check_calls_and_shapes``, then the ``.keras`` round trip on that layer."""
    layer, inputs, symbolic, x = check_calls_and_shapes(
        layer_cls, init_kwargs, input_shape, expected_output_shape=expected_output_shape,
        seed=seed)
    model = keras.Model(inputs, symbolic)
    path = tmp_path / f"{layer_cls.__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    loaded_layer = loaded.layers[-1]
    assert type(loaded_layer) is layer_cls
    assert loaded_layer.get_config() == layer.get_config()
    for saved, restored in zip(layer.weights, loaded_layer.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored),
                                      keras.ops.convert_to_numpy(saved))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def check_fit_step(layer_cls, init_kwargs, input_shape, *, seed=0):
    layer = layer_cls(**init_kwargs)
    inputs = keras.Input(shape=input_shape[1:])
    features = keras.layers.GlobalAveragePooling2D()(layer(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(features))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [keras.ops.convert_to_numpy(w).copy() for w in layer.trainable_weights]
    x = _random_inputs(input_shape, seed)
    y = np.random.default_rng(seed + 1).standard_normal((input_shape[0], 1)).astype("float32")
    history = model.fit(x, y, batch_size=input_shape[0], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for old, new in zip(before, layer.trainable_weights):
        assert not np.array_equal(old, keras.ops.convert_to_numpy(new)), (
            f"fit step did not change {new.path}"
        )


def run_layer_checks(layer_cls, init_kwargs, input_shape, tmp_path, *,
                     expected_output_shape=None, save_and_fit=True, seed=0):
    """Runs checks 1-5 of the module docstring for one layer configuration.

    ``save_and_fit=False`` stops after checks 1-3 (the ``.keras`` round trip and the
    fit step take seconds each; one full configuration per layer is enough).
    """
    check_config_roundtrip(layer_cls, init_kwargs)
    if not save_and_fit:
        check_calls_and_shapes(layer_cls, init_kwargs, input_shape,
                               expected_output_shape=expected_output_shape, seed=seed)
        return
    check_saved_model(layer_cls, init_kwargs, input_shape, tmp_path,
                      expected_output_shape=expected_output_shape, seed=seed)
    check_fit_step(layer_cls, init_kwargs, input_shape, seed=seed)


def check_mixed_precision(layer_cls, init_kwargs, input_shape, *, rtol, atol, seed=0):
    """float16 outputs under ``dtype="mixed_float16"``, close to the float32 layer's."""
    reference = layer_cls(**init_kwargs)
    mixed = layer_cls(**init_kwargs, dtype="mixed_float16")
    x = _random_inputs(input_shape, seed)
    expected = keras.ops.convert_to_numpy(reference(x))
    mixed.build(input_shape)
    mixed.set_weights(reference.get_weights())
    out = mixed(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    for w in mixed.trainable_weights:
        assert keras.backend.standardize_dtype(w.dtype) == "float32", "variables must stay float32"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out).astype("float32"), expected,
                               rtol=rtol, atol=atol)
