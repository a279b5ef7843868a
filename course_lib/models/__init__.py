"""The model zoo. ``build(name, num_classes=..., input_shape=..., **overrides)`` and ``names()``."""
from course_lib.models.registry import ModelSpec, build, names, register, spec

__all__ = ["ModelSpec", "build", "names", "register", "spec"]
