# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/03_receptive_fields_and_classic_nets.ipynb)
#
# # 03 — Receptive fields, distributed representations and the classic networks
#
# Source: chapter 3 of 《解析卷积神经网络》 (Wei Xiu-Shen; seed 004) — receptive fields,
# distributed representation, the hierarchy of deep features, and four classic designs:
# AlexNet, VGG-Nets, Network-in-Network and residual networks (with highway networks on the
# way). The book's tables 3.1 and 3.2 are data here (`data/tables/`), and every table is
# regenerated from the models in `course_lib.models` and compared with the book row by row.
#
# ## 学习目标 (learning goals)
#
# 1. Compute the receptive field, jump and output size of every layer of AlexNet and VGG-16,
#    and explain why three 3x3 convs replace one 7x7 (same field, 27C² vs 49C² parameters).
# 2. Regenerate the book's AlexNet and VGG-16 tables from built models and spot where the
#    printed tables are inconsistent.
# 3. Explain mlpconv (1x1 convs) and global average pooling in NIN, the gates of a highway
#    block, and the shortcut of a residual block — and check each numerically.
# 4. Reproduce, at a small budget, the degradation experiment: a deeper *plain* network trains
#    worse, its residual twin does not.
# 5. See distributed representation and the feature hierarchy on the feature maps of a model
#    you trained.
#
# **Key terms.** receptive field 感受野 · jump (effective stride) 跳跃 (等效步长) ·
# distributed representation 分布式表示 · hierarchy of features 特征的层次性 ·
# feature map / channel 特征图 / 通道 · local response normalization 局部响应归一化 (规范化) ·
# mlpconv 多层感知机卷积 · global average pooling 全局平均汇合 (池化) ·
# highway network 高速公路网络 · transform gate / carry gate 变换门 / 携带门 ·
# residual block 残差模块 · shortcut (skip) connection 近路连接 · bottleneck 瓶颈 ·
# degradation 退化

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
# The degradation runs of section 5 use the offline Fashion-MNIST view `fashion_mnist32`
# (32x32x3) unless `BUDGET == "full"`, where they use CIFAR-10 like the book's Figure 3.8
# (downloaded by tensorflow-datasets on first use). The small model of section 6 is always
# trained on `fashion_mnist32`. With `BUDGET = "smoke"` the runs last seconds and only prove
# that the pipeline works; their numbers are not evidence. Use `quick` (minutes on a CPU) or
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
# plain sum, as the AlexNet paper and the book's eq. 3.1 do; notebook 05 compares the
# conventions). Our AlexNet is one tower: the original split conv2, conv4 and
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
# ## 5. The degradation experiment (book Fig. 3.8)
#
# He et al. trained plain nets of 20 and 56 layers on CIFAR-10: the 56-layer net had *higher*
# training and test error — not overfitting, an optimisation problem. With shortcuts the
# deeper net wins. The experiment `resnet-degradation` trains the four nets with one command
# (`run_experiment`; with `BUDGET = "smoke"` only the 20-layer pair, to keep the test run
# short); each run writes a record with its per-epoch history to
# `results/resnet-degradation/`. **To resume** after an interruption, run the cell again:
# finished runs are read back from their records, an interrupted one continues from its last
# completed epoch.

# %%
from course_lib.train import run_experiment, run_model

RESULTS_DIR = os.path.join("..", "results")  # the kit's results/ folder (this notebook runs in notebooks/)
# smoke: only the 20-layer pair (a 56-layer net needs minutes just to compile on a CPU)
models = ["Plain-20", "ResNet-20"] if BUDGET == "smoke" else None  # None: all four
records = run_experiment("resnet-degradation", models=models, dataset=dataset, budget=BUDGET,
                         results_dir=RESULTS_DIR)

# %% [markdown]
# Each record holds the per-epoch history: the running training error of the epoch and the
# test error after it. The curves, in the layout of the book's Figure 3.8 (left: training
# error, right: test error), with the residual twins added:

# %%
errors = pd.DataFrame([
    {"model": r["label"], "epoch": h["epoch"], "split": split, "error (%)": h[f"{split}_error_pct"]}
    for r in records for h in r["history"] for split in ("train", "test")
])
errors["kind"] = errors["model"].str.split("-").str[0]
errors["depth"] = errors["model"].str.split("-").str[1]
grid = sns.relplot(data=errors, x="epoch", y="error (%)", col="split", hue="depth", style="kind",
                   kind="line", marker="o", height=3.2, aspect=1.3)
grid.figure.suptitle(f"Plain vs residual, 20 vs 56 layers — {dataset}, budget {BUDGET!r}", y=1.04)
for ax in grid.axes.flat:
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))

