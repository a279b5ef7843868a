"""The three course layers give the same outputs on the PyTorch backend as on TensorFlow.

One subprocess runs with ``KERAS_BACKEND=torch``: it rebuilds each layer from its
serialised config, loads the TensorFlow-side weights (passed as NumPy arrays) and
writes its outputs back. On TensorFlow, LRN with an odd window uses the fused
``tf.nn.local_response_normalization`` kernel; on PyTorch every LRN goes through the
``keras.ops`` formulation, so this also checks the two paths against each other.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras
from course_lib.layers import LRN, RecurrentConv2D, SAFPooling2D

CASES = {
    "lrn_sum_5": (LRN, dict(size=5, alpha=0.05, beta=0.75, k=2.0), (2, 5, 5, 12)),
    "lrn_sum_1": (LRN, dict(size=1, alpha=0.05, beta=0.75, k=2.0), (2, 5, 5, 12)),
    "lrn_mean_4": (LRN, dict(size=4, alpha=0.2, beta=0.5, k=1.0, alpha_mode="mean"),
                   (2, 5, 5, 12)),
    "rcl_default_lrn": (RecurrentConv2D, dict(filters=16, iterations=3, kernel_size=5,
                                              recurrent_kernel_size=3, lrn_alpha=0.5),
                        (2, 7, 6, 3)),
    "rcl_odd_lrn_sum": (RecurrentConv2D, dict(filters=8, iterations=2, lrn_size=3,
                                              lrn_alpha=0.1, lrn_alpha_mode="sum",
                                              bias_initializer="random_normal"),
                        (2, 7, 6, 3)),
    "saf_same": (SAFPooling2D, dict(pool_size=3, strides=2, padding="same", rate=0.5, seed=1),
                 (2, 7, 6, 3)),
}

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    import course_lib.layers  # registers the layers for deserialisation

    assert keras.backend.backend() == "torch", keras.backend.backend()
    workdir = sys.argv[1]
    configs = json.load(open(f"{workdir}/configs.json"))
    arrays = np.load(f"{workdir}/inputs.npz")
    outputs = {}
    for name, config in configs.items():
        layer = keras.saving.deserialize_keras_object(config)  # built from its build_config
        x = arrays[f"{name}/x"]
        assert layer.built, name
        layer.set_weights([arrays[f"{name}/w{i}"] for i in range(len(layer.weights))])
        outputs[name] = keras.ops.convert_to_numpy(layer(x, training=False)
                                                   if name.startswith("saf") else layer(x))
    np.savez(f"{workdir}/outputs.npz", **outputs)
    """
)


@pytest.mark.slow  # the subprocess imports torch and Keras' torch backend (~6 s CPU, 20-30 s loaded)
def test_torch_backend_outputs_equal_tensorflow_backend(tmp_path):
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the reference outputs are computed on the TensorFlow backend")

    rng = np.random.default_rng(0)
    configs, arrays, expected = {}, {}, {}
    for name, (layer_cls, kwargs, shape) in CASES.items():
        layer = layer_cls(**kwargs)
        x = (2.0 * rng.standard_normal(shape)).astype("float32")
        expected[name] = keras.ops.convert_to_numpy(layer(x))
        configs[name] = keras.saving.serialize_keras_object(layer)
        arrays[f"{name}/x"] = x
        for i, w in enumerate(layer.get_weights()):
            arrays[f"{name}/w{i}"] = w
    (tmp_path / "configs.json").write_text(json.dumps(configs))
    np.savez(tmp_path / "inputs.npz", **arrays)

    env = {**os.environ, "KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    outputs = np.load(tmp_path / "outputs.npz")
    assert sorted(outputs.files) == sorted(CASES)
    for name in CASES:
        assert outputs[name].shape == expected[name].shape, name
        np.testing.assert_allclose(outputs[name], expected[name], rtol=1e-5, atol=1e-5,
                                   err_msg=name)
