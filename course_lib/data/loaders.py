"""``load(name, ...)``: batched tf.data pipelines with the sources' preprocessing; the runner's
training stream, whose epoch ``e`` depends only on (seed, e) (``load_run_data``, ``epoch_stream``).

``fashion_mnist32`` is Fashion-MNIST padded to 32x32x3, a CIFAR-shaped offline set. SVHN's
validation split is seed 000's (``svhn_validation_indices``); preprocessing (seed 000, section
3: "对数据集每张图片的 R、G、B 通道减去数据集所有图片该通道的均值"): ``course_lib.data.preprocess``.
"""

from __future__ import annotations

import functools
import math
import os
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from course_lib import validation
from course_lib.core import Registry
from course_lib.data import shipped, tfds_source
from course_lib.data.fashion_mnist import (FASHION_MNIST_CLASSES, load_fashion_mnist_arrays,
                                           read_shipped_fashion_mnist)
from course_lib.data.info import DatasetInfo, Splits
from course_lib.data.paths import resolve_data_dir
from course_lib.data.augmentation_layers import augment_batch, augmentation
from course_lib.data.preprocess import channel_mean, pad_and_tile, scale_images, shuffled_batches

__all__ = ["load", "names", "load_run_data", "epoch_stream", "RunData", "CIFAR10_CLASSES",
           "CIFAR100_CLASSES", "svhn_validation_indices", "SVHN_VALIDATION_PER_CLASS",
           "SVHN_VALIDATION_SEED"]

# Krizhevsky 2009 (batches.meta, meta), typed out: an unprepared tfds builder says "0".."99".
CIFAR10_CLASSES = tuple("airplane automobile bird cat deer dog frog horse ship truck".split())
CIFAR100_CLASSES = tuple(
    """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus
    butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch
    crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo
    keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse
    mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy
    porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper
    snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television
    tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm""".split()
)
_DIGITS = tuple(str(i) for i in range(10))
CACHE_MEMORY_FRACTION = 0.25  # of physical memory a split's uint8 images may take in the cache


_Spec = namedtuple("_Spec", "name tfds_name num_classes raw_shape class_names flip view",
                   defaults=(None,))
_DATASETS: Registry[_Spec] = Registry("dataset", hint="See course_lib.data.names().")
for _s, _aliases in (
    (_Spec("cifar10", "cifar10", 10, (32, 32, 3), CIFAR10_CLASSES, True), ("cifar", "cifar-10")),
    (_Spec("cifar100", "cifar100", 100, (32, 32, 3), CIFAR100_CLASSES, True), ("cifar-100",)),
    (_Spec("svhn", "svhn_cropped", 10, (32, 32, 3), _DIGITS, False), ("svhn_cropped",)),
    (_Spec("mnist", "mnist", 10, (28, 28, 1), _DIGITS, False), ()),
    (_Spec("fashion_mnist", "fashion_mnist", 10, (28, 28, 1), FASHION_MNIST_CLASSES, True), ()),
    (_Spec("fashion_mnist32", "fashion_mnist", 10, (28, 28, 1), FASHION_MNIST_CLASSES, True,
           view=pad_and_tile), ()),
):
    _DATASETS.register(_s.name, _s, aliases=_aliases)


def names() -> tuple[str, ...]:
    """Names accepted by ``load``."""
    return tuple(_DATASETS.names())


def canonical(name: str, arg: str = "dataset") -> str:
    """The registered spelling of a dataset name (``"SVHN"`` -> ``"svhn"``); ``ValueError`` if unknown."""
    return _DATASETS.canonical(name, arg=arg)


#: Raw uint8 splits of a source, their sizes and provenance.
_Source = namedtuple("_Source", "train val test counts splits location in_memory data_source")


def _rule(train_limit: int, num_classes: int) -> str:
    quotas = shipped.stratified_quotas(train_limit, num_classes)
    per = f"{quotas.max()}" if quotas.min() == quotas.max() else f"{quotas.min()}-{quotas.max()}"
    return f"first {per} per class in file order ({train_limit} images, train_limit)"


