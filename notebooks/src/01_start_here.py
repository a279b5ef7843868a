# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/01_start_here.ipynb)
#
# # 01 — Start here: how the course kit works
#
# This course rebuilds the experiments of five sources on CNN architectures. Each is linked
# where a notebook cites it:
#
# * the Stanford CS231n notes on convolutional networks
#   (<https://cs231n.github.io/convolutional-networks/>, read in a Chinese translation);
# * chapter 3 of the book 《解析卷积神经网络》 (*Analysing Convolutional Neural Networks*) by
#   魏秀参 (Wei Xiu-Shen);
# * the VGG paper, Simonyan & Zisserman, *Very Deep Convolutional Networks for Large-Scale Image
#   Recognition* ([arXiv:1409.1556](https://arxiv.org/abs/1409.1556));
# * the SimpNet paper, Hasanpour et al.
#   ([arXiv:1802.06205](https://arxiv.org/abs/1802.06205));
# * a study of how parameters should be distributed between the low and high layers of CNNs and
#   recurrent CNNs (notebook 05).
#
# Each notebook reads one source and runs
# its experiments with a small library, `course_lib`, which holds everything worth reusing:
# layers, models, data pipelines, the experiment runner and analysis tools. The notebooks
# call it; they never copy a training loop or a model definition.
#
# ## 学习目标 (learning goals)
#
# 1. Know where things live: the `course_lib` subpackages, the notebooks, the assignments,
#    `data/` and `results/`.
# 2. Run the kit on Colab or on your own machine (`make lab`, `make test`).
# 3. Choose a compute budget (`smoke`, `quick`, `full`) with `COURSE_BUDGET`.
# 4. Build, train and evaluate a small CNN in plain Keras (functional API, `compile`, `fit`
#    with callbacks, `evaluate`), and say what the kit's runner adds to it.
# 5. Run an experiment from a notebook and from the command line, find its result record, and
#    resume an interrupted run.
# 6. Find a model in the zoo and build it by name.
# 7. Read a quick result honestly: how far its setting is from the source's, and what it can
#    and cannot tell you.
#
# **Key terms.** compute budget 计算预算 · experiment 实验 · result record 结果记录 ·
# resume / checkpoint 断点续训 / 检查点 · model zoo 模型库 · feature map 特征图 ·
# test error 测试错误率 · command-line interface (CLI) 命令行接口 · functional API 函数式 API ·
# callback 回调 · validation set 验证集 · learning curve 学习曲线 · early stopping 早停

# %% tags=["hide-input"]
# Colab only (does nothing elsewhere): install the course kit, work in notebooks/.
import importlib.util, os, subprocess, sys
if "google.colab" in sys.modules:
    USE_DRIVE = True  # results on Google Drive; False: in /content, wiped with the runtime
    KIT, KIT_URL = "/content/cnn-course-kit", "https://github.com/cnn-course-kit/cnn-course-kit"
    missing = [m for m in ["course_lib"] if importlib.util.find_spec(m) is None]
    if missing and not os.path.isdir(KIT):
        git = subprocess.run(["git", "clone", "-q", "--depth", "1", KIT_URL, KIT], capture_output=True, text=True)
        if git.returncode:
            raise SystemExit(f"Could not download the course kit from {KIT_URL}: {git.stderr.strip()[-800:]}\n"
                             "Fix: check that the runtime is online and KIT_URL opens in a browser, then run this cell again.")
    sys.path.append(KIT)
    from course_lib.colab import setup_colab
    setup_colab(KIT, install=bool(missing), workdir="notebooks", use_drive=USE_DRIVE)

# %%
# parameters
from course_lib.notebook import setup
BUDGET = setup(expected_version="0.1.0")

# %% [markdown]
# The two cells above start every notebook. The first does something only on Colab: it
# clones the kit and installs it (`pip install -e`) unless it is already installed, moves into
# its `notebooks/` folder and keeps results on Google Drive (`USE_DRIVE`), so that a run
# continues after Colab recycles the runtime.
# The second checks that the installed `course_lib` is the version the notebook was written
# for (if not, it tells you how to reinstall), prints whether TensorFlow sees a GPU, and
# returns the **budget**.
#
# ## 1. What is where
#
# ```
# course_lib/        the library (installed with pip install -e .)
#   layers/          Keras layers the papers need and Keras lacks: LRN, RecurrentConv2D, SAFPooling2D
#   models/          the model zoo: build(name, ...), names(), spec(name)
#   analysis/        per-layer tables, receptive fields, CS231n arithmetic, the sources' tables
#   data/            tf.data loaders (CIFAR-10/100, SVHN, MNIST, Fashion-MNIST and its 32x32x3 view)
#   train/           experiments as data, the resumable runner, result records, reports
#   tables/          the sources' printed tables as CSV (package data)
#   notebook.py      the setup() of the first cell
# notebooks/         this course, in order; notebooks/src/ holds each notebook as a Python script
# assignments/       graded assignments (otter-grader)
# data/              real Fashion-MNIST and the dataset cache
# results/           one JSON record per finished run, results/<experiment>/...json
# tests/             the test suite (make test)
# ```
#
# The notebooks, in order:
#
# | notebook | source | topic |
# |---|---|---|
# | 01 | — | this tour |
# | 02 | seed 003, CS231n notes | conv arithmetic, im2col, pooling, 1x1/dilated conv, locally connected and all-conv nets, filter visualisation, FC as conv, memory, case studies |
# | 03 | seed 004, 《解析卷积神经网络》 ch. 3 | receptive fields, distributed representation, AlexNet and LRN, VGG-16, NIN, highway and residual nets |
# | 04 | seed 001, VGG | depth A–E at CIFAR scale, LRN, 1x1 vs 3x3, dense evaluation |
# | 05 | seed 000 | parameters in low vs high layers, CNN vs RCNN |
# | 06 | seed 002, SimpNet | design principles, SAF-pooling |
#
# Every subpackage says what it does in its first docstring line:

