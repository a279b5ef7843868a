# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/06_simpnet.ipynb)
#
# # 06 — SimpNet: design principles as controlled experiments
#
# Source: seed 002, a Chinese translation of Hasanpour et al., ["Towards Principled Design of
# Deep Convolutional Networks: Introducing SimpNet"](https://arxiv.org/abs/1802.06205)
# (arXiv:1802.06205; official code: [github.com/Coderx7/SimpNet](https://github.com/Coderx7/SimpNet)).
# The paper states design principles — expand width gradually from a minimum allocation, build
# the network from groups of layers of the same kind, keep locality (3x3), don't pool early,
# use what runs fast (3x3), balance the widths, compare at equal capacity, drop out on every
# conv — tests most of them with a family of small networks
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
# 5. Time 3x3, 5x5 and 7x7 convolutions here (principle E) and explain why a comparison at
#    unequal capacity (the source's Tables 9 and 10) proves nothing.
# 6. Write a SimpNet block and a whole slim SimpNet in plain Keras, print each block's output
#    shape, and check the parameter count against the zoo.
# 7. Reuse a trained network in plain Keras: train from scratch, as a frozen feature extractor
#    with a new head (`trainable = False`), and by fine-tuning, and compare the three over
#    seeds with a verdict.
#
# **Key terms** (the seed's words first; aliases after). design principle 设计原则 ·
# gradual expansion from a minimum allocation 从最小分配逐渐扩展 · homogeneous groups of layers
# 同类层组 (alias 同质层组; the seed also says 同类型的组) · local correlation preservation
# 保留局部关联性 · maximum information utilization 最大化信息利用率 · maximum performance
# utilization 最大化性能利用率 · balanced distribution 均衡方案 (alias 均衡分布) · rapid
# prototyping 快速成型技术 · processing-level exhaustion / saturation 处理级枯竭 / 处理级饱和 ·
# pooling 池化 · strided convolution 跨距卷积 (alias 跨步卷积) · max pooling 最大池化 · kernel size
# 卷积核大小 · equal capacity 相同容量 (the seed: 网络整体的熵保持不变) · SAF-pooling (simple adaptive
# feature composition pooling) 简单的自适应特征组合池 (SAF-pooling) · dropout Dropout (alias 随机失活) ·
# dead ReLU 僵化的 ReLU · batch normalization 批归一化 · global max pooling 全局池化 (GP) ·
# slim model 精简版本 · pre-train 预训练 and pre-trained model 预训练模型 (seed 004) · feature
# extractor 特征抽取 (seed 004) · fine-tuning 微调 · transfer learning 迁移学习 (not a seed's term)

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
# The budget picks what is trained. `smoke` trains a few networks for one epoch on a few
# images: it proves that the pipeline runs, and **its numbers are not evidence**. `quick` trains
# each experiment's quick default set at reduced widths on `fashion_mnist32`, as the cell below
# says (generated from the experiments' definitions, with the runs it reads from the records
# the kit ships). `full` trains every principle network and every SimpNet on CIFAR-10 with the
# full schedule (a GPU job; CIFAR-10 is downloaded by tensorflow-datasets on first use). To add
# networks, name them in `PRINCIPLE_MODELS` below (e.g. `"Arch3-pool-L3", "Arch3-pool-L7"` for
# the pooling position); the experiment's notes in section 3 give the measured cost of a run.

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
    # Table 7's 3x3 net at 300K (Arch4-3x3-300K) is Arch1-8L, the same network: the notebook
    # reads it once, under Arch1-8L, and `full` trains both names.
    "kernel size at 300K": ["Arch1-8L", "Arch4-7x7-300K-v1", "Arch4-7x7-300K-v2"],
    "kernel size at 1.6M": ["Arch4-3x3-1.6M", "Arch4-5x5-1.6M", "Arch4-7x7-1.6M"],
    "kernel size by position": ["Arch5-1x1-L1-L3", "Arch5-2x2-L1-L3", "Arch5-1x1-L4-L8",
                                "Arch5-2x2-L4-L8", "Arch5-1x1-End", "Arch5-3x3-End",
                                "Arch5-2x2-End-11L", "Arch5-3x3-End-11L"],
    "SAF-pooling on/off": ["SimpNet-Slim-600K-SAF", "SimpNet-Slim-600K-noSAF"],
}
if BUDGET == "smoke":
    # Two principles that share a network (Arch1-13L), as the full set does, so that the smoke
    # run exercises every table and figure below in the shape the other budgets produce.
    PRINCIPLE_MODELS = ["Arch1-8L", "Arch1-13L", "Arch1-13L-strided"]
    SIMPNET_MODELS = ["SimpNet-Slim-300K"]
else:
    PRINCIPLE_MODELS = SIMPNET_MODELS = None  # None: the budget's default set
from course_lib.train import get_experiment as _get

_principles, _simpnet = _get("simpnet-principles"), _get("simpnet")
_trained = PRINCIPLE_MODELS or _principles.default_models(BUDGET)
# The principles of which at least two networks are trained, with those networks.
TRAIN_PRINCIPLES = {p: [m for m in group if m in _trained] for p, group in PRINCIPLES.items()
                    if sum(m in _trained for m in group) >= 2}
from course_lib.train.results import results_dir
# $COURSE_RESULTS_DIR if set, Google Drive on Colab once mounted, else the kit's results/
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))
# Section 4's SimpNets that are section 3's networks under another name: at `quick` the
# notebook reads those runs instead of training the same network twice (section 4 checks it).
STAND_IN_SOURCES = {"SimpNet-Slim-300K": "Arch1-13L", "SimpNet-Slim-600K": "SimpNet-Slim-600K-SAF"}
_simpnet_wanted = list(SIMPNET_MODELS or _simpnet.default_models(BUDGET))
STAND_INS = ({m: STAND_IN_SOURCES[m] for m in _simpnet_wanted
              if STAND_IN_SOURCES.get(m) in _trained
              and set(_simpnet.seeds(BUDGET)) <= set(_principles.seeds(BUDGET))}
             if BUDGET == "quick" else {})
print(f"budget {BUDGET!r}, dataset {dataset!r}; principles tested: {list(TRAIN_PRINCIPLES)}")

# %%
from IPython.display import Markdown, display

from course_lib.train import budget_plan

_plan = [budget_plan("simpnet-principles", BUDGET, dataset, models=PRINCIPLE_MODELS),
         budget_plan("simpnet", BUDGET, dataset, models=SIMPNET_MODELS)]
if STAND_INS:
    _plan.append("Of the `simpnet` runs, the notebook reads "
                 + ", ".join(f"{m} from section 3's {src}" for m, src in STAND_INS.items())
                 + " (the same network, recipe, data and seeds) instead of training them again.")
display(Markdown("\n\n".join(_plan)))

# %%
import dataclasses

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from course_lib import analysis
from course_lib.analysis import diagrams
from course_lib.layers import SAFPooling2D
from course_lib.models import build
from course_lib.models.simpnet import param_comparison
from course_lib.models import simpnet_archs
from course_lib.models.simpnet_archs import ARCHS, PAPER_RESULTS, format_widths, parse_widths, paper_results
from course_lib.train import get_experiment, report, run_experiment, verify_record
from course_lib.train.reporting import claimed_orderings, compare_ordering, records_frame, seed_summary

sns.set_theme()


def curves(records, **kwargs):
    """`analysis.figures.plot_training_curves`; short runs get a tick at every epoch (with one
    epoch the integer locator alone draws fractional ticks)."""
    fig = analysis.figures.plot_training_curves(records, **kwargs)
    last = max(h["epoch"] for r in records for h in r["history"])
    if last <= 12:
        for ax in fig.axes:
            ax.set_xticks(range(1, last + 1))
    return fig


pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 70)
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 0. The principles at a glance
#
# The seed's section 3 names ten principles (its headings in brackets): A gradual expansion
# from a minimum allocation (从最小分配逐渐扩展), B homogeneous groups of layers (同类层组), C local
# correlation preservation (保留局部关联性), D maximum information utilization (最大化信息利用率),
# E maximum performance utilization (最大化性能利用率), F balanced distribution (均衡方案), G rapid
# prototyping at equal capacity (快速成型技术), H dropout (利用Dropout), I SAF-pooling (简单的自适应
# 特征组合池), J final regulation (最终的方案). The chart puts next to each principle the
# accuracy gaps the source prints between a network that follows it and one that breaks it
# (looked up in `PAPER_RESULTS`; every bar is one run per network, no error bars):
#
# **Think first.** Which of the principles can a single accuracy table test at all, and which
# are advice about how to run experiments?

# %%
gaps = diagrams.principle_gaps()
diagrams.plot_principles(gaps)
plt.show()

