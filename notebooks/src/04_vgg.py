# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/04_vgg.ipynb)
#
# # 04 — VGG: very deep networks of 3x3 convolutions
#
# Source: seed 001, a Chinese translation of Simonyan & Zisserman, "Very Deep Convolutional
# Networks for Large-Scale Image Recognition" (ICLR 2015). The paper fixes every design choice
# except depth — 3x3 convs, stride 1, padding 1, five 2x2 max pools, three FC layers — and
# compares configurations A (11 weight layers) to E (19) on ImageNet.
#
# ImageNet cannot be used in this course. So the notebook does two different things and keeps
# them apart: it rebuilds the paper's **networks exactly** (224x224 input, 1000 classes: the
# parameter counts, the layer shapes, the dense evaluation) and it rebuilds the paper's
# **experiments at CIFAR scale** (32x32 input, narrower layers: `VGG-*-CIFAR`, a course
# scale-down, not the paper's networks). Numbers from the paper are data with a source
# (`data/tables/seed001_*.csv`); numbers from our runs are measured here.
#
# ## 学习目标 (learning goals)
#
# 1. Build configurations A, A-LRN, B, C, D, E and check their parameter counts against the
#    printed 133/133/133/134/138/144M; say where the parameters of a VGG sit (the FC layers).
# 2. Explain why the paper dropped LRN (A vs A-LRN) and why C (1x1 convs) loses to D (3x3)
#    at equal depth.
# 3. Run the depth experiment A→E at CIFAR scale and read its numbers for what they are at
#    the chosen budget.
# 4. Convert the FC layers into convolutions (dense evaluation), predict the score-map size
#    for a larger image, and check that the scores are unchanged at the native size; explain
#    multi-crop evaluation and scale jittering.
# 5. Explain synchronous data parallelism (`tf.distribute.MirroredStrategy`): the batch is
#    split across replicas and the gradients are averaged, which gives the single-device
#    gradient.
#
# **Key terms.** configuration 配置 · weight layer 权重层 · depth 深度 · 3x3 convolution
# 3x3 卷积 · 1x1 convolution 1x1 卷积 · receptive field 感受野 · local response normalization
# (LRN) 局部响应归一化 · fully connected layer 全连接层 · dense evaluation 密集评估 ·
# class score map 类别得分图 · multi-crop evaluation 多裁剪评估 · training scale S 训练尺度 ·
# test scale Q 测试尺度 · scale jittering 尺度抖动 · data parallelism 数据并行 ·
# replica 副本 · gradient all-reduce 梯度全归约

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
# The budget sizes the one training experiment of this notebook (section 4). With
# `BUDGET = "smoke"` it trains two of the six configurations for one epoch on 128 images:
# that proves the pipeline runs and nothing else — **smoke numbers are not evidence**. `quick`
# trains all six on 2,048 images for 30 epochs instead of the budget's 3 (`VGG_EPOCHS`: after
# 3 epochs every plain VGG is still at chance; about 10 minutes on a CPU, still noisy); `full`
# trains them on CIFAR-10 with the paper's optimiser (a GPU job; CIFAR-10 is downloaded by
# tensorflow-datasets on first use). Below `full` the data is `fashion_mnist32`, the offline
# Fashion-MNIST view (32x32x3).

# %%
dataset = "cifar10" if BUDGET == "full" else "fashion_mnist32"
VGG_MODELS = (["VGG-A-CIFAR", "VGG-D-CIFAR"] if BUDGET == "smoke" else
              ["VGG-A-CIFAR", "VGG-A-LRN-CIFAR", "VGG-B-CIFAR", "VGG-C-CIFAR", "VGG-D-CIFAR",
               "VGG-E-CIFAR"])
VGG_EPOCHS = 30 if BUDGET == "quick" else None  # None: the budget's epochs (smoke 1, full 74)
RESULTS_DIR = os.path.join("..", "results")  # the kit's results/ folder (this notebook runs in notebooks/)
print(f"budget {BUDGET!r}: dataset {dataset!r}, models {VGG_MODELS}")

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import tensorflow as tf

