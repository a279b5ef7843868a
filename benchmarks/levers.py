#!/usr/bin/env python
"""What makes a quick run cheaper: each lever against the runner's setting, side by side, and
each quick model's training rate as a fraction of this machine's matmul ceiling.

The ceiling is the best FP32 rate of a large ``tf.matmul`` (4096 x 4096) in GFLOP/s. A model's
training rate counts ``3 x 2 x`` its forward multiply-accumulates per image (forward, and the
two products of the backward pass), the MACs from ``course_lib.analysis.layer_table``.

Each quick model (the settings its experiment's quick budget gives it: widths, overrides) is
trained for one epoch of ``--images`` random images per case, the cases interleaved in one
process (``timing.interleaved``: warm-up, then rounds in which every case runs once, the order
rotating). Cases, each against ``runner``, the runner's compile on a CPU (batch 64, one step
per call, no XLA, op determinism on):

- ``steps_per_execution=8``: Keras runs 8 steps per call of the compiled function;
- ``batch 128``: twice the batch (fewer, larger steps; a recipe change, not free);
- ``no determinism``: TensorFlow op determinism off (the runner keeps it on for reproducible
  CPU runs);
- ``XLA``: ``jit_compile=True`` (determinism off too: XLA and op determinism exclude each
  other for pooling nets).

Scoring (after training) is measured too: ``evaluate_modes`` on VGG-A's four test modes (15
views an image) in batches of 64, the training batch the runner used to score with, against
``EVAL_BATCH_SIZE`` (512), the test batch it uses now.

The section ``## Levers`` of ``benchmarks/RESULTS.md`` is (re)written, other sections kept.

    PYTHONPATH=$PWD python benchmarks/levers.py             # about 5 minutes on 2 cores
    PYTHONPATH=$PWD python benchmarks/levers.py --all       # seven models, about 12 minutes
    PYTHONPATH=$PWD python benchmarks/levers.py --quick     # a check of the script
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import timing  # noqa: E402

SECTION = "## Levers"
COMMAND = "PYTHONPATH=$PWD python benchmarks/levers.py"

#: (experiment, model label): the quick models measured by default (a small CNN without batch
#: normalisation, a VGG, a batch-normalised SimpNet); ``--all`` adds one of every other kind.
MODELS = (
    ("param-distribution", "CNN-A2"),
    ("vgg-depth", "VGG-A-CIFAR"),
    ("simpnet", "SimpNet-Slim-600K"),
)
MORE_MODELS = (
    ("param-distribution", "CNN-A1"),
    ("param-distribution", "CNN-A3"),
    ("resnet-degradation", "Plain-20"),
    ("resnet-degradation", "ResNet-32"),
)

#: case -> (batch, steps_per_execution, jit_compile, op determinism)
CASES = {
    "runner": (64, 1, False, True),
    "steps_per_execution=8": (64, 8, False, True),
    "batch 128": (128, 1, False, True),
    "no determinism": (64, 1, False, False),
    "XLA": (64, 1, True, False),
}


def matmul_ceiling(n: int = 4096, repeats: int = 7) -> float:
    """Best FP32 GFLOP/s of an ``n x n`` matmul (2 n^3 flops), after one warm-up."""
    import tensorflow as tf

    a = tf.random.stateless_normal((n, n), [1, 2])
    b = tf.random.stateless_normal((n, n), [3, 4])
    f = tf.function(lambda a, b: tf.matmul(a, b))
    f(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def quick_model(experiment: str, label: str):
    """The model a quick run of ``label`` builds, and its settings (public kit API only)."""
    from course_lib import models as zoo
    from course_lib.train import get_experiment, resolve

    exp = get_experiment(experiment)
    settings = resolve(exp, label, dataset="fashion_mnist32", budget="quick")
    kwargs = {k: v for k, v in settings.overrides}
    kwargs["width_multiplier"] = float(kwargs.get("width_multiplier", 1.0)) * \
        settings.width_multiplier
    net = zoo.build(settings.model, num_classes=10, input_shape=(32, 32, 3), **kwargs)
    return net, settings


def measure_model(experiment: str, label: str, args) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    from course_lib.analysis import layer_table
    from course_lib.train import gpu

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.images, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, args.images)
    nets, datasets = {}, {}
    macs = None
    for case, (batch, spe, jit, _) in CASES.items():
        keras.utils.set_random_seed(0)
        net, settings = quick_model(experiment, label)
        if macs is None:
            macs = int(layer_table(net, totals=True)["macs"].iloc[-1])
        net.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                    loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"],
                    steps_per_execution=spe, jit_compile=jit)
        nets[case] = net
        datasets[case] = tf.data.Dataset.from_tensor_slices((x, y)).batch(
            batch, drop_remainder=True).prefetch(2)

    def case_fn(case):
        def run():
            with gpu.op_determinism(CASES[case][3]):
                nets[case].fit(datasets[case], epochs=1, verbose=0)
        return run

    times = timing.interleaved({c: case_fn(c) for c in CASES}, repeats=args.repeats, warmup=1)
    images = {c: args.images // CASES[c][0] * CASES[c][0] for c in CASES}
    return {"experiment": experiment, "label": label, "macs": macs, "times": times,
            "images": images, "width": settings.width_multiplier}


def measure_scoring(args) -> dict:
    """Seconds of ``evaluate_modes`` on VGG-A's quick model: test batches of 64 vs 512."""
    import numpy as np
    import tensorflow as tf

    from course_lib.data.loaders import EVAL_BATCH_SIZE
    from course_lib.train import get_experiment
    from course_lib.train.evaluation import evaluate_modes

    net, _ = quick_model("vgg-depth", "VGG-A-CIFAR")
    config = get_experiment("vgg-depth").evaluation
    x = np.random.default_rng(1).standard_normal((args.images, 32, 32, 3)).astype("float32")
    y = np.zeros(args.images, "int64")
    batches = {64: 64, EVAL_BATCH_SIZE: EVAL_BATCH_SIZE}

    def case_fn(batch):
        test = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
        return lambda: evaluate_modes(net, test, config, batch_size=batch, flip=True)

    times = timing.interleaved({f"batch {b}": case_fn(b) for b in batches},
                               repeats=args.repeats, warmup=1)
    return {"images": args.images, "times": times, "new": f"batch {EVAL_BATCH_SIZE}",
            "views": 15}


