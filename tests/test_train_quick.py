"""The quick budgets' machinery: stratified subsets, initialising a run from another one."""

import numpy as np
import pytest


@pytest.mark.realdata
def test_stratified_subset_is_balanced_and_its_own_mean_is_subtracted():
    from course_lib.data import load_fashion_mnist_arrays
    from course_lib.data.preprocess import pad_and_tile
    from course_lib.data import load_run_data

    run = load_run_data("fashion_mnist32", batch_size=64, augment=False, seed=0, extra=None,
                        train_limit=200, test_limit=None)
    assert run.num_train == 200 and run.num_test == 10000
    images = np.stack([x.numpy() for x, _ in run.examples])
    labels = np.array([int(y) for _, y in run.examples])
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    raw = load_fashion_mnist_arrays()
    keep = np.sort(np.concatenate([np.flatnonzero(raw.y_train == c)[:20] for c in range(10)]))
    assert labels.tolist() == raw.y_train[keep].astype(int).tolist()
    expected = pad_and_tile(raw.x_train[keep][..., None]).numpy() / 255.0
    mean = expected.mean(axis=(0, 1, 2))
    assert np.allclose(run.info.mean, mean, atol=1e-6)
    np.testing.assert_allclose(images, expected - mean, atol=1e-6)
    assert abs(images.mean()) < 1e-5  # the subset's own mean, not the whole split's
    assert "first 20 per class" in run.info.splits["train"]


@pytest.mark.realdata
@pytest.mark.slow
def test_vgg_init_copies_net_a_into_e_at_smoke(tmp_path):
    import keras

    from course_lib.train import run_experiment, run_model

    with pytest.raises(ValueError, match="Train it first"):
        run_model("vgg-init", "VGG-E-fromA", dataset="fashion_mnist32", budget="smoke",
                  results_dir=tmp_path, verbose=0)
    records = run_experiment("vgg-init", models=["VGG-E-fromA", "VGG-E-normal"],
                             dataset="fashion_mnist32", budget="smoke", results_dir=tmp_path,
                             verbose=0, save_model=True)
    # the source run comes along and is trained first; then the experiment's order
    assert [r["label"] for r in records] == ["VGG-A-CIFAR", "VGG-E-normal", "VGG-E-fromA"]
    source, normal, from_a = records
    assert from_a["initialised_from"]["label"] == "VGG-A-CIFAR"
    assert from_a["initialised_from"]["layers"] == ["block1_conv1", "block2_conv1",
                                                    "block3_conv1", "block3_conv2", "fc1",
                                                    "fc2", "predictions"]
    assert from_a["fingerprint"]["init_from"]["fingerprint"] == source["fingerprint"]
    assert normal["initialised_from"] is None
    assert normal["config"]["settings"]["overrides"]["kernel_initializer"]["config"][
        "stddev"] == 0.01
    # N(0, 0.01) kernels really are that small, Glorot's are not
    e_normal = keras.models.load_model(normal["model_path"])
    assert float(np.std(e_normal.get_layer("block4_conv3").kernel.numpy())) < 0.02
    # a rerun with the same source is read back; a retrained source invalidates it
    again = run_model("vgg-init", "VGG-E-fromA", dataset="fashion_mnist32", budget="smoke",
                      results_dir=tmp_path, verbose=0)
    assert again["finished_at"] == from_a["finished_at"]


@pytest.mark.realdata
@pytest.mark.slow
def test_copied_layers_start_equal_to_the_source(tmp_path):
    import keras

    from course_lib import models as zoo
    from course_lib.train import run_model, runner
    from course_lib.train.config import resolve
    from course_lib.train.experiments import get_experiment

    source = run_model("vgg-init", "VGG-A-CIFAR", dataset="fashion_mnist32", budget="smoke",
                       results_dir=tmp_path, verbose=0)
    settings = resolve(get_experiment("vgg-init"), "VGG-E-fromA", dataset="fashion_mnist32",
                       budget="smoke")
    net = zoo.build("VGG-E-CIFAR", num_classes=10, input_shape=(32, 32, 3), width_multiplier=0.25)
    copied = runner._copy_layers(source, net, settings)
    a = keras.models.load_model(source["model_path"])
    for name in copied:
        for w_a, w_e in zip(a.get_layer(name).get_weights(), net.get_layer(name).get_weights()):
            np.testing.assert_array_equal(w_a, w_e)
    bad = resolve(get_experiment("vgg-init"), "VGG-E-fromA", budget="smoke")
    wrong = zoo.build("VGG-E-CIFAR", num_classes=10, input_shape=(32, 32, 3), width_multiplier=0.5)
    with pytest.raises(ValueError, match="only layers of equal shape"):
        runner._copy_layers(source, wrong, bad)


@pytest.mark.realdata
@pytest.mark.slow
def test_saved_model_reproduces_the_full_test_set_error_exactly(tmp_path):
    import keras

    import course_lib.layers  # noqa: F401  (registers the custom layers for loading)
    from course_lib.train import Budget, run_model
    from course_lib.data import load_run_data

    tiny = Budget("smoke", epochs=1, train_limit=200, test_limit=None, batch_size=32,
                  width_multiplier=0.25)
    record = run_model("param-distribution", "CNN-A3", dataset="fashion_mnist32", budget=tiny,
                       results_dir=tmp_path, verbose=0)
    assert record["config"]["num_test"] == 10000  # the whole test set
    model = keras.models.load_model(record["model_path"])
    test = load_run_data("fashion_mnist32", batch_size=256, augment=False, seed=0, extra=None,
                         train_limit=200).test  # another batch size: same predictions
    wrong = total = 0
    for images, labels in test:
        predicted = np.argmax(model.predict(images, verbose=0), axis=-1)
        wrong += int(np.sum(predicted != labels.numpy()))
        total += int(labels.shape[0])
    assert total == 10000
    assert 100.0 * wrong / total == record["test_error_pct"]  # exactly, not approximately


def test_budget_model_overrides_reach_builders_that_forward_kwargs(tmp_path):
    """vgg_cifar takes **kwargs (forwarded to vgg): a budget's batch_norm must reach it."""
    import dataclasses

    from course_lib.train.experiments import get_experiment

    vgg = get_experiment("vgg-depth")
    quick = dataclasses.replace(vgg.budget("quick"), model_overrides={"batch_norm": True})
    exp = dataclasses.replace(vgg, name="vgg-depth-bn", budgets=(("quick", quick),))
    from course_lib.train import runner

    seen = {}

    def fake_fingerprint(experiment, settings):
        seen["overrides"] = dict(settings.overrides)
        raise RuntimeError("stop before training")

    original = runner.fingerprint
    runner.fingerprint = fake_fingerprint
    try:
        with pytest.raises(RuntimeError, match="stop before training"):
            runner.run_model(exp, "VGG-E-CIFAR", dataset="fashion_mnist32", budget="quick",
                             results_dir=tmp_path)
    finally:
        runner.fingerprint = original
    assert seen["overrides"] == {"batch_norm": True}
