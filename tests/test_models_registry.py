"""Tests for the model registry mechanics (course_lib.models.registry)."""
import keras
import pytest

from course_lib.core import Registry
from course_lib.models import registry


def _tiny(*, num_classes, input_shape, width_multiplier, classifier_activation, name, width=4):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(max(1, round(width * width_multiplier)), 3)(inputs)
    x = keras.layers.GlobalMaxPooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation)(x)
    return keras.Model(inputs, outputs, name=name)


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "MODELS", Registry("model"))
    registry.register("Tiny-Net", _tiny, source="test", input_shape=(8, 8, 1), num_classes=3, width=2)
    return registry


def test_defaults_and_overrides(scratch_registry):
    model = scratch_registry.build("tiny-net")
    assert model.name == "Tiny-Net"  # the registry names every model as in the zoo
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 3)
    assert model.count_params() == (9 * 1 * 2 + 2) + (2 * 3 + 3)
    assert model.layers[-1].activation.__name__ == "softmax"
    wide = scratch_registry.build("TINY_NET", num_classes=5, input_shape=(16, 16, 2), width=6,
                                  width_multiplier=0.5, classifier_activation=None, name="w")
    assert wide.name == "w" and wide.input_shape == (None, 16, 16, 2)
    assert wide.count_params() == (9 * 2 * 3 + 3) + (3 * 5 + 5)
    assert wide.layers[-1].activation.__name__ == "linear"


def test_unknown_name_lists_close_matches(scratch_registry):
    with pytest.raises(ValueError, match=r"Unknown model 'Tiny-Nett'. Did you mean 'Tiny-Net'"):
        scratch_registry.build("Tiny-Nett")


def test_duplicate_registration_rejected(scratch_registry):
    with pytest.raises(ValueError, match="already registered"):
        scratch_registry.register("tiny net", _tiny, source="test")


def test_names_by_family(scratch_registry):
    scratch_registry.register("Other", _tiny, source="test", family="f")
    assert scratch_registry.names() == ["Tiny-Net", "Other"]
    assert scratch_registry.names(family="f") == ["Other"]


def test_families_register_when_the_package_is_imported():
    import course_lib.models  # noqa: F401  (imports every family module; no lazy loader)

    assert len(registry.MODELS) == 68
    names = registry.names()
    assert (names[0], names[-1]) == ("CNN-A1", "ResNet-56-Bottleneck")
    assert sorted({registry.spec(n).family for n in names}) == [
        "classic", "param-distribution", "resnet", "simpnet", "simpnet-principles", "vgg",
        "vgg-cifar"]