def _select(labels: Callable, pool: dict, train_limit, num_classes: int, hint: str = ""):
    """The stratified subset (see ``course_lib.data.shipped``) of the training ``pool`` (``{part:
    mask}``, parts in order): ``{part: mask}``, or None when it keeps the whole pool."""
    size = sum(int(m.sum()) for m in pool.values())
    if hint and train_limit is not None and train_limit > size:
        raise ValueError(f"`train_limit` asks for {train_limit} training images, more than the "
                         f"{size} found.{hint} Received: train_limit={train_limit!r}")
    if train_limit is None or train_limit >= size:
        return None
    quotas, chosen = shipped.stratified_quotas(train_limit, num_classes), {}
    for part, mask in pool.items():
        chosen[part] = np.zeros_like(mask)
        if quotas.sum():
            avail = np.flatnonzero(mask)
            picked = avail[shipped.first_per_class(labels(part)[avail], quotas)]
            chosen[part][picked] = True
            quotas = quotas - np.bincount(labels(part)[picked], minlength=num_classes)
    if quotas.sum():
        raise ValueError(f"`train_limit` asks for more images of a class than the training pool "
                         f"has ({quotas.tolist()} missing per class).{hint} Received: "
                         f"train_limit={train_limit!r}")
    return chosen


SVHN_VALIDATION_PER_CLASS = (400, 200)  # from (train, extra)
SVHN_VALIDATION_SEED = 0  # fixed: the split never changes


