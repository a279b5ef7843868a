"""What keeps an old number from being shown as new: the record fingerprint, and the recipe.

A finished record (or a resume backup) is reused only when its fingerprint equals the new run's.
So every setting that changes a run's numbers must change the fingerprint: each field of the
run's settings, its optimiser, its schedule and the experiment's evaluation is changed here in
turn. The field lists are read from the dataclasses, so a new field without a case here fails
the test rather than going unchecked.

The recipe's less visible parts are checked for their meaning too: the plain cosine schedule of
the ``full`` budgets at its start, middle and end.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from course_lib.train import get_experiment, resolve

#: For each field: a different valid value, given the base value.
SETTINGS_CHANGES = {
    "experiment": lambda v: v + "-b",
    "model": lambda v: "CNN-A3",
    "label": lambda v: v + "-b",
    "dataset": lambda v: "cifar10",
    "budget": lambda v: "quick",
    "epochs": lambda v: v + 1,
    "batch_size": lambda v: v * 2,
    "train_limit": lambda v: (v or 1000) + 1,
    "test_limit": lambda v: (v or 1000) + 1,
    "width_multiplier": lambda v: v / 2,
    "seed": lambda v: v + 1,
    "augment": lambda v: not v,
    "overrides": lambda v: tuple(sorted(dict(v, dropout=0.123).items())),
    "extra": lambda v: True if v is None else not v,
    "init_from": lambda v: "CNN-A1",
    "init_layers": lambda v: tuple(v) + ("conv1",),
}
OPTIMIZER_CHANGES = {
    "learning_rate": lambda v: v * 2,
    "momentum": lambda v: v / 2,
    "weight_decay": lambda v: v * 2 + 1e-4,
    "nesterov": lambda v: not v,
}
#: ``name`` admits one value only ("sgd"): no other valid value exists to change it to.
OPTIMIZER_UNCHANGEABLE = {"name"}
SCHEDULE_CHANGES = {
    "kind": lambda v: "step" if v != "step" else "constant",
    "boundaries": lambda v: (0.3, 0.6),
    "factor": lambda v: v / 2,
    "final_fraction": lambda v: 0.01 if v != 0.01 else 0.02,
    "warmup_fraction": lambda v: 0.2 if v != 0.2 else 0.3,
}
EVALUATION_CHANGES = {
    "modes": lambda v: ("standard", "multi_crop") if v != ("standard", "multi_crop") else (
        "standard",),
    "crop_padding": lambda v: v + 1,
    "dense_scales": lambda v: tuple(v) + (80,),
}


def _base():
    from course_lib.train.runner import fingerprint

    exp = get_experiment("param-distribution")
    settings = resolve(exp, "CNN-A2", dataset="fashion_mnist32", budget="smoke")
    return exp, settings, fingerprint


def _field_names(obj):
    return {f.name for f in dataclasses.fields(obj)}


def test_every_setting_changes_the_fingerprint():
    exp, settings, fingerprint = _base()
    before = json.dumps(fingerprint(exp, settings), sort_keys=True, default=str)
    assert _field_names(settings) == set(SETTINGS_CHANGES) | {"optimizer", "schedule"}
    for name, change in SETTINGS_CHANGES.items():
        changed = dataclasses.replace(settings, **{name: change(getattr(settings, name))})
        after = json.dumps(fingerprint(exp, changed), sort_keys=True, default=str)
        assert after != before, f"changing {name} leaves the fingerprint as it was"


@pytest.mark.parametrize("part, changes, unchangeable", [
    ("optimizer", OPTIMIZER_CHANGES, OPTIMIZER_UNCHANGEABLE),
    ("schedule", SCHEDULE_CHANGES, set()),
])
def test_every_optimizer_and_schedule_field_changes_the_fingerprint(part, changes, unchangeable):
    exp, settings, fingerprint = _base()
    before = fingerprint(exp, settings)
    config = getattr(settings, part)
    assert _field_names(config) == set(changes) | unchangeable
    for name, change in changes.items():
        kwargs = {name: change(getattr(config, name))}
        if part == "schedule" and name in ("warmup_fraction", "final_fraction"):
            kwargs["kind"] = "cosine"  # valid only there; compare with a cosine base below
            base = dataclasses.replace(settings, schedule=dataclasses.replace(config,
                                                                               kind="cosine"))
            before_here = fingerprint(exp, base)
            config_here = base.schedule
        else:
            before_here, config_here = before, config
        changed = dataclasses.replace(settings, **{part: dataclasses.replace(config_here,
                                                                               **kwargs)})
        assert fingerprint(exp, changed) != before_here, f"changing {part}.{name} is not seen"


def test_every_evaluation_field_changes_the_fingerprint():
    exp, settings, fingerprint = _base()
    before = fingerprint(exp, settings)
    assert _field_names(exp.evaluation) == set(EVALUATION_CHANGES)
    for name, change in EVALUATION_CHANGES.items():
        evaluation = dataclasses.replace(exp.evaluation,
                                         **{name: change(getattr(exp.evaluation, name))})
        changed = dataclasses.replace(exp, evaluation=evaluation)
        assert fingerprint(changed, settings) != before, f"changing evaluation.{name} is not seen"


@pytest.mark.realdata
@pytest.mark.slow
def test_a_run_with_other_epochs_trains_again_into_the_same_folder(tmp_path, capsys):
    """A finished smoke record must not answer for a run of another length."""
    from course_lib.train import run_model

    kwargs = dict(dataset="fashion_mnist32", budget="smoke", results_dir=tmp_path, verbose=0)
    one = run_model("param-distribution", "CNN-A2", epochs=1, **kwargs)
    capsys.readouterr()
    two = run_model("param-distribution", "CNN-A2", epochs=2, **kwargs)
    assert "already done" not in capsys.readouterr().out
    assert len(one["history"]) == 1 and len(two["history"]) == 2
    assert two["epochs_completed"] == 2 and two["finished_at"] != one["finished_at"]
    assert json.loads(Path(two["_path"]).read_text())["config"]["settings"]["epochs"] == 2
    # and asked again for the two-epoch run, it is found, not trained a third time
    again = run_model("param-distribution", "CNN-A2", epochs=2, **kwargs)
    assert "already done" in capsys.readouterr().out
    assert again["finished_at"] == two["finished_at"]


def test_plain_cosine_schedule_values_of_a_full_configuration():
    """The ``full`` budgets' cosine (no warm-up): lr0 at the start, lr0/2 half-way, 0 at the end."""
    pytest.importorskip("keras")
    from course_lib.train.runner import _learning_rate

    settings = resolve(get_experiment("simpnet"), "SimpNet", dataset="cifar10", budget="full")
    assert settings.schedule.kind == "cosine" and settings.schedule.warmup_fraction == 0
    lr0 = settings.optimizer.learning_rate
    assert lr0 == 0.1  # the source's rate
    total = 10_000
    schedule = _learning_rate(settings, total)
    at = {step: float(schedule(step)) for step in (0, total // 4, total // 2, total - 1, total)}
    assert at[0] == pytest.approx(lr0)
    # cos(pi/4): a constant, a linear decay or a step schedule would all miss this value
    assert at[total // 4] == pytest.approx(lr0 * (1 + 2 ** -0.5) / 2, rel=1e-5)
    assert at[total // 2] == pytest.approx(lr0 / 2, rel=1e-5)
    assert at[total] == pytest.approx(lr0 * settings.schedule.final_fraction, abs=1e-9)
    assert at[total - 1] < 1e-6


@pytest.mark.parametrize("model_name", ["Plain-20", "CNN-A2"])
def test_weight_decay_is_half_wd_times_the_kernels_squared_norm(model_name):
    """The L2 term in the model's losses covers exactly the kernels (not biases, not the
    batch-normalisation parameters), at wd/2, and the names returned are those kernels."""
    import keras
    import numpy as np

    from course_lib.models import build
    from course_lib.train.runner import apply_weight_decay

    wd = 5e-4
    model = build(model_name, input_shape=(32, 32, 3), num_classes=10, width_multiplier=0.25)
    names = apply_weight_decay(model, wd)
    kernels = [v for v in model.trainable_variables if v.path.rsplit("/", 1)[-1] == "kernel"]
    others = [v.path for v in model.trainable_variables if v.path.rsplit("/", 1)[-1] != "kernel"]
    assert kernels and others  # biases (and for Plain-20, gamma/beta) exist to be left alone
    assert sorted(names) == sorted(v.path for v in kernels)
    expected = wd / 2 * sum(float(np.sum(np.square(keras.ops.convert_to_numpy(v))))
                            for v in kernels)
    got = float(sum(keras.ops.convert_to_numpy(loss) for loss in model.losses))
    assert got == pytest.approx(expected, rel=1e-5)
    assert apply_weight_decay(model, 0.0) == []  # wd = 0: nothing added


@pytest.mark.realdata
@pytest.mark.slow
def test_the_record_names_the_decayed_kernels(tmp_path):
    import keras

    import course_lib.layers  # noqa: F401  (registers the custom layers for loading)
    from course_lib.train import run_model

    record = run_model("param-distribution", "CNN-A2", dataset="fashion_mnist32", budget="smoke",
                       results_dir=tmp_path, verbose=0)
    saved = keras.models.load_model(record["model_path"], compile=False)
    kernels = sorted(v.path for v in saved.trainable_variables
                     if v.path.rsplit("/", 1)[-1] == "kernel")
    assert sorted(record["config"]["weight_decay_variables"]) == kernels
    assert f"on {len(kernels)} kernels" in record["config"]["weight_decay_mode"]
