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
# 4. Reproduce, at a small budget, the degradation experiment: a deeper *plain* network trains
#    worse, its residual twin does not.
# 5. Contrast a bag-of-words representation (Fig. 3.2) with the distributed representation
#    and the feature hierarchy of a model you trained, and draw receptive fields on an image.
# 6. Redraw Fig. 3.11 (VGG-19 vs a 34-layer plain and residual net) from built models and
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
# degradation 退化

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
# evidence. Use `quick` (section 5 trains six runs, about 16 minutes on a 2-core CPU) or
# `full` (a GPU).

# %%
dataset = "cifar10" if BUDGET == "full" else "fashion_mnist32"
print("dataset:", dataset)

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
# (an ImageNet run is out of reach here), and notebook 04 tests LRN's value at CIFAR scale (VGG's
# A vs A-LRN).

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
# deeper net wins. The experiment `resnet-degradation` trains the nets with one command
# (`run_experiment`, `models=None`: the budget's default set). Per budget:
#
# * `smoke`: only the 20-layer pair, one seed, to keep the test run short (a 56-layer net needs
#   minutes just to compile on a CPU); it proves the pipeline runs and nothing else.
# * `quick`: the budget's default set, **Plain-20 and Plain-32, two seeds each** (four runs,
#   without augmentation): the figure's ordering, the deeper plain net worse, judged against
#   the spread between the two seeds of a model. It uses 32 layers instead of 56, as in He et
#   al.'s Fig. 6, where the plain nets' error rises at every depth step (20, 32, 44, 56): on
#   this CPU one 56-layer run takes about 5 minutes, and four epochs leave Plain-56 above the
#   16.5% line (the experiment's notes give the measurements). Add the residual twins to test
#   the second ordering, residual better than plain at equal depth, with
#   `models=["Plain-20", "Plain-32", "ResNet-32"]` (about 3 minutes a seed more), or the
#   56-layer pair with `models=[..., "Plain-56", "ResNet-56"]` (about 10 minutes a seed more).
# * `full`: the six nets (20, 32 and 56 layers, plain and residual), one seed, the source's
#   schedule on CIFAR-10 (a GPU).
#
# Each run writes a record with its per-epoch history to `results/resnet-degradation/` (a
# second seed's record ends in `__seed1.json`). **To resume** after an interruption, run the
# cell again: finished runs are read back from their records, an interrupted one continues
# from its last completed epoch.

# %%
from course_lib.train import get_experiment, run_experiment, run_model, verify_record

from course_lib.train.results import results_dir
# $COURSE_RESULTS_DIR if set, Google Drive on Colab once mounted, else the kit's results/
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))
exp = get_experiment("resnet-degradation")
# smoke: only the 20-layer pair (a 56-layer net needs minutes just to compile on a CPU);
# otherwise None: the budget's default set, each model with the budget's seeds
models = ["Plain-20", "ResNet-20"] if BUDGET == "smoke" else None
records = run_experiment("resnet-degradation", models=models, dataset=dataset, budget=BUDGET,
                         results_dir=RESULTS_DIR)
for r in records:
    verify_record(r)  # reloads the saved .keras, re-evaluates it, raises if the error differs
print(f"{len(records)} runs ({', '.join(sorted({r['label'] for r in records}))} x seeds "
      f"{sorted({r['seed'] for r in records})}): every saved model reproduces its record's "
      "test error")

# %% [markdown]
# Each record holds the per-epoch history: the running training error of the epoch and the
# test error after it. The curves, in the layout of the book's Figure 3.8 (left: training
# error, right: test error), with a residual twin added; with several seeds each line is the
# mean over seeds and the band spans the lowest to the highest seed:

# %%
errors = pd.DataFrame([
    {"model": r["label"], "seed": r["seed"], "epoch": h["epoch"], "split": split,
     "error (%)": h[f"{split}_error_pct"]}
    for r in records for h in r["history"] for split in ("train", "test")
])
errors["kind"] = errors["model"].str.split("-").str[0]
errors["depth"] = errors["model"].str.split("-").str[1]
grid = sns.relplot(data=errors, x="epoch", y="error (%)", col="split", hue="depth", style="kind",
                   kind="line", marker="o", errorbar=("pi", 100), height=3.2, aspect=1.3)
depths = " vs ".join(sorted(set(errors["depth"]), key=int))
grid.figure.suptitle(f"Plain vs residual, {depths} layers — {dataset}, budget {BUDGET!r}", y=1.04)
for ax in grid.axes.flat:
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))

# %% [markdown]
# One row per run (model and seed), then the mean and spread over the seeds of each model
# (`course_lib.train.reporting.seed_summary`; `test std %` is the sample standard deviation,
# empty with one seed):

# %%
from course_lib.train.reporting import (claimed_orderings, compare_ordering, records_frame,
                                        seed_summary)