def svhn_validation_indices(train_labels: np.ndarray, extra_labels: np.ndarray | None,
                            per_class: tuple[int, int] = SVHN_VALIDATION_PER_CLASS,
                            seed: int = SVHN_VALIDATION_SEED, num_classes: int = 10
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Seed 000's SVHN validation split, after Maxout networks [11] (section 3: "采用与[11]相同的
    验证集，即从训练集中每类随机抽取 400 张并从拓展数据集中每类随机抽取 200 张作为验证集").

    Returns sorted int64 indices into ``train`` and ``extra``, drawn with NumPy ``seed``.
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


def _tfds_source(spec: _Spec, root: Path, svhn_val: bool, train_limit, extra: bool) -> _Source:
    svhn = spec.name == "svhn"
    searched: list = []
    builder, data_source = tfds_source.find_prepared(spec.tfds_name, root, searched), "tfds"
    if builder is None:
        builder = tfds_source.download(spec.tfds_name, root, dataset=spec.name, searched=searched)
        data_source = "download"
    parts = ["train", "extra"] if svhn and extra else ["train"]
    sizes = {p: tfds_source.split_size(builder, p) for p in parts + ["test"]}
    labels = functools.cache(lambda p: tfds_source.split_labels(builder, p))
    val = {p: np.zeros(sizes[p], bool) for p in parts}
    if svhn and svhn_val:
        indices = svhn_validation_indices(labels("train"), labels("extra") if extra else None)
        for p, idx in zip(parts, indices):
            val[p][idx] = True
    pool = {p: ~val[p] for p in parts}
    train = _select(labels, pool, train_limit, spec.num_classes)
    rule = f", {_rule(train_limit, spec.num_classes)}" if train else ""
    train = train or pool
    n_train, n_val = (sum(int(m[p].sum()) for p in parts) for m in (train, val))
    train_text, val_text = "train" + rule, None
    if svhn:
        per = SVHN_VALIDATION_PER_CLASS
        held = f"{per[0]}/class from train" + (f" + {per[1]}/class from extra" if extra else "")
        train_text = (" + ".join(f"{p} minus validation" for p in parts) if n_val
                      else "+".join(parts)) + rule
        val_text = f"seed-000 validation split ({held}, fixed seed)" if n_val else None

    def read(masks):
        reads = [tfds_source.read_split(builder, p, keep=None if masks[p].all() else masks[p])
                 for p in parts if masks[p].any()]
        return functools.reduce(tf.data.Dataset.concatenate, reads) if reads else None

    return _Source(train=read(train), val=read(val), test=tfds_source.read_split(builder, "test"),
                   counts={"train": n_train, "val": n_val, "test": sizes["test"]},
                   splits={"train": train_text, "val": val_text, "test": "test"},
                   location=str(builder.data_dir), in_memory=False, data_source=data_source)


def _fashion_source(spec: _Spec, root: Path, train_limit, limit) -> _Source:
    # The shipped subset when it holds exactly the images asked for (see ``shipped``).
    if train_limit is not None:
        enough = shipped.stratified_quotas(train_limit, 10).max() <= shipped.SUBSET_PER_CLASS
    else:
        enough = limit is not None and limit <= shipped.IDENTICAL_PREFIX
    arrays = ((enough and read_shipped_fashion_mnist())
              or load_fashion_mnist_arrays(root, dataset=spec.name))
    x_train, y_train = arrays.x_train[..., None], arrays.y_train.astype(np.int32)
    text, hint = "train", ""
    if arrays.data_source == "repository":
        text = f"train, first {shipped.SUBSET_PER_CLASS} per class (shipped subset)"
        hint = (" Only the subset shipped in the repository was found: use train_limit <= "
                f"{len(y_train)} ({shipped.SUBSET_PER_CLASS} per class), or install the Debian "
                "package dataset-fashion-mnist (or connect to the internet) for all 60,000.")
    chosen = _select(lambda _: y_train, {"train": np.ones(len(y_train), bool)}, train_limit,
                     spec.num_classes, hint)
    if chosen is not None:
        x_train, y_train = x_train[chosen["train"]], y_train[chosen["train"]]
        text = f"train, {_rule(train_limit, spec.num_classes)}"
    ds = tf.data.Dataset.from_tensor_slices
    return _Source(
        train=ds((x_train, y_train)), val=None,
        test=ds((arrays.x_test[..., None], arrays.y_test.astype(np.int32))),
        counts={"train": len(x_train), "val": 0, "test": len(arrays.x_test)},
        splits={"train": text, "val": None, "test": "test"},
        location=arrays.source, in_memory=True, data_source=arrays.data_source)


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def _prepare(name, batch_size, *, augment=False, data_dir=None, seed=0, limit=None,
             train_limit=None, test_limit=None, val_size=None, extra=True):
    """Raw uint8 splits, the batch ``preprocess`` function and the info (``load``'s args)."""
    spec = _DATASETS.get(name, arg="name")
    batch_size = validation.positive_int("batch_size", batch_size)
    limit, train_limit, test_limit = (validation.positive_int(n, v, allow_none=True) for n, v in (
        ("limit", limit), ("train_limit", train_limit), ("test_limit", test_limit)))
    if limit is not None and (train_limit is not None or test_limit is not None):
        raise ValueError(
            "Pass either `limit` (the first images of every split) or `train_limit`/`test_limit`"
            f" (a stratified training subset, the first test images), not both. Received: "
            f"limit={limit!r}, train_limit={train_limit!r}, test_limit={test_limit!r}"
        )
    augment, extra = (validation.boolean(n, bool(v) if isinstance(v, np.bool_) else v)
                      for n, v in (("augment", augment), ("extra", extra)))
    seed = validation.non_negative_int("seed", seed)
    if val_size not in (None, 0) or isinstance(val_size, bool):
        raise ValueError(
            "`val_size` must be None (the dataset's default: for 'svhn' seed 000's validation "
            "split, 400 images per class from train + 200 per class from extra, 6,000 in all; "
            f"none for the others) or 0 (no validation). Received: val_size={val_size!r}")
    if not extra and spec.name != "svhn":
        raise ValueError(f"`extra` only applies to 'svhn' (its extra split). Received: "
                         f"extra={extra!r} with name={spec.name!r}")
    root = resolve_data_dir(data_dir)

    if spec.name.startswith("fashion_mnist"):
        src = _fashion_source(spec, root, train_limit, limit)
    else:
        src = _tfds_source(spec, root, val_size is None, train_limit, extra)

    datasets = {"train": src.train, "val": src.val, "test": src.test}
    counts = dict(src.counts)
    for part, n in (("train", limit), ("val", limit), ("test", limit or test_limit)):
        if n is not None and datasets[part] is not None and counts[part] > n:
            datasets[part], counts[part] = datasets[part].take(n), n
            src.splits[part] = f"{src.splits[part]}, first {n}" if limit else f"test, first {n}"
    # Cache decoded uint8 images before the mean pass, so that pass fills the cache.
    for part, ds in datasets.items():
        fits = counts[part] * int(np.prod(spec.raw_shape)) <= (CACHE_MEMORY_FRACTION
                                                               * _memory_bytes())
        if ds is not None and not src.in_memory and fits:
            datasets[part] = ds.cache()

    view = spec.view
    shape = (32, 32, 3) if view else spec.raw_shape
    mean = channel_mean(datasets["train"], view)
    mean_t = tf.constant(mean, tf.float32)
    # Used only with a batch seed (training). A seed here keeps Keras from drawing one from
    # Python's `random`, which would move the weights of the model built after the data.
    stack = augmentation(tuple(shape), flip=spec.flip, seed=seed)

    def preprocess(images, labels, aug_seed=None):
        if view is not None:
            images = view(images)
        images = scale_images(images) - mean_t
        if aug_seed is not None:
            images = augment_batch(stack, images, aug_seed)
        return images, tf.cast(labels, tf.int32)

    steps = [
        "view: zero-pad 28x28 to 32x32 (2 px per side), tile grey to 3 channels" if view else "",
        "scale uint8 to [0, 1] (x / 255)",
        "subtract the training split's per-channel mean",
        (f"train only: zero-pad 4, random crop {shape[0]}x{shape[1]}"
         + (", random horizontal flip" if spec.flip else "")) if augment else "",
    ]
    info = DatasetInfo(
        name=spec.name, num_classes=spec.num_classes, input_shape=tuple(shape),
        class_names=spec.class_names, num_examples=counts, mean=tuple(float(v) for v in mean),
        source=src.location, data_source=src.data_source, splits=src.splits,
        preprocessing="; ".join(s for s in steps if s), batch_size=batch_size, augment=augment,
        flip=spec.flip, seed=seed)
    return datasets, preprocess, info


def in_order(ds: tf.data.Dataset, batch_size: int, preprocess) -> tf.data.Dataset:
    """Batches of ``ds`` in file order, preprocessed (validation and test pipelines)."""
    return ds.batch(batch_size).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE,
                                    deterministic=True).prefetch(tf.data.AUTOTUNE)


