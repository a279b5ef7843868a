"""Tests for the model registry mechanics (course_lib.models.registry)."""
import keras
import pytest

from course_lib.models import registry


def _tiny(num_classes, input_shape, width=4):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(width, 3)(inputs)
    x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x), name="tiny")


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_LOADED", True)
    registry.register("Tiny-Net", _tiny, source="test", input_shape=(8, 8, 1), num_classes=3, width=2)
    return registry


def test_defaults_and_overrides(scratch_registry):
    model = scratch_registry.build("tiny-net")
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 3)
    assert model.count_params() == (9 * 1 * 2 + 2) + (2 * 3 + 3)
    wide = scratch_registry.build("TINY_NET", num_classes=5, input_shape=(16, 16, 2), width=6)
    assert wide.input_shape == (None, 16, 16, 2)
    assert wide.count_params() == (9 * 2 * 6 + 6) + (6 * 5 + 5)


def test_unknown_name_lists_close_matches(scratch_registry):
    with pytest.raises(ValueError, match=r"Unknown model name 'Tiny-Nett'.*Tiny-Net"):
        scratch_registry.build("Tiny-Nett")


def test_duplicate_registration_rejected(scratch_registry):
    with pytest.raises(ValueError, match="already registered"):
        scratch_registry.register("tiny net", _tiny, source="test")


def test_names_by_family(scratch_registry):
    scratch_registry.register("Other", _tiny, source="test", family="f")
    assert scratch_registry.names() == ["Tiny-Net", "Other"]
    assert scratch_registry.names(family="f") == ["Other"]
