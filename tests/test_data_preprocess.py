"""Vectorised preprocessing: SimpNet augmentation, the 32x32x3 view, the channel mean."""

import numpy as np
import pytest
import tensorflow as tf

from course_lib.data.preprocess import channel_mean, pad_and_tile, random_pad_crop_flip


def _match(out, img, padding):
    """(dy, dx, flipped) such that out is that crop of the zero-padded img, else None."""
    padded = np.pad(img, [(padding, padding), (padding, padding), (0, 0)])
    h, w = img.shape[:2]
    hits = []
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            crop = padded[dy : dy + h, dx : dx + w]
            if np.array_equal(out, crop):
                hits.append((dy, dx, False))
            if np.array_equal(out, crop[:, ::-1]):
                hits.append((dy, dx, True))
    return hits


@pytest.mark.parametrize("flip", [True, False])
def test_each_image_is_a_padded_crop(flip):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, size=(64, 12, 10, 3)).astype(np.float32)  # no zeros: unique match
    out = random_pad_crop_flip(tf.constant(x), tf.constant([3, 4]), padding=4, flip=flip).numpy()
    assert out.shape == x.shape and out.dtype == np.float32
    found = []
    for o, img in zip(out, x):
        hits = _match(o, img, 4)
        assert len(hits) == 1, hits
        found.append(hits[0])
    dys, dxs, flips = map(np.array, zip(*found))
    assert dys.min() >= 0 and dys.max() <= 8 and dxs.max() <= 8
    assert len(set(zip(dys, dxs))) > 20  # per-image offsets, not one offset per batch
    if flip:
        assert 10 < flips.sum() < 54  # p = 1/2 over 64 images
    else:
        assert not flips.any()


def test_offsets_cover_the_whole_range():
    x = np.ones((2000, 8, 8, 1), np.float32)
    out = random_pad_crop_flip(tf.constant(x), tf.constant([1, 2]), padding=4, flip=False).numpy()
    # zero rows on top = 4 - dy (dy < 4), zero rows at the bottom = dy - 4 (dy > 4)
    rows = out[:, :, :, 0].max(axis=2) > 0
    top = rows.argmax(axis=1)
    bottom = rows[:, ::-1].argmax(axis=1)
    dy = np.where(top > 0, 4 - top, 4 + bottom)
    assert set(dy.tolist()) == set(range(9))
    counts = np.bincount(dy, minlength=9)
    assert counts.min() > 150  # uniform: about 222 each


def test_same_seed_same_output_and_seed_matters():
    x = tf.random.stateless_uniform([16, 8, 8, 3], seed=[0, 0])
    a = random_pad_crop_flip(x, tf.constant([5, 6]))
    b = random_pad_crop_flip(x, tf.constant([5, 6]))
    c = random_pad_crop_flip(x, tf.constant([5, 7]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_no_padding_no_flip_is_identity_and_bad_padding():
    x = tf.random.stateless_uniform([4, 8, 8, 3], seed=[0, 1])
    out = random_pad_crop_flip(x, tf.constant([0, 0]), padding=0, flip=False)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    with pytest.raises(ValueError, match="Received: padding=-1"):
        random_pad_crop_flip(x, tf.constant([0, 0]), padding=-1)


def test_works_inside_tf_function_with_unknown_batch():
    fn = tf.function(
        lambda x, s: random_pad_crop_flip(x, s),
        input_signature=[tf.TensorSpec([None, 32, 32, 3]), tf.TensorSpec([2], tf.int64)],
    )
    out = fn(tf.zeros([5, 32, 32, 3]), tf.constant([1, 2], tf.int64))
    assert out.shape == (5, 32, 32, 3)


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

