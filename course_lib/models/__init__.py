"""The model zoo: ``build(name, ...)`` and ``names()``; each family module registers its models."""
from course_lib.models.registry import ModelSpec, build, names, register, spec
# Each family registers its models on import; this order is the order of names().
from course_lib.models import param_distribution, vgg, simpnet, classic, resnet  # noqa: F401,I001
from course_lib.models.param_distribution import param_groups
from course_lib.models.dense_eval import dense_scores, to_fully_convolutional

__all__ = [
    "ModelSpec", "build", "dense_scores", "names", "param_groups", "register", "spec",
    "to_fully_convolutional",
]