def load(name: str, batch_size: int = 128, *, augment: bool = False, data_dir=None,
         seed: int = 0, limit: int | None = None, train_limit: int | None = None,
         test_limit: int | None = None, val_size=None, extra: bool = True) -> Splits:
    """Load a dataset as batched, preprocessed ``tf.data`` pipelines of ``(float32, int32)``.

    Training is shuffled with ``seed`` (a new order every epoch); val and test keep file order.
    Small splits are cached after the first pass.

    Args:
        name: one of ``names()``.
        augment: zero-pad 4, random crop, random flip (no flip for mnist and svhn).
        limit: the first ``limit`` images of every split; not with the two below.
        train_limit: a stratified training subset, taken before the validation split;
            test_limit: the first test images.
        val_size: None: the default (``svhn``: :func:`svhn_validation_indices`); 0: none.
        extra: ``svhn`` only: use the ``extra`` split (seed 000, after [11]).

    Returns:
        ``Splits(train, val, test, info)``; ``val`` is None without a validation split.

    Raises:
        ValueError: a bad argument; DatasetUnavailableError: not cached and cannot download.

    Example:

    >>> train, val, test, info = load("fashion_mnist32", batch_size=64,
    ...                               limit=512)  # doctest: +SKIP
    >>> info.num_examples  # doctest: +SKIP
    {'train': 512, 'val': 0, 'test': 512}
    """
    datasets, preprocess, info = _prepare(
        name, batch_size, augment=augment, data_dir=data_dir, seed=seed, limit=limit,
        train_limit=train_limit, test_limit=test_limit, val_size=val_size, extra=extra)
    train = shuffled_batches(
        datasets["train"], preprocess, num_examples=info.num_examples["train"],
        batch_size=info.batch_size, seed=info.seed,
        augment=info.augment).prefetch(tf.data.AUTOTUNE)
    val = None if datasets["val"] is None else in_order(datasets["val"], info.batch_size,
                                                         preprocess)
    return Splits(train, val, in_order(datasets["test"], info.batch_size, preprocess), info)


