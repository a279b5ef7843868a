"""Images stay paired with their labels; SVHN's ``extra`` split is a per-experiment setting.

Every mock SVHN image carries its own label in its pixels (channel 0 = 20 * label, a constant
plane), and its index in channel 1, so a label can be read back from any view of the image:
after mean subtraction, a pad-4 random crop (the centre 24x24 always survives), a flip,
shuffling, the seed-000 validation split and the runner's epoch stream. A pipeline that
shuffled images and labels apart, or split them with different masks, fails these tests.
"""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tfds = pytest.importorskip("tensorflow_datasets")

from course_lib.data import tfds_source  # noqa: E402

N = 4400  # per split; >= 400 images of every class, as the validation split needs
LEVEL = 20  # channel 0 = LEVEL * label


def _labels(split: str) -> np.ndarray:
    offset = {"train": 0, "extra": 1, "test": 2}[split]
    return (np.arange(N) * 7 + offset) % 10


def _fake_as_dataset(self, split, decoders=None, read_config=None, **kwargs):
    """Stand-in for ``builder.as_dataset``: PNG-encoded images whose pixels give the label."""
    split = str(split)
    labels = _labels(split)
    part = {"train": 0, "extra": 1, "test": 2}[split]

    def example(i):
        label = tf.gather(tf.constant(labels, tf.int64), i)
        plane = tf.ones((32, 32), tf.int64)
        channels = [plane * LEVEL * label, plane * (i % 250), plane * (part * 100)]
        image = tf.cast(tf.stack(channels, axis=-1), tf.uint8)
        return {"image": tf.io.encode_png(image), "label": label}

    return tf.data.Dataset.range(N).map(example)


@pytest.fixture
def label_svhn(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    with tfds.testing.mock_data(num_examples=N, as_dataset_fn=_fake_as_dataset):
        yield tmp_path / "data"


def _read_labels(images: np.ndarray, mean) -> np.ndarray:
    """The label written in each image's pixels (centre pixel of channel 0, mean added back)."""
    value = (images[:, 16, 16, 0] + float(np.asarray(mean)[0])) * 255.0 / LEVEL
    assert np.allclose(value, np.round(value), atol=1e-3), "channel 0 is not a label plane"
    return np.round(value).astype(np.int64)


@pytest.mark.slow
@pytest.mark.parametrize("extra, num_train", [(True, 2 * N - 6000), (False, N - 4000)])
def test_labels_follow_images_through_split_shuffle_augmentation_and_epochs(
        label_svhn, extra, num_train):
    from course_lib.data import epoch_stream, load_run_data

    run = load_run_data("svhn", batch_size=256, augment=True, seed=5, extra=extra,
                        data_dir=label_svhn)
    assert run.num_train == num_train  # extra=True: train + extra minus 6,000 validation
    assert run.flip is False  # digits: no flips
    mean = run.info.mean
    # the file-order training examples, then two shuffled, augmented epochs
    x = np.stack([xi.numpy() for xi, _ in run.examples.take(600)])
    y = np.array([int(yi) for _, yi in run.examples.take(600)])
    np.testing.assert_array_equal(_read_labels(x, mean), y)
    seen = []
    for images, labels in epoch_stream(run, seed=5, start_epoch=0, epochs=2):
        images, labels = images.numpy(), labels.numpy()
        np.testing.assert_array_equal(_read_labels(images, mean), labels)
        seen.append(labels)
    epochs = np.concatenate(seen)
    assert len(epochs) == 2 * num_train
    # the pool is exactly the non-validation images: every class kept its count
    expected = np.bincount(_labels("train"), minlength=10) - 400
    if extra:
        expected += np.bincount(_labels("extra"), minlength=10) - 200
    np.testing.assert_array_equal(np.bincount(epochs[:num_train], minlength=10), expected)
    # the test split keeps its pairs too
    for images, labels in run.test:
        np.testing.assert_array_equal(_read_labels(images.numpy(), mean), labels.numpy())


@pytest.mark.slow
def test_svhn_validation_images_keep_their_labels(label_svhn):
    from course_lib.data import load

    _, val, _, info = load("svhn", batch_size=1000, data_dir=label_svhn, extra=True)
    for images, labels in val:
        np.testing.assert_array_equal(_read_labels(images.numpy(), info.mean), labels.numpy())


# ---- fix 6: SVHN's extra split is chosen per experiment, never by a silent default ----------

def test_svhn_extra_is_explicit_per_experiment():
    from course_lib.train import get_experiment, resolve

    assert get_experiment("param-distribution").svhn_extra is True  # seed 000: Maxout protocol
    assert get_experiment("simpnet").svhn_extra is False  # SimpNet 5.C.3: train set only
    assert resolve(get_experiment("param-distribution"), "CNN-A1", dataset="svhn").extra is True
    assert resolve(get_experiment("simpnet"), "SimpNet-SVHN", dataset="svhn").extra is False
    assert resolve(get_experiment("simpnet"), "SimpNet", dataset="cifar10").extra is None
    # an experiment not made for SVHN trains on the training images only when asked for SVHN
    assert resolve(get_experiment("vgg-depth"), "VGG-A-CIFAR", dataset="svhn").extra is False
    # the choice is part of the fingerprint, so a record made with the other pool is not reused
    settings = resolve(get_experiment("simpnet"), "SimpNet-SVHN", dataset="svhn")
    assert settings.to_dict()["extra"] is False


def test_an_svhn_experiment_must_choose():
    import dataclasses

    from course_lib.train import get_experiment

    simpnet = get_experiment("simpnet")
    with pytest.raises(ValueError, match=r"svhn_extra.*Received: svhn_extra=None"):
        dataclasses.replace(simpnet, svhn_extra=None)
    with pytest.raises(ValueError, match="svhn_extra"):
        dataclasses.replace(simpnet, svhn_extra="yes")


def test_load_run_data_has_no_default_for_extra():
    import inspect

    from course_lib.data import load_run_data

    assert inspect.signature(load_run_data).parameters["extra"].default is inspect.Parameter.empty
    with pytest.raises(ValueError, match=r"`extra` must be True .* for 'svhn'"):
        load_run_data("svhn", batch_size=8, augment=False, seed=0, extra=None)
    with pytest.raises(ValueError, match="applies to 'svhn' only"):
        load_run_data("cifar10", batch_size=8, augment=False, seed=0, extra=True)
