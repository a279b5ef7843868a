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
  other for pooling nets);
- ``fused BN`` (models with batch normalisation only): every ``BatchNormalization`` trains
  through TensorFlow's fused kernel (``tf.compat.v1.nn.fused_batch_norm``, oneDNN's
  ``FusedBatchNormV3`` on CPU) instead of Keras 3's composite of ``tf.nn.moments`` and
  ``tf.nn.batch_normalization``: the lever that Keras 2 pulled by default and Keras 3 has not;
- ``bfloat16``: the ``mixed_bfloat16`` policy (bfloat16 compute, float32 weights), on CPUs
  with bfloat16 instructions (AVX512_BF16, AMX) a faster matmul; elsewhere emulated. It
  changes the numbers a run ends at, as float16 does on a GPU;
- ``former LRN`` (models with LRN only): the same net with the LRN formulation the kit used
  before (a 1-D convolution of the squares and ``ops.power``); its column gives the kit's
  images/s over that one's, the gain of the adopted window-matmul LRN.

After the timing, a few training steps of each model run under the TensorFlow profiler: the
shares of op time (convolution kernels forward and backward, then the largest other ops) say
what any lever can still take from it.

For the models with LRN, the training step alone is timed too, with either LRN
(``train_on_batch`` on one batch: no input pipeline, no ``fit`` call around it), and LRN alone
(table "LRN forward + backward"): the kit's layer, the former formulation and
``tf.nn.local_response_normalization`` at the LRN inputs of CNN-A2's quick model and of the
full-width one.

Scoring (after training) is measured too: ``evaluate_modes`` on VGG-A's four test modes (15
views an image) in batches of 64, the training batch the runner used to score with, against
``EVAL_BATCH_SIZE`` (512), the test batch it uses now.

The section ``## Levers`` of ``benchmarks/RESULTS.md`` is (re)written, other sections kept.

    PYTHONPATH=$PWD python benchmarks/levers.py             # about 10 minutes on 2 cores
    PYTHONPATH=$PWD python benchmarks/levers.py --all       # eight models, about twice as long
    PYTHONPATH=$PWD python benchmarks/levers.py --quick     # a check of the script
