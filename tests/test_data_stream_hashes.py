"""Regression: the runner's epoch stream and ``data.load``'s batches, bit for bit.

Hashes taken before the training stream moved from ``course_lib.train.pipeline`` into
``course_lib.data`` (fashion_mnist32, ``train_limit=2000``: the shipped subset, so the same bytes on
every machine). Each value is ``"<batches>:<sha256 prefix of images+labels bytes>"``. A change here
changes every seeded run's metrics.

The ``augment=True`` values were retaken when the augmentation became Keras layers
(``course_lib.data.augmentation``: the same pad-4 crop and flip distribution, drawn by Keras'
``RandomTranslation``/``RandomFlip`` instead of ``tf.random.stateless_uniform`` integers); the
``augment=False`` values and the test batches did not change.
"""

import hashlib

import numpy as np
import pytest

pytestmark = pytest.mark.realdata

EXPECTED = {
    'stream seed=0 augment=True epoch=0': '16:de00b47df0a65439a985c6d7',
    'stream seed=0 augment=True epoch=1': '16:01f0e08cf1f4b4a178348fb6',
    'run test seed=0 augment=True first3': '3:47d0dd8522f353421a77b9c5',
    'load train seed=0 augment=True first3': '3:eeeb75bef88ce08e2eca160c',
    'load train seed=0 augment=True pass2 first3': '3:81161010be1d8eda6d759d55',
    'load test seed=0 augment=True first3': '3:47d0dd8522f353421a77b9c5',
    'stream seed=0 augment=False epoch=0': '16:46540dfeb93d971e914e672b',
    'stream seed=0 augment=False epoch=1': '16:a11ce029a06c5479c5567b47',
    'run test seed=0 augment=False first3': '3:47d0dd8522f353421a77b9c5',
    'load train seed=0 augment=False first3': '3:9e63a5c6f7b9996c73849584',
    'load train seed=0 augment=False pass2 first3': '3:dfd728a1c6fcc42dad56d0ab',
    'load test seed=0 augment=False first3': '3:47d0dd8522f353421a77b9c5',
    'stream seed=1 augment=True epoch=0': '16:91a96d497f6d899c17a88e94',
    'stream seed=1 augment=True epoch=1': '16:45d1e4e8b66e88e0ae6be63b',
    'run test seed=1 augment=True first3': '3:47d0dd8522f353421a77b9c5',
    'load train seed=1 augment=True first3': '3:a1f7ecd7748e592ac19a1e9b',
    'load train seed=1 augment=True pass2 first3': '3:408df163fe6a33dfaebab7b3',
    'load test seed=1 augment=True first3': '3:47d0dd8522f353421a77b9c5',
    'stream seed=1 augment=False epoch=0': '16:51ae6892710e8336bdf83b1a',
    'stream seed=1 augment=False epoch=1': '16:794c4c479123d1c9a972e1c2',
    'run test seed=1 augment=False first3': '3:47d0dd8522f353421a77b9c5',
    'load train seed=1 augment=False first3': '3:4b8d04888b06239d16b2c3ca',
    'load train seed=1 augment=False pass2 first3': '3:5ee8bb2f6b1922bd5b44ae64',
    'load test seed=1 augment=False first3': '3:47d0dd8522f353421a77b9c5',
}


def _digest(batches):
    h, n = hashlib.sha256(), 0
    for images, labels in batches:
        h.update(np.ascontiguousarray(images.numpy()).tobytes())
        h.update(np.ascontiguousarray(labels.numpy()).tobytes())
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
            epoch_stream(run, seed=seed, start_epoch=epoch, epochs=epoch + 1))
    got[f"run test seed={seed} augment={augment} first3"] = _digest(run.test.take(3))
    keras.utils.set_random_seed(seed)
    splits = data.load("fashion_mnist32", augment=augment, seed=seed, train_limit=2000,
                       data_dir=tmp_path)
    got[f"load train seed={seed} augment={augment} first3"] = _digest(splits.train.take(3))
    got[f"load train seed={seed} augment={augment} pass2 first3"] = _digest(splits.train.take(3))
    got[f"load test seed={seed} augment={augment} first3"] = _digest(splits.test.take(3))
    assert got == {k: v for k, v in EXPECTED.items() if k in got}
    assert len(got) == 6
