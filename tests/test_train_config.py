"""Experiments as data: budgets, settings resolution, the registry."""

import dataclasses

import pytest

from course_lib.train import config
from course_lib.train.config import (
    BUDGETS,
    Budget,
    EvalConfig,
    Experiment,
    ModelRun,
    OptimizerConfig,
    ScheduleConfig,
    SourceRef,
    get_budget,
    resolve,
)
from course_lib.train.experiments import EXPERIMENTS, experiment_names, get_experiment


def _experiment(**changes):
    base = dict(
        name="toy", title="toy", source=SourceRef("000", "Table 1"),
        models=(ModelRun("CNN-A2"), ModelRun("CNN-A2", {"dropout": 0.0}, label="CNN-A2-nodrop")),
        datasets=("cifar10", "svhn"), optimizer=OptimizerConfig(), schedule=ScheduleConfig(),
        epochs=50, batch_size=128, seed=7, augment=True, no_augment=("svhn",),
        svhn_extra=True,
    )
    base.update(changes)
    return Experiment(**base)


def test_experiment_is_frozen_and_hashable():
    exp = _experiment()
    with pytest.raises(dataclasses.FrozenInstanceError):
        exp.epochs = 3
    assert hash(exp) == hash(_experiment())
    assert exp.model("cnn-a2-NODROP").kwargs == {"dropout": 0.0}


def test_model_overrides_are_frozen_and_lists_become_tuples():
    run = ModelRun("CNN-A2", {"widths": [1, 2, 3, 4, 5]})
    assert run.overrides == (("widths", (1, 2, 3, 4, 5)),)
    hash(run)


@pytest.mark.parametrize("label", ["a b", "x/y", "é"])
def test_model_label_must_be_file_safe(label):
    with pytest.raises(ValueError, match="label"):
        ModelRun("CNN-A2", label=label)


def test_duplicate_labels_rejected():
    with pytest.raises(ValueError, match="same label"):
        _experiment(models=(ModelRun("CNN-A2"), ModelRun("cnn-a2")))


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: OptimizerConfig(learning_rate=0), "learning_rate"),
        (lambda: OptimizerConfig(momentum=1.0), "momentum"),
        (lambda: OptimizerConfig(name="adam"), "name"),
        (lambda: ScheduleConfig("step", boundaries=(0.75, 0.5)), "boundaries"),
        (lambda: ScheduleConfig("step", boundaries=(1.5,)), "boundaries"),
        (lambda: ScheduleConfig("linear"), "kind"),
        (lambda: EvalConfig(modes=("tencrop",)), "modes"),
        (lambda: Budget("x", epochs=0, train_limit=None, test_limit=None), "epochs"),
        (lambda: Budget("x", epochs=1, train_limit=None, test_limit=None, width_multiplier=0.0),
         "width_multiplier"),
        (lambda: _experiment(epochs=0), "epochs"),
        (lambda: _experiment(seed=-1), "seed"),
    ],
)
def test_bad_values_name_the_argument(factory, message):
    with pytest.raises(ValueError, match=message) as info:
        factory()
    assert "Received" in str(info.value)


def test_step_boundaries_scale_with_the_run():
    sched = ScheduleConfig("step", boundaries=(0.5, 0.75))
    assert sched.step_boundaries(400) == [200, 300]
    assert sched.step_boundaries(3) == [2, 3]  # 1.5 -> 2, 2.25 -> 2 made strictly increasing
    assert sched.step_boundaries(1) == [1, 2]


def test_resolve_applies_budget_and_overrides():
    exp = _experiment()
    full = resolve(exp, "CNN-A2", budget="full")
    assert (full.epochs, full.batch_size, full.train_limit) == (50, 128, None)
    assert full.width_multiplier == 1.0
    assert full.dataset == "cifar10" and full.augment and full.seed == 7
    smoke = resolve(exp, "CNN-A2-nodrop", budget="smoke", dataset="svhn", epochs=3, seed=1)
    assert smoke.epochs == 3 and smoke.seed == 1
    assert smoke.batch_size == min(BUDGETS["smoke"].batch_size, 128)
    assert smoke.train_limit == BUDGETS["smoke"].train_limit
    assert smoke.augment is False  # svhn is in no_augment
    assert smoke.label == "CNN-A2-nodrop" and smoke.model == "CNN-A2"
    assert smoke.to_dict()["overrides"] == {"dropout": 0.0}


