"""Vectorised preprocessing: the 32x32x3 view, the channel mean (the augmentation: see
test_data_augmentation.py)."""

import numpy as np
import pytest
import tensorflow as tf

from course_lib.data.preprocess import channel_mean, pad_and_tile


def test_pad_and_tile_matches_numpy():
    x = np.random.default_rng(1).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    out = pad_and_tile(tf.constant(x)).numpy()
    ref = np.repeat(np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)]), 3, axis=-1)
    np.testing.assert_array_equal(out, ref)
    assert out.dtype == np.uint8


def test_channel_mean_matches_numpy():
    x = np.random.default_rng(2).integers(0, 256, (5000, 6, 5, 3), dtype=np.uint8)
    y = np.zeros(5000, np.int32)
    mean = channel_mean(tf.data.Dataset.from_tensor_slices((x, y)))
    np.testing.assert_allclose(mean, x.reshape(-1, 3).mean(axis=0) / 255.0, rtol=1e-12)
    grey = tf.data.Dataset.from_tensor_slices((x[:, :4, :4, :1], y))  # the padded view's mean
    np.testing.assert_allclose(channel_mean(grey, lambda i: pad_and_tile(i, 8, 3)),
                               [x[:, :4, :4, 0].sum() / (5000 * 64 * 255.0)] * 3, rtol=1e-12)
    with pytest.raises(ValueError, match="empty"):
        channel_mean(tf.data.Dataset.from_tensor_slices((x[:0], y[:0])))

