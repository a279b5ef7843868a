#!/usr/bin/env python
"""GPU training speed of the 12 seed-000 models and the wall time of their experiment.

For every model of the ``param-distribution`` experiment (seed 000: CNN-A1 .. RCNN-B3) and every
combination of float32 / mixed precision and compiled (XLA) / not compiled, this measures

* training images/s (``model.fit`` on in-memory arrays, built and compiled as
  ``course_lib.train.runner.run_model`` does: SGD + momentum, coupled L2 decay on the kernels,
  the learning-rate schedule, accuracy metric, float32 output layer under mixed precision),
* test images/s (``model.evaluate``, the per-epoch validation pass of the runner),
* the time per epoch on each of the experiment's datasets, and
* the estimated wall time of the whole experiment at the ``full`` budget:
  ``epochs x (train images / train img/s + test images / test img/s)`` per model and dataset,
  plus the final test pass; model building, compilation and data loading are not included.

It runs on every Keras backend, so GPU machines without TensorFlow can use it::

    KERAS_BACKEND=jax   python benchmarks/gpu.py
    KERAS_BACKEND=torch python benchmarks/gpu.py --models CNN-A2 RCNN-A2
    python benchmarks/gpu.py --precision mixed_float16 --jit on        # TensorFlow

What "compiled" means depends on the backend: XLA (``jit_compile=True``) on TensorFlow, ``jax.jit``
(XLA) on JAX versus op-by-op dispatch, ``torch.compile`` on PyTorch (there is no XLA there).
On JAX and PyTorch nothing imports TensorFlow: the script uses ``course_lib.models`` (layers
written with ``keras.ops``), ``course_lib.train``'s experiment registry and the runner's model
helpers, whose modules import no TensorFlow at import time, and random in-memory data instead of
``course_lib.data`` (which is built on ``tf.data``). The images/s therefore exclude the input
pipeline; ``benchmarks/RESULTS.md`` measures what that pipeline costs.

Without a GPU the script stops, unless ``--cpu-smoke`` is given: narrow models (widths x0.125),
batch 8, 2 steps, float32 and no compilation, to check on a CPU that everything runs. Smoke
numbers are not evidence.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import timing  # noqa: E402  (benchmarks/timing.py: imports no TensorFlow)

EXPERIMENT = "param-distribution"
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")

#: Training and test images per dataset as ``course_lib.data.load`` serves them by default
#: (``info.num_examples``). Kept here because that module needs TensorFlow; checked against it
#: in tests/test_benchmarks.py. SVHN: train 73,257 + extra 531,131 minus seed 000's validation
#: split of 6,000 (400 per class from train, 200 per class from extra).
TRAIN_IMAGES = {"cifar10": 50_000, "cifar100": 50_000, "svhn": 598_388, "mnist": 60_000,
                "fashion_mnist": 60_000, "fashion_mnist32": 60_000}
TEST_IMAGES = {"cifar10": 10_000, "cifar100": 10_000, "svhn": 26_032, "mnist": 10_000,
               "fashion_mnist": 10_000, "fashion_mnist32": 10_000}

SMOKE = {"batch_size": 8, "steps": 2, "repeats": 1, "width_multiplier": 0.125}


def _compiled_meaning(backend: str) -> str:
    return {"tensorflow": "XLA (jit_compile=True)", "jax": "jax.jit (XLA)",
            "torch": "torch.compile"}.get(backend, "jit_compile=True")


def _uncompiled_meaning(backend: str) -> str:
    return {"tensorflow": "tf.function graph, no XLA", "jax": "op-by-op dispatch, no jax.jit",
            "torch": "eager"}.get(backend, "jit_compile=False")


def find_gpus(backend: str) -> list[str]:
    """Names of the GPUs the backend sees (memory growth switched on for TensorFlow)."""
    if backend == "tensorflow":
        import tensorflow as tf

        from course_lib.train.gpu import gpu_details

        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError):
                pass
        return [name for name, _ in gpu_details(gpus)]
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform in ("gpu", "cuda", "rocm")]
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return []
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    raise SystemExit(f"Unsupported KERAS_BACKEND {backend!r}: use tensorflow, jax or torch.")


class _EpochTimer:
    """A Keras callback (created lazily, after the backend is chosen) timing each epoch."""

    @staticmethod
    def make():
        import keras

        class EpochTimer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                float((logs or {}).get("loss", 0.0))  # the logs are host values: steps finished
                self.seconds.append(time.perf_counter() - self._start)

        return EpochTimer()


def _seed_everything(seed: int) -> None:
    """``keras.utils.set_random_seed`` without its TensorFlow import on other backends.

    Keras seeds TensorFlow whenever it is installed (for tf.data), which would load it here
    on the JAX and PyTorch backends; the initialisers only need Python's and NumPy's seeds
    (and the framework's own).
    """
    import random

    import keras
    import numpy as np

    backend = keras.backend.backend()
    if backend == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    random.seed(seed)
    np.random.seed(seed)
    if backend == "torch":
        import torch

        torch.manual_seed(seed)


def measure(name: str, precision: str, compiled: bool, *, batch_size: int, steps: int,
            repeats: int, width_multiplier: float) -> dict:
    """Train ``name`` for ``1 + repeats`` epochs of ``steps`` batches; time the later ones."""
    import keras
    import numpy as np

    from course_lib import models as zoo
    from course_lib.train import get_budget, get_experiment, resolve, runner

    exp = get_experiment(EXPERIMENT)
    spec = zoo.spec(name)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        _seed_everything(exp.seed)
        kwargs, change = runner._model_kwargs({}, width_multiplier)
        net = zoo.build(name, classifier_activation=runner.CLASSIFIER_ACTIVATION, **kwargs)
        if precision != "float32":
            net = runner._float32_outputs(net)
        runner.apply_weight_decay(net, exp.optimizer.weight_decay)
        epochs = get_budget("full").epochs or exp.epochs
        total_steps = epochs * -(-TRAIN_IMAGES[exp.datasets[0]] // batch_size)
        optimizer = keras.optimizers.SGD(
            learning_rate=runner._learning_rate(resolve(exp, name, budget="full"), total_steps),
            momentum=exp.optimizer.momentum, nesterov=exp.optimizer.nesterov)
        net.compile(optimizer=optimizer,
                    loss=keras.losses.SparseCategoricalCrossentropy(
                        from_logits=runner.CLASSIFIER_ACTIVATION is None),
                    metrics=["accuracy"], jit_compile=compiled)
        rng = np.random.default_rng(0)
        n = steps * batch_size
        x = rng.standard_normal((n, *net.input_shape[1:]), dtype=np.float32)
        y = rng.integers(0, spec.num_classes, size=(n,)).astype("int32")
        timer = _EpochTimer.make()
        start = time.perf_counter()
        net.fit(x, y, batch_size=batch_size, epochs=1 + repeats, shuffle=False, verbose=0,
                callbacks=[timer])
        fit_seconds = time.perf_counter() - start
        eval_times = []
        for _ in range(1 + repeats):  # the first call compiles the test step
            t0 = time.perf_counter()
            net.evaluate(x, y, batch_size=batch_size, verbose=0)
            eval_times.append(time.perf_counter() - t0)
        train_epoch = statistics.median(timer.seconds[1:])
        eval_epoch = statistics.median(eval_times[1:])
        return {
            "model": name, "precision": precision, "compiled": compiled,
            "train_images_per_s": n / train_epoch, "test_images_per_s": n / eval_epoch,
            "first_epoch_s": timer.seconds[0], "fit_s": fit_seconds,
            "params": int(net.count_params()), "width_change": change or None,
            "error": None,
        }
    except Exception as err:  # one failing setting (e.g. no torch.compile) must not stop the rest
        return {"model": name, "precision": precision, "compiled": compiled,
                "error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}
    finally:
        keras.config.set_dtype_policy(previous)
        keras.backend.clear_session()


def estimate(result: dict, dataset: str, epochs: int) -> dict:
    """Wall time of one model at the full budget on ``dataset``, from measured throughputs."""
    train_epoch = TRAIN_IMAGES[dataset] / result["train_images_per_s"]
    test_pass = TEST_IMAGES[dataset] / result["test_images_per_s"]
    return {"epoch_s": train_epoch + test_pass, "total_s": epochs * (train_epoch + test_pass)
            + test_pass}


def _setting_label(precision: str, compiled: bool, backend: str) -> str:
    return f"{precision}, " + (_compiled_meaning(backend) if compiled
                               else _uncompiled_meaning(backend))


def report(results: list[dict], info: dict, args, backend: str, devices: list[str]) -> str:
    from course_lib.train import get_budget, get_experiment

    exp = get_experiment(EXPERIMENT)
    epochs = get_budget("full").epochs or exp.epochs
    ok = [r for r in results if r["error"] is None]
    lines = ["# GPU benchmark: seed-000 models (`benchmarks/gpu.py`)", ""]
    if args.cpu_smoke:
        lines += ["**CPU smoke run** (`--cpu-smoke`: widths x0.125, batch "
                  f"{args.batch_size}, {args.steps} steps): checks that the script runs; the "
                  "numbers are not evidence.", ""]
    lines += [
        "## Machine", "",
        f"- device: {', '.join(devices) if devices else 'CPU only'} (one device used); "
        f"Keras backend: **{backend}**",
        timing.machine_markdown(info), "",
        *([f"**Warning:** {warning}", ""] if (warning := timing.busy_warning(info)) else []),
        "## Method", "",
        f"Each model is built and compiled as the runner does ({exp.name}: SGD momentum "
        f"{exp.optimizer.momentum}, coupled L2 {exp.optimizer.weight_decay}, step schedule, "
        f"accuracy metric; float32 output layer under mixed precision), batch {args.batch_size}. "
        f"`model.fit` runs {1 + args.repeats} epochs of {args.steps} batches of random in-memory "
        f"images; the first epoch (compilation) is excluded and images/s is the median of the "
        f"other {args.repeats}. Test images/s: `model.evaluate` on the same images, first call "
        "excluded. Compiled = " + _compiled_meaning(backend) + "; not compiled = "
        + _uncompiled_meaning(backend) + ". Data loading is not included.", "",
        "## Throughput", ""]
    header = ["model", "setting", "train img/s", "test img/s", "first epoch (compile)",
              f"epoch on {exp.datasets[0]}"]
    rows = []
    for r in results:
        label = _setting_label(r["precision"], r["compiled"], backend)
        if r["error"] is not None:
            rows.append([r["model"], label, "failed", r["error"], "", ""])
            continue
        est = estimate(r, exp.datasets[0], epochs)
        rows.append([r["model"], label, f"{r['train_images_per_s']:.0f}",
                     f"{r['test_images_per_s']:.0f}", timing.fmt_seconds(r["first_epoch_s"]),
                     timing.fmt_duration(est["epoch_s"])])
    lines += [timing.table(header, rows), ""]

    lines += ["## Full-budget estimate", "",
              f"`{exp.name}` at the `full` budget: {epochs} epochs, batch {exp.batch_size}, "
              "each epoch one training pass and one test pass, plus the final test pass. "
              "Per dataset: " + ", ".join(f"{d} {TRAIN_IMAGES[d]:,} train / "
                                         f"{TEST_IMAGES[d]:,} test images"
                                         for d in exp.datasets) + ".", ""]
    settings = sorted({(r["precision"], r["compiled"]) for r in ok},
                      key=lambda s: (PRECISIONS.index(s[0]), s[1]))
    header = ["setting", *[f"{d}: all {len({r['model'] for r in ok})} models" for d in
                           exp.datasets]]
    rows = []
    for precision, compiled in settings:
        chosen = [r for r in ok if (r["precision"], r["compiled"]) == (precision, compiled)]
        cells = [_setting_label(precision, compiled, backend)]
        for dataset in exp.datasets:
            total = sum(estimate(r, dataset, epochs)["total_s"] for r in chosen)
            cells.append(timing.fmt_duration(total))
        rows.append(cells)
    lines += [timing.table(header, rows), ""]
    best = {}
    for r in ok:
        current = best.get(r["model"])
        if current is None or r["train_images_per_s"] > current["train_images_per_s"]:
            best[r["model"]] = r
    if best:
        header = ["model", "fastest setting", *[f"{d}" for d in exp.datasets]]
        rows = [[m, _setting_label(r["precision"], r["compiled"], backend),
                 *[timing.fmt_duration(estimate(r, d, epochs)["total_s"]) for d in exp.datasets]]
                for m, r in best.items()]
        lines += ["Per model, with its fastest setting:", "", timing.table(header, rows), ""]
    if any(r["error"] for r in results):
        lines += ["Failed settings are listed with their error in the throughput table.", ""]
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="benchmarks/gpu.py",
        description="Training images/s of the 12 seed-000 models with and without mixed "
                    "precision and XLA/compilation, and the full-budget wall time of the "
                    "param-distribution experiment. Any Keras backend (KERAS_BACKEND).")
    parser.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                        help="zoo names (default: the 12 models of param-distribution)")
    parser.add_argument("--precision", nargs="+", choices=PRECISIONS, default=None,
                        help="dtype policies (default: float32 mixed_float16; "
                             "--cpu-smoke: float32)")
    parser.add_argument("--jit", nargs="+", choices=("off", "on"), default=None,
                        help="compiled or not, see above (default: off on; --cpu-smoke: off)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch size (default: the experiment's, 128)")
    parser.add_argument("--steps", type=int, default=None,
                        help="batches per timed epoch (default 50)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed epochs after the first (default 3)")
    parser.add_argument("--cpu-smoke", action="store_true",
                        help="allow a run without GPU: widths x0.125, batch 8, 2 steps, one "
                             "timed epoch, float32, not compiled unless asked (checks only)")
    parser.add_argument("--output", type=Path, default=None,
                        help="Markdown report path (default benchmarks/GPU_RESULTS.md; "
                             "none with --cpu-smoke)")
    parser.add_argument("--json", type=Path, default=None, help="raw results as JSON")
    args = parser.parse_args(argv)
    from course_lib.train import get_experiment

    exp = get_experiment(EXPERIMENT)
    smoke = args.cpu_smoke
    args.models = args.models or exp.labels
    unknown = [m for m in args.models if m.lower() not in {n.lower() for n in exp.labels}]
    if unknown:
        parser.error(f"--models must be models of {EXPERIMENT}: {', '.join(exp.labels)}. "
                     f"Received: {' '.join(unknown)}")
    args.precision = args.precision or (["float32"] if smoke else ["float32", "mixed_float16"])
    args.jit = args.jit or (["off"] if smoke else ["off", "on"])
    args.batch_size = args.batch_size or (SMOKE["batch_size"] if smoke else exp.batch_size)
    args.steps = args.steps or (SMOKE["steps"] if smoke else 50)
    args.repeats = args.repeats or (SMOKE["repeats"] if smoke else 3)
    args.width_multiplier = SMOKE["width_multiplier"] if smoke else 1.0
    for flag in ("batch_size", "steps", "repeats"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1. "
                         f"Received: {getattr(args, flag)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import keras

    backend = keras.backend.backend()
    devices = find_gpus(backend)
    if not devices and not args.cpu_smoke:
        print(f"benchmarks/gpu.py: the {backend} backend sees no GPU. Run it on a GPU machine, "
              "or pass --cpu-smoke to check on a CPU that it works.", file=sys.stderr)
        return 2
    info = timing.machine_info()
    results = []
    for name in args.models:
        for precision in args.precision:
            for jit in args.jit:
                result = measure(name, precision, jit == "on", batch_size=args.batch_size,
                                 steps=args.steps, repeats=args.repeats,
                                 width_multiplier=args.width_multiplier)
                results.append(result)
                shown = (result["error"] or f"{result['train_images_per_s']:.0f} train img/s, "
                                             f"{result['test_images_per_s']:.0f} test img/s")
                print(f"[gpu.py] {name} {precision} compiled={jit}: {shown}", file=sys.stderr,
                      flush=True)
    info["load_average_end"] = timing.load_average()
    info["tensorflow_imported"] = "tensorflow" in sys.modules
    text = report(results, info, args, backend, devices)
    print(text)
    output = args.output if args.output is not None else (
        None if args.cpu_smoke else HERE / "GPU_RESULTS.md")
    if output is not None:
        output.write_text(text)
    if args.json is not None:
        args.json.write_text(json.dumps({"backend": backend, "devices": devices,
                                         "machine": info, "cpu_smoke": args.cpu_smoke,
                                         "results": results}, indent=1))
    return 0 if all(r["error"] is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