def scoring_lines(scoring: dict) -> list[str]:
    old, new = scoring["times"]["batch 64"], scoring["times"][scoring["new"]]
    ratios = sorted(a / b for a, b in zip(old, new))
    return [
        "", "**Scoring** (after training): `evaluate_modes` on VGG-A's quick model, its four test "
        f"modes ({scoring['views']} views an image), {scoring['images']:,} random images: "
        f"{timing.median(old):.1f} s in test batches of 64, {timing.median(new):.1f} s in "
        f"{scoring['new'].replace('batch', 'batches of')} (the runner's `EVAL_BATCH_SIZE`): "
        f"**{timing.median(ratios):.2f}x** ({ratios[0]:.2f}-{ratios[-1]:.2f}), same rounds.",
    ]


def report(results: list[dict], ceiling: float, info: dict, args, seconds: float,
           scoring: dict | None = None) -> str:
    base = "runner"
    lines = [
        SECTION, "",
        f"Written by `benchmarks/levers.py` at {info['date']} (kit commit {info['commit']}); "
        f"command: `{COMMAND}`" + (f" `--repeats {args.repeats}`" if args.repeats != 3 else "")
        + (" `--all`" if args.all else "")
        + f"; {seconds / 60:.1f} min in all; load average at start "
        f"{info['load_average_start']}, at end {info['load_average_end']} on "
        f"{info['usable_cores']} usable cores.", "",
        f"**Ceiling:** the best FP32 `tf.matmul` (4096 x 4096) on this machine reached "
        f"**{ceiling:.0f} GFLOP/s**. A model's fraction of it counts 3 x 2 x its forward MACs "
        "per image (`analysis.layer_table`) at the runner's images/s.", "",
        f"Each model as its experiment's quick budget builds it, one epoch of {args.images:,} "
        f"random 32x32x3 images per case, {args.repeats} interleaved rounds after a warm-up. "
        "Ratio = images/s of the lever / images/s of the runner's setting, the median of the "
        "per-round ratios (both in the same round, under the same load), with its range.", "",
    ]
    header = ["model (quick widths)", "forward MACs", "runner img/s", "of ceiling"] + [
        c for c in CASES if c != base]
    rows = []
    for r in results:
        ips = {c: [r["images"][c] / t for t in r["times"][c]] for c in CASES}
        med = timing.median(ips[base])
        row = [f"{r['label']} (x{r['width']:g})", f"{r['macs'] / 1e6:.1f}M", f"{med:.0f}",
               f"{6 * r['macs'] * med / 1e9 / ceiling:.0%}"]
        for c in CASES:
            if c == base:
                continue
            ratios = sorted(a / b for a, b in zip(ips[c], ips[base]))
            row.append(f"**{timing.median(ratios):.2f}x** ({ratios[0]:.2f}-{ratios[-1]:.2f})")
        rows.append(row)
    lines.append(timing.table(header, rows))
    if scoring is not None:
        lines += scoring_lines(scoring)
    busy = timing.busy_warning(info)
    if busy:
        lines += ["", busy]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="also " + ", ".join(
        label for _, label in MORE_MODELS))
    parser.add_argument("--quick", action="store_true", help="a check of the script: 2 models, "
                        "256 images, 1 round; writes nothing unless --out is given")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    models = MODELS + (MORE_MODELS if args.all else ())
    if args.quick:
        args.images, args.repeats, models = 256, 1, MODELS[:1] + MORE_MODELS[2:3]
    start = time.perf_counter()
    info = timing.machine_info()
    ceiling = matmul_ceiling()
    results = []
    for experiment, label in models:
        results.append(measure_model(experiment, label, args))
        print(f"{label}: done", flush=True)
    scoring = measure_scoring(args)
    print("scoring: done", flush=True)
    info["load_average_end"] = timing.load_average()
    text = report(results, ceiling, info, args, time.perf_counter() - start, scoring)
    print(text)
    if not args.quick or "--out" in (argv or sys.argv):
        timing.write_section(Path(args.out), SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
