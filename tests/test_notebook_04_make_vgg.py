"""Notebook 04's plain-Keras VGG (section 2b) matches the zoo, without running the notebook.

The cell that defines ``vgg_block``, ``make_vgg`` and ``VGG_ARCH`` is taken from the notebook's
source (``notebooks/src/04_vgg.py``) with ``ast`` and executed alone, so the test checks the
code the student reads. Every configuration A-E must have the zoo's layers, in order and with
the same kernel shapes, at CIFAR scale (``build("VGG-*-CIFAR")``) and at the paper's size.
"""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import pytest

from course_lib.models import build
from course_lib.models.vgg import CIFAR_FC_UNITS, CIFAR_SCALE

SOURCE = Path(__file__).resolve().parents[1] / "notebooks" / "src" / "04_vgg.py"
NAMES = ("vgg_block", "make_vgg", "VGG_ARCH")


def _notebook_definitions() -> dict:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    picked = [node for node in tree.body
              if (isinstance(node, ast.FunctionDef) and node.name in NAMES)
              or (isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id in NAMES for t in node.targets))]
    found = {node.name if isinstance(node, ast.FunctionDef) else node.targets[0].id
             for node in picked}
    assert found == set(NAMES), f"{SOURCE.name} must define {NAMES}; found {sorted(found)}"
    namespace = {"keras": keras}
    exec(compile(ast.Module(body=picked, type_ignores=[]), str(SOURCE), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def nb():
    return _notebook_definitions()


def _weights(model) -> list[tuple[str, tuple]]:
    """(layer type, kernel shape) of every Conv2D and Dense, in order, nested models included."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a block: a Sequential inside the functional model
            out += _weights(layer)
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            out.append((type(layer).__name__, tuple(layer.kernel.shape)))
    return out


def test_the_notebook_defines_configurations_a_to_e(nb):
    assert list(nb["VGG_ARCH"]) == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize("key", ["A", "B", "C", "D", "E"])
def test_make_vgg_at_cifar_scale_is_the_zoo_model(nb, key):
    mine = nb["make_vgg"](nb["VGG_ARCH"][key], input_shape=(32, 32, 3), num_classes=10,
                          width=CIFAR_SCALE, fc_units=CIFAR_FC_UNITS)
    zoo = build(f"VGG-{key}-CIFAR")
    assert mine.count_params() == zoo.count_params()
    assert _weights(mine) == _weights(zoo)
    assert mine.output_shape == zoo.output_shape == (None, 10)


@pytest.mark.parametrize("key", ["C", "E"])  # C: the 1x1 convs; E: the deepest (both 224x224)
def test_make_vgg_at_the_papers_size_is_the_zoo_model(nb, key):
    mine = nb["make_vgg"](nb["VGG_ARCH"][key], kernel_initializer="zeros")
    zoo = build(f"VGG-{key}", kernel_initializer="zeros")
    assert mine.count_params() == zoo.count_params()
    assert _weights(mine) == _weights(zoo)


def test_vgg_block_takes_a_count_or_kernel_sizes(nb):
    block = nb["vgg_block"]((3, 3, 1), 8)
    block.build((None, 16, 16, 4))
    kernels = [tuple(l.kernel.shape) for l in block.layers if isinstance(l, keras.layers.Conv2D)]
    assert kernels == [(3, 3, 4, 8), (3, 3, 8, 8), (1, 1, 8, 8)]
    assert block.compute_output_shape((None, 16, 16, 4)) == (None, 8, 8, 8)
    assert len([l for l in nb["vgg_block"](2, 8).layers if isinstance(l, keras.layers.Conv2D)]) == 2
