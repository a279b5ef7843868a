"""Shipped records (course_lib/shipped_results): present, fresh, read instead of trained, and
true to what the runner gives when the run is trained again."""

import dataclasses
import json
import re
import statistics

import pytest

from course_lib.train import Budget, StaleShippedRecord, budget_plan, get_experiment
from course_lib.train.shipped import (
    MACHINE_KEYS, SHIPPED_DIR, portable_record, read_shipped_record, shipped_path, shipped_runs,
)
from course_lib.train import experiment_names
from repo_scripts import load_script


def _every_shipped_run():
    return [(name, budget, label, seed) for name in experiment_names()
            for budget in ("smoke", "quick", "full")
            for label, seed in shipped_runs(name, budget)]


def test_quick_budgets_ship_runs_and_verdict_pairs_have_three_seeds():
    runs = _every_shipped_run()
    assert runs, "no experiment ships a record"
    for name in ("param-distribution", "vgg-depth", "resnet-degradation", "simpnet-principles"):
        assert get_experiment(name).budget("quick").seeds >= 3, name


@pytest.mark.parametrize("name,budget,label,seed", _every_shipped_run(),
                         ids=lambda v: str(v))
def test_every_shipped_record_matches_the_current_definition(name, budget, label, seed,
                                                            monkeypatch):
    """A stale record (the experiment's recipe changed since it was trained) fails here."""
    monkeypatch.delenv("COURSE_LIB_SHIPPED_DIR", raising=False)
    from course_lib.train.runner import plan

    run = plan(name, label, dataset="fashion_mnist32", budget=budget, seed=seed)
    record = read_shipped_record(run)  # raises StaleShippedRecord when stale or missing
    assert record["shipped"] is True
    assert record["fingerprint"] == run.fingerprint
    assert (record["label"], record["seed"]) == (get_experiment(name).model(label).label, seed)
    raw = json.loads(shipped_path(name, label, seed, budget=budget).read_text())
    assert not set(MACHINE_KEYS) & set(raw), "a shipped record names this machine's files"
    paths = [(key, v) for key, v in _strings(raw)
             if key != "packbits_b64" and re.match(r"/[\w.-]+/", v)]  # not a device: /cpu:0
    assert not paths, f"a shipped record names the files of the machine that made it: {paths}"


