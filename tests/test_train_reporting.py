"""Reports: paper-vs-ours tables and PNG figures from real smoke records; bad records skipped."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # figures are written to files; no display needed

REPO = Path(__file__).resolve().parents[1]
MODELS = ["CNN-A1", "CNN-A2", "CNN-A3"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from course_lib.train import run_experiment

    out = tmp_path_factory.mktemp("results")
    run_experiment("param-distribution", models=MODELS, dataset="fashion_mnist32",
                   budget="smoke", results_dir=out, verbose=0)
    return out


def test_paper_numbers_come_from_the_sources():
    from course_lib.analysis import load_table
    from course_lib.train.reporting import paper_numbers

    seed000 = paper_numbers("param-distribution")
    assert len(seed000) == 36 and set(seed000["dataset"]) == {"cifar10", "cifar100", "svhn"}
    table = load_table("seed000_param_distribution")
    row = table[(table.model == "RCNN-B3") & (table.dataset == "svhn")]
    got = seed000[(seed000.model == "RCNN-B3") & (seed000.dataset == "svhn")]
    assert got["paper_error_pct"].item() == row["test_error_pct"].item() == 1.73
    assert got["source"].item().startswith("seed 000")

    vgg = paper_numbers("vgg-depth")
    single = vgg[vgg.metric.str.contains("S=Q=256")]
    assert sorted(single.model) == sorted(f"VGG-{c}-CIFAR" for c in
                                          ("A", "A-LRN", "B", "C", "D", "E"))
    assert single.set_index("model").loc["VGG-A-CIFAR", "paper_error_pct"] == 29.4
    assert (vgg.dataset == "imagenet").all()  # never presented as CIFAR numbers

    principles = paper_numbers("simpnet-principles")
    arch3 = principles.set_index("model").loc["Arch3-pool-L7"]
    assert arch3["paper_error_pct"] == pytest.approx(100 - 79.44)
    assert "accuracy" in arch3["metric"]
    assert paper_numbers("resnet-degradation").empty  # fig. 3.8 prints curves, no table


def test_report_table_puts_ours_beside_the_paper(results, capsys):
    import json

    from course_lib.train import report

    rep = report("param-distribution", results_dir=results, figures=False)
    out = capsys.readouterr().out
    assert list(rep.table["label"]) == MODELS
    for _, row in rep.table.iterrows():
        record = json.loads((results / "param-distribution" /
                             f"{row['label']}__fashion_mnist32__smoke.json").read_text())
        assert row["test error %"] == record["test_error_pct"]
        assert row["low (M)"] == record["params"]["low"] / 1e6
    paper = rep.table.set_index("label")
    assert paper.loc["CNN-A1", "paper cifar10 %"] == 11.19
    assert paper.loc["CNN-A3", "paper cifar100 %"] == 33.79
    assert "paper cifar10 %" in out and "not ours" in out
    assert "narrowed by the budget" in out
    assert "CNN-A: ours" in out and "X3 < X1" in out


def test_report_renders_pngs_and_skips_corrupt_records(results):
    from PIL import Image

    from course_lib.train import CorruptRecordWarning, report

    folder = results / "param-distribution"
    (folder / "CNN-B1__fashion_mnist32__smoke.json").write_text('{"schema": 1, "exp')
    (folder / "CNN-B2__fashion_mnist32__smoke.json").write_text('{"schema": 1}')
    try:
        with pytest.warns(CorruptRecordWarning) as caught:
            rep = report("param-distribution", results_dir=results, verbose=False)
    finally:
        for name in ("CNN-B1", "CNN-B2"):
            (folder / f"{name}__fashion_mnist32__smoke.json").unlink()
    assert len(caught) == 2
    assert list(rep.table["label"]) == MODELS
    names = sorted(p.name for p in rep.figures)
    assert names == sorted(f"fashion_mnist32__smoke__{kind}.png" for kind in
                           ("error_by_model", "params_vs_error", "training_curves"))
    for path in rep.figures:
        assert path.parent == folder / "figures"
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size[0] > 300 and image.size[1] > 200
    assert not list((folder / "figures").glob(".*"))  # no temporary left behind


def test_report_command_line(results):
    (results / "param-distribution" / "broken__fashion_mnist32__smoke.json").write_text("{")
    try:
        out = subprocess.run(
            [sys.executable, "-m", "course_lib", "report", "param-distribution",
             "--results-dir", str(results), "--budget", "smoke", "--no-figures"],
            cwd=REPO, capture_output=True, text=True, timeout=300,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
    finally:
        (results / "param-distribution" / "broken__fashion_mnist32__smoke.json").unlink()
    assert out.returncode == 0, out.stderr
    assert "CNN-A2" in out.stdout and "paper cifar10 %" in out.stdout
    warning_lines = [l for l in out.stderr.splitlines() if l.startswith("warning:")]
    assert len(warning_lines) == 1 and "broken__fashion_mnist32__smoke.json" in warning_lines[0]
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------------------------------------
# seeds: mean and spread, and whether a claimed ordering's gap exceeds the spread
# ---------------------------------------------------------------------------------------------
def _frame(errors: dict) -> "pd.DataFrame":
    rows = [{"dataset": "fashion_mnist32", "budget": "quick", "label": label, "seed": seed,
             "test error %": test, "train error %": test - 1.0}
            for label, values in errors.items() for seed, test in enumerate(values)]
    return pd.DataFrame(rows)


def test_seed_summary_gives_mean_and_spread():
    import statistics

    from course_lib.train.reporting import seed_summary

    summary = seed_summary(_frame({"CNN-A1": [15.0, 16.0, 17.5], "CNN-A3": [14.0]}))
    a1 = summary.set_index("label").loc["CNN-A1"]
    assert a1["seeds"] == 3 and a1["test mean %"] == pytest.approx(16.166666666)
    assert a1["test std %"] == pytest.approx(statistics.stdev([15.0, 16.0, 17.5]))
    assert (a1["test min %"], a1["test max %"]) == (15.0, 17.5)
    assert a1["train mean %"] == pytest.approx(15.166666666)
    a3 = summary.set_index("label").loc["CNN-A3"]
    assert a3["seeds"] == 1 and pd.isna(a3["test std %"]) and a3["test mean %"] == 14.0
    assert list(summary["label"]) == ["CNN-A1", "CNN-A3"]  # first-seen order


@pytest.mark.parametrize(
    "lower, higher, holds, exceeds, words",
    [
        ([14.0, 14.5], [15.0, 15.2], True, True, "exceeds the spread"),
        ([14.0, 15.1], [15.0, 15.2], True, False, "within the spread"),
        ([15.0, 15.6], [15.1, 15.2], False, False, "within the spread"),
        ([16.0, 16.5], [15.0, 15.2], False, True, "reversed, beyond the spread"),
        ([14.0], [15.0, 15.2], True, None, "one seed"),
    ],
)
def test_compare_ordering_judges_the_gap_against_the_spread(lower, higher, holds, exceeds, words):
    from course_lib.train.reporting import compare_ordering, seed_summary

    summary = seed_summary(_frame({"lo": lower, "hi": higher})).set_index("label")
    out = compare_ordering(summary.loc["lo"], summary.loc["hi"])
    assert out["holds"] is holds and out["exceeds spread"] is exceeds
    assert out["gap"] == pytest.approx(sum(higher) / len(higher) - sum(lower) / len(lower))
    assert words in out["verdict"]


def test_claimed_orderings_only_name_models_of_the_experiment():
    from course_lib.train import EXPERIMENTS
    from course_lib.train.reporting import claimed_orderings

    assert ("CNN-A3", "CNN-A1") in {(o[1], o[2]) for o in claimed_orderings("param-distribution")}
    for name, exp in EXPERIMENTS.items():
        for claim, lower, higher, split in claimed_orderings(name):
            assert {lower, higher} <= set(exp.labels) and split in ("test", "train")
    # every quick run of an experiment with claims can check at least one of them
    for name in ("param-distribution", "vgg-depth", "vgg-init", "resnet-degradation",
                 "simpnet-principles"):
        quick = set(EXPERIMENTS[name].default_models("quick"))
        assert any({o[1], o[2]} <= quick for o in claimed_orderings(name)), name


def test_report_gives_mean_spread_and_ordering_verdicts(tmp_path, capsys):
    import json
    import shutil

    from course_lib.train import report, run_experiment

    out = tmp_path / "results"
    run_experiment("param-distribution", models=["CNN-A1", "CNN-A3"], seeds=[0, 1],
                   dataset="fashion_mnist32", budget="smoke", results_dir=out, verbose=0)
    folder = out / "param-distribution"
    names = sorted(p.name for p in folder.glob("*.json"))
    assert names == ["CNN-A1__fashion_mnist32__smoke.json",
                     "CNN-A1__fashion_mnist32__smoke__seed1.json",
                     "CNN-A3__fashion_mnist32__smoke.json",
                     "CNN-A3__fashion_mnist32__smoke__seed1.json"]
    rep = report("param-distribution", results_dir=out, figures=False)
    text = capsys.readouterr().out
    errors = {}
    for name in names:
        record = json.loads((folder / name).read_text())
        errors.setdefault(record["label"], []).append(record["test_error_pct"])
        assert record["seed"] == (1 if "seed1" in name else 0)
    summary = rep.summary.set_index("label")
    for label, values in errors.items():
        assert summary.loc[label, "seeds"] == 2
        assert summary.loc[label, "test mean %"] == pytest.approx(sum(values) / 2)
    (row,) = rep.orderings[rep.orderings["lower"] == "CNN-A3"].to_dict("records")
    assert row["higher"] == "CNN-A1" and row["seeds"] == 2
    assert row["verdict"] in text and "mean and spread over seeds" in text
    shutil.rmtree(out)


def test_simpnet_claimed_orderings_agree_with_the_printed_accuracies():
    """A claimed ordering (lower test error first) must be the one the source prints: SimpNet's
    tables print accuracy, so the lower-error model is the one with the higher printed number."""
    from course_lib.models.simpnet_archs import PAPER_RESULTS
    from course_lib.train.reporting import claimed_orderings

    printed = {}
    for row in PAPER_RESULTS:  # the first printed CIFAR-10 accuracy of each zoo model
        if row.dataset == "cifar10" and row.zoo_name and row.accuracy_printed is not None:
            printed.setdefault(row.zoo_name, row.accuracy_printed)
    checked = 0
    for claim, lower, higher, split in claimed_orderings("simpnet-principles"):
        if lower in printed and higher in printed:
            assert printed[lower] > printed[higher], (claim, printed[lower], printed[higher])
            checked += 1
    assert checked >= 1
