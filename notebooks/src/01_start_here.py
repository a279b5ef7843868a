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
# 4. Run an experiment from a notebook and from the command line, find its result record, and
#    resume an interrupted run.
# 5. Find a model in the zoo and build it by name.
# 6. Read a quick result honestly: how far its setting is from the source's, and what it can
#    and cannot tell you.
#
# **Key terms.** compute budget 计算预算 · experiment 实验 · result record 结果记录 ·
# resume / checkpoint 断点续训 / 检查点 · model zoo 模型库 · feature map 特征图 ·
# test error 测试错误率 · command-line interface (CLI) 命令行接口

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
# **On your machine** (Linux or macOS, Python 3.10–3.12, `make`):
#
# ```bash
# make lab     # first time: creates .venv and installs everything, then opens JupyterLab on notebooks/
# make test    # runs the test suite and executes every notebook with the smoke budget (offline)
# ```
#
# Both are idempotent: once `.venv` exists they start at once.
#
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
# *default set*, e.g. the two extremes of a group), their epochs and training images, and
# **two seeds per model**, so that a difference between two models can be read against the
# difference between two runs of the same model. Name any other model with `models=[...]` and
# any seeds with `seeds=[...]`.

# %%
from course_lib.train import experiment_names, get_experiment

pd.DataFrame([{"experiment": name, "default models": ", ".join(e.default_models("quick")),
               "seeds": len(e.seeds("quick")), "epochs": e.budget("quick").epochs,
               "train images": e.budget("quick").train_limit,
               "width x": e.budget("quick").width_multiplier}
              for name in experiment_names() for e in [get_experiment(name)]]
             ).set_index("experiment")

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
# ## 5. Running an experiment
#
# Experiments are data (`course_lib.train.experiments`): which zoo models, which dataset, the
# optimiser and schedule of the source, and the source's table to compare with.
# `run_experiment` trains the models one after the other, each with the budget's seeds;
# `models=None` trains the budget's default set, `models=[...]` picks some models.
# Here is **one** model of seed 000's experiment, `CNN-A2`, at this notebook's budget, with
# **one seed** (the experiment's own, `seeds=[exp.seed]`) to keep this first run short (about
# 2-4 minutes at `quick` on a laptop CPU; `quick`'s default would train two seeds). Notebooks
# 02 and 03 ask for exactly this run and read it back instead of training it again.

# %%
from course_lib.train import run_experiment, verify_record

exp = get_experiment("param-distribution")
records = run_experiment("param-distribution", models=["CNN-A2"], seeds=[exp.seed],
                         dataset=dataset, budget=BUDGET, results_dir=RESULTS_DIR)
for r in records:  # one record here (one model, one seed); check every one
    verify_record(r)  # reloads the saved .keras, re-evaluates it, raises if the error differs
record = records[0]
assert len(records) == 1 and record["seed"] == exp.seed
print("the saved model reproduces the record's test error:", record["test_error_pct"], "%")

# %% [markdown]
# ## 6. Where the results go
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
HUMAN_ERROR = 16.5  # Fashion-MNIST README: crowd of non-expert humans, 83.5% accuracy
same_setting = (record["dataset"] == SOURCE_DATASET and arch["width_multiplier"] == 1.0
                and record["epochs_completed"] >= source_epochs)
if same_setting:
    verdict = (f"same setting as the source: {record['test_error_pct']:.2f}% vs "
               f"{printed['test_error_pct']}% printed")
elif record["dataset"].startswith("fashion_mnist"):
    verdict = (f"different dataset: not comparable with the source's number. Against the human "
               f"line on Fashion-MNIST ({HUMAN_ERROR}% error) this run is "
               + ("better" if record["test_error_pct"] < HUMAN_ERROR else "worse")
               + f" ({record['test_error_pct']:.1f}% on {record['config']['num_test']:,} test images)")