# %%
import importlib

for sub in ("layers", "models", "analysis", "data", "train"):
    module = importlib.import_module(f"course_lib.{sub}")
    print(f"course_lib.{sub:9s}", (module.__doc__ or "").strip().splitlines()[0])

# %% [markdown]
# ## 2. Running the kit
#
# **On Colab.** Open a notebook with its badge, choose *Runtime → Change runtime type → GPU*,
# and run the cells in order; the install cell takes a minute the first time in a session.
# Set the budget before the setup cell with `%env COURSE_BUDGET=full`.
#
# **On your machine** (Linux or macOS, `make`, and a Python version the kit supports: the
# next cell prints the range from the kit's package metadata, `requires-python` in
# `pyproject.toml`, which `make` also checks):
#
# ```bash
# make lab     # first time: creates .venv and installs everything, then opens JupyterLab on notebooks/
# make test    # runs the test suite and executes every notebook with the smoke budget (offline)
# ```
#
# Both are idempotent: once `.venv` exists they start at once.

# %%
import platform
import re
from importlib import metadata


def python_range(requires: str) -> str:
    """'>=3.10,<3.14' -> '3.10-3.13' (the forms pyproject.toml uses); anything else as given."""
    low = re.search(r">=\s*3\.(\d+)", requires)
    high = re.search(r"<\s*3\.(\d+)", requires)
    if low and high:
        return f"3.{low.group(1)}-3.{int(high.group(1)) - 1}"
    return requires


try:
    requires = metadata.metadata("course_lib")["Requires-Python"] or "not stated"
except metadata.PackageNotFoundError:  # imported from a folder, not installed
    requires = "see requires-python in pyproject.toml"
print(f"the kit supports Python {python_range(requires)} ({requires}); "
      f"this kernel runs Python {platform.python_version()}")

# %% [markdown]
# ## 3. Budgets (计算预算)
#
# Every experiment runs at three sizes, chosen with the environment variable `COURSE_BUDGET`
# (default `quick`) or `--budget` on the command line:

# %%
import pandas as pd

from course_lib.train import BUDGETS

pd.DataFrame([{"budget": name, "epochs": b.epochs or "the source's",
               "train images": b.train_limit or "all", "test images": b.test_limit or "all",
               "what it is for": b.description}
              for name, b in BUDGETS.items()]).set_index("budget")

# %% [markdown]
# Each experiment refines `quick` for its own models: which of them a plain run trains (the
# *default set*, e.g. the two extremes of a group), their epochs, training images and learning
# rate, and **several seeds per model**, so that a difference between two models can be read
# against the difference between runs of the same model. A few of those runs may be *read*
# instead of trained: the kit ships their records (`course_lib/shipped_results/`), trained
# with the same runner and budget, so that a comparison gets its third seed without costing
# this CPU another run. The table is computed from the experiment definitions
# (`get_experiment(name).budget("quick")`), so it is always the current one. Name any other
# model with `models=[...]` and any seeds with `seeds=[...]`.

# %%
from course_lib.train import experiment_names, get_experiment, shipped_runs


def quick_row(name):
    e = get_experiment(name)
    b = e.budget("quick")
    shipped = shipped_runs(e, b)
    return {"experiment": name, "default models": ", ".join(e.default_models(b)),
            "seeds": ", ".join(map(str, e.seeds(b))),
            "read from shipped records": ", ".join(f"{m} (seed {s})" for m, s in shipped) or "-",
            "epochs": f"{b.epochs}" + "".join(f"; {m}: {n}" for m, n in b.model_epochs),
            "train images": b.train_limit,
            "width x": b.width_multiplier,
            "learning rate": b.learning_rate or e.optimizer.learning_rate}


pd.DataFrame([quick_row(name) for name in experiment_names()]).set_index("experiment")

# %% [markdown]
# `smoke` exists so that `make test` can execute every cell of every notebook in a few
# minutes on a CPU; its numbers prove that the pipeline runs and nothing else. `quick`
# gives a first, noisy picture on a laptop; only `full` (the source's schedule, on a GPU)
# can be compared with the papers. The datasets follow the budget: with `smoke` and `quick`
# the notebooks use **`fashion_mnist32`**, the Fashion-MNIST images (read offline from the
# Debian package `dataset-fashion-mnist`, or downloaded once by tensorflow-datasets)
# **zero-padded** from 28x28 to 32x32 (2 black pixels on every side; nothing is resized or
# interpolated) and repeated over 3 channels, so that every CIFAR model runs on them
# unchanged. With `full` they use the source's dataset (CIFAR-10 here), which
# tensorflow-datasets downloads on first use.
#
# **Think first.** A 28x28 image can be made 32x32 by resizing (interpolating new pixels) or
# by padding (adding a border). Which one keeps every original pixel value, and what does the
# border look like after the training mean is subtracted? The next cell prints the loader's
# own description of its preprocessing and checks the border.