# Section 8 shows a two-replica MirroredStrategy without two GPUs: split the CPU into two
# logical devices now, before TensorFlow initialises its devices.
try:
    _cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
except RuntimeError:
    pass  # devices already initialised (the cell was run again): keep the existing split

from course_lib import analysis
from course_lib.data import load
from course_lib.models import build, dense_scores, to_fully_convolutional
from course_lib.models.vgg import VGG_CONFIGS
from course_lib.train import get_experiment, report, run_experiment

sns.set_theme()
pd.set_option("display.width", 140)
tf.get_logger().setLevel("ERROR")  # tf.distribute logs every strategy and reduction at INFO
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 1. The configurations (配置)
#
# Every configuration is a list: an integer is a 3x3 conv with that many filters (stride 1,
# padding 1, ReLU), `(1, n)` a 1x1 conv, `"M"` a 2x2 max pool with stride 2, `"LRN"` a local
# response normalisation layer. After the fifth pool come FC-4096, FC-4096 (each with
# dropout 0.5 in training) and FC-1000 with softmax. Widths start at 64 and double after each
# pool up to 512.

# %%
# NBVAL_CHECK_OUTPUT
def weight_layers(config):
    return sum(1 for item in config if item not in ("M", "LRN")) + 3  # + FC1, FC2, FC3


for key, config in VGG_CONFIGS.items():
    text = " ".join(f"{item[1]}(1x1)" if isinstance(item, tuple) else str(item) for item in config)
    print(f"{key:6s} {weight_layers(config):2d} weight layers: {text}")

# %% [markdown]
# Why 3x3? Two stacked 3x3 convs see 5x5, three see 7x7 (notebook 03 works this out), with
# `27C²` instead of `49C²` weights for the 7x7 case and three ReLUs instead of one. The
# deeper configurations add such convs inside blocks 3–5, where the maps are small (56x56 and
# below), so depth costs few parameters.
#
# ## 2. Counting the parameters
#
# The printed sizes (133/133/133/134/138/144M) are those of the original paper's Table 2; the
# translation in seed 001 prints no configuration table, so `data/tables/seed001_vgg_configs.csv`
# records them with that source. We build each network at its real size (224x224x3, 1000
# classes) and count. The counts do not depend on the weight values, so the cell builds with
# `kernel_initializer="zeros"`: that skips drawing 130 million random numbers per model.

# %%
printed = analysis.load_table("seed001_vgg_configs").set_index("config")
rows, stats = [], {}
for key in VGG_CONFIGS:
    model = build(f"VGG-{key}", kernel_initializer="zeros")
    table = analysis.layer_table(model)
    rf = analysis.receptive_fields(model)
    fc = table[table["type"] == "Dense"]["params"].sum()
    stats[key] = {"macs": int(table["macs"].sum()),
                  "rf_pool5": int(rf.loc[rf["layer"] == "block5_pool", "rf"].item()),
                  "conv_params": int(table[table["type"] == "Conv2D"]["params"].sum())}
    rows.append({
        "config": key,
        "weight layers": int(table["type"].isin(["Conv2D", "Dense"]).sum()),
        "params": int(model.count_params()),
        "computed (M)": round(model.count_params() / 1e6, 1),
        "printed (M)": int(printed.loc[key, "params_M_printed"]),
        "FC share": f"{fc / model.count_params():.1%}",
        "GMACs / image": round(stats[key]["macs"] / 1e9, 2),
    })
    del model
counts = pd.DataFrame(rows).set_index("config")

# %%
# NBVAL_CHECK_OUTPUT
counts["agrees"] = counts["computed (M)"].round() == counts["printed (M)"]
print(counts.to_string())