def test_resolve_rejects_unknown_model_and_budget():
    exp = _experiment()
    with pytest.raises(ValueError, match="not part of experiment"):
        resolve(exp, "VGG-D", budget="smoke")
    with pytest.raises(ValueError, match="Unknown budget"):
        get_budget("huge")
    assert get_budget(BUDGETS["quick"]) is BUDGETS["quick"]


def test_budgets_shrink_monotonically():
    smoke, quick, full = BUDGETS["smoke"], BUDGETS["quick"], BUDGETS["full"]
    assert smoke.epochs <= quick.epochs and full.epochs is None
    assert smoke.train_limit < quick.train_limit and full.train_limit is None
    assert full.width_multiplier == 1.0


def test_registry_has_the_five_experiments_tied_to_sources():
    assert experiment_names() == [
        "param-distribution", "vgg-depth", "vgg-init", "simpnet-principles", "simpnet",
        "resnet-degradation",
    ]
    seeds = {name: EXPERIMENTS[name].source.seed for name in EXPERIMENTS}
    assert seeds == {"param-distribution": "000", "vgg-depth": "001", "vgg-init": "001",
                     "simpnet-principles": "002", "simpnet": "002", "resnet-degradation": "004"}
    assert get_experiment("Param_Distribution").name == "param-distribution"
    with pytest.raises(ValueError, match="Did you mean 'vgg-depth'"):
        get_experiment("vgg-deep")


def test_registry_models_exist_in_the_zoo_with_the_right_family():
    from course_lib import models

    families = {
        "param-distribution": "param-distribution",
        "vgg-depth": "vgg-cifar",
        "vgg-init": "vgg-cifar",
        "resnet-degradation": "resnet",
    }
    for exp in EXPERIMENTS.values():
        for run in exp.models:
            spec = models.spec(run.name)  # raises for an unknown name
            if exp.name in families:
                assert spec.family == families[exp.name], run.name
    # every principle network of the zoo is part of simpnet-principles
    principles = {m.name for m in EXPERIMENTS["simpnet-principles"].models}
    assert set(models.names(family="simpnet-principles")) <= principles
    assert set(models.names(family="simpnet")) == {m.name for m in EXPERIMENTS["simpnet"].models}
    assert len(EXPERIMENTS["param-distribution"].models) == 12


def test_registry_datasets_are_loadable_names():
    from course_lib.data import names

    for exp in EXPERIMENTS.values():
        assert set(exp.datasets) <= set(names()), exp.name


def test_sources_optimisers_as_printed():
    vgg = EXPERIMENTS["vgg-depth"]  # seed 001 section 3.1
    assert (vgg.batch_size, vgg.optimizer.momentum, vgg.optimizer.weight_decay,
            vgg.optimizer.learning_rate, vgg.epochs) == (256, 0.9, 5e-4, 0.01, 74)
    assert len(vgg.schedule.boundaries) == 3 and vgg.schedule.factor == 0.1
    res = EXPERIMENTS["resnet-degradation"]  # He et al. 4.2
    assert (res.batch_size, res.optimizer.learning_rate) == (128, 0.1)
    assert res.optimizer.weight_decay == 1e-4
    assert res.schedule.boundaries == (0.5, 0.75)
    assert EXPERIMENTS["param-distribution"].augment is False  # seed 000: no augmentation
    assert set(EXPERIMENTS["simpnet"].no_augment) == {"mnist", "svhn"}  # seed 002 5.C
    assert vgg.evaluation.modes == ("single_crop", "multi_crop", "dense", "multi_crop_dense")
    assert vgg.evaluation.dense_scales == (32, 36)  # seed 001 4.2: Q near the training S


def test_config_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, course_lib.train, course_lib.train.experiments; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_config_exports():
    assert set(config.__all__) >= {"Budget", "Experiment", "resolve", "BUDGETS"}


