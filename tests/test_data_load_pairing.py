"""``data.load``'s training split keeps every image with its own label, pass after pass.

The shipped Fashion-MNIST subset is read independently (the raw uint8 files); each image that
``load`` hands out is mapped back to its uint8 pixels (the centre 28x28 of the 32x32 view, the
mean added back) and looked up there. A pipeline that shuffled images and labels apart, or
paired them with an offset, gives labels that are not the image's own. (The runner's epoch
stream has the same check in ``test_train_pipeline.py`` and ``test_train_pairing.py``.)
"""

import numpy as np
import pytest

pytestmark = pytest.mark.realdata

LIMIT = 300  # 30 images of each class


@pytest.fixture(scope="module")
def labels_by_image():
    """uint8 image bytes -> the set of labels the raw files give them (a few images repeat)."""
    from course_lib.data import load_fashion_mnist_arrays

    arrays = load_fashion_mnist_arrays()
    table = {}
    for image, label in zip(arrays.x_train, arrays.y_train):
        table.setdefault(image.tobytes(), set()).add(int(label))
    return table


def _pixels(images, mean):
    """The uint8 28x28 images behind a batch of the fashion_mnist32 view (unaugmented)."""
    value = (images[:, 2:30, 2:30, 0].astype(np.float64) + float(mean[0])) * 255.0
    pixels = np.round(value)
    assert np.max(np.abs(value - pixels)) < 0.05, "not an unaugmented view of uint8 pixels"
    return pixels.astype(np.uint8)


def test_every_training_image_keeps_its_own_label(labels_by_image):
    from course_lib.data import load

    train, _, _, info = load("fashion_mnist32", batch_size=64, augment=False, seed=2,
                             train_limit=LIMIT)
    passes = []
    for _ in range(2):  # the split reshuffles on every pass; the pairs must survive each one
        seen = []
        for images, labels in train:
            pixels = _pixels(images.numpy(), info.mean)
            for image, label in zip(pixels, labels.numpy()):
                own = labels_by_image.get(image.tobytes())
                assert own is not None, "an image that is not in the training files"
                assert int(label) in own, f"an image of class {sorted(own)} labelled {label}"
                seen.append(image.tobytes())
        assert len(seen) == LIMIT and len(set(seen)) == LIMIT  # each image once per pass
        passes.append(seen)
    assert passes[0] != passes[1]  # the order changed between passes, the pairs did not


def test_augmented_images_keep_the_label_of_the_image_they_were_cut_from():
    """Same seed, same order with or without augmentation: the label belongs to the crop."""
    from course_lib.data import load

    kwargs = dict(batch_size=32, seed=4, train_limit=LIMIT)
    augmented = load("fashion_mnist32", augment=True, **kwargs).train
    plain = load("fashion_mnist32", augment=False, **kwargs).train
    (images, labels), = [(x.numpy(), y.numpy()) for x, y in augmented.take(1)]
    (originals, plain_labels), = [(x.numpy(), y.numpy()) for x, y in plain.take(1)]
    np.testing.assert_array_equal(labels, plain_labels)
    padded = np.pad(originals, ((0, 0), (4, 4), (4, 4), (0, 0)))
    for i, image in enumerate(images):
        assert any(np.array_equal(padded[i, dy:dy + 32, dx:dx + 32][:, ::-1 if flip else 1], image)
                   for dy in range(9) for dx in range(9) for flip in (False, True)), (
            f"augmented image {i} is not a crop of the image its label belongs to")