"""

from __future__ import annotations

import argparse
import contextlib
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
#: normalisation, a recurrent CNN, a VGG, a batch-normalised SimpNet); ``--all`` adds one of
#: every other kind.
MODELS = (
    ("param-distribution", "CNN-A2"),
    ("param-distribution", "RCNN-A1"),
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
    "fused BN": (64, 1, False, True),
    "bfloat16": (64, 1, False, True),
    "former LRN": (64, 1, False, True),
}
#: cases whose column is runner / case (the kit now against what it replaced), not case / runner
INVERTED = {"former LRN": "LRN now / former"}

#: (label, input shape, LRN arguments): CNN-A2's lrn1 input at the quick width (40 channels:
#: ``lrn_window(40) = 6``, an even window) and at full width (160 channels, window 21), batch
#: as the quick run and benchmarks/run.py use them.
LRN_INPUTS = (
    ("CNN-A2 quick lrn1", (64, 16, 16, 40), dict(size=6, alpha=1e-3 / 6, beta=0.75, k=1.0)),
    ("CNN-A2 full width lrn1", (32, 16, 16, 160), dict(size=21, alpha=1e-3 / 21, beta=0.75,
                                                       k=1.0)),
)


def former_lrn(x, size, alpha, beta, k):
    """The kit's LRN formulation before the window matmul (kept here as the 'before' case):
    the squares zero-padded and summed by a 1-D convolution with a ones kernel, then
    ``ops.power``."""
    from keras import ops

    channels = x.shape[-1]
    squares = ops.reshape(ops.square(x), (-1, channels, 1))
    squares = ops.pad(squares, [[0, 0], [size // 2, (size - 1) // 2], [0, 0]])
    window = ops.ones((size, 1, 1), dtype=x.dtype)
    sums = ops.conv(squares, window, strides=1, padding="valid", data_format="channels_last")
    sums = ops.reshape(sums, ops.shape(x))
    return x * ops.power(k + alpha * sums, -beta)


class _FormerLRN:
    """Context in which the kit's LRN layers (LRN, and the LRN inside RecurrentConv2D) trace
    the former formulation."""

    def __enter__(self):
        from course_lib.layers import local_response_normalization as module

        self.module, self.saved = module, module.local_response_normalization
        module.local_response_normalization = former_lrn

    def __exit__(self, *exc):
        self.module.local_response_normalization = self.saved


def lrn_context(former: bool):
    """:class:`_FormerLRN` for the 'before' case, else a context that changes nothing."""
    return _FormerLRN() if former else contextlib.nullcontext()


def fused_batch_norm_class():
    """A ``keras.layers.BatchNormalization`` that trains through TensorFlow's fused kernel (4-D
    channels-last inputs; anything else, and inference, as Keras computes it). Its moving
    statistics follow Keras' rule: the biased batch variance (the kernel returns the unbiased
    one)."""
    import keras
    import tensorflow as tf

    class FusedBatchNormalization(keras.layers.BatchNormalization):
        def call(self, inputs, training=None, mask=None):
            if not (training and self.trainable) or mask is not None or self.renorm \
                    or len(inputs.shape) != 4 or self.axis not in (3, -1):
                return super().call(inputs, training=training, mask=mask)
            channels = inputs.shape[-1]
            gamma = self.gamma if self.scale else tf.ones((channels,), inputs.dtype)
            beta = self.beta if self.center else tf.zeros((channels,), inputs.dtype)
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True)
            count = tf.cast(tf.size(inputs) // channels, variance.dtype)
            variance = variance * (count - 1.0) / count
            for stat, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                stat.assign(stat * self.momentum + value * (1.0 - self.momentum))
            return outputs

    return FusedBatchNormalization


@contextlib.contextmanager
def build_context(case: str):
    """The zoo builds the model of ``case``: with the fused batch normalisation (``keras.layers.
    BatchNormalization`` swapped while it builds) or under the ``mixed_bfloat16`` policy."""
    import keras

    saved_bn, saved_policy = keras.layers.BatchNormalization, keras.mixed_precision.dtype_policy()
    if case == "fused BN":
        keras.layers.BatchNormalization = fused_batch_norm_class()
    elif case == "bfloat16":
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.layers.BatchNormalization = saved_bn
        keras.mixed_precision.set_dtype_policy(saved_policy)


def compiled_quick_model(experiment: str, label: str, *, steps_per_execution: int = 1,
                         jit_compile: bool = False, case: str = "runner"):
    """:func:`quick_model` as ``case`` builds it, seeded (0) and compiled as every case here
    compiles it."""
    import keras

    keras.utils.set_random_seed(0)
    with build_context(case):
        net, settings = quick_model(experiment, label)
    net.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"],
                steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return net, settings


def has_lrn(net) -> bool:
    """Whether ``net`` normalises with the kit's LRN (a layer, or inside an RCL)."""
    from course_lib.layers import LRN, RecurrentConv2D

    return any(isinstance(layer, LRN) or (isinstance(layer, RecurrentConv2D)
                                          and layer.lrn is not None)
               for layer in net.layers)


def has_batch_norm(net) -> bool:
    """Whether ``net`` has a ``BatchNormalization`` layer."""
    import keras

    return any(isinstance(layer, keras.layers.BatchNormalization)
               for layer in net.layers)