runs = records_frame(records)
runs["narrowed by budget"] = [r["architecture"]["changed_by_budget"] for r in records]
print(runs[["label", "seed", "params (M)", "epochs", "train error %", "test error %",
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
# Ours at `quick` is far from that setting: `fashion_mnist32` instead of CIFAR-10 (a different
# task: its numbers cannot agree or disagree with the source's), 12,000 training images instead
# of 50,000, widths x0.5 (8/16/32 maps instead of 16/32/64), 4 epochs instead of about 164,
# no flips or shifts (four epochs underfit the augmented task), 32 layers instead of 56 for
# the deeper net, learning rate 0.05 with warm-up and cosine decay instead of 0.1 divided by
# 10 twice. The
# table below puts each of our records next to the source's setting; it is built from the
# records, so it describes whatever run produced them.

# %%
he_table6 = {"ResNet-20": 8.75, "ResNet-32": 7.51, "ResNet-56": 6.97}  # He et al., Table 6 (CIFAR-10)
ours_vs_source = pd.DataFrame([{
    "model": r["label"], "seed": r["seed"], "dataset": r["dataset"],
    "train images": r["config"]["num_train"], "epochs": r["epochs_completed"],
    "width x": r["architecture"]["width_multiplier"], "test images": r["config"]["num_test"],
    "test error (%)": r["test_error_pct"],
    "He et al. test error (%)": he_table6.get(r["label"], "curve only (Fig. 6)"),
} for r in records]).set_index(["model", "seed"])
assert ours_vs_source.index.is_unique  # one row per (model, seed)
for r in records:  # the table holds the records' own numbers
    assert ours_vs_source.loc[(r["label"], r["seed"]), "test error (%)"] == r["test_error_pct"]
    assert ours_vs_source.loc[(r["label"], r["seed"]), "epochs"] == len(r["history"])
print(f"source setting: cifar10, 50,000 train images, ~164 epochs ({exp.epochs} in the "
      "experiment's definition), widths x1")
ours_vs_source

# %% [markdown]
# **Think first.** Two seeds per model: how large must the gap between plain-20 and the
# deeper plain net be before it means anything?
#
# Two runs of the same net that differ only in the seed (initial weights, data order) already
# end at different errors; a gap between two nets is evidence only if it is larger than that.
# The cell checks each ordering the source claims with
# `course_lib.train.reporting.compare_ordering`: the gap between the means over seeds, and
# whether the seed ranges of the two nets separate ("the gap exceeds the spread"). With one
# seed (`smoke`, `full` here) there is no spread to judge against, and it says so; an ordering
# whose nets were not run at this budget is listed as such. For scale it also prints the
# sampling error of an error rate on `n` test images, `sqrt(p(1-p)/n)`, a floor under any
# spread.

# %%
claims = claimed_orderings("resnet-degradation") + [
    ("ResNet-56 < ResNet-20 (He et al., Table 6)", "ResNet-56", "ResNet-20", "test")]
summary_by_label = by_seed.set_index("label")
verdicts = []
for claim, lower, higher, split in claims:
    if lower not in summary_by_label.index or higher not in summary_by_label.index:
        print(f"{claim}: not run at this budget")
        continue
    result = compare_ordering(summary_by_label.loc[lower], summary_by_label.loc[higher], split)
    n = next(r for r in records if r["label"] == lower)["config"][
        "num_test" if split == "test" else "num_train"]
    p = result["lower mean %"] / 100
    sampling = 100 * np.sqrt(p * (1 - p) / n)
    verdicts.append({"claim": claim, **result})
    print(f"{claim} [{split}]: {lower} {result['lower mean %']:.2f}% vs {higher} "
          f"{result['higher mean %']:.2f}%, gap {result['gap']:+.2f} points "
          f"(sampling error on {n:,} images ~{sampling:.2f}) -> {result['verdict']}")
pd.DataFrame(verdicts) if verdicts else None  # nothing to show when no pair was run

# %% [markdown]
# He et al.'s claim is the pair of orderings "plain-56 worse than plain-20" and "ResNet-56
# better than plain-56 (and than ResNet-20)", at the end of a long schedule (their Fig. 6
# shows the same for 32 layers, which `quick` trains). Read only the
# verdicts printed above: an ordering counts as seen at this budget only where it says the gap
# exceeds the spread; "within the spread" is not evidence either way. A short run that stops
# in the first epochs of their curves can show the opposite without contradicting them (deeper
# nets start slower, and 4 epochs is the first 2-3% of their schedule); `smoke` runs only the
# 20-layer pair and proves the pipeline runs. Only a run on the source's setting (`full`, a
# GPU), with several seeds, tests the claim itself.
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
# objects, and each object activates several channels.

# %%
fm5 = feature_maps["conv5"]
channels = np.argsort(fm5.mean(axis=(0, 1, 2)))[::-1][:4]
rows_ = [int(np.flatnonzero(labels.numpy() == c)[0]) for c in (0, 5, 7, 9)
         if np.any(labels.numpy() == c)][:4]
class_names = bow_data.info.class_names
fig, axes = plt.subplots(len(rows_), len(channels) + 1, figsize=(2.1 * (len(channels) + 1), 2.1 * len(rows_)))
for i, idx in enumerate(rows_):
    axes[i, 0].imshow(shown[idx])
    axes[i, 0].set_title(class_names[labels.numpy()[idx]], fontsize=9)
    for j, ch in enumerate(channels, start=1):
        heat = np.kron(fm5[idx, :, :, ch], np.ones((4, 4)))  # 8x8 -> 32x32
        axes[i, j].imshow(shown[idx].mean(axis=-1), cmap="gray")
        axes[i, j].imshow(heat, cmap="magma", alpha=0.6)
        axes[i, j].set_title(f"conv5 channel {ch}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()

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
# With the `smoke` budget the network has seen 128 images once: its channels are close to
# random filters, and the pictures show the mechanics, not learned features. After a `quick`
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
# * A quick or smoke result is read against its setting, with its noise; only the source's
#   setting tests the source's claim.
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
#    (32 layers at `quick`, 56 at `full`) end with a higher *training* error than the
#    20-layer one — beyond the noise?
#    *Hint:* read the verdict lines, not the bare numbers.
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
# up VGG's experiments, including whether LRN helps (configuration A vs A-LRN).
#
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
# 4. It depends on the run: the cell prints each ordering with the gap, the sampling error
#    and the verdict against the spread over seeds. At `quick` the schedule ends in the first part of He et al.'s curves, where no
#    ordering is expected yet; the verdict lines say whether the gap between the two nets
#    exceeds the spread between the two seeds of each.
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
