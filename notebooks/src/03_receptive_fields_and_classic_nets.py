# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/03_receptive_fields_and_classic_nets.ipynb)
#
# # 03 — Receptive fields, distributed representations and the classic networks
#
# Source: chapter 3 of the book 《解析卷积神经网络》 (*Analysing Convolutional Neural Networks*)
# by 魏秀参 (Wei Xiu-Shen); the course read it as seed 004 — receptive fields, distributed
# representation, the hierarchy of deep features, and four classic designs: AlexNet, VGG-Nets,
# Network-in-Network and residual networks (with highway networks on the way). The book's
# tables 3.1 and 3.2 are data here (`course_lib/tables/`), every table is regenerated from the models
# in `course_lib.models` and compared with the book row by row, and the book's figures 3.2 and
# 3.11 are redrawn from code.
#
# The papers the chapter discusses, linked where they come up: AlexNet
# ([Krizhevsky, Sutskever & Hinton, NeurIPS 2012](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)),
# VGG ([Simonyan & Zisserman, arXiv:1409.1556](https://arxiv.org/abs/1409.1556)),
# Network-in-Network ([Lin, Chen & Yan, arXiv:1312.4400](https://arxiv.org/abs/1312.4400)),
# highway networks ([Srivastava, Greff & Schmidhuber, arXiv:1505.00387](https://arxiv.org/abs/1505.00387)),
# ResNet ([He, Zhang, Ren & Sun, arXiv:1512.03385](https://arxiv.org/abs/1512.03385)),
# GoogLeNet ([Szegedy et al., arXiv:1409.4842](https://arxiv.org/abs/1409.4842)) and Zeiler &
# Fergus's visualisation ([arXiv:1311.2901](https://arxiv.org/abs/1311.2901)).
#
# ## 学习目标 (learning goals)
#
# 1. Compute the receptive field, jump and output size of every layer of AlexNet and VGG-16,
#    and explain why three 3x3 convs replace one 7x7 (same field, 27C² vs 49C² parameters).
# 2. Regenerate the book's AlexNet and VGG-16 tables from built models and spot where the
#    printed tables are inconsistent; compute LRN (eq. 3.1) in two conventions and show that
#    it contains L2 normalisation (eq. 3.2); know which training tricks AlexNet reported and
#    what each was worth *in its paper*.
# 3. Explain mlpconv (1x1 convs) and global average pooling in NIN, the gates of a highway
#    block, and the shortcut of a residual block — and check each numerically.
# 4. Reproduce, at a small budget, the degradation experiment: does a deeper *plain* network
#    train worse (and its residual twin not, where the budget trains it)?
# 5. Compare two models the way a statistician would: seeds as samples, the test set as a
#    sample, a 95% interval for the difference and a verdict in one of three words — and know
#    why two seeds are not enough.
# 6. Contrast a bag-of-words representation (Fig. 3.2) with the distributed representation
#    and the feature hierarchy of a model you trained, and draw receptive fields on an image.
# 7. Redraw Fig. 3.11 (VGG-19 vs a 34-layer plain and residual net) from built models and
#    compare their cost.
#
# **Key terms.** receptive field 感受野 · jump (effective stride) 跳跃 (等效步长) ·
# distributed representation 分布式表示 · hierarchy of features 特征的层次性 ·
# feature map / channel 特征图 / 通道 · local response normalization 局部响应归一化 (规范化) ·
# L2 normalisation L2规范化 · bag-of-words model 词包模型 · visual word 视觉单词 ·
# vocabulary 词典 · representation vector 表示向量 · data augmentation 数据增广 ·
# dropout 随机失活 · max pooling 最大值汇合 (the book's term; 池化 elsewhere) ·
# mlpconv 多层感知机卷积 · global average pooling 全局平均汇合 (池化) ·
# highway network 高速公路网络 · transform gate / carry gate 变换门 / 携带门 ·
# residual block 残差模块 · shortcut (skip) connection 近路连接 · bottleneck 瓶颈 ·
# degradation 退化 · random seed 随机种子 · standard error 标准误差 ·
# confidence interval 置信区间

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
# The degradation runs of section 5 use the offline Fashion-MNIST view `fashion_mnist32`
# (32x32x3) unless `BUDGET == "full"`, where they use CIFAR-10 like the book's Figure 3.8
# (downloaded by tensorflow-datasets on first use). The small model of section 6 is always
# trained on `fashion_mnist32` (it is notebook 01's run, read back). With `BUDGET = "smoke"`
# the runs last seconds and only prove that the pipeline works; their numbers are not
# evidence. Use `quick` (a 2-core CPU) or `full` (a GPU). The cell below says what section 5
# trains at this budget, generated from the experiment's definition
# (`get_experiment("resnet-degradation").budget(BUDGET)`), and which runs it reads from
# records that the kit ships instead of training them.

# %%
from IPython.display import Markdown, display

from course_lib.train import budget_plan, get_experiment

dataset = "cifar10" if BUDGET == "full" else "fashion_mnist32"
print("dataset:", dataset)
exp = get_experiment("resnet-degradation")
# smoke: only the 20-layer pair (a 56-layer net needs minutes just to compile on a CPU);
# otherwise None: the budget's default set, each model with the budget's seeds
DEGRADATION_MODELS = ["Plain-20", "ResNet-20"] if BUDGET == "smoke" else None
display(Markdown(f"**Section 5 at `{BUDGET}`.** " + budget_plan(
    "resnet-degradation", BUDGET, dataset=dataset, models=DEGRADATION_MODELS)))
if BUDGET == "smoke":
    display(Markdown("**At `quick`.** "
                     + budget_plan("resnet-degradation", "quick", dataset="fashion_mnist32")))

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from course_lib import analysis
from course_lib.models import build

sns.set_theme()
pd.set_option("display.width", 140)
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 1. Receptive field (感受野)
#
# A unit of a conv layer sees an `F x F` window of the layer below; through a stack of layers
# it sees a larger window of the *input*, its receptive field. With the receptive field `r`,
# the jump `j` (input pixels between neighbouring units) and kernel `k`, stride `s`,
# dilation `d`, each layer updates
#
# $$ r_\text{out} = r_\text{in} + d(k-1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in}\, s .$$
#
# So stride-1 3x3 convs add 2 pixels each: three of them see 7x7, like a single 7x7 conv
# (book Fig. 3.1). The parameters differ: with `C` channels in and out (no biases), one 7x7
# conv has `C·7·7·C = 49C²` weights, three 3x3 convs `3·C·3·3·C = 27C²`. Both numbers below
# come from built Keras layers, with `C = 64`:

# %%
C = 64


def conv_stack(kernel_sizes, name):
    inputs = keras.Input((32, 32, C))
    x = inputs
    for i, k in enumerate(kernel_sizes, start=1):
        x = keras.layers.Conv2D(C, k, use_bias=False, activation="relu", name=f"conv{i}_{k}x{k}")(x)
    return keras.Model(inputs, x, name=name)


# %%
# NBVAL_CHECK_OUTPUT
for model in (conv_stack([3, 3, 3], "three_3x3"), conv_stack([7], "one_7x7")):
    rf = analysis.receptive_fields(model)
    params = model.count_params()
    print(f"{model.name:10s} receptive field {rf['rf'].iloc[-1]}x{rf['rf'].iloc[-1]}, "
          f"{params:,} weights = {params // C**2}·C², nonlinearities: {len(model.layers) - 1}")

# %% [markdown]
# The stack also has three ReLUs instead of one — more non-linearity, a deeper and more
# expressive function for fewer parameters. That is the design rule of VGG.
#
# ### Receptive fields of AlexNet and VGG-16
#
# `analysis.receptive_fields` walks a model and reports `kernel`, `stride`, `padding`, output
# `size`, receptive field `rf`, `jump` and `start` (the input coordinate of the centre of the
# first unit's field) for every layer, along one spatial axis. AlexNet (book table 3.1,
# 227x227 input):

# %%
# NBVAL_CHECK_OUTPUT
alexnet = build("AlexNet")
rf_alex = analysis.receptive_fields(alexnet)
print(rf_alex[["layer", "type", "kernel", "stride", "padding", "size", "rf", "jump"]].to_string(index=False))

# %% [markdown]
# AlexNet reaches a large receptive field early through its 11x11 stride-4 first layer: conv1
# units already see 11 pixels and sit 4 apart. VGG-16 (book table 3.2, 224x224 input) gets
# there with 3x3 convs only, the pools doubling the jump:

# %%
# NBVAL_CHECK_OUTPUT
vgg16 = build("VGG-D")
rf_vgg = analysis.receptive_fields(vgg16)
print(rf_vgg[["layer", "type", "kernel", "stride", "padding", "size", "rf", "jump"]].to_string(index=False))

