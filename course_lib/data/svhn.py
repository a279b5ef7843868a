"""The SVHN validation split of seed 000, after Maxout networks [11] (section 3: "采用与[11]相同的
验证集，即从训练集中每类随机抽取 400 张并从拓展数据集中每类随机抽取 200 张作为验证集"): 400 images per
class from ``train`` and 200 from ``extra``, drawn with a fixed NumPy seed, removed from training.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from course_lib.data.preprocess import json_cache

__all__ = ["SVHN_VALIDATION_PER_CLASS", "SVHN_VALIDATION_SEED", "svhn_validation_indices",
           "cached_svhn_validation_indices"]

#: Validation images per class drawn from (train, extra).
SVHN_VALIDATION_PER_CLASS = (400, 200)
#: Seed of the draw; fixed so the split never changes.
SVHN_VALIDATION_SEED = 0


def svhn_validation_indices(train_labels: np.ndarray, extra_labels: np.ndarray | None,
                            per_class: tuple[int, int] = SVHN_VALIDATION_PER_CLASS,
                            seed: int = SVHN_VALIDATION_SEED, num_classes: int = 10
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted int64 indices of the validation images in ``train`` and in ``extra``.

    Args:
        train_labels: labels of the ``train`` split in file order.
        extra_labels: labels of ``extra``, or None (then the extra indices are empty).
        per_class: images per class drawn from train and from extra.
        seed: NumPy seed of the draw (classes in order 0..9, train first).
        num_classes: number of classes.

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


def cached_svhn_validation_indices(
    cache: Path, key: dict, train_labels: Callable[[], np.ndarray],
    extra_labels: Callable[[], np.ndarray] | None,
    per_class: tuple[int, int] = SVHN_VALIDATION_PER_CLASS,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`svhn_validation_indices`, computed once per ``key`` and kept as
    ``<cache>/svhn_validation-<sha1 of key>.json`` (reading 604,388 labels takes a while).

    Args:
        cache: the loaders' cache folder.
        key: JSON-serialisable description of the source (folder, version, split sizes).
        train_labels: returns the ``train`` labels, called on a miss.
        extra_labels: the same for ``extra``, or None.
        per_class: as in :func:`svhn_validation_indices`.
    """
    key = {**key, "per_class": list(per_class), "seed": SVHN_VALIDATION_SEED}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]

    def compute():
        idx = svhn_validation_indices(train_labels(), extra_labels and extra_labels(), per_class)
        return {"train_idx": idx[0].tolist(), "extra_idx": idx[1].tolist()}

    stored, _ = json_cache(Path(cache) / f"svhn_validation-{digest}.json", key, compute,
                           "the SVHN validation split")
    return tuple(np.asarray(stored[k], np.int64) for k in ("train_idx", "extra_idx"))