# %% [markdown]
# Five principles have no printed accuracy comparison: B (stated, never isolated by an
# experiment in the seed), E (a speed claim: section 5 times it here), G and J (advice on how
# to experiment) and H (argued with figures 2–5, no table; section 6). The largest printed
# gaps are those of kernel size at a small budget (C) and of early pooling and balance in tiny
# networks (D, F); several others are a few tenths of a point from one run each.
#
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
#   ResNet-32 on CIFAR-10, at equal parameters, without giving their widths. The course's
#   stand-in is Arch1-13L with each 2x2 pool replaced by a 3x3 stride-2 conv
#   (`downsample="strided"`): two more conv layers (17.6% more parameters at equal widths),
#   so every width of the strided net is narrowed by x0.92 to compare at equal parameters, as
#   the source does (the cell below prints the ratio of the two counts). The two nets still
#   differ in depth (15 vs 13 layers), as in the source's table.
# * **SAF-pooling on/off** — the seed's table names "our slim architecture" without its size.
#   The course uses the slim 600K SimpNet, whose official configuration uses SAF-pooling,
#   with and without it: same parameters (dropout has none).
#
# %%
# NBVAL_CHECK_OUTPUT
pair = capacity.drop_duplicates("model").set_index("model")["computed"]
print(f"strided / pooled Arch1-13L parameters: {pair['Arch1-13L-strided']:,} / {pair['Arch1-13L']:,}"
      f" = {pair['Arch1-13L-strided'] / pair['Arch1-13L']:.3f}")

# %% [markdown]
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
# **Think first.** The three Arch3 nets below have exactly the same weights. What, then, can
# make one of them better than another? The pooling group shows why parameters alone don't
# describe a network: identical weights, different feature maps.

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
# The runs of `TRAIN_PRINCIPLES`, each network with the budget's seeds, as the plan at the top
# says (a record of a seed other than the experiment's own ends in `__seed<S>.json`). The
# budget narrows the networks in `smoke` and `quick` (the records say so), which keeps each
# group's comparison at equal capacity. A finished run is read back, an interrupted one
# resumes from its last epoch: **to resume, run the cell again**. Runs that the budget lists
# as shipped are read from the kit's records (`record["shipped"]`), not trained. The curves are
# drawn after training, from the records (`live=True` draws them while a run trains).

# %%
records = run_experiment("simpnet-principles", models=PRINCIPLE_MODELS, dataset=dataset,
                         budget=BUDGET, results_dir=RESULTS_DIR, live=False)


def seed_of(record):
    return record.get("seed", record["config"]["settings"].get("seed"))


def origin(record):
    return "shipped" if record.get("shipped") else "trained here"


by_run = {(r["label"], seed_of(r)): r for r in records}  # one record per (network, seed)
assert len(by_run) == len(records)
for how in ("trained here", "shipped"):
    runs = sorted(f"{r['label']}/seed {seed_of(r)}" for r in records if origin(r) == how)
    print(f"{how}: {len(runs)} run(s)" + (f": {', '.join(runs)}" if runs else ""))

# %%
for principle, group in TRAIN_PRINCIPLES.items():
    curves(records, models=group)
    plt.show()

# %% [markdown]
# Self-check: `verify_record` reloads each saved `.keras` model, scores it again on the same
# test images and raises if the error differs from the record's (a shipped record has no saved
# model: the kit checked its fingerprint against the experiment's definition instead). Then the
# distance from the source's setting (CIFAR-10, 50,000 images, the printed widths, a full
# training in Caffe):

# %%
def setting_gap(record, experiment):
    """One line: what this record trained vs the source's setting."""
    arch = record["architecture"]
    return (f"{record['label']}: {record['dataset']} ({record['config']['num_train']:,} train / "
            f"{record['config']['num_test']:,} test images), {record['epochs_completed']} epochs "
            f"(the course's full schedule: {experiment.epochs}), widths x{arch['width_multiplier']:g}"
            + (" (narrowed by the budget)" if arch["changed_by_budget"] else ""))


for r in records:
    if not r.get("shipped"):
        verify_record(r)
    print(f"seed {seed_of(r)} ({origin(r)}):", setting_gap(r, experiment))

# %% [markdown]
# The experiment's report prints every record at this budget next to the paper's number for
# the same network (as an error, 100 − accuracy; `figures=True`, the default, also saves
# seaborn figures under `results/simpnet-principles/figures/`). It reads the records in your
# results folder and adds the kit's shipped records of the runs the folder does not hold (its
# `origin` column says which). The table below regroups ours by principle, one row per run
# (network and seed).

# %%
report("simpnet-principles", results_dir=RESULTS_DIR, dataset=dataset, budget=BUDGET, figures=False);

# %%
ours = pd.DataFrame([{
    "principle": principle,
    "model": label,
    "seed": seed,
    "origin": origin(r),
    "params (trained)": r["params"]["total"],
    "narrowed by budget": r["architecture"]["changed_by_budget"],
    "epochs": r["epochs_completed"],
    "our acc %": round(100 - r["test_error_pct"], 2),
} for principle, group in TRAIN_PRINCIPLES.items() for label in group
    for (run_label, seed), r in by_run.items() if run_label == label])
ours = ours.merge(capacity[["model", "paper acc %"]].drop_duplicates("model"), on="model", how="left")
# The SAF table's "slim architecture" has no printed size, hence no zoo network above; the
# course's stand-in for it is the slim 600K SimpNet, so its two rows are set beside ours here.
SAF_ROWS = {"SimpNet-Slim-600K-SAF": "SimpNet (slim) with SAF-pooling",
            "SimpNet-Slim-600K-noSAF": "SimpNet (slim) without SAF-pooling"}
saf_paper = {label: r.accuracy_printed for r in PAPER_RESULTS if r.table == simpnet_archs.T_SAF
             for label, row in SAF_ROWS.items() if r.model == row}
ours["paper acc %"] = ours["paper acc %"].fillna(ours["model"].map(saf_paper))
print(f"ours: {dataset}, budget {BUDGET!r}; paper: CIFAR-10")
ours

# %%
# Self-check: the table holds the numbers the records hold.
assert ours["our acc %"].tolist() == [round(100 - by_run[(m, s)]["test_error_pct"], 2)
                                      for m, s in zip(ours["model"], ours["seed"])]

# %% [markdown]
# The figure puts each group's networks side by side: the mean test error over seeds with its
# 95% t-interval (no interval with one seed). The differences the principles predict are a
# point or less, so the y-axis does not start at zero: each panel states its range (a 0–100
# axis would hide them). The paper's CIFAR-10 accuracy is under each name (one run each, no
# interval; another dataset, so it is not drawn on our axis).