# %%
dataset = "cifar10" if BUDGET == "full" else "fashion_mnist32"
from course_lib.train.results import results_dir
# $COURSE_RESULTS_DIR if set, Google Drive on Colab once mounted, else the kit's results/
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))
# printed relative to this notebook's folder (an absolute path would name your own machine)
print(f"budget {BUDGET!r}: dataset {dataset!r}, records under {os.path.relpath(RESULTS_DIR)}")

# %% [markdown]
# A look at the data the smoke and quick runs use (`course_lib.data.load` returns `tf.data`
# pipelines of preprocessed images: scaled to [0, 1], the training mean subtracted):

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from course_lib.data import load

sns.set_theme()
splits = load("fashion_mnist32", batch_size=16, limit=256)
images, labels = next(iter(splits.test))
print("batch:", tuple(images.shape), "| classes:", splits.info.num_classes)
print("preprocessing:", splits.info.preprocessing)
raw = images.numpy() + np.array(splits.info.mean)  # undo the mean subtraction
border = np.ones(raw.shape[1:3], bool)
border[2:-2, 2:-2] = False
print(f"largest pixel in the 2-pixel border, over the batch: {np.abs(raw[:, border]).max():.1e} "
      "(zero padding: 0 up to float round-off)")
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for ax, image, label in zip(axes.flat, images.numpy(), labels.numpy()):
    ax.imshow(np.clip(image + np.array(splits.info.mean), 0, 1))
    ax.set_title(splits.info.class_names[label], fontsize=8)
    ax.axis("off")
plt.tight_layout()

# %% [markdown]
# ## 4. The model zoo (模型库)
#
# Every architecture of the sources is registered by the name the source uses and built with
# `course_lib.models.build(name, num_classes=..., input_shape=...)`. The zoo, by family:

# %%
# NBVAL_CHECK_OUTPUT
from course_lib import models

families = {}
for name in models.names():
    families.setdefault(models.spec(name).family or "other", []).append(name)
for family, members in families.items():
    print(f"{family} ({len(members)}):")
    print("   ", ", ".join(members))

# %% [markdown]
# **Think first.** Seed 000 prints 0.95M parameters for `CNN-A2` (five conv layers of 160
# maps). Before running the next cell, estimate the count of its largest layer, a 3x3 conv
# from 160 to 160 maps (`F·F·C·K + K`).

# %%
# NBVAL_CHECK_OUTPUT
spec = models.spec("CNN-A2")
print("CNN-A2 comes from:", spec.source)
print("default input shape:", spec.input_shape, "| classes:", spec.num_classes)
model = models.build("CNN-A2")
print(f"{model.name}: {model.count_params():,} parameters")

# %% [markdown]
# ## 5. `fit` before the runner: a CNN in plain Keras
#
# Every experiment of this course goes through one function, `run_experiment`. Before using
# it, here is what it does at heart, written out in plain Keras (the way Keras' own guides and
# *Hands-On Machine Learning*, ch. 14, do it): build a model with the **functional API**
# (函数式 API), `compile` it, `fit` it with a couple of **callbacks** (回调), and `evaluate`
# it on the test set. Nothing in this section needs `course_lib` except the files of
# Fashion-MNIST it reads; every line runs the same without the kit.
#
# The data: Fashion-MNIST as NumPy arrays, `uint8` pixels of shape 28x28 (the kit's shipped
# copy in `data/fashion-mnist/`, else wherever `course_lib.data.load_fashion_mnist_arrays`
# finds the full set). A few thousand training images, the next ones as a **validation set**
# (验证集) that `fit` scores after every epoch, and the test set for the end. The sizes
# follow the budget:

# %%
import math
import time

import keras
from course_lib.data import load_fashion_mnist_arrays
from course_lib.data.fashion_mnist import read_shipped_fashion_mnist

# smoke: enough to run every line; quick/full: a few thousand images, well under a minute
FIT = {"smoke": dict(train=512, val=256, test=1000, epochs=2)}.get(
    BUDGET, dict(train=4000, val=1000, test=10_000, epochs=6))
arrays = read_shipped_fashion_mnist() or load_fashion_mnist_arrays()
end_val = FIT["train"] + FIT["val"]
x_train, y_train = arrays.x_train[:FIT["train"], ..., None], arrays.y_train[:FIT["train"]]
x_val, y_val = arrays.x_train[FIT["train"]:end_val, ..., None], arrays.y_train[FIT["train"]:end_val]
x_test, y_test = arrays.x_test[:FIT["test"], ..., None], arrays.y_test[:FIT["test"]]
for part, x, y in (("train", x_train, y_train), ("validation", x_val, y_val),
                   ("test", x_test, y_test)):
    print(f"{part:10s} {str(x.shape):18s} {x.dtype}, labels per class "
          f"{np.bincount(y, minlength=10).min()}-{np.bincount(y, minlength=10).max()}")

# %% [markdown]
# The model: two 3x3 conv layers with ReLU, each followed by 2x2 max pooling, then a
# `Dense` softmax classifier. In the functional API each layer is *called* on the tensor
# before it, and `keras.Model(inputs, outputs)` ties the graph together. A `Rescaling`
# layer turns the `uint8` pixels into [0, 1] inside the model, so the model takes raw images.
#
# **Think first.** How many parameters does each layer have? (`F·F·C·K + K` for a conv layer;
# the `Dense` layer sees the 7x7x32 map flattened.)

