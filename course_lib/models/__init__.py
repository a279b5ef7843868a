"""The model zoo. ``build(name, num_classes=..., input_shape=..., **overrides)`` and ``names()``.

Also exported: :func:`param_groups` (seed 000 low/high parameter split) and the dense
evaluation helpers :func:`to_fully_convolutional` / :func:`dense_scores` (seed 001).
"""
from course_lib.models.registry import ModelSpec, build, names, register, spec
from course_lib.models.param_distribution import param_groups
from course_lib.models.dense_eval import dense_scores, to_fully_convolutional

__all__ = [
    "ModelSpec",
    "build",
    "dense_scores",
    "names",
    "param_groups",
    "register",
    "spec",
    "to_fully_convolutional",
]
