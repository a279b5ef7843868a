"""``verify_record``: a record must agree with the model saved beside it."""

import copy
import json
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from course_lib.train import run_model

    out = tmp_path_factory.mktemp("results")
    return {
        experiment: run_model(experiment, model, dataset="fashion_mnist32", budget="smoke",
                              results_dir=out, verbose=0)
        for experiment, model in (("param-distribution", "CNN-A2"), ("vgg-depth", "VGG-A-CIFAR"))
    }


def _flipped(record, mode=None):
    """The record with one error replaced by 100 - error (the headline by default)."""
    bad = copy.deepcopy(record)
    mode = mode or bad["test_error_mode"]
    error = bad["test_errors"][mode]["error_pct"]
    assert error != 50.0  # 100 - 50 would be no change
    bad["test_errors"][mode]["error_pct"] = 100.0 - error
    if mode == bad["test_error_mode"]:
        bad["test_error_pct"] = 100.0 - error
    return bad


@pytest.mark.parametrize("experiment", ["param-distribution", "vgg-depth"])
def test_an_honest_record_verifies(records, experiment):
    from course_lib.train import verify_record

    record = records[experiment]
    got = verify_record(record)
    assert got == {mode: v["error_pct"] for mode, v in record["test_errors"].items()}
    assert got[record["test_error_mode"]] == record["test_error_pct"]
    if experiment == "vgg-depth":
        assert list(got) == ["single_crop", "multi_crop", "dense", "multi_crop_dense"]
    assert verify_record(record["_path"]) == got  # a path works too


def test_a_flipped_headline_error_is_caught(records):
    from course_lib.train import RecordMismatchError, verify_record

    record = records["param-distribution"]
    error = record["test_error_pct"]
    with pytest.raises(RecordMismatchError) as caught:
        verify_record(_flipped(record))
    message = str(caught.value)
    assert f"record {100 - error:.4f}%, saved model {error:.4f}%" in message
    assert "CNN-A2 on fashion_mnist32 (smoke)" in message and "rerun=True" in message


def test_a_flipped_secondary_mode_is_caught(records):
    from course_lib.train import RecordMismatchError, verify_record

    with pytest.raises(RecordMismatchError, match=r"dense: record"):
        verify_record(_flipped(records["vgg-depth"], "dense"))


def test_a_tampered_file_is_caught(records, tmp_path):
    from course_lib.train import RecordMismatchError, verify_record

    record = records["param-distribution"]
    path = tmp_path / Path(record["_path"]).name
    bad = {k: v for k, v in _flipped(record).items() if k != "_path"}
    path.write_text(json.dumps(bad), encoding="utf-8")
    shutil.copy(Path(record["_path"]).with_suffix(".keras"), path.with_suffix(".keras"))
    with pytest.raises(RecordMismatchError, match="test_error_pct"):
        verify_record(path)


def test_a_record_from_another_model_or_without_one_is_refused(records, tmp_path):
    from course_lib.train import RecordMismatchError, verify_record

    record = copy.deepcopy(records["param-distribution"])
    record["params"]["total"] += 1
    with pytest.raises(RecordMismatchError, match="parameters"):
        verify_record(record)
    orphan = copy.deepcopy(records["param-distribution"])
    orphan["_path"] = str(tmp_path / "nowhere.json")
    orphan["model_path"] = str(tmp_path / "nowhere.keras")
    with pytest.raises(FileNotFoundError, match="rerun=True"):
        verify_record(orphan)
    with pytest.raises(ValueError, match="tolerance_pct"):
        verify_record(records["param-distribution"], tolerance_pct=-1)


def test_headline_only_checks_the_headline_mode_alone(records):
    """headline_only scores one mode: a flipped secondary mode passes, a flipped headline not."""
    from course_lib.train import RecordMismatchError, verify_record

    record = records["vgg-depth"]
    got = verify_record(_flipped(record, "dense"), headline_only=True)
    assert list(got) == [record["test_error_mode"]]
    assert got[record["test_error_mode"]] == pytest.approx(record["test_error_pct"], abs=1e-6)
    with pytest.raises(RecordMismatchError, match="headline"):
        verify_record(_flipped(record), headline_only=True)
    with pytest.raises(ValueError, match="headline_only"):
        verify_record(record, headline_only="yes")
