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
