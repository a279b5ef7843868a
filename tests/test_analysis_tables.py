"""The seeds' tables (course_lib/tables, package data) and paper_vs_computed: transcription
checks (internal sums, printed sizes vs the conv arithmetic), VGG parameter counts from the configurations, and the
seed-000 printed counts vs closed forms from the printed widths."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import pytest

from course_lib.analysis import (
    available_tables,
    conv_output_size,
    conv_params,
    load_table,
    paper_vs_computed,
    tables_dir,
)

REQUIRED = {
    "seed000_param_distribution",
    "seed000_baselines",
    "seed001_vgg_configs",
    "seed001_single_scale",
    "seed001_multi_scale",
    "seed001_dense_vs_multicrop",
    "seed001_comparison",
    "seed003_worked_examples",
    "seed004_alexnet_table3_1",
    "seed004_vgg16_table3_2",
    "seed002_paper_results",
}


def test_every_table_loads_and_names_its_source():
    names = available_tables()
    assert REQUIRED <= set(names)
    for name in names:
        table = load_table(name)
        assert len(table) > 0, name
        assert "source" in table.columns, name
        assert table["source"].notna().all() and (table["source"].str.len() > 10).all(), name
        assert table["source"].str.contains("seed 00|papers.md").all(), name
    assert load_table("seed001_comparison.csv").equals(load_table("seed001_comparison"))


def test_unknown_table_lists_the_available_ones():
    with pytest.raises(ValueError) as info:
        load_table("seed000_param_distributon")
    msg = str(info.value)
    assert "Did you mean 'seed000_param_distribution'" in msg
    assert "seed004_vgg16_table3_2" in msg  # the full list


def test_tables_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_TABLES_DIR", str(tmp_path))
    (tmp_path / "mine.csv").write_text("a,source\n1,test source text\n")
    assert tables_dir() == tmp_path
    assert available_tables() == ["mine"]
    assert load_table("mine")["a"].tolist() == [1]
    monkeypatch.setenv("COURSE_LIB_TABLES_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="COURSE_LIB_TABLES_DIR"):
        load_table("mine")
    monkeypatch.delenv("COURSE_LIB_TABLES_DIR")
    assert tables_dir() == Path(__file__).resolve().parents[1] / "course_lib" / "tables"


# --- seed 000 -------------------------------------------------------------------------


def test_seed000_transcription():
    t = load_table("seed000_param_distribution")
    assert len(t) == 36 and set(t.dataset) == {"cifar10", "cifar100", "svhn"}
    assert t.groupby("dataset")["model"].nunique().eq(12).all()
    # printed low + high == printed total in every row (checks the transcription)
    assert np.allclose(t.low_M + t.high_M, t.total_M, atol=1e-9)
    parts = t.params_printed.str.split("/", expand=True).astype(float)
    assert np.allclose(parts.to_numpy(), t[["low_M", "high_M", "total_M"]].to_numpy())
    widths = t[["conv1", "layer2", "layer3", "layer4", "layer5"]].astype(str).agg("-".join, axis=1)
    assert (widths == t.widths).all()
    # the widths are the same in the three tables, and the models are built from them
    from course_lib.models.param_distribution import WIDTHS

    for rec in t.itertuples():
        assert "-".join(map(str, WIDTHS[rec.model])) == rec.widths
    # the CIFAR-100 table prints other counts for three CNN rows only (its FC layer is 10x wider)
    c10 = t[t.dataset == "cifar10"].set_index("model")
    c100 = t[t.dataset == "cifar100"].set_index("model")
    changed = c10.index[(c10.params_printed != c100.params_printed)]
    assert sorted(changed) == ["CNN-A2", "CNN-A3", "CNN-B3"]
    assert t.loc[(t.model == "RCNN-B3") & (t.dataset == "svhn"), "test_error_pct"].item() == 1.73


def test_seed000_baselines():
    b = load_table("seed000_baselines")
    assert len(b) == 12
    assert b.loc[(b.model == "Highway") & (b.dataset == "cifar10"), "test_error_pct"].item() == 7.76
    assert b.loc[b.params_printed.str.endswith(">5"), "total_M"].isna().all()


def _closed_form_counts(family, widths, num_classes):
    """Low/high/total parameters from the printed widths alone (conv_params closed forms)."""
    w = widths
    if family == "CNN":
        layers = [conv_params(5, 3, w[0])] + [conv_params(3, w[i - 1], w[i]) for i in range(1, 5)]
    else:  # RCL: feed-forward kernel + bias, recurrent kernel without bias
        layers = [conv_params(5, 3, w[0])] + [
            conv_params(3, w[i - 1], w[i]) + conv_params(3, w[i], w[i], bias=False)
            for i in range(1, 5)
        ]
    fc = w[4] * num_classes + num_classes
    low = layers[0] + layers[1]
    high = sum(layers[2:]) + fc
    return low, high, low + high


@pytest.fixture(scope="module")
def cifar10_comparison():
    return paper_vs_computed("cifar10")


def test_paper_vs_computed_counts(cifar10_comparison):
    from course_lib.models import build, param_groups

    t = cifar10_comparison
    assert len(t) == 12
    assert (t.widths == t.widths_built).all()
    for rec in t.itertuples():
        widths = [int(v) for v in rec.widths.split("-")]
        family = rec.model.split("-")[0]
        counts = (rec.low_params, rec.high_params, rec.total_params)
        assert counts == _closed_form_counts(family, widths, 10)
        assert rec.total_M == rec.total_params / 1e6
    groups = param_groups(build("RCNN-B2"))
    row = t.set_index("model").loc["RCNN-B2"]
    counts = (row.low_params, row.high_params, row.total_params)
    assert counts == (groups["low"], groups["high"], groups["total"])


def _expected_flag(printed_text, computed, strict):
    decimals = len(printed_text.split(".")[1]) if "." in printed_text else 0
    tol = 0.005 if strict else 0.5 * 10**-decimals
    return abs(computed - float(printed_text)) > tol + 1e-9


def test_paper_vs_computed_flags(cifar10_comparison):
    t = cifar10_comparison.set_index("model")
    printed = load_table("seed000_param_distribution")
    printed = printed[printed.dataset == "cifar10"].set_index("model")
    for model, row in t.iterrows():
        texts = printed.loc[model, "params_printed"].split("/")
        computed = [row.low_M, row.high_M, row.total_M]
        assert row.flag == any(_expected_flag(p, c, False) for p, c in zip(texts, computed)), model
        assert row.flag_2dp == any(_expected_flag(p, c, True) for p, c in zip(texts, computed))
        diffs = [abs(c - float(p)) for p, c in zip(texts, computed)]
        assert row.max_abs_diff_M == pytest.approx(max(diffs))
        assert row.flag_2dp or not row.flag
        assert bool(row.flag_reason) == row.flag_2dp
    # CNN-B1: 0.6095/0.8315/1.4411 vs "0.6/0.8/1.4" fits one-decimal rounding, not two
    assert not t.loc["CNN-B1", "flag"] and t.loc["CNN-B1", "flag_2dp"]
    # RCNN-B1: widths 224-224-96-96-96 give 0.61M high layers, printed 1.7M
    assert t.loc["RCNN-B1", "flag"]
    assert "high: printed 1.7, computed 0.6095" in t.loc["RCNN-B1", "flag_reason"]
    assert t.loc["RCNN-B1", "high_params"] == 609_514
    assert t.loc["CNN-A2", "test_error_pct"] == 10.37
    # severity: the four RCNN rows whose high-layer counts cannot come from the widths are
    # "major"; every other flagged row is within 3% of the built model ("minor").
    major = sorted(t.index[t.severity == "major"])
    assert major == ["RCNN-A1", "RCNN-A3", "RCNN-B1", "RCNN-B3"]
    assert set(t.severity[t.flag & (t.severity != "major")]) == {"minor"}
    assert t.loc["CNN-B1", "severity"] == "none"


def test_paper_vs_computed_cifar100_uses_100_classes():
    t = paper_vs_computed("CIFAR-100", models=["CNN-A2"]).iloc[0]
    assert t.high_params == _closed_form_counts("CNN", [160] * 5, 100)[1] == 707_780
    assert t.high_printed == 0.71 and "high" not in t.flag_reason  # 0.7078 rounds to 0.71
    assert "total: printed 0.96" in t.flag_reason


def test_paper_vs_computed_errors():
    with pytest.raises(ValueError, match="Received: dataset='imagenet'"):
        paper_vs_computed("imagenet")
    with pytest.raises(ValueError, match="Unknown model"):
        paper_vs_computed("svhn", models=["CNN-C1"])


# --- seed 001 -------------------------------------------------------------------------


def test_vgg_configs_params_from_the_layer_lists():
    """Parameters of configurations A-E from their layer lists (224x224x3 input, 1000 classes)
    round to the printed 133/133/133/134/138/144 M; D is keras.applications.VGG16's 138,357,544."""
    t = load_table("seed001_vgg_configs")
    assert t.config.tolist() == ["A", "A-LRN", "B", "C", "D", "E"]
    totals = {}
    for rec in t.itertuples():
        c_in, size, total, n_conv = 3, 224, 0, 0
        for token in rec.layers.split(","):
            if token.startswith("conv"):
                k, width = (int(v) for v in token[4:].split("-"))
                total += conv_params(k, c_in, width)
                c_in, n_conv = width, n_conv + 1
            elif token == "maxpool":
                size = conv_output_size(size, 2, 0, 2)
            elif token.startswith("fc"):
                width = int(token[3:])
                total += conv_params(size, c_in, width)  # FC on s x s x c == an s x s conv
                c_in, size = width, 1
        assert n_conv == rec.conv_layers and n_conv + rec.fc_layers == rec.weight_layers
        assert round(total / 1e6) == rec.params_M_printed, rec.config
        totals[rec.config] = total
    assert totals["D"] == 138_357_544
    # seed 001, section 2.2: A has 11 weight layers, E 19
    assert t.set_index("config").loc[["A", "E"], "weight_layers"].tolist() == [11, 19]