# %%
# NBVAL_CHECK_OUTPUT
def small_cnn(num_classes=10):
    inputs = keras.Input((28, 28, 1), name="image")            # uint8 pixels, 0..255
    x = keras.layers.Rescaling(1 / 255, name="scale")(inputs)   # -> [0, 1]
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)           # 28 -> 14
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)           # 14 -> 7
    x = keras.layers.Flatten(name="flatten")(x)                 # 7*7*32 = 1568 features
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


keras.utils.set_random_seed(0)  # the weights' random start (and the order fit shuffles in)
net = small_cnn()
for layer in net.layers:
    print(f"{layer.name:11s} {type(layer).__name__:13s} output {str(layer.output.shape):20s} "
          f"{layer.count_params():>6,} parameters")
print(f"{net.name}: {net.count_params():,} parameters")

# %% [markdown]
# `compile` chooses the optimiser, the loss and the metrics; `fit` runs the epochs. Two
# callbacks hook into the loop at the end of every epoch:
#
# * `EarlyStopping` watches the validation loss, stops when it has not improved for
#   `patience` epochs, and (`restore_best_weights=True`) puts back the weights of the best
#   epoch at the end;
# * `LearningRateScheduler` sets the learning rate at the start of each epoch, here a cosine
#   from `2e-3` down towards 0 over the planned epochs.
#
# `fit` returns a `History` whose `.history` holds one value per epoch for the loss, each
# metric, their `val_` twins and the learning rate.

# %%
LR0 = 2e-3
net.compile(optimizer=keras.optimizers.Adam(LR0), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"])
early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
cosine = keras.callbacks.LearningRateScheduler(
    lambda epoch: LR0 * 0.5 * (1 + math.cos(math.pi * epoch / FIT["epochs"])))
started = time.perf_counter()
history = net.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=FIT["epochs"],
                  batch_size=64, callbacks=[early, cosine], verbose=0)
fit_seconds = time.perf_counter() - started
curves = pd.DataFrame(history.history, index=pd.RangeIndex(1, len(history.epoch) + 1, name="epoch"))
best_epoch = early.best_epoch + 1  # Keras counts epochs from 0
print(f"fit: {len(history.epoch)} of {FIT['epochs']} epochs on {len(x_train):,} images in "
      f"{fit_seconds:.0f} s; best validation loss after epoch {best_epoch}, whose weights "
      "the model now holds")
curves.round(4)

# %% [markdown]
# The learning curves (学习曲线) from `history`: the error (1 − accuracy) on the training
# images and on the validation images after each epoch. The training error of an epoch is
# averaged while the weights still change during that epoch; the validation error is
# measured at its end.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
for key, label in (("", "train"), ("val_", "validation")):
    axes[0].plot(curves.index, 100 * (1 - curves[f"{key}accuracy"]), "-o", markersize=4,
                 label=label)
    axes[1].plot(curves.index, curves[f"{key}loss"], "-o", markersize=4, label=label)
for ax, ylabel in zip(axes, ("error (%)", "cross-entropy loss")):
    ax.axvline(best_epoch, color="0.5", lw=0.8, ls="--")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set(xlabel="epoch", ylabel=ylabel)
axes[0].set_ylim(bottom=0)
axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
fig.suptitle(f"{net.name} ({net.count_params():,} parameters), plain Keras fit, seed 0: one "
             f"seed, so no band\n{len(x_train):,} training / {len(x_val):,} validation images; "
             f"dashed: the best epoch ({best_epoch}), restored by EarlyStopping", fontsize=10)
fig.tight_layout()

# %% [markdown]
# And the test set, once, at the end:

# %%
scores = net.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
print(f"{net.name}: test error {100 * (1 - scores['accuracy']):.2f}% on {len(x_test):,} test "
      f"images (loss {scores['loss']:.3f}), after {len(history.epoch)} epochs on "
      f"{len(x_train):,} images, {fit_seconds:.0f} s of fitting")

# %% [markdown]
# That is the whole of training in Keras. What does a course that compares papers' models
# need on top of it? The table puts the cell above next to what `run_experiment` does for
# seed 000's `CNN-A2`, the run of the next section; its right-hand column is computed from the
# experiment's definition at this notebook's budget.

# %%
from IPython.display import Markdown, display

from course_lib.train import resolve


def schedule_words(schedule, lr):
    if schedule.kind == "constant":
        return f"constant {lr:g}"
    if schedule.kind == "step":
        points = ", ".join(f"{b:.0%}" for b in schedule.boundaries)
        return f"{lr:g}, times {schedule.factor:g} at {points} of the steps"
    warm = (f"linear warm-up from 0 over the first {schedule.warmup_fraction:.0%} of the steps, "
            "then " if schedule.warmup_fraction else "")
    return f"{lr:g}: {warm}cosine decay to {schedule.final_fraction:g} x {lr:g}, every step"