# %%
curves = pd.concat([
    rf_alex.assign(model="AlexNet"),
    rf_vgg.assign(model="VGG-16"),
], ignore_index=True)
curves = curves[curves["type"].isin(["Conv2D", "MaxPooling2D"])].copy()
curves["depth"] = curves.groupby("model").cumcount() + 1
fig, ax = plt.subplots(figsize=(8, 3.5))
sns.lineplot(data=curves, x="depth", y="rf", hue="model", marker="o", ax=ax)
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
ax.set(xlabel="conv / pool layer (in order)", ylabel="receptive field (pixels)",
       title="Receptive field growth: large early kernels vs stacked 3x3")
plt.tight_layout()

# %% [markdown]
# VGG-16's last conv (`block5_conv3`, 14x14 map) sees 196 pixels and its last pool 212 —
# nearly the whole 224 image; AlexNet's conv5 sees 163 of 227.

# %% [markdown]
# ## 2. The classic networks, regenerated next to the book's tables
#
# The book lists every operation of AlexNet (table 3.1) and VGG-16 (table 3.2) with its
# parameters and input/output sizes. `analysis.layer_table` produces the same listing from the
# built model; the book's tables come from `analysis.load_table`. Two differences are
# conventions, not errors: the zoo fuses ReLU into the conv / FC layer (`activation="relu"`),
# so the book's ReLU rows have no row of their own, and Keras' FC layers output a vector
# `(4096,)` where the book writes `1 x 1 x 4096`. The cell matches the remaining rows in order
# and compares output sizes.

# %%
OPS = {"conv": "Conv2D", "maxpool": "MaxPooling2D", "lrn": "LocalResponseNormalization",
       "fc": "Dense", "dropout": "Dropout"}


def window(layer):
    """Hyper-parameters of a layer in the book's notation (f, s / LRN k, n, alpha, beta)."""
    cfg = layer.get_config()
    if "kernel_size" in cfg or "pool_size" in cfg:
        f = (cfg.get("kernel_size") or cfg.get("pool_size"))[0]
        return f"f={f} s={cfg['strides'][0]}"
    if "alpha_mode" in cfg:
        return f"k={cfg['k']:g} n={cfg['size']} a={cfg['alpha']:g} b={cfg['beta']:g}"
    return ""


def book_window(r):
    if r["operation"] in ("conv", "maxpool"):
        return f"f={int(r['f'])} s={int(r['s'])}"
    if r["operation"] == "lrn":
        return f"k={r['lrn_k']:g} n={int(r['lrn_n'])} a={float(r['lrn_alpha']):g} b={r['lrn_beta']:g}"
    return ""


def book_vs_model(book, model, num_classes):
    """Pair each non-ReLU, non-loss row of a book table with the model's next layer of that type."""
    ours = analysis.layer_table(model)
    ours = ours[ours["type"].isin(OPS.values())].reset_index(drop=True)
    rows, k = [], 0
    for _, r in book[book["operation"].isin(OPS)].iterrows():
        while ours.loc[k, "type"] != OPS[r["operation"]]:
            k += 1
        layer = ours.loc[k]
        k += 1
        shape = tuple(layer["output_shape"])
        shape = (1, 1) + shape if len(shape) == 1 else shape
        out_c = num_classes if r["out_c"] == "C" else int(r["out_c"])
        printed = (int(r["out_h"]), int(r["out_w"]), out_c)
        ours_window = window(model.get_layer(layer["layer"]))
        rows.append({
            "row": r["row"], "operation": r["operation"], "book": book_window(r),
            "ours": ours_window, "book output": "x".join(map(str, printed)),
            "layer": layer["layer"], "our output": "x".join(map(str, shape)),
            "params": int(layer["params"]),
            "agrees": printed == shape and book_window(r) == ours_window,
        })
    return pd.DataFrame(rows)


# %%
# NBVAL_CHECK_OUTPUT
book_alex = analysis.load_table("seed004_alexnet_table3_1")
print(book_vs_model(book_alex, alexnet, num_classes=1000).to_string(index=False))
print(f"\nAlexNet (single tower, 1000 classes): {alexnet.count_params():,} parameters")

# %% [markdown]
# Every AlexNet row agrees, LRN hyper-parameters included (the zoo's LRN puts `alpha` on the
# plain sum, as the AlexNet paper and the book's eq. 3.1 do; section 2.1 below compares this
# with the other convention). Our AlexNet is one tower: the original split conv2, conv4 and
# conv5 across two GPUs, so each saw only half of the previous maps and the original has
# fewer parameters (about 61M; the book does not print a total). The book's row 22 prints
# `d = 4096` for the last FC layer but an output of `1 x 1 x C`; the model has `C` units.
#
# VGG-16:

# %%
# NBVAL_CHECK_OUTPUT
book_vgg = analysis.load_table("seed004_vgg16_table3_2")
table_vgg = book_vs_model(book_vgg, vgg16, num_classes=1000)
print(table_vgg.to_string(index=False))
printed_total = analysis.load_table("seed001_vgg_configs").set_index("config").loc["D", "params_M_printed"]
print(f"\nVGG-16 parameters: {vgg16.count_params():,} (printed in the VGG paper: {printed_total}M)")

# %% [markdown]
# All output sizes agree, but row 31 does not: the book prints the last pooling as
# `f = 7, s = 1`, which maps 14x14 to 8x8, not to the 7x7 it prints. The model (and the VGG
# paper) use `f = 2, s = 2` like every other VGG pool. The kit's copy of the table keeps the
# printed values, with a note on each inconsistent row:

# %%
# NBVAL_CHECK_OUTPUT
for _, r in book_vgg[book_vgg["note"].notna() & book_vgg["note"].str.startswith("inconsistent")].iterrows():
    print(f'row {r["row"]}: {r["note"]}')

# %% [markdown]
# ### 2.1 Local response normalisation (局部响应规范化): eq. 3.1, its two conventions, eq. 3.2
#
# AlexNet normalises each activation by the activity of its neighbours *across channels* at the
# same position. With `a^d_{i,j}` the (ReLU'd) response of channel `d` at `(i, j)` and `N`
# channels, the book writes (eq. 3.1)
#
# $$ b^d_{i,j} = a^d_{i,j} \Big/ \Big(k + \alpha \sum_{d'=\max(0,\, d-n/2)}^{\min(N-1,\, d+n/2)} (a^{d'}_{i,j})^2\Big)^{\beta} $$
#
# with AlexNet's `k = 2, n = 5, α = 1e-4, β = 0.75` (table 3.1). Below, the formula is written
# as NumPy loops that follow the equation's index limits literally, and compared with the kit's
# layer `course_lib.layers.LocalResponseNormalization` and with TensorFlow's kernel.

# %%
import tensorflow as tf

from course_lib.layers import LocalResponseNormalization


