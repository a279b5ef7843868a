"""Assignment 2's tests reject answers built on course_lib.layers (the reference layers)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from course_lib.checks.answer_rules import assert_own_code

OWN = """
import keras

class LRN(keras.layers.Layer):
    def call(self, x):
        return x / (1.0 + keras.ops.square(x))

def build():
    return LRN()
"""

CHEATS = {
    "subclass": ("import course_lib.layers as ref\nclass LRN(ref.LRN):\n    pass\n", "LRN", "subclasses"),
    "alias": ("from course_lib.layers import LRN\n", "LRN", "is course_lib.layers"),
    "call_in_method": (
        "import keras\nfrom course_lib import layers as ref\n"
        "class LRN(keras.layers.Layer):\n    def call(self, x):\n        return ref.LRN()(x)\n", "LRN", "calls"),
    "import_in_method": (
        "import keras\nclass LRN(keras.layers.Layer):\n    def call(self, x):\n"
        "        import course_lib.layers\n        return course_lib.layers.LRN()(x)\n", "LRN", "imports course_lib.layers"),
    "call_in_builder": ("import course_lib.layers as L\ndef build():\n    return L.RecurrentConv2D(8)\n", "build", "calls"),
}


def _module(tmp_path, name, source):
    """Load ``source`` as a real module (so inspect.getsource and the AST check see it)."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__(name)
    finally:
        sys.path.remove(str(tmp_path))
    return module


def test_own_code_passes(tmp_path):
    module = _module(tmp_path, "own_answer", OWN)
    assert_own_code(module.LRN, "LRN")
    assert_own_code(module.build, "build")
    assert_own_code(None, "LRN")  # a missing answer is the test's own business


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_answers_using_course_lib_layers_fail_with_a_clear_message(tmp_path, cheat):
    source, name, words = CHEATS[cheat]
    module = _module(tmp_path, f"cheat_{cheat}", source)
    with pytest.raises(AssertionError, match=words) as info:
        assert_own_code(getattr(module, name), name)
    assert "course_lib.layers" in str(info.value) and "your own implementation" in str(info.value)


@pytest.mark.parametrize("cheat", ["subclass", "call_in_method", "call_in_builder"])
def test_check_works_without_source_as_in_a_notebook(cheat):
    source, name, words = CHEATS[cheat]
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell 7>", "exec"), namespace)  # noqa: S102 - no source on disk
    with pytest.raises(AssertionError, match=words):
        assert_own_code(namespace[name], name)