else:
    verdict = "a reduced setting on the source's dataset: a first look, not a reproduction"
print("verdict:", verdict)
comparison
# %% [markdown]
# ## 7. Resuming (断点续训)
#
# Long runs get interrupted: a Colab session ends, a laptop sleeps, you press Ctrl-C. The
# runner saves a backup at the end of every epoch (Keras' `BackupAndRestore`, in
# `results/<experiment>/<model>/backup/`) and deletes it when the run finishes. **To resume,
# run the same cell (or the same command) again**: a finished run is not trained again — its
# record is read back — and an interrupted one continues from its last completed epoch, with
# the same data order and augmentation as if it had never stopped. Running the cell again
# shows the first case:

# %%
again = run_experiment("param-distribution", models=["CNN-A2"], seeds=[exp.seed],
                       dataset=dataset, budget=BUDGET, results_dir=RESULTS_DIR)
print("same record:", again[0]["_path"] == record["_path"])

# %% [markdown]
# ## 8. The command line
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
# * `course_lib` does the work; notebooks explain and call it.
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
# 2. Run the cell of section 5 again with `models=["CNN-A2", "CNN-A3"]` (keep
#    `seeds=[exp.seed]`). Which run is trained, which one is read back? What changes without
#    `seeds=...` at `quick`?
#    *Hint:* look for "already done" in the printed lines, and at the record files.
# 3. Start a `quick` run from a terminal, interrupt it with Ctrl-C after the first epoch,
#    and run the same command again. What does the runner print, and at which epoch does it
#    continue?
#    *Hint:* section 7; the backup lives in `results/<experiment>/<model>/backup/`.
# 4. Load the model saved next to the record and evaluate it yourself on the test split.
#    *Hint:* `keras.models.load_model(record["model_path"])` (run from `notebooks/`), and
#    `course_lib.data.load("fashion_mnist32", test_limit=...)`; mind how many test images the
#    record used (`record["config"]["num_test"]`).
# 5. What fraction of the pixels of a `fashion_mnist32` image comes from the zero padding? What
#    does a 5x5 filter of `conv1` see at the image's corner?
#    *Hint:* 28² of the 32² pixels are real; the corner unit's receptive field is in
#    `course_lib.analysis.receptive_fields(model)`.
# 6. Rerun section 5 with `COURSE_BUDGET=quick` (set it before the setup cell with
#    `%env COURSE_BUDGET=quick`, then restart). Is the verdict better or worse than the human
#    line?
#    *Hint:* the verdict line prints it; note the run time in the record (`wall_time_s`).
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
#    `CNN-A3` is trained and gets its own record and `.keras` file. Without `seeds=...`,
#    `quick` trains the experiment's two seeds: seed 1 of each model is trained as well and
#    filed as `<model>__<dataset>__quick__seed1.json`.
# 3. The runner prints "resuming after epoch 1/N from .../backup/..." and continues with epoch 2;
#    the data order and augmentation are those of an uninterrupted run.
# 4. `model = keras.models.load_model(record["model_path"])`, then
#    `model.evaluate(load("fashion_mnist32", test_limit=record["config"]["num_test"]).test)`
#    (the loader's `test_limit` must select the same test images the runner used); the error is
#    `100 * (1 - accuracy)` and equals `record["test_error_pct"]`. `verify_record` does exactly
#    this.
# 5. `1 - 28²/32² = 23.4%` of the pixels are padding. `conv1` of `CNN-A2` is 5x5 with padding 2,
#    so the corner unit sees rows and columns -2..2: two of them are the conv's own zero padding,
#    the other three are the loader's 2-pixel border and the first row/column of the item. After
#    mean subtraction the border is `-mean`, not 0, so the network can tell the two paddings
#    apart.
# 6. It depends on the budget's definition at the time you run it: the verdict line compares
#    the record with 16.5% error; the record's `epochs_completed` and `config.num_train` say
#    how much training it got.
#
# </details>