#: Test batches of the runner hold at least this many images (or the whole test set, if it is
#: smaller): the smallest multiple of the training batch that does, so whatever splits a
#: training batch evenly splits a test batch.
#: Scoring is forward passes only, and small batches spend much of it on per-step overhead
#: (``benchmarks/levers.py`` times VGG-A's 15 test views at 64 and at 512 images a batch;
#: ``benchmarks/RESULTS.md``, "## Levers"). An image's scores do not depend on its batch (on
#: VGG-A's test set the same images are scored correctly at both sizes), so records stay
#: comparable.
EVAL_BATCH_SIZE = 512


@dataclass
class RunData:
    """What the runner needs from a dataset: ``raw`` unbatched uint8 training ``(image, label)``
    pairs in file order, the batch ``preprocess(images, labels, aug_seed=None)``, the batched
    ``test`` pipeline (file order, known length, ``test_batch_size`` images a batch), the
    ``DatasetInfo`` and the stream's settings."""

    raw: Any
    preprocess: Callable
    test: Any
    num_train: int
    num_test: int
    info: Any
    batch_size: int
    augment: bool
    flip: bool
    test_batch_size: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.num_train / self.batch_size)

    @property
    def examples(self) -> tf.data.Dataset:
        """The preprocessed, unaugmented training pairs in file order (unbatched)."""
        return in_order(self.raw, self.batch_size, self.preprocess).unbatch()


def load_run_data(dataset: str, *, batch_size: int, augment: bool, seed: int,
                  extra: bool | None, train_limit: int | None = None,
                  test_limit: int | None = None, data_dir=None) -> RunData:
    """Load ``dataset`` for :func:`epoch_stream` (arguments as ``course_lib.data.load``); returns a
    ``RunData``. ``extra`` has no default so no experiment inherits one silently.

    Example:

    >>> load_run_data("fashion_mnist32", batch_size=128, augment=True, seed=0, extra=None,
    ...               train_limit=2000).steps_per_epoch  # doctest: +SKIP
    16
    """
    if (dataset == "svhn") == (extra is None):
        raise ValueError("`extra` must be True (train + extra) or False (train only) for 'svhn'; "
                         f"it applies to 'svhn' only: pass None for the others. Received: "
                         f"extra={extra!r} with dataset={dataset!r}")
    datasets, preprocess, info = _prepare(
        dataset, batch_size, seed=seed, train_limit=train_limit, test_limit=test_limit,
        data_dir=data_dir, **({"extra": extra} if dataset == "svhn" else {}))
    num_test = info.num_examples["test"]
    # ... but no larger than the test set needs (a few test images split across workers would
    # otherwise leave a worker an empty slice of the one batch)
    test_batch = info.batch_size * min(math.ceil(EVAL_BATCH_SIZE / info.batch_size),
                                       math.ceil(num_test / info.batch_size))
    # A known length sizes Keras' progress bar and spares it a "ran out of data" warning.
    test = in_order(datasets["test"], test_batch, preprocess).apply(
        tf.data.experimental.assert_cardinality(math.ceil(num_test / test_batch)))
    return RunData(raw=datasets["train"], preprocess=preprocess, test=test,
                   num_train=int(info.num_examples["train"]), num_test=int(num_test), info=info,
                   batch_size=info.batch_size, augment=bool(augment), flip=bool(info.flip),
                   test_batch_size=test_batch)


def epoch_stream(run: RunData, *, seed: int, start_epoch: int, epochs: int) -> tf.data.Dataset:
    """Batches of epochs ``start_epoch .. epochs - 1``; epoch ``e`` depends only on (seed, e)."""
    if not 0 <= start_epoch < epochs:
        raise ValueError(f"`start_epoch` must be in [0, epochs={epochs}). "
                         f"Received: start_epoch={start_epoch!r}")

    def one_epoch(epoch):
        # Traced: sets this function's graph seed only. With a graph seed of 0 (after
        # keras.utils.set_random_seed(0)) tf.data fails on a tensor shuffle seed.
        tf.random.set_seed(seed + 1)
        return shuffled_batches(run.raw, run.preprocess, num_examples=run.num_train,
                                batch_size=run.batch_size, seed=seed, augment=run.augment,
                                epoch=epoch)

    return tf.data.Dataset.range(start_epoch, epochs).flat_map(one_epoch).prefetch(
        tf.data.AUTOTUNE)