def test_an_experiment_can_redefine_a_budget():
    quick = Budget("quick", epochs=2, train_limit=100, test_limit=50, width_multiplier=0.25)
    exp = _experiment(budgets=(("quick", quick),))
    assert exp.budget("quick") is quick and exp.budget("smoke") is BUDGETS["smoke"]
    settings = resolve(exp, "CNN-A2", budget="quick")
    assert (settings.epochs, settings.train_limit, settings.width_multiplier) == (2, 100, 0.25)
    with pytest.raises(ValueError, match="budgets"):
        _experiment(budgets=(("fast", quick),))
    with pytest.raises(ValueError, match="budgets"):
        _experiment(budgets=(("smoke", quick),))  # Budget.name must match
    pd_quick = EXPERIMENTS["param-distribution"].budget("quick")
    assert pd_quick.width_multiplier == 0.25 and pd_quick.seeds == 3  # a verdict needs 3


# ---------------------------------------------------------------------------------------------
# the quick budgets: schedule, model sets, seeds, budget overrides, initialisation from a run
# ---------------------------------------------------------------------------------------------
def test_warmup_cosine_schedule_is_validated_and_sized_by_the_run():
    sched = ScheduleConfig("cosine", warmup_fraction=0.1)
    assert sched.warmup_steps(750) == 75
    assert sched.warmup_steps(3) == 1 and sched.warmup_steps(1) == 0  # tiny runs stay valid
    assert ScheduleConfig("cosine").warmup_steps(750) == 0
    for bad, message in [(dict(kind="cosine", warmup_fraction=1.0), "warmup_fraction"),
                         (dict(kind="cosine", warmup_fraction=-0.1), "warmup_fraction"),
                         (dict(kind="step", warmup_fraction=0.1), "cosine schedule only")]:
        with pytest.raises(ValueError, match=message) as info:
            ScheduleConfig(**bad)
        assert "Received" in str(info.value)


def test_warmup_cosine_learning_rate_values():
    pytest.importorskip("keras")
    from course_lib.train.runner import _learning_rate

    settings = resolve(get_experiment("param-distribution"), "CNN-A1", budget="quick")
    assert settings.optimizer.learning_rate == 0.05  # the budget's, not the source's 0.01
    assert get_experiment("param-distribution").optimizer.learning_rate == 0.01
    schedule = _learning_rate(settings, 1000)
    lr = [float(schedule(step)) for step in (0, 50, 100, 550, 1000)]
    assert lr[0] == 0.0 and lr[1] == pytest.approx(0.025) and lr[2] == pytest.approx(0.05)
    assert lr[3] == pytest.approx(0.025, rel=1e-4)  # half-way through the cosine part
    assert lr[4] == pytest.approx(0.0, abs=1e-9)
    full = resolve(get_experiment("param-distribution"), "CNN-A1", budget="full")
    assert full.schedule.kind == "step" and full.optimizer.learning_rate == 0.01


def test_budget_fields_are_validated():
    for kwargs, message in [(dict(seeds=0), "seeds"), (dict(learning_rate=0.0), "learning_rate"),
                            (dict(models=()), "models"), (dict(schedule="cosine"), "schedule")]:
        with pytest.raises(ValueError, match=message) as info:
            Budget("quick", epochs=1, train_limit=None, test_limit=None, **kwargs)
        assert "Received" in str(info.value)
    assert Budget("quick", 1, None, None, models="CNN-A2").models == ("CNN-A2",)
    with pytest.raises(ValueError, match="labels of its model runs"):
        _experiment(budgets=(("quick", Budget("quick", 1, None, None, models=("VGG-Z",))),))


def test_default_models_and_seeds_follow_the_budget():
    quick = Budget("quick", 1, None, None, models=("cnn-a2-nodrop",), seeds=3)
    exp = _experiment(budgets=(("quick", quick),))
    assert exp.default_models("quick") == ["CNN-A2-nodrop"]
    assert exp.default_models("smoke") == ["CNN-A2", "CNN-A2-nodrop"]
    assert exp.seeds("quick") == [7, 8, 9] and exp.seeds("smoke") == [7]
    # a run initialised from another brings that run along, trained first
    init = _experiment(models=(ModelRun("CNN-A2"), ModelRun("CNN-A3", label="A3-fromA2",
                                                             init_from="CNN-A2",
                                                             init_layers=("conv1",))),
                       budgets=(("quick", Budget("quick", 1, None, None,
                                                 models=("A3-fromA2",))),))
    assert init.default_models("quick") == ["CNN-A2", "A3-fromA2"]
    assert init.trained_models("quick") == ["CNN-A2", "A3-fromA2"]  # nothing shipped
    settings = resolve(init, "A3-fromA2", budget="quick")
    assert settings.init_from == "CNN-A2" and settings.init_layers == ("conv1",)


