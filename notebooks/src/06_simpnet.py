# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/06_simpnet.ipynb)
#
# # 06 — SimpNet: design principles as controlled experiments
#
# Source: seed 002, a Chinese translation of Hasanpour et al., "Towards Principled Design of
# Deep Convolutional Networks: Introducing SimpNet" (arXiv:1802.06205). The paper states
# design principles — expand width gradually from a minimum allocation, keep groups of layers
# homogeneous, keep locality (3x3), don't pool early, balance the widths, compare at equal
# capacity, drop out on every conv — tests each one with a family of small networks
# (Arch1..Arch5), and builds a 13-layer plain CNN from them: SimpNet. It also introduces
# **SAF-pooling**, max pooling immediately followed by dropout.
#
# The principle networks' widths are data (supplement tables S3–S8 in `C_x{y}` notation, in
# `course_lib.models.simpnet_archs`), every network is built by name from the zoo, and the
# paper's accuracies come from `PAPER_RESULTS`, each with its table. Our accuracies are
# measured here, at the chosen budget.
#
# ## 学习目标 (learning goals)
#
# 1. Turn each principle into a controlled experiment: two or more networks that differ in one
#    design choice at (nearly) equal parameter count — and check that count.
# 2. Read the supplement's `C_x{y}` width notation and rebuild a network from it.
# 3. Explain SAF-pooling and show its training vs inference behaviour on a small tensor.
# 4. Build SimpNet and its slim 300K/600K versions, count them against the printed sizes, and
#    run them through the experiment runner.
#
# **Key terms.** design principle 设计原则 · gradual expansion 渐进扩展 · minimum allocation
# 最小分配 · homogeneous groups 同质层组 · balanced distribution 均衡分布 · pooling position
# 池化位置 · strided convolution 跨步 (步长) 卷积 · max pooling 最大池化 · kernel size 卷积核大小 ·
# equal capacity 相同容量 · SAF-pooling (pooling followed by dropout) SAF 池化 ·
# dropout 随机失活 · batch normalization 批归一化 · global max pooling 全局最大池化 ·
# slim model 精简模型