# %%
runs = ours.assign(**{"test error %": 100 - ours["our acc %"]})
columns = min(2, len(TRAIN_PRINCIPLES))
rows = -(-len(TRAIN_PRINCIPLES) // columns)
fig, axes = plt.subplots(rows, columns, figsize=(6.8 * columns, 4.4 * rows), squeeze=False)
for ax, (principle, group) in zip(axes.flat, runs.groupby("principle", sort=False)):
    order = list(dict.fromkeys(group["model"]))
    group = group.assign(position=group["model"].map(order.index))
    analysis.figures.plot_error_lines(group, x="position", y="test error %", ax=ax,
                                      title=f"{principle} ({dataset}, {BUDGET})")
    ax.set_xlabel("")
    paper = group.drop_duplicates("model").set_index("model")["paper acc %"]
    ax.set_xticks(range(len(order)), [f"{m}\n(paper: {paper[m]:.2f}% acc.)" if pd.notna(paper[m])
                                      else m for m in order], fontsize=8)
    ax.set_xlim(-0.5, len(order) - 0.5)
for ax in axes.flat[len(TRAIN_PRINCIPLES):]:
    ax.set_visible(False)
fig.tight_layout()
plt.show()

# %% [markdown]
# Reading the results. **With `BUDGET = "smoke"` these numbers only prove that the pipeline
# runs** (one epoch on a few images: every network is near chance). At `quick` the setting
# lines above say how far each run is from the source's. The paper's own differences are often
# a few tenths of a point, one number per network with no error bars (Table 8: 88.16 vs
# 88.51). The first cell below compares each group's winner on the means alone; the second
# judges each ordering the source claims among the networks trained here with the kit's
# verdict: the difference in mean error with a 95% interval that counts both the seeds and
# the sampling of the test images, read as **supports**, **contradicts** or **inconclusive**,
# and always "inconclusive (too few seeds)" with fewer than 3 seeds per network. A short
# training also favours networks that start learning fast, and Fashion-MNIST is easier than
# CIFAR-10, and grey. What a `quick` run can hope to show is a large effect among networks of
# one size — e.g. 7x7 kernels at 300K (paper: 86.09% vs 90.21% for 3x3); `full` is the
# paper's setting.

# %%
for principle, group in ours.groupby("principle", sort=False):
    g = group.dropna(subset=["paper acc %"]).groupby("model", sort=False)[
        ["paper acc %", "our acc %"]].mean()  # the mean over seeds
    if len(g) < 2:
        print(f"{principle}: fewer than two networks with a paper number, no ordering to compare")
        continue
    best_paper, best_ours = g["paper acc %"].idxmax(), g["our acc %"].idxmax()
    print(f"{principle}: paper's best {best_paper}, ours {best_ours} (mean over seeds, no "
          f"interval) -> {'same' if best_paper == best_ours else 'different'} winner")

# %%
display(Markdown(analysis.method_paragraph()))

# %%
summary = seed_summary(records_frame(records))
assert summary["seeds"].sum() == len(records)
print(summary[["label", "seeds", "test mean %", "test std %", "test min %", "test max %"]]
      .to_string(index=False, float_format=lambda v: f"{v:.2f}"))
by_label = summary.set_index("label")
verdicts = []  # every ordering the source claims whose two networks were trained (or read)
for claim, lower, higher, split in claimed_orderings("simpnet-principles"):
    if lower in by_label.index and higher in by_label.index:
        verdict = compare_ordering(by_label.loc[lower], by_label.loc[higher], split)
        verdicts.append(dataclasses.replace(verdict["result"], claim=claim.split(" (")[0]))
        print(f"\n{claim}:\n  {verdict['verdict']}")
if verdicts:
    analysis.figures.plot_verdicts(verdicts, title=f"the source's orderings on our runs "
                                                   f"({dataset}, {BUDGET})")
    plt.show()
else:
    print("None of the source's claimed orderings has both its networks among these runs.")

# %% [markdown]
# Reading the SAF-pooling verdict. SAF-pooling is max pooling followed by dropout: a
# regulariser, whose price (a noisier signal while training) is paid from the first step and
# whose benefit (less overfitting) shows only when a network trains long enough to overfit. A
# short run can therefore find the pooling with dropout *worse* without contradicting the
# paper's result after a full training (94.76% vs 94.68% on CIFAR-10, a gap of 0.08 points,
# one run each). The cell prints what this notebook measured for the pair: the verdict, and
# each network's training error in its last epoch next to its test error. A network whose
# test error is not above its training error is not overfitting yet, so a regulariser has
# nothing to cure. (The training error is the running error of the last epoch, with dropout
# on: for the SAF network it includes the noise that SAF-pooling adds.)

# %%
SAF_PAIR = ("SimpNet-Slim-600K-SAF", "SimpNet-Slim-600K-noSAF")
saf_verdict = None
if all(m in by_label.index for m in SAF_PAIR):
    saf_verdict = compare_ordering(by_label.loc[SAF_PAIR[0]], by_label.loc[SAF_PAIR[1]])
    for m in SAF_PAIR:
        row = by_label.loc[m]
        print(f"{m}: test error {row['test mean %']:.2f}%, training error in the last epoch "
              f"{row['train mean %']:.2f}% (mean of {row['seeds']} seed(s)); test minus "
              f"training: {row['test mean %'] - row['train mean %']:+.2f} points")
    print(f"SAF-pooling helps (lower test error with it): {saf_verdict['verdict']}")
else:
    print(f"The SAF pair {SAF_PAIR} is not among the networks trained at this budget.")

# %% [markdown]
# ## 4. SimpNet and its slim versions
#
# SimpNet applies the principles: 13 layers of 3x3 conv + BN + ReLU in groups of the same kind
# (同类层组),
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
# ### Write it yourself: a SimpNet block in plain Keras
#
# The zoo's `build` hides nothing you cannot write in a dozen lines. A SimpNet **block** is a
# 3x3 convolution, batch normalisation and ReLU; after some blocks a 2x2 max pool; and dropout,
# which after a pool makes it SAF-pooling (max pooling, then dropout — section 2). The whole
# network is a list of blocks, then global max pooling, dropout and one fully connected layer,
# as d2l writes `vgg_block` and an architecture tuple for VGG. `SLIM_600K` below is the slim
# 600K configuration, block by block: (filters, dropout rate, pool after it?). Run a zero
# image through it and print what each block makes of its shape:

# %%
def simpnet_block(filters, *, dropout=0.0, pool=False, name=None):
    """conv 3x3 -> batch norm -> ReLU, then 2x2 max pooling if `pool`, then dropout if `dropout`.

    With `pool=True` and a dropout rate, the last two layers are SAF-pooling (max pooling, then
    dropout); the kit's settings: Caffe's xavier filler (lecun_uniform), batch-norm momentum
    0.95 and epsilon 1e-5, conv biases kept.
    """
    layers = [keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer="lecun_uniform"),
              keras.layers.BatchNormalization(momentum=0.95, epsilon=1e-5),
              keras.layers.ReLU()]
    if pool:
        layers.append(keras.layers.MaxPooling2D(2))
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers, name=name)


def make_simpnet(arch, head_dropout, num_classes=10, input_shape=(32, 32, 3)):
    """One block per (filters, dropout, pool) of `arch`, global max pooling, dropout, one FC."""
    blocks = [simpnet_block(f, dropout=d, pool=p, name=f"block{i}")
              for i, (f, d, p) in enumerate(arch, start=1)]
    return keras.Sequential([keras.Input(input_shape), *blocks,
                             keras.layers.GlobalMaxPooling2D(name="gmp"),
                             keras.layers.Dropout(head_dropout, name="head_drop"),
                             keras.layers.Dense(num_classes, activation="softmax", name="fc")],
                            name="my_simpnet")


# SimpNet-Slim-600K, "C40, C60{3}, C72, C73{3}, C75, C81, C82, C90, C120", pools after conv5
# and conv10 (SAF: pool + dropout); dropout 0.1 for convs 1-9 (the first pool's included) and
# 0.2 from conv10 on (the second pool's, and the head's). The conv before a pool has no
# dropout of its own (the pool's takes its place), nor has the last conv (the dropout after
# global max pooling does).
SLIM_600K = (
    (40, 0.1, False), (60, 0.1, False), (60, 0.1, False), (60, 0.1, False), (72, 0.1, True),
    (73, 0.1, False), (73, 0.1, False), (73, 0.1, False), (75, 0.1, False), (81, 0.2, True),
    (82, 0.2, False), (90, 0.2, False), (120, 0.0, False),
)
my_slim = make_simpnet(SLIM_600K, head_dropout=0.2)
probe = keras.ops.zeros((1, 32, 32, 3))
for layer in my_slim.layers:
    probe = layer(probe)
    inside = " ".join(type(l).__name__ for l in getattr(layer, "layers", [layer]))
    print(f"{layer.name:9s} {inside:58s} -> {tuple(probe.shape)}")

# %% [markdown]
# The check: the same widths and pool positions as the kit's `C_x{y}` data, the same dropout
# rates in the same order (the kit's SAF-pooling layer has a `rate` too), and exactly the
# parameter count of `build("SimpNet-Slim-600K")`. `my_slim` is an ordinary `keras.Model`:
# `my_slim.compile(...)` and `my_slim.fit(...)` train it like any other (exercise 7).

# %%
# NBVAL_CHECK_OUTPUT
slim_spec = ARCHS["SimpNet-Slim-600K"]
print("widths as in the kit:", [f for f, _, _ in SLIM_600K] == parse_widths(slim_spec.widths),
      "| pools after the same convs:",
      [i for i, (_, _, p) in enumerate(SLIM_600K, start=1) if p] == list(slim_spec.pool_after))
zoo = build("SimpNet-Slim-600K")
print(f"parameters: ours {my_slim.count_params():,}, build('SimpNet-Slim-600K') {zoo.count_params():,}")


def rates(model):
    """The dropout rates of every layer that has one (SAFPooling2D included), in order."""
    return [r for l in model.layers
            for r in (rates(l) if hasattr(l, "layers") else [getattr(l, "rate", None)])
            if r is not None]


print("dropout rates, in order:", rates(my_slim))
assert my_slim.count_params() == zoo.count_params() and rates(my_slim) == rates(zoo)

# %% [markdown]
# The slim 300K network is Arch1-13L: the gradual-expansion experiment's deepest net is the
# paper's small model, the same widths and pools. **The source prints two different results
# for that one network on CIFAR-10: 89.78% in Table 2 (gradual expansion) and 93.25% in the
# slim-model table.** The seed does not say what differs between the two runs (the principle
# experiments ran without dropout and, presumably, with a different training recipe); a 3.5
# point difference for one architecture is a reminder of how much the recipe weighs against
# the architectural differences of a few tenths that the principle tables compare.

# %%
# NBVAL_CHECK_OUTPUT
same = ARCHS["Arch1-13L"]
slim = ARCHS["SimpNet-Slim-300K"]
print("same widths:", same.widths == slim.widths, "| same pools:", same.pool_after == slim.pool_after)
table2_row = paper_results(zoo_name="Arch1-13L")[0]
for row in [table2_row] + paper_results(zoo_name="SimpNet-Slim-300K", dataset=table2_row.dataset):
    print(f"  {row.accuracy_printed:.2f}%  {row.table}")

