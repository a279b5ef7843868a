"""Walking the layer graph of a functional or Sequential Keras model (private helpers).

``Functional`` overrides ``input``/``output`` to return its own graph's tensors, so the tensors
a nested model was called on are read with ``keras.Operation.input.fget(sub)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import keras


def is_graph_model(layer) -> bool:
    """True for a functional or Sequential model whose layer graph can be walked."""
    if not isinstance(layer, keras.Model):
        return False
    try:
        layer.inputs  # noqa: B018  (subclassed models and unbuilt Sequentials raise)
        layer.outputs  # noqa: B018
    except AttributeError:
        return False
    return True


def flat(x) -> list:
    """Flatten a tensor structure (tensor, list, dict) into a list."""
    return list(keras.tree.flatten(x))


def shape_tail(tensor) -> tuple:
    """The shape of a symbolic tensor without its batch axis."""
    return tuple(tensor.shape[1:])


def prepare_model(model, input_shape=None, *, caller: str) -> keras.Model:
    """Return a model with a walkable graph, rebuilt on ``input_shape`` if one is given.

    Raises:
        TypeError: not a Keras model. ValueError: subclassed, several inputs with a new
            ``input_shape``, or an unbuilt Sequential without ``input_shape``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"{caller} expects a keras.Model (functional or Sequential). "
            f"Received: model of type {type(model).__name__}"
        )
    if input_shape is not None:
        input_shape = tuple(int(d) for d in input_shape)
    if isinstance(model, keras.Sequential) and not is_graph_model(model):
        if input_shape is None:
            raise ValueError(
                f"{caller}: Sequential model {model.name!r} has no input shape yet. Pass "
                "input_shape=(height, width, channels), or start the model with keras.Input(...)."
            )
        model.build((None, *input_shape))
    if not is_graph_model(model):
        raise ValueError(
            f"{caller}: model {model.name!r} is a subclassed keras.Model, which has no layer "
            "graph to inspect. Rebuild it with the functional API or keras.Sequential."
        )
    if input_shape is not None:
        if len(model.inputs) != 1:
            raise ValueError(
                f"{caller}: input_shape can only be given for a single-input model; "
                f"{model.name!r} has {len(model.inputs)} inputs. "
                f"Received: input_shape={input_shape}"
            )
        if shape_tail(model.inputs[0]) != input_shape:
            model = keras.models.clone_model(model, input_tensors=keras.Input(shape=input_shape))
    return model


def concrete_submodel(sub: keras.Model) -> keras.Model:
    """``sub`` itself, or a clone built on the concrete shapes it is called on in the outer graph.

    A backbone built with an unknown input size (``VGG16(include_top=False)``) has unknown shapes
    inside even when the outer model feeds it a fixed size.
    """
    inner_shapes = [shape_tail(t) for t in flat(sub.inputs)]
    if all(None not in s for s in inner_shapes):
        return sub
    try:
        outer = flat(keras.Operation.input.fget(sub))
    except (AttributeError, ValueError):
        return sub
    outer_shapes = [shape_tail(t) for t in outer]
    if len(outer) != len(inner_shapes) or any(None in s for s in outer_shapes):
        return sub
    inputs = [keras.Input(shape=s) for s in outer_shapes]
    return keras.models.clone_model(sub, input_tensors=inputs[0] if len(inputs) == 1 else inputs)


@dataclass
class Leaf:
    """A leaf layer reached by :func:`walk`, with its path ``outer/inner/name``."""

    path: str
    layer: keras.Layer
    top_level: bool


@dataclass
class Enter:
    """Entering nested model ``sub``; ``model`` is what is walked (``sub`` or a concrete clone)."""

    path: str
    sub: keras.Model
    model: keras.Model


@dataclass
class Exit:
    """Leaving nested model ``sub`` (see :class:`Enter`)."""

    path: str
    sub: keras.Model
    model: keras.Model


def walk(
    model: keras.Model, prefix: str = "", top_level: bool = True
) -> Iterator[Leaf | Enter | Exit]:
    """Yield the leaf layers of ``model`` in topological order, entering nested graph models.

    Input layers of nested models are skipped (they alias the outer tensor they are fed).
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            if top_level:
                yield Leaf(prefix + layer.name, layer, True)
            continue
        if is_graph_model(layer):
            concrete = concrete_submodel(layer)
            path = prefix + layer.name + "/"
            yield Enter(path, layer, concrete)
            yield from walk(concrete, path, top_level=False)
            yield Exit(path, layer, concrete)
        else:
            yield Leaf(prefix + layer.name, layer, top_level)