def lrn_book(a, n, k, alpha, beta, alpha_over_n=False):
    """Eq. 3.1 with explicit loops over channels; a: (..., N)."""
    N = a.shape[-1]
    scale = alpha / n if alpha_over_n else alpha
    b = np.empty_like(a)
    for d in range(N):
        lo, hi = max(0, d - n // 2), min(N - 1, d + n // 2)
        b[..., d] = a[..., d] / (k + scale * np.sum(a[..., lo:hi + 1] ** 2, axis=-1)) ** beta
    return b


# %%
# NBVAL_CHECK_OUTPUT
a = np.maximum(np.random.default_rng(4).normal(0, 20, (2, 6, 6, 32)), 0).astype("float32")  # ReLU'd
alexnet_lrn = dict(n=5, k=2.0, alpha=1e-4, beta=0.75)
ours = keras.ops.convert_to_numpy(LocalResponseNormalization(size=5, alpha=1e-4, beta=0.75, k=2.0)(a))
tf_lrn = tf.nn.local_response_normalization(a, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75).numpy()
ours_mean = keras.ops.convert_to_numpy(
    LocalResponseNormalization(size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="mean")(a))
book = lrn_book(a, **alexnet_lrn)
book_over_n = lrn_book(a, **alexnet_lrn, alpha_over_n=True)
print("alpha on the sum (AlexNet, the book, TensorFlow):")
print("   layer == eq. 3.1 loops:", np.allclose(ours, book, rtol=1e-5),
      "| tf.nn.local_response_normalization == eq. 3.1:", np.allclose(tf_lrn, book, rtol=1e-5))
print("alpha / n (Caffe, PyTorch's nn.LocalResponseNorm), alpha_mode='mean':")
print("   layer == loops with alpha/n:", np.allclose(ours_mean, book_over_n, rtol=1e-5))
print(f"the two conventions differ by up to {np.max(np.abs(ours - ours_mean) / np.abs(ours).max()):.1%} "
      "of the largest output on this input")

# %% [markdown]
# The two conventions give the same layer only if `α` is rescaled by `n`: copying AlexNet's
# `α = 1e-4` into PyTorch's `nn.LocalResponseNorm(size=5, alpha=1e-4)` normalises five times
# more weakly than the paper. The kit's layer names the choice (`alpha_mode="sum"` or `"mean"`).
#
# **Eq. 3.2: L2 normalisation is a special case.** The book notes that with `k = 0, n = N,
# α = 1, β = 0.5` LRN becomes the classic L2 normalisation `b = a / ||a||_2` over the channels.
#
# **Think first.** Eq. 3.1 sums from `max(0, d - n/2)` to `min(N-1, d + n/2)`. With `n = N`,
# which channels does the window of the first channel (`d = 0`) cover? Is that every channel?

# %%
# NBVAL_CHECK_OUTPUT
C = a.shape[-1]
l2 = a / np.sqrt(np.sum(a ** 2, axis=-1, keepdims=True))  # NumPy: a / ||a||_2 over channels
for n in (C, 2 * C - 1):
    b = keras.ops.convert_to_numpy(LocalResponseNormalization(size=n, alpha=1.0, beta=0.5, k=0.0)(a))
    same = np.isclose(b, l2, rtol=1e-5).all(axis=(0, 1, 2))
    print(f"n = {n:2d}: equals a/||a||_2 in {same.sum():2d} of {C} channels "
          f"(those whose window covers all {C}: {np.flatnonzero(same).tolist()[:4]}...)")
b = keras.ops.convert_to_numpy(LocalResponseNormalization(size=2 * C - 1, alpha=1.0, beta=0.5, k=0.0)(a))
print("unit L2 norm over channels at every position:", np.allclose(np.linalg.norm(b, axis=-1), 1.0, atol=1e-5))

# %% [markdown]
# Read literally, `n = N` centres the window on `d` and clips it at the edges, so it covers
# all channels only for the channel in the middle (the cell prints which; the layer's window is
# `[d - n//2, d + (n-1)//2]`). Eq. 3.2 holds for every channel once the window reaches all of
# them from any `d`: `n ≥ 2N - 1`. The book's "`n = N`" means "the sum runs over all
# channels", which is what eq. 3.2 writes.
#
# ### 2.2 AlexNet's training tricks and what they were reported to be worth
#
# The book credits AlexNet's success partly to its training techniques — ReLU, LRN, data
# augmentation (数据增广) and dropout (随机失活) — and gives the gain of one of them (LRN).
# The AlexNet paper reports the others. These are **the sources' numbers, on ImageNet
# (ILSVRC-2010/2012, 1.2M images, two GPUs, about 90 epochs)**; the kit does not re-measure them
# (an ImageNet run is out of reach here). LRN's value at CIFAR scale is VGG's comparison of
# configurations A and A-LRN; the cell after the table says, from the experiments'
# definitions, at which budgets notebook 04 trains it.

# %%
# NBVAL_CHECK_OUTPUT
tricks = pd.DataFrame([
    ("ReLU instead of tanh", "AlexNet paper §3.1 (Fig. 1)",
     "a 4-layer CNN reaches 25% training error on CIFAR-10 six times faster"),
    ("two GPUs (twice the kernels)", "AlexNet paper §3.2",
     "top-1 / top-5 error -1.7 / -1.2 points vs half the kernels on one GPU"),
    ("local response normalisation", "book §3.2.1 and AlexNet paper §3.3",
     "top-1 / top-5 error -1.4 / -1.2 points; a 4-layer CNN on CIFAR-10: 13% -> 11% error"),
    ("overlapping pooling (3x3, stride 2)", "AlexNet paper §3.4",
     "top-1 / top-5 error -0.4 / -0.3 points vs 2x2, stride 2"),
    ("data augmentation: crops and flips", "AlexNet paper §4.1",
     "without it, 'substantial overfitting' (no number)"),
    ("data augmentation: PCA colour shift", "AlexNet paper §4.1", "top-1 error -1 point or more"),
    ("dropout 0.5 in the two FC layers", "AlexNet paper §4.2",
     "without it, 'substantial overfitting'; it doubles the iterations to converge"),
], columns=["technique", "reported by", "reported effect (ImageNet unless noted)"])
print(tricks.to_string(index=False))


# %%
def lrn_comparison_text():
    """Where notebook 04 compares VGG's A and A-LRN, from vgg-depth's definition."""
    vgg = get_experiment("vgg-depth")
    pair = ["VGG-A-CIFAR", "VGG-A-LRN-CIFAR"]
    assert all(label in vgg.labels for label in pair), vgg.labels  # the experiment defines it
    # notebook 04 runs the budget's default set at quick and full (smoke: a fixed pair)
    budgets = {b: vgg.default_models(b) for b in ("quick", "full")}
    compares = [b for b, labels in budgets.items() if all(m in labels for m in pair)]
    text = (f"The experiment `vgg-depth` defines the comparison A vs A-LRN ({' and '.join(pair)} "
            "are among its models). ")
    if compares:
        text += (f"Notebook 04 reports it at {' and '.join(f'`{b}`' for b in compares)}, where "
                 "the budget's default set holds both")
        read = {}
        for b in compares:
            seeds = {label: [s for m, s in vgg.budget(b).shipped if m == label] for label in pair}
            read[b] = [f"{label} seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))}"
                       for label, s in seeds.items() if s]
        text += "".join(f"; at `{b}` it reads {' and '.join(runs)} from the records the kit ships "
                        "instead of training them" for b, runs in read.items() if runs) + ". "
    for b, labels in budgets.items():
        if b not in compares:
            text += (f"At `{b}` its default set is {', '.join(labels)}, so notebook 04 does not "
                     f"report A vs A-LRN there (add {', '.join(m for m in pair if m not in labels)} "
                     "with `models=[...]`). ")
    return text


display(Markdown(lrn_comparison_text()))

# %% [markdown]
# The gains were measured one at a time on the full model, so they need not add up, and each is
# one run of a network that took five to six days to train: no spread is reported. The
# overlapping pooling is visible in the zoo's AlexNet (`f=3 s=2` pools in the table above), LRN
# in its `lrn1`/`lrn2` layers, dropout after `fc1`/`fc2`.
#
# ## 3. Network-in-Network: mlpconv and global average pooling
#
# NIN replaces each linear conv by a small MLP applied at every position — a conv followed by
# two 1x1 convs ("mlpconv", the `cccp` layers below) — and drops the FC classifier: the last
# mlpconv has one map per class and **global average pooling** (全局平均汇合) turns each map
# into that class's score. `build("NIN")` is Lin et al.'s CIFAR-10 model:

# %%
# NBVAL_CHECK_OUTPUT
nin = build("NIN")
t = analysis.layer_table(nin)
print(t[["layer", "type", "output_shape", "params"]].to_string(index=False))
print(f"\ntotal: {nin.count_params():,} parameters, no Dense layer")

# %% [markdown]
# What does global average pooling save? The last map is 8x8 with 10 channels after `cccp6`.
# A classic head — flatten the 8x8x192 map of `cccp5` and an FC layer to 10 classes — would
# need `8·8·192·10 + 10` parameters; the 1x1 conv + GAP head needs `192·10 + 10`. And each
# class score is literally the mean of its own map, which is what makes NIN's maps
# interpretable as class confidence maps:

# %%
# NBVAL_CHECK_OUTPUT
print("FC head on 8x8x192:", analysis.conv_params(8, 192, 10), "parameters | 1x1 conv + GAP:",
      analysis.conv_params(1, 192, 10))
probe = keras.Model(nin.input, [nin.get_layer("cccp6").output, nin.get_layer("global_avg_pool").output])
maps, pooled = probe(np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32"))
maps, pooled = keras.ops.convert_to_numpy(maps), keras.ops.convert_to_numpy(pooled)
print("class score == mean of its 8x8 map:", np.allclose(maps.mean(axis=(1, 2)), pooled, atol=1e-6))

# %% [markdown]
# ## 4. Highway and residual blocks
#
# Deeper nets are harder to optimise. A **highway** layer (Srivastava et al.; book eq. 3.5)
# lets the signal bypass the transformation `H` through a learned gate `T`:
#
# $$ y = H(x, W_H)\cdot T(x, W_T) + x\cdot\big(1 - T(x, W_T)\big). $$
#
# `T = 0` copies the input, `T = 1` is a plain layer. `course_lib.models.classic.highway_block`
# builds it from Keras layers, with the gate's bias starting at -1 so that the block starts
# nearer the identity than a plain layer. We check the formula on the block's own
# intermediate outputs:

# %%
# NBVAL_CHECK_OUTPUT
from course_lib.models.classic import highway_block

inputs = keras.Input((8, 8, 16))
outputs = highway_block(inputs, name="hw")
block = keras.Model(inputs, outputs)
parts = keras.Model(inputs, [block.get_layer("hw_h").output, block.get_layer("hw_t").output, outputs])
x = np.random.default_rng(1).standard_normal((4, 8, 8, 16)).astype("float32")
H, T, y = (keras.ops.convert_to_numpy(v) for v in parts(x))
print("y == H*T + x*(1-T):", np.allclose(y, H * T + x * (1 - T), atol=1e-5))
print(f"mean transform gate at initialisation: {T.mean():.2f} (sigmoid(-1) = {1 / (1 + np.e):.2f})")
print("parameters:", block.count_params(), "= two 3x3 convs 16 -> 16 (H and T):", 2 * analysis.conv_params(3, 16, 16))

# %% [markdown]
# A **residual** block (He et al.; book eq. 3.7) drops the gates: `y = F(x) + x`, the layers
# learn the residual `F(x) = y - x`, and the identity shortcut costs no parameters. The zoo's
# CIFAR nets (`Plain-20/56`, `ResNet-20/56`, He et al. section 4.2) are twins: the same conv
# layers, with or without shortcuts; where the shape changes the shortcut subsamples and pads
# channels with zeros (option A), so the parameter counts are identical:

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for name in ("Plain-20", "ResNet-20", "Plain-56", "ResNet-56"):
    m = build(name)
    types = analysis.layer_table(m)["type"].value_counts()
    rows.append({"model": name, "params": m.count_params(), "Conv2D": types.get("Conv2D", 0),
                 "Add (shortcuts)": types.get("Add", 0), "ZeroPadShortcut": types.get("ZeroPadShortcut", 0)})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# For very deep nets the book (Fig. 3.10) shows the **bottleneck** block: 1x1 to reduce the
# channels, 3x3 on the thin map, 1x1 to expand again. On 256 channels it costs about as much
# as a basic block on 64 channels, while the block's input and output are 4x wider:

# %%
# NBVAL_CHECK_OUTPUT
basic_64 = 2 * analysis.conv_params(3, 64, 64, bias=False)
bottleneck_256 = (analysis.conv_params(1, 256, 64, bias=False) + analysis.conv_params(3, 64, 64, bias=False)
                  + analysis.conv_params(1, 64, 256, bias=False))
basic_256 = 2 * analysis.conv_params(3, 256, 256, bias=False)
print(f"basic block, 64 channels:       {basic_64:,} weights")
print(f"bottleneck block, 256 channels: {bottleneck_256:,} weights")
print(f"basic block, 256 channels:      {basic_256:,} weights")

# %% [markdown]
# ### 4.1 A residual net is a deeper VGG without the FC layers (book Fig. 3.11)
#
# The book's Fig. 3.11 (He et al.'s Fig. 3) puts three networks side by side: VGG-19, a
# 34-layer plain net and the same net with shortcuts. Without its shortcuts the residual net
# is a deeper VGG; and it ends with global average pooling (全局平均汇合) and one FC layer
# instead of VGG's three, which removes most of the parameters.
#
# **Think first.** VGG-19 has 19 weight layers, the residual net 34. Which one do you expect to
# have more parameters, and which more multiply-adds per image?
#
# VGG-19 is the zoo's `VGG-E`. The zoo's residual nets are the CIFAR ones, so the two ImageNet
# 34-layer nets of the figure are written out here from He et al.'s Table 1: a 7x7/2 conv with
# 64 maps, a 3x3/2 max pool, then 3, 4, 6 and 3 blocks of two 3x3 convs with 64, 128, 256 and
# 512 maps (stride 2 in the first conv of the last three stages), global average pooling and a
# 1000-way FC layer; batch normalisation after every conv. Where the shape changes, the
# shortcut subsamples and pads with zeros (option A, the dotted shortcuts of the figure; the
# zoo's `ZeroPadShortcut`).

# %%
from course_lib.models.resnet import ZeroPadShortcut


def imagenet_34(residual):
    """He et al.'s 34-layer plain or residual ImageNet net (Table 1), option-A shortcuts."""
    def conv_bn(x, filters, kernel, strides, name, relu=True):
        x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                                name=f"{name}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x

    inputs = keras.Input((224, 224, 3))
    x = conv_bn(inputs, 64, 7, 2, "conv1")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for stage, (width, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3)), start=2):
        for b in range(1, blocks + 1):
            stride = 2 if (b == 1 and stage > 2) else 1
            y = conv_bn(x, width, 3, stride, f"conv{stage}_{b}a")
            y = conv_bn(y, width, 3, 1, f"conv{stage}_{b}b", relu=False)
            if residual:
                shortcut = x if stride == 1 else ZeroPadShortcut(width, strides=stride,
                                                                 name=f"conv{stage}_{b}_short")(x)
                y = keras.layers.Add(name=f"conv{stage}_{b}_add")([y, shortcut])
            x = keras.layers.ReLU(name=f"conv{stage}_{b}_out")(y)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = keras.layers.Dense(1000, name="fc1000")(x)
    return keras.Model(inputs, outputs, name=f"{'residual' if residual else 'plain'}-34")


