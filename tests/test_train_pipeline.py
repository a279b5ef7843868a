"""The runner's epoch stream: order and augmentation depend only on (seed, epoch)."""

import numpy as np
import pytest

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def run_data(fashion_mnist_dir):
    from course_lib.train.pipeline import load_run_data

    return load_run_data("fashion_mnist32", batch_size=16, augment=True, seed=3,
                         train_limit=40, test_limit=20)


def _batches(stream):
    return [(x.numpy(), y.numpy()) for x, y in stream]


def test_sizes_and_file_order(run_data):
    from course_lib.data import load_fashion_mnist_arrays

    assert (run_data.num_train, run_data.num_test, run_data.steps_per_epoch) == (40, 20, 3)
    assert run_data.flip is True  # Fashion-MNIST flips in augmentation (data module default)
    labels = np.array([int(y) for _, y in run_data.examples])
    arrays = load_fashion_mnist_arrays()
    np.testing.assert_array_equal(labels, arrays.y_train[:40])  # file order, no shuffle
    test_labels = np.concatenate([y.numpy() for _, y in run_data.test])
    np.testing.assert_array_equal(test_labels, arrays.y_test[:20])
    assert int(run_data.test.cardinality()) == 2


def test_resumed_stream_equals_the_tail_of_the_full_stream(run_data):
    from course_lib.train.pipeline import epoch_stream

    full = _batches(epoch_stream(run_data, seed=3, start_epoch=0, epochs=3))
    tail = _batches(epoch_stream(run_data, seed=3, start_epoch=2, epochs=3))
    assert len(full) == 9 and len(tail) == 3
    for (xa, ya), (xb, yb) in zip(full[6:], tail):
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(xa, xb)  # same crops and flips, bit for bit


def test_every_epoch_is_a_permutation_of_the_data_and_epochs_differ(run_data):
    from course_lib.train.pipeline import epoch_stream

    batches = _batches(epoch_stream(run_data, seed=3, start_epoch=0, epochs=2))
    all_labels = np.array([int(y) for _, y in run_data.examples])
    epoch0 = np.concatenate([y for _, y in batches[:3]])
    epoch1 = np.concatenate([y for _, y in batches[3:]])
    np.testing.assert_array_equal(np.sort(epoch0), np.sort(all_labels))
    np.testing.assert_array_equal(np.sort(epoch1), np.sort(all_labels))
    assert not np.array_equal(epoch0, epoch1)
    other_seed = _batches(epoch_stream(run_data, seed=4, start_epoch=0, epochs=1))
    assert not np.array_equal(np.concatenate([y for _, y in other_seed]), epoch0)


def test_augmentation_is_the_data_modules_pad_crop_flip(run_data):
    """Each augmented image is a 4-pixel-shifted (and maybe mirrored) crop of the original."""
    from course_lib.train.pipeline import epoch_stream

    originals = np.stack([x.numpy() for x, _ in run_data.examples])
    (images, labels), *_ = _batches(epoch_stream(run_data, seed=3, start_epoch=0, epochs=1))
    padded = np.pad(originals, ((0, 0), (4, 4), (4, 4), (0, 0)))
    changed = 0
    for image in images:
        found = False
        for candidate in padded:
            for dy in range(9):
                for dx in range(9):
                    crop = candidate[dy:dy + 32, dx:dx + 32]
                    if np.array_equal(crop, image) or np.array_equal(crop[:, ::-1], image):
                        found = True
                        changed += (dy, dx) != (4, 4) or np.array_equal(crop[:, ::-1], image)
                        break
                if found:
                    break
            if found:
                break
        assert found
    assert changed > 0  # augmentation actually moved or mirrored images


def test_start_epoch_must_be_inside_the_run(run_data):
    from course_lib.train.pipeline import epoch_stream

    with pytest.raises(ValueError, match="start_epoch"):
        epoch_stream(run_data, seed=3, start_epoch=3, epochs=3)
