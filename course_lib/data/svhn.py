"""The SVHN validation split of seed 000, after Maxout networks [11] (section 3: "采用与[11]相同的
验证集，即从训练集中每类随机抽取 400 张并从拓展数据集中每类随机抽取 200 张作为验证集"): 400 images per
class from ``train`` and 200 from ``extra``, drawn with a fixed NumPy seed, removed from training.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SVHN_VALIDATION_PER_CLASS", "SVHN_VALIDATION_SEED", "svhn_validation_indices"]

SVHN_VALIDATION_PER_CLASS = (400, 200)  # from (train, extra)
SVHN_VALIDATION_SEED = 0  # fixed: the split never changes


def svhn_validation_indices(train_labels: np.ndarray, extra_labels: np.ndarray | None,
                            per_class: tuple[int, int] = SVHN_VALIDATION_PER_CLASS,
                            seed: int = SVHN_VALIDATION_SEED, num_classes: int = 10
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The validation images of seed 000's SVHN split.

    Args:
        train_labels: labels of the ``train`` split in file order.
        extra_labels: labels of ``extra``, or None (then the extra indices are empty).
        per_class: images per class drawn from train and from extra.
        seed: NumPy seed of the draw (classes in order 0..9, train first).
        num_classes: number of classes.

    Returns:
        Sorted int64 indices of the validation images in ``train`` and in ``extra``.

    Raises:
        ValueError: a class has fewer images than requested.
    """
    rng = np.random.default_rng(seed)
    out = []
    for part, labels, k in (("train", train_labels, per_class[0]),
                            ("extra", extra_labels, per_class[1])):
        chosen = [np.zeros([0], np.int64)]
        for c in range(num_classes if labels is not None else 0):
            members = np.flatnonzero(np.asarray(labels) == c)
            if members.size < k:
                raise ValueError(
                    f"SVHN validation split: class {c} has {members.size} images in '{part}', "
                    f"fewer than the {k} per class the split needs ({len(labels)} images in "
                    f"'{part}'). Received: per_class={tuple(per_class)}")
            chosen.append(rng.choice(members, size=k, replace=False))
        out.append(np.sort(np.concatenate(chosen)).astype(np.int64))
    return out[0], out[1]