vgg19, plain34, resnet34 = build("VGG-E"), imagenet_34(False), imagenet_34(True)

# %%
# NBVAL_CHECK_OUTPUT
printed_gflops = {"VGG-E": 19.6, "plain-34": 3.6, "residual-34": 3.6}  # He et al., Fig. 3 / Table 1
cost = []
for model in (vgg19, plain34, resnet34):
    t = analysis.layer_table(model)
    weight_layers = int(t["type"].isin(["Conv2D", "Dense"]).sum())
    cost.append({"model": model.name, "weight layers": weight_layers,
                 "params (M)": round(model.count_params() / 1e6, 1),
                 "in FC layers (M)": round(t.query("type == 'Dense'")["params"].sum() / 1e6, 1),
                 "multiply-adds (G)": round(int(t["macs"].sum()) / 1e9, 2),
                 "printed by He et al. (G)": printed_gflops[model.name]})
print(pd.DataFrame(cost).to_string(index=False))
print("shortcuts in residual-34:", len(analysis.architecture_column(resnet34)[1]),
      "| of them dashed (shape changes):", sum(d for *_, d in analysis.architecture_column(resnet34)[1]))

# %% [markdown]
# He et al. count "FLOPs" as multiply-adds: VGG-19 19.6 billion, the 34-layer nets 3.6 billion
# — both agree with the computed column to the printed precision. The residual net has almost
# twice the weight layers of VGG-19 at under a fifth of its multiply-adds and less than a sixth
# of its parameters, and VGG-19 keeps
# most of its parameters in the FC layers. The shortcuts themselves cost nothing: the plain and
# residual nets have exactly the same parameters. The figure, drawn from the three models
# (`analysis.plot_architecture`; solid arcs are identity shortcuts, dashed ones subsample and
# pad; the grey numbers are the output sizes):

# %%
analysis.plot_architecture([vgg19, plain34, resnet34], box_height=0.2);

# %% [markdown]
# ## 5. The degradation experiment (book Fig. 3.8)
#
# He et al. trained plain nets of 20 and 56 layers on CIFAR-10: the 56-layer net had *higher*
# training and test error — not overfitting, an optimisation problem. With shortcuts the
# deeper net wins. Their Fig. 6 shows the same at every depth step (20, 32, 44, 56 layers).
# The experiment `resnet-degradation` trains the nets with one command (`run_experiment`,
# `models=None`: the budget's default set). What each budget trains comes from its definition
# (the table below): `smoke` only proves that the pipeline runs (this notebook trains just the
# 20-layer pair there: a 56-layer net needs minutes only to compile on a CPU); `quick` trains
# what fits a 2-core CPU, with 32 layers instead of 56 as in He et al.'s Fig. 6 (the
# experiment's notes give the measurements behind that choice); `full` is the source's
# schedule on CIFAR-10 (a GPU). A budget may list runs whose records the kit ships
# (`course_lib/shipped_results/`, trained with the same budget by `python tools/ship_records.py
# resnet-degradation`): those are read instead of trained, and the tables below mark them.
# Other nets of the experiment can be added with `models=[...]`.

# %%
def budget_row(name):
    b = exp.budget(name)
    models = DEGRADATION_MODELS if (name == "smoke" and DEGRADATION_MODELS) else exp.default_models(b)
    shipped = [run for run in b.shipped if run[0] in models]  # (label, seed)
    return {"budget": name, "models": ", ".join(models), "seeds": len(exp.seeds(b)),
            "runs": len(models) * len(exp.seeds(b)), "of them shipped": len(shipped),
            "epochs": b.epochs or exp.epochs,
            "train images": "all" if b.train_limit is None else f"{b.train_limit:,}",
            "widths x": b.width_multiplier,
            "augmentation": exp.augment if b.augment is None else b.augment}


print(pd.DataFrame([budget_row(b) for b in ("smoke", "quick", "full")]).to_string(index=False))

# %% [markdown]
# Each run writes a record with its per-epoch history to `results/resnet-degradation/` (a
# second seed's record ends in `__seed1.json`). **To resume** after an interruption, run the
# cell again: finished runs are read back from their records, an interrupted one continues
# from its last completed epoch.

# %%
from course_lib.train import run_experiment, run_model, verify_record

from course_lib.train.results import results_dir
# $COURSE_RESULTS_DIR if set, Google Drive on Colab once mounted, else the kit's results/
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))
records = run_experiment("resnet-degradation", models=DEGRADATION_MODELS, dataset=dataset,
                         budget=BUDGET, results_dir=RESULTS_DIR)


def origin(record):
    return "shipped" if record.get("shipped") else "trained here"


here = [r for r in records if not r.get("shipped")]
for r in here:  # shipped records come without their model: nothing to reload
    verify_record(r)  # reloads the saved .keras, re-evaluates it, raises if the error differs