# %% [markdown]
# The paper's numbers for the SimpNet models (CIFAR-10 and CIFAR-100), with the `augmentation`
# each row states (`None`: not stated). For the 5.48M network Table 12 prints "95.49/95.56";
# the text under it gives 95.26% without augmentation and 95.56% with it. Those two are numbers
# of the **5.48M network**, not of the slim ones: the slim models' own numbers are the
# slim-model table's (second Table 14), which does not say whether they were trained with
# augmentation. So no printed number matches a slim model trained without augmentation, as at
# `quick`: the nearest are the slim table's, and the 5.48M pair says only how much
# augmentation was worth to the big network. The cell after the table reads all of this from
# the kit's copy of the tables (`course_lib/tables/seed002_paper_results.csv`):

# %%
simpnet_paper = pd.DataFrame([
    {"table": r.table, "model": r.model, "zoo name": r.zoo_name, "params": r.params_printed,
     "dataset": r.dataset, "acc %": r.accuracy_printed, "augmentation": r.augmentation,
     "printed": r.printed}
    for r in PAPER_RESULTS if r.zoo_name in (SIMPNET_MODELS or _simpnet.default_models(BUDGET))
    + ["SimpNet", "SimpNet-8.9M", "SimpNet-Slim-300K", "SimpNet-Slim-600K"]])
simpnet_paper

# %%
cifar = table2_row.dataset  # CIFAR-10, the dataset of the principle tables
big = {r.augmentation: r.accuracy_printed for r in paper_results(zoo_name="SimpNet", dataset=cifar)
       if r.augmentation is not None}
print(f"SimpNet (5.48M) on CIFAR-10: {big[False]:.2f}% without augmentation, {big[True]:.2f}% "
      f"with it ({big[True] - big[False]:+.2f} points)")
for name in ("SimpNet-Slim-300K", "SimpNet-Slim-600K"):
    for r in paper_results(zoo_name=name, dataset=cifar):
        stated = {None: "augmentation not stated", True: "with augmentation",
                  False: "without augmentation"}[r.augmentation]
        print(f"{name}: {r.accuracy_printed:.2f}% ({r.table}; {stated}) <- the number to set "
              f"beside a slim model")

# %% [markdown]
# The `simpnet` experiment trains them with the course's recipe (SGD, cosine schedule; the
# seed prints no optimiser) and, except at `quick`, the paper's augmentation (zero-pad + crop
# + mirror). At `quick` a SimpNet can be a network that section 3 already trained with the
# same recipe, data and seeds (`STAND_INS`, named in the plan at the top): the slim 600K model
# is the SAF-pooling network of the pair, and SimpNet-Slim-300K, if you add it, is Arch1-13L
# when section 3 trains it. The notebook reads those records instead of training the same
# networks twice, after checking that every training setting agrees and that the saved
# networks are layer for layer the ones the `simpnet` experiment would build:

# %%
# STAND_INS (the first cells): the networks of section 3 that stand in for SimpNets (quick only)
simpnet_experiment = get_experiment("simpnet")
wanted = list(SIMPNET_MODELS or simpnet_experiment.default_models(BUDGET))


def layer_signature(model):
    """(class, output shape, parameters) of every layer: the network without its names."""
    return [(type(layer).__name__, tuple(layer.output.shape), layer.count_params())
            for layer in model.layers]


def borrowed(label, seed):
    """The section-3 record that stands in for `label` and `seed`, checked, relabelled."""
    from course_lib.train.config import resolve

    source = by_run[(STAND_INS[label], seed)]
    ours = resolve(simpnet_experiment, label, dataset=dataset, budget=BUDGET, seed=seed).to_dict()
    theirs = source["config"]["settings"]
    differ = {k for k in ours if k not in ("experiment", "model", "label", "overrides")
              and ours[k] != theirs[k]}
    assert not differ, f"{label} vs {source['label']}: settings differ in {sorted(differ)}"
    if "model_path" in source:  # a shipped record has no saved model, only its fingerprint
        fresh = build(label, width_multiplier=source["architecture"]["width_multiplier"],
                      **ours["overrides"])
        saved = keras.models.load_model(source["model_path"])
        assert layer_signature(fresh) == layer_signature(saved), f"{label} is not {source['label']}"
    return {**source, "label": label, "trained_as": f"{source['experiment']}/{source['label']}"}


simpnet_records = [borrowed(m, s) for m in wanted if m in STAND_INS
                   for s in simpnet_experiment.seeds(BUDGET)]
trained = [m for m in wanted if m not in STAND_INS]
if trained:
    simpnet_records += run_experiment("simpnet", models=trained, dataset=dataset,
                                      budget=BUDGET, results_dir=RESULTS_DIR, live=False)
for r in simpnet_records:
    if not r.get("shipped"):
        verify_record(r)
    print(f"seed {seed_of(r)} ({origin(r)}):", setting_gap(r, get_experiment("simpnet")))
simpnet_table = pd.DataFrame([{
    "model": r["label"],
    "trained as": r.get("trained_as", "simpnet/" + r["label"]),
    "seed": seed_of(r),
    "origin": origin(r),
    "dataset": r["dataset"],
    "params (trained)": r["params"]["total"],
    "narrowed by budget": r["architecture"]["changed_by_budget"],
    "epochs": r["epochs_completed"],
    "augmentation": r["config"]["augmentation"],
    "test acc %": round(100 - r["test_error_pct"], 2),
} for r in simpnet_records])
assert simpnet_table["test acc %"].tolist() == [round(100 - r["test_error_pct"], 2) for r in simpnet_records]
simpnet_table

# %%
simpnet_summary = seed_summary(records_frame(simpnet_records))
assert simpnet_summary["seeds"].sum() == len(simpnet_records)
print(simpnet_summary[["label", "seeds", "test mean %", "test std %", "test min %", "test max %"]]
      .to_string(index=False, float_format=lambda v: f"{v:.2f}"))
# the curves of the runs this section trained (a stand-in's are drawn in section 3)
own = [r for r in simpnet_records if "trained_as" not in r]
if own:
    curves(own)
    plt.show()

# %% [markdown]
# Again: at `smoke` the accuracy says nothing about SimpNet; it shows that the model builds,
# trains, is scored and is filed under `results/simpnet/`. At `quick` the setting lines above
# say what the slim models were trained with (narrower, shorter, on Fashion-MNIST): the mean
# and spread are about that setting only. The paper's 95.56% on CIFAR-10 (with augmentation)
# took the 5.48M-parameter network and a full training schedule (`full`, on a GPU).
#
# The source's comparison tables, as printed (source numbers; accuracies for CIFAR, errors for
# MNIST and SVHN; the translation numbers two tables "14", named here by content). SVHN: the
# source used only the 73,257-image training set, no extra data (section 5.C.3).

# %%
comparison = pd.DataFrame([{
    "table": r.table, "dataset": r.dataset, "model": r.model, "params": r.params_printed,
    "accuracy %": r.accuracy_printed, "error %": r.error_printed, "printed": r.printed,
} for r in PAPER_RESULTS if r.table in (simpnet_archs.T_CIFAR, simpnet_archs.T_MNIST,
                                         simpnet_archs.T_SVHN, simpnet_archs.T_SLIM)])
for table, rows in comparison.groupby("table", sort=False):
    print(f"== {table}")
    print(rows.drop(columns="table").to_string(index=False))

# %% [markdown]
# **Think first.** Table 12 puts SimpNet (5.48M, 95.56%) next to DenseNet (27.2M, 96.26%)
# and WRN-28/10 (36M, 95.83%). What does "better" mean in such a table, and what would you
# need to know about each row (augmentation, training length, how many runs) to rank them?
#
# ## 5. Principle E: does 3x3 run faster here? (最大化性能利用率)
#
# The source's Table S1 times three 8-layer Arch4 nets of the same size (1.6M) and depth with
# 3x3, 5x5 and 7x7 kernels (Caffe, cuDNN v6, a GPU): 41.32, 45.29 and 64.52 minutes of
# training, and 92.14, 90.99, 89.22% accuracy. Its Table 1 (a cuDNN release chart) is about
# library versions, not kernel sizes. We time the same three networks from the zoo here, a few
# training steps each on this machine's device. **Think first:** at equal parameters, a 7x7
# layer has about 9/49 of a 3x3 layer's channels squared; does it do fewer or more
# multiply-adds per pixel?

# %%
import time


def train_step_seconds(name, steps=3, batch=32):
    """Seconds of each of `steps` SGD steps (forward + backward) on random 32x32 images."""
    keras.utils.set_random_seed(0)
    net = build(name)
    net.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(batch, 32, 32, 3)).astype("float32")
    y = np.zeros(batch, dtype="int64")
    net.train_on_batch(x, y)  # build the graph once
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        net.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return times, net