exp = get_experiment("param-distribution")
settings = resolve(exp, "CNN-A2", dataset=dataset, budget=BUDGET, seed=exp.seed)
opt = settings.optimizer
budget_seeds = exp.seeds(BUDGET)
shipped_here = [f"{m} seed {s}" for m, s in shipped_runs(exp, BUDGET)]
rows = [
    ("the model", f"`{net.name}`, written above ({net.count_params():,} parameters)",
     f"`CNN-A2` from the zoo by name (`models.build`), widths x{settings.width_multiplier:g}"),
    ("the data", f"NumPy arrays, first {len(x_train):,} training images, `Rescaling` in the model",
     f"`{settings.dataset}`: {settings.train_limit or 'all'} training images (the first of each "
     "class), padded to 32x32x3, mean subtracted, all test images scored"
     if settings.test_limit is None else
     f"`{settings.dataset}`: {settings.train_limit or 'all'} training images (the first of each "
     f"class), padded to 32x32x3, mean subtracted, the first {settings.test_limit:,} test images"),
    ("seeds", "`set_random_seed(0)` once, one run",
     f"each run has its seed (weights, data order, augmentation from the seed and the epoch "
     f"alone; deterministic ops on a CPU); the budget's seeds: "
     f"{', '.join(map(str, budget_seeds))}"),
    ("optimiser and schedule", f"Adam, your cosine per epoch from {LR0:g}",
     f"the source's {opt.name.upper()} (momentum {opt.momentum:g}, weight decay "
     f"{opt.weight_decay:g}); learning rate {schedule_words(settings.schedule, opt.learning_rate)}"),
    ("epochs, batch", f"at most {FIT['epochs']}, EarlyStopping; batch 64",
     f"{settings.epochs}, as the budget says (no early stopping: every run gets the same "
     f"training); batch {settings.batch_size}"),
    ("what is kept", "`history` in memory, lost with the kernel",
     "a JSON **record** per run: test error, per-epoch history, parameters, the exact "
     "settings and their fingerprint, hardware, library versions"),
    ("an interruption", "start again from epoch 1",
     "a backup after every epoch; the same call resumes; a finished run is read back"),
    ("the trained model", "gone unless you call `net.save(...)`",
     "saved beside the record (`record['model_path']`, a `.keras` file)"),
    ("several seeds, a verdict", "one curve, no spread",
     "the budget's seeds per model; mean, spread and a verdict with a 95% interval "
     "(`course_lib.analysis.compare_models`)"),
    ("the paper", "-", f"the source's printed numbers (seed {exp.source.seed}: "
     f"{exp.source.tables}) next to ours: `report`, and section 7 below"),
    ("runs read, not trained", "-",
     ("at this budget none" if not shipped_here else
      "none in the next section, which passes `shipped='train'`; otherwise the budget's "
      "shipped records: " + ", ".join(shipped_here))),
]
display(Markdown("| | your `fit` above | `run_experiment` (`CNN-A2`, this budget) |\n|---|---|---|\n"
                 + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)))

# %% [markdown]
# None of this replaces Keras: the runner builds a `keras.Model`, compiles it and calls
# `fit`, with the test set as `validation_data` (so the record has the test error of every
# epoch) and callbacks of its own: a backup after every epoch that survives a kill at any
# instant, a reseed of the data order per epoch, a live plot in notebooks. Section 6 shows
# that the model it saves is an ordinary `keras.Model` that you can `evaluate` and `fit`
# yourself.

# %% [markdown]
# ## 6. Running an experiment
#
# Experiments are data (`course_lib.train.experiments`): which zoo models, which dataset, the
# optimiser and schedule of the source, and the source's table to compare with.
# `run_experiment` trains the models one after the other, each with the budget's seeds;
# `models=None` takes the budget's default set, `models=[...]` picks some models. What a plain
# run of seed 000's experiment (`models=None`) would do at this notebook's budget, generated
# from its definition by `course_lib.train.budget_plan`:

# %%
from course_lib.train import budget_plan

display(Markdown(budget_plan(exp, BUDGET, dataset=dataset)))

# %% [markdown]
# This notebook asks for less: **one** model, `CNN-A2`, with **one seed** (the experiment's
# own, `seeds=[exp.seed]`), to keep this first run short; the cell prints its settings before
# it starts. The kit ships a record of this run, which notebook 05 reads where you have not
# trained it; `shipped='train'` makes this cell train it all the same, since training it is
# the point here. Notebooks 02, 03 and 05 ask for exactly this run and read it back instead of
# training it again. While it trains, a live plot shows the curves; the static figure after the cell
# is drawn from the record, so it stays when the live one is gone.

# %%
from course_lib.train import run_experiment, verify_record

print(f"training {settings.label} on {settings.dataset} ({BUDGET}): seed {settings.seed}, "
      f"{settings.epochs} epoch(s) on {settings.train_limit or 'all'} training images, "
      f"batch {settings.batch_size}, widths x{settings.width_multiplier:g}")
records = run_experiment("param-distribution", models=["CNN-A2"], seeds=[exp.seed],
                         dataset=dataset, budget=BUDGET, results_dir=RESULTS_DIR,
                         shipped="train")
for r in records:  # one record here (one model, one seed); check every one
    verify_record(r)  # reloads the saved .keras, re-evaluates it, raises if the error differs
record = records[0]
assert len(records) == 1 and record["seed"] == exp.seed
origin = ("read from the kit's shipped records" if record.get("shipped") else
          "trained by this cell's runner (now, or by an earlier run of the cell)")
print(f"{origin}; the saved model reproduces the record's test error: "
      f"{record['test_error_pct']}%")

# %%
from course_lib.analysis.figures import plot_training_curves

fig = plot_training_curves(records, title=(
    f"{record['label']} on {record['dataset']} ({record['budget']}), seed {record['seed']} "
    f"(one seed, so no band): train and test error after each epoch, from the record"))
for ax in fig.axes:  # one tick per epoch (also when a short budget trains a single epoch)
    ax.set_xticks(range(1, record["epochs_completed"] + 1))

