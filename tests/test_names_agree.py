"""One lookup for every name: whatever spelling one entry point accepts, the others accept too
(``core.Registry``'s rules: case, ``_``/space vs ``-``, aliases, close-name suggestions)."""

import pytest

from course_lib.train import get_budget, get_experiment, resolve
from course_lib.train.config import BUDGETS
from course_lib.train.experiments import EXPERIMENTS


def _spellings(name):
    return {name, name.upper(), name.lower(), name.replace("-", "_"), f"  {name} "}


def _dataset_spellings():
    from course_lib.data.loaders import _DATASETS  # noqa: PLC2701  (the registry under test)

    for key, canonical in list(_DATASETS._aliases.items()) + [(k, k) for k in _DATASETS._entries]:
        display = _DATASETS._entries[canonical][0]
        for spelling in _spellings(key):
            yield spelling, display


def test_every_dataset_spelling_is_accepted_by_load_the_runner_the_cli_and_the_tables(tmp_path):
    from course_lib import data
    from course_lib.analysis.tables import _dataset_key
    from course_lib.cli import _check_selection, build_parser
    from course_lib.train.runner import plan

    for spelling, display in _dataset_spellings():
        assert data.canonical(spelling) == display  # the lookup data.load uses
        run = plan("vgg-depth", "VGG-A-CIFAR", dataset=spelling, budget="smoke",
                   results_dir=tmp_path)
        assert run.settings.dataset == display and display in run.path.name
        args = build_parser().parse_args(["run", "vgg-depth", "--dataset", spelling])
        args.experiment_spec = get_experiment(args.experiment)
        _check_selection(args)
        if display in ("cifar10", "cifar100", "svhn"):
            assert _dataset_key(spelling) == display
    for entry in (data.canonical, lambda n: plan("vgg-depth", "VGG-A-CIFAR", dataset=n)):
        with pytest.raises(ValueError, match=r"Unknown dataset 'SVHM'\. Did you mean 'svhn'"):
            entry("SVHM")


def test_run_experiment_takes_any_dataset_spelling(tmp_path, monkeypatch):
    from course_lib.train import runner

    seen = []
    monkeypatch.setattr(runner, "run_model", lambda exp, label, **kw: seen.append(kw) or kw)
    runner.run_experiment("simpnet", models=["SimpNet-Slim-300K"], dataset="SVHN",
                          budget="QUICK", results_dir=tmp_path)
    assert seen[0]["dataset"] == "svhn" and seen[0]["budget"].name == "quick"


def test_experiment_model_and_budget_names_follow_the_same_rules():
    from course_lib import models
    from course_lib.cli import build_parser

    for name in EXPERIMENTS.names():
        for spelling in _spellings(name):
            assert get_experiment(spelling).name == name
            assert build_parser().parse_args(["report", spelling]).experiment == name
        exp = get_experiment(name)
        for label in exp.labels:
            for spelling in _spellings(label):
                assert exp.model(spelling).label == label
                assert resolve(exp, spelling, budget="smoke").label == label
    for name in BUDGETS.names():
        for spelling in _spellings(name):
            assert get_budget(spelling).name == name
            assert build_parser().parse_args(["run", "vgg-depth", "--budget", spelling]).budget == name
    for name in models.names():
        assert models.spec(name.upper().replace("-", "_")).name == name
    with pytest.raises(ValueError, match=r"Unknown model 'VGG-A-CIFR'\. Did you mean 'VGG-A-CIFAR'"):
        get_experiment("vgg-depth").model("VGG-A-CIFR")


def test_vgg_configurations_and_simpnet_architectures_use_the_registry():
    from course_lib.models import spec, vgg
    from course_lib.models.simpnet_archs import ARCHS
    from course_lib.models.vgg import VGG_CONFIGS, vgg_cifar

    for key in VGG_CONFIGS:
        for spelling in _spellings(key) | {f"VGG-{key}", f"vgg_{key.lower()}"}:
            assert vgg._resolve_config(spelling) == (key, VGG_CONFIGS[key])
            assert spec(f"{spelling.strip()}-cifar" if "vgg" in spelling.lower()
                        else f"VGG-{spelling.strip()}-CIFAR").name == f"VGG-{key}-CIFAR"
    with pytest.raises(ValueError, match=r"Unknown VGG configuration 'F'"):
        vgg_cifar(config="F")
    for name in ARCHS:
        assert ARCHS[name.lower()] is ARCHS[name] and spec(name.lower()).name == name
    with pytest.raises(ValueError, match=r"Unknown SimpNet architecture 'SimpNett'"):
        ARCHS["SimpNett"]
