#!/usr/bin/env python
"""Time to accuracy: CNN-A2 at the quick widths to 85% test accuracy, the kit vs PyTorch.

One process trains the same network with the same recipe twice, one framework after the
other, and reports how many seconds of training each needed to reach the target accuracy on
the whole ``fashion_mnist32`` test set (checked after every epoch, as DAWNBench does; the test
evaluation itself is not counted), and the ratio kit / PyTorch (lower is better for the kit):

* the kit: ``course_lib.train.run_model("param-distribution", "CNN-A2",
  budget="quick")`` -- the runner exactly as a student calls it (its data pipeline, op
  determinism, backups), stopped after the first epoch at or above the target;
* PyTorch: ``benchmarks/torch_models.py``'s CNN-A2 at the same widths, fed the very same
  images (the runner's stratified training subset with its mean subtracted, and the same test
  set), Glorot-uniform kernels and zero biases as Keras initialises them, SGD with the same
  momentum, coupled L2 weight decay on the kernels only, batch size, learning-rate warm-up and
  cosine schedule per step (the first step at the schedule's value for step 0, as Keras), a new
  shuffle every epoch, dropout as in the kit.

Both sides also report process CPU seconds (user + sys, ``resource.getrusage``) next to wall
seconds: on a shared machine, CPU seconds are what the run itself cost. The result is written
as the ``## Time to accuracy`` section of ``benchmarks/RESULTS.md`` (``benchmarks/run.py`` keeps
that section when it rewrites the file); ``--quick`` checks the script on a tiny subset and
writes nothing unless ``--output`` is given.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import timing  # noqa: E402  (benchmarks/timing.py)

EXPERIMENT = "param-distribution"
MODEL = "CNN-A2"
SECTION = "## Time to accuracy"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _first_reaching(history: list[dict], target_pct: float) -> int | None:
    """The 1-based epoch after which the test accuracy first reached ``target_pct``."""
    for entry in history:
        if 100.0 - entry["test_error_pct"] >= target_pct - 1e-9:
            return int(entry["epoch"])
    return None


def run_kit(settings, target_pct: float, max_epochs: int) -> dict:
    """The runner, stopped after the first epoch that reaches the target."""
    import keras

    from course_lib.train import run_model

    class StopAtTarget(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs and 100.0 * float(logs.get("val_accuracy", 0.0)) >= target_pct - 1e-9:
                self.model.stop_training = True

    with tempfile.TemporaryDirectory() as results:
        cpu0, wall0 = _cpu_seconds(), time.perf_counter()
        record = run_model(EXPERIMENT, MODEL, dataset=settings.dataset, budget=settings.budget,
                           epochs=max_epochs, results_dir=results, save_model=False, rerun=True,
                           verbose=0, live=False, callbacks=[StopAtTarget()])
        wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    return {**_summary(record["history"], target_pct, wall, cpu),
            "num_train": record["config"]["num_train"],
            "num_test": record["config"]["num_test"],
            "params": record["params"]["total"]}


def _summary(history: list[dict], target_pct: float, wall: float, cpu: float) -> dict:
    """Seconds of training up to the first epoch at the target, and the run's totals."""
    reached = _first_reaching(history, target_pct)
    upto = history[:reached] if reached else history
    return {
        "reached_epoch": reached,
        "train_seconds": sum(e["seconds"] for e in upto),
        "epochs_run": len(history),
        "test_accuracy_pct": [round(100.0 - e["test_error_pct"], 2) for e in history],
        "wall_seconds_total": wall,
        "cpu_seconds_total": cpu,
    }


def _schedule_factor(settings, total_steps: int):
    """``step -> lr / lr0`` of the runner's schedule (``runner._learning_rate``, in Keras)."""
    sched = settings.schedule
    if sched.kind == "constant":
        return lambda step: 1.0
    if sched.kind == "step":
        bounds = sched.step_boundaries(total_steps)
        # PiecewiseConstantDecay: the rate drops after a boundary (step > boundary).
        return lambda step: sched.factor ** sum(step > b for b in bounds)
    warmup = sched.warmup_steps(total_steps)
    decay = max(1, total_steps - warmup)

    def factor(step: int) -> float:
        if step < warmup:
            return step / warmup
        done = min(step - warmup, decay) / decay
        return (1 - sched.final_fraction) * 0.5 * (1 + math.cos(math.pi * done)) + \
            sched.final_fraction

    return factor


