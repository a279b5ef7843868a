"""The runner's epoch stream: order and augmentation depend only on (seed, epoch)."""

import numpy as np
import pytest

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def run_data():
    from course_lib.data import load_run_data

    return load_run_data("fashion_mnist32", batch_size=16, augment=True, seed=3,
                         extra=None, train_limit=40, test_limit=20)


def _batches(stream):
    return [(x.numpy(), y.numpy()) for x, y in stream]


def test_sizes_and_file_order(run_data):
    from course_lib.data import load_fashion_mnist_arrays

    assert (run_data.num_train, run_data.num_test, run_data.steps_per_epoch) == (40, 20, 3)
    assert run_data.flip is True  # Fashion-MNIST flips in augmentation (data module default)
    labels = np.array([int(y) for _, y in run_data.examples])
    arrays = load_fashion_mnist_arrays()
    # the stratified subset (the first 4 of each class), in file order, no shuffle
    keep = np.sort(np.concatenate([np.flatnonzero(arrays.y_train == c)[:4] for c in range(10)]))
    assert np.bincount(arrays.y_train[keep], minlength=10).tolist() == [4] * 10
    np.testing.assert_array_equal(labels, arrays.y_train[keep])
    test_labels = np.concatenate([y.numpy() for _, y in run_data.test])
    np.testing.assert_array_equal(test_labels, arrays.y_test[:20])
    # test batches hold EVAL_BATCH_SIZE images (scoring only), but no more than a multiple of
    # the training batch of 16 needs for the 20 test images
    assert run_data.test_batch_size == 32
    assert [int(y.shape[0]) for _, y in run_data.test] == [20]
    assert int(run_data.test.cardinality()) == 1


def test_test_batches_are_multiples_of_the_training_batch_up_to_eval_batch_size():
    from course_lib.data import load_run_data
    from course_lib.data.loaders import EVAL_BATCH_SIZE

    for batch, test_limit, expected in ((64, None, 512), (100, None, 600), (32, 64, 64),
                                        (32, 1000, 512)):
        data = load_run_data("fashion_mnist32", batch_size=batch, augment=False, seed=0,
                             extra=None, train_limit=100, test_limit=test_limit)
        assert data.test_batch_size == expected, (batch, test_limit)
        assert data.test_batch_size % batch == 0
        assert data.test_batch_size <= max(EVAL_BATCH_SIZE + batch - 1,
                                           -(-data.num_test // batch) * batch)


def test_resumed_stream_equals_the_tail_of_the_full_stream(run_data):
    from course_lib.data import epoch_stream

    full = _batches(epoch_stream(run_data, seed=3, start_epoch=0, epochs=3))
    tail = _batches(epoch_stream(run_data, seed=3, start_epoch=2, epochs=3))
    assert len(full) == 9 and len(tail) == 3
    for (xa, ya), (xb, yb) in zip(full[6:], tail):
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(xa, xb)  # same crops and flips, bit for bit


def test_every_epoch_is_a_permutation_of_the_data_and_epochs_differ(run_data):
    from course_lib.data import epoch_stream

    batches = _batches(epoch_stream(run_data, seed=3, start_epoch=0, epochs=2))
    all_labels = np.array([int(y) for _, y in run_data.examples])
    epoch0 = np.concatenate([y for _, y in batches[:3]])
    epoch1 = np.concatenate([y for _, y in batches[3:]])
    np.testing.assert_array_equal(np.sort(epoch0), np.sort(all_labels))
    np.testing.assert_array_equal(np.sort(epoch1), np.sort(all_labels))
    assert not np.array_equal(epoch0, epoch1)
    other_seed = _batches(epoch_stream(run_data, seed=4, start_epoch=0, epochs=1))
    assert not np.array_equal(np.concatenate([y for _, y in other_seed]), epoch0)


def test_augmentation_is_a_shifted_or_mirrored_crop_of_the_same_image(run_data):
    """Image i of an augmented batch is a pad-4 crop (maybe mirrored) of image i unaugmented."""
    import dataclasses

    from course_lib.data import epoch_stream

    plain = dataclasses.replace(run_data, augment=False)  # same order: shuffle ignores augment
    (images, labels), *_ = _batches(epoch_stream(run_data, seed=3, start_epoch=1, epochs=2))
    (originals, plain_labels), *_ = _batches(epoch_stream(plain, seed=3, start_epoch=1, epochs=2))
    np.testing.assert_array_equal(labels, plain_labels)
    padded = np.pad(originals, ((0, 0), (4, 4), (4, 4), (0, 0)))
    moved = 0
    for i, image in enumerate(images):
        matches = [(dy, dx, flip) for dy in range(9) for dx in range(9) for flip in (False, True)
                   if np.array_equal(padded[i, dy:dy + 32, dx:dx + 32][:, ::-1 if flip else 1],
                                     image)]
        assert matches, f"image {i} is not a crop of its original"
        moved += (4, 4, False) not in matches
    assert moved > len(images) // 2  # almost every image is shifted or mirrored


def test_start_epoch_must_be_inside_the_run(run_data):
    from course_lib.data import epoch_stream

    with pytest.raises(ValueError, match="start_epoch"):
        epoch_stream(run_data, seed=3, start_epoch=3, epochs=3)
