"""Regression: the runner's epoch stream and ``data.load``'s batches, image for image.

fashion_mnist32 with ``train_limit=2000`` reads the shipped subset, so the same pixels on every
machine. Each value is ``"<batches>:<sha256 prefix of the quantised images + labels>"``. A change
here changes every seeded run's metrics: the order of the images, their crops and flips, their
labels. (The pairing of images and labels is tested for its meaning in
``test_data_fashion_mnist.py``; this test pins the order and the augmentation draws.)

What is hashed is what is the same on every CPU. The pipeline hands the model float32
``u/255 - mean`` (``u`` the uint8 pixel, or 0 in the padding), and float arithmetic may round
differently on another CPU or library build. So the digest maps every value back onto a grid
eight times finer than a pixel level, ``round(8 * 255 * (x + mean))``: a real pixel lands on
``8u`` and a padded one on a fixed level, each far (checked: >= 0.05 of a grid step) from a
rounding boundary, so a difference of a few ulps cannot change the digest, while any other
image, crop, flip or label does.
"""

import hashlib

import numpy as np
import pytest

pytestmark = pytest.mark.realdata

EXPECTED = {
    'stream seed=0 augment=True epoch=0': '16:1dcf3ea37d4cd7bb90c0c82a',
    'stream seed=0 augment=True epoch=1': '16:158cf68615fee589ff0aab33',
    'run test seed=0 augment=True first3': '3:ac71d8b189b42d981d9795e4',
    'load train seed=0 augment=True first3': '3:d1d965fa5b91485a585792fe',
    'load train seed=0 augment=True pass2 first3': '3:33d08f7e2bb2f630c6316814',
    'load test seed=0 augment=True first3': '3:ac71d8b189b42d981d9795e4',
    'stream seed=0 augment=False epoch=0': '16:d1e25ebe003ee14e8c7ff5a6',
    'stream seed=0 augment=False epoch=1': '16:314d4203fd4a346acbb2a417',
    'run test seed=0 augment=False first3': '3:ac71d8b189b42d981d9795e4',
    'load train seed=0 augment=False first3': '3:6969ea548fcb1cd6e4feb662',
    'load train seed=0 augment=False pass2 first3': '3:74fd0e1ef52b85770a754561',
    'load test seed=0 augment=False first3': '3:ac71d8b189b42d981d9795e4',
    'stream seed=1 augment=True epoch=0': '16:3be20d0a5822f3e3eca64def',
    'stream seed=1 augment=True epoch=1': '16:19a802418d3d3e20e9be9b4b',
    'run test seed=1 augment=True first3': '3:ac71d8b189b42d981d9795e4',
    'load train seed=1 augment=True first3': '3:8f63afd5b7610c46b1198b00',
    'load train seed=1 augment=True pass2 first3': '3:7c3bf08a90df88ea7d37fdcc',
    'load test seed=1 augment=True first3': '3:ac71d8b189b42d981d9795e4',
    'stream seed=1 augment=False epoch=0': '16:e41d2afd7f4fbe79e90a6e72',
    'stream seed=1 augment=False epoch=1': '16:294479f990c0c602cfbc0cf3',
    'run test seed=1 augment=False first3': '3:ac71d8b189b42d981d9795e4',
    'load train seed=1 augment=False first3': '3:8b0e1c7875bc3c91428dd395',
    'load train seed=1 augment=False pass2 first3': '3:cdd8516ccb053520acf95085',
    'load test seed=1 augment=False first3': '3:ac71d8b189b42d981d9795e4',
}


def _digest(batches, mean):
    h, n = hashlib.sha256(), 0
    mean = np.asarray(mean, np.float64)
    for images, labels in batches:
        grid = 8.0 * 255.0 * (images.numpy().astype(np.float64) + mean)
        levels = np.round(grid)
        assert np.max(np.abs(grid - levels)) <= 0.45, "a value sits near a rounding boundary"
        h.update(np.ascontiguousarray(levels.astype(np.int32)).tobytes())
        h.update(np.ascontiguousarray(labels.numpy().astype(np.int64)).tobytes())
        n += 1
    return f"{n}:{h.hexdigest()[:24]}"


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("augment", [True, False])
def test_batches_are_unchanged(seed, augment, tmp_path):
    import keras

    from course_lib import data
    from course_lib.data import epoch_stream, load_run_data

    got = {}
    keras.utils.set_random_seed(seed)  # as the runner does before loading
    run = load_run_data("fashion_mnist32", batch_size=128, augment=augment, seed=seed, extra=None,
                        train_limit=2000, test_limit=None, data_dir=tmp_path)
    for epoch in (0, 1):  # a run resumed at `epoch` draws the same batches
        got[f"stream seed={seed} augment={augment} epoch={epoch}"] = _digest(
            epoch_stream(run, seed=seed, start_epoch=epoch, epochs=epoch + 1), run.info.mean)
    # the runner's test batches are larger (EVAL_BATCH_SIZE) but hold the same images in the
    # same order as data.load's: its first 3 x 128 images hash as load's first 3 batches
    first = run.test.unbatch().take(3 * 128).batch(128)
    got[f"run test seed={seed} augment={augment} first3"] = _digest(first, run.info.mean)
    keras.utils.set_random_seed(seed)
    splits = data.load("fashion_mnist32", augment=augment, seed=seed, train_limit=2000,
                       data_dir=tmp_path)
    mean = splits.info.mean
    got[f"load train seed={seed} augment={augment} first3"] = _digest(splits.train.take(3), mean)
    got[f"load train seed={seed} augment={augment} pass2 first3"] = _digest(splits.train.take(3),
                                                                            mean)
    got[f"load test seed={seed} augment={augment} first3"] = _digest(splits.test.take(3), mean)
    assert got == {k: v for k, v in EXPECTED.items() if k in got}
    assert len(got) == 6
