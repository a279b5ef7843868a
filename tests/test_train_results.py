"""Result records: atomic writes; corrupt or partial records are reported and skipped."""

import json
import os
import warnings

import pytest

from course_lib.train import results
from course_lib.train.results import (
    REQUIRED_KEYS,
    SCHEMA_VERSION,
    CorruptRecordWarning,
    load_record,
    load_records,
    record_path,
    write_json_atomic,
)


def _record(label="CNN-A2", dataset="fashion_mnist32", budget="smoke", error=12.5):
    return {
        "schema": SCHEMA_VERSION, "experiment": "param-distribution", "model": label,
        "label": label, "dataset": dataset, "budget": budget, "test_error_pct": error,
        "params": {"low": 1, "high": 2, "total": 3}, "epochs_completed": 1,
        "history": [{"epoch": 1, "train_error_pct": 50.0, "test_error_pct": error}],
        "config": {},
    }


def test_record_path_layout(tmp_path):
    path = record_path(tmp_path, "param-distribution", "CNN-A2", "fashion_mnist32", "smoke")
    assert path == tmp_path / "param-distribution" / "CNN-A2__fashion_mnist32__smoke.json"
    assert results.safe_name("SimpNet (SAF off)") == "SimpNet_SAF_off"
    with pytest.raises(ValueError):
        results.safe_name("///")


def test_atomic_write_round_trip_and_no_temporary_left(tmp_path):
    path = tmp_path / "exp" / "a.json"
    write_json_atomic(path, _record())
    assert load_record(path)["test_error_pct"] == 12.5
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_failed_write_keeps_the_previous_record(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    write_json_atomic(path, _record(error=1.0))

    def broken_dump(obj, handle, **kwargs):
        handle.write('{"schema": 1, "half": ')  # the writer dies mid-record
        raise OSError("disk full")

    monkeypatch.setattr(results.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        write_json_atomic(path, _record(error=2.0))
    monkeypatch.undo()
    assert load_record(path)["test_error_pct"] == 1.0  # old record intact
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # temporary removed


def test_killed_writer_leaves_only_a_hidden_temporary_that_readers_ignore(tmp_path):
    folder = tmp_path / "param-distribution"
    folder.mkdir()
    (folder / ".CNN-A1__fashion_mnist32__smoke.json.abc123.tmp").write_text('{"schema": 1')
    write_json_atomic(folder / "CNN-A2__fashion_mnist32__smoke.json", _record())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the temporary is not a record
        records = load_records(tmp_path, "param-distribution")
    assert [r["label"] for r in records] == ["CNN-A2"]


@pytest.mark.parametrize(
    "content, reason",
    [
        ('{"schema": 1, "experiment": "param-distrib', "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2, 3]", "expected a JSON object"),
        (json.dumps({k: v for k, v in _record().items() if k != "history"}), "missing field"),
        (json.dumps({**_record(), "schema": 99}), "schema"),
        (json.dumps({**_record(), "history": "oops"}), "history"),
    ],
)
def test_corrupt_or_partial_records_warn_once_and_are_skipped(tmp_path, content, reason):
    folder = tmp_path / "param-distribution"
    folder.mkdir()
    (folder / "bad__fashion_mnist32__smoke.json").write_text(content)
    write_json_atomic(folder / "CNN-A2__fashion_mnist32__smoke.json", _record())
    with pytest.warns(CorruptRecordWarning, match=reason) as caught:
        records = load_records(tmp_path, "param-distribution")
    assert len(caught) == 1 and "bad__fashion_mnist32__smoke.json" in str(caught[0].message)
    assert [r["label"] for r in records] == ["CNN-A2"]


def test_unreadable_file_is_skipped(tmp_path):
    if os.geteuid() == 0:
        folder = tmp_path / "exp"
        folder.mkdir()
        (folder / "x.json").mkdir()  # a directory named like a record: read_text fails
    else:
        folder = tmp_path / "exp"
        folder.mkdir()
        bad = folder / "x.json"
        bad.write_text("{}")
        bad.chmod(0)
    write_json_atomic(folder / "ok.json", _record())
    with pytest.warns(CorruptRecordWarning):
        records = load_records(tmp_path, "exp")
    assert len(records) == 1


def test_filters_and_all_experiments(tmp_path):
    write_json_atomic(tmp_path / "e1" / "a.json", _record(dataset="cifar10"))
    write_json_atomic(tmp_path / "e1" / "b.json", _record(label="CNN-A3", budget="quick"))
    write_json_atomic(tmp_path / "e2" / "c.json", _record(label="CNN-B1"))
    assert len(load_records(tmp_path)) == 3
    assert [r["label"] for r in load_records(tmp_path, "e1", datasets=["cifar10"])] == ["CNN-A2"]
    assert [r["label"] for r in load_records(tmp_path, "e1", budgets=["quick"])] == ["CNN-A3"]
    assert load_records(tmp_path, "missing-experiment") == []
    assert all(k in _record() for k in REQUIRED_KEYS)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 10000])
def test_correct_flags_round_trip_through_packbits_base64(n):
    import base64

    import numpy as np

    flags = np.random.default_rng(n).random(n) < 0.7
    encoded = results.encode_correct(flags)
    assert encoded["n"] == n and json.loads(json.dumps(encoded)) == encoded
    assert base64.b64decode(encoded["packbits_b64"]) == np.packbits(flags).tobytes()
    decoded = results.decode_correct(encoded)
    assert decoded.dtype == bool and np.array_equal(decoded, flags)


@pytest.mark.parametrize("bad", [{}, {"n": 3}, {"n": 9, "packbits_b64": "AA=="},
                                 {"n": True, "packbits_b64": "AA=="},
                                 {"n": 2, "packbits_b64": "not base64!"}])
def test_malformed_correct_flags_are_refused(bad):
    with pytest.raises(ValueError, match="test_correct"):
        results.decode_correct(bad)


def test_records_without_correct_flags_still_load(tmp_path):
    record = {k: None for k in results.REQUIRED_KEYS}
    record.update(schema=results.SCHEMA_VERSION, history=[], params={})
    path = tmp_path / "old.json"
    path.write_text(json.dumps(record))
    assert "test_correct" not in results.load_record(path)