def test_trained_models_leave_out_the_runs_read_from_shipped_records():
    quick = Budget("quick", 1, None, None, models=("CNN-A2", "CNN-A2-nodrop"), seeds=2,
                   shipped=(("CNN-A2", 8), ("CNN-A2-nodrop", 7), ("CNN-A2-nodrop", 8)))
    exp = _experiment(budgets=(("quick", quick),))
    assert exp.default_models("quick") == ["CNN-A2", "CNN-A2-nodrop"]
    assert exp.trained_models("quick") == ["CNN-A2"]  # CNN-A2-nodrop: both seeds shipped
    # labels as a budget may spell them (the registry's rules): the same runs
    lower = Budget("quick", 1, None, None, models=("cnn-a2", "cnn-a2-nodrop"), seeds=2,
                   shipped=(("cnn-a2", 8), ("cnn-a2-nodrop", 7), ("cnn-a2-nodrop", 8)))
    spelt = _experiment(budgets=(("quick", lower),))
    assert spelt.shipped_runs("quick") == [("CNN-A2", 8), ("CNN-A2-nodrop", 7),
                                           ("CNN-A2-nodrop", 8)]
    assert spelt.trained_models("quick") == ["CNN-A2"]
    from course_lib.train import get_experiment

    vgg = get_experiment("vgg-depth")
    assert vgg.trained_models("quick") == ["VGG-A-CIFAR", "VGG-E-CIFAR"]
    assert len(vgg.default_models("quick")) == 6


def test_split_runs_partitions_the_budgets_runs_into_trained_and_read():
    quick = Budget("quick", 1, None, None, models=("CNN-A2", "CNN-A2-nodrop"), seeds=2,
                   shipped=(("CNN-A2", 8), ("cnn-a2-nodrop", 7)))
    exp = _experiment(budgets=(("quick", quick),))
    trained, read = exp.split_runs("quick")
    assert trained == [("CNN-A2", 7), ("CNN-A2-nodrop", 8)]
    assert read == [("CNN-A2", 8), ("CNN-A2-nodrop", 7)]
    # narrowed as run_experiment narrows: a model and seeds of the caller's choice
    assert exp.split_runs("quick", ["cnn-a2"], [8, 9]) == ([("CNN-A2", 9)], [("CNN-A2", 8)])
    assert exp.split_runs("smoke") == ([("CNN-A2", 7), ("CNN-A2-nodrop", 7)], [])


def test_meant_to_fail_names_models_of_the_default_set():
    assert Budget("quick", 1, None, None, meant_to_fail="CNN-A2").meant_to_fail == ("CNN-A2",)
    with pytest.raises(ValueError, match="meant_to_fail.*Received"):
        Budget("quick", 1, None, None, meant_to_fail=("",))
    with pytest.raises(ValueError, match="meant_to_fail.*CNN-A2-nodrop.*not among them"):
        _experiment(budgets=(("quick", Budget("quick", 1, None, None, models=("CNN-A2",),
                                              meant_to_fail=("CNN-A2-nodrop",))),))


def test_model_epochs_give_a_model_its_own_epochs_and_are_validated():
    quick = Budget("quick", 3, None, None, models=("CNN-A2", "CNN-A2-nodrop"),
                   model_epochs={"cnn-a2-nodrop": 5})
    assert quick.model_epochs == (("cnn-a2-nodrop", 5),)
    exp = _experiment(budgets=(("quick", quick),))
    # a label is matched however the budget spells it; the others keep the budget's epochs
    assert exp.run_epochs("quick", "CNN-A2-nodrop") == 5
    assert exp.run_epochs("quick", "CNN-A2") == 3
    assert resolve(exp, "CNN-A2-nodrop", budget="quick").epochs == 5
    assert resolve(exp, "CNN-A2-nodrop", budget="quick", epochs=2).epochs == 2  # the caller's
    assert resolve(exp, "CNN-A2-nodrop", budget="smoke").epochs == 1  # another budget's
    for bad in ({"CNN-A2": 0}, (("CNN-A2", 2.5),), (("", 3),), (("CNN-A2", 3), ("cnn-a2", 4)),
                ("CNN-A2",)):
        with pytest.raises(ValueError, match="model_epochs.*Received"):
            Budget("quick", 1, None, None, model_epochs=bad)
    with pytest.raises(ValueError, match="model_epochs.*CNN-A2-nodrop.*not among them"):
        _experiment(budgets=(("quick", Budget("quick", 1, None, None, models=("CNN-A2",),
                                              model_epochs={"CNN-A2-nodrop": 2})),))