timing = []
for name in ("Arch4-3x3-1.6M", "Arch4-5x5-1.6M", "Arch4-7x7-1.6M"):
    times, net = train_step_seconds(name, steps=2 if BUDGET == "smoke" else 5)
    table = analysis.layer_table(net)
    paper_row = paper_results(zoo_name=name, table=simpnet_archs.T_S1)[0]
    timing.append({"model": name, "params": net.count_params(), "MMACs / image": table["macs"].sum() / 1e6,
                   "ours: s / step (batch 32)": round(float(np.median(times)), 4),
                   f"ours: fastest-slowest of {len(times)} steps": f"{min(times):.4f}-{max(times):.4f}",
                   "source: minutes (Table S1)": float(paper_row.note.split()[2])})
timing = pd.DataFrame(timing)
timing["ours, relative to 3x3"] = (timing["ours: s / step (batch 32)"]
                                   / timing["ours: s / step (batch 32)"].iloc[0]).round(2)
timing["source, relative to 3x3"] = (timing["source: minutes (Table S1)"]
                                     / timing["source: minutes (Table S1)"].iloc[0]).round(2)
timing

# %% [markdown]
# The cell measures, it does not assume: compare the two "relative" columns (ours from the
# median step; the fastest and slowest steps show how much one step varies). The networks
# have (nearly) the same parameters but not the same compute — the MACs column — because the
# wider 3x3 layers and the narrower 7x7 layers spend their weights at different spatial sizes;
# time follows compute more than parameters. On a CPU, under load (other notebooks, other
# users), a few steps are a noisy measurement: rerun the cell, and time more steps before
# reading a difference of less than about 10%. The source's numbers are GPU minutes with
# cuDNN, whose fastest algorithms are tuned for 3x3; a CPU may order the kernels differently.
#
# ## 6. Principle G at work: the source's "unfair comparisons" (Tables 9 and 10)
#
# The source shows two comparisons it calls wrong on purpose: networks compared at unequal
# capacity. Table 9: 3x3 kernels 90.21% vs 5x5 kernels 90.99% — but the 5x5 network has
# 1.6M parameters and the 3x3 one 300K. Table 10: 5x5 kernels at the start 89.53% (412K) vs
# at the end 90.15% (640K). The rows, with our counts where the zoo has the network:

# %%
unfair = []
for r in PAPER_RESULTS:
    if r.table in (simpnet_archs.T_ISOLATION, simpnet_archs.T_UNFAIR):
        unfair.append({"table": r.table, "model": r.model, "printed size": r.params_printed,
                       "our count": build(r.zoo_name).count_params() if r.zoo_name else pd.NA,
                       "acc %": r.accuracy_printed})
unfair = pd.DataFrame(unfair)
unfair

# %% [markdown]
# In both tables the winner is also the bigger network, so the comparison cannot separate the
# kernel size (or its position) from the capacity. The fair versions are in the principle
# experiments: 3x3 vs 5x5 vs 7x7 *at 1.6M each* (Table 7), where 3x3 wins (92.14 vs 90.99 vs
# 89.22). (The translated sentence under Table 10 says "5x5 at the start is better", which its
# own numbers contradict.)
#
# ## 7. Principle B: groups of the same kind (同类层组)
#
# SimpNet is built from groups of layers with the same width and feature-map size, each group
# closed by a pool. The source states the principle and uses it to design SimpNet, but prints
# no experiment that breaks it while keeping everything else equal. The groups, read from the
# built model:

# %%
simpnet_table_layers = analysis.layer_table(simpnet)
convs = simpnet_table_layers[simpnet_table_layers["type"] == "Conv2D"].reset_index(drop=True)
convs["map side"] = [shape[0] for shape in convs["output_shape"]]
convs["width"] = [shape[-1] for shape in convs["output_shape"]]
convs["group"] = (convs[["map side", "width"]].diff().abs().sum(axis=1) > 0).cumsum() + 1
fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(range(1, len(convs) + 1), convs["width"], color=[f"C{g}" for g in convs["group"]],
       edgecolor="black")
for i, r in convs.iterrows():
    ax.text(i + 1, r["width"] + 5, f"{r['map side']}x{r['map side']}", ha="center", fontsize=7)
ax.set(xlabel="conv layer", ylabel="feature maps", xticks=range(1, len(convs) + 1),
       title="SimpNet: conv widths, coloured by group (same width and map size); map size on top")
plt.show()
print(f"{convs['group'].max()} groups of the same kind among {len(convs)} conv layers")

# %% [markdown]
# Exercise 5 asks you to design the missing experiment.
#
# ## 8. Dropout and dead units (principle H, the source's figures 2–5)
#
# The source argues for dropout after every conv with pictures, not numbers: with dropout,
# more first-layer units are active and fewer are "dead" (never active, figures 2–4), and more
# activations sit near zero, i.e. the code is sparser (figure 5). Those statistics can be
# measured on any trained model: for the first conv layer, the share of channels that never
# fire on a batch of test images, and the share of zero outputs. We measure them on the models
# trained above (the first seed's run of each; a shipped record has no model to probe). The
# SAF pair differs only in SAF-pooling's dropout, i.e. dropout in the two pools, not after
# every conv as the source argues; other networks differ in more than dropout (width,
# depth). So this
# illustrates the measurement, it does not test the claim (exercise 6 builds the controlled pair).

# %%
from course_lib.train.evaluation import collect_arrays
from course_lib.data import load_run_data

probe_record = records[0]
probe_images, _ = collect_arrays(load_run_data(
    dataset, batch_size=128, augment=False, seed=0, extra=experiment.uses_extra(dataset), train_limit=128,
    test_limit=min(256, probe_record["config"]["num_test"])).test)


def first_layer_statistics(record):
    net = keras.models.load_model(record["model_path"])
    first_relu = next(l for l in net.layers if type(l).__name__ in ("ReLU", "Activation"))
    out = keras.ops.convert_to_numpy(keras.Model(net.input, first_relu.output)(probe_images))
    fires = (out > 0).reshape(-1, out.shape[-1]).any(axis=0)
    has_dropout = any(type(l).__name__ in ("Dropout", "SAFPooling2D") and getattr(l, "rate", 0) > 0
                      for l in net.layers)
    return {"model": record["label"], "dropout in the net": has_dropout,
            "first-layer channels": out.shape[-1], "dead channels %": round(100 * (1 - fires.mean()), 1),
            "zero activations %": round(100 * float((out <= 0).mean()), 1)}


first_seed = min(seed_of(r) for r in records + simpnet_records)
# (a record that stands in for a SimpNet is already among `records`)
pd.DataFrame([first_layer_statistics(r) for r in records + simpnet_records
              if seed_of(r) == first_seed and "trained_as" not in r and "model_path" in r])

# %% [markdown]
# ## 9. Transfer learning: reuse a trained network (迁移学习)
#
# Seed 004 (ch. 3, on VGG-Nets) presents VGG above all as a network to reuse: because it
# generalises well, its model pre-trained on ImageNet (预训练模型, pre-trained model) is widely
# used as a **feature extractor** (特征抽取) and beyond, for object proposals, fine-grained
# retrieval and co-localisation. VGG is Simonyan & Zisserman's network,
# ["Very Deep Convolutional Networks for Large-Scale Image Recognition"](https://arxiv.org/abs/1409.1556)
# (arXiv:1409.1556). Reusing what a network learnt on one task for another is **transfer
# learning** (迁移学习; the term is not the seed's). It is written in a few lines of plain
# Keras, and it can be measured offline: pre-train a small CNN on five Fashion-MNIST classes,
# then learn the *other* five from few labels in three ways:
#
# 1. **from scratch**: the same network, new random weights;
# 2. **frozen feature extractor**: the pre-trained layers with `trainable = False`, plus a new
#    classification head (only the head learns);
# 3. **fine-tuning** (微调): first the frozen phase, then every layer unfrozen and trained on
#    at a learning rate ten times lower, so that the pre-trained weights move only a little.
#
# Every seed (`keras.utils.set_random_seed`) pre-trains its own network and draws its own
# labelled images; the three ways of one seed see the same labelled images, the same new head
# and the same test images (a paired comparison). What the budget runs:

# %%
import logging

from course_lib.data import FASHION_MNIST_CLASSES, load_fashion_mnist_arrays

