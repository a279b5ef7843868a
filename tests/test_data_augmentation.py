"""The training augmentation as Keras layers (``course_lib.data.augmentation``): what each image
becomes (a zero-pad-4 crop, maybe mirrored), shapes, determinism under a seed, off at inference,
and the same pipeline twice giving the same batches and the same training."""

import numpy as np
import pytest
import tensorflow as tf

from course_lib.data.augmentation_layers import augment_batch, augmentation


def _match(out, img, padding):
    """Every (dy, dx, flipped) such that out is that crop of the zero-padded img."""
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


def _images(shape, seed=0):
    # No zeros: a crop matches exactly one offset.
    return np.random.default_rng(seed).uniform(0.1, 1.0, size=shape).astype(np.float32)


def test_the_stack_is_keras_preprocessing_layers():
    import keras

    stack = augmentation((32, 32, 3), seed=0)
    assert isinstance(stack, keras.Sequential)
    kinds = [type(layer) for layer in stack.layers]
    assert kinds == [keras.layers.RandomTranslation, keras.layers.RandomFlip]
    shift, flip = stack.layers
    assert (shift.fill_mode, shift.fill_value, shift.interpolation) == ("constant", 0.0, "nearest")
    assert flip.mode == "horizontal"
    assert [type(layer) for layer in augmentation((28, 28, 1), flip=False).layers] == [
        keras.layers.RandomTranslation]
    assert augmentation(padding=0, flip=False).layers == []


@pytest.mark.parametrize("flip", [True, False])
def test_each_image_is_a_padded_crop_with_its_own_offset(flip):
    x = _images((64, 12, 10, 3))
    out = augment_batch(augmentation((12, 10, 3), flip=flip), tf.constant(x),
                        tf.constant([3, 4])).numpy()
    assert out.shape == x.shape and out.dtype == np.float32
    found = []
    for o, img in zip(out, x):
        hits = _match(o, img, 4)
        assert len(hits) == 1, hits
        found.append(hits[0])
    dys, dxs, flips = map(np.array, zip(*found))
    assert len(set(zip(dys, dxs))) > 20  # per-image offsets, not one offset per batch
    if flip:
        assert 10 < flips.sum() < 54  # p = 1/2 over 64 images
    else:
        assert not flips.any()


def test_offsets_are_uniform_over_the_whole_range_and_independent():
    x = np.ones((2000, 8, 8, 1), np.float32)
    out = augment_batch(augmentation((8, 8, 1), flip=False), tf.constant(x),
                        tf.constant([1, 2])).numpy()
    rows, cols = out[..., 0].max(axis=2) > 0, out[..., 0].max(axis=1) > 0

    def offsets(mask):  # zero lines before = 4 - d (d < 4), after = d - 4 (d > 4)
        before, after = mask.argmax(axis=1), mask[:, ::-1].argmax(axis=1)
        return np.where(before > 0, 4 - before, 4 + after)

    dy, dx = offsets(rows), offsets(cols)
    for d in (dy, dx):
        assert set(d.tolist()) == set(range(9))
        assert np.bincount(d, minlength=9).min() > 150  # uniform: about 222 each
    assert abs(np.corrcoef(dy, dx)[0, 1]) < 0.1  # height and width draw separately


@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1), (12, 10, 3)])
def test_shapes_are_preserved(shape):
    import keras

    stack = augmentation(shape, seed=0)
    x = _images((5, *shape))
    assert tuple(stack(x, training=True).shape) == (5, *shape)
    assert tuple(augment_batch(stack, tf.constant(x), tf.constant([0, 1])).shape) == (5, *shape)
    assert stack.compute_output_shape((None, *shape)) == (None, *shape)
    symbolic = stack(keras.Input(shape))
    assert tuple(symbolic.shape) == (None, *shape)


def test_works_inside_tf_function_with_an_unknown_batch():
    stack = augmentation()
    fn = tf.function(lambda x, s: augment_batch(stack, x, s),
                     input_signature=[tf.TensorSpec([None, 32, 32, 3]),
                                      tf.TensorSpec([2], tf.int64)])
    out = fn(tf.zeros([5, 32, 32, 3]), tf.constant([1, 2], tf.int64))
    assert out.shape == (5, 32, 32, 3)
    assert fn.get_concrete_function().structured_outputs.shape.as_list() == [None, 32, 32, 3]