# %% [markdown]
# ### The runner's model is an ordinary `keras.Model`
#
# The runner saved the trained network beside its record (`record["model_path"]`). Load it
# with plain Keras and it is a `keras.Model` like `small_cnn`: `evaluate` scores it (here on
# the first test images, loaded with the same preprocessing the runner used, as its
# fingerprint records it), and the record's per-image results on the same images say what it
# must give. `fit` trains it further: we compile it with an optimiser of our own, because the
# one saved with it carries the runner's schedule, which ended the run at the learning rate
# printed below. Only this copy in memory changes; the saved file stays as the runner wrote it.
# One thing plain Keras needs to know: `CNN-A2` contains a layer Keras lacks (local response
# normalisation, registered with `keras.saving.register_keras_serializable`), so
# `import course_lib.layers` must come before `load_model`.

# %%
import tensorflow as tf

from course_lib.analysis import decode_correct
from course_lib.data import load

if not record.get("model_path"):  # a shipped record has no saved model
    print("this record was read from the kit's shipped records, which hold no model file")
else:
    tf.get_logger().setLevel("ERROR")  # not TensorFlow's note that many models were traced
    import course_lib.layers  # noqa: F401  registers the kit's layers (CNN-A2 has LRN) for load_model
    runner_net = keras.models.load_model(record["model_path"])
    fp = record["fingerprint"]["settings"]
    n_check = min(1000, record["config"]["num_test"])
    same_data = load(fp["dataset"], batch_size=fp["batch_size"], train_limit=fp["train_limit"],
                     test_limit=n_check)
    scores = runner_net.evaluate(same_data.test, verbose=0, return_dict=True)
    recorded = (decode_correct(record["test_correct"])[:n_check].mean()
                if "test_correct" in record else float("nan"))  # records before v0.1 lack it
    print(f"{type(runner_net).__name__} {runner_net.name!r}: a keras.Model: "
          f"{isinstance(runner_net, keras.Model)}, input {runner_net.input_shape}, "
          f"{runner_net.count_params():,} parameters")
    print(f"evaluate on the first {n_check:,} test images: accuracy {scores['accuracy']:.4f}; "
          f"the record's per-image results on the same images: {recorded:.4f}")
    print(f"learning rate at the end of the runner's schedule: "
          f"{record['history'][-1]['learning_rate']:.3g}")
    runner_net.compile(optimizer=keras.optimizers.Adam(1e-4), metrics=["accuracy"],
                       loss=keras.losses.SparseCategoricalCrossentropy(
                           from_logits=record["config"]["loss_from_logits"]))
    more = runner_net.fit(same_data.train.take(4), epochs=1, verbose=0, shuffle=False)
    print(f"one more epoch of plain fit on {4 * fp['batch_size']} training images: "
          f"loss {more.history['loss'][0]:.3f}, accuracy {more.history['accuracy'][0]:.3f}")

# %% [markdown]
# ## 7. Where the results go
#
# Each finished run writes one JSON **record** to
# `results/<experiment>/<model>__<dataset>__<budget>.json`: the test error, the per-epoch
# history, the parameter count, the exact configuration, the hardware and library versions,
# and which source and table the run rebuilds.

# %%
print("record file:", os.path.relpath(record["_path"]))
summary = {key: record[key] for key in ("experiment", "model", "dataset", "budget",
                                        "test_error_pct", "epochs_completed", "wall_time_s")}
summary["params"] = record["params"]
pd.Series(summary, dtype=object)

# %%
pd.DataFrame(record["history"])

# %% [markdown]
# ### How far is this run from the source, and what did the source print?
#
# **Think first.** Seed 000 prints 10.37% test error for `CNN-A2` on CIFAR-10. Can the number
# above agree or disagree with it? List what differs between the two runs before reading the
# table.
#
# The table is built from the record and the experiment's definition, so it is true for
# whatever run produced it. What the source printed is on CIFAR-10 (its own dataset); ours, at
# `smoke` and `quick`, is on `fashion_mnist32`, a different and easier-looking but not
# comparable task. The only yardstick on the same data is Fashion-MNIST's own benchmark: in
# its README (<https://github.com/zalandoresearch/fashion-mnist>) a crowd of non-expert humans
# labels the test images with 83.5% accuracy, i.e. **16.5% error**; a CNN that does worse has
# not yet learned the task.
#
# One run gives one number, and two kinds of chance move it: which test images were drawn
# (the test set is a sample too), and which seed trained the network. The line below puts an
# interval on the first; only several seeds measure the second, which is why the runner trains
# several, and why a claim that one model beats another gets a verdict only from three seeds
# per model up (notebook 03, "How to compare two models").

# %%
# NBVAL_CHECK_OUTPUT
from course_lib import analysis

SOURCE_DATASET = exp.datasets[0]  # the source's own dataset (CIFAR-10)
printed = analysis.load_table("seed000_param_distribution")
printed = printed[(printed["model"] == "CNN-A2") & (printed["dataset"] == SOURCE_DATASET)].iloc[0]
source_epochs = exp.epochs
print(f"source: CNN-A2 on CIFAR-10, widths {printed['widths']}, {source_epochs} epochs, "
      f"test error printed {printed['test_error_pct']}%")

