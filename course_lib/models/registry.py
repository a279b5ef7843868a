"""The model zoo's registry: every model is built by name, with one set of core arguments.

Names are the sources' own, matched forgivingly; ``build("VGG-D")`` is the paper's
224x224x1000 network. Every builder takes the same core arguments:

>>> logits = build("ResNet-20", width_multiplier=0.5, classifier_activation=None)
>>> logits.get_layer("stem_conv").filters, logits.width_multiplier
(8, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import keras

from course_lib import validation
from course_lib.core import Registry

__all__ = ["ModelSpec", "MODELS", "register", "build", "names", "spec", "check_core", "scaled",
           "finish"]


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo: its builder, source (seed and table), defaults and ``family``."""

    name: str
    builder: Callable[..., keras.Model]
    source: str
    input_shape: tuple = (32, 32, 3)
    num_classes: int = 10
    defaults: dict = field(default_factory=dict)
    family: str = ""


#: Every registered model, by name.
MODELS: Registry[ModelSpec] = Registry(
    "model", hint="Call course_lib.models.names() for the full list.")


def register(
    name: str,
    builder: Callable[..., keras.Model],
    *,
    source: str,
    input_shape: tuple = (32, 32, 3),
    num_classes: int = 10,
    family: str = "",
    **defaults: Any,
) -> ModelSpec:
    """Add a model to the zoo. Raises ``ValueError`` if the name is taken."""
    return MODELS.register(name, ModelSpec(
        name=name, builder=builder, source=source, input_shape=tuple(input_shape),
        num_classes=int(num_classes), defaults=dict(defaults), family=family,
    ))


def names(family: str | None = None) -> list[str]:
    """The registered model names (display spelling), optionally of one family."""
    return [n for n, s in MODELS.items() if family is None or s.family == family]


def spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` for ``name``; ``ValueError`` (with suggestions) if unknown."""
    return MODELS.get(name)


def build(
    name: str,
    /,
    num_classes: int | None = None,
    input_shape: tuple | None = None,
    *,
    width_multiplier: float = 1.0,
    classifier_activation: str | None = "softmax",
    **source_specific: Any,
) -> keras.Model:
    """Build a zoo model by name (see :func:`names`); an uncompiled ``keras.Model``.

    Args:
        num_classes, input_shape: default: the model's own.
        width_multiplier: scales every width the source gives (rounded, >= 1).
        classifier_activation: ``None`` gives logits.
        **source_specific: the builder's own arguments over the entry's defaults.
    """
    entry = spec(name)
    kwargs = {"name": entry.name, **entry.defaults, **source_specific}
    return entry.builder(
        num_classes=entry.num_classes if num_classes is None else num_classes,
        input_shape=entry.input_shape if input_shape is None else tuple(input_shape),
        width_multiplier=width_multiplier,
        classifier_activation=classifier_activation,
        **kwargs,
    )


# The builders' convention: every builder checks its core arguments with check_core, scales
# the source's widths with scaled and ends with finish (its own arguments: course_lib.validation).
def check_core(num_classes, input_shape, width_multiplier=1.0, classifier_activation=None, *,
               min_side: int = 1, why: str = "") -> tuple[tuple, float]:
    """Check the arguments every builder takes; return ``(input_shape, width_multiplier)``.

    ``min_side`` is the smallest side the network accepts and ``why`` its reason, for the message.
    """
    validation.positive_int("num_classes", num_classes)
    shape = input_shape
    ok = (not isinstance(shape, (str, bytes)) and isinstance(shape, Sequence) and len(shape) == 3
          and validation.is_int(shape[2]) and shape[2] >= 1
          and all(d is None or (validation.is_int(d) and d >= min_side) for d in shape[:2]))
    if not ok:
        need = f"height and width >= {min_side}{' ' + why if why else ''}" if min_side > 1 else (
            "positive integers")
        raise ValueError(
            f"`input_shape` must be (height, width, channels) with {need}, e.g. (32, 32, 3). "
            f"Received: input_shape={input_shape!r}"
        )
    validation.width_multiplier(width_multiplier)
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError(
                "`classifier_activation` must be None (logits) or a Keras activation such as "
                f"'softmax'. Received: classifier_activation={classifier_activation!r}"
            ) from None
    return tuple(None if d is None else int(d) for d in shape), float(width_multiplier)


def scaled(width: int, width_multiplier: float) -> int:
    """A width of the source times ``width_multiplier``, rounded, at least 1."""
    return max(1, int(round(width * width_multiplier)))


def finish(inputs, outputs, name: str, width_multiplier: float) -> keras.Model:
    """The builders' ``keras.Model``, with ``model.width_multiplier`` (not restored by ``load_model``)."""
    model = keras.Model(inputs, outputs, name=name)
    model.width_multiplier = float(width_multiplier)
    return model