def test_off_at_inference():
    x = _images((8, 32, 32, 3))
    stack = augmentation(seed=0)
    np.testing.assert_array_equal(stack(x, training=False).numpy(), x)
    np.testing.assert_array_equal(stack.predict(x, verbose=0), x)
    # and on in training (the layers' default when called directly)
    assert not np.array_equal(stack(x, training=True).numpy(), x)
    assert not np.array_equal(stack(x).numpy(), x)


def test_same_batch_seed_same_output_and_the_seed_matters():
    x = tf.constant(_images((16, 8, 8, 3)))
    a = augment_batch(augmentation((8, 8, 3)), x, tf.constant([5, 6]))
    b = augment_batch(augmentation((8, 8, 3)), x, tf.constant([5, 6]))  # another stack
    c = augment_batch(augmentation((8, 8, 3)), x, tf.constant([5, 7]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_the_layers_own_seed_makes_interactive_calls_repeatable():
    x = _images((16, 32, 32, 3))
    first, second = augmentation(seed=7), augmentation(seed=7)
    runs = [[s(x, training=True).numpy() for _ in range(2)] for s in (first, second)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])  # same seed, same sequence
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[0][1])  # a new draw per call


def test_float32_under_a_mixed_precision_policy():
    import keras

    old = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        stack = augmentation()
    finally:
        keras.config.set_dtype_policy(old)
    x = tf.constant(_images((2, 32, 32, 3)))
    assert augment_batch(stack, x, tf.constant([0, 0])).dtype == tf.float32


def test_no_padding_no_flip_is_the_identity():
    x = tf.constant(_images((4, 8, 8, 3)))
    out = augment_batch(augmentation((8, 8, 3), padding=0, flip=False), x, tf.constant([0, 0]))
    np.testing.assert_array_equal(out.numpy(), x.numpy())


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding=-1), "Received: padding=-1"),
    (dict(padding=1.5), "Received: padding=1.5"),
    (dict(padding=32), "smaller than the image"),
    (dict(flip="yes"), "Received: flip='yes'"),
    (dict(seed=-1), "Received: seed=-1"),
    (dict(input_shape=(32, 32)), r"Received: input_shape=\(32, 32\)"),
])
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        augmentation(**kwargs)


@pytest.mark.realdata
def test_two_runs_with_the_same_seed_give_the_same_batches_and_the_same_training():
    """The whole augmented stream twice from scratch, and a small model trained on each: the
    same batches bit for bit and the same weights and losses (CPU)."""
    import keras

    from course_lib.data import epoch_stream, load_run_data

    def run():
        keras.utils.set_random_seed(3)
        data = load_run_data("fashion_mnist32", batch_size=16, augment=True, seed=3, extra=None,
                             train_limit=40, test_limit=20)
        batches = [(x.numpy(), y.numpy()) for x, y in
                   epoch_stream(data, seed=3, start_epoch=0, epochs=2)]
        net = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                                keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
        net.compile(optimizer=keras.optimizers.SGD(0.05),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = net.fit(epoch_stream(data, seed=3, start_epoch=0, epochs=2), epochs=2,
                          steps_per_epoch=data.steps_per_epoch, shuffle=False, verbose=0)
        return batches, history.history["loss"], net.get_weights()

    (batches_a, loss_a, weights_a), (batches_b, loss_b, weights_b) = run(), run()
    assert len(batches_a) == 6
    for (xa, ya), (xb, yb) in zip(batches_a, batches_b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert loss_a == loss_b
    for wa, wb in zip(weights_a, weights_b):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.realdata
def test_loading_the_data_does_not_move_the_models_initial_weights():
    """The pipeline builds its stack with a seed: an unseeded Keras layer would draw one from
    Python's ``random`` and shift every later unseeded draw (the runner builds its model after
    loading the data, so quick runs, which do not augment, would change)."""
    import keras

    from course_lib import models as zoo
    from course_lib.data import load_run_data

    def weights(load_first):
        keras.utils.set_random_seed(0)
        if load_first:
            load_run_data("fashion_mnist32", batch_size=16, augment=True, seed=0, extra=None,
                          train_limit=40, test_limit=20)
        net = zoo.build("CNN-A2", width_multiplier=0.125)
        return [w.numpy() for w in net.weights] + [keras.random.uniform((3,)).numpy()]

    for a, b in zip(weights(False), weights(True)):
        np.testing.assert_array_equal(a, b)


def test_docstring_examples_run():
    import doctest

    from course_lib.data import augmentation_layers

    assert doctest.testmod(augmentation_layers).failed == 0