def test_vgg_results_tables():
    single, multi = load_table("seed001_single_scale"), load_table("seed001_multi_scale")
    assert len(single) == len(multi) == 12
    assert set(single.config) == set(multi.config) == {"A", "A-LRN", "B", "C", "D", "E"}
    assert single.loc[single.config == "E", "top1_error_pct"].min() == 24.9
    dense = load_table("seed001_dense_vs_multicrop")
    assert len(dense) == 6 and dense.top1_error_pct.min() == 24.1
    comp = load_table("seed001_comparison").set_index("model")
    assert comp.loc["VGG", "top5_test_error_pct"] == 6.8 and len(comp) == 5


# --- seed 004 -------------------------------------------------------------------------


def _cell(value):
    """A printed cell as text: '' when empty, '7' for 7 or 7.0, 'C' for the class count."""
    if pd.isna(value):
        return ""
    try:
        return str(int(float(value)))
    except ValueError:
        return str(value)


def _inconsistent_rows(table):
    """Rows whose printed output does not follow from the printed input and parameters."""
    bad = set()
    for rec in table.itertuples():
        if rec.operation in ("conv", "maxpool") or (rec.operation == "fc" and rec.f > 1):
            p = 0 if pd.isna(rec.p) else int(rec.p)
            try:
                size = conv_output_size(int(rec.in_h), int(rec.f), p, int(rec.s))
            except ValueError:
                size = None
            if size != int(rec.out_h):
                bad.add(rec.row)
        if rec.operation in ("conv", "fc") and _cell(rec.d) != _cell(rec.out_c):
            bad.add(rec.row)
        if rec.row > 1:
            prev = table[table.row == rec.row - 1].iloc[0]
            if [_cell(v) for v in (prev.out_h, prev.out_w, prev.out_c)] != [
                _cell(v) for v in (rec.in_h, rec.in_w, rec.in_c)
            ]:
                bad.add(rec.row)
    return bad


@pytest.mark.parametrize(
    "name, rows, flagged",
    [("seed004_alexnet_table3_1", 23, {22}), ("seed004_vgg16_table3_2", 39, {31, 32, 38})],
)
def test_seed004_tables_are_consistent_except_the_noted_rows(name, rows, flagged):
    """Every conv/pool/FC row's printed output size follows from its printed input, f, p, s
    (conv_output_size) and chains into the next row, except the rows whose note says why not."""
    table = load_table(name)
    assert len(table) == rows and table.row.tolist() == list(range(1, rows + 1))
    noted = set(table.loc[table.note.fillna("").str.contains("inconsistent"), "row"])
    assert noted == flagged
    assert _inconsistent_rows(table) == flagged
    lrn = table[table.operation == "lrn"]
    assert (lrn[["lrn_k", "lrn_n", "lrn_alpha", "lrn_beta"]].to_numpy() == [2, 5, 1e-4, 0.75]).all()