SOURCE_CLASSES, TARGET_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
TRANSFER = {  # images per class, epochs and seeds of each budget
    "smoke": dict(pretrain_per_class=200, pretrain_epochs=1, labels_per_class=20, epochs=2,
                  frozen_epochs=1, test_per_class=100, seeds=(0,)),
    "quick": dict(pretrain_per_class=3000, pretrain_epochs=2, labels_per_class=100, epochs=8,
                  frozen_epochs=2, test_per_class=1000, seeds=(0, 1, 2)),
    "full": dict(pretrain_per_class=6000, pretrain_epochs=5, labels_per_class=100, epochs=20,
                 frozen_epochs=5, test_per_class=1000, seeds=(0, 1, 2, 3, 4)),
}[BUDGET]
LEARNING_RATE, BATCH = 3e-3, 32
t = TRANSFER  # (short name for the sentence below)
display(Markdown(
    f"At `{BUDGET}`: for each of the {len(t['seeds'])} seed(s) {list(t['seeds'])}, pre-training "
    f"on {t['pretrain_per_class'] * len(SOURCE_CLASSES):,} images of classes "
    f"{SOURCE_CLASSES[0]}-{SOURCE_CLASSES[-1]} for {t['pretrain_epochs']} epoch(s), then each of "
    f"the three ways on {t['labels_per_class']} labelled images per class of classes "
    f"{TARGET_CLASSES[0]}-{TARGET_CLASSES[-1]} ({t['labels_per_class'] * len(TARGET_CLASSES)} "
    f"images) for {t['epochs']} epoch(s) (fine-tuning: {t['frozen_epochs']} frozen, then "
    f"{t['epochs'] - t['frozen_epochs']} unfrozen), scored after every epoch on "
    f"{t['test_per_class'] * len(TARGET_CLASSES):,} test images of those classes. Adam, "
    f"learning rate {LEARNING_RATE:g} (fine-tuning after unfreezing: {LEARNING_RATE / 10:g}), "
    f"batch {BATCH}, 28x28 grey images, no augmentation."))

# %%
fashion = load_fashion_mnist_arrays()  # the 60,000 + 10,000 images, as uint8 arrays


def class_subset(x, y, classes, per_class, rng):
    """`per_class` random images of each of `classes`, labels renumbered 0..len(classes)-1."""
    index = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                            for c in classes])
    rng.shuffle(index)
    relabel = np.full(10, -1)
    relabel[list(classes)] = np.arange(len(classes))
    return (x[index, :, :, None] / 255.0).astype("float32"), relabel[y[index]]


# the target classes' test images: the same for every seed and every way
x_target_test, y_target_test = class_subset(fashion.x_test, fashion.y_test, TARGET_CLASSES,
                                            TRANSFER["test_per_class"], np.random.default_rng(0))

# %% [markdown]
# The network: three 3x3 conv layers (16, 32, 64 maps, ReLU), each followed by 2x2 max
# pooling, flattened: `make_features()` is the part that is reused. `with_new_head(features)`
# puts a new softmax layer for five classes on top of it. Freezing is one attribute:
# `features.trainable = False` turns every weight of the sub-model into a non-trainable one,
# and `compile` must be called again afterwards for the change to take effect in `fit`.

# %%
# NBVAL_CHECK_OUTPUT
def make_features():
    """The reusable part: three conv + max-pool stages on 28x28x1, flattened (3x3x64 = 576)."""
    inputs = keras.Input((28, 28, 1), name="image")
    x = inputs
    for i, filters in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    return keras.Model(inputs, keras.layers.Flatten(name="flatten")(x), name="features")


def with_new_head(features, classes=5):
    """`features` followed by a new (randomly initialised) softmax layer."""
    inputs = keras.Input((28, 28, 1), name="image")
    outputs = keras.layers.Dense(classes, activation="softmax", name="head")(features(inputs))
    return keras.Model(inputs, outputs, name="classifier")


def weight_counts(model):
    count = lambda weights: int(sum(np.prod(w.shape) for w in weights))
    return count(model.trainable_weights), count(model.non_trainable_weights)


print("pre-train on:", ", ".join(f"{c} {FASHION_MNIST_CLASSES[c]}" for c in SOURCE_CLASSES))
print("transfer to: ", ", ".join(f"{c} {FASHION_MNIST_CLASSES[c]}" for c in TARGET_CLASSES))
features = make_features()
model = with_new_head(features)
print("feature extractor output:", features.output.shape)
for state in (True, False):
    features.trainable = state
    trainable, frozen = weight_counts(model)
    print(f"features.trainable = {state!s:5}: {trainable:,} trainable weights, {frozen:,} frozen")

# %% [markdown]
# The three ways, in plain Keras (`compile`, `fit`, `trainable`); `fit` scores the test images
# of the target classes after every epoch (`validation_data`; they are never trained on). XLA
# is off (`jit_compile=False`): compiling a graph for each of these short runs costs more than
# it saves on a CPU.

# %%
def compile_at(model, learning_rate):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)


def fit_epochs(model, x, y, first, last):
    """Epochs first+1..last; the per-epoch train and test accuracy."""
    history = model.fit(x, y, batch_size=BATCH, epochs=last, initial_epoch=first, verbose=0,
                        validation_data=(x_target_test, y_target_test),
                        validation_batch_size=1000).history
    return list(zip(history["accuracy"], history["val_accuracy"]))


def transfer_seed(seed, t=TRANSFER):
    """Pre-train on the source classes, then the three ways on the target classes."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x_source, y_source = class_subset(fashion.x_train, fashion.y_train, SOURCE_CLASSES,
                                      t["pretrain_per_class"], rng)
    x_few, y_few = class_subset(fashion.x_train, fashion.y_train, TARGET_CLASSES,
                                t["labels_per_class"], rng)
    pretrained = make_features()
    source_model = with_new_head(pretrained)
    compile_at(source_model, LEARNING_RATE)
    source_model.fit(x_source, y_source, batch_size=BATCH, epochs=t["pretrain_epochs"], verbose=0)
    records = []
    for way in ("from scratch", "frozen features", "fine-tuned"):
        keras.utils.set_random_seed(1000 + seed)  # the same new head for the three ways
        features = make_features()
        if way != "from scratch":
            features.set_weights(pretrained.get_weights())
            features.trainable = False
        model = with_new_head(features)
        compile_at(model, LEARNING_RATE)
        if way == "fine-tuned":
            curve = fit_epochs(model, x_few, y_few, 0, t["frozen_epochs"])
            features.trainable = True
            compile_at(model, LEARNING_RATE / 10)  # recompile: trainable changed
            curve += fit_epochs(model, x_few, y_few, t["frozen_epochs"], t["epochs"])
        else:
            curve = fit_epochs(model, x_few, y_few, 0, t["epochs"])
        predicted = model.predict(x_target_test, batch_size=1000, verbose=0).argmax(axis=1)
        records.append({  # the fields plot_training_curves and the verdicts read
            "label": way, "seed": seed,
            "history": [{"epoch": e, "train_error_pct": 100 * (1 - train),
                         "test_error_pct": 100 * (1 - test)}
                        for e, (train, test) in enumerate(curve, start=1)],
            "test_error_pct": 100 * float((predicted != y_target_test).mean()),
            "correct": predicted == y_target_test,
        })
    return records


started, started_cpu = time.perf_counter(), time.process_time()
tf_logger = logging.getLogger("tensorflow")
level, _ = tf_logger.level, tf_logger.setLevel(logging.ERROR)  # each new model traces its own
try:                                              # graphs: TensorFlow's "retracing" warning is
    transfer_records = [r for seed in TRANSFER["seeds"] for r in transfer_seed(seed)]  # expected
finally:
    tf_logger.setLevel(level)
transfer_seconds = time.perf_counter() - started
print(f"{len(transfer_records)} runs in {transfer_seconds:.0f} s "
      f"(process CPU time {time.process_time() - started_cpu:.0f} s)")

# %%
seeds = ", ".join(str(s) for s in TRANSFER["seeds"])
fig = curves(
    transfer_records, splits=("train", "test"),
    title=f"Fashion-MNIST classes {TARGET_CLASSES[0]}-{TARGET_CLASSES[-1]} from "
          f"{TRANSFER['labels_per_class']} labels per class, three ways; seeds {seeds}\n"
          "line: mean over seeds; band: range over seeds; thin lines: each seed; "
          "dotted: fine-tuning unfreezes")
for ax in fig.axes:
    ax.axvline(TRANSFER["frozen_epochs"] + 0.5, color="0.4", ls=":", lw=1)
plt.show()

# %%
final = pd.DataFrame([{"way": r["label"], "seed": r["seed"], "test acc %": 100 - r["test_error_pct"]}
                      for r in transfer_records])
acc = final.groupby("way", sort=False)["test acc %"]
table = pd.DataFrame({"seeds": acc.count(), "mean": acc.mean(), "std": acc.std(),
                      "lowest": acc.min(), "highest": acc.max()})
table["test accuracy %"] = [f"{m:.2f} ± {s:.2f}" if n > 1 else f"{m:.2f} (one seed)"
                            for m, s, n in zip(table["mean"], table["std"], table["seeds"])]
print(f"final test accuracy on {len(y_target_test):,} images of classes {list(TARGET_CLASSES)}: "
      "mean ± standard deviation over seeds, and the lowest and highest seed")
print(table[["seeds", "test accuracy %", "lowest", "highest"]].to_string(float_format="{:.2f}".format))
by_way = {way: [r for r in transfer_records if r["label"] == way] for way in table.index}
first = {way: np.mean([r["history"][0]["test_error_pct"] for r in rs]) for way, rs in by_way.items()}
print("after the first epoch, mean test error: "
      + ", ".join(f"{way} {error:.1f}%" for way, error in first.items()))
transfer_verdicts = []
for way in ("frozen features", "fine-tuned"):
    transfer_verdicts.append(analysis.compare_models(
        [r["test_error_pct"] for r in by_way["from scratch"]],
        [r["test_error_pct"] for r in by_way[way]], "B < A",
        correct_a=[r["correct"] for r in by_way["from scratch"]],
        correct_b=[r["correct"] for r in by_way[way]], name_a="from scratch", name_b=way))
    print(transfer_verdicts[-1])

# %% [markdown]
# Reading it. Look at the first epochs first: the two ways that reuse the pre-trained layers
# start from features that already tell shapes apart, the network from scratch from random
# ones (the line above the verdicts prints each way's mean test error after one epoch). Whether
# they also *end* ahead is what the verdicts say, with an interval that counts the seeds and
# the test images: with three seeds and gaps of a point or two, "inconclusive" is an honest
# answer, not a failure (exercise 8 makes the labels scarcer). Fine-tuning needs care: a
# learning rate ten times lower, and only after the new head has learnt, or the large
# gradients of a random head would first wreck the pre-trained weights. The five source
# classes (T-shirts, trousers, pullovers, dresses, coats) share no class with the five target
# classes: what transfers are edges, strokes and textures, the low layers' features. Seed
# 004's VGG transfers from the 1,000 classes of ImageNet, a far richer source.

# %% [markdown]
# **Optional, on Colab: the same with VGG-16's ImageNet weights.** This is seed 004's use of
# VGG: a network pre-trained on ImageNet's 1.28 million photos, reused as a feature extractor.
# `keras.applications.VGG16(weights="imagenet", include_top=False)` downloads the 13 conv
# layers' weights (about 58 MB, from storage.googleapis.com); the grey 28x28 images are
# upsampled and given three channels. The cell runs only on Colab, not at `smoke`, and only
# when that server answers; elsewhere (offline, or on the course's CPU machines) it says in
# one line why it skips.

# %%
import socket

from course_lib.places import on_colab


def reachable(host="storage.googleapis.com", port=443, timeout=3.0):
    """True when a TCP connection to `host` opens within `timeout` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