def _strings(value, key=None):
    """(key, string) for every string in a JSON value, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def test_portable_record_drops_the_machine_paths_and_keeps_the_rest():
    record = {"_path": "/home/me/results/x.json", "model_path": "/home/me/results/x.keras",
              "test_error_pct": 12.5,
              "config": {"data_location": "/usr/share/datasets/fashion-mnist", "num_train": 20},
              "initialised_from": {"label": "VGG-A-CIFAR", "record": "/home/me/results/vgg-init/"
                                   "VGG-A-CIFAR__fashion_mnist32__quick.json", "layers": ["fc1"]}}
    clean = portable_record(record)
    assert clean == {"test_error_pct": 12.5, "config": {"num_train": 20},
                     "initialised_from": {"label": "VGG-A-CIFAR", "layers": ["fc1"], "record":
                                          "VGG-A-CIFAR__fashion_mnist32__quick.json"}}
    assert record["config"]["data_location"] and record["_path"]  # the run's own record is kept


def test_only_json_records_and_the_readme_are_shipped(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_SHIPPED_DIR", raising=False)
    files = [p for p in SHIPPED_DIR.rglob("*") if p.is_file()]
    assert all(p.suffix == ".json" or p.name == "README.md" for p in files), files
    wanted = {shipped_path(n, l, s, budget=b) for n, b, l, s in _every_shipped_run()}
    extra = {p for p in files if p.suffix == ".json"} - wanted
    assert not extra, f"records no budget ships any more: {sorted(map(str, extra))}"


def test_a_shipped_run_must_be_one_of_the_budgets_runs():
    exp = get_experiment("param-distribution")
    bad = dataclasses.replace(exp.budget("quick"), shipped=(("CNN-B1", 2),))
    with pytest.raises(ValueError, match="shipped.*CNN-B1"):
        dataclasses.replace(exp, budgets=(("quick", bad),))
    with pytest.raises(ValueError, match="seed"):
        Budget("quick", epochs=1, train_limit=None, test_limit=None, shipped=(("CNN-A1", "2"),))


def _tiny_experiment():
    """param-distribution with a smoke budget that ships CNN-A3's seed 1."""
    exp = get_experiment("param-distribution")
    smoke = Budget("smoke", epochs=1, train_limit=128, test_limit=64, batch_size=32,
                   width_multiplier=0.25, models=("CNN-A3",), seeds=2,
                   shipped=(("CNN-A3", 1),))
    return dataclasses.replace(exp, name="shipped-test", budgets=(("smoke", smoke),))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, monkeypatch_module):
    """The tiny experiment with its shipped record made by the shipping code, in a tmp folder."""
    shipped_dir = tmp_path_factory.mktemp("shipped")
    monkeypatch_module.setenv("COURSE_LIB_SHIPPED_DIR", str(shipped_dir))
    exp = _tiny_experiment()
    from course_lib.train.runner import run_model

    record = run_model(exp, "CNN-A3", dataset="fashion_mnist32", budget="smoke", seed=1,
                       results_dir=tmp_path_factory.mktemp("made"), live=False)
    clean = {k: v for k, v in record.items() if k not in MACHINE_KEYS}
    path = shipped_path(exp, "CNN-A3", 1, budget="smoke")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean))
    return exp, record, path


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_run_experiment_reads_the_shipped_run_and_trains_the_others(tiny, tmp_path, capsys):
    from course_lib.train import run_experiment

    exp, made, _ = tiny
    records = run_experiment(exp, dataset="fashion_mnist32", budget="smoke",
                             results_dir=tmp_path, live=False)
    by_seed = {r["seed"]: r for r in records}
    assert sorted(by_seed) == [0, 1]
    assert by_seed[1].get("shipped") is True and not by_seed[0].get("shipped")
    assert by_seed[1]["test_error_pct"] == made["test_error_pct"]
    assert "read from the kit's shipped record" in capsys.readouterr().out
    # nothing was trained or written for the shipped run
    assert not list(tmp_path.rglob("CNN-A3*seed1*.json"))
    plan = budget_plan(exp, "smoke", "fashion_mnist32")
    assert "CNN-A3 with seed 0" in plan and "reads 1 run" in plan and "seed 1" in plan


def test_shipped_train_trains_it_and_an_own_finished_run_wins(tiny, tmp_path):
    from course_lib.train import run_experiment

    exp, made, _ = tiny
    trained = run_experiment(exp, dataset="fashion_mnist32", budget="smoke", seeds=[1],
                             results_dir=tmp_path, live=False, shipped="train")
    assert not trained[0].get("shipped")
    # the user's own finished run is read back rather than the shipped one
    again = run_experiment(exp, dataset="fashion_mnist32", budget="smoke", seeds=[1],
                           results_dir=tmp_path, live=False)
    assert not again[0].get("shipped")
    with pytest.raises(ValueError, match="shipped"):
        run_experiment(exp, dataset="fashion_mnist32", budget="smoke", shipped="yes")


def test_a_stale_or_missing_shipped_record_stops_with_the_command(tiny, tmp_path):
    from course_lib.train import run_experiment

    exp, _, path = tiny
    saved = path.read_text()
    try:
        record = json.loads(saved)
        record["fingerprint"]["optimizer"]["learning_rate"] = 123.0
        path.write_text(json.dumps(record))
        with pytest.raises(StaleShippedRecord, match=r"stale.*optimizer\.learning_rate.*"
                                                     r"tools/ship_records\.py shipped-test"):
            run_experiment(exp, dataset="fashion_mnist32", budget="smoke", seeds=[1],
                           results_dir=tmp_path, live=False)
        path.unlink()
        with pytest.raises(StaleShippedRecord, match="ships no record"):
            run_experiment(exp, dataset="fashion_mnist32", budget="smoke", seeds=[1],
                           results_dir=tmp_path, live=False)
    finally:
        path.write_text(saved)


