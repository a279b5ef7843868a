"""The model zoo's registry: every model is built by name.

Names are the sources' own (``CNN-A3``, ``RCNN-B2``, ``VGG-A-LRN``, ``VGG-D``, ``SimpNet``...)
and are matched case-insensitively. Each entry knows its source and its default input shape
and class count, so ``build("VGG-D")`` gives the paper's 224x224x1000 network while
``build("CNN-A2", num_classes=100)`` gives the CIFAR-100 variant.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable

import keras

__all__ = ["ModelSpec", "register", "build", "names", "spec"]


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo.

    Attributes:
        name: the display name, as the source writes it.
        builder: ``builder(num_classes=..., input_shape=..., **kwargs) -> keras.Model``.
        source: where the architecture comes from (seed file and table/figure).
        input_shape: default input shape (height, width, channels).
        num_classes: default number of classes.
        defaults: keyword arguments passed to ``builder`` unless overridden.
        family: a grouping used by the notebooks and experiments (e.g. "param-distribution").
    """

    name: str
    builder: Callable[..., keras.Model]
    source: str
    input_shape: tuple = (32, 32, 3)
    num_classes: int = 10
    defaults: dict = field(default_factory=dict)
    family: str = ""


_REGISTRY: dict[str, ModelSpec] = {}


def _key(name: str) -> str:
    return str(name).strip().lower().replace("_", "-").replace(" ", "-")


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
    key = _key(name)
    if key in _REGISTRY:
        raise ValueError(f"A model named {name!r} is already registered.")
    entry = ModelSpec(
        name=name,
        builder=builder,
        source=source,
        input_shape=tuple(input_shape),
        num_classes=int(num_classes),
        defaults=dict(defaults),
        family=family,
    )
    _REGISTRY[key] = entry
    return entry


def names(family: str | None = None) -> list[str]:
    """The registered model names (display spelling), optionally of one family."""
    _ensure_loaded()
    return [s.name for s in _REGISTRY.values() if family is None or s.family == family]


def spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` for ``name`` (case-insensitive).

    Raises:
        ValueError: unknown name; the message lists the closest registered names.
    """
    _ensure_loaded()
    key = _key(name)
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY), n=5, cutoff=0.5)
        suggestion = ", ".join(_REGISTRY[k].name for k in close) if close else "none"
        raise ValueError(
            f"Unknown model name {name!r}. Closest matches: {suggestion}. "
            "Call course_lib.models.names() for the full list."
        )
    return _REGISTRY[key]


def build(
    name: str,
    num_classes: int | None = None,
    input_shape: tuple | None = None,
    **overrides: Any,
) -> keras.Model:
    """Build a zoo model by name.

    Args:
        name: a registered name, case-insensitive (see :func:`names`).
        num_classes: number of output classes; defaults to the model's own (e.g. 10 or 1000).
        input_shape: (height, width, channels); defaults to the model's own.
        **overrides: builder keyword arguments (e.g. ``widths=``, ``dropout=``).

    Returns:
        An uncompiled ``keras.Model`` whose ``name`` is the zoo name.
    """
    entry = spec(name)
    kwargs = {**entry.defaults, **overrides}
    return entry.builder(
        num_classes=entry.num_classes if num_classes is None else int(num_classes),
        input_shape=entry.input_shape if input_shape is None else tuple(input_shape),
        **kwargs,
    )


_LOADED = False


def _ensure_loaded() -> None:
    """Import the zoo modules (each registers its models on import)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from course_lib.models import _zoo  # noqa: F401  (imports every family module)
