#!/usr/bin/env python
"""Side-by-side CPU benchmarks of the course kit (``make benchmark``).

Each comparison runs in one process, its cases interleaved: every case is warmed up first
(tracing, compilation and first-touch allocations are excluded), then in each of ``--repeats``
rounds every case runs once, in an order that rotates from round to round. The tables report
medians over the rounds and, for every ratio, its range over the rounds (both sides of a
round ran under the same machine load, so that range shows how much the load moved it).

Sections (``--only`` picks some; the default runs the first four):

``lrn``       ``course_lib.layers.LRN`` forward + backward vs ``tf.nn.local_response_normalization``
              (target <= 1.1x), the layer's ``keras.ops`` path vs the same, and on the PyTorch
              backend (a subprocess with ``KERAS_BACKEND=torch``) vs ``torch.nn.LocalResponseNorm``.
``rcl``       a ``RecurrentConv2D`` training step vs the same math written with ``tf.nn`` ops
              in a ``tf.function`` (target <= 1.1x).
``models``    training images/s of CNN-A2, RCNN-A2 and SimpNet, compiled as the runner compiles
              them (``course_lib.train``), vs the same networks in PyTorch
              (``benchmarks/torch_models.py``), batch 128, channels-last (target >= 1.0x).
``pipeline``  a training epoch fed by ``course_lib.data.load("fashion_mnist32")`` vs the same
              epoch from tensors already in memory (target <= 1.05x); the runner's own epoch
              stream is reported next to it.
``suite``     (``--suite``) ``make test``'s pytest run (tests + notebooks, smoke budget):
              total wall time and the 10 slowest tests.

The Markdown report (machine, method, table of ratios, details) goes to ``benchmarks/RESULTS.md``
and to stdout. ``--quick`` shrinks every size to check that the script works in a minute or two;
its numbers are not evidence and it writes no report unless ``--output`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import timing  # noqa: E402  (benchmarks/timing.py)

SECTIONS = ("lrn", "rcl", "models", "pipeline")
MODEL_NAMES = ("CNN-A2", "RCNN-A2", "SimpNet")
#: The experiment whose optimiser the runner would use for each model.
MODEL_EXPERIMENT = {"CNN-A2": "param-distribution", "RCNN-A2": "param-distribution",
                    "SimpNet": "simpnet"}
CHILD_MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Sizes:
    """Problem sizes; ``FULL`` is what the report is about, ``QUICK`` only checks the script."""

    lrn_shape: tuple = (32, 16, 16, 160)  # CNN-A2's lrn1 input (after pool1), batch 32
    rcl_batch: int = 16
    rcl_hw: int = 16  # RCNN-A2's rcl1: 16x16, 160 -> 160 channels
    rcl_filters: int = 160
    model_batch: int = 128
    pipeline_images: int = 2048
    pipeline_batch: int = 128
    pipeline_width: float = 0.5  # the quick budget's width multiplier
    repeats: int = 7
    #: The layer benchmarks take well under a second per call: 3x the rounds for the same time.
    micro_factor: int = 3
    #: Untimed calls per case before the rounds: layers (tracing, then one steady call),
    #: models (the first step, whose time is reported separately), pipeline epochs.
    micro_warmup: int = 2
    model_warmup: int = 1
    pipeline_warmup: int = 1


FULL = Sizes()
QUICK = Sizes(lrn_shape=(4, 16, 16, 160), rcl_batch=2, model_batch=4, pipeline_images=256,
              pipeline_batch=64, pipeline_width=0.125, repeats=2, micro_factor=1,
              micro_warmup=1)

#: (label, LRN arguments). The first is AlexNet's; the second is what seed-000's CNN-A2 and
#: RCNN-A2 use for their 160-channel layers (course_lib.models.param_distribution).
LRN_SETTINGS = (
    ("AlexNet LRN (size 5, alpha 1e-4 on the sum, beta 0.75, k 2)",
     dict(size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="sum")),
    ("seed-000 LRN of CNN-A2/RCNN-A2 (size 21, alpha 1e-3 / 21, beta 0.75, k 1)",
     dict(size=21, alpha=1e-3, beta=0.75, k=1.0, alpha_mode="mean")),
)


@dataclass
class Row:
    """One comparison. ``kind="time"``: ratio = kit seconds / reference seconds (lower is
    better); ``kind="speed"``: ratio = kit images/s / reference images/s (higher is better)."""

    section: str
    comparison: str
    kit: str
    reference: str
    kit_times: list
    ref_times: list
    kind: str = "time"
    target: float | None = None
    images: int | None = None  # images per timed call, for "speed" rows
    notes: list = field(default_factory=list)

    @property
    def ratio(self) -> float:
        kit, ref = timing.median(self.kit_times), timing.median(self.ref_times)
        return kit / ref if self.kind == "time" else ref / kit

    @property
    def ratio_range(self) -> tuple[float, float]:
        if self.kind == "time":
            return timing.paired_ratio_range(self.kit_times, self.ref_times)
        return timing.paired_ratio_range(self.ref_times, self.kit_times)

    def _meets(self, ratio: float) -> bool:
        return ratio <= self.target if self.kind == "time" else ratio >= self.target

    @property
    def met(self) -> bool | None:
        """Whether the median ratio meets the target (None: no target)."""
        return None if self.target is None else self._meets(self.ratio)

    @property
    def verdict(self) -> str | None:
        """"met" when every round's ratio meets the target, "missed" when none does, "unclear"
        when the rounds fall on both sides (None: no target)."""
        if self.target is None:
            return None
        meets = [self._meets(r) for r in self.ratio_range]
        return "met" if all(meets) else "missed" if not any(meets) else "unclear"

    def value(self, times) -> str:
        seconds = timing.median(times)
        if self.kind == "speed":
            return f"{self.images / seconds:.1f} img/s"
        return timing.fmt_seconds(seconds)

    def to_dict(self) -> dict:
        return {
            "section": self.section, "comparison": self.comparison, "kit": self.kit,
            "reference": self.reference, "kind": self.kind, "target": self.target,
            "ratio": self.ratio, "ratio_range": self.ratio_range, "met": self.met,
            "verdict": self.verdict,
            "kit_times": self.kit_times, "ref_times": self.ref_times, "images": self.images,
            "notes": self.notes,
        }


# ------------------------------------------------------------------------------------------
# 1. LRN
# ------------------------------------------------------------------------------------------


def _effective_alpha(kw: dict) -> float:
    return kw["alpha"] / kw["size"] if kw["alpha_mode"] == "mean" else kw["alpha"]


def bench_lrn(sizes: Sizes, args) -> list[Row]:
    import tensorflow as tf

    from course_lib.layers import LRN

    shape = sizes.lrn_shape
    x = tf.random.stateless_normal(shape, seed=(1, 2))
    upstream = tf.random.stateless_normal(shape, seed=(3, 4))

    def forward_backward(fn):
        return timing.forward_backward(fn, x, upstream)

    rows = []
    for label, kw in LRN_SETTINGS:
        layer = LRN(**kw)
        layer.build(shape)
        radius = (kw["size"] - 1) // 2
        alpha = _effective_alpha(kw)

        def reference(t, radius=radius, alpha=alpha, kw=kw):
            return tf.nn.local_response_normalization(
                t, depth_radius=radius, bias=kw["k"], alpha=alpha, beta=kw["beta"])

        diff = float(tf.reduce_max(tf.abs(layer(x) - reference(x))))
        times = timing.interleaved(
            {"layer": forward_backward(layer), "tf": forward_backward(reference)},
            repeats=args.micro_repeats, warmup=args.micro_warmup)
        note = f"input {shape}; max |layer - tf.nn| = {diff:.1e}"
        rows.append(Row("lrn", f"LRN fwd+bwd, {label}",
                        "LRN layer (keras.ops: window matmul, exp-log power)",
                        "tf.nn.local_response_normalization",
                        times["layer"], times["tf"], target=1.1, notes=[note]))
    rows += _torch_backend_lrn(sizes, args)
    return rows


def _torch_backend_lrn(sizes: Sizes, args) -> list[Row]:
    """The PyTorch-backend row: a subprocess, because the Keras backend is fixed at import."""
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            return []
    except (ImportError, ValueError):
        return []
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "torch-lrn",
           "--repeats", str(args.repeats)]
    if args.warmup is not None:
        cmd += ["--warmup", str(args.warmup)]
    if args.torch_threads is not None:
        cmd += ["--torch-threads", str(args.torch_threads)]
    if args.quick:
        cmd.append("--quick")
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    payload = [ln for ln in proc.stdout.splitlines() if ln.startswith(CHILD_MARKER)]
    if proc.returncode != 0 or not payload:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"The KERAS_BACKEND=torch LRN subprocess failed "
                           f"(exit {proc.returncode}):\n{tail}")
    result = json.loads(payload[-1][len(CHILD_MARKER):])
    rows = []
    for case in result["cases"]:
        rows.append(Row(
            "lrn", f"LRN fwd+bwd on the PyTorch backend, {case['label']}",
            "LRN layer, KERAS_BACKEND=torch (keras.ops path)",
            "torch.nn.LocalResponseNorm (channels-last tensor)",
            case["kit_times"], case["ref_times"],
            notes=[f"separate process with KERAS_BACKEND=torch, torch {result['torch']}, "
                   f"{result['threads']} threads; max |layer - torch| = {case['diff']:.1e}"]))
    return rows


def child_torch_lrn(sizes: Sizes, args) -> None:
    import keras
    import torch

    if keras.backend.backend() != "torch":
        raise SystemExit("--child torch-lrn must run with KERAS_BACKEND=torch")
    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    from course_lib.layers import LRN

    batch, height, width, channels = sizes.lrn_shape
    gen = torch.Generator().manual_seed(0)
    x_nchw = torch.randn(batch, channels, height, width, generator=gen).contiguous(
        memory_format=torch.channels_last)
    g_nchw = torch.randn(batch, channels, height, width, generator=gen).contiguous(
        memory_format=torch.channels_last)
    # The same memory seen as NHWC (contiguous): what the channels-last Keras layer takes.
    x_nhwc = x_nchw.permute(0, 2, 3, 1).clone().requires_grad_(True)
    g_nhwc = g_nchw.permute(0, 2, 3, 1).contiguous()
    x_nchw.requires_grad_(True)
    cases = []
    for label, kw in LRN_SETTINGS:
        layer = LRN(**kw)
        layer.build(sizes.lrn_shape)
        torch_alpha = kw["alpha"] if kw["alpha_mode"] == "mean" else kw["alpha"] * kw["size"]
        reference = torch.nn.LocalResponseNorm(kw["size"], alpha=torch_alpha, beta=kw["beta"],
                                               k=kw["k"])
        with torch.no_grad():
            diff = float((layer(x_nhwc) - reference(x_nchw).permute(0, 2, 3, 1)).abs().max())

        def kit(layer=layer):
            x_nhwc.grad = None
            layer(x_nhwc).backward(g_nhwc)

        def ref(reference=reference):
            x_nchw.grad = None
            reference(x_nchw).backward(g_nchw)

        times = timing.interleaved({"kit": kit, "ref": ref}, repeats=args.micro_repeats,
                                   warmup=args.micro_warmup)
        cases.append({"label": label, "kit_times": times["kit"], "ref_times": times["ref"],
                      "diff": diff})
    print(CHILD_MARKER + json.dumps({"cases": cases, "torch": torch.__version__,
                                     "threads": torch.get_num_threads()}))


# ------------------------------------------------------------------------------------------
# 2. RecurrentConv2D
# ------------------------------------------------------------------------------------------

RCL_SETTINGS = (
    ("RCNN-A2's rcl1 (LRN size 21, alpha 1e-3 / 21, k 1)",
     dict(lrn_size=21, lrn_alpha=1e-3, lrn_beta=0.75, lrn_k=1.0, lrn_alpha_mode="mean")),
    ("the same layer with an AlexNet LRN (size 5, alpha 1e-4 on the sum, k 2)",
     dict(lrn_size=5, lrn_alpha=1e-4, lrn_beta=0.75, lrn_k=2.0, lrn_alpha_mode="sum")),
)


def bench_rcl(sizes: Sizes, args) -> list[Row]:
    import tensorflow as tf

    from course_lib.layers import RecurrentConv2D

    iterations, lr = 3, 1e-3
    filters, hw, batch = sizes.rcl_filters, sizes.rcl_hw, sizes.rcl_batch
    shape = (batch, hw, hw, filters)
    x = tf.random.stateless_normal(shape, seed=(5, 6))
    upstream = tf.random.stateless_normal((batch, hw, hw, filters), seed=(7, 8))
    rows = []
    for label, kw in RCL_SETTINGS:
        layer = RecurrentConv2D(filters, kernel_size=3, iterations=iterations, **kw)
        layer.build(shape)
        wf = tf.Variable(layer.kernel.numpy(), name="wf")
        wr = tf.Variable(layer.recurrent_kernel.numpy(), name="wr")
        b = tf.Variable(layer.bias.numpy(), name="b")
        alpha = _effective_alpha({"alpha": kw["lrn_alpha"], "size": kw["lrn_size"],
                                  "alpha_mode": kw["lrn_alpha_mode"]})

        def hand_written(u, kw=kw, alpha=alpha, wf=wf, wr=wr, b=b):
            def lrn(t):
                return tf.nn.local_response_normalization(
                    t, depth_radius=(kw["lrn_size"] - 1) // 2, bias=kw["lrn_k"], alpha=alpha,
                    beta=kw["lrn_beta"])

            feedforward = tf.nn.bias_add(tf.nn.conv2d(u, wf, 1, "SAME"), b)
            state = lrn(tf.nn.relu(feedforward))
            for _ in range(iterations):
                state = lrn(tf.nn.relu(feedforward + tf.nn.conv2d(state, wr, 1, "SAME")))
            return state

        diff = float(tf.reduce_max(tf.abs(layer(x) - hand_written(x))))

        def train_step(fn, variables):
            @tf.function
            def step(inputs):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(fn(inputs) * upstream) / batch
                grads = tape.gradient(loss, variables)
                for variable, grad in zip(variables, grads):
                    variable.assign_sub(lr * grad)
                return loss

            return lambda: step(x).numpy()

        times = timing.interleaved(
            {"kit": train_step(layer, layer.trainable_variables),
             "tf": train_step(hand_written, [wf, wr, b])},
            repeats=args.micro_repeats, warmup=args.micro_warmup)
        rows.append(Row(
            "rcl", f"RecurrentConv2D training step, {label}",
            "RecurrentConv2D (its LRN: the kit's keras.ops layer)",
            "tf.nn.conv2d + tf.nn LRN loop in tf.function",
            times["kit"], times["tf"], target=1.1,
            notes=[f"input {shape}, {filters} filters, T={iterations}, loss sum(y * g), plain "
                   f"SGD update in the same tf.function; max |layer - hand-written| = "
                   f"{diff:.1e} before training"]))
    return rows


# ------------------------------------------------------------------------------------------
# 3. Models: kit (as the runner trains) vs PyTorch
# ------------------------------------------------------------------------------------------


def _kit_trainer(name: str, batch: int):
    """Build and compile ``name`` as ``course_lib.train.runner.run_model`` does; return a step."""
    import keras
    import tensorflow as tf

    from course_lib import models as zoo
    from course_lib.train import get_experiment, gpu, resolve, runner

    exp = get_experiment(MODEL_EXPERIMENT[name])
    acc = gpu.configure()
    keras.utils.set_random_seed(0)
    with acc.strategy.scope():
        net = zoo.build(name, classifier_activation=runner.CLASSIFIER_ACTIVATION)
        runner.apply_weight_decay(net, exp.optimizer.weight_decay)
        optimizer = keras.optimizers.SGD(
            learning_rate=runner._learning_rate(resolve(exp, name, budget="full"), 1000),
            momentum=exp.optimizer.momentum,
            nesterov=exp.optimizer.nesterov)
        net.compile(optimizer=optimizer,
                    loss=keras.losses.SparseCategoricalCrossentropy(
                        from_logits=runner.CLASSIFIER_ACTIVATION is None),
                    metrics=["accuracy"], jit_compile=acc.jit_compile)
    height, width, channels = net.input_shape[1:]
    x = tf.random.stateless_normal((batch, height, width, channels), seed=(9, 10))
    y = tf.random.stateless_uniform((batch,), seed=(11, 12), maxval=10, dtype=tf.int32)
    settings = (f"SGD momentum {exp.optimizer.momentum}, coupled L2 {exp.optimizer.weight_decay} "
                f"({exp.name} experiment), loss on {'logits' if runner.CLASSIFIER_ACTIVATION is None else 'probabilities'}"
                f", accuracy metric, jit_compile={acc.jit_compile}, op determinism "
                f"{'on' if acc.deterministic else 'off'} (the runner's CPU default)")
    return net, acc, (lambda: net.train_on_batch(x, y)), settings


def _torch_trainer(name: str, batch: int, compile_model: bool):
    import torch
    import torch_models
    from torch.nn import functional as F

    from course_lib.train import get_experiment

    exp = get_experiment(MODEL_EXPERIMENT[name])
    torch.manual_seed(0)
    net = torch_models.build(name).to(memory_format=torch.channels_last)
    decayed = [p for p in net.parameters() if p.ndim >= 2]
    other = [p for p in net.parameters() if p.ndim < 2]
    optimizer = torch.optim.SGD(
        [{"params": decayed, "weight_decay": exp.optimizer.weight_decay},
         {"params": other, "weight_decay": 0.0}],
        lr=exp.optimizer.learning_rate, momentum=exp.optimizer.momentum,
        nesterov=exp.optimizer.nesterov)
    forward = torch.compile(net) if compile_model else net
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, 32, 32, generator=gen).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), generator=gen)
    net.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = forward(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        return float(loss.detach()), float((logits.argmax(1) == y).float().mean())

    return net, step


def bench_models(sizes: Sizes, args) -> list[Row]:
    import numpy as np
    import torch
    import torch_models

    from course_lib.train import gpu

    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    rows = []
    for name in args.models:
        net, acc, kit_step, settings = _kit_trainer(name, sizes.model_batch)
        tnet, torch_step = _torch_trainer(name, sizes.model_batch, args.torch_compile)
        kit_params = int(net.count_params())
        torch_counts = torch_models.count_parameters(tnet)
        if kit_params != sum(torch_counts.values()):
            raise RuntimeError(f"{name}: PyTorch model has {torch_counts} parameters, the kit "
                               f"{kit_params}; benchmarks/torch_models.py is out of date")
        first = {}
        with gpu.op_determinism(acc.deterministic):
            for label, fn in (("kit", kit_step), ("torch", torch_step)):
                start = time.perf_counter()
                fn()
                first[label] = time.perf_counter() - start
            times = timing.interleaved({"kit": kit_step, "torch": torch_step},
                                       repeats=args.repeats, warmup=args.model_warmup - 1)
        trainable = int(sum(np.prod(w.shape) for w in net.trainable_weights))
        profile_notes = []
        if args.profile_steps:
            # Where the time goes on each side, measured after the timing so that profiling
            # cannot disturb it: if both spend most of it in the same oneDNN convolutions,
            # the ratio cannot move far from 1 whatever the framework around them does.
            with gpu.op_determinism(acc.deterministic), \
                    tempfile.TemporaryDirectory(prefix="course-kit-profile-") as logdir:
                kit_ops = timing.tf_op_times(kit_step, calls=args.profile_steps, logdir=logdir)
            torch_ops = timing.torch_op_times(torch_step, calls=args.profile_steps)
            profile_notes.append(
                f"op time over {args.profile_steps} profiled steps, kit (TensorFlow profiler, "
                f"summed over threads): {timing.summarize_op_times(kit_ops)}")
            profile_notes.append(
                f"PyTorch (torch.profiler, self CPU time): "
                f"{timing.summarize_op_times(torch_ops)}")
        rows.append(Row(
            "models", f"training throughput, {name} (batch {sizes.model_batch})",
            "Keras/TensorFlow train_on_batch, compiled as the runner compiles it",
            "PyTorch " + ("torch.compile" if args.torch_compile else "eager") + ", channels_last",
            times["kit"], times["torch"], kind="speed", target=1.0, images=sizes.model_batch,
            notes=[f"{kit_params:,} weights ({trainable:,} trainable) on both sides", settings,
                   f"first step (trace/compile + run): kit {timing.fmt_seconds(first['kit'])}, "
                   f"PyTorch {timing.fmt_seconds(first['torch'])}",
                   f"PyTorch: SGD with the same momentum and weight decay on the kernels, "
                   f"cross-entropy on logits, {torch.get_num_threads()} threads",
                   *profile_notes]))
        del net, tnet
    return rows


# ------------------------------------------------------------------------------------------
# 4. Input pipeline
# ------------------------------------------------------------------------------------------


def bench_pipeline(sizes: Sizes, args) -> list[Row]:
    import keras
    import numpy as np
    import tensorflow as tf

    from course_lib import data
    from course_lib import models as zoo
    from course_lib.train import get_experiment, gpu, runner
    from course_lib.data import epoch_stream, load_run_data

    batch, n = sizes.pipeline_batch, sizes.pipeline_images
    exp = get_experiment("param-distribution")
    acc = gpu.configure()
    keras.utils.set_random_seed(0)
    net = zoo.build("CNN-A2", width_multiplier=sizes.pipeline_width,
                    classifier_activation=runner.CLASSIFIER_ACTIVATION)
    widths = tuple(net.get_layer(f"conv{i}").filters for i in range(1, 6))
    runner.apply_weight_decay(net, exp.optimizer.weight_decay)
    net.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=runner.CLASSIFIER_ACTIVATION is None),
                metrics=["accuracy"], jit_compile=acc.jit_compile)

    splits = data.load("fashion_mnist32", batch_size=batch, limit=n)
    images, labels = [], []
    for xb, yb in splits.train:
        images.append(xb.numpy())
        labels.append(yb.numpy())
    x_mem = tf.constant(np.concatenate(images))
    y_mem = tf.constant(np.concatenate(labels))
    # The reference: the same preprocessed images, already in memory, cut into batches by
    # tf.data (a slice per batch, nothing else) and prefetched.
    batched = tf.data.Dataset.from_tensor_slices((x_mem, y_mem)).batch(batch).prefetch(
        tf.data.AUTOTUNE)
    run_data = load_run_data("fashion_mnist32", batch_size=batch, augment=False, seed=0,
                             extra=None, train_limit=n)
    steps = run_data.steps_per_epoch
    epoch = {"n": 0}

    def kit_pipeline():
        net.fit(splits.train, epochs=1, verbose=0, shuffle=False)

    def in_memory():
        net.fit(batched, epochs=1, verbose=0, shuffle=False)

    def keras_arrays():
        net.fit(x_mem, y_mem, batch_size=batch, epochs=1, shuffle=False, verbose=0)

    def runner_stream():
        stream = epoch_stream(run_data, seed=0, start_epoch=epoch["n"], epochs=epoch["n"] + 1)
        epoch["n"] += 1
        net.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)

    with gpu.op_determinism(acc.deterministic):
        times = timing.interleaved(
            {"pipeline": kit_pipeline, "memory": in_memory, "stream": runner_stream,
             "arrays": keras_arrays},
            repeats=args.repeats, warmup=args.pipeline_warmup)
        # The input side alone: one epoch of batches drawn from each source, no training. The
        # difference is the most the pipeline can add to a training epoch (prefetch overlaps
        # it with the model's steps), measured without the model's noise on top.
        def drain(dataset):
            for _ in dataset:
                pass

        alone = timing.interleaved({"pipeline": lambda: drain(splits.train),
                                    "memory": lambda: drain(batched)},
                                   repeats=max(args.repeats, 5), warmup=1)
    pipe_alone, mem_alone = timing.median(alone["pipeline"]), timing.median(alone["memory"])
    alone_note = (f"the input side alone (one epoch of batches, no training): kit pipeline "
                  f"{timing.fmt_seconds(pipe_alone)}, in-memory batches "
                  f"{timing.fmt_seconds(mem_alone)}; the difference is "
                  f"{100 * (pipe_alone - mem_alone) / timing.median(times['memory']):.1f}% of "
                  f"an in-memory training epoch, the most the pipeline can add when nothing "
                  f"overlaps it")
    model_note = (f"CNN-A2 at the quick budget's widths {widths}, batch {batch}, {n} training "
                  f"images ({steps} steps) per epoch, model.fit(epochs=1) per timed epoch, "
                  f"op determinism {'on' if acc.deterministic else 'off'} as in the runner")
    reference = "the same preprocessed images as in-memory tensors, batched"
    return [
        Row("pipeline", "training epoch, kit tf.data pipeline vs tensors in memory",
            'course_lib.data.load("fashion_mnist32") train split (shuffle, view, scaling, '
            "mean subtraction per batch)", reference + " (from_tensor_slices, batch, prefetch)",
            times["pipeline"], times["memory"], target=1.05, notes=[model_note, alone_note]),
        Row("pipeline", "training epoch, the runner's epoch stream vs tensors in memory",
            "course_lib.data.epoch_stream (as run_model feeds fit)", reference,
            times["stream"], times["memory"],
            notes=[model_note, "the stream is rebuilt per timed epoch (run_model builds it once "
                               "per run), so its start-up is counted every time"]),
        Row("pipeline", "training epoch, Keras' own in-memory path vs batched tensors",
            "model.fit(x, y, batch_size) on the in-memory tensors", reference,
            times["arrays"], times["memory"],
            notes=[model_note, "what a notebook gets from fit on arrays, for comparison"]),
    ]


# ------------------------------------------------------------------------------------------
# 5. Test suite
# ------------------------------------------------------------------------------------------


#: ``make test``'s pytest arguments (the Makefile's ``test`` recipe, with its default two
#: workers; tests/test_benchmarks.py checks that they agree).
MAKE_TEST_ARGS = ("tests", "notebooks", "--nbval-lax", "-p", "no:cacheprovider", "-m",
                  "not rehearsal", "-n", "2", "--dist", "loadgroup")


def bench_suite(args) -> dict:
    """``make test``'s pytest command once, with the 10 slowest tests."""
    repo = timing.REPO
    cmd = [sys.executable, "-m", "pytest", *MAKE_TEST_ARGS, "--durations=10", "-q"]
    env = {**os.environ, "COURSE_BUDGET": "smoke"}
    env.pop("KERAS_BACKEND", None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    result = parse_pytest_output(proc.stdout)
    result.update({"command": "COURSE_BUDGET=smoke python " + " ".join(
                       shlex.quote(part) for part in cmd[1:]),
                   "wall_s": wall, "returncode": proc.returncode,
                   "output_tail": proc.stdout.splitlines()[-40:]})
    return result


def parse_pytest_output(out: str) -> dict:
    """The final summary line and the ``--durations`` table of a pytest run's output."""
    slowest = re.findall(r"^\s*([0-9.]+)s\s+(call|setup|teardown)\s+(.+?)\s*$", out, flags=re.M)
    # "== 3 passed, 1 skipped in 12.34s (0:00:12) ==" or, with -q, the same without the "=".
    summary = [ln.strip("= ").strip() for ln in out.splitlines()
               if re.search(r"\b(passed|failed|errors?|skipped|deselected)\b.* in [0-9.]+s", ln)]
    return {"summary": summary[-1] if summary else "(no pytest summary line found)",
            "slowest": [(float(t), phase, test) for t, phase, test in slowest[:10]]}


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def _target_text(row: Row) -> str:
    if row.target is None:
        return "(reported)"
    return f"{'<=' if row.kind == 'time' else '>='} {row.target:g}x"


def _met_text(row: Row) -> str:
    return {"met": "yes", "missed": "**no**", None: "",
            "unclear": f"not settled (median {'yes' if row.met else '**no**'})"}[row.verdict]


def report(rows: list[Row], info: dict, args, suite: dict | None, wall: float) -> str:
    lines = ["# Benchmarks", "",
             "Written by `benchmarks/run.py` (`make benchmark`). Ratios are kit / reference: "
             "for times lower is better, for throughput (img/s) higher is better.", "",
             "## Machine", "", timing.machine_markdown(info), "",
             *([f"**Warning:** {warning}", ""] if (warning := timing.busy_warning(info)) else []),
             "## Method", "",
             "Each comparison runs in one process with its cases interleaved: untimed warm-up "
             "calls of every case first (tracing, compilation, first allocations: "
             f"{args.micro_warmup} per case for the layers, the first step for the models, "
             f"{args.pipeline_warmup} epoch for the pipeline), then rounds in which every case "
             "runs once, the order rotating from round to round "
             f"({args.micro_repeats} rounds for the layers, {args.repeats} for models and "
             "pipeline). Values are medians over the rounds; the range is that of the per-round "
             "ratio (both sides of a round ran under the same machine load), and the details "
             "give the ratio of the fastest rounds too. A target is met when every round's "
             "ratio meets it, missed when none does, and not settled when the rounds fall on "
             "both sides of it (the median's side is given). The PyTorch-backend LRN "
             "row runs in a subprocess with `KERAS_BACKEND=torch` (the Keras backend is fixed "
             "when Keras is imported). PyTorch models run "
             + ("with `torch.compile`." if args.torch_compile else
                "eagerly: `torch.compile` works offline on this CPU but took about 6 minutes "
                "to compile CNN-A2 on the 2 shared cores, longer than this whole script may "
                "take (`--torch-compile` turns it on).")
             + (f" After its timing, {args.profile_steps} training steps of each model are "
                "profiled on both sides (TensorFlow profiler: op time summed over threads; "
                "torch.profiler: self CPU time); the details give the shares, which show "
                "where a ratio comes from." if args.profile_steps else "")
             + (" **--quick sizes: these numbers only show the script works.**"
                if args.quick else ""),
             "", f"Total time of this run: {timing.fmt_duration(wall)}.", "",
             "## Results", ""]
    header = ["#", "comparison", "kit", "reference", "ratio", "range over rounds", "target",
              "met"]
    table_rows = []
    for i, row in enumerate(rows, start=1):
        lo, hi = row.ratio_range
        table_rows.append([i, row.comparison, row.value(row.kit_times),
                           row.value(row.ref_times), f"{row.ratio:.2f}x",
                           f"{lo:.2f}-{hi:.2f}", _target_text(row), _met_text(row)])
    lines += [timing.table(header, table_rows), "", "## Details", ""]
    for i, row in enumerate(rows, start=1):
        fastest = (min(row.kit_times) / min(row.ref_times) if row.kind == "time"
                   else min(row.ref_times) / min(row.kit_times))
        lines.append(f"{i}. **{row.comparison}**: kit = {row.kit}; reference = {row.reference}. "
                     + " ".join(f"{n[0].upper()}{n[1:].rstrip('.')}." for n in row.notes)
                     + f" Fastest rounds: kit {row.value([min(row.kit_times)])}, reference "
                       f"{row.value([min(row.ref_times)])}, ratio {fastest:.2f}x.")
    lines.append("")
    lines += ["## Test suite and notebooks (smoke budget)", ""]
    if suite is None:
        lines.append("Not measured in this run (`python benchmarks/run.py --suite` runs "
                     "`make test`'s pytest command once with `--durations=10`).")
    else:
        lines += [f"`{suite['command']}`: **{timing.fmt_duration(suite['wall_s'])}** wall time "
                  f"(exit status {suite['returncode']}; pytest: {suite['summary']}).", "",
                  "Slowest 10:", "",
                  timing.table(["seconds", "phase", "test"],
                               [[f"{s:.1f}", p, f"`{t}`"] for s, p, t in suite["slowest"]])]
    lines.append("")
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Side-by-side CPU benchmarks of the course kit: LRN, RecurrentConv2D, "
                    "model training throughput vs PyTorch, input pipeline, test-suite time. "
                    "Writes a Markdown report (benchmarks/RESULTS.md) and prints it.")
    parser.add_argument("--only", nargs="+", choices=(*SECTIONS, "suite"),
                        default=list(SECTIONS), metavar="SECTION",
                        help=f"sections to run, any of {', '.join(SECTIONS)}, suite (default: "
                             f"{' '.join(SECTIONS)})")
    parser.add_argument("--suite", action="store_true",
                        help="also run make test's pytest command once (tests + notebooks, "
                             "smoke budget, two workers) and report its wall time and 10 "
                             "slowest tests")
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES),
                        metavar="MODEL", help="models of the 'models' section "
                                              f"(default: {' '.join(MODEL_NAMES)})")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"timed rounds of the model and pipeline comparisons (default "
                             f"{FULL.repeats}); the LRN and RCL comparisons run "
                             f"{FULL.micro_factor}x as many")
    parser.add_argument("--warmup", type=int, default=None,
                        help=f"untimed warm-up calls per case in every section (default: "
                             f"{FULL.micro_warmup} for LRN/RCL, {FULL.model_warmup} for models "
                             f"(the first step), {FULL.pipeline_warmup} epoch for the pipeline)")
    parser.add_argument("--profile-steps", type=int, default=None,
                        help="training steps of each model to profile (TensorFlow profiler "
                             "and torch.profiler) after timing, for the op-time breakdown in "
                             "the details; 0 turns profiling off (default: 2, 0 with --quick)")
    parser.add_argument("--torch-compile", action="store_true",
                        help="run the PyTorch models through torch.compile (minutes of "
                             "compilation per model on a small CPU)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch intra-op threads (default: PyTorch's, one per core; "
                             "TensorFlow always uses its default, one per core)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and 2 rounds, to check that the script runs; writes "
                             "no report unless --output is given")
    parser.add_argument("--output", type=Path, default=None,
                        help="report path (default benchmarks/RESULTS.md; none with --quick)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the raw timings as JSON to this path")
    parser.add_argument("--child", choices=("torch-lrn",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.repeats = sizes.repeats if args.repeats is None else args.repeats
    args.micro_repeats = args.repeats * sizes.micro_factor
    if args.torch_threads is not None and args.torch_threads < 1:
        parser.error(f"--torch-threads must be >= 1. Received: --torch-threads "
                     f"{args.torch_threads}")
    if args.profile_steps is None:
        args.profile_steps = 0 if args.quick else 2
    if args.profile_steps < 0:
        parser.error(f"--profile-steps must be >= 0. Received: --profile-steps "
                     f"{args.profile_steps}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: --repeats {args.repeats}")
    if args.warmup is not None and args.warmup < 1:
        parser.error(f"--warmup must be >= 1 (the first call traces and compiles). "
                     f"Received: --warmup {args.warmup}")
    for section in ("micro", "model", "pipeline"):
        default = getattr(sizes, f"{section}_warmup")
        setattr(args, f"{section}_warmup", default if args.warmup is None else args.warmup)
    return args, sizes


def main(argv=None) -> int:
    args, sizes = parse_args(argv)
    if args.child == "torch-lrn":
        child_torch_lrn(sizes, args)
        return 0
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if os.environ["KERAS_BACKEND"] != "tensorflow":
        raise SystemExit("benchmarks/run.py compares against TensorFlow: run it with "
                         f"KERAS_BACKEND=tensorflow (found {os.environ['KERAS_BACKEND']!r}); "
                         "benchmarks/gpu.py is the backend-agnostic one")
    info = timing.machine_info()
    started = time.perf_counter()
    benches = {"lrn": bench_lrn, "rcl": bench_rcl, "models": bench_models,
               "pipeline": bench_pipeline}
    rows: list[Row] = []
    section_times = {}
    for section in SECTIONS:
        if section in args.only:
            t0 = time.perf_counter()
            print(f"[benchmark] {section} ...", file=sys.stderr, flush=True)
            rows += benches[section](sizes, args)
            section_times[section] = time.perf_counter() - t0
            print(f"[benchmark] {section} done in "
                  f"{timing.fmt_duration(section_times[section])}", file=sys.stderr, flush=True)
    suite = None
    if args.suite or "suite" in args.only:
        print("[benchmark] suite ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        suite = bench_suite(args)
        section_times["suite"] = time.perf_counter() - t0
    info["load_average_end"] = timing.load_average()
    info.setdefault("notes", []).append(
        "time per section: " + ", ".join(f"{k} {timing.fmt_duration(v)}"
                                         for k, v in section_times.items()))
    try:
        import tensorflow as tf
        import torch

        info.setdefault("notes", []).append(
            f"threads: TensorFlow intra-op {tf.config.threading.get_intra_op_parallelism_threads()}"
            f" / inter-op {tf.config.threading.get_inter_op_parallelism_threads()} "
            "(0 = one per core), PyTorch "
            f"{torch.get_num_threads()}")
    except ImportError:
        pass
    text = report(rows, info, args, suite, time.perf_counter() - started)
    print(text)
    output = args.output if args.output is not None else (None if args.quick
                                                          else HERE / "RESULTS.md")
    if output is not None:
        # benchmarks/time_to_accuracy.py, augmentation.py and levers.py write their own
        # sections of the same file: they are kept.
        timing.write_report(output, text)
        print(f"[benchmark] report written to {output}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": info, "rows": [r.to_dict() for r in rows],
                                         "suite": suite}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