#: cases that apply to some models only: case -> (does it apply to this net?, the cell if not)
ONLY_FOR = {"former LRN": (has_lrn, "no LRN"), "fused BN": (has_batch_norm, "no BN")}


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
    import numpy as np
    import tensorflow as tf

    from course_lib.analysis import layer_table
    from course_lib.train import gpu

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.images, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, args.images)
    nets, datasets = {}, {}
    for case, (batch, spe, jit, _) in CASES.items():  # "runner" first: the others ask it
        if case in ONLY_FOR and not ONLY_FOR[case][0](nets["runner"]):
            continue  # a lever this net has nothing for: not even built
        nets[case], settings = compiled_quick_model(experiment, label, steps_per_execution=spe,
                                                    jit_compile=jit, case=case)
        datasets[case] = tf.data.Dataset.from_tensor_slices((x, y)).batch(
            batch, drop_remainder=True).prefetch(2)

    def case_fn(case):
        def run():
            with gpu.op_determinism(CASES[case][3]), lrn_context(case == "former LRN"):
                nets[case].fit(datasets[case], epochs=1, verbose=0)
        return run

    times = timing.interleaved({c: case_fn(c) for c in nets}, repeats=args.repeats, warmup=1)
    images = {c: args.images // CASES[c][0] * CASES[c][0] for c in nets}
    macs = int(layer_table(nets["runner"], totals=True)["macs"].iloc[-1])
    return {"experiment": experiment, "label": label, "macs": macs, "times": times,
            "images": images, "width": settings.width_multiplier,
            "ops": profile_step(nets["runner"], x[:64], y[:64], args.profile_steps)}


def profile_step(net, x, y, steps: int) -> dict[str, float]:
    """Op seconds by op type (TensorFlow profiler, summed over threads) of ``steps`` training
    steps of ``net`` on one batch, op determinism on as the runner trains; after the timing, so
    that profiling cannot disturb it."""
    import tempfile

    from course_lib.train import gpu

    with gpu.op_determinism(True), tempfile.TemporaryDirectory(prefix="levers-profile-") as log:
        net.train_on_batch(x, y)  # traced outside the profile
        return timing.tf_op_times(lambda: net.train_on_batch(x, y), calls=steps, logdir=log)


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


def measure_lrn(args) -> list[dict]:
    """LRN forward + backward (ms per call) at :data:`LRN_INPUTS`: the kit's layer, the former
    formulation and, for odd windows, ``tf.nn.local_response_normalization``."""
    import tensorflow as tf

    from course_lib.layers import LRN

    results = []
    for name, shape, kw in LRN_INPUTS:
        shape = (min(shape[0], args.lrn_batch),) + shape[1:]
        x = tf.random.stateless_normal(shape, seed=(1, 2))
        upstream = tf.random.stateless_normal(shape, seed=(3, 4))
        size, alpha, beta, k = kw["size"], kw["alpha"], kw["beta"], kw["k"]
        fns = {"kit": LRN(size=size, alpha=alpha, beta=beta, k=k),
               "former": lambda t: former_lrn(t, size, alpha, beta, k)}
        if size % 2:
            fns["tf.nn"] = lambda t: tf.nn.local_response_normalization(
                t, depth_radius=size // 2, bias=k, alpha=alpha, beta=beta)
        diffs = {c: float(tf.reduce_max(tf.abs(fns["kit"](x) - f(x)))) for c, f in fns.items()}

        times = timing.interleaved({c: timing.forward_backward(f, x, upstream)
                                    for c, f in fns.items()},
                                   repeats=args.repeats * 5, warmup=2)
        results.append({"name": name, "shape": shape, "size": size, "times": times,
                        "diffs": diffs})
    return results


def measure_lrn_steps(experiment: str, label: str, args) -> dict:
    """Training steps of a quick LRN model, the kit's LRN against the former: ``train_on_batch``
    on one batch of 64 (the runner's compile: op determinism on, no XLA), ``args.step_calls``
    steps per case and round, interleaved. No input pipeline and no ``fit`` call around the
    steps, whose per-call cost the one-epoch columns above include."""
    import numpy as np

    from course_lib.train import gpu

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, 64)
    nets = {case: compiled_quick_model(experiment, label)[0] for case in ("kit", "former")}

    def case_fn(case):
        def run():
            with gpu.op_determinism(True), lrn_context(case == "former"):
                for _ in range(args.step_calls):
                    nets[case].train_on_batch(x, y)
        return run

    times = timing.interleaved({c: case_fn(c) for c in nets}, repeats=args.repeats * 2,
                               warmup=1)
    return {"label": label, "times": times, "steps": args.step_calls, "batch": 64}


def lrn_step_lines(results: list[dict]) -> list[str]:
    """The table of :func:`measure_lrn_steps`: ms per step and img/s of each side, and the
    per-round ratio former / kit."""
    rows = []
    for r in results:
        per_step = {c: [t / r["steps"] for t in r["times"][c]] for c in r["times"]}
        ratios = sorted(a / b for a, b in zip(per_step["former"], per_step["kit"]))
        kit, former = timing.median(per_step["kit"]), timing.median(per_step["former"])
        rows.append([r["label"], f"{kit * 1e3:.1f} ms ({r['batch'] / kit:.0f} img/s)",
                     f"{former * 1e3:.1f} ms ({r['batch'] / former:.0f} img/s)",
                     f"**{timing.median(ratios):.2f}x** ({ratios[0]:.2f}-{ratios[-1]:.2f})"])
    steps = results[0]["steps"] if results else 0
    rounds = len(results[0]["times"]["kit"]) if results else 0
    return ["", f"**LRN models, the training step alone** (`train_on_batch` on one batch of 64, "
            f"{steps} steps per case and round, {rounds} interleaved rounds; ratio = former / "
            "kit per round, median and range): the one-epoch columns above also hold `fit`'s "
            "per-call cost and the input pipeline, which both sides pay alike.", "",
            timing.table(["model (quick widths)", "kit LRN: per step", "former LRN: per step",
                          "LRN now / former"], rows)]


def lrn_lines(results: list[dict]) -> list[str]:
    """The table "LRN forward + backward": ms per call and the per-round ratios to the kit."""
    rows = []
    for r in results:
        kit = r["times"]["kit"]
        row = [f"{r['name']} {r['shape']}, window {r['size']}", f"{timing.median(kit) * 1e3:.2f}"]
        for other in ("former", "tf.nn"):
            if other not in r["times"]:
                row.append("n/a (even window)")
                continue
            ratios = sorted(a / b for a, b in zip(r["times"][other], kit))
            row.append(f"{timing.median(r['times'][other]) * 1e3:.2f} ms: "
                       f"**{timing.median(ratios):.2f}x** ({ratios[0]:.2f}-{ratios[-1]:.2f}), "
                       f"max diff {r['diffs'][other]:.1e}")
        rows.append(row)
    return ["", "**LRN forward + backward** (ms per call, fwd + bwd in one `tf.function`; ratio = "
            "the other's time / the kit's, per round, median and range): the kit's layer (a "
            "matmul of the squares with a 0/1 window matrix, then `exp(-beta log(.))`) against "
            "the formulation it replaced (a 1-D convolution of the squares, then `ops.power`) "
            "and TensorFlow's fused kernel.", "",
            timing.table(["LRN input", "kit ms", "former", "tf.nn fused"], rows)]


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
           scoring: dict | None = None, lrn: list[dict] | None = None,
           lrn_steps: list[dict] | None = None) -> str:
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
        INVERTED.get(c, c) for c in CASES if c != base]
    rows = []
    for r in results:
        ips = {c: [r["images"][c] / t for t in r["times"][c]] for c in r["times"]}
        med = timing.median(ips[base])
        row = [f"{r['label']} (x{r['width']:g})", f"{r['macs'] / 1e6:.1f}M", f"{med:.0f}",
               f"{6 * r['macs'] * med / 1e9 / ceiling:.0%}"]
        for c in CASES:
            if c == base:
                continue
            if c not in ips:
                row.append(ONLY_FOR[c][1])
                continue
            pairs = zip(ips[base], ips[c]) if c in INVERTED else zip(ips[c], ips[base])
            ratios = sorted(a / b for a, b in pairs)
            row.append(f"**{timing.median(ratios):.2f}x** ({ratios[0]:.2f}-{ratios[-1]:.2f})")
        rows.append(row)
    lines.append(timing.table(header, rows))
    profiled = [r for r in results if r.get("ops")]
    if profiled:
        steps = f"{args.profile_steps} step" + "s" * (args.profile_steps != 1)
        lines += ["", f"**Where a training step's op time goes** (the runner's setting, {steps} "
                  "of one batch of 64 under the TensorFlow profiler, after the timing; op time "
                  "summed over the threads, as a share of all op time): what a lever can still "
                  "take from each model.", "",
                  timing.table(["model (quick widths)", "op time by kind"],
                               [[r["label"], timing.summarize_op_times(r["ops"])]
                                for r in profiled])]
    if lrn_steps:
        lines += lrn_step_lines(lrn_steps)
    if lrn:
        lines += lrn_lines(lrn)
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
    args.lrn_batch, args.step_calls, args.profile_steps = 64, 20, 5
    models = MODELS + (MORE_MODELS if args.all else ())
    if args.quick:
        args.images, args.repeats, models = 256, 1, MODELS[:1] + MORE_MODELS[2:3]
        args.lrn_batch, args.step_calls, args.profile_steps = 4, 2, 1
    start = time.perf_counter()
    info = timing.machine_info()
    ceiling = matmul_ceiling()
    results, lrn_steps = [], []
    for experiment, label in models:
        results.append(measure_model(experiment, label, args))
        if "former LRN" in results[-1]["times"]:
            lrn_steps.append(measure_lrn_steps(experiment, label, args))
        print(f"{label}: done", flush=True)
    scoring = measure_scoring(args)
    print("scoring: done", flush=True)
    lrn = measure_lrn(args)
    print("LRN: done", flush=True)
    info["load_average_end"] = timing.load_average()
    text = report(results, ceiling, info, args, time.perf_counter() - start, scoring, lrn,
                  lrn_steps)
    print(text)
    if not args.quick or "--out" in (argv or sys.argv):
        timing.write_section(Path(args.out), SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