# %% [markdown]
# All six agree with the printed sizes after rounding to whole millions. Two facts stand out:
#
# * **Depth is cheap in parameters.** E has 8 more weight layers than A but only 8% more
#   parameters: the added convs work on 28x28 and 14x14 maps with 256–512 channels.
# * **The FC layers hold most of the parameters** — 89% of D. `fc1` alone maps the 7x7x512
#   output of the last pool to 4,096 units: `7·7·512·4096 + 4096 = 102,764,544` weights.
#   Compute, on the other hand, sits in the convolutions (the GMACs column).

# %%
# NBVAL_CHECK_OUTPUT
vgg16 = analysis.layer_table(build("VGG-D", kernel_initializer="zeros"))
heavy = vgg16.sort_values("params", ascending=False).head(4)
print(heavy[["layer", "type", "output_shape", "params", "macs"]].to_string(index=False))
print(f"conv layers: {stats['D']['conv_params']:,} parameters, "
      f"{vgg16.loc[vgg16['type'] == 'Conv2D', 'macs'].sum() / vgg16['macs'].sum():.1%} of the MACs")

# %% [markdown]
# ## 3. A vs A-LRN: does local response normalisation help?
#
# A-LRN inserts AlexNet's LRN (局部响应归一化: `b = a / (k + α Σ a²)^β` over 5 neighbouring
# channels, k=2, α=1e-4, β=0.75) after the first conv. LRN has no weights, so the two
# networks have exactly the same parameters; it only costs memory and time:

# %%
# NBVAL_CHECK_OUTPUT
print("A     params:", f"{counts.loc['A', 'params']:,}")
print("A-LRN params:", f"{counts.loc['A-LRN', 'params']:,}")
lrn = build("VGG-A-LRN-CIFAR").get_layer("block1_lrn")
print("the LRN layer:", type(lrn).__name__, {k: lrn.get_config()[k] for k in ("size", "alpha", "beta", "k")})

# %% [markdown]
# The paper found no gain (Table 1 of the seed, single-scale top-1 error on ImageNet):

# %%
single = analysis.load_table("seed001_single_scale")
single[["config", "train_S_printed", "test_Q_printed", "top1_error_pct", "top5_error_pct", "source"]]

# %% [markdown]
# A and A-LRN both have 29.4% top-1 error (top-5: 11.2 vs 10.9), so B–E were built without
# LRN. Keep in mind what "the paper found" means here: one number per configuration, no
# repeats and no error bars reported.
#
# ## 4. Depth A→E at CIFAR scale (the experiment)
#
# The experiment `vgg-depth` trains the `VGG-*-CIFAR` versions of the six configurations with
# the paper's optimiser (SGD, momentum 0.9, weight decay 5e-4, batch 256, learning rate 0.01
# divided by 10 three times) and scores the test set three ways: single crop, multi-crop and
# dense evaluation (section 6). What the course changed, in the experiment's own words:

# %%
experiment = get_experiment("vgg-depth")
print(experiment.source)
print(experiment.notes)

# %% [markdown]
# At CIFAR scale each configuration keeps its layer pattern; the five pools take 32x32 down
# to 1x1, conv widths are x0.25 (16, 32, 64, 128, 128) and the FC layers have 128 units. The
# budget can narrow them further (smoke x0.25, quick x0.5): every record says whether it did.
# The cell trains the models of `VGG_MODELS`; a finished run is read back instead of trained
# again, and an interrupted one resumes from its last epoch — **to resume, run the cell
# again**.

# %%
records = run_experiment("vgg-depth", models=VGG_MODELS, dataset=dataset, budget=BUDGET,
                         epochs=VGG_EPOCHS, results_dir=RESULTS_DIR)

# %% [markdown]
# `report` reads every record of the experiment at this budget and dataset and prints ours next
# to the paper's numbers, each paper column labelled with its dataset and table (with
# `figures=True`, the default, it also saves seaborn figures under `results/vgg-depth/figures/`;
# from a shell: `python -m course_lib report vgg-depth`):

# %%
report("vgg-depth", results_dir=RESULTS_DIR, dataset=dataset, budget=BUDGET, figures=False);