summary = pd.DataFrame([{"model": r["label"], "params": r["params"]["total"],
                         "epochs": r["epochs_completed"],
                         "final train error (%)": r["train_error_pct"],
                         "test error (%)": r["test_error_pct"],
                         "narrowed by budget": r["architecture"]["changed_by_budget"]}
                        for r in records])
summary

# %% [markdown]
# What to look for: in He et al.'s runs (full CIFAR-10, 164 epochs) the 56-layer *plain* net
# ends with a higher training error than the 20-layer one, while ResNet-56 ends below
# ResNet-20. With `BUDGET = "smoke"` (one epoch on 128 images, widths x0.25, 20-layer nets
# only) these numbers only prove the pipeline runs. `quick` (3 epochs on 2,048 images, widths
# x0.5) is far too short to reproduce the figure — at best the first epochs of it; `full` is
# the experiment of the figure, on a GPU.
#
# ## 6. Distributed representation and the hierarchy of features
#
# The book (section 3.1.2, Fig. 3.3) shows that one channel of a deep layer responds to
# different parts of different images (the paws of one bird, the background of another), and
# that one part (a bird's body) drives several channels: concepts and neurons map
# many-to-many — a **distributed representation** (分布式表示). Section 3.1.3 adds the
# **hierarchy**: shallow layers respond to edges and textures, deeper ones to larger, more
# semantic patterns (Zeiler & Fergus).
#
# To look at this we need a trained model. We train seed 000's `CNN-A2` (five conv layers,
# `conv1` at 32x32, `conv2`/`conv3` at 16x16, `conv4`/`conv5` at 8x8) on `fashion_mnist32`
# with this notebook's budget, through the same runner. The runner keeps records, not
# weights, so a small callback hands us the trained model; if the run had already finished,
# it is trained again to get the weights into memory.

# %%
class KeepTrainedModel(keras.callbacks.Callback):
    """Keeps a reference to the model when training ends."""

    trained = None

    def on_train_end(self, logs=None):
        self.trained = self.model


keep = KeepTrainedModel()
feature_run = dict(dataset="fashion_mnist32", budget=BUDGET, results_dir=RESULTS_DIR,
                   epochs=10 if BUDGET == "full" else None)
run = run_model("param-distribution", "CNN-A2", callbacks=[keep], **feature_run)
if keep.trained is None:  # finished earlier: its record was read back, train again for the weights
    run = run_model("param-distribution", "CNN-A2", callbacks=[keep], rerun=True, **feature_run)
net = keep.trained
print(f"CNN-A2 on fashion_mnist32 ({BUDGET}): test error {run['test_error_pct']:.1f}% "
      f"after {run['epochs_completed']} epoch(s)")

# %% [markdown]
# A probe model returns the feature maps of `conv1`, `conv3` and `conv5` for a batch of test
# images (preprocessed exactly as in training by `course_lib.data.load`).

# %%
from course_lib.data import load

LAYERS = ("conv1", "conv3", "conv5")
probe = keras.Model(net.input, [net.get_layer(name).output for name in LAYERS])
test = load("fashion_mnist32", batch_size=256, limit=512).test
images, labels = next(iter(test))
feature_maps = {name: keras.ops.convert_to_numpy(keras.ops.cast(fm, "float32"))
                for name, fm in zip(LAYERS, probe(images, training=False))}
shown = np.clip(images.numpy() + np.array(load("fashion_mnist32", limit=512).info.mean), 0, 1)
for name, fm in feature_maps.items():
    print(f"{name}: {fm.shape[1]}x{fm.shape[2]} maps x {fm.shape[3]} channels")

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
class_names = load("fashion_mnist32", limit=64).info.class_names
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
# ## 练习 (exercises, ungraded)
#
# 1. Using `analysis.receptive_fields`, find the smallest number of 3x3 stride-1 convs (no
#    pooling) whose receptive field covers a whole 32x32 CIFAR image. How many would you need
#    with one 2x2 stride-2 pool after every second conv?
# 2. Build VGG-16 with `build("VGG-D", input_shape=(384, 384, 3))` and compare the parameters
#    of its `fc1` with those of the 224x224 model. Why does the fully convolutional version of
#    notebook 02, section 5, run on 384x384 images without any new parameters?
# 3. Set the highway gate bias to `-3` (`highway_block(..., gate_bias=-3.0)`): what is the mean
#    gate now, and what does that mean for the gradient reaching the block's input?
# 4. Rerun section 5 with `BUDGET = "quick"` (or `full` on a GPU). Does the 56-layer plain
#    net end with a higher *training* error than the 20-layer one?