VGG_SIDE = 64  # VGG-16 takes 32x32 and more; 64 keeps a Colab run to a few minutes on a GPU
if not on_colab():
    print("VGG-16 transfer skipped: this is not Colab (the cell downloads ~58 MB of ImageNet "
          "weights; run it there).")
elif BUDGET == "smoke":
    print("VGG-16 transfer skipped: the smoke budget stays offline (run at quick or full).")
elif not reachable():
    print("VGG-16 transfer skipped: storage.googleapis.com, which serves the ImageNet weights, "
          "cannot be reached from this runtime.")
else:
    def to_vgg(images):
        """28x28x1 in [0, 1] -> VGG_SIDE x VGG_SIDE x 3, with VGG-16's own preprocessing."""
        images = keras.ops.image.resize(images, (VGG_SIDE, VGG_SIDE))
        images = keras.ops.repeat(images, 3, axis=-1) * 255.0
        return keras.ops.convert_to_numpy(keras.applications.vgg16.preprocess_input(images))

    keras.utils.set_random_seed(0)
    x_few, y_few = class_subset(fashion.x_train, fashion.y_train, TARGET_CLASSES,
                                TRANSFER["labels_per_class"], np.random.default_rng(0))
    x_few_vgg, x_test_vgg = to_vgg(x_few), to_vgg(x_target_test)
    vgg = keras.applications.VGG16(weights="imagenet", include_top=False,
                                   input_shape=(VGG_SIDE, VGG_SIDE, 3))
    vgg.trainable = False
    inputs = keras.Input((VGG_SIDE, VGG_SIDE, 3))
    x = keras.layers.GlobalAveragePooling2D()(vgg(inputs, training=False))
    vgg_model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))
    vgg_model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_args = dict(batch_size=BATCH, validation_data=(x_test_vgg, y_target_test), verbose=0)
    frozen = vgg_model.fit(x_few_vgg, y_few, epochs=TRANSFER["frozen_epochs"], **fit_args)
    for layer in vgg.layers:  # fine-tune the last block only, at a low learning rate
        layer.trainable = layer.name.startswith("block5")
    vgg.trainable = True
    vgg_model.compile(optimizer=keras.optimizers.Adam(1e-5),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tuned = vgg_model.fit(x_few_vgg, y_few, epochs=TRANSFER["epochs"],
                          initial_epoch=TRANSFER["frozen_epochs"], **fit_args)
    curve = frozen.history["val_accuracy"] + tuned.history["val_accuracy"]
    print(f"VGG-16 (ImageNet) on {len(y_few)} labelled images, test accuracy by epoch (seed 0; "
          f"frozen for {TRANSFER['frozen_epochs']}, then block 5 fine-tuned):",
          " ".join(f"{100 * a:.1f}" for a in curve))
    print(f"the small CNN of this section, seed 0, fine-tuned: "
          f"{100 - by_way['fine-tuned'][0]['test_error_pct']:.1f}")

# %% [markdown]
# ## Summary
#
# * Each SimpNet principle is a small controlled experiment: networks that differ in one
#   choice at equal capacity. Checking the capacity (our counts within 5% of the printed ones)
#   is part of the experiment — and shows where a comparison is not equal (the strided
#   stand-in; the source's own Tables 9 and 10).
# * SAF-pooling = max pooling then dropout: it drops the strongest responses in training and
#   is plain max pooling at inference.
# * SimpNet: 13 3x3 layers in groups of the same kind (同类层组), late SAF-pools, global max
#   pooling; the slim 300K version is the gradual-expansion experiment's 13-layer net, printed
#   with two different accuracies (89.78 and 93.25%).
# * Principle E is a claim about speed: measure it on your own device; time follows compute
#   (MACs), not parameters.
# * A SimpNet is a list of blocks (3x3 conv, batch norm, ReLU, optional pool and dropout)
#   that you can write in plain Keras; the zoo's `build` makes the same network.
# * Transfer learning in plain Keras: `trainable = False` freezes a pre-trained part, a new
#   head learns the new classes, and fine-tuning unfreezes at a lower learning rate after the
#   head has learnt; the three ways are compared like any two models, over seeds.
# * At `smoke` nothing here is evidence; `quick` can show only large effects, and a verdict
#   needs at least three seeds per network; `full` compares with the paper.
#
# ## 练习 (exercises, ungraded)
#
# 1. **Break gradual expansion.** Write a 10-layer network in `C_x{y}` notation with about
#    300K parameters whose widths are *not* gradually expanding (e.g. wide first, thin last),
#    build it with `course_lib.models.simpnet.build_simpnet(widths=..., pool_positions=(4, 8),
#    dropout=0.0, saf=False)` and check its count. Add it to a copy of the gradual-expansion
#    group and train both at `quick` with three seeds each.
#    *Hint:* a 3x3 conv from `a` to `b` maps costs `9ab + b` plus `4b` for batch norm; start
#    from `C96{3}, C64{4}, C48{3}` and adjust.
# 2. **Where does x0.92 come from?** The experiment narrows the strided Arch1-13L by
#    `course_lib.train.experiments.STRIDED_WIDTH` so that the comparison is at equal
#    parameters. Build it at `m = 1` (`build("Arch1-13L", downsample="strided",
#    width_multiplier=1.0)`), compute its ratio to the pooled net, and find the `m` that makes
#    the counts equal. Which `m` does it take?
#    *Hint:* parameters grow roughly with the square of the width, so start from
#    `m = 1 / sqrt(ratio)` with the ratio at `m = 1`.
# 3. **Dropout before the pool.** Put the dropout *before* the max pool in the 4x4 example of
#    section 2 (a `keras.layers.Dropout(0.5, seed=5)` then `MaxPooling2D`). How often does a
#    window output its second-strongest value instead of 0?
#    *Hint:* a window outputs 0 only if all four of its values are dropped; simulate many
#    masks with different seeds, or compute the probabilities.
# 4. **SAF on/off: the reversal.** Section 3 compared SimpNet-Slim-600K with and without
#    SAF-pooling and printed the verdict and each network's training and test error. (a) Is
#    the measured difference larger than what the seeds and the test set explain? (b) Why can
#    a short run find SAF-pooling *worse* than plain max pooling, when the paper finds it
#    (slightly) better? (c) Design a run in which SAF-pooling should help, and run it.
#    *Hint:* (a) read the verdict's interval, not the two means. (b) SAF-pooling is dropout:
#    what does a regulariser cure, and does the no-SAF network show that illness (compare its
#    test and training error)? (c) `run_experiment("simpnet-principles", models=list(SAF_PAIR),
#    epochs=..., seeds=[0, 1, 2], shipped="train", dataset=dataset, budget=BUDGET,
#    results_dir=RESULTS_DIR)` trains the pair for more epochs on the same images (the time
#    grows with the epochs).
# 5. **Test principle B.** Design the experiment the source does not print: SimpNet-Slim-300K
#    against a network of the same depth, pools and parameter count whose widths change at
#    every layer (no two neighbours equal). What would you have to keep equal, and what would
#    count as evidence?
#    *Hint:* keep depth, pool positions, total parameters (within 1%) and the training recipe;
#    plan at least three seeds per network and judge with `compare_ordering` (an interval,
#    not the two means).
# 6. **Dropout and dead units, controlled.** Build Arch3-pool-L5 twice, with
#    `dropout=0.0` and `dropout=0.2` (every conv), train both for the same epochs, and compare
#    their first-layer statistics with `first_layer_statistics` of section 8.
#    *Hint:* derive an experiment with `dataclasses.replace(experiment, name="dropout-pair",
#    models=(ModelRun("Arch3-pool-L5"), ModelRun("Arch3-pool-L5", {"dropout": 0.2},
#    label="Arch3-pool-L5-drop")))` and pass it to `run_experiment`.
# 7. **Your blocks, the slim 300K SimpNet.** With `simpnet_block` and `make_simpnet` of
#    section 4, write `SLIM_300K` for SimpNet-Slim-300K (widths `C30, C40{3}, C50{5}, C58{2},
#    C70, C90`, pools after conv5 and conv10; its official CIFAR-10 file has no dropout and
#    plain max pooling) and check its parameter count against `build("SimpNet-Slim-300K")`.
#    Then train it yourself for one epoch with `compile` and `fit` on the 28x28 images of
#    section 9.
#    *Hint:* `parse_widths` expands the widths; a block with `pool=True` and `dropout=0.0` is
#    plain max pooling, and a `Dropout(0.0)` has no weights. `make_simpnet(...,
#    input_shape=(28, 28, 1))` takes grey 28x28 images (its first conv then has fewer weights).
# 8. **Fewer labels.** Rerun section 9 with `TRANSFER["labels_per_class"] = 10`, then with
#    1000 (three seeds each). Which way loses most when the labels get scarce, and which
#    gains least from more labels?
#    *Hint:* compare the number of weights each way fits (the check cell of section 9 prints
#    them) with the number of labelled images.
# 9. **Batch normalisation and `trainable = False`.** Add a `BatchNormalization` layer after
#    each conv of `make_features` and freeze it. What does `trainable = False` do to a
#    batch-norm layer in Keras 3, and why does the Keras transfer-learning guide call the
#    pre-trained part with `training=False` (`features(inputs, training=False)`) even when it
#    fine-tunes it?
#    *Hint:* a batch-norm layer has two kinds of state: `gamma` and `beta`, learnt by
#    gradient, and the moving mean and variance, updated whenever it runs in training mode.
#
# **Graded work:** [assignment 3](../assignments/3-design-under-budget/student/design-under-budget.ipynb)
# asks you to design a network for 32x32 Fashion-MNIST under a parameter and compute budget
# and to check SimpNet's rules on it — the principles of this notebook, applied.
#
# ## Answers (ungraded)
#
# <details>
# <summary>Show the answers</summary>
#
# 1. Any decreasing width list near 300K builds. With three seeds each the verdict on "the
#    gradually expanding net is better" will most likely be "inconclusive": the source's own
#    depth gap at 300K is 0.83 points (Table 2, 10 vs 13 layers, one run each), of the order
#    of the test-set sampling error alone, and the quick budget's short training of narrowed
#    networks adds its own seed spread.
# 2. About `m = 0.92`: the strided net then has 300,545 parameters against the pooled net's
#    302,316 (ratio 0.994); at `m = 1` the ratio is 1.176.
# 3. With rate 0.5 each value survives with probability 1/2 independently: the window outputs
#    its strongest value with probability 1/2, its second-strongest with 1/4, the third with
#    1/8, the weakest with 1/16, and 0 with 1/16. SAF-pooling instead outputs the strongest
#    (scaled) with probability 1/2 and 0 otherwise.
# 4. (a) The verdict of section 3 answers it: the difference "SAF minus no-SAF" with its 95%
#    interval, which counts both the seeds and the test images; the cell under these answers
#    repeats it from this notebook's runs and reads it. (b) SAF-pooling is dropout in the
#    pools: its price (every step trains a noisier network, and the strongest response of a
#    window is switched off) is paid from the first step, its benefit (less overfitting)
#    only once a network overfits. After a few epochs of narrow networks the no-SAF network's
#    test error is about as high as its training error (printed in section 3 and below):
#    there is nothing to cure, so only the price shows. The paper's own gap, 0.08 points from
#    one run each, is smaller than the sampling error of one model's error on a 10,000-image
#    test set (about 0.3 points), so even the source's table cannot establish the claim.
#    (c) Make the no-SAF network overfit: several times the budget's epochs on the same images
#    (or fewer images), three seeds each. If SAF-pooling is the regulariser the paper says,
#    the no-SAF network's test error pulls away from its training error, and SAF's
#    disadvantage shrinks or turns into an advantage; the verdict, not the means, says which.
# 5. Equal depth, pool positions, total parameters, training recipe, data and evaluation;
#    at least three seeds each. Evidence: a "supports" verdict for "the grouped network has
#    the lower error" (the whole 95% interval of the difference below zero), ideally on more
#    than one dataset.
# 6. The source expects fewer dead channels and more zeros (sparser outputs) with dropout; at
#    a short budget the difference may be small or reversed. Report it with the number of
#    images probed and three seeds per network, and judge the difference in the statistic
#    with `analysis.compare_models` as you would an error.
# 7. ```python
#    SLIM_300K = tuple((w, 0.0, i in (5, 10)) for i, w in
#                      enumerate(parse_widths(ARCHS["SimpNet-Slim-300K"].widths), start=1))
#    mine = make_simpnet(SLIM_300K, head_dropout=0.0)
#    assert mine.count_params() == build("SimpNet-Slim-300K").count_params()
#    grey = make_simpnet(SLIM_300K, head_dropout=0.0, input_shape=(28, 28, 1))
#    grey.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
#    x, y = class_subset(fashion.x_train, fashion.y_train, range(10), 300, np.random.default_rng(0))
#    grey.fit(x, y, epochs=1, batch_size=64)
#    ```
#    The counts are equal: the zoo's builder makes the same layers (its `MaxPooling2D` where
#    SAF is off, no dropout layers at rate 0), so it is the same network.
# 8. From scratch loses most: it fits every weight of the network from the few labelled
#    images, while the frozen extractor fits only the new head and keeps the features learnt
#    from the thousands of pre-training images; at 10 labels per class the frozen extractor's
#    lead over from-scratch is largest. With more labels the from-scratch network catches up,
#    and the frozen extractor gains least, because its features stay those of the source
#    classes; fine-tuning, which adapts them, profits from the extra labels as well.
# 9. In Keras 3, `trainable = False` on a `BatchNormalization` layer also makes it run in
#    inference mode: it normalises with its moving mean and variance and stops updating them
#    (and `gamma` and `beta` stop learning). Calling the pre-trained part with
#    `training=False` keeps its batch-norm layers in inference mode after
#    `features.trainable = True` too: otherwise, once unfrozen, they would normalise each
#    small batch of the new classes with that batch's statistics and pull the moving
#    averages towards them, and the large first updates would undo what pre-training learnt.
#
# </details>

# %%
# Answer 4, with this notebook's numbers (the verdict and errors of section 3)
if saf_verdict is None:
    print(f"The SAF pair was not trained at {BUDGET!r}: add {list(SAF_PAIR)} to PRINCIPLE_MODELS.")
else:
    result = saf_verdict["result"]
    n_test = int(by_label.loc[SAF_PAIR[0], "num test"])
    p = by_label.loc[SAF_PAIR[1], "test mean %"] / 100
    print(f"(a) SAF minus no-SAF: {saf_verdict['verdict']}")
    print({"supports": "    SAF-pooling is better here, beyond what seeds and test images explain.",
           "contradicts": "    SAF-pooling is worse here, beyond what seeds and test images explain: "
                          "a reversal of the paper's ordering at this budget.",
           "inconclusive": "    The data cannot tell which pooling is better at this budget.",
           }.get(result.word, "    Too few seeds for a verdict: at least 3 per network."))
    for m in SAF_PAIR:
        row = by_label.loc[m]
        print(f"(b) {m}: test {row['test mean %']:.2f}% vs training {row['train mean %']:.2f}% "
              f"error (test minus training {row['test mean %'] - row['train mean %']:+.2f} points)")
    print(f"    sampling error of one model's error on {n_test:,} test images: "
          f"{100 * np.sqrt(p * (1 - p) / n_test):.2f} points; the paper's gap: "
          f"{saf_paper['SimpNet-Slim-600K-SAF'] - saf_paper['SimpNet-Slim-600K-noSAF']:.2f} points")
