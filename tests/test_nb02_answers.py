"""Notebook 02's exercise answers that are code: they must run and say what they claim.

Exercise 2 (dilated im2col): the answer's code, taken from the notebook's source with the
notebook's own ``pad``, must equal ``keras.layers.Conv2D(..., dilation_rate=d)`` and give the
output sizes the answer prints.
"""

import re
from pathlib import Path

import numpy as np
import pytest

SOURCE = Path(__file__).resolve().parents[1] / "notebooks" / "src" / "02_cnn_building_blocks.py"


def _answer_code() -> str:
    text = SOURCE.read_text(encoding="utf-8")
    answers = text[text.index("<summary><b>Answers</b>"):]
    block = re.search(r"# 2\. .*?```python\n(.*?)#    ```", answers, re.DOTALL)
    assert block, "exercise 2's answer has no ```python block"
    return "\n".join(line[len("#    "):] if line.startswith("#    ") else line.lstrip("#")
                     for line in block.group(1).splitlines())


def _notebook_function(name: str) -> str:
    """The source of a top-level function of the notebook (up to the next blank-line gap)."""
    text = SOURCE.read_text(encoding="utf-8")
    match = re.search(rf"^def {name}\(.*?(?=\n\n\n|\n# %%)", text, re.DOTALL | re.MULTILINE)
    assert match, f"the notebook defines no {name}()"
    return match.group(0)


@pytest.fixture(scope="module")
def answer():
    namespace = {"np": np}
    exec(_notebook_function("pad"), namespace)  # noqa: S102 - the notebook's own code
    exec(_answer_code(), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("d, P, padding, size", [(2, 0, "valid", 13), (2, 2, "same", 17),
                                                 (3, 0, "valid", 11)])
def test_dilated_im2col_answer_equals_keras(answer, d, P, padding, size):
    import keras

    from course_lib.analysis import conv_output_size

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 17, 17, 3)).astype("float32")
    w = rng.standard_normal((3, 3, 3, 8)).astype("float32")
    b = rng.standard_normal(8).astype("float32")
    layer = keras.layers.Conv2D(8, 3, dilation_rate=d, padding=padding)
    layer.build(x.shape)
    layer.set_weights([w, b])
    ref = keras.ops.convert_to_numpy(layer(x))
    out = answer["conv_im2col_dilated"](x, w, b, P=P, d=d)
    assert out.shape == ref.shape == (2, size, size, 8)
    assert conv_output_size(17, 3, P=P, S=1, dilation=d) == size
    np.testing.assert_allclose(out, ref, atol=1e-4)


def test_answer_states_the_sizes_it_checks():
    text = SOURCE.read_text(encoding="utf-8")
    assert "`d = 2` gives 13x13 with `P = 0` and 17x17 with `P = 2`" in re.sub(r"\n#\s+", " ",
                                                                               text)