def _cheapest_shipped_record():
    from course_lib.train.results import load_record

    candidates = []
    for name, budget, label, seed in _every_shipped_run():
        record = load_record(shipped_path(name, label, seed, budget=budget))
        if record["test_error_pct"] < 50:  # not a run whose point is to fail (at chance)
            candidates.append((record["wall_time_s"], name, budget, label, seed, record))
    return min(candidates, key=lambda c: c[0])


#: The least spread allowed between a retrained run and its shipped record, in points of test
#: error. The same seed on another machine is one more random draw (CNN-A3 at quick, seed 0:
#: 14.55% on one 2-core machine, 13.12% on another; its two seeds on one machine 14.55 and
#: 13.33), so across machines a rerun is compared within the measured seed spread, not exactly.
SEED_SPREAD_FLOOR = 2.0


@pytest.mark.slow
def test_retraining_the_cheapest_shipped_record_gives_its_error(tmp_path, monkeypatch):
    """Retrain the cheapest shipped run (minutes at quick) with the runner and compare errors.

    On the machine that made it the run repeats exactly; elsewhere it is compared within the
    seed spread: the larger of SEED_SPREAD_FLOOR and three standard deviations of the model's
    shipped seeds.
    """
    from course_lib.train.results import load_record
    from course_lib.train.runner import run_model

    monkeypatch.delenv("COURSE_LIB_SHIPPED_DIR", raising=False)  # the kit's own records
    _, name, budget, label, seed, shipped = _cheapest_shipped_record()
    again = run_model(name, label, dataset="fashion_mnist32", budget=budget, seed=seed,
                      results_dir=tmp_path, live=False, save_model=False)
    assert again["fingerprint"] == shipped["fingerprint"]
    errors = [load_record(shipped_path(name, l, s, budget=budget))["test_error_pct"]
              for n, b, l, s in _every_shipped_run() if (n, b, l) == (name, budget, label)]
    spread = 3 * statistics.stdev(errors) if len(errors) > 1 else 0.0
    tolerance = max(SEED_SPREAD_FLOOR, spread)
    difference = abs(again["test_error_pct"] - shipped["test_error_pct"])
    print(f"{name} {label} seed {seed} ({budget}): shipped {shipped['test_error_pct']:.2f}%, "
          f"retrained {again['test_error_pct']:.2f}% (difference {difference:.2f}, "
          f"tolerance {tolerance:.2f})")
    assert difference <= tolerance


def _ship_records_tool():
    return load_script("tools/ship_records.py")


def test_ship_records_keeps_an_up_to_date_record_and_remakes_a_stale_one(tiny, tmp_path,
                                                                        capsys):
    """Shipping again on another machine must not replace a fresh record by another draw."""
    tool = _ship_records_tool()
    exp, _, path = tiny
    saved = path.read_text()
    assert tool._up_to_date(exp, "CNN-A3", 1, "smoke", str(tmp_path))
    assert tool.ship(exp, "smoke", str(tmp_path)) == []
    assert "up to date, kept: shipped-test CNN-A3 seed 1" in capsys.readouterr().out
    assert path.read_text() == saved
    try:
        record = json.loads(saved)
        record["fingerprint"]["settings"]["epochs"] = 99
        path.write_text(json.dumps(record))
        assert not tool._up_to_date(exp, "CNN-A3", 1, "smoke", str(tmp_path))
        # not trained, nothing finished in the folder: not shipped, and said so
        assert tool.ship(exp, "smoke", str(tmp_path), train=False) == []
        assert "not finished, not shipped: shipped-test CNN-A3 seed 1" in capsys.readouterr().out
    finally:
        path.write_text(saved)