run_labels = list(dict.fromkeys(r["label"] for r in records))
shipped_runs = [f"{r['label']} seed {r['seed']}" for r in records if r.get("shipped")]
print(f"{len(records)} runs: {', '.join(run_labels)} x seeds {sorted({r['seed'] for r in records})}")
print(f"  {len(here)} trained in this notebook (or read back from its own earlier run); every "
      "saved model reproduces its record's test error")
print(f"  {len(shipped_runs)} read from records shipped with the kit"
      + (f": {', '.join(shipped_runs)}" if shipped_runs else ""))

# %% [markdown]
# Each record holds the per-epoch history: the running training error of the epoch and the
# test error after it. The curves of every model in the records, in the layout of the book's
# Figure 3.8 (left: training error, right: test error), drawn by
# `analysis.plot_training_curves` once training is over (the live plot above shows only the run
# in progress): for each model the mean over its seeds, a band from the lowest to the highest
# seed, and each seed as a thin line.

# %%
kinds = sorted({label.split("-")[0] for label in run_labels})
depths = sorted({int(label.split("-")[1]) for label in run_labels})
curves_fig = analysis.plot_training_curves(records, models=run_labels)
curves_fig.suptitle(
    f"{' and '.join(kinds)} nets of {', '.join(map(str, depths))} layers on {dataset}, budget "
    f"{BUDGET!r} ({len(records)} runs)\n{curves_fig.get_suptitle()}", fontsize=10)
epochs_drawn = sorted({h["epoch"] for r in records for h in r["history"]})
if len(epochs_drawn) <= 12:  # a tick on every epoch (also when there is only one)
    for ax in curves_fig.axes:
        ax.set_xticks(epochs_drawn)
curves_fig.tight_layout()

# %%
residual = [label for label in run_labels if label.startswith("ResNet")]
if residual:
    twins = [(label, "Plain" + label[len("ResNet"):]) for label in residual]
    text = (("The residual nets " if len(residual) > 1 else "The residual net ")
            + " and ".join(residual) + (" are" if len(residual) > 1 else " is")
            + " in these records: compare " + ("each" if len(residual) > 1 else "it")
            + " with its plain twin of equal depth ("
            + "; ".join(f"{r} vs {p}" + ("" if p in run_labels else f" — {p} not in the records")
                        for r, p in twins)
            + "); the verdicts below judge the pairs that the source claims.")
else:
    text = ("No residual net is in this budget's records, so the figure shows plain nets only: "
            "the second half of Fig. 3.8, shortcuts fix the deeper net, is not tested here. Add "
            "the twins with `run_experiment(\"resnet-degradation\", models=[...])`.")
display(Markdown(text))

# %% [markdown]
# One row per run (model and seed), with its origin (trained here, or read from a record the
# kit ships), then the mean and spread over the seeds of each model
# (`course_lib.train.reporting.seed_summary`; `test std %` is the sample standard deviation,
# empty with one seed):

# %%
from course_lib.train.reporting import (claimed_orderings, compare_ordering, records_frame,
                                        seed_summary)