# %%
arch = record["architecture"]
comparison = pd.DataFrame({
    "source (seed 000, Table 1)": {
        "dataset": SOURCE_DATASET, "training images": 50_000, "width multiplier": 1.0,
        "epochs": source_epochs, "test images": 10_000,
        "test error (%)": float(printed["test_error_pct"])},
    "ours (this record)": {
        "dataset": record["dataset"], "training images": record["config"]["num_train"],
        "width multiplier": arch["width_multiplier"], "epochs": record["epochs_completed"],
        "test images": record["config"]["num_test"],
        "test error (%)": record["test_error_pct"]},
})
# the table must hold the record's own numbers (a self-check, not a comparison)
assert comparison.loc["test error (%)", "ours (this record)"] == record["test_error_pct"]
assert comparison.loc["epochs", "ours (this record)"] == len(record["history"])
from course_lib.data import FASHION_MNIST_HUMAN_ERROR as HUMAN_ERROR  # README: humans, 83.5%
same_setting = (record["dataset"] == SOURCE_DATASET and arch["width_multiplier"] == 1.0
                and record["epochs_completed"] >= source_epochs)
if same_setting:
    verdict = (f"same setting as the source: {record['test_error_pct']:.2f}% vs "
               f"{printed['test_error_pct']}% printed")
elif record["dataset"].startswith("fashion_mnist"):
    # one run: the only chance we can put a number on is which test images were drawn
    # (a binomial proportion, p(1 - p)/N); the spread between seeds needs several seeds
    n_test, error = record["config"]["num_test"], record["test_error_pct"]
    half = 196 * math.sqrt(error / 100 * (1 - error / 100) / n_test)  # 1.96 s.e., in points
    side = ("below" if error + half < HUMAN_ERROR else "above" if error - half > HUMAN_ERROR
            else "not distinguishable from")
    verdict = (f"different dataset: not comparable with the source's number. Against the human "
               f"line on Fashion-MNIST ({HUMAN_ERROR}% error): this one run scored {error:.2f}% "
               f"on {n_test:,} test images, {side} the line (95% interval from the test-set "
               f"sampling alone: {error - half:.1f}-{error + half:.1f}%; one seed, so the "
               "spread between seeds is not in it)")
else:
    verdict = "a reduced setting on the source's dataset: a first look, not a reproduction"
print("verdict:", verdict)
comparison
# %% [markdown]
# ## 8. Resuming (断点续训)
#
# Long runs get interrupted: a Colab session ends, a laptop sleeps, you press Ctrl-C. The
# runner saves a backup at the end of every epoch (its own callback, `ResumableBackup`, which
# works like Keras' `BackupAndRestore` but writes the weights and the epoch count so that a
# kill at any instant leaves them in step; in `results/<experiment>/<model>/backup/`) and
# deletes it when the run finishes. **To resume,
# run the same cell (or the same command) again**: a finished run is not trained again — its
# record is read back — and an interrupted one continues from its last completed epoch, with
# the same data order and augmentation as if it had never stopped. Running the cell again
# shows the first case:

# %%
again = run_experiment("param-distribution", models=["CNN-A2"], seeds=[exp.seed],
                       dataset=dataset, budget=BUDGET, results_dir=RESULTS_DIR)
print("same record:", again[0]["_path"] == record["_path"])

# %% [markdown]
# ## 9. The command line
#
# The same runner from a terminal (in the kit's folder, with `.venv/bin/python` or inside
# `make lab`'s environment):
#
# ```bash
# python -m course_lib list                                              # experiments and models
# python -m course_lib run param-distribution --models CNN-A2 --dataset fashion_mnist32 --budget quick
# python -m course_lib report param-distribution                         # ours vs the paper
# ```
#
# `list` from this notebook:

# %%
listing = subprocess.run([sys.executable, "-m", "course_lib", "list"], capture_output=True,
                         text=True, check=True)
print(listing.stdout)

