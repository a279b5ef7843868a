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
# seeds: mean and spread, and the verdict on a claimed ordering
# ---------------------------------------------------------------------------------------------
def _frame(errors: dict, correct: dict | None = None) -> "pd.DataFrame":
    rows = [{"dataset": "fashion_mnist32", "budget": "quick", "label": label, "seed": seed,
             "test error %": test, "train error %": test - 1.0, "num test": 10_000,
             "num train": 60_000,
             "test correct": (correct or {}).get(label, [None] * len(values))[seed]}
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
    assert a1["test errors"] == (15.0, 16.0, 17.5) and a1["train errors"] == (14.0, 15.0, 16.5)
    assert a1["num test"] == 10_000 and a1["test correct"] is None
    a3 = summary.set_index("label").loc["CNN-A3"]
    assert a3["seeds"] == 1 and pd.isna(a3["test std %"]) and a3["test mean %"] == 14.0
    assert list(summary["label"]) == ["CNN-A1", "CNN-A3"]  # first-seen order


@pytest.mark.parametrize(
    "lower, higher, word",
    [
        ([11.0, 11.3, 11.6], [14.0, 14.5, 14.2], "supports"),
        ([14.0, 14.5, 14.2], [11.0, 11.3, 11.6], "contradicts"),
        ([13.9, 14.4, 14.1], [14.0, 14.5, 14.2], "inconclusive"),
        # the old rule called this "holds, beyond the spread" (the ranges do not overlap)
        ([14.0, 14.05], [14.2, 14.3], "inconclusive (too few seeds)"),
        ([14.0], [15.0, 15.2, 15.1], "inconclusive (too few seeds)"),
    ],
)
def test_compare_ordering_gives_the_verdict_of_compare_models(lower, higher, word):
    from course_lib.analysis import compare_models
    from course_lib.train.reporting import compare_ordering, seed_summary

    summary = seed_summary(_frame({"lo": lower, "hi": higher})).set_index("label")
    out = compare_ordering(summary.loc["lo"], summary.loc["hi"])
    reference = compare_models(higher, lower, "B < A", n_test=10_000, name_a="hi", name_b="lo")
    assert out["word"] == word == reference.word
    assert repr(out["result"]) == repr(reference)  # repr: NaN intervals compare equal
    assert out["verdict"] == reference.format(claim=False)
    assert out["difference"] == pytest.approx(sum(lower) / len(lower) - sum(higher) / len(higher))
    assert out["gap"] == pytest.approx(-out["difference"])
    assert (out["ci low"], out["ci high"]) == (reference.ci_low, reference.ci_high) or (
        pd.isna(out["ci low"]) and len(lower) == 1)
    assert "conservative" in out["method"]  # no per-image results: the binomial fallback


def test_compare_ordering_pairs_the_images_when_the_records_hold_them():
    import base64

    import numpy as np

    from course_lib.analysis import compare_models
    from course_lib.train.reporting import compare_ordering, seed_summary

    rng = np.random.default_rng(3)
    runs = {"lo": rng.random((3, 10_000)) > 0.11, "hi": rng.random((3, 10_000)) > 0.14}
    entries = {label: [{"n": 10_000, "packbits_b64": base64.b64encode(np.packbits(r)).decode()}
                       for r in bits] for label, bits in runs.items()}
    errors = {label: [100 * (1 - r.mean()) for r in bits] for label, bits in runs.items()}
    summary = seed_summary(_frame(errors, entries)).set_index("label")
    out = compare_ordering(summary.loc["lo"], summary.loc["hi"])
    reference = compare_models(errors["hi"], errors["lo"], correct_a=runs["hi"],
                               correct_b=runs["lo"], name_a="hi", name_b="lo")
    assert out["result"] == reference and reference.paired and out["word"] == "supports"
    assert "paired test-set sampling" in out["verdict"]
    # per-image results that do not match the errors (another evaluation mode): not used
    errors["lo"] = [e + 1.0 for e in errors["lo"]]
    summary = seed_summary(_frame(errors, entries)).set_index("label")
    out = compare_ordering(summary.loc["lo"], summary.loc["hi"])
    assert not out["result"].paired and "per-image results not used" in out["result"].note
    # the train split has no per-image results; its sampling part counts the training images
    train = compare_ordering(summary.loc["lo"], summary.loc["hi"], "train")
    assert "train-set sampling" in train["method"] and train["result"].n_test == 60_000


def test_compare_ordering_rejects_rows_it_cannot_judge():
    from course_lib.train.reporting import compare_ordering

    with pytest.raises(ValueError, match="no 'test errors'.*seed_summary"):
        compare_ordering({"label": "a", "test mean %": 1.0}, {"label": "b"})
    with pytest.raises(ValueError, match="split must be 'test' or 'train'. Received: split='val'"):
        compare_ordering({}, {}, "val")


def test_vgg_depth_claim_names_the_seed_table_that_holds_depth():
    """Seed 001 prints the configurations' single-scale errors (depth A -> E) as 表1; its 表3
    compares evaluation methods."""
    from course_lib.train.reporting import claimed_orderings

    (claim,) = [c for c, lower, higher, _ in claimed_orderings("vgg-depth")
                if (lower, higher) == ("VGG-E-CIFAR", "VGG-A-CIFAR")]
    assert "Table 1 = 表1" in claim and "Table 3" not in claim


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
    assert row["word"] == "inconclusive (too few seeds)"  # 2 seeds: never a verdict
    assert row["verdict"] in text and "mean and spread over seeds" in text
    assert "95% interval over seeds and test images" in text
    for old_rule in ("beyond the spread", "exceeds the spread", "holds"):
        assert old_rule not in text
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
