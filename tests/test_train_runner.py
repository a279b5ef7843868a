"""The runner end to end on real data: a smoke run of every experiment, determinism, records."""

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: One (small) model per experiment keeps the whole module to a few model builds.
SMOKE_MODELS = {
    "param-distribution": "CNN-A2",
    "vgg-depth": "VGG-A-CIFAR",
    "simpnet-principles": "Arch4-3x3-300K",
    "simpnet": "SimpNet-Slim-300K",
    "resnet-degradation": "Plain-20",
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from course_lib.train import run_experiment

    out = tmp_path_factory.mktemp("results")
    records = {}
    for experiment, model in SMOKE_MODELS.items():
        (records[experiment],) = run_experiment(
            experiment, models=[model], dataset="fashion_mnist32", budget="smoke",
            results_dir=out, verbose=0,
        )
    return out, records


def test_every_experiment_runs_on_fashion_mnist32(smoke):
    from course_lib.train import verify_record
    from course_lib.train.results import load_record

    out, records = smoke
    for experiment, record in records.items():
        path = Path(record["_path"])
        assert path == out / experiment / f"{SMOKE_MODELS[experiment]}__fashion_mnist32__smoke.json"
        on_disk = load_record(path)
        assert on_disk["test_error_pct"] == record["test_error_pct"]
        # the value, not a range: the saved model scores exactly the recorded errors
        assert verify_record(record)[record["test_error_mode"]] == record["test_error_pct"]
        assert record["epochs_completed"] == 1 and len(record["history"]) == 1
        assert record["config"]["num_train"] == 128 and record["config"]["num_test"] == 64
        assert record["data_source"] == "repository"  # smoke reads the shipped files, anywhere
        assert record["images_per_second"] > 0 and record["wall_time_s"] > 0
        assert record["device"]["kind"] == "cpu" and record["device"]["deterministic"] is True
        assert set(record["versions"]) >= {"tensorflow", "keras", "course_lib"}
        assert record["source"]["seed"] in ("000", "001", "002", "004")
        assert not (out / experiment / SMOKE_MODELS[experiment] / "backup").joinpath(
            "fashion_mnist32__smoke").exists()  # backup removed once the record is safe


def test_trained_model_is_saved_beside_its_record(smoke):
    import keras

    from course_lib.data import load_run_data

    _, records = smoke
    record = records["param-distribution"]
    path = Path(record["model_path"])
    assert path == Path(record["_path"]).with_suffix(".keras") and path.is_file()
    assert not list(path.parent.glob("*.partial.keras"))
    model = keras.models.load_model(path)
    assert model.count_params() == record["params"]["total"]
    # the reloaded model reproduces the recorded test error on the run's own test images
    config = record["config"]
    test = load_run_data("fashion_mnist32", batch_size=64, augment=False, seed=0,
                         extra=None, train_limit=config["num_train"],
                         test_limit=config["num_test"]).test
    correct = total = 0
    for images, labels in test:
        predicted = np.argmax(model.predict(images, verbose=0), axis=-1)
        correct += int(np.sum(predicted == labels.numpy()))
        total += int(labels.shape[0])
    assert total == 64
    assert 100.0 * (1 - correct / total) == pytest.approx(record["test_error_pct"], abs=1e-6)


def test_budget_narrowing_is_recorded_not_silent(smoke):
    _, records = smoke
    pd_arch = records["param-distribution"]["architecture"]
    assert pd_arch["changed_by_budget"] is True
    assert pd_arch["width_change"] == {"argument": "width_multiplier", "from": 1.0, "to": 0.25}
    assert pd_arch["width_multiplier"] == 0.25
    assert pd_arch["builder_overrides"] == {"width_multiplier": 0.25}
    for name in ("vgg-depth", "resnet-degradation", "simpnet"):
        assert records[name]["architecture"]["width_change"]["to"] == 0.25, name


def test_param_counts_are_those_of_the_trained_model(smoke):
    from course_lib import models

    _, records = smoke
    params = records["param-distribution"]["params"]
    built = models.build("CNN-A2", num_classes=10, input_shape=(32, 32, 3), widths=(40,) * 5)
    assert {k: params[k] for k in ("low", "high", "total")} == models.param_groups(built)
    resnet = records["resnet-degradation"]["params"]
    assert set(resnet) == {"total", "trainable"}
    assert resnet["total"] == models.build("Plain-20", base_width=4).count_params()


def test_vgg_depth_scores_every_evaluation_mode(smoke):
    _, records = smoke
    record = records["vgg-depth"]
    assert list(record["test_errors"]) == ["single_crop", "multi_crop", "dense", "multi_crop_dense"]
    assert record["test_error_mode"] == "single_crop"
    assert record["test_errors"]["multi_crop"]["views"] == 10  # fashion_mnist32 flips
    assert record["test_errors"]["dense"]["scales"] == [32, 36]
    # single centre crop of the padded image == the test images as given
    assert record["test_errors"]["single_crop"]["error_pct"] == pytest.approx(
        record["history"][-1]["test_error_pct"])


def test_resnet_degradation_records_train_and_test_error_per_epoch(smoke):
    _, records = smoke
    (epoch,) = records["resnet-degradation"]["history"]
    record = records["resnet-degradation"]
    # the last epoch's test error is the record's (standard evaluation of the same weights)
    assert record["test_error_mode"] == "standard"
    assert epoch["test_error_pct"] == pytest.approx(record["test_error_pct"], abs=1e-4)
    # the running train error counts whole images: k errors out of the 128 training images
    errors = epoch["train_error_pct"] * 128 / 100
    assert errors == pytest.approx(round(errors), abs=1e-3) and 0 < round(errors) < 128
    assert records["resnet-degradation"]["config"]["augmentation"].startswith("zero-pad 4")
    assert records["param-distribution"]["config"]["augmentation"] == "none"  # seed 000


def test_finished_run_is_not_trained_again(smoke, capsys):
    from course_lib.train import run_model

    out, records = smoke
    again = run_model("param-distribution", "CNN-A2", dataset="fashion_mnist32",
                      budget="smoke", results_dir=out, verbose=0)
    assert "already done" in capsys.readouterr().out
    assert again["finished_at"] == records["param-distribution"]["finished_at"]


def test_two_seeded_runs_give_identical_metrics(smoke, tmp_path):
    from course_lib.train import run_model

    _, records = smoke
    a = records["param-distribution"]
    kwargs = dict(dataset="fashion_mnist32", budget="smoke", verbose=0)
    b = run_model("param-distribution", "CNN-A2", results_dir=tmp_path / "b", **kwargs)
    keys = ("train_loss", "train_error_pct", "test_loss", "test_error_pct", "learning_rate")
    for ea, eb in zip(a["history"], b["history"]):
        for key in keys:
            assert ea[key] == eb[key], key
    assert a["test_error_pct"] == b["test_error_pct"]
    c = run_model("param-distribution", "CNN-A2", results_dir=tmp_path / "c", seed=5, **kwargs)
    assert c["history"][0]["train_loss"] != a["history"][0]["train_loss"]  # the seed matters
    assert json.loads(Path(a["_path"]).read_text())["config"]["settings"]["seed"] == 0
    assert json.loads(Path(c["_path"]).read_text())["config"]["settings"]["seed"] == 5
    assert np.isfinite(c["history"][-1]["train_loss"])


def test_unknown_names_fail_before_training(tmp_path):
    from course_lib.train import run_experiment

    with pytest.raises(ValueError, match="not part of experiment"):
        run_experiment("vgg-depth", models=["VGG-A-CIFAR", "VGG-Z"], results_dir=tmp_path)
    with pytest.raises(ValueError, match="Unknown dataset"):
        run_experiment("vgg-depth", dataset="imagenet", results_dir=tmp_path)
    with pytest.raises(ValueError, match="Unknown budget"):
        run_experiment("vgg-depth", budget="huge", results_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_record_keeps_the_per_image_correctness_behind_its_test_error(smoke):
    """``test_correct`` (for paired statistics) recounts the headline test error exactly."""
    from course_lib.train.results import decode_correct, load_record

    _, records = smoke
    for record in records.values():
        on_disk = load_record(record["_path"])
        correct = decode_correct(on_disk["test_correct"])
        assert correct.dtype == bool and on_disk["test_correct"]["n"] == correct.size == 64
        assert 100.0 * int(np.sum(~correct)) / correct.size == record["test_error_pct"]