# %% [markdown]
# ## Summary
#
# * `course_lib` does the work; notebooks explain and call it. Underneath it is plain Keras:
#   a functional model, `compile`, `fit` with callbacks, `evaluate` (section 5); the runner
#   adds seeds, the source's schedule, records, resumption, the saved model and the
#   comparison with the paper, and the model it saves is an ordinary `keras.Model`.
# * `COURSE_BUDGET` = `smoke` (tests) / `quick` (CPU) / `full` (GPU, the source's schedule).
# * Records land in `results/<experiment>/`; rerunning a cell resumes or reuses a run.
# * `python -m course_lib list | run | report` does the same from a shell.
# * A number from `smoke` or `quick` is read next to its setting: dataset, widths, epochs. On
#   `fashion_mnist32` it cannot agree or disagree with a CIFAR-10 number from a paper.
#
# ## 练习 (exercises, ungraded)
#
# Answers are at the end of the notebook; try first. The graded work is in `assignments/`.
#
# 1. Build `"VGG-D"` and `"VGG-D-CIFAR"` and compare their parameter counts. Where does the
#    difference come from?
#    *Hint:* `course_lib.analysis.layer_table(model)` has a `params` column; sort it.
# 2. Run the cell of section 6 again with `models=["CNN-A2", "CNN-A3"]` (keep
#    `seeds=[exp.seed]`). Which run is trained, which one is read back? What changes without
#    `seeds=...` at `quick`?
#    *Hint:* look for "already done" in the printed lines, and at the record files.
# 3. Start a `quick` run from a terminal, interrupt it with Ctrl-C after the first epoch,
#    and run the same command again. What does the runner print, and at which epoch does it
#    continue?
#    *Hint:* section 8; the backup lives in `results/<experiment>/<model>/backup/`.
# 4. Back to `small_cnn` (section 5). (a) Count its parameters by hand, layer by layer.
#    (b) Replace `Flatten` by `keras.layers.GlobalAveragePooling2D()`: how many parameters
#    are left, and which layer lost them? (c) Add `keras.callbacks.CSVLogger("fit_log.csv")`
#    to the callbacks, fit again and read the file with `pd.read_csv`: which columns does it
#    hold? (d) After `fit`, which epoch's weights does `evaluate` score?
#    *Hint:* `F·F·C·K + K` for a conv layer, `inputs·units + units` for `Dense`; after the
#    second pooling the map is 7x7x32. For (d), read `restore_best_weights` in the
#    `EarlyStopping` docstring (`help(keras.callbacks.EarlyStopping)`).
# 5. What fraction of the pixels of a `fashion_mnist32` image comes from the zero padding? What
#    does a 5x5 filter of `conv1` see at the image's corner?
#    *Hint:* 28² of the 32² pixels are real; the corner unit's receptive field is in
#    `course_lib.analysis.receptive_fields(model)`.
# 6. The verdict line of section 7 puts a 95% interval on one run's test error from the
#    test-set sampling alone, `error ± 1.96·sqrt(p(1 − p)/N)` with `p` the error as a fraction.
#    (a) For an error of 13% on N = 10,000 test images, how wide is it? (b) How many test
#    images would narrow it to ±0.3 points, and does Fashion-MNIST have them? (c) Why can
#    this interval not tell whether `CNN-A2` (the model, not this one run) beats the human
#    line?
#    *Hint:* `p = 0.13`; solve `1.96·sqrt(p(1 − p)/N) = 0.003` for `N`. For (c): what would a
#    second seed change, and which part of the interval would see it?
#
# ## Next
#
# Notebook 02 works through the CS231n arithmetic (output sizes, parameter counts, im2col,
# pooling gradients) that the graded assignment
# [`assignments/1-cnn-arithmetic`](../assignments/1-cnn-arithmetic/student/cnn-arithmetic.ipynb)
# asks you to implement in NumPy.
#
# <details>
# <summary><b>Answers</b> (ungraded; open after trying)</summary>
#
# 1. `VGG-D` (224x224, 1000 classes) has about 138M parameters, `VGG-D-CIFAR` far fewer: the
#    CIFAR version has 32x32 inputs (the last map is 1x1 instead of 7x7, so `fc1` shrinks by 49x),
#    narrower convs (widths x0.25) and a smaller FC head. In VGG-D, `fc1` alone
#    (7·7·512·4096 + 4096 ≈ 103M) holds three quarters of the parameters.
# 2. `CNN-A2` is read back ("already done"): a record with the same fingerprint exists.
#    `CNN-A3` is trained and gets its own record and `.keras` file. Without `seeds=...`, each
#    model gets the budget's seeds (`exp.seeds("quick")`, the "seeds" column of section 3):
#    every seed after the experiment's own is trained as well and filed as
#    `<model>__<dataset>__quick__seed<k>.json`, except the runs listed in the column "read
#    from shipped records", which are read from `course_lib/shipped_results/` (their records
#    carry `"shipped": true` and no model file).
# 3. The runner prints "resuming after epoch 1/N from .../backup/..." and continues with epoch 2;
#    the data order and augmentation are those of an uninterrupted run.
# 4. (a) `scale` 0; `conv1` `3·3·1·16 + 16 = 160`; `pool1` 0; `conv2` `3·3·16·32 + 32 =
#    4,640`; `flatten` 0; `classifier` `7·7·32·10 + 10 = 15,690`; total 20,490, as the check
#    cell prints. (b) Global average pooling hands the classifier 32 numbers instead of 1,568:
#    it keeps `32·10 + 10 = 330` parameters, the model 5,130; the classifier lost 15,360, so
#    three quarters of `small_cnn`'s parameters sat in its last layer. (c) `epoch, accuracy,
#    learning_rate, loss, val_accuracy, val_loss`: one row per epoch, what `history` holds.
#    `learning_rate` appears only when the `CSVLogger` comes after the `LearningRateScheduler`
#    in the list: callbacks run in list order, and the scheduler writes the rate into the
#    epoch's logs. (d) With `restore_best_weights=True`, `EarlyStopping` puts back the
#    weights of the epoch with the lowest validation loss at the end of training, whether it
#    stopped early or not (`early.best_epoch`, counted from 0); without it, `evaluate` scores
#    the last epoch's weights.
# 5. `1 - 28²/32² = 23.4%` of the pixels are padding. `conv1` of `CNN-A2` is 5x5 with padding 2,
#    so the corner unit sees rows and columns -2..2: two of them are the conv's own zero padding,
#    the other three are the loader's 2-pixel border and the first row/column of the item. After
#    mean subtraction the border is `-mean`, not 0, so the network can tell the two paddings
#    apart.
# 6. (a) `sqrt(0.13·0.87/10,000) = 0.0034`, so ±`1.96·0.34 = 0.66` points: 12.3–13.7%.
#    (b) `N = 1.96²·0.13·0.87/0.003² ≈ 48,300` test images. Fashion-MNIST has 10,000 (and
#    70,000 images in all), so no test set of this dataset pins one run's error to a few tenths
#    of a point. (c) The interval counts only the luck of which test images were drawn, for
#    this one trained network. Another seed trains another network (other initial weights,
#    another data order), with another error, and one run says nothing about how far apart
#    those errors lie. A statement about the model needs several seeds and both parts of the
#    variance: `course_lib.analysis.compare_models` adds the seeds' variance (a t-interval over
#    seeds) to the test-set part, and gives a verdict only from 3 seeds per model up
#    (`print(course_lib.analysis.method_paragraph())`).
#
# </details>
