"""Every zoo entry follows one builder convention (issue 11): logits on request, narrowed widths.

``build(name, classifier_activation=None)`` must end in logits, and ``width_multiplier=0.5``
must narrow the network -- fewer parameters, the first conv's filters halved by the rounding
rule ``max(1, round(filters * m))`` -- and be recorded as ``model.width_multiplier``.
The paper-scale entries (224x224 VGG, 227x227 AlexNet) are built at the smallest input their
pools accept, which changes no width. To stay fast, the all-entries test checks the head's
layers; one entry per builder is run forward, softmax head against logits head.
"""
import keras
import numpy as np
import pytest

from course_lib import models
from course_lib.models.registry import scaled

#: Inputs for the ImageNet-size entries: 5 2x2 pools need 32; AlexNet's stride-4 conv and
#: three 3x3/2 pools need 67.
SMALL_INPUT = {"vgg": (32, 32, 3), "classic": (67, 67, 3)}


def _input_shape(name):
    spec = models.spec(name)
    if spec.input_shape[0] <= 64:
        return spec.input_shape
    return SMALL_INPUT[spec.family]


def _first_conv(model):
    return next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))


@pytest.mark.parametrize("name", models.names())
def test_every_entry_gives_logits_and_narrows(name):
    shape = _input_shape(name)
    narrow = models.build(name, input_shape=shape, width_multiplier=0.5,
                          classifier_activation=None)
    assert narrow.name == models.spec(name).name and narrow.width_multiplier == 0.5
    # logits: no layer after the classifier, and the classifier has no activation
    assert narrow.output_shape == (None, models.spec(name).num_classes)
    last = narrow.layers[-1]
    assert getattr(getattr(last, "activation", None), "__name__", "linear") == "linear"
    assert not isinstance(last, (keras.layers.Softmax, keras.layers.Activation))

    full = models.build(name, input_shape=shape, classifier_activation=None)
    assert full.width_multiplier == 1.0
    assert narrow.count_params() < full.count_params()
    assert _first_conv(narrow).filters == scaled(_first_conv(full).filters, 0.5)
    del narrow, full
    keras.backend.clear_session()


@pytest.mark.parametrize("name", ["CNN-A2", "RCNN-A2", "VGG-A", "VGG-A-LRN-CIFAR", "SimpNet",
                                  "Arch3-pool-L5", "LeNet-5", "AlexNet", "NIN",
                                  "Highway-CIFAR", "ResNet-20"])
def test_the_default_head_is_the_softmax_of_the_logits(name):
    shape = _input_shape(name)
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    outputs = {}
    for activation in ("softmax", None):
        keras.utils.set_random_seed(1)  # same weights for both heads
        model = models.build(name, input_shape=shape, width_multiplier=0.25,
                             classifier_activation=activation)
        outputs[activation] = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(outputs["softmax"].sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        outputs["softmax"], keras.ops.convert_to_numpy(keras.ops.softmax(outputs[None])),
        rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("bad, match", [
    ({"width_multiplier": 0}, "Received: width_multiplier=0"),
    ({"width_multiplier": float("nan")}, "Received: width_multiplier=nan"),
    ({"width_multiplier": True}, "Received: width_multiplier=True"),
    ({"classifier_activation": "softmaxx"}, "Received: classifier_activation='softmaxx'"),
    ({"num_classes": 0}, "Received: num_classes=0"),
    ({"input_shape": (32, 32)}, r"`input_shape` must be \(height, width, channels\)"),
])
@pytest.mark.parametrize("name", ["CNN-A2", "VGG-A-CIFAR", "SimpNet", "LeNet-5", "ResNet-20"])
def test_core_arguments_are_checked_alike(name, bad, match):
    with pytest.raises(ValueError, match=match):
        models.build(name, **bad)


def test_the_runners_float32_wrapper_keeps_probabilities_and_the_multiplier():
    """Under mixed precision the runner casts the head to float32: still softmax, still x0.25."""
    from course_lib.train import runner

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        net = models.build("CNN-A2", width_multiplier=0.25,
                           classifier_activation=runner.CLASSIFIER_ACTIVATION)
        assert net.outputs[0].dtype == "float16"
        wrapped = runner._float32_outputs(net)
    finally:
        keras.config.set_dtype_policy(previous)
    assert wrapped.outputs[0].dtype == "float32" and wrapped.width_multiplier == 0.25
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    probs = keras.ops.convert_to_numpy(wrapped([x], training=False)).astype("float64")
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=2e-3)  # float16 softmax, cast


def test_simpnet_head_stays_float32_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        probs = models.build("SimpNet", width_multiplier=0.125)
        logits = models.build("SimpNet", width_multiplier=0.125, classifier_activation=None)
    finally:
        keras.config.set_dtype_policy(previous)
    assert probs.get_layer("softmax").dtype_policy.name == "float32"
    assert probs.outputs[0].dtype == "float32"
    assert logits.layers[-1].name == "fc" and logits.outputs[0].dtype == "float16"