# %%
def config_of(label):
    return label.removeprefix("VGG-").removesuffix("-CIFAR")


ours = pd.DataFrame([{
    "config": config_of(r["label"]),
    "params": r["params"]["total"],
    "narrowed by budget": r["architecture"]["changed_by_budget"],
    "epochs": r["epochs_completed"],
    **{f"{mode} error %": round(s["error_pct"], 2) for mode, s in r["test_errors"].items()},
} for r in records]).set_index("config")
print(f"ours: {dataset}, budget {BUDGET!r}")
ours

# %%
paper = single.groupby("config", sort=False).first()  # the S = 256 rows (A, A-LRN, B have only these)
both = pd.concat([
    pd.DataFrame({"config": ours.index, "top-1 error %": ours["single_crop error %"].values,
                  "what": f"ours: {dataset}, {BUDGET}"}),
    pd.DataFrame({"config": paper.index, "top-1 error %": paper["top1_error_pct"].values,
                  "what": "paper: ImageNet, S=Q=256 (seed 001 Table 1)"}),
], ignore_index=True)
grid = sns.catplot(data=both, x="config", y="top-1 error %", col="what", kind="bar",
                   order=list(VGG_CONFIGS), sharey=False, height=3.3, aspect=1.4, color="C0")
grid.set_titles("{col_name}")
plt.tight_layout()

# %% [markdown]
# How to read this. The right panel is the paper's: error falls from A (29.4%) to E (26.4%)
# at S = 256, and C (28.3%, with 1x1 convs) is worse than D (26.9%). The left panel is ours,
# on a different dataset at a tiny fraction of the training, with narrower networks. **With
# `BUDGET = "smoke"` these numbers only prove that the pipeline runs** (one epoch on 128
# images: every configuration is near chance, 90% error on 10 classes). `quick` shows
# something else first: **deep plain networks are hard to train from random weights**. When
# we ran `quick` while writing this notebook (seed 0), the two 11-layer nets learned (A 30.5%,
# A-LRN 40.5% test error after 30 epochs) while B, C, D and E were still at chance (89.5–90.5%),
# with their training error at chance too. That is the difficulty the paper met on
# ImageNet: it trained A from random weights and initialised the first four convs and the FC
# layers of the deeper nets from A (seed 001, section 3.1). The paper adds that Glorot's
# random initialisation works without that pre-training; our networks already use it
# (`glorot_uniform`), and at this learning rate and number of steps it is not enough — batch
# normalisation, which came later, is the usual remedy (exercise 3). Only `full` (74 epochs
# on CIFAR-10) is comparable with the paper in spirit — and still not in number, since
# CIFAR-10 is not ImageNet.
#
# ## 5. 1x1 (C) vs 3x3 (D) at equal depth
#
# C and D both have 16 weight layers. C's extra layer in blocks 3–5 is a 1x1 conv: a
# per-pixel linear map of the channels plus a ReLU — more non-linearity, no spatial context.
# D's is a 3x3 conv. The receptive field of the last pool tells the difference:

# %%
# NBVAL_CHECK_OUTPUT
for key in ("B", "C", "D"):
    print(f"{key}: {counts.loc[key, 'weight layers']} weight layers, "
          f"{counts.loc[key, 'params']:,} parameters, "
          f"receptive field at pool5 {stats[key]['rf_pool5']}x{stats[key]['rf_pool5']}")

# %% [markdown]
# C sees exactly what B sees (1x1 convs add nothing to the field) for 0.6M more parameters;
# D sees 212 of the 224 pixels. The paper (Table 1): B 28.6%, C 28.3%, D 26.9% top-1 at
# S = 256 — the extra non-linearity helps a little (C < B), the spatial context more (D < C).
#
# ## 6. Dense evaluation and multi-crop (密集评估与多裁剪)
#
# At test time the paper does not crop. It converts the FC layers into convolutions — FC1
# into a conv whose kernel covers the whole last feature map (7x7 at 224x224), FC2 and FC3
# into 1x1 convs — and runs the resulting fully convolutional net on the whole image rescaled
# to a smallest side `Q`. The output is a **class score map**, one channel per class, whose
# size grows with the image; its spatial average is the class score vector.
# `to_fully_convolutional` does the conversion with the weights copied. For the real VGG-16:

# %%
fully_conv_16 = to_fully_convolutional(build("VGG-D", kernel_initializer="zeros"))

# %%
# NBVAL_CHECK_OUTPUT
maps = {side: fully_conv_16.compute_output_shape((1, side, side, 3)) for side in (224, 256, 384, 512)}
for layer in ("fc1", "fc2", "predictions"):
    print(f"{layer:12s} -> {type(fully_conv_16.get_layer(layer)).__name__} "
          f"kernel {tuple(fully_conv_16.get_layer(layer).kernel.shape)}")
for side, shape in maps.items():
    print(f"input {side}x{side} -> score map {shape[1]}x{shape[2]}x{shape[3]}")
del fully_conv_16

# %% [markdown]
# The map side is `(Q / 32) - 7 + 1`: the net downsamples by 32 and FC1, now a 7x7 conv,
# needs 7x7 of the last feature map. A 384x384 image gives 6x6 = 36 windows of 224x224
# (stride 32) in one pass, the CS231n example — far cheaper than 36 crops, because the
# overlapping windows share their convolutions.
#
# On the native size the converted network must give *the same scores*: it is the same
# function, reshaped. The check on the CIFAR-scale VGG-A and eight Fashion-MNIST test images:

# %%
keras.utils.set_random_seed(0)
vgg_a = build("VGG-A-CIFAR")
fully_conv_a = to_fully_convolutional(vgg_a)
images, _ = next(iter(load("fashion_mnist32", batch_size=8, limit=64).test))

# %%
# NBVAL_CHECK_OUTPUT
original = keras.ops.convert_to_numpy(vgg_a(images, training=False))
score_map = keras.ops.convert_to_numpy(fully_conv_a(images, training=False))
maps = {side: fully_conv_a.compute_output_shape((8, side, side, 3))[1:] for side in (48, 64, 96)}
print("original output:", original.shape, "| score map:", score_map.shape)
print("same scores on 32x32:", np.allclose(original, score_map[:, 0, 0, :], atol=1e-5))
print("same predicted classes:", bool((original.argmax(1) == score_map[:, 0, 0, :].argmax(1)).all()))
for side, shape in maps.items():
    print(f"{side}x{side} input -> score map {shape}")

# %% [markdown]
# `dense_scores` does the paper's whole test-time procedure: rescale to each `Q`, run the
# fully convolutional net, average the score map over space, then over the scales and, with
# `flip=True`, over the image and its mirror image. At the native scale with no flip it is the
# original network:

# %%
# NBVAL_CHECK_OUTPUT
native = dense_scores(fully_conv_a, images)
multi = dense_scores(fully_conv_a, images, scales=(32, 48, 64), flip=True)
print("native-scale dense scores == original:", np.allclose(native, original, atol=1e-5))
print("multi-scale + flip scores:", multi.shape, "| rows sum to 1:", np.allclose(multi.sum(1), 1, atol=1e-5))

# %% [markdown]
# **Multi-crop** evaluation is the other way: cut several crops from the test image, classify
# each with the original net and average the posteriors. The original paper used 150 crops
# per image (a 5x5 grid x 2 flips x 3 scales; the translation gives no number); the runner's
# `multi_crop` mode uses the 10 crops of the CIFAR tradition (4 corners + centre of the image padded by 4 pixels, and their mirror
# images). The two differ at the borders: a crop is zero-padded at its own border, while in
# dense evaluation a window's context comes from the neighbouring image pixels. The paper
# found them complementary (Table 3 of the seed, ImageNet):

# %%
analysis.load_table("seed001_dense_vs_multicrop")[["config", "evaluation", "top1_error_pct", "top5_error_pct"]]