def test_quick_rcnns_train_longer_and_the_texts_say_so():
    from course_lib.train import budget_plan

    exp = get_experiment("param-distribution")
    quick = exp.budget("quick")
    assert [exp.run_epochs(quick, m) for m in ("CNN-A1", "RCNN-A1", "RCNN-A3")] == [6, 8, 8]
    assert quick.description.endswith("; RCNN-A1, RCNN-A3: 8 epochs")
    plan = budget_plan(exp, "quick", "fashion_mnist32")
    assert "(4 runs: 6 epochs on" in plan and "(RCNN-A1 and RCNN-A3: 8 epochs)" in plan
    only = budget_plan(exp, "quick", "fashion_mnist32", models=["RCNN-A1"], )
    assert "(RCNN-A1: 8 epochs)" in only


def test_init_from_is_validated():
    with pytest.raises(ValueError, match="go together"):
        ModelRun("VGG-E-CIFAR", init_from="VGG-A-CIFAR")
    with pytest.raises(ValueError, match="another model run"):
        ModelRun("VGG-E-CIFAR", init_from="VGG-E-CIFAR", init_layers=("fc1",))
    with pytest.raises(ValueError, match="init_from"):
        _experiment(models=(ModelRun("CNN-A2", label="x", init_from="nowhere",
                                     init_layers=("fc",)),))


def test_mapping_overrides_are_frozen_and_given_back_as_dicts():
    import json

    init = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.01}}
    run = ModelRun("VGG-E-CIFAR", {"kernel_initializer": init}, label="E-normal")
    hash(run)
    assert run.kwargs == {"kernel_initializer": init}
    exp = get_experiment("vgg-init")
    settings = resolve(exp, "VGG-E-normal", budget="quick")
    as_dict = settings.to_dict()
    # the run's own start wins over the budget's he_normal; the budget adds dropout 0
    assert as_dict["overrides"] == {"kernel_initializer": init, "dropout": 0.0}
    assert json.loads(json.dumps(as_dict)) == as_dict  # a record's fingerprint round-trips
    assert resolve(exp, "VGG-E-normal", budget="full").to_dict()["overrides"] == {
        "kernel_initializer": init}  # full has no budget overrides


def test_every_quick_budget_is_the_learning_recipe():
    for exp in EXPERIMENTS.values():
        quick = exp.budget("quick")
        assert quick is not BUDGETS["quick"], exp.name  # each experiment sizes its own
        assert quick.test_limit is None, exp.name  # the whole test set
        assert quick.schedule.kind == "cosine" and quick.schedule.warmup_fraction > 0
        # every experiment compares models; vgg-init's quick budget trains one seed (a start
        # that stalls at chance against one that learns: its verdict says "too few seeds")
        assert quick.seeds >= (1 if exp.name == "vgg-init" else 2), exp.name
        assert quick.train_limit <= 20000  # what the shipped subset holds
        assert quick.models and set(quick.models) <= set(exp.labels)
        assert "Quick" in exp.notes, exp.name  # says what quick changes and why


@pytest.mark.parametrize("name", experiment_names())
def test_models_of_a_claimed_ordering_train_for_the_same_epochs(name):
    # Budget.model_epochs may lengthen a family that learns slowly, but never one side of a
    # comparison: a verdict between runs of unequal length would judge the recipe.
    from course_lib.train.reporting import claimed_orderings

    exp = get_experiment(name)
    for budget in ("smoke", "quick"):
        default = set(exp.default_models(budget))
        for claim, lower, higher, _ in claimed_orderings(name):
            if lower in default and higher in default:
                assert exp.run_epochs(budget, lower) == exp.run_epochs(budget, higher), claim