def run_torch(settings, widths, target_pct: float, max_epochs: int, threads: int | None) -> dict:
    """The same network, data and recipe in PyTorch."""
    import numpy as np
    import torch
    import torch_models
    from torch.nn import functional as F

    from course_lib.data import load_run_data

    if threads:
        torch.set_num_threads(threads)
    data = load_run_data(settings.dataset, batch_size=settings.batch_size, augment=False,
                         seed=settings.seed, extra=settings.extra,
                         train_limit=settings.train_limit, test_limit=settings.test_limit)
    x_train = np.stack([x.numpy() for x, _ in data.examples])
    y_train = np.array([int(y) for _, y in data.examples], dtype=np.int64)
    x_test = np.concatenate([x.numpy() for x, _ in data.test])
    y_test = np.concatenate([y.numpy() for _, y in data.test]).astype(np.int64)

    def to_torch(images):
        return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(
            memory_format=torch.channels_last)

    xt, yt = to_torch(x_train), torch.from_numpy(y_train)
    xv, yv = to_torch(x_test), torch.from_numpy(y_test)
    torch.manual_seed(settings.seed)
    net = torch_models.SeedNet(widths, recurrent=False).to(memory_format=torch.channels_last)
    for module in net.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.xavier_uniform_(module.weight)  # Keras' glorot_uniform
            torch.nn.init.zeros_(module.bias)
    opt = settings.optimizer
    decayed = [p for p in net.parameters() if p.ndim >= 2]
    other = [p for p in net.parameters() if p.ndim < 2]
    optimizer = torch.optim.SGD(
        [{"params": decayed, "weight_decay": opt.weight_decay},
         {"params": other, "weight_decay": 0.0}],
        lr=opt.learning_rate, momentum=opt.momentum, nesterov=opt.nesterov)
    batch = settings.batch_size
    steps_per_epoch = math.ceil(len(yt) / batch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _schedule_factor(settings, steps_per_epoch * max_epochs))
    gen = torch.Generator().manual_seed(settings.seed)
    history = []
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(yt), generator=gen)
        for i in range(steps_per_epoch):
            index = order[i * batch:(i + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xt[index]), yt[index])
            loss.backward()
            optimizer.step()
            scheduler.step()
        seconds = time.perf_counter() - start
        net.eval()
        with torch.no_grad():
            correct = sum(int((net(xv[i:i + 256]).argmax(1) == yv[i:i + 256]).sum())
                          for i in range(0, len(yv), 256))
        history.append({"epoch": epoch, "seconds": seconds,
                        "test_error_pct": 100.0 * (1 - correct / len(yv))})
        if 100.0 * correct / len(yv) >= target_pct - 1e-9:
            break
    wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    return {
        **_summary(history, target_pct, wall, cpu),
        "num_train": len(yt),
        "num_test": len(yv),
        "params": int(sum(p.numel() for p in net.parameters())),
        "threads": torch.get_num_threads(),
    }