# %% [markdown]
# Our runs scored the test set in all three modes (the columns `single_crop`, `multi_crop`
# and `dense` of the table in section 4). Differences between them at `smoke` are noise.

# %%
modes = ours[[c for c in ours.columns if c.endswith("error %")]]
modes.columns = [c.removesuffix(" error %") for c in modes.columns]
modes

# %% [markdown]
# ## 7. Scale jittering (尺度抖动)
#
# The network input is always a 224x224 crop, but the image it is cropped from is first
# rescaled isotropically so that its smallest side is `S`, the **training scale**. With a
# fixed `S = 256` a crop covers most of the image; with `S = 512` it covers a quarter of it
# (an object part). **Scale jittering** draws `S` at random from `[256, 512]` for every image
# and every step: the network sees objects at many sizes — augmentation by scale. At test time
# the image is rescaled to `Q`; the paper evaluates a jittered model at several `Q` and
# averages. The seed's Table 1 lists three rows per deep configuration; for D: 26.9% top-1
# error at S = 256, 26.3% at S = 384 and 25.4% for the third row, the scale-jittered model
# of the paper's text (the translation prints its training side as "512", the paper trains
# it with S in [256, 512] and tests at Q = 0.5(256 + 512) = 384).
#
# The same idea at CIFAR scale: draw `S` in `[32, 64]`, resize, take a random 32x32 crop (the
# training pipeline of `course_lib.data` uses the padded-crop variant instead: zero-pad 4
# pixels, random 32x32 crop, random flip).

# %%
def scale_jitter(image, seed, s_min=32, s_max=64, crop=32):
    """Rescale so the smallest side is S ~ U[s_min, s_max], then take a random crop x crop."""
    s = tf.random.stateless_uniform([], seed, s_min, s_max + 1, dtype=tf.int32)
    height, width = image.shape[0], image.shape[1]
    scale = tf.cast(s, tf.float32) / min(height, width)
    size = tf.cast(tf.round(tf.constant([height, width], tf.float32) * scale), tf.int32)
    resized = tf.image.resize(image, size, method="bilinear")
    return tf.image.stateless_random_crop(resized, (crop, crop, image.shape[2]), seed + 1), int(s)


splits = load("fashion_mnist32", batch_size=8, limit=64)
image = next(iter(splits.test))[0][0].numpy() + np.array(splits.info.mean)  # undo mean subtraction
fig, axes = plt.subplots(1, 7, figsize=(13, 2.3))
axes[0].imshow(np.clip(image, 0, 1)); axes[0].set_title("original 32x32", fontsize=9)
for i, ax in enumerate(axes[1:]):
    crop, s = scale_jitter(tf.constant(image), tf.constant([0, i]))
    ax.imshow(np.clip(crop.numpy(), 0, 1)); ax.set_title(f"S = {s}", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.tight_layout()

# %% [markdown]
# ## 8. Multi-GPU data parallelism (数据并行)
#
# The paper trained on 4 GPUs (section 3.3 of the seed): each batch is split into one part per
# GPU, every GPU computes the gradient of its part, and the gradients are averaged before the
# update — synchronously, so the result is the same as training on one GPU, 3.75 times faster
# on 4 GPUs. TensorFlow calls this `tf.distribute.MirroredStrategy`: one **replica** of the
# model per device, variables mirrored, the batch split, gradients all-reduced.
#
# The runner chooses the strategy in `course_lib.train.gpu.configure`: all visible GPUs
# mirrored when there are two or more, the default (no-op) strategy otherwise; the model is
# built and compiled under `strategy.scope()`, and Keras' `fit` then splits each batch. A
# run's record says what was used. Passing `devices=` forces a strategy; here over the two
# logical CPUs made at the top of the notebook, so it runs on any machine:

# %%
from course_lib.train import gpu

single_device = gpu.configure()  # what the runner chooses on this machine
print("this machine:", single_device.description, "|", type(single_device.strategy).__name__,
      "| replicas:", single_device.replicas)
print("the record of our first run says:", {k: records[0]["device"][k] for k in ("kind", "replicas")})

# %%
# NBVAL_CHECK_OUTPUT
mirrored = gpu.configure(devices=["/cpu:0", "/cpu:1"])
print("forced:", type(mirrored.strategy).__name__, "| replicas:",
      mirrored.strategy.num_replicas_in_sync, "| devices:", mirrored.devices)

# %% [markdown]
# A global batch of 8 examples becomes two per-replica batches of 4, and the mean of the two
# per-replica gradients equals the gradient of the whole batch (a small linear model, squared
# error loss — the identity holds for any loss that is a mean over examples):

# %%
# NBVAL_CHECK_OUTPUT
strategy = mirrored.strategy
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
with strategy.scope():
    w = tf.Variable(rng.normal(size=(3, 1)).astype("float32"))


def replica_gradient(xb, yb):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((xb @ w - yb) ** 2)
    return tape.gradient(loss, w)


@tf.function
def distributed_gradient(batch):
    per_replica = strategy.run(replica_gradient, args=batch)  # each replica: its part of the batch
    return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)  # all-reduce