# %%
import sys, subprocess, os
if "google.colab" in sys.modules:
    if not os.path.isdir("/content/cnn-course-kit"):
        subprocess.run(["git", "clone", "--depth", "1", "https://github.com/cnn-course-kit/cnn-course-kit", "/content/cnn-course-kit"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/cnn-course-kit"], check=True)
    sys.path.insert(0, "/content/cnn-course-kit"); os.chdir("/content/cnn-course-kit/notebooks")

# %%
# parameters
from course_lib.notebook import setup
BUDGET = setup(expected_version="0.1.0")

# %% [markdown]
# The budget picks what is trained. `smoke`: two principles (gradual expansion and strided
# conv vs max pool, three networks) and the slim 300K SimpNet, one epoch on 128 images of `fashion_mnist32` — this proves the
# pipeline runs; **its numbers are not evidence**. `quick`: every principle network (30 runs)
# and the three CIFAR-10 SimpNets for 3 epochs on 2,048 images (23 minutes for the whole
# notebook on an idle 2-core CPU when we measured it: from 15 s for a 15K Arch3 net to
# 2.3 minutes for a 10-layer Arch2 net, 2M after the budget's x0.5). `full`: the same on CIFAR-10 with the full schedule (a GPU job; CIFAR-10 is
# downloaded by tensorflow-datasets on first use).

# %%
dataset = "cifar10" if BUDGET == "full" else "fashion_mnist32"
# Each principle and the experiment runs (labels of "simpnet-principles") that test it.
PRINCIPLES = {
    "gradual expansion": ["Arch1-8L", "Arch1-9L", "Arch1-10L", "Arch1-13L"],
    "minimum allocation": ["Arch1-6L-1.1M", "Arch1-10L-570K"],
    "balanced widths": ["Arch2-10L-WideEnd", "Arch2-10L-Balanced", "Arch2-13L-WideEnd",
                        "Arch2-13L-Balanced"],
    "pooling position": ["Arch3-pool-L3", "Arch3-pool-L5", "Arch3-pool-L7"],
    "strided conv vs max pool": ["Arch1-13L", "Arch1-13L-strided"],
    "kernel size": ["Arch4-3x3-300K", "Arch4-7x7-300K-v1", "Arch4-7x7-300K-v2",
                    "Arch4-3x3-1.6M", "Arch4-5x5-1.6M", "Arch4-7x7-1.6M"],
    "kernel size by position": ["Arch5-1x1-L1-L3", "Arch5-2x2-L1-L3", "Arch5-1x1-L4-L8",
                                "Arch5-2x2-L4-L8", "Arch5-1x1-End", "Arch5-3x3-End",
                                "Arch5-2x2-End-11L", "Arch5-3x3-End-11L"],
    "SAF-pooling on/off": ["SimpNet-Slim-600K-SAF", "SimpNet-Slim-600K-noSAF"],
}
if BUDGET == "smoke":
    # Two principles that share a network (Arch1-13L), as the full set does, so that the smoke
    # run exercises every table and figure below in the shape the other budgets produce.
    TRAIN_PRINCIPLES = {"gradual expansion": ["Arch1-8L", "Arch1-13L"],
                        "strided conv vs max pool": ["Arch1-13L", "Arch1-13L-strided"]}
    SIMPNET_MODELS = ["SimpNet-Slim-300K"]
else:
    TRAIN_PRINCIPLES = PRINCIPLES
    SIMPNET_MODELS = ["SimpNet-Slim-300K", "SimpNet-Slim-600K", "SimpNet"]
RESULTS_DIR = os.path.join("..", "results")  # the kit's results/ folder (this notebook runs in notebooks/)
print(f"budget {BUDGET!r}: dataset {dataset!r}; training {sum(map(len, TRAIN_PRINCIPLES.values()))} "
      f"principle runs and {SIMPNET_MODELS}")

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from course_lib import analysis
from course_lib.layers import SAFPooling2D
from course_lib.models import build
from course_lib.models.simpnet import param_comparison
from course_lib.models.simpnet_archs import ARCHS, PAPER_RESULTS, format_widths, parse_widths, paper_results
from course_lib.train import get_experiment, report, run_experiment

sns.set_theme()
pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 70)
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 1. The principle networks as data
#
# The supplement writes a network's widths as `C_x{y}`: a conv with `x` feature maps, repeated
# `y` times. Every conv is 3x3 (unless the experiment changes kernels), followed by batch
# normalisation and ReLU; 2x2 max pools sit after the layers listed in table S9; the net ends
# in global max pooling and one FC layer. `parse_widths` expands the notation:

# %%
# NBVAL_CHECK_OUTPUT
spec = ARCHS["Arch1-13L"]
print("Arch1-13L as printed:", spec.widths)
print("expanded:", parse_widths(spec.widths))
print("pools after conv", spec.pool_after, "| kernels", spec.kernel_sizes())
print("and back:", format_widths(parse_widths(spec.widths)))

# %% [markdown]
# **Principle G, rapid prototyping at equal capacity**: a comparison means something only when
# the networks have the same number of parameters (or the difference is the point). Every
# group below is such a comparison. The cell builds every network of the experiment
# `simpnet-principles`, with the overrides of its run (`downsample="strided"`, `saf=...`),
# and puts the count next to the printed size and the paper's CIFAR-10 accuracy:

# %%
experiment = get_experiment("simpnet-principles")
arch_names = [name for name in ARCHS if ARCHS[name].family == "simpnet-principles"]
counted = param_comparison(arch_names).set_index("name")
rows = []
for principle, labels in PRINCIPLES.items():
    for label in labels:
        run = experiment.model(label)
        arch = ARCHS[run.name]
        params = (counted.loc[run.name, "params_computed"] if not run.kwargs
                  else build(run.name, **run.kwargs).count_params())
        paper = paper_results(zoo_name=run.name, table=arch.table) if not run.kwargs else []
        rows.append({
            "principle": principle,
            "model": label,
            "layers": len(arch.layer_widths())  # a strided step adds a conv layer per pool
                      + (len(arch.pool_after) if run.kwargs.get("downsample") == "strided" else 0),
            "printed": arch.params_printed,
            "computed": int(params),
            "computed / printed": round(params / arch.params_printed_value, 3),
            "paper acc %": paper[0].accuracy_printed if paper else np.nan,
        })
capacity = pd.DataFrame(rows)

# %%
# NBVAL_CHECK_OUTPUT
for principle, group in capacity.groupby("principle", sort=False):
    print(f"== {principle}")
    print(group.drop(columns="principle").to_string(index=False))

# %% [markdown]
# The printed sizes are rounded ("300K", "1.6M"); our counts (weights, biases and batch-norm
# statistics) are within 5% of them, most within 2%. Where the paper row has no zoo network
# the accuracy is empty:
#
# * **strided conv vs max pool** — the seed's Table 6 compares 360K SimpNets on CIFAR-100 and
#   ResNet-32 on CIFAR-10 without giving their widths. The course uses Arch1-13L with each
#   2x2 pool replaced by a 3x3 stride-2 conv (`downsample="strided"`); that adds two conv
#   layers and **18% more parameters**, so this comparison is *not* at equal capacity, and it
#   favours the strided network.
# * **SAF-pooling on/off** — the seed's table names "our slim architecture" without its size.
#   The course uses the slim 600K SimpNet, whose official configuration uses SAF-pooling,
#   with and without it: same parameters (dropout has none).
#
# The paper's rows for these two tables, as printed:

# %%
from course_lib.models.simpnet_archs import T_SAF, T_STRIDED

pd.DataFrame([{"table": r.table, "model": r.model, "dataset": r.dataset, "params": r.params_printed,
               "acc %": r.accuracy_printed, "note": r.note}
              for r in PAPER_RESULTS if r.table in (T_STRIDED, T_SAF)])

# %% [markdown]
# ### What each group tests
#
# * **Gradual expansion** (Table 2): 8, 9, 10, 13 layers at 300K. Deeper is not free at a fixed
#   budget — the paper's best is 10 layers (90.61%), 13 is worst (89.78%).
# * **Minimum allocation** (Table 3): 6 wide layers with 1.1M vs 10 thin layers with 570K; the
#   deeper, half-size net is as good (92.23 vs 92.18%): depth needs a minimum width, not more.
# * **Balanced widths** (Table 4): the same budget spread evenly vs piled onto the last layers.
# * **Pooling position** (Table 5): the first pool after conv3, conv5 or conv7 of a 53K net —
#   pooling later keeps more information (77.34 → 79.09 → 79.44%). Same parameters: pooling
#   has none, only the feature-map sizes (and the compute) change.
# * **Kernel size** (Tables 7 and 8): 3x3 vs 5x5 vs 7x7 at 300K and 1.6M; 1x1 vs 2x2 vs 3x3 in
#   early, middle and last layers at 128K.
#
# The pooling group shows why parameters alone don't describe a network: the three Arch3
# nets have identical weights but different feature maps.

# %%
# NBVAL_CHECK_OUTPUT
tables = {name: analysis.layer_table(build(name)) for name in PRINCIPLES["pooling position"]}
for name, table in tables.items():
    sides = [shape[0] for shape in table.loc[table["type"] == "Conv2D", "output_shape"]]
    print(f"{name}: {table['params'].sum():,} params, {table['macs'].sum() / 1e6:.1f}M MACs, "
          f"conv map sides {sides}")

# %% [markdown]
# ## 2. SAF-pooling (SAF 池化)
#
# SAF-pooling is max pooling immediately followed by dropout (principle I): pooling keeps the
# strongest response of each window, dropout then switches some of those strongest responses
# off, so the network must learn to recognise the class when its favourite features are
# missing (occlusion, viewpoint, lighting). In training each pooled value is zeroed with
# probability `rate` and the survivors are scaled by `1/(1 - rate)`; **at inference the layer
# is plain max pooling** (several public ports forget this and drop at test time too).
# `course_lib.layers.SAFPooling2D` on a 4x4 map, seeded so the masks are reproducible:

# %%
# NBVAL_CHECK_OUTPUT
x = np.array([[1, 5, 2, 0],
              [3, 4, 8, 6],
              [9, 2, 1, 1],
              [0, 7, 3, 4]], dtype="float32").reshape(1, 4, 4, 1)
saf = SAFPooling2D(pool_size=2, rate=0.5, seed=5)
maxpool = keras.layers.MaxPooling2D(pool_size=2)


def show(tensor):
    return keras.ops.convert_to_numpy(tensor)[0, :, :, 0].tolist()


print("input:               ", show(x))
print("max pooling:         ", show(maxpool(x)))
print("SAF, inference:      ", show(saf(x)))
print("SAF, training step 1:", show(saf(x, training=True)))
print("SAF, training step 2:", show(saf(x, training=True)))
print("same seed, new layer:", show(SAFPooling2D(pool_size=2, rate=0.5, seed=5)(x, training=True)))

# %% [markdown]
# At inference SAF-pooling equals max pooling. In training, a dropped window outputs 0 and a
# kept one twice its maximum (`1/(1 - 0.5)`), so the expected value is unchanged; each call
# draws a new mask (the layer's seed generator advances), and a new layer with the same seed
# repeats the sequence. The order matters: dropout *before* the pool (Wu et al.'s max-pooling
# dropout) would often let the second-strongest value of a window through; SAF removes the
# strongest outright. Over many values the drop rate is the `rate`:

# %%
# NBVAL_CHECK_OUTPUT
big = keras.random.uniform((4, 32, 32, 16), seed=1)
for rate in (0.1, 0.3, 0.5):
    out = keras.ops.convert_to_numpy(SAFPooling2D(rate=rate, seed=0)(big, training=True))
    ref = keras.ops.convert_to_numpy(maxpool(big))
    kept = out != 0
    print(f"rate {rate}: dropped {1 - kept.mean():.2f} of {out.size} pooled values, "
          f"kept values = max x {np.median(out[kept] / ref[kept]):.3f}")

# %% [markdown]
# In SimpNet the pools *are* SAF layers: the conv before a pool has no dropout of its own,
# the pool's dropout takes its place. The layer sequence of the 13-layer network:

# %%
# NBVAL_CHECK_OUTPUT
simpnet = build("SimpNet")
kinds = {"Conv2D": "conv", "SAFPooling2D": "SAF", "GlobalMaxPooling2D": "GMP", "Dense": "FC",
         "Dropout": "drop"}
sequence = [f"{kinds[type(l).__name__]}{'(' + str(l.rate) + ')' if hasattr(l, 'rate') else ''}"
            for l in simpnet.layers if type(l).__name__ in kinds]
print(" ".join(sequence))

# %% [markdown]
# ## 3. The principle experiments
#
# The experiment trains every network with the same recipe (principle G again: equal settings
# when comparing). The seed gives no optimiser; the experiment's notes say what the course
# uses:

# %%
print(experiment.source)
print(experiment.notes)

# %% [markdown]
# The runs of `TRAIN_PRINCIPLES` (two principles in `smoke`, all of them otherwise). The budget
# narrows the networks in `smoke` and `quick` (widths x0.25, x0.5; the records say so), which
# keeps each group's comparison at equal capacity. A finished run is read back, an
# interrupted one resumes from its last epoch: **to resume, run the cell again**.

# %%
labels = list(dict.fromkeys(label for group in TRAIN_PRINCIPLES.values() for label in group))
records = {r["label"]: r for r in run_experiment("simpnet-principles", models=labels,
                                                  dataset=dataset, budget=BUDGET,
                                                  results_dir=RESULTS_DIR)}

# %% [markdown]
# The experiment's report prints every record at this budget next to the paper's number for
# the same network (as an error, 100 − accuracy; `figures=True`, the default, also saves
# seaborn figures under `results/simpnet-principles/figures/`). The table below regroups ours
# by principle.

# %%
report("simpnet-principles", results_dir=RESULTS_DIR, dataset=dataset, budget=BUDGET, figures=False);

# %%
ours = pd.DataFrame([{
    "principle": principle,
    "model": label,
    "params (trained)": records[label]["params"]["total"],
    "narrowed by budget": records[label]["architecture"]["changed_by_budget"],
    "epochs": records[label]["epochs_completed"],
    "our acc %": round(100 - records[label]["test_error_pct"], 2),
} for principle, group in TRAIN_PRINCIPLES.items() for label in group])
ours = ours.merge(capacity[["model", "paper acc %"]].drop_duplicates("model"), on="model", how="left")
print(f"ours: {dataset}, budget {BUDGET!r}; paper: CIFAR-10")
ours

# %%
long = pd.concat([
    ours.assign(source=f"ours ({dataset}, {BUDGET})", accuracy=ours["our acc %"]),
    ours.assign(source="paper (CIFAR-10)", accuracy=ours["paper acc %"]),
], ignore_index=True)[["principle", "model", "source", "accuracy"]].dropna()
grid = sns.catplot(data=long, x="model", y="accuracy", hue="source", col="principle",
                   col_wrap=min(2, len(TRAIN_PRINCIPLES)), kind="bar", sharex=False, height=3.2,
                   aspect=1.6)
grid.set_titles("{col_name}")
for ax in grid.axes.flat:
    ax.tick_params(axis="x", rotation=30)
    ax.set_xlabel("")
grid.set_ylabels("test accuracy %")
plt.tight_layout()

# %% [markdown]
# Reading the results. **With `BUDGET = "smoke"` these numbers only prove that the pipeline
# runs** (one epoch on 128 images: every network is near chance). At `quick`, differences
# of a point or two between networks of one group are within run-to-run noise; the paper's
# own differences are often a few tenths of a point, one number per network with no error
# bars (Table 8: 88.16 vs 88.51). Three epochs on 2,048 images also favour networks that
# start learning fast: when we tried `quick` while writing this notebook (seed 0), the 53K
# Arch3-pool-L5 was at 74% error while the 2M (narrowed) Arch2-10L-Balanced and SimpNet were
# still near chance (87% and 88%). The datasets differ too: Fashion-MNIST is easier than
# CIFAR-10, and grey. What a `quick` run can show is the large effects among networks of one
# size — e.g. 7x7 kernels at 300K (paper: 86.09% vs 90.21% for 3x3), or early pooling in the
# tiny Arch3 nets; `full` is the paper's setting.
#
# ## 4. SimpNet and its slim versions
#
# SimpNet applies the principles: 13 layers of 3x3 conv + BN + ReLU in homogeneous groups,
# widths growing gradually (66 → 432), two SAF-pools (after conv5 and conv10, i.e. late),
# global max pooling, one FC. The seed prints its size but not its widths; those, and the
# slim versions' widths and dropout rates, come from the official Caffe models the seed
# links to (each architecture's `note` says so). Counted against the printed sizes:

# %%
# NBVAL_CHECK_OUTPUT
family = param_comparison(["SimpNet", "SimpNet-8.9M", "SimpNet-Slim-300K", "SimpNet-Slim-600K"])
family["widths"] = [ARCHS[n].widths for n in family["name"]]
family["rel_diff"] = family["rel_diff"].round(4)
print(family[["name", "widths", "params_printed", "params_computed", "params_trainable", "rel_diff"]]
      .to_string(index=False))

# %% [markdown]
# The slim 300K network is Arch1-13L: the gradual-expansion experiment's deepest net is the
# paper's small model. The paper's numbers for these networks (CIFAR-10 and CIFAR-100):

# %%
pd.DataFrame([{"table": r.table, "model": r.model, "params": r.params_printed,
               "dataset": r.dataset, "acc %": r.accuracy_printed, "printed": r.printed}
              for r in PAPER_RESULTS if r.zoo_name in SIMPNET_MODELS + ["SimpNet-8.9M"]])

# %% [markdown]
# The `simpnet` experiment trains them with the paper's augmentation (zero-pad + crop +
# mirror) and the course's recipe (SGD, cosine schedule; the seed prints no optimiser):

# %%
simpnet_records = run_experiment("simpnet", models=SIMPNET_MODELS, dataset=dataset,
                                 budget=BUDGET, results_dir=RESULTS_DIR)
pd.DataFrame([{
    "model": r["label"],
    "dataset": r["dataset"],
    "params (trained)": r["params"]["total"],
    "narrowed by budget": r["architecture"]["changed_by_budget"],
    "epochs": r["epochs_completed"],
    "augmentation": r["config"]["augmentation"],
    "test acc %": round(100 - r["test_error_pct"], 2),
} for r in simpnet_records])

# %% [markdown]
# Again: at `smoke` the accuracy says nothing about SimpNet; it shows that the model builds,
# trains, is scored and is filed under `results/simpnet/`. The paper's 95.49% on CIFAR-10
# took the 5.48M-parameter network and a full training schedule (`full`, on a GPU).
#
# ## Summary
#
# * Each SimpNet principle is a small controlled experiment: networks that differ in one
#   choice at equal capacity. Checking the capacity (our counts within 5% of the printed ones)
#   is part of the experiment — and shows where a comparison is not equal (strided conv).
# * SAF-pooling = max pooling then dropout: it drops the strongest responses in training and
#   is plain max pooling at inference.
# * SimpNet: 13 homogeneous 3x3 layers, late SAF-pools, global max pooling; the slim 300K
#   version is the gradual-expansion experiment's 13-layer net.
# * At `smoke` nothing here is evidence; `quick` shows large effects, `full` compares with the
#   paper.
#
# ## 练习 (exercises, ungraded)
#
# 1. Write a 10-layer network in `C_x{y}` notation with about 300K parameters whose widths
#    are *not* gradually expanding (e.g. wide first, thin last), build it with
#    `course_lib.models.simpnet.build_simpnet(widths=..., pool_positions=(4, 8))` and check its
#    count. Add it to a copy of the gradual-expansion group and train both at `quick`.
# 2. Make the strided-vs-pool comparison fair: narrow the strided Arch1-13L (`width_multiplier`)
#    until its parameter count matches the pooled one. Which width multiplier does it take?
# 3. Put the dropout *before* the max pool in the 4x4 example of section 2 (a
#    `keras.layers.Dropout(0.5, seed=5)` then `MaxPooling2D`). How often does a window output
#    its second-strongest value instead of 0?
# 4. At `quick`, train `SimpNet-Slim-600K` with SAF-pooling twice with different seeds
#    (`seed=1`). Is the SAF on/off difference larger than the seed-to-seed difference?
