#!/usr/bin/env python
"""The training augmentation's cost before and after it became Keras layers, side by side.

``before``: the runner's epoch stream with the former augmentation (one ``tf.gather`` per axis
for the pad-4 crop, ``tf.where`` for the flip, from ``tf.random.stateless_uniform`` integers;
copied below as ``former_pad_crop_flip``, as it was in ``course_lib/data/preprocess.py``).
``after``: the same stream as the kit builds it now (``course_lib.data.augmentation``:
``RandomTranslation`` + ``RandomFlip`` per batch inside the ``tf.data`` map, seeded per batch).
Everything else (shuffle, batching, view, scaling, mean subtraction, prefetch) is the kit's.

Three measurements, each interleaved (``timing.interleaved``: warm-up, then rounds in which both
cases run once, the order alternating):

0. the augmentation ops alone on one batch (and the shift and the flip apart);
1. the input side alone: one epoch of augmented batches drawn and discarded (images/s);
2. a training epoch of a small model (CNN-A2 at the quick budget's widths x0.25) fed by each
   stream, ``model.fit(epochs=1)``, as the runner feeds it.

The section ``## Augmentation`` of ``benchmarks/RESULTS.md`` is (re)written, other sections kept.

    PYTHONPATH=$PWD python benchmarks/augmentation.py            # about 5 minutes on 2 cores
    PYTHONPATH=$PWD python benchmarks/augmentation.py --quick    # a check of the script
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import timing  # noqa: E402

SECTION = "## Augmentation"
COMMAND = "PYTHONPATH=$PWD python benchmarks/augmentation.py"


def former_pad_crop_flip(images, seed, padding: int = 4, flip: bool = True):
    """The augmentation before the Keras layers (verbatim but for the docstring and checks)."""
    import tensorflow as tf

    images = tf.convert_to_tensor(images)
    batch, h, w = tf.unstack(tf.shape(images)[:3])
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    out = images
    if padding:
        padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
        dy, dx = (tf.random.stateless_uniform([batch], s, minval=0, maxval=2 * padding + 1,
                                              dtype=tf.int32) for s in (seeds[0], seeds[1]))
        out = tf.gather(padded, dy[:, None] + tf.range(h)[None, :], axis=1, batch_dims=1)
        out = tf.gather(out, dx[:, None] + tf.range(w)[None, :], axis=2, batch_dims=1)
    if flip:
        do_flip = tf.random.stateless_uniform([batch], seeds[2]) < 0.5
        out = tf.where(do_flip[:, None, None, None], tf.reverse(out, axis=[2]), out)
    out.set_shape(images.shape)
    return out


def former(run):
    """``run`` (a ``RunData``) whose preprocessing augments the former way."""
    kit_preprocess = run.preprocess

    def preprocess(images, labels, aug_seed=None):
        images, labels = kit_preprocess(images, labels)  # view, scale, mean; no augmentation
        if aug_seed is not None:
            images = former_pad_crop_flip(images, aug_seed, padding=4, flip=run.flip)
        return images, labels

    return dataclasses.replace(run, preprocess=preprocess)


def measure(args) -> dict:
    import keras

    from course_lib import models as zoo
    from course_lib.data import epoch_stream, load_run_data
    from course_lib.train import gpu

    acc = gpu.configure()
    keras.utils.set_random_seed(0)
    after = load_run_data("fashion_mnist32", batch_size=args.batch, augment=True, seed=0,
                          extra=None, train_limit=args.images, test_limit=64)
    before = former(after)
    runs = {"before": before, "after": after}
    epochs = {name: 0 for name in runs}

    def stream(name):
        # A new epoch each time (epoch e depends only on (seed, e)), rebuilt per timed epoch.
        e = epochs[name]
        epochs[name] += 1
        return epoch_stream(runs[name], seed=0, start_epoch=e, epochs=e + 1)

    def drain(name):
        for _ in stream(name):
            pass

    net = zoo.build("CNN-A2", width_multiplier=args.width)
    net.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=["accuracy"], jit_compile=acc.jit_compile)
    widths = tuple(net.get_layer(f"conv{i}").filters for i in range(1, 6))

    def train(name):
        net.fit(stream(name), steps_per_epoch=after.steps_per_epoch, epochs=1, verbose=0,
                shuffle=False)

    # The augmentation ops alone on one batch, and their two parts apart (where a difference
    # comes from): the Keras stack vs the former function, each call repeated `calls` times.
    import tensorflow as tf

    from course_lib.data import augment_batch, augmentation

    x = tf.random.stateless_uniform([args.batch, *after.info.input_shape], [0, 0])
    shape, flip = after.info.input_shape, after.flip
    runs_stack = augmentation(shape, flip=flip, seed=0)
    stacks = {"shift": augmentation(shape, flip=False, seed=0),
              "flip": augmentation(shape, padding=0, flip=flip, seed=0)}
    ops = {
        "before": tf.function(lambda x, s: former_pad_crop_flip(x, s, 4, flip)),
        "after": tf.function(lambda x, s: augment_batch(runs_stack, x, s)),
        "before crop": tf.function(lambda x, s: former_pad_crop_flip(x, s, 4, False)),
        "after shift": tf.function(lambda x, s: augment_batch(stacks["shift"], x, s)),
        "before flip": tf.function(lambda x, s: former_pad_crop_flip(x, s, 0, flip)),
        "after flip": tf.function(lambda x, s: augment_batch(stacks["flip"], x, s)),
    }
    calls = args.op_calls

    def op_case(fn):
        def run():
            for i in range(calls):
                fn(x, tf.constant([0, i], tf.int64)).numpy()
        return run

    info = {"load_average_start": timing.load_average()}
    with gpu.op_determinism(acc.deterministic):
        op_times = timing.interleaved({k: op_case(f) for k, f in ops.items()},
                                      repeats=args.repeats * 4, warmup=1)
        op_times = {k: [t / calls for t in v] for k, v in op_times.items()}
        alone = timing.interleaved({n: (lambda n=n: drain(n)) for n in runs},
                                   repeats=args.repeats * 2, warmup=1)
        trained = timing.interleaved({n: (lambda n=n: train(n)) for n in runs},
                                     repeats=args.repeats, warmup=1)
    info["load_average_end"] = timing.load_average()
    return {"alone": alone, "train": trained, "ops": op_times, "info": info, "widths": widths,
            "steps": after.steps_per_epoch, "images": after.num_train,
            "deterministic": acc.deterministic}


def report(m: dict, args, seconds: float) -> str:
    machine = timing.machine_info()
    info = {**machine, **m["info"]}
    n = m["images"]

    def row(what, times, per_image, scale=1.0, unit_name="s"):
        b, a = timing.median(times["before"]), timing.median(times["after"])
        lo, hi = timing.paired_ratio_range(times["after"], times["before"])
        ratios = sorted(x / y for x, y in zip(times["after"], times["before"]))
        median_ratio = timing.median(ratios)
        unit = (lambda s: f"{s * 1e3:.0f} ms ({n / s:,.0f} img/s)") if per_image else (
            lambda s: f"{s * scale:.2f} {unit_name}")
        return (f"| {what} | {unit(b)} | {unit(a)} | {a / b:.2f}x | **{median_ratio:.2f}x** | "
                f"{lo:.2f}-{hi:.2f} | {len(ratios)} |")

    busy = timing.busy_warning(info)
    load = (f"load average (1, 5, 15 min) at start {info['load_average_start']}, at end "
            f"{info['load_average_end']} on {info['usable_cores']} usable cores"
            + (" -- **measured under load**: the machine was shared with other engineers' "
               "test runs, so both sides' times are inflated and noisy; the paired per-round "
               "ratio (both sides of a round under the same load) is the number to read"
               if busy else ""))
    lines = [
        SECTION,
        "",
        f"Written by `benchmarks/augmentation.py` at {info['date']} (kit commit "
        f"{info['commit']}); command: `{COMMAND}`"
        + (f" `--repeats {args.repeats}`" if args.repeats != 7 else "") + f"; "
        f"{seconds / 60:.1f} min in all.",
        "",
        "The runner's augmented epoch stream (fashion_mnist32, "
        f"{n:,} training images, batch {args.batch}, {m['steps']} steps; pad-4 crop + flip) "
        "with the former augmentation (`tf.gather` crops and a `tf.where` flip; *before*) vs "
        "the Keras layers of `course_lib.data.augmentation` (`RandomTranslation` + "
        "`RandomFlip`, per batch in the `tf.data` map, seeded per batch; *after*). Both sides "
        "in one process, interleaved: one warm-up each, then rounds in which each runs once, "
        "the order alternating. Ratio = after / before; the median of the per-round ratios is "
        "the headline, the range is over rounds.",
        "",
        "| measurement | before | after | ratio of medians | median per-round ratio | "
        "range | rounds |",
        "|---|---|---|---|---|---|---|",
        row(f"augmentation alone: one batch of {args.batch} (ms per call)", m["ops"], False,
            scale=1e3, unit_name="ms"),
        row("input side alone: one epoch of augmented batches, no training", m["alone"], True),
        row(f"training epoch, CNN-A2 widths {m['widths']}, model.fit(epochs=1)", m["train"],
            False),
        "",
        "Where a difference in the augmentation itself comes from (median ms per batch, "
        "per-round ratio after / before): "
        + "; ".join(
            f"{part}: before {timing.median(m['ops'][f'before {b}']) * 1e3:.2f} ms, after "
            f"{timing.median(m['ops'][f'after {a}']) * 1e3:.2f} ms "
            f"({timing.median([x / y for x, y in zip(m['ops'][f'after {a}'], m['ops'][f'before {b}'])]):.2f}x)"
            for part, b, a in (("pad-4 crop (`tf.gather` x2) vs `RandomTranslation` (nearest, "
                                "constant fill)", "crop", "shift"),
                               ("flip (`tf.where`) vs `RandomFlip`", "flip", "flip")))
        + ". The augmentation runs inside the `tf.data` map, which `prefetch` overlaps with "
        "the model's steps: what it adds to a training epoch is at most its time per batch "
        "times the steps, when nothing overlaps it.",
        "",
        f"Machine: {info['cpu']}, {info['usable_cores']} usable cores, "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + f"; op determinism {'on' if m['deterministic'] else 'off'} (as in the runner); "
        + load + ".",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/augmentation.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="training rounds (default 7; "
                        "the input side alone runs twice as many)")
    parser.add_argument("--images", type=int, default=4096, help="training images per epoch")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--width", type=float, default=0.25, help="CNN-A2 width multiplier")
    parser.add_argument("--op-calls", type=int, default=20,
                        help="calls per timed case of the augmentation-alone measurement")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, to check the script; no report unless --output")
    parser.add_argument("--output", type=Path, default=None,
                        help="file whose augmentation section is (re)written (default "
                             "benchmarks/RESULTS.md; none with --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.images, args.batch, args.width, args.op_calls = 1, 256, 64, 0.125, 2
    for name in ("repeats", "images", "batch", "op_calls"):
        if getattr(args, name) < 1:
            flag = name.replace("_", "-")
            parser.error(f"--{flag} must be >= 1. Received: --{flag} {getattr(args, name)}")
    started = time.perf_counter()
    m = measure(args)
    text = report(m, args, time.perf_counter() - started)
    print(text)
    output = args.output if args.output is not None else (None if args.quick
                                                          else HERE / "RESULTS.md")
    if output is not None:
        timing.write_section(output, SECTION, text)
        print(f"[augmentation] section written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