batch = next(iter(strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices((x, y)).batch(8))))
shapes = [tuple(t.shape) for t in strategy.experimental_local_results(batch[0])]
averaged = distributed_gradient(batch)
full = replica_gradient(tf.constant(x), tf.constant(y))
print("per-replica batch shapes:", shapes)
print("mean of replica gradients == full-batch gradient:",
      np.allclose(averaged.numpy(), full.numpy(), atol=1e-6))

# %% [markdown]
# On one GPU or a CPU nothing is gained, of course; on a machine with several GPUs the runner
# mirrors across them without any change to the notebook. Two details the paper's "exactly the
# same as one GPU" hides: batch normalisation statistics are per replica unless synchronised
# (VGG has none), and the speed-up is below the number of devices (3.75 on 4) because the
# gradients must be exchanged every step.
#
# ## Summary
#
# * VGG A–E differ only in depth; counted from the built models they have 133, 133, 133, 134,
#   138 and 144M parameters, as printed; the FC layers hold 86–93% of them, the convs do
#   99% of the compute.
# * LRN adds no parameters and, in the paper, no accuracy; 1x1 convs add non-linearity but no
#   receptive field, and lose to 3x3 at equal depth.
# * Dense evaluation = FC layers as convolutions: one pass over a larger image gives a score
#   map of `(Q/32) - 6` per side; at the native size the scores are unchanged.
# * Scale jittering augments by object size; data parallelism splits the batch and averages
#   the gradients.
# * Our depth experiment is a CIFAR-scale rebuild; at `smoke` its numbers are not evidence.
#
# ## 练习 (exercises, ungraded)
#
# 1. Replace pairs of 3x3 convs of configuration B by single 5x5 convs (pass a layer list to
#    `course_lib.models.vgg.vgg_cifar`, e.g. `[(5, 16), "M", ...]`): how do the parameters and
#    the receptive field at pool5 change? The paper reports 1% higher top-1 error for such a
#    net.
# 2. With `BUDGET = "quick"`, compare the three evaluation modes of each configuration. Is
#    multi-crop or dense evaluation consistently better than the single crop?
# 3. Make E trainable at `quick`: derive an experiment whose models use batch normalisation,
#    `bn = dataclasses.replace(get_experiment("vgg-depth"), name="vgg-depth-bn", models=tuple(
#    ModelRun(m.name, {"batch_norm": True}, label=m.label + "-BN") for m in
#    get_experiment("vgg-depth").models))` (`ModelRun` is in `course_lib.train`), and run it
#    with `run_experiment(bn, ...)`. Does the depth ordering change?
# 4. Run one model with the runner's `devices=["/cpu:0", "/cpu:1"]` argument
#    (`course_lib.train.run_model("vgg-depth", "VGG-A-CIFAR", dataset=dataset, budget="smoke",
#    devices=[...], rerun=True)`) and look at the `device` field of the record.
