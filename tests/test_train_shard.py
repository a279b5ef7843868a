"""Splitting an experiment across machines: `--shard I/N` runs a deterministic share of the
(model, dataset, seed) grid; result folders merge by copying; `report` reads several folders."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.train.experiments import get_experiment
from course_lib.train.runner import grid, parse_shard

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 36, 40])
def test_shards_cover_the_grid_once_and_interleave(count):
    exp = get_experiment("param-distribution")
    full = grid(exp, datasets=list(exp.datasets), seeds=[0, 1])
    assert len(full) == 12 * 3 * 2 and len(set(full)) == len(full)
    shares = [grid(exp, datasets=list(exp.datasets), seeds=[0, 1], shard=f"{i}/{count}")
              for i in range(1, count + 1)]
    assert sorted(run for share in shares for run in share) == sorted(full)  # all, once
    assert max(map(len, shares)) - min(map(len, shares)) <= 1  # balanced
    assert shares == [grid(exp, datasets=list(exp.datasets), seeds=[0, 1], shard=(i, count))
                      for i in range(1, count + 1)]  # deterministic
    if count == 3:  # interleaved: each machine gets cheap CNNs and costly RCNNs
        assert all({label[:4] for label, _, _ in share} == {"CNN-", "RCNN"} for share in shares)


def test_grid_defaults_and_order():
    exp = get_experiment("resnet-degradation")
    assert grid(exp) == [(label, None, None) for label in exp.labels]
    assert grid(exp, models=["plain-56", "ResNet-20"], seeds=[3]) == [
        ("Plain-56", None, 3), ("ResNet-20", None, 3)]
    assert grid(exp, shard="2/4") == [(label, None, None) for label in exp.labels[1::4]]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "3", "1/2/3", "-1/2", ""])
def test_bad_shards_are_rejected(text):
    with pytest.raises(ValueError, match=r"I/N with 1 <= I <= N.*Received: shard="):
        parse_shard(text)


def test_cli_rejects_a_bad_shard_in_one_line():
    out = subprocess.run([sys.executable, "-m", "course_lib", "run", "vgg-depth", "--shard", "3/2"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--shard" in out.stderr and "1 <= I <= N" in out.stderr


@pytest.mark.realdata
@pytest.mark.slow
def test_two_machines_split_merge_and_report(tmp_path, capsys):
    """Two 'machines' (result folders) run shards 1/2 and 2/2 of 2 models x 2 seeds; report
    reads both folders, and copying one folder into the other gives the same four records."""
    from course_lib.cli import main
    from course_lib.train.results import load_records

    common = ["run", "param-distribution", "--models", "CNN-A1", "CNN-A2", "--dataset",
              "fashion_mnist32", "--budget", "smoke", "--seed", "0", "1", "--quiet"]
    for i in (1, 2):
        assert main([*common, "--shard", f"{i}/2", "--results-dir", str(tmp_path / f"m{i}")]) == 0
    out = capsys.readouterr().out
    assert "shard 1/2: 2 of 4 runs: CNN-A1/fashion_mnist32/seed 0, CNN-A2/fashion_mnist32/seed 0" in out
    assert "shard 2/2: 2 of 4 runs: CNN-A1/fashion_mnist32/seed 1, CNN-A2/fashion_mnist32/seed 1" in out
    names = {i: sorted(p.name for p in (tmp_path / f"m{i}" / "param-distribution").glob("*.json"))
             for i in (1, 2)}
    assert names == {1: ["CNN-A1__fashion_mnist32__smoke.json", "CNN-A2__fashion_mnist32__smoke.json"],
                     2: ["CNN-A1__fashion_mnist32__smoke__seed1.json",
                         "CNN-A2__fashion_mnist32__smoke__seed1.json"]}

    both = load_records([tmp_path / "m1", tmp_path / "m2"], "param-distribution")
    assert sorted((r["label"], r["config"]["settings"]["seed"]) for r in both) == [
        ("CNN-A1", 0), ("CNN-A1", 1), ("CNN-A2", 0), ("CNN-A2", 1)]
    assert both[0]["history"] != both[2]["history"] or both[0]["label"] != both[2]["label"]

    assert main(["report", "param-distribution", "--no-figures", "--results-dir",
                 str(tmp_path / "m1"), str(tmp_path / "m2")]) == 0
    table = capsys.readouterr().out
    assert table.count("CNN-A1") >= 2 and table.count("CNN-A2") >= 2

    merged = tmp_path / "merged"  # merging = copying result folders together
    shutil.copytree(tmp_path / "m1", merged)
    shutil.copytree(tmp_path / "m2", merged, dirs_exist_ok=True)
    again = load_records(merged, "param-distribution")
    key = lambda r: (r["label"], r["config"]["settings"]["seed"])  # noqa: E731
    assert sorted(map(key, again)) == sorted(map(key, both))
    for a, b in zip(sorted(again, key=key), sorted(both, key=key)):
        assert a["test_error_pct"] == b["test_error_pct"] and a["history"] == b["history"]

    # the same run present in two folders counts once (the one finished last)
    assert len(load_records([merged, tmp_path / "m1", tmp_path / "m2"], "param-distribution")) == 4
    # a second machine re-running its shard into the merged folder trains nothing
    assert main([*common, "--shard", "2/2", "--results-dir", str(merged)]) == 0
    assert capsys.readouterr().out.count("already done") == 2
    record = json.loads((merged / "param-distribution" /
                         "CNN-A2__fashion_mnist32__smoke__seed1.json").read_text())
    assert record["config"]["settings"]["seed"] == 1
