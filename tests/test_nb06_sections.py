"""Notebook 06's plain-Keras sections, run from its source: the SimpNet block and transfer.

The cells are taken from ``notebooks/src/06_simpnet.py`` by the names they define, so a test
fails when the notebook's code changes meaning, not only when the notebook stops running.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import numpy as np
import pytest

keras = pytest.importorskip("keras")

SOURCE = Path(__file__).resolve().parent.parent / "notebooks" / "src" / "06_simpnet.py"


def _cell(defines: str) -> str:
    """The source of the one code cell that contains ``defines``."""
    cells = [c.source for c in jupytext.read(SOURCE).cells
             if c.cell_type == "code" and defines in c.source]
    assert len(cells) == 1, f"{defines!r} is in {len(cells)} code cells of {SOURCE.name}"
    return cells[0]


def _namespace(**extra) -> dict:
    from course_lib.models import build
    from course_lib.models.simpnet_archs import ARCHS, parse_widths

    return {"keras": keras, "np": np, "build": build, "ARCHS": ARCHS,
            "parse_widths": parse_widths, "print": lambda *a, **k: None, **extra}


@pytest.fixture(scope="module")
def blocks():
    ns = _namespace()
    exec(_cell("def simpnet_block("), ns)
    return ns


def test_my_simpnet_matches_the_zoo(blocks):
    from course_lib.models import build

    mine = blocks["my_slim"]
    assert mine.count_params() == build("SimpNet-Slim-600K").count_params()
    assert mine.output_shape == (None, 10)
    ns = dict(blocks)
    exec(_cell("# NBVAL_CHECK_OUTPUT\nslim_spec ="), ns)  # the notebook's own check cell


def test_exercise_7_answer_builds_the_slim_300k(blocks):
    from course_lib.models import build
    from course_lib.models.simpnet_archs import ARCHS, parse_widths

    slim_300k = tuple((w, 0.0, i in (5, 10)) for i, w in
                      enumerate(parse_widths(ARCHS["SimpNet-Slim-300K"].widths), start=1))
    mine = blocks["make_simpnet"](slim_300k, head_dropout=0.0)
    assert mine.count_params() == build("SimpNet-Slim-300K").count_params()


def test_simpnet_block_is_saf_pooling_when_it_pools():
    ns = _namespace()
    exec(_cell("def simpnet_block("), ns)
    block = ns["simpnet_block"](4, dropout=0.5, pool=True)
    kinds = [type(layer).__name__ for layer in block.layers]
    assert kinds == ["Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D", "Dropout"]
    x = np.ones((2, 8, 8, 3), "float32")
    assert np.allclose(block(x, training=False), block(x, training=False))  # no dropout at inference


@pytest.fixture(scope="module")
def transfer():
    """The transfer section's definitions on a tiny synthetic stand-in for Fashion-MNIST."""
    rng = np.random.default_rng(0)

    class Arrays:  # 20 training and 10 test images per class, shaped like Fashion-MNIST
        y_train = np.repeat(np.arange(10, dtype=np.uint8), 20)
        x_train = rng.integers(0, 255, (200, 28, 28), dtype=np.uint8)
        y_test = np.repeat(np.arange(10, dtype=np.uint8), 10)
        x_test = rng.integers(0, 255, (100, 28, 28), dtype=np.uint8)

    import time

    ns = _namespace(BUDGET="smoke", Markdown=str, display=lambda *a: None, time=time)
    exec(_cell("TRANSFER = {"), ns)
    ns["TRANSFER"] = dict(pretrain_per_class=8, pretrain_epochs=1, labels_per_class=4,
                          epochs=2, frozen_epochs=1, test_per_class=5, seeds=(0,))
    data = _cell("def class_subset(")
    assert "load_fashion_mnist_arrays()" in data
    ns["synthetic"] = Arrays
    exec(data.replace("load_fashion_mnist_arrays()", "synthetic"), ns)
    exec(_cell("def make_features("), ns)
    exec(_cell("def transfer_seed("), ns)  # also runs the section's seeds (tiny here)
    assert len(ns["transfer_records"]) == 3 * len(ns["TRANSFER"]["seeds"])
    return ns


def test_freezing_counts(transfer):
    features = transfer["make_features"]()
    model = transfer["with_new_head"](features)
    features.trainable = False
    assert transfer["weight_counts"](model) == (576 * 5 + 5, 160 + 4640 + 18496)


def test_transfer_seed_gives_three_ways_per_seed(transfer):
    records = transfer["transfer_records"]  # the section's loop, run by the fixture (seed 0)
    assert [r["label"] for r in records] == ["from scratch", "frozen features", "fine-tuned"]
    for r in records:
        assert [h["epoch"] for h in r["history"]] == [1, 2]
        assert r["correct"].shape == (25,)  # 5 test images of each of the 5 target classes
        assert r["test_error_pct"] == pytest.approx(100 * (1 - r["correct"].mean()))
    # the three ways of one seed share the new head's start: the frozen and fine-tuned runs
    # are identical until fine-tuning unfreezes
    frozen, tuned = records[1]["history"][0], records[2]["history"][0]
    assert frozen["test_error_pct"] == pytest.approx(tuned["test_error_pct"])


def test_frozen_features_do_not_change_in_fit(transfer):
    keras.utils.set_random_seed(0)
    features = transfer["make_features"]()
    before = [w.copy() for w in features.get_weights()]
    features.trainable = False
    model = transfer["with_new_head"](features)
    transfer["compile_at"](model, 0.01)
    x = np.random.default_rng(1).random((8, 28, 28, 1)).astype("float32")
    model.fit(x, np.arange(8) % 5, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, features.get_weights()))


def test_vgg_cell_is_guarded_offline():
    source = _cell("keras.applications.VGG16(")
    guards = ("on_colab()", 'BUDGET == "smoke"', "reachable()")
    assert all(g in source for g in guards)
    assert max(source.index(g) for g in guards) < source.index("keras.applications.VGG16(")