runs = records_frame(records)
runs["narrowed by budget"] = [r["architecture"]["changed_by_budget"] for r in records]
runs["origin"] = [origin(r) for r in records]
print(runs[["label", "seed", "origin", "params (M)", "epochs", "train error %", "test error %",
            "narrowed by budget"]].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
by_seed = seed_summary(runs)
assert by_seed["seeds"].sum() == len(records)  # every record counted once
by_seed[["label", "seeds", "train mean %", "train std %", "test mean %", "test std %",
         "test min %", "test max %"]]

# %% [markdown]
# ### Ours next to the source, and what the numbers allow
#
# He et al. trained on all of CIFAR-10 (45k/5k train/validation split for tuning, then 50,000
# images) for 64k iterations at batch 128 (about 164 epochs), full widths (16/32/64 maps), with
# flips and 4-pixel shifts. Their Table 6 prints the test error of the residual nets
# (ResNet-20 8.75%, ResNet-56 6.97%); the plain nets appear only as curves (Fig. 6, the book's
# Fig. 3.8), where plain-56 ends above plain-20 in both training and test error.
#
# Ours below `full` is far from that setting: `fashion_mnist32` instead of CIFAR-10 (a different
# task: its numbers cannot agree or disagree with the source's), fewer training images,
# narrower nets, a few epochs instead of about 164 with a schedule made for a short run, and at
# `quick` no flips or shifts (a few epochs underfit the augmented task) and 32 layers instead
# of 56 for the deeper net. The cell prints this budget's settings from the experiment's
# definition, and the table puts each of our records next to the source's setting; it is
# built from the records, so it describes whatever run produced them.

# %%
he_table6 = {"ResNet-20": 8.75, "ResNet-32": 7.51, "ResNet-56": 6.97}  # He et al., Table 6 (CIFAR-10)
ours_vs_source = pd.DataFrame([{
    "model": r["label"], "seed": r["seed"], "dataset": r["dataset"],
    "train images": r["config"]["num_train"], "epochs": r["epochs_completed"],
    "width x": r["architecture"]["width_multiplier"], "test images": r["config"]["num_test"],
    "test error (%)": r["test_error_pct"], "origin": origin(r),
    "He et al. test error (%)": he_table6.get(r["label"], "curve only (Fig. 6)"),
} for r in records]).set_index(["model", "seed"])
assert ours_vs_source.index.is_unique  # one row per (model, seed)
for r in records:  # the table holds the records' own numbers
    assert ours_vs_source.loc[(r["label"], r["seed"]), "test error (%)"] == r["test_error_pct"]
    assert ours_vs_source.loc[(r["label"], r["seed"]), "epochs"] == len(r["history"])
print(f"source setting: cifar10, 50,000 train images, ~164 epochs ({exp.epochs} in the "
      f"experiment's definition), widths x1, learning rate {exp.optimizer.learning_rate} "
      f"({exp.schedule.kind} schedule), augmentation {exp.augment}")
ours_budget = exp.budget(BUDGET)
schedule = ours_budget.schedule or exp.schedule
print(f"this budget ({BUDGET!r}): {dataset}, learning rate "
      f"{ours_budget.learning_rate or exp.optimizer.learning_rate} ({schedule.kind} schedule"
      + (f", warm-up over the first {schedule.warmup_fraction:.0%} of the steps"
         if schedule.warmup_fraction else "")
      + f"), augmentation {exp.augment if ours_budget.augment is None else ours_budget.augment}")
ours_vs_source

# %% [markdown]
# ### How to compare two models
#
# This is the first notebook of the course that judges a claim from runs, so before the
# verdicts, how to read them. The question is always the same: model B ended with a lower test
# error than model A; is B better, or did chance put it there?
#
# **Think first.** Plain-20 and Plain-32 each end at some error. How far apart must they be
# before the gap means something — and what else besides the architecture made those numbers?
#
# **1. Seed variance.** A run depends on its random seed (随机种子): the initial weights, the
# order of the images, dropout masks. Train the same net with another seed and it ends at
# another error: the `test std %` column above is that spread. So the seeds of a model are a
# *sample* of the runs it could have given, and a model's error is a mean over seeds with an
# uncertainty, like any mean of a sample. A seed index is not a fixed point either: the same
# seed on another machine (another CPU, another library version, another order of
# floating-point sums) is one more random draw. (Measured when the kit was prepared: notebook
# 05's CNN-A3 at `quick`, seed 0, ended at 14.55% on one 2-core machine and at 13.12% on
# another, with the same settings.)
#
# **2. Test-set sampling.** The test images are a sample too: of all the images the model could
# meet. An error rate `p` measured on `N` images has a standard error (标准误差) of
# `sqrt(p(1-p)/N)` (binomial sampling), even for a perfectly fixed model:

# %%
n_images = int(by_seed["num test"].iloc[0])
for p_err in (0.05, 0.13, 0.25):
    print(f"error {p_err:.0%} on {10_000:,} images: standard error "
          f"{100 * np.sqrt(p_err * (1 - p_err) / 10_000):.2f} points", end="")
    print(f" | on this budget's {n_images:,} test images: "
          f"{100 * np.sqrt(p_err * (1 - p_err) / n_images):.2f} points")

# %% [markdown]
# So at 13% error on the 10,000 images of the Fashion-MNIST test set, the number itself is
# only known to about ±0.3 points (one standard error; a 95% interval is about twice that).
# Two models scored separately would add their two variances. But our two models score the
# **same** images, so compare them image by image — a *paired* comparison. Many images are
# easy for both and many hard for both; only the images on which the two models disagree
# carry information about the difference, and the paired standard error counts only those.
# Here for two of our nets (the first pair whose ordering the source claims) and the first
# seed they share, from the per-image results that every record keeps (`test_correct`):

# %%
# the first pair whose test-error ordering the source claims, else the first two models
claimed = [(lower, higher) for _, lower, higher, split in claimed_orderings("resnet-degradation")
           if split == "test" and lower in run_labels and higher in run_labels]
first, second = claimed[0] if claimed else run_labels[:2]
pair = {label: {r["seed"]: r for r in records if r["label"] == label and "test_correct" in r}
        for label in (first, second)}
common = sorted(set(pair[first]) & set(pair[second]))
if not common:
    print(f"no seed of {first} and {second} kept per-image results: nothing to pair")
else:
    seed = common[0]
    a_wrong, b_wrong = (~analysis.decode_correct(pair[label][seed]["test_correct"])
                        for label in (first, second))
    N = len(a_wrong)
    print(f"{first} vs {second}, seed {seed}, {N:,} test images:")
    print(f"  both wrong {np.sum(a_wrong & b_wrong):,} | only {first} wrong "
          f"{np.sum(a_wrong & ~b_wrong):,} | only {second} wrong {np.sum(~a_wrong & b_wrong):,} "
          f"| both right {np.sum(~a_wrong & ~b_wrong):,}")
    p_a, p_b = a_wrong.mean(), b_wrong.mean()
    per_image = b_wrong.astype(float) - a_wrong.astype(float)  # +1, 0 or -1 per image
    print(f"  difference {100 * (p_b - p_a):+.2f} points ({second} minus {first}); its "
          f"standard error unpaired {100 * np.sqrt((p_a * (1 - p_a) + p_b * (1 - p_b)) / N):.2f}, "
          f"paired {100 * per_image.std(ddof=1) / np.sqrt(N):.2f}")

# %% [markdown]
# **3. Why two seeds are not enough.** The rule this course used before was "the ordering
# holds when the two models' seed ranges do not overlap". With two seeds per model, two
# *equally good* models pass that rule surprisingly often. `analysis.simulate_equal_models`
# draws many pairs of equal models (the same true error, seed noise only) and counts how often
# each rule calls them different:

# %%
for n_seeds in (2, 3):
    sim = analysis.simulate_equal_models(seeds=n_seeds, draws=2_000)
    false_verdicts = sim["verdict"]["supports"] + sim["verdict"]["contradicts"]
    print(f"{n_seeds} seeds per model, {sim['draws']:,} pairs of equal models: seed ranges do "
          f"not overlap in {sim['old rule']:.1%} (about 1 in {1 / sim['old rule']:.0f}); the "
          f"verdict below calls them different in {false_verdicts:.1%}, "
          f"'inconclusive' in {sim['verdict']['inconclusive']:.1%}, 'inconclusive (too few "
          f"seeds)' in {sim['verdict']['inconclusive (too few seeds)']:.1%}")

# %% [markdown]
# With two seeds, a model's spread rests on a single difference: there is no way to tell a
# model that varies a lot from one that happened to land two close seeds. The verdict the kit
# uses therefore needs at least three seeds per model and refuses otherwise, and it puts a 95%
# confidence interval (置信区间) on the difference that counts both sources of chance. Its
# method, in a paragraph (`analysis.method_paragraph()`):

# %%
import textwrap

print(textwrap.fill(analysis.method_paragraph(), 100))

# %% [markdown]
# **Exercise (how to compare).** Three seeds per model, each scored on the same 10,000 test
# images (no per-image results kept): Plain-20 ended at 12.67, 12.96 and 12.81% test error,
# Plain-32 at 15.45, 15.90 and 15.62%. (a) Compute by hand the difference
# `d = mean(Plain-20) - mean(Plain-32)`, the two parts of its variance, the 95% interval and
# the verdict on "Plain-20 < Plain-32". (b) Keep the spreads but move Plain-20 up by 2.4
# points (15.07, 15.36, 15.21): what is the verdict now? (c) And with only the first two seeds
# of each model, in (a)? Check your answers with `analysis.compare_models(plain32, plain20,
# "B < A", n_test=10_000)` (A is Plain-32, B is Plain-20, the net claimed to be better).
#
# *Hint:* seed part `s_A²/3 + s_B²/3` (sample variances, `ddof=1`), test-set part
# `p_A(1-p_A)/N + p_B(1-p_B)/N` in points² (multiply the proportions by 100); here the test-set
# part dominates, the degrees of freedom are in the hundreds and `t ≈ 1.97`
# (`analysis.t_quantile(0.975, df)`).
#
# <details>
# <summary>Answer</summary>
#
# (a) Means 12.813 and 15.657, so `d = -2.84` points. Seed part: variances 0.0210 and 0.0516,
# `0.0210/3 + 0.0516/3 = 0.0242`; test-set part: `12.81·87.19/10,000 + 15.66·84.34/10,000 =
# 0.112 + 0.132 = 0.244`; together 0.268, a standard error of 0.518 points. The
# Welch-Satterthwaite degrees of freedom come out near 400, so `t = 1.97` and the interval is
# `-2.84 ± 1.02 = [-3.86, -1.83]`: wholly below zero, the verdict is **supports**. (b) `d =
# -0.44`, the same half-width gives `[-1.49, 0.61]`, which contains zero: **inconclusive** —
# a 0.44-point gap is within what the seeds and 10,000 images can produce by chance.
# (c) **inconclusive (too few seeds)**, whatever the gap: with two seeds each the spread of a
# model is not known well enough (three seeds is the minimum; the simulation above shows why).
#
# </details>
#
# ### The verdicts on our runs
#
# The cell checks each ordering the source claims with
# `course_lib.train.reporting.compare_ordering`, which calls `analysis.compare_models` on the
# seeds of the two nets (paired on the test set, from the records' per-image results; the
# training error, a running mean over the last epoch, has no per-image results and is
# judged with the binomial part). It prints the difference in mean error with its 95%
# interval and the word; an ordering whose nets are not in this budget's records is listed
# as such.

# %%
claims = claimed_orderings("resnet-degradation") + [
    ("ResNet-56 < ResNet-20 (He et al., Table 6)", "ResNet-56", "ResNet-20", "test")]
summary_by_label = by_seed.set_index("label")
verdicts = []
for claim, lower, higher, split in claims:
    if lower not in summary_by_label.index or higher not in summary_by_label.index:
        print(f"{claim}: not in this budget's records")
        continue
    result = compare_ordering(summary_by_label.loc[lower], summary_by_label.loc[higher], split)
    verdicts.append({"claim": claim, "split": split, "seeds": f"{result['result'].n_lower}+"
                     f"{result['result'].n_higher}", **result})
    print(f"{claim} [{split}]: {lower} {result['lower mean %']:.2f}% vs {higher} "
          f"{result['higher mean %']:.2f}% -> {result['verdict']}")
    if result["result"].note:
        print(f"    note: {result['result'].note}")
columns = ["claim", "split", "seeds", "lower mean %", "higher mean %", "difference", "ci low",
           "ci high", "word"]
pd.DataFrame(verdicts)[columns].round(2) if verdicts else None  # nothing to show when no pair was run

# %%
import dataclasses

if verdicts:  # the split in each label: the same pair is judged on train and test error
    analysis.plot_verdicts(
        [dataclasses.replace(v["result"], claim=f"{v['result'].claim} ({v['split']})")
         for v in verdicts],
        title=f"resnet-degradation, {dataset}, budget {BUDGET!r}\n"
              "left of 0: the claimed direction");

# %% [markdown]
# He et al.'s claim is the pair of orderings "plain-56 worse than plain-20" and "ResNet-56
# better than plain-56 (and than ResNet-20)", at the end of a long schedule (their Fig. 6
# shows the same for 32 layers). Read only the verdicts printed above: "supports" means the
# whole 95% interval lies on the claimed side of zero, "contradicts" that it lies wholly on
# the other side; "inconclusive" is not evidence either way, and "inconclusive (too few
# seeds)" means the budget did not train enough seeds to judge. A short run sits in the first
# epochs of their curves, so even a clear verdict here says what happens early in training on
# another dataset; `smoke` proves the pipeline runs and nothing else. Only a run on the
# source's setting (`full`, a GPU), with at least three seeds, tests the claim itself.
#
# ## 6. Distributed representation and the hierarchy of features
#
# ### Before deep learning: the bag-of-words model (book Fig. 3.2)
#
# The book introduces distributed representation by contrast with the **bag-of-words model**
# (词包模型) of classic computer vision: cut each image into local patches, cluster the patches
# of many images into a **vocabulary** (词典) of **visual words** (视觉单词), and describe an
# image by how often each word occurs — a **representation vector** (表示向量) in which every
# dimension is one explicit visual pattern. The book calls this a discrete representation
# (离散式表示). Its Fig. 3.2 is a schematic; here the pipeline runs on `fashion_mnist32` with
# NumPy: 6x6 patches every 3 pixels, k-means with 16 words.
#
# **Think first.** If a dimension of the vector is "how many patches look like word 7", what can
# the representation say about *where* in the image word 7 occurs?

# %%
from course_lib.data import load

bow_data = load("fashion_mnist32", batch_size=256, limit=512)
bow_images, bow_labels = next(iter(bow_data.test))
grey = (bow_images.numpy() + np.array(bow_data.info.mean)).mean(axis=-1)  # (N, 32, 32), [0, 1]
P, STEP, WORDS = 6, 3, 16
patches = np.lib.stride_tricks.sliding_window_view(grey, (P, P), axis=(1, 2))[:, ::STEP, ::STEP]
per_image = patches.shape[1] * patches.shape[2]
flat_patches = patches.reshape(-1, P * P)

rng_bow = np.random.default_rng(0)
centres = flat_patches[rng_bow.choice(len(flat_patches), WORDS, replace=False)]
for _ in range(15):  # k-means (Lloyd's algorithm)
    assign = ((flat_patches[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    centres = np.stack([flat_patches[assign == w].mean(0) if np.any(assign == w) else centres[w]
                        for w in range(WORDS)])
histograms = np.stack([np.bincount(a, minlength=WORDS) for a in assign.reshape(-1, per_image)]) / per_image
print(f"{len(flat_patches):,} patches of {P}x{P} from {len(grey)} images ({per_image} per image), "
      f"{WORDS} visual words; each image -> a {WORDS}-dimensional vector")

# %%
picks = [int(np.flatnonzero(bow_labels.numpy() == c)[0]) for c in (1, 7) if np.any(bow_labels.numpy() == c)]
fig = plt.figure(figsize=(12, 3.2))
ax_img = fig.add_subplot(1, 4, 1)
ax_img.imshow(grey[picks[0]], cmap="gray")
for r in range(0, 32 - P + 1, STEP):
    for c in range(0, 32 - P + 1, STEP):
        ax_img.add_patch(plt.Rectangle((c - 0.5, r - 0.5), P, P, fill=False, lw=0.3, ec="tab:orange"))
ax_img.set_title(f"(a) local patches ({per_image} per image)", fontsize=9)
ax_img.axis("off")
ax_words = fig.add_subplot(1, 4, 2)
vocab = analysis.filter_grid(centres.T.reshape(P, P, 1, WORDS), channels="mean", columns=4)
ax_words.imshow(vocab, interpolation="nearest")
ax_words.set_title(f"(b) vocabulary: {WORDS} visual words", fontsize=9)
ax_words.axis("off")
for k, idx in enumerate(picks):
    ax = fig.add_subplot(1, 4, 3 + k)
    ax.bar(range(WORDS), histograms[idx], color="tab:blue")
    ax.set(xlabel="visual word", ylabel="share of patches" if k == 0 else None, ylim=(0, histograms[picks].max() * 1.1))
    ax.set_title(f"({'cd'[k]}) vector of a {bow_data.info.class_names[int(bow_labels[idx])]}", fontsize=9)
plt.tight_layout()

# %% [markdown]
# Each bar is one named pattern, counted over the whole image: the vector says *what* occurs
# and how often, not where, and one word is one pattern. In a CNN the relation is many-to-many.
#
# ### Distributed representation in a trained CNN
#
# The book (section 3.1.2, Fig. 3.3) shows that one channel of a deep layer responds to
# different parts of different images (the paws of one bird, the background of another), and
# that one part (a bird's body) drives several channels: concepts and neurons map
# many-to-many — a **distributed representation** (分布式表示). Section 3.1.3 adds the
# **hierarchy**: shallow layers respond to edges and textures, deeper ones to larger, more
# semantic patterns (Zeiler & Fergus).
#
# To look at this we need a trained model: seed 000's `CNN-A2` (five conv layers, `conv1` at
# 32x32, `conv2`/`conv3` at 16x16, `conv4`/`conv5` at 8x8) on `fashion_mnist32` at this
# notebook's budget, seed 0 — at `smoke` and `quick` exactly the run of notebook 01 (and 02),
# which the runner finds by its record (with `full`, the same run as notebook 02's).
# The runner saves the trained model beside each record (`<record>.keras`), so we load it;
# only if the run does not exist yet is it trained now.

# %%
from pathlib import Path

# notebook 01's run: same experiment, model, dataset, budget and seed, so it is read back
feature_run = dict(dataset="fashion_mnist32", budget=BUDGET, results_dir=RESULTS_DIR,
                   seed=get_experiment("param-distribution").seed)
run = run_model("param-distribution", "CNN-A2", **feature_run)
verify_record(run)  # reloads the saved .keras, re-evaluates it, raises if the error differs
net = keras.models.load_model(Path(run["_path"]).with_suffix(".keras"))
print(f"CNN-A2 on fashion_mnist32 ({BUDGET}): test error {run['test_error_pct']:.1f}% on "
      f"{run['config']['num_test']:,} test images, after {run['epochs_completed']} epoch(s) on "
      f"{run['config']['num_train']:,} images at widths x{run['architecture']['width_multiplier']} "
      f"(seed 000's CIFAR-10 setting: 50,000 images, widths x1; the book's Fig. 3.3 uses a network "
      "pre-trained on ImageNet, pool5 maps of 7x7x512)")

# %% [markdown]
# `analysis.activation_maps` returns the feature maps of `conv1`, `conv3` and `conv5` for a batch
# of test images (preprocessed exactly as in training by `course_lib.data.load`; the same
# images as the bag-of-words above).

# %%
LAYERS = ("conv1", "conv3", "conv5")
images, labels = bow_images, bow_labels
feature_maps = analysis.activation_maps(net, images.numpy(), LAYERS)
shown = np.clip(images.numpy() + np.array(bow_data.info.mean), 0, 1)
for name, fm in feature_maps.items():
    print(f"{name}: {fm.shape[1]}x{fm.shape[2]} maps x {fm.shape[3]} channels")

# %% [markdown]
# **What does one unit see?** Section 1 computed receptive fields as numbers; here they are
# drawn on a test image for the unit at the centre of each layer's map
# (`analysis.plot_receptive_fields`, from `analysis.receptive_fields`). A `conv5` unit's field
# is larger than the 32x32 image: part of what it "sees" is padding.
#
# **Think first.** `conv1` is 5x5 and there are two 3x3/2 pools on the way to `conv5`. Before
# running the cell, estimate the field of a `conv3` unit.

# %%
centre_units = [(name, (feature_maps[name].shape[1] // 2, feature_maps[name].shape[2] // 2))
                for name in LAYERS]
analysis.plot_receptive_fields(shown[0], net, centre_units,
                               title="CNN-A2: receptive fields of centre units on a test image");

# %% [markdown]
# **Distributed representation.** Four `conv5` channels (columns, chosen as the channels with
# the highest mean response) on four images of different classes (rows), each map upsampled
# to the image and laid over it. The same channel lights up on different parts of different
# objects, and each object activates several channels. All maps share one colour scale (the
# colour bar: from 0, ReLU's floor, to the largest response shown), so a faint map is a weak
# response, not a stretched one.

# %%
fm5 = feature_maps["conv5"]
channels = np.argsort(fm5.mean(axis=(0, 1, 2)))[::-1][:4]
rows_ = [int(np.flatnonzero(labels.numpy() == c)[0]) for c in (0, 5, 7, 9)
         if np.any(labels.numpy() == c)][:4]
class_names = bow_data.info.class_names
vmax = float(fm5[rows_][..., channels].max()) or 1.0  # one scale for every map shown
fig, axes = plt.subplots(len(rows_), len(channels) + 1, layout="constrained",
                         figsize=(2.1 * (len(channels) + 1) + 0.8, 2.1 * len(rows_)))
for i, idx in enumerate(rows_):
    axes[i, 0].imshow(shown[idx])
    axes[i, 0].set_title(class_names[labels.numpy()[idx]], fontsize=9)
    for j, ch in enumerate(channels, start=1):
        heat = np.kron(fm5[idx, :, :, ch], np.ones((4, 4)))  # 8x8 -> 32x32
        axes[i, j].imshow(shown[idx].mean(axis=-1), cmap="gray")
        overlay = axes[i, j].imshow(heat, cmap="magma", alpha=0.6, vmin=0.0, vmax=vmax)
        axes[i, j].set_title(f"conv5 channel {ch}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle(f"CNN-A2 ({BUDGET}): four conv5 channels on four test images", fontsize=10)
fig.colorbar(overlay, ax=axes[:, 1:], shrink=0.8, label="conv5 activation (one scale for all maps)");

# %% [markdown]
# **Hierarchy.** For two channels of each layer, the five test images that activate the
# channel most (its strongest response anywhere in the map). Each picture is the patch that
# the strongest unit actually sees — its receptive field, from `analysis.receptive_fields`:
# 5x5 pixels for `conv1`, 15x15 for `conv3`; a `conv5` unit sees more than the 32x32 image,
# so whole images are shown.

# %%
rf_cnn = analysis.receptive_fields(net).set_index("layer")


def top_images(fm, channel, k=5):
    """Indices and positions of the k images whose strongest response in `channel` is highest."""
    flat = fm[..., channel].reshape(len(fm), -1)
    order = np.argsort(flat.max(axis=1))[::-1][:k]
    return [(int(n), np.unravel_index(int(flat[n].argmax()), fm.shape[1:3])) for n in order]


def patch(n, pos, layer):
    """The input patch seen by unit `pos` of `layer` in image n (zero outside the image)."""
    rf, jump, start = (rf_cnn.loc[layer, c] for c in ("rf", "jump", "start"))
    r0, c0 = (int(round(start + p * jump - (rf - 1) / 2)) for p in pos)
    padded = np.pad(shown[n], ((rf, rf), (rf, rf), (0, 0)))
    return padded[r0 + rf:r0 + 2 * rf, c0 + rf:c0 + 2 * rf]


k = 5
fig, axes = plt.subplots(len(LAYERS) * 2, k, figsize=(1.6 * k, 1.7 * len(LAYERS) * 2))
for li, layer in enumerate(LAYERS):
    fm = feature_maps[layer]
    strongest = np.argsort(fm.max(axis=(0, 1, 2)))[::-1][:2]
    for ci, ch in enumerate(strongest):
        row = 2 * li + ci
        for j, (n, pos) in enumerate(top_images(fm, ch, k)):
            whole = rf_cnn.loc[layer, "rf"] >= shown.shape[1]
            axes[row, j].imshow(shown[n] if whole else patch(n, pos, layer), interpolation="nearest")
            axes[row, j].axis("off")
        axes[row, 0].set_title(f"{layer} ch {ch} (rf {rf_cnn.loc[layer, 'rf']})", fontsize=8, loc="left")
plt.tight_layout()

# %% [markdown]
# With the `smoke` budget the network has seen only a few images (the line printed where the
# model was loaded says how many, and for how many epochs): its channels are close to random
# filters, and the pictures show the mechanics, not learned features. After a `quick`
# or `full` run, look for what Zeiler and Fergus describe: `conv1` patches that share an edge
# of one orientation or contrast, `conv3` patches that share a texture or a part (a collar, a
# heel), and `conv5` rows dominated by one or two classes.

# %% [markdown]
# ## Summary
#
# * Receptive fields grow by `(k-1)·jump` per layer; three 3x3 convs see 7x7 with 27C² instead
#   of 49C² weights and three non-linearities instead of one.
# * The zoo's AlexNet and VGG-16 reproduce the book's tables 3.1 and 3.2 (whose row 31 is
#   inconsistent). LRN's `α` multiplies the sum (AlexNet, TensorFlow) or the mean (Caffe,
#   PyTorch); with `k = 0, α = 1, β = 0.5` and a window over all channels it is L2
#   normalisation. AlexNet's tricks were each worth about a point of ImageNet error *in its
#   paper*.
# * NIN's global average pooling and the residual nets' single FC layer remove the parameters
#   that AlexNet and VGG keep in their FC layers; shortcuts cost nothing.
# * A bag-of-words vector has one named pattern per dimension; a CNN's channels and concepts
#   map many-to-many, and deeper layers see larger fields and more abstract patterns.
# * Seeds and test images are samples: a comparison of two models reports the difference in
#   mean error with a 95% interval that counts both (Welch t over seeds, paired on the shared
#   test images) and one word — supports, contradicts, inconclusive — and needs at least three
#   seeds per model; with two, equal models have non-overlapping seed ranges about one time in
#   three.
# * A quick or smoke result is read against its setting; only the source's setting tests the
#   source's claim.
#
# ## 练习 (exercises, ungraded)
#
# Answers are at the end of the notebook; try first.
#
# 1. Using `analysis.receptive_fields` (or `analysis.receptive_field_arithmetic`), find the
#    smallest number of 3x3 stride-1 convs (no pooling) whose receptive field covers a whole
#    32x32 CIFAR image. How many would you need with one 2x2 stride-2 pool after every second
#    conv?
#    *Hint:* without pooling the field is `1 + 2L`; a pool doubles the jump.
# 2. Build VGG-16 with `build("VGG-D", input_shape=(384, 384, 3))` and compare the parameters
#    of its `fc1` with those of the 224x224 model. Why does the fully convolutional version of
#    notebook 02, section 5, run on 384x384 images without any new parameters?
#    *Hint:* what does `Flatten` produce from a 12x12x512 map?
# 3. Set the highway gate bias to `-3` (`highway_block(..., gate_bias=-3.0)`): what is the mean
#    gate now, and what does that mean for the gradient reaching the block's input?
#    *Hint:* `sigmoid(-3)`; differentiate `H·T + x·(1 - T)` with respect to `x` at fixed `T`.
# 4. Rerun section 5 with `BUDGET = "quick"` (or `full` on a GPU). Does the deeper plain net
#    (the deepest plain net the budget trains) end with a higher *training* error than the
#    20-layer one, and does the verdict support that ordering? Is it overfitting?
#    *Hint:* read the verdict lines (word and interval), not the bare numbers; compare the
#    training with the test error.
# 5. PyTorch's `nn.LocalResponseNorm(size, alpha, beta, k)` divides `alpha` by `size`. Which
#    `alpha` reproduces AlexNet's LRN there? Check it with `LocalResponseNormalization(...,
#    alpha_mode="mean")` against the `ours` output of section 2.1.
#    *Hint:* the two conventions agree when `alpha_mean / n == alpha_sum`.
# 6. Cut a `fashion_mnist32` image into a 2x2 grid of 16x16 tiles and swap the tiles. How much
#    does its bag-of-words vector change? And the `conv5` feature maps of `CNN-A2`?
#    *Hint:* patches that cross the tile borders change; count them, or just compute both.
# 7. Give `imagenet_34(True)` projection shortcuts (He et al.'s option B: a 1x1 conv with stride
#    2 and batch normalisation where the shape changes). How many parameters does that add?
#    *Hint:* `conv_params(1, C_in, C_out, bias=False)` for the three stage changes, plus
#    `4·C_out` per batch normalisation (2 of them trainable).
#
# ## Next
#
# The graded assignment
# [`assignments/2-custom-keras-layers`](../assignments/2-custom-keras-layers/student/custom-keras-layers.ipynb)
# has you write the LRN of section 2.1 (and the recurrent convolutional layer of notebook 05)
# as Keras 3 layers, tested against reference formulas like `lrn_book` above. Notebook 04 takes
# up VGG's experiments; whether LRN helps (configuration A vs A-LRN), from the experiments'
# definitions:

# %%
display(Markdown(lrn_comparison_text()))

# %% [markdown]
# <details>
# <summary><b>Answers</b> (ungraded; open after trying)</summary>
#
# 1. Without pooling, `1 + 2L ≥ 32` gives `L = 16` (field 33; 15 convs reach 31). With a 2x2/2
#    pool after every second conv the fields are 3, 5, (pool) 6, 10, 14, (pool) 16, 24, 32: six
#    convs suffice.
# 2. At 384x384 the last map is 12x12x512, so `fc1` has `12·12·512·4096 + 4096 = 301,993,984`
#    parameters instead of `102,764,544`: a different model. The fully convolutional version
#    keeps `fc1` as a 7x7 conv with the *same* `7·7·512·4096` weights and slides it over the
#    12x12 map (a 6x6 grid of scores): the kernel does not depend on the input size.
# 3. `sigmoid(-3) ≈ 0.047`: the block starts as `y ≈ 0.05·H + 0.95·x`, nearly the identity. The
#    gradient reaching `x` through the carry path is `(1 - T) ≈ 0.95` times the upstream
#    gradient (plus the small part through `H` and `T`), so deep stacks of such blocks pass
#    gradients almost unchanged at the start of training.
# 4. At `quick` each net has three seeds, so the verdict on "Plain-20 < Plain-32 in train
#    error" (section 5) is read from this budget's own runs: its difference, its 95% interval
#    and its word are printed there. **Supports** means the interval lies below zero: the
#    deeper plain net trains worse by more than seeds and test-set sampling explain. That is
#    not overfitting: the deeper net is worse on the *training* images too, so it is an
#    optimisation problem — degradation, as in He et al.'s Fig. 6, where the deeper plain
#    net's curve lies above the shallower one's throughout training. **Inconclusive** says
#    that four epochs at these widths cannot separate the two nets, not that they are equal.
#    A verdict can read "supports" only whenever each net has at least three seeds (with
#    fewer it reads "inconclusive (too few seeds)": then the gap alone is no evidence). At
#    `full` (one seed per net) every verdict reads "inconclusive (too few seeds)" until you
#    add seeds (`seeds=3`).
# 5. `alpha = 5 · 1e-4 = 5e-4` with `size = 5`, `beta = 0.75`, `k = 2`:
#    `LocalResponseNormalization(size=5, alpha=5e-4, beta=0.75, k=2.0, alpha_mode="mean")(a)`
#    equals `ours`.
# 6. Only the patches that straddle the tile borders change (with 6x6 patches every 3 pixels,
#    those whose window crosses row or column 16), so the vector moves a little and most of it
#    is unchanged: it cannot tell the arrangement apart. The `conv5` maps change everywhere the
#    moved parts are, and in where they respond: the CNN keeps the layout in its maps.
# 7. `conv_params(1, 64, 128, bias=False) + conv_params(1, 128, 256, bias=False) +
#    conv_params(1, 256, 512, bias=False) = 172,032` weights, plus `2·(128 + 256 + 512) = 1,792`
#    trainable (`3,584` in all) batch-normalisation parameters: about 21.8M parameters in all.
#
# </details>