def report(settings, widths, kit: dict, torch_side: dict, target_pct: float, info: dict,
           max_epochs: int) -> str:
    def seconds(side):
        return (f"{side['train_seconds']:.1f} s (epoch {side['reached_epoch']})"
                if side["reached_epoch"] else f"not reached in {side['epochs_run']} epochs")

    both = kit["reached_epoch"] and torch_side["reached_epoch"]
    ratio = kit["train_seconds"] / torch_side["train_seconds"] if both else None
    per_epoch = ((kit["train_seconds"] / (kit["reached_epoch"] or kit["epochs_run"]))
                 / (torch_side["train_seconds"]
                    / (torch_side["reached_epoch"] or torch_side["epochs_run"])))
    # As timing.busy_warning: the load counts this process too (about one unit per busy core).
    loaded = max(info["load_average_start"][0], info["load_average_end"][0]) > info["cpus"] + 0.75
    lines = [
        SECTION, "",
        f"Written by `benchmarks/time_to_accuracy.py` at {info['when']} (kit commit "
        f"{info['commit']}). Seconds of training for {MODEL} at the quick widths "
        f"({list(widths)}) to reach {target_pct:g}% accuracy on the whole "
        f"{settings.dataset} test set ({kit['num_test']:,} images), checked after every epoch "
        f"(the evaluation is not counted): the kit's runner vs the same network and recipe "
        f"in PyTorch, one after the other in one process. Recipe (the `{EXPERIMENT}` quick "
        f"budget): {kit['num_train']:,} training images (the first "
        f"{kit['num_train'] // 10:,} of each class), batch {settings.batch_size}, SGD momentum "
        f"{settings.optimizer.momentum}, coupled L2 {settings.optimizer.weight_decay} on the "
        f"kernels, learning rate {settings.optimizer.learning_rate} with a linear warm-up over "
        f"{settings.schedule.warmup_fraction:.0%} of {max_epochs} epochs' steps then cosine "
        f"decay, dropout as in the kit, Glorot-uniform kernels on both sides.", "",
        "| side | seconds to target | epochs run | test accuracy per epoch (%) | wall total "
        "| CPU total (user+sys) |",
        "|---|---|---|---|---|---|",
    ]
    for name, side in (("kit (course_lib runner)", kit), ("PyTorch", torch_side)):
        lines.append(f"| {name} | {seconds(side)} | {side['epochs_run']} | "
                     f"{', '.join(f'{a:.2f}' for a in side['test_accuracy_pct'])} | "
                     f"{side['wall_seconds_total']:.1f} s | {side['cpu_seconds_total']:.1f} s |")
    lines += [
        "",
        (f"**Ratio kit / PyTorch: {ratio:.2f}x** (target <= 1.0x: "
         f"{'met' if ratio <= 1.0 else 'not met'})." if ratio is not None else
         "**Ratio: not defined** -- a side did not reach the target within "
         f"{max_epochs} epochs."),
        f"Training seconds per epoch, kit / PyTorch: {per_epoch:.2f}x. Parameters: kit "
        f"{kit['params']:,}, PyTorch {torch_side['params']:,}; PyTorch threads "
        f"{torch_side['threads']}.",
        f"Machine: {info['machine']}; load average (1, 5, 15 min) at start "
        f"{', '.join(f'{v:.2f}' for v in info['load_average_start'])}, at end "
        f"{', '.join(f'{v:.2f}' for v in info['load_average_end'])}"
        + (" -- **measured under load** (other processes shared the cores): both sides' "
           "seconds are inflated, and as the sides ran one after the other, a change of load "
           "moves the wall-time ratio; the CPU-second ratio below is the steadier number."
           if loaded else "."),
        f"Whole runs (training, evaluation, setup), CPU seconds kit / PyTorch: "
        f"{kit['cpu_seconds_total'] / torch_side['cpu_seconds_total']:.2f}x.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/time_to_accuracy.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=85.0,
                        help="test accuracy to reach, in percent (default 85)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="give up after this many epochs (default: the quick budget's)")
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true",
                        help="smoke budget sizes (seconds), to check the script; no report "
                             "unless --output is given")
    parser.add_argument("--output", type=Path, default=None,
                        help="file whose time-to-accuracy section is (re)written (default "
                             "benchmarks/RESULTS.md; none with --quick)")
    args = parser.parse_args(argv)
    if not 0 < args.target <= 100:
        parser.error(f"--target must be in (0, 100]. Received: --target {args.target}")

    from course_lib import models as zoo
    from course_lib.train import get_experiment, resolve, runner

    exp = get_experiment(EXPERIMENT)
    budget = "smoke" if args.quick else "quick"
    settings = resolve(exp, MODEL, dataset="fashion_mnist32", budget=budget)
    max_epochs = args.max_epochs or settings.epochs
    if max_epochs < 1:
        parser.error(f"--max-epochs must be >= 1. Received: --max-epochs {max_epochs}")
    settings = resolve(exp, MODEL, dataset="fashion_mnist32", budget=budget, epochs=max_epochs)
    kwargs, _ = runner._model_kwargs(dict(settings.overrides), settings.width_multiplier)
    kit_net = zoo.build(MODEL, **kwargs)
    widths = tuple(kit_net.get_layer(f"conv{i}").filters for i in range(1, 6))
    del kit_net
    machine = timing.machine_info()
    info = {"load_average_start": os.getloadavg(), "cpus": machine["usable_cores"] or 1,
            "when": machine["date"], "commit": machine["commit"],
            "machine": f"{machine['cpu']}, {machine['usable_cores']} usable cores, "
                       + ", ".join(f"{k} {v}" for k, v in machine["versions"].items())}
    print(f"[time-to-accuracy] kit: {MODEL} widths {list(widths)}, up to {max_epochs} epochs",
          file=sys.stderr, flush=True)
    kit = run_kit(settings, args.target, max_epochs)
    print(f"[time-to-accuracy] kit: {kit}", file=sys.stderr, flush=True)
    torch_side = run_torch(settings, widths, args.target, max_epochs, args.torch_threads)
    print(f"[time-to-accuracy] torch: {torch_side}", file=sys.stderr, flush=True)
    info["load_average_end"] = os.getloadavg()
    text = report(settings, widths, kit, torch_side, args.target, info, max_epochs)
    print(text)
    output = args.output if args.output is not None else (None if args.quick
                                                          else HERE / "RESULTS.md")
    if output is not None:
        timing.write_section(output, SECTION, text)
        print(f"[time-to-accuracy] section written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