#: Fashion-MNIST's human line: a crowd of non-expert humans reached 83.5% accuracy
#: (https://github.com/zalandoresearch/fashion-mnist, README).
from course_lib.data import FASHION_MNIST_HUMAN_ERROR as HUMAN_ERROR  # noqa: E402


@pytest.mark.parametrize("name,budget,label,seed", _every_shipped_run(),
                         ids=lambda v: str(v))
def test_shipped_quick_models_beat_the_human_line_unless_meant_to_fail(name, budget, label,
                                                                       seed, monkeypatch):
    """Every quick model ends at or below 16.5% test error on the full test set; a run whose
    point is to fail (``Budget.meant_to_fail``) must indeed end above it."""
    monkeypatch.delenv("COURSE_LIB_SHIPPED_DIR", raising=False)
    from course_lib.train.results import load_record

    record = load_record(shipped_path(name, label, seed, budget=budget))
    assert record["config"]["num_test"] == 10000, "scored on the full test set"
    if label in get_experiment(name).budget(budget).meant_to_fail:
        assert record["test_error_pct"] > HUMAN_ERROR, (
            f"{label} is declared meant to fail but learned: {record['test_error_pct']:.2f}%")
    else:
        assert record["test_error_pct"] <= HUMAN_ERROR, (
            f"{name} {label} seed {seed}: {record['test_error_pct']:.2f}% test error, above "
            f"the human line ({HUMAN_ERROR}%)")


def test_a_shipped_run_that_starts_from_a_shipped_run_is_read_and_not_trained(tmp_path,
                                                                             monkeypatch):
    """vgg-init at quick ships E-from-A seed 1 and A seed 1: reading the first needs only the
    second's fingerprint; training it needs A's saved model, which a shipped record lacks."""
    from course_lib.train import ModelRun, run_experiment
    from course_lib.train.runner import run_model

    base = get_experiment("param-distribution")
    smoke = Budget("smoke", epochs=1, train_limit=128, test_limit=64, batch_size=32,
                   width_multiplier=0.25, models=("CNN-A3", "A3-fromA3"), seeds=2,
                   shipped=(("CNN-A3", 1), ("A3-fromA3", 1)))
    exp = dataclasses.replace(base, name="shipped-chain", budgets=(("smoke", smoke),), models=(
        ModelRun("CNN-A3"), ModelRun("CNN-A3", label="A3-fromA3", init_from="CNN-A3",
                                     init_layers=("conv1",))))
    shipped_dir = tmp_path / "shipped"
    monkeypatch.setenv("COURSE_LIB_SHIPPED_DIR", str(shipped_dir))
    for label in ("CNN-A3", "A3-fromA3"):  # made as tools/ship_records.py makes them
        record = run_model(exp, label, dataset="fashion_mnist32", budget="smoke", seed=1,
                           results_dir=tmp_path / "made", live=False)
        path = shipped_path(exp, label, 1, budget="smoke")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in record.items() if k not in MACHINE_KEYS}))
    fresh = tmp_path / "fresh"
    read = run_experiment(exp, dataset="fashion_mnist32", budget="smoke", seeds=[1],
                          results_dir=fresh, live=False)
    assert [(r["label"], r.get("shipped")) for r in read] == [("CNN-A3", True),
                                                              ("A3-fromA3", True)]
    assert not list(fresh.rglob("*.json")), "nothing was trained"
    with pytest.raises(ValueError, match=r"starts from the trained 'CNN-A3'.*shipped record "
                                         r"holds no model"):
        run_model(exp, "A3-fromA3", dataset="fashion_mnist32", budget="smoke", seed=1,
                  results_dir=fresh, live=False)
