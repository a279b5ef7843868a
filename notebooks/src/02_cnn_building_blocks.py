# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/02_cnn_building_blocks.ipynb)
#
# # 02 — CNN building blocks: convolution, pooling, 1x1 and dilated convs, FC as conv, memory
#
# Source: the Stanford CS231n notes on convolutional networks
# (<https://cs231n.github.io/convolutional-networks/>; the course read them as seed 003, the
# Chinese translation by ShowMeAI). Every number the notes work out by hand is recomputed here,
# with `course_lib.analysis`, with Keras layers, or with both, and put next to the printed
# value. Papers the notes point to are linked where they come up.
#
# ## 学习目标 (learning goals)
#
# After this notebook you can
#
# 1. compute the output size `(W - F + 2P)/S + 1` and the parameter count of a conv layer, and
#    say why a stride that does not tile the input is an error;
# 2. explain parameter sharing with AlexNet's first layer (34,944 parameters instead of
#    105,705,600);
# 3. implement a convolution as loops and as one matrix product (im2col) and check both
#    against `keras.layers.Conv2D`;
# 4. show where the gradient of max pooling goes (the argmax "switches");
# 5. use 1x1 and dilated convolutions and compute their receptive fields;
# 6. turn a fully connected layer into a convolution and run a network on a larger image in
#    one pass;
# 7. estimate the memory of a network (VGG-16) from its activations and parameters;
# 8. look at the filters and activation maps of a trained network, and say what a locally
#    connected layer and an all-convolutional net change;
# 9. place LeNet, AlexNet, ZFNet, GoogLeNet, VGGNet and ResNet by their parameters and layers.
#
# **Key terms.** convolution 卷积 · filter / kernel 滤波器 / 卷积核 · feature map (activation map)
# 特征图 (激活映射) · local connectivity 局部连接 · receptive field 感受野 ·
# parameter sharing 参数共享 · depth slice 深度切片 · stride 步长 · zero-padding 零填充 ·
# pooling 池化 (also 汇聚 in the notes, e.g. overlapping pooling 重叠汇聚; notebook 03's book
# says 汇合) · switches 道岔 (argmax 位置) · 1x1 convolution 1x1 卷积 ·
# dilated convolution 扩张卷积 · fully connected layer 全连接层 · im2col 图像块展开为列 ·
# locally connected layer 局部连接层 · filter visualisation 卷积核可视化 ·
# activation map 激活映射 · Inception module 奠基模块 · skip connection 跳跃链接 ·
# batch size 批尺寸

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
# Nothing in this notebook trains a new model: the budget changes the size of the timing
# benchmark in section 2 and which saved run section 8 looks at (the `CNN-A2` run on
# `fashion_mnist32` that notebooks 01 and 03 use too; if it is not there yet, it is trained
# once).

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import tensorflow as tf

from course_lib import analysis
from course_lib.analysis import conv_output_size, conv_params
from course_lib.models import build, to_fully_convolutional

sns.set_theme()
pd.set_option("display.width", 120)
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 1. Output size and parameters
#
# A conv layer with `K` filters of size `F x F`, stride `S` and zero-padding `P` maps a
# `W x W x C` input to `W2 x W2 x K` with
#
# $$W_2 = \frac{W - F + 2P}{S} + 1 .$$
#
# Each filter has `F·F·C` weights and one bias, so the layer has `K (F·F·C + 1)` parameters —
# however large the input. The notes' first examples (section 4.1):

# %%
# NBVAL_CHECK_OUTPUT
print("7x7 input, F=3, S=1:        ", conv_output_size(7, 3, P=0, S=1))
print("7x7 input, F=3, S=2:        ", conv_output_size(7, 3, P=0, S=2))
print("7x7 input, F=3, S=1, P=1:   ", conv_output_size(7, 3, P=1, S=1))
print("32x32x3, ten 5x5, S=1, P=2: ", conv_output_size(32, 5, P=2, S=1), "x", 10,
      "| parameters:", conv_params(5, 3, 10))

# %% [markdown]
# With `S = 3` the formula gives `(7 - 3)/3 + 1 = 2.33`: the filter cannot be placed
# symmetrically. The notes call this unreasonable; `conv_output_size` refuses it and says
# which paddings and strides would fit (a framework would silently drop the last column).

# %%
# NBVAL_CHECK_OUTPUT
try:
    conv_output_size(7, 3, P=0, S=3)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# A Keras layer agrees with the arithmetic: the 32x32x3 example with `padding="same"`
# (which is `P = 2` for `F = 5`, `S = 1`).

# %%
# NBVAL_CHECK_OUTPUT
layer = keras.layers.Conv2D(10, 5, padding="same")
out = layer(np.zeros((1, 32, 32, 3), "float32"))
print("output shape:", tuple(out.shape), "| parameters:", layer.count_params())

# %% [markdown]
# ### Explore: output size and receptive field of a stack
#
# **Think first.** Three identical layers with `F = 3, S = 2, P = 1` on a 33-pixel input: what
# size comes out of each, and how many input pixels does one unit of the third layer see?
# What goes wrong with a 32-pixel input?
#
# The function below answers for any `W, F, S, P` and depth, with `conv_output_size` (which
# refuses a stride that does not tile) and `analysis.receptive_field_arithmetic`. The table is
# the static version (it renders on GitHub and on the course site); the sliders under it let
# you change the numbers when the notebook runs in Jupyter or Colab.

# %%
def stack_sizes(W, F, S, P, depth=3):
    """Output size, receptive field and jump after each of `depth` identical layers."""
    rows, size = [], W
    rf = analysis.receptive_field_arithmetic([(F, S, P)] * depth)
    for i in range(1, depth + 1):
        try:
            size = conv_output_size(size, F, P=P, S=S)
        except ValueError:
            rows.append({"layer": i, "output size": f"does not tile: ({size} - {F} + 2*{P})/{S} + 1 "
                         f"= {(size - F + 2 * P) / S + 1:g}", "receptive field": None, "jump": None})
            break
        rows.append({"layer": i, "output size": size, "receptive field": int(rf["rf"].iloc[i]),
                     "jump": int(rf["jump"].iloc[i])})
    return pd.DataFrame(rows).set_index("layer")


def summary(W, F, S, P, depth=3):
    t = stack_sizes(W, F, S, P, depth)
    return {"W": W, "F, S, P": f"{F}, {S}, {P}",
            "output sizes": " -> ".join(str(v) for v in t["output size"]),
            "receptive fields": ", ".join(str(int(v)) for v in t["receptive field"].dropna())}


# %%
# NBVAL_CHECK_OUTPUT
settings = [(32, 3, 1, 1), (32, 5, 1, 2), (32, 2, 2, 0), (33, 3, 2, 1), (32, 3, 2, 1), (35, 7, 2, 3)]
print(pd.DataFrame([summary(*args) for args in settings]).to_string(index=False))

# %%
try:  # one optional widget; everything above works without it
    import ipywidgets as widgets
    from IPython.display import display
except ImportError:
    widgets = None
if widgets is not None:
    controls = {name: widgets.IntSlider(value=value, min=low, max=high, description=name,
                                        continuous_update=False)
                for name, value, low, high in [("W", 32, 4, 256), ("F", 3, 1, 11), ("S", 2, 1, 4),
                                               ("P", 1, 0, 5), ("depth", 3, 1, 8)]}
    shown_table = widgets.interactive_output(lambda **kw: display(stack_sizes(**kw)), controls)
    display(widgets.HBox(list(controls.values())[:3]), widgets.HBox(list(controls.values())[3:]),
            shown_table)

# %% [markdown]
# ### Parameter sharing (参数共享)
#
# AlexNet's first layer takes a 227x227x3 image with 96 filters of 11x11, stride 4, no
# padding. Without sharing, each of the 55·55·96 output neurons would own its
# 11·11·3 + 1 = 364 parameters. With sharing, all neurons of one depth slice use the same
# filter, so there are 96 parameter sets.

# %%
# NBVAL_CHECK_OUTPUT
side = conv_output_size(227, 11, P=0, S=4)
neurons = side * side * 96
per_neuron = conv_params(11, 3, 1)
conv1 = build("AlexNet").get_layer("conv1")
print(f"output {side}x{side}x96 = {neurons:,} neurons, {per_neuron} parameters each")
print(f"without sharing: {neurons * per_neuron:,} parameters")
print(f"with sharing:    {conv_params(11, 3, 96):,} parameters "
      f"(AlexNet conv1 in the zoo: {conv1.count_params():,})")

# %% [markdown]
# The notes work out about twenty such numbers. The kit keeps them as data
# (`course_lib/tables/seed003_worked_examples.csv`, with the section they come from); the cell below
# recomputes every one from its `W, F, P, S, C_in, K` columns. The only row that disagrees is
# the notes' own "unreasonable" example, whose printed value 2.333 is not a valid size.

# %%
def recompute(row):
    """One worked example of seed 003, recomputed from its columns (None: not computable)."""
    W, F, P, S, C, K = (None if pd.isna(row[c]) else int(row[c]) for c in ("W", "F", "P", "S", "C_in", "K"))
    q = row["quantity"]
    if q == "weights_per_neuron":
        return W * W * C
    if q == "params":
        return conv_params(F, C, K)
    if q == "params_per_neuron":
        return conv_params(F, C, 1)
    if q == "output_size":
        try:
            return conv_output_size(W, F, P=P, S=S)
        except ValueError:
            return None
    if q == "receptive_field":
        return 1 + 3 * (F - 1)  # three stacked F x F convs, stride 1
    if q == "params_per_C_squared_3x3":
        return 3 * F * F
    if q == "params_per_C_squared_7x7":
        return F * F
    side = conv_output_size(W, F, P=P, S=S)
    if q == "neurons":
        return side * side * K
    if q == "params_no_sharing":
        return side * side * K * conv_params(F, C, 1)
    if q == "im2col_rows":
        return F * F * C
    if q == "im2col_columns":
        return side * side
    if q == "activations_approx":
        return 3 * side * side * K  # three 224x224x64 volumes (see the note column)
    if q == "memory_MB_approx":
        return round(3 * side * side * K * 2 * 4 / 2**20, 1)
    return None


# %%
# NBVAL_CHECK_OUTPUT
worked = analysis.load_table("seed003_worked_examples")
worked["computed"] = worked.apply(recompute, axis=1)
worked["agrees"] = [
    c is not None and abs(float(p) - float(c)) <= 0.05 * max(1.0, abs(float(p)))
    for p, c in zip(worked["printed"], worked["computed"])
]
shown = worked[["example", "quantity", "printed", "computed", "agrees"]].copy()
shown["printed"] = shown["printed"].map(lambda v: f"{v:,g}")
shown["computed"] = shown["computed"].map(lambda v: "not an integer" if pd.isna(v) else f"{v:,g}")
print(shown.to_string(index=False))

# %% [markdown]
# (The two approximate rows, "ten million activations" and "72MB", agree within 5%: see the
# memory section at the end.)
#
# ## 2. Three ways to compute a convolution
#
# Below, a convolution is written twice in NumPy — as the loops of the definition and as one
# matrix product (im2col, section 4.1 6) of the notes) — and compared with
# `keras.layers.Conv2D`. These small functions are teaching code; real layers live in Keras
# and `course_lib.layers`.

# %%
def pad(x, P):
    """Zero-pad a batch of channels-first images (N, C, H, W) by P on each side of H and W."""
    return np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))


def conv_naive(x, w, b, S=1, P=0):
    """Loops of the definition over output positions, in the notes' channels-first layout.

    Takes Keras' layout (x: (N, H, W, C); w: (F, F, C, K); b: (K,)) and returns (N, Ho, Wo, K).
    """
    xc, wc = x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1)          # (N, C, H, W), (K, C, F, F)
    N, C, H, W_ = xc.shape
    K, _, F, _ = wc.shape
    Ho, Wo = conv_output_size(H, F, P=P, S=S), conv_output_size(W_, F, P=P, S=S)
    xp = pad(xc, P)
    out = np.zeros((N, K, Ho, Wo), dtype=np.float32)
    for i in range(Ho):
        for j in range(Wo):
            field = xp[:, :, i * S:i * S + F, j * S:j * S + F]          # (N, C, F, F)
            out[:, :, i, j] = np.einsum("ncij,kcij->nk", field, wc) + b  # every filter at once
    return out.transpose(0, 2, 3, 1)


def im2col(x, F, S=1, P=0):
    """Every receptive field as one column, laid out as the CS231n notes' code does:
    rows in (channel, row, column) order, columns in (i, j, n) order: (C*F*F, Ho*Wo*N)."""
    xp = pad(x.transpose(0, 3, 1, 2), P)                                # (N, C, H+2P, W+2P)
    fields = np.lib.stride_tricks.sliding_window_view(xp, (F, F), axis=(2, 3))[:, :, ::S, ::S]
    N, C, Ho, Wo = fields.shape[:4]                                     # fields: (N, C, Ho, Wo, F, F)
    return fields.transpose(1, 4, 5, 2, 3, 0).reshape(C * F * F, Ho * Wo * N), (N, Ho, Wo)


def conv_im2col(x, w, b, S=1, P=0):
    F, _, C, K = w.shape
    X_col, (N, Ho, Wo) = im2col(x, F, S=S, P=P)
    W_row = w.transpose(3, 2, 0, 1).reshape(K, C * F * F)               # (K, C*F*F), rows like X_col
    out = W_row @ X_col + b[:, None]                                    # (K, Ho*Wo*N)
    return out.reshape(K, Ho, Wo, N).transpose(3, 1, 2, 0)


# %% [markdown]
# The notes' example: AlexNet's conv1 on a 227x227x3 image stretches into `X_col` of size
# 363 x 3025 (11·11·3 rows, 55·55 receptive fields) and the filters into `W_row` of size
# 96 x 363; one matrix product gives the 96 x 3025 output, reshaped to 55x55x96.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
image = rng.standard_normal((1, 227, 227, 3)).astype("float32")
X_col, _ = im2col(image, F=11, S=4)
W_row = rng.standard_normal((96, 11 * 11 * 3)).astype("float32")
print("X_col:", X_col.shape, "| W_row:", W_row.shape, "| W_row @ X_col:", (W_row @ X_col).shape)

# %% [markdown]
# All three implementations give the same numbers (to float32 round-off), with and without
# stride and padding:

# %%
# NBVAL_CHECK_OUTPUT
x = rng.standard_normal((2, 17, 17, 3)).astype("float32")
w = rng.standard_normal((5, 5, 3, 8)).astype("float32")
b = rng.standard_normal(8).astype("float32")
for S, P, keras_padding in [(1, 0, "valid"), (1, 2, "same"), (3, 0, "valid")]:
    keras_conv = keras.layers.Conv2D(8, 5, strides=S, padding=keras_padding)
    keras_conv.build(x.shape)
    keras_conv.set_weights([w, b])
    ref = keras.ops.convert_to_numpy(keras_conv(x))
    naive, fast = conv_naive(x, w, b, S=S, P=P), conv_im2col(x, w, b, S=S, P=P)
    print(f"S={S} P={P}: output {naive.shape[1:]}, naive == Keras: {np.allclose(naive, ref, atol=1e-4)}, "
          f"im2col == Keras: {np.allclose(fast, ref, atol=1e-4)}")

# %% [markdown]
# How fast is each? The loops run in Python, im2col is one BLAS call after copying the
# patches (it spends memory: each input pixel is copied into about `(F/S)²` columns), and Keras
# calls an optimised kernel (oneDNN on CPU, cuDNN on a GPU). Timings depend on the machine,
# so they are printed but never checked.

# %%
size = {"smoke": 32, "quick": 64, "full": 128}[BUDGET]
xb = rng.standard_normal((8, size, size, 32)).astype("float32")
wb = rng.standard_normal((3, 3, 32, 64)).astype("float32")
bb = np.zeros(64, "float32")
keras_conv = keras.layers.Conv2D(64, 3, padding="same")
keras_conv.build(xb.shape)
keras_conv.set_weights([wb, bb])
keras_conv(xb)  # warm-up


def best_time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


timings = pd.DataFrame({
    "implementation": ["naive loops", "im2col + matmul", "keras Conv2D"],
    "seconds": [best_time(lambda: conv_naive(xb, wb, bb, P=1), repeats=1),
                best_time(lambda: conv_im2col(xb, wb, bb, P=1)),
                best_time(lambda: keras.ops.convert_to_numpy(keras_conv(xb)))],
})
timings["x slower than Keras"] = (timings["seconds"] / timings["seconds"].iloc[-1]).round(1)
print(f"batch 8 x {size}x{size}x32 -> 64 maps, 3x3, same padding")
timings

# %% [markdown]
# ### The backward pass is a convolution too
#
# The notes remark that the gradient of a convolution with respect to its input is again a
# convolution, with the filters flipped in space (and input/output channels swapped), applied
# to the zero-padded upstream gradient. `tf.GradientTape` confirms it:

# %%
# NBVAL_CHECK_OUTPUT
x = tf.constant(rng.standard_normal((1, 8, 8, 3)).astype("float32"))
w = tf.constant(rng.standard_normal((3, 3, 3, 4)).astype("float32"))
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.nn.conv2d(x, w, strides=1, padding="VALID")                 # (1, 6, 6, 4)
upstream = tf.constant(rng.standard_normal(y.shape).astype("float32"))
dx = tape.gradient(y, x, output_gradients=upstream)
w_flipped = tf.transpose(w[::-1, ::-1, :, :], (0, 1, 3, 2))             # flip, swap channels
dx_as_conv = tf.nn.conv2d(tf.pad(upstream, [[0, 0], [2, 2], [2, 2], [0, 0]]), w_flipped,
                          strides=1, padding="VALID")
print("dL/dx shape:", tuple(dx.shape), "| equals conv(padded dL/dy, flipped w):",
      bool(np.allclose(dx, dx_as_conv, atol=1e-4)))

# %% [markdown]
# ### Locally connected layers (局部连接层): sharing switched off
#
# Parameter sharing assumes that a pattern worth detecting at one place is worth detecting
# everywhere. The notes (section 4.1, 4)) point out where that fails: in face images centred in
# the frame, eyes and hair appear at known places and may deserve different filters there. A
# **locally connected layer** keeps the local `F x F x C` window but gives every output
# position its own weights. Keras 3 has no such layer (Keras 2's `LocallyConnected2D` was
# removed), so here it is in NumPy: gather every window once, then one weight matrix per
# position.
#
# **Think first.** How many parameters does a locally connected version of the 32x32x3 ->
# 32x32x10 layer of section 1 (5x5, `P = 2`) have? And if all positions happened to hold the
# same weights, what would the layer compute?

# %%
def windows(x, F, S=1, P=0):
    """Every F x F x C window: (N, Ho, Wo, F*F*C), rows in Keras' kernel order (fh, fw, c)."""
    xp = np.pad(x, ((0, 0), (P, P), (P, P), (0, 0)))
    view = np.lib.stride_tricks.sliding_window_view(xp, (F, F), axis=(1, 2))[:, ::S, ::S]
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(*view.shape[:3], -1)  # (.., C, F, F) -> (.., F, F, C)


def locally_connected(x, w, b, S=1, P=0):
    """w: (Ho, Wo, F*F*C, K), one weight matrix per output position; b: (Ho, Wo, K)."""
    F = int(round((w.shape[2] / x.shape[-1]) ** 0.5))
    return np.einsum("nijr,ijrk->nijk", windows(x, F, S, P), w) + b


# %%
# NBVAL_CHECK_OUTPUT
x = rng.standard_normal((2, 32, 32, 3)).astype("float32")
shared = keras.layers.Conv2D(10, 5, padding="same")
y_conv = keras.ops.convert_to_numpy(shared(x))
k, bias = shared.get_weights()
w_tied = np.broadcast_to(k.reshape(1, 1, -1, 10), (32, 32, 5 * 5 * 3, 10))   # same weights everywhere
y_local = locally_connected(x, w_tied, np.broadcast_to(bias, (32, 32, 10)), P=2)
print("locally connected with tied weights == Conv2D:", np.allclose(y_local, y_conv, atol=1e-4))
lc_params = 32 * 32 * (conv_params(5, 3, 10))
print(f"parameters: conv {conv_params(5, 3, 10):,} | locally connected {lc_params:,} "
      f"({lc_params // conv_params(5, 3, 10)}x: one filter bank per output position)")

# %% [markdown]
# So a locally connected layer is a convolution whose weights are *untied* across positions:
# it keeps locality, drops sharing, and costs `Ho·Wo` times the parameters (for AlexNet's
# conv1, the 105,705,600 of the sharing example above). It can also no longer run on a larger
# image: it has weights only for the positions it was built for.

# %% [markdown]
# ## 3. Pooling (池化) and where its gradient goes
#
# Pooling down-samples every depth slice on its own, with a window `F` and stride `S`
# (usually `F = 2, S = 2`, or the overlapping `F = 3, S = 2`) and no parameters:
# `W2 = (W1 - F)/S + 1`, `D2 = D1`.

# %%
# NBVAL_CHECK_OUTPUT
print("224x224x64, F=2 S=2 ->", conv_output_size(224, 2, S=2), "x", conv_output_size(224, 2, S=2), "x 64")
print("AlexNet 55x55, F=3 S=2 ->", conv_output_size(55, 3, S=2))
try:
    conv_output_size(224, 3, S=2)
except ValueError as err:
    print("224, F=3 S=2 -> ValueError:", str(err).split(",")[0])
pooled = keras.layers.MaxPooling2D(3, strides=2)(np.zeros((1, 224, 224, 1), "float32"))
print("Keras MaxPooling2D(3, strides=2) on 224 silently floors to", pooled.shape[1])

# %% [markdown]
# Max pooling passes on the largest value of each window. Its gradient therefore flows back
# only to the position that won — the "switches" the notes mention (道岔: the forward pass
# records the argmax, the backward pass routes through it). Below the 4x4 input holds the
# numbers 0..15 in a shuffled order; the gradient of the sum of the 2x2 pooled outputs is 1 at
# each window's maximum and 0 elsewhere.

# %%
# NBVAL_CHECK_OUTPUT
a = np.random.default_rng(3).permutation(16).reshape(4, 4).astype("float32")
x = tf.constant(a[None, :, :, None])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    max_out = keras.layers.MaxPooling2D(2)(x)
    avg_out = keras.layers.AveragePooling2D(2)(x)
print("input:\n", a.astype(int))
print("max-pooled:\n", max_out.numpy()[0, :, :, 0].astype(int))
print("gradient of sum(max-pooled) w.r.t. the input:\n", tape.gradient(max_out, x).numpy()[0, :, :, 0].astype(int))
print("gradient of sum(average-pooled):\n", tape.gradient(avg_out, x).numpy()[0, :, :, 0])

# %% [markdown]
# With overlapping windows (`F = 3, S = 2`) a pixel can be the maximum of several windows
# and collects all their gradients. Here the centre of a 5x5 input lies in all four windows:

# %%
# NBVAL_CHECK_OUTPUT
b5 = np.zeros((5, 5), "float32")
b5[2, 2] = 9.0
x = tf.constant(b5[None, :, :, None])
with tf.GradientTape() as tape:
    tape.watch(x)
    out = keras.layers.MaxPooling2D(3, strides=2)(x)
print("pooled (2x2):", out.numpy()[0, :, :, 0].astype(int).tolist())
print("gradient:\n", tape.gradient(out, x).numpy()[0, :, :, 0].astype(int))

# %% [markdown]
# ### Doing without pooling: the all-convolutional net
#
# The notes (end of section 4.2) mention that many practitioners drop pooling altogether:
# Springenberg et al., *Striving for Simplicity: The All Convolutional Net*
# ([arXiv:1412.6806](https://arxiv.org/abs/1412.6806)), replace each max-pooling layer by a
# convolution with stride 2, so that the network learns its own down-sampling. The notes add
# that generative models (VAEs, GANs) train better without pooling.
#
# **Think first.** Replace a 3x3/2 max pool by a 3x3/2 convolution with the same number of
# maps. Do the output size and the receptive field change? What does it cost?
#
# Two small nets that differ only in that layer (widths 32/64, 32x32x3 input, global average
# pooling and a 10-way classifier):

# %%
def small_net(downsample, name):
    inputs = keras.Input((32, 32, 3))
    x = inputs
    for block, width in enumerate((32, 64), start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{block}a")(x)
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{block}b")(x)
        if downsample == "pool":
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{block}")(x)
        else:
            x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu",
                                    name=f"down{block}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, keras.layers.Dense(10, name="fc")(x), name=name)


# %%
# NBVAL_CHECK_OUTPUT
rows = []
for net in (small_net("pool", "with_max_pooling"), small_net("conv", "all_convolutional")):
    rf = analysis.receptive_fields(net).set_index("layer")
    down = "pool2" if "pool2" in rf.index else "down2"
    rows.append({"net": net.name, "params": net.count_params(),
                 "MACs per image": int(analysis.layer_table(net)["macs"].sum()),
                 "last map": int(rf.loc[down, "size"]), "rf after block 2": int(rf.loc[down, "rf"])})
print(pd.DataFrame(rows).to_string(index=False))
print("extra parameters of the two stride-2 convs:", conv_params(3, 32, 32) + conv_params(3, 64, 64))

# %% [markdown]
# Same output sizes and the same receptive fields: a 3x3/2 convolution covers the same window
# as a 3x3/2 pool. The price is the weights and multiply-adds of the new convolutions; what it
# buys is a learned, and differentiable everywhere, down-sampling. Notebook 06 (SimpNet) makes
# the same swap in a larger network: it replaces each 2x2 pool of SimpNet's 13-layer
# `Arch1-13L` by a 3x3 stride-2 convolution (`Arch1-13L-strided`), narrows that net until the
# two have equal parameters, and puts the pair's parameter counts next to the SimpNet paper's
# Table 6 (strided convolution against max pooling). Whether a run also *trains* the pair, and
# so measures the trade in test error, depends on the models it asks for; the experiment's
# default set at each budget:

# %%
from course_lib.train import get_experiment

principles = get_experiment("simpnet-principles")
for budget in ("quick", "full"):
    trains = "Arch1-13L-strided" in principles.default_models(budget)
    print(f"simpnet-principles, default set at {budget!r}: " + (
        "trains the strided/pooled pair" if trains else
        "without Arch1-13L-strided; its parameters are counted, its error is measured only "
        "when a run names it in models=[...]"))

# %% [markdown]
# ## 4. 1x1 and dilated convolutions
#
# A **1x1 convolution** looks at one pixel at a time: at every position it is the same fully
# connected layer across channels. It changes the depth (Network-in-Network and the ResNet
# bottleneck use it to shrink and grow channels) at a cost of `C_in·C_out + C_out`
# parameters.

# %%
# NBVAL_CHECK_OUTPUT
x = rng.standard_normal((2, 8, 8, 32)).astype("float32")
one_by_one = keras.layers.Conv2D(16, 1)
y = keras.ops.convert_to_numpy(one_by_one(x))
kernel, bias = one_by_one.get_weights()
per_pixel_dense = x.reshape(-1, 32) @ kernel.reshape(32, 16) + bias
print("1x1 conv == the same Dense layer at every pixel:", np.allclose(y.reshape(-1, 16), per_pixel_dense, atol=1e-5))
print("parameters:", one_by_one.count_params(), "=", conv_params(1, 32, 16))
print("bottleneck 256 -> 64 maps with 1x1:", conv_params(1, 256, 64), "parameters;",
      "a 3x3 conv 256 -> 256 would need", conv_params(3, 256, 256))

# %% [markdown]
# A **dilated convolution** (扩张卷积) spreads its `F x F` taps `d` pixels apart, covering
# `d(F-1) + 1` pixels with the same `F²` weights. Stacking 3x3 convs with dilations 1, 2, 4
# grows the receptive field exponentially (3, 7, 15) where plain 3x3 convs grow it linearly
# (3, 5, 7). `course_lib.analysis.receptive_fields` walks a model and reports, for every layer,
# the receptive field, the jump (distance in input pixels between neighbouring outputs) and
# the output size:

# %%
def stack(dilations):
    inputs = keras.Input((32, 32, 1))
    x = inputs
    for i, d in enumerate(dilations, start=1):
        x = keras.layers.Conv2D(1, 3, dilation_rate=d, name=f"conv{i}_d{d}")(x)
    return keras.Model(inputs, x, name="dilated" if max(dilations) > 1 else "plain")


# %%
# NBVAL_CHECK_OUTPUT
for model in (stack([1, 1, 1]), stack([1, 2, 4])):
    rf = analysis.receptive_fields(model)
    print(model.name)
    print(rf.to_string(index=False), "\n")
print("output size, 32 input, F=3, dilation 4:", conv_output_size(32, 3, dilation=4))

# %% [markdown]
# ## 5. A fully connected layer is a convolution
#
# An FC layer with 4096 units on a 7x7x512 map computes 4096 dot products with 7·7·512
# weights each — exactly what a conv layer with `F = 7, P = 0, S = 1, K = 4096` does on that
# map. Converting VGG's three FC layers this way (`F = 7`, then two 1x1 convs) lets the
# network slide over a larger image in one pass: a 384x384 image gives a 12x12x512 map and a
# 6x6 grid of class scores, the same as evaluating 36 crops of 224x224 with stride 32.
#
# The check below uses the same structure at a size that runs in a second (a 7x7x32 map, 64
# hidden units, 10 classes), converted by `course_lib.models.to_fully_convolutional`, which
# copies the weights (`Dense` kernel `(7·7·32, 64)` reshaped to a `(7, 7, 32, 64)` filter).

# %%
inputs = keras.Input((7, 7, 32))
h = keras.layers.Flatten()(inputs)
h = keras.layers.Dense(64, activation="relu", name="fc1")(h)
outputs = keras.layers.Dense(10, name="fc2")(h)
fc_net = keras.Model(inputs, outputs, name="fc_head")
conv_net = to_fully_convolutional(fc_net)

# %%
# NBVAL_CHECK_OUTPUT
print([f"{l.name}: {type(l).__name__} {getattr(l, 'kernel_size', '')}" for l in conv_net.layers[1:]])
print("parameters: FC", fc_net.count_params(), "| conv", conv_net.count_params())
x7 = rng.standard_normal((4, 7, 7, 32)).astype("float32")
fc_scores = keras.ops.convert_to_numpy(fc_net(x7))
conv_scores = keras.ops.convert_to_numpy(conv_net(x7))
print("on 7x7 maps: conv output", conv_scores.shape, "equals FC output:",
      np.allclose(conv_scores.reshape(4, 10), fc_scores, atol=1e-4))
x12 = rng.standard_normal((1, 12, 12, 32)).astype("float32")
score_map = keras.ops.convert_to_numpy(conv_net(x12))
crops = np.stack([x12[0, i:i + 7, j:j + 7] for i in range(6) for j in range(6)])
crop_scores = keras.ops.convert_to_numpy(fc_net(crops)).reshape(6, 6, 10)
print("on a 12x12 map: score map", score_map.shape[1:], "equals the FC net on all 36 crops:",
      np.allclose(score_map[0], crop_scores, atol=1e-4))
print("VGG: 224/32 =", 224 // 32, "| 384/32 =", 384 // 32, "| (12 - 7)/1 + 1 =", conv_output_size(12, 7))

# %% [markdown]
# The same conversion on the real VGG nets, with multi-scale dense evaluation, is in
# notebook 04.
#
# ## 6. Layer patterns
#
# The notes summarise most CNNs as
#
# `INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC`
#
# with usually `N ≤ 3`, `K < 3`. Reading the zoo's models back into this notation (a
# teaching helper that names each layer by its role and collapses repeats) shows the
# pattern — and where a model departs from it (LRN in AlexNet; tanh and average pooling in LeNet-5):

# %%
def role(layer):
    kind = type(layer).__name__
    if kind in ("Conv2D", "Dense"):
        act = layer.get_config()["activation"]
        base = "CONV" if kind == "Conv2D" else "FC"
        return base if act in ("linear", "softmax") else f"{base}→{act.upper()}"
    if "Pooling" in kind:
        return "POOL" if kind.startswith("Max") else "AVGPOOL"
    if kind == "LocalResponseNormalization":
        return "LRN"
    return None  # input, flatten, dropout, activation layers: not part of the notation


def pattern(model):
    tokens = [r for r in map(role, model.layers) if r]
    out, i = [], 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j] == tokens[i]:
            j += 1
        out.append(tokens[i] if j - i == 1 else f"[{tokens[i]}]*{j - i}")
        i = j
    return "INPUT → " + " → ".join(out)


# %%
# NBVAL_CHECK_OUTPUT
vgg16 = build("VGG-D")
for name, model in [("LeNet-5", build("LeNet-5")), ("AlexNet", build("AlexNet")), ("VGG-16 (VGG-D)", vgg16)]:
    print(f"{name}:\n  {pattern(model)}")

# %% [markdown]
# VGG-16 is the pattern with `N = 2, 2, 3, 3, 3`, `M = 5`, `K = 2`. The notes' practical
# rules follow from sections 1–4: small filters (3x3, at most 5x5) with `S = 1` and
# `P = (F-1)/2` so that convs keep the size and pools do all the down-sampling (2x2, stride 2);
# large filters only in the first layer, if at all. Why three 3x3 convs beat one 7x7 is the
# subject of notebook 03.
#
# ## 7. Memory (内存)
#
# Section 6.7 of the notes lists what occupies memory when training: the activations of every
# layer and their gradients (same size), the parameters, their gradients and the optimizer's
# per-parameter cache (so "multiply the parameter memory by 3 or more"), times 4 bytes per
# float32. First the notes' example: three 3x3 conv layers with 64 filters on a 224x224x3
# image make three 224x224x64 volumes. (The translation says one layer gives "ten million
# activations"; the original CS231n text counts the three volumes together, which is what the
# numbers fit.)

# %%
# NBVAL_CHECK_OUTPUT
values = 3 * 224 * 224 * 64
print(f"3 x 224x224x64 = {values:,} activations (~10 million)")
m = analysis.memory_bytes(activations=values, params=0)
print(f"activations + gradients, float32: {(m.activations + m.activation_gradients) / 2**20:.1f} MiB (printed: 72MB)")

# %% [markdown]
# Now all of VGG-16 (224x224x3 input, 1000 classes). `analysis.layer_table` lists every
# layer's output shape, activations and parameters; `analysis.model_memory` adds them up with
# the rule above.

# %%
# NBVAL_CHECK_OUTPUT
table = analysis.layer_table(vgg16)
print(f"parameters: {int(table['params'].sum()):,} | activations per image: {int(table['activations'].sum()):,}")
for label, kwargs in [("inference, batch 1", dict(batch_size=1, training=False)),
                      ("training (SGD+momentum), batch 1", dict(batch_size=1)),
                      ("training (SGD+momentum), batch 32", dict(batch_size=32)),
                      ("training (Adam), batch 32", dict(batch_size=32, optimizer="adam"))]:
    est = analysis.model_memory(vgg16, **kwargs)
    print(f"{label:34s} activations {(est.activations + est.activation_gradients) / 2**20:8.1f} MiB"
          f" | parameters {est.parameter_total / 2**20:7.1f} MiB ({est.parameter_total / est.params:.0f}x)"
          f" | total {est.total / 2**30:5.2f} GiB")

# %% [markdown]
# Parameters dominate at batch size 1, activations as soon as the batch grows — which is why
# the notes' first remedy for running out of memory is a smaller batch. Per layer, the picture
# is lopsided in both directions: the activations sit in the first, high-resolution layers,
# the parameters in the FC layers (the first, `fc1`, alone has 7·7·512·4096 + 4096 ≈ 103M).

# %%
per_layer = table[(table["activations"] > 0) & table["layer"].ne(table["layer"].iloc[0])]
per_layer = per_layer[per_layer["type"].isin(["Conv2D", "Dense", "MaxPooling2D"])]
long = pd.concat([
    pd.DataFrame({"layer": per_layer["layer"], "MiB": per_layer["activations"] * 4 / 2**20, "what": "activations (1 image)"}),
    pd.DataFrame({"layer": per_layer["layer"], "MiB": per_layer["params"] * 4 / 2**20, "what": "parameters"}),
], ignore_index=True)
# points, not bars: on a log axis a bar's length means nothing (there is no zero to start from)
fig, ax = plt.subplots(figsize=(11, 3.5))
for (what, part), marker in zip(long.groupby("what", sort=False), ("o", "s")):
    ax.plot(part["layer"], part["MiB"], marker, label=what, markersize=5)
ax.set_yscale("log")
ax.set(ylabel="MiB (log scale)", title="VGG-16: float32 memory per layer, computed from the "
       "layer shapes (exact, no uncertainty); layers without parameters have no square")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
ax.tick_params(axis="x", rotation=75)
plt.tight_layout()

# %% [markdown]
# ## 8. What a trained network's filters look like (卷积核可视化)
#
# Section 3.1 of the notes: after training, the first layers' filters match simple patterns
# (oriented edges, blobs of colour), later layers more complex ones; section 3.2: each filter,
# slid over the image, gives an **activation map** (激活映射) that is high where the image
# looks like the filter. The notes show AlexNet's 96 first-layer filters, learned on ImageNet.
# Here we look at a network the course trained: seed 000's `CNN-A2`, first layer 5x5, on
# `fashion_mnist32` at this notebook's budget, seed 0: at `smoke` and `quick` exactly the run
# notebook 01 trained (same experiment, model, dataset, budget and seed), so the runner finds
# its record and reads it back instead of training again. (With `full`, notebook 01 trains on
# CIFAR-10; this cell then trains `CNN-A2` on the whole of `fashion_mnist32` with the source's
# schedule, once, on a GPU.) The runner saved the trained model next to its record
# (`<record>.keras`); if the run is not there yet it is trained now, once.
#
# **Think first.** Fashion-MNIST images are grey and `fashion_mnist32` repeats them over three
# channels. What can the three colour channels of a first-layer filter learn, then? (The cell
# after the next answers it by showing each filter as the sum of its three channels, which is
# what the network actually applies to a grey image.)

# %%
from pathlib import Path

from course_lib.train import get_experiment, run_model, verify_record
from course_lib.train.results import results_dir

# the same folder as notebook 01: $COURSE_RESULTS_DIR if set, Google Drive on Colab once
# mounted, else the kit's results/ (this notebook runs in notebooks/)
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))
# notebook 01's run: one seed, the experiment's own (seed=None would mean the same)
run = run_model("param-distribution", "CNN-A2", dataset="fashion_mnist32", budget=BUDGET,
                results_dir=RESULTS_DIR, seed=get_experiment("param-distribution").seed)
verify_record(run)  # reloads the saved .keras, re-evaluates it, raises if the error differs
trained = keras.models.load_model(Path(run["_path"]).with_suffix(".keras"))
untrained = keras.models.clone_model(trained)  # same architecture, fresh random weights
print(f"CNN-A2 on fashion_mnist32 ({BUDGET}): {run['epochs_completed']} epoch(s) on "
      f"{run['config']['num_train']:,} images, widths x{run['architecture']['width_multiplier']}, "
      f"test error {run['test_error_pct']:.1f}% on {run['config']['num_test']:,} images")

# %% [markdown]
# How can we tell a learned filter from a random one without trusting our eyes? Learned
# first-layer filters are smooth: neighbouring taps have similar weights (an edge detector is
# a run of positive weights next to a run of negative ones). Random initial filters have
# independent taps. The cell measures the correlation between horizontally and vertically
# neighbouring taps, over all filters, for the trained model and for its untrained twin, and
# calls them different only when the 95% interval of the gap (±1.96 standard errors, the
# filters as the sample) lies wholly on one side of zero.

# %%
def neighbour_correlation(model):
    """Per filter: correlation of neighbouring taps of conv1 (channels summed)."""
    k = keras.ops.convert_to_numpy(model.get_layer("conv1").kernel).sum(axis=2)  # (F, F, K)
    values = []
    for f in np.moveaxis(k, -1, 0):
        pairs = np.concatenate([np.stack([f[:, :-1].ravel(), f[:, 1:].ravel()]),
                                np.stack([f[:-1, :].ravel(), f[1:, :].ravel()])], axis=1)
        values.append(np.corrcoef(pairs)[0, 1])
    return np.array(values)


smooth = {name: neighbour_correlation(m) for name, m in (("trained", trained), ("untrained", untrained))}
gap = smooth["trained"].mean() - smooth["untrained"].mean()
se = np.sqrt(sum(v.var(ddof=1) / len(v) for v in smooth.values()))
for name, v in smooth.items():
    print(f"{name:9s}: neighbour correlation {v.mean():+.3f} ± {v.std(ddof=1) / np.sqrt(len(v)):.3f} "
          f"(mean ± s.e., {len(v)} filters)")
low, high = gap - 1.96 * se, gap + 1.96 * se
if low <= 0 <= high:
    verdict = "not distinguishable from random filters at this budget"
else:
    verdict = f"the trained filters are {'smoother' if gap > 0 else 'rougher'} than random ones"
print(f"verdict: {verdict} (gap {gap:+.3f}, 95% interval {low:+.3f} to {high:+.3f})")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11.5, 3.2), layout="constrained")
analysis.plot_filters(untrained, "conv1", channels="sum", max_filters=32, ax=axes[0],
                      title="CNN-A2 conv1, untrained (random init), first 32 filters")
analysis.plot_filters(trained, "conv1", channels="sum", max_filters=32, ax=axes[1],
                      title=f"CNN-A2 conv1, trained ({BUDGET}, seed {run['seed']}), "
                            "first 32 filters")
# plot_filters scales each filter to its own range (the CS231n convention): the bar says so
fig.colorbar(plt.cm.ScalarMappable(cmap="gray", norm=plt.Normalize(0, 1)), ax=list(axes),
             shrink=0.85, label="weight, each filter\nscaled to its range:\n0 its lowest, 1 its highest");

# %% [markdown]
# Now section 3.2: each filter, slid over the image, computes an **activation map**
# (激活映射), high where the image looks like the filter. Which of the channels should we
# look at? The ones with the strongest mean response are a poor choice: after the mean is
# subtracted, the black background of a Fashion-MNIST image is a constant below zero, and a
# channel that passes that constant through its ReLU lights up the whole background and the
# frame. The notes promise edge detectors, so we measure which channels respond to edges.
#
# On 256 test images, every pixel of the 28x28 item area is classed by how the brightness
# changes across it: a **horizontal-edge** pixel changes by more than 0.2 of the [0, 1] range
# from the row above to the row below, at least twice as much as from left to right; a
# **vertical-edge** pixel the other way round; a **flat** pixel hardly changes. For each conv1
# channel we add up its activation (after the ReLU) on each kind of pixel and divide by its
# total: a channel that ignored edges would put on horizontal-edge pixels the same share as
# those pixels have of the area. The channels that prefer horizontal edges most are those
# whose share on them, relative to how common they are, most exceeds the same for vertical
# edges. The table lists them, the four that prefer vertical edges, and the four with the
# strongest mean response; the last row gives each kind's share of the pixels. The 2-pixel
# frame is left out of the ranking: it is the loader's zero padding, and conv1's 5x5 window
# reaches there into its own zero padding, which the mean-subtracted background does not
# equal, so the frame is an edge the network sees and the photograph does not have.

# %%
from course_lib.data import load

fp = run["fingerprint"]["settings"]
# the run's own preprocessing: the mean of its training images, as its fingerprint records
probe = load("fashion_mnist32", batch_size=256, train_limit=fp["train_limit"], test_limit=256)
images, image_labels = (v.numpy() for v in next(iter(probe.test)))
maps = analysis.activation_maps(trained, images, "conv1")["conv1"]   # (N, 32, 32, K), after ReLU
grey = images.mean(axis=-1)           # fashion_mnist32's three channels are copies of one image
# brightness change across each pixel of the 28x28 item area (rows and columns 2..29)
dy = np.abs(grey[:, 3:31, 2:30] - grey[:, 1:29, 2:30]) / 2          # row to row: horizontal edges
dx = np.abs(grey[:, 2:30, 3:31] - grey[:, 2:30, 1:29]) / 2          # column to column: vertical
STEP = 0.1  # a change of 0.2 of the [0, 1] range over two pixels
kinds = {"horizontal edge": (dy > STEP) & (dy > 2 * dx),
         "vertical edge": (dx > STEP) & (dx > 2 * dy),
         "flat": (dy < 0.02) & (dx < 0.02)}
inner = maps[:, 2:30, 2:30, :]
inner_total = inner.sum(axis=(0, 1, 2))
# channels that hardly fire are left out: a few active pixels make any share look large
alive = inner_total >= 0.1 * np.median(inner_total)
share = pd.DataFrame({kind: np.where(alive, (inner * mask[..., None]).sum(axis=(0, 1, 2))
                                     / np.where(alive, inner_total, 1), np.nan)
                      for kind, mask in kinds.items()})
share["frame"] = 1 - inner_total / np.maximum(maps.sum(axis=(0, 1, 2)), 1e-30)
share.index.name = "channel"
base = {kind: float(mask.mean()) for kind, mask in kinds.items()}
base["frame"] = 1 - 28 * 28 / (32 * 32)
# preference for horizontal over vertical edges: each share relative to how common the pixels are
prefers = (share["horizontal edge"] / base["horizontal edge"]
           - share["vertical edge"] / base["vertical edge"])
horizontal = prefers.dropna().nlargest(4).index.tolist()
vertical = prefers.dropna().nsmallest(4).index.tolist()
strongest = pd.Series(maps.mean(axis=(0, 1, 2))).nlargest(4).index.tolist()
groups = {"horizontal edges": horizontal, "vertical edges": vertical,
          "strongest mean": strongest}
table = pd.concat({g: share.loc[ch] for g, ch in groups.items()}, names=["chosen for", "channel"])
table.loc[("share of the pixels", "-"), :] = [base[k] for k in share.columns]
print(f"conv1 of the trained CNN-A2 on {len(images)} test images: the share (%) of each "
      "channel's activation that falls on each kind of pixel (the first three columns within "
      f"the 28x28 item area; 'frame': the 2-pixel border); {int((~alive).sum())} of "
      f"{len(alive)} channels fire too little to rank")
print((100 * table.astype(float)).round(1).to_string())

# %% [markdown]
# The same numbers in words (computed, so they hold for the run this notebook read back):

# %%
from IPython.display import Markdown, display

def mean_share(channels, kind):
    return float(share.loc[channels, kind].mean())

enrich = mean_share(horizontal, "horizontal edge") / base["horizontal edge"]
display(Markdown(
    f"Inside the item area, {base['horizontal edge']:.0%} of the pixels are horizontal-edge "
    f"pixels, {base['vertical edge']:.0%} vertical-edge and {base['flat']:.0%} flat. The four "
    f"channels chosen for horizontal edges put {mean_share(horizontal, 'horizontal edge'):.0%} "
    f"of their activation on horizontal-edge pixels, {enrich:.1f} times those pixels' share"
    + (" — close to what a channel that ignored edges would do" if enrich < 1.5 else "")
    + f"; the four chosen for vertical edges put {mean_share(vertical, 'vertical edge'):.0%} "
    f"of theirs on vertical-edge pixels ({base['vertical edge']:.0%} of the pixels). The four "
    f"channels with the strongest mean response put {mean_share(strongest, 'flat'):.0%} of "
    f"their activation inside the item area on flat pixels, and "
    f"{mean_share(strongest, 'frame'):.0%} of all of it in the 2-pixel frame, which is "
    f"{base['frame']:.0%} of the map. The channels chosen for edges have "
    f"{mean_share(horizontal + vertical, 'frame'):.0%} of their activation in the frame."))

# %% [markdown]
# The chosen filters (top, the sum over the three input channels, on one symmetric colour
# scale: red positive, blue negative) and their activation maps on the first test image
# (bottom, one colour scale for all). A filter that prefers horizontal edges has a band of
# positive weights above or below a band of negative ones; its map should be bright along
# the horizontal edges of the item (orange in the panel on the left). How clearly that shows
# depends on how far training has moved the filters: the numbers above say it for this run.

# %%
example = 0  # the first test image, as it comes
shown = horizontal + vertical
kernel = keras.ops.convert_to_numpy(trained.get_layer("conv1").kernel).sum(axis=2)  # (F, F, K)
w_max = float(np.abs(kernel[..., shown]).max())
a_max = float(maps[example][..., shown].max()) or 1.0
raw = np.clip(images[example, ..., 0] + probe.info.mean[0], 0, 1)  # the mean added back
edges = np.repeat(raw[..., None], 3, axis=-1) * 0.5
for kind, colour in (("horizontal edge", (1.0, 0.55, 0.0)), ("vertical edge", (0.2, 0.6, 1.0))):
    where = np.zeros((32, 32), bool)
    where[2:30, 2:30] = kinds[kind][example]
    edges[where] = colour
fig, axes = plt.subplots(2, 1 + len(shown), figsize=(13.5, 3.9), layout="constrained")
axes[0, 0].imshow(raw, cmap="gray", vmin=0, vmax=1)
axes[0, 0].set_title(probe.info.class_names[int(image_labels[example])], fontsize=8)
axes[1, 0].imshow(edges)
axes[1, 0].set_title("edge pixels: horizontal\norange, vertical blue", fontsize=7)
for j, c in enumerate(shown, start=1):
    weights = axes[0, j].imshow(kernel[..., c], cmap="RdBu_r", vmin=-w_max, vmax=w_max)
    activation = axes[1, j].imshow(maps[example, ..., c], cmap="viridis", vmin=0, vmax=a_max)
    axes[0, j].set_title(f"{'H' if c in horizontal else 'V'}: channel {c}", fontsize=8)
    axes[1, j].set_title(f"H {share.loc[c, 'horizontal edge']:.0%} / V "
                         f"{share.loc[c, 'vertical edge']:.0%}", fontsize=7)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(weights, ax=axes[0, 1:], shrink=0.9, label="filter weight\n(3 channels summed)")
fig.colorbar(activation, ax=axes[1, 1:], shrink=0.9, label="activation map\n(after the ReLU)")
fig.suptitle(f"CNN-A2 conv1 ({BUDGET}, seed {run['seed']}): the 4 channels that prefer "
             f"horizontal (H) and the 4 that prefer vertical (V) edges, on {len(images)} test "
             "images\nunder each map: its share of activation on H / V edge pixels; one "
             "colour scale per row",
             fontsize=9);

# %% [markdown]
# Training has moved the first-layer filters as far as the neighbour correlation and the
# shares above say at this budget: the fewer images and epochs a run had, the closer its
# filters stay to their random start (random 5x5 filters respond to some edges too, which is
# why the shares are read against the pixels' own share). Deeper layers are shown in
# notebook 03 (section 6), as the image patches that excite them most: a deep filter is too
# small and too abstract to read by eye.
#
# ## 9. Case studies (经典案例)
#
# Section 6 of the notes lists the networks that shaped the field. Where the zoo has the
# network, the table below is computed from the built model; the last column is what the notes
# (or the paper they link) print.
#
# * **LeNet** (LeCun et al. 1998) — the first successful CNN, on digits.
# * **AlexNet** ([Krizhevsky, Sutskever & Hinton, NeurIPS 2012](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html))
#   — won ILSVRC 2012 with 16% top-5 error against 26% for the runner-up.
# * **ZFNet** ([Zeiler & Fergus, arXiv:1311.2901](https://arxiv.org/abs/1311.2901)) — AlexNet
#   with a smaller first-layer filter and stride, wider middle layers (exercise 1).
# * **GoogLeNet** ([Szegedy et al., arXiv:1409.4842](https://arxiv.org/abs/1409.4842)) — won
#   ILSVRC 2014 with the **Inception module** (奠基模块) and average pooling instead of FC layers:
#   about 4M parameters against AlexNet's 60M.
# * **VGGNet** ([Simonyan & Zisserman, arXiv:1409.1556](https://arxiv.org/abs/1409.1556)) — 2nd in
#   ILSVRC 2014; 16 conv/FC layers of 3x3 convs and 2x2 pools only (notebook 04).
# * **ResNet** ([He et al., arXiv:1512.03385](https://arxiv.org/abs/1512.03385)) — won ILSVRC 2015
#   with **skip connections** (跳跃链接) and batch normalisation, and no FC layers at the end
#   (notebook 03).
#
# **Think first.** GoogLeNet is deeper than AlexNet (22 layers with weights against 8), yet
# has 15 times fewer parameters. Where did AlexNet's parameters go?

# %%
def weight_layers(model):
    kinds = analysis.layer_table(model)["type"]
    return int(kinds.isin(["Conv2D", "Dense"]).sum()), int((kinds == "Dense").sum())


# %%
# NBVAL_CHECK_OUTPUT
cases = []
for label, zoo_name, printed in [("LeNet-5", "LeNet-5", "first CNN in use (digits)"),
                                 ("AlexNet (one tower)", "AlexNet", "60M parameters"),
                                 ("VGGNet (VGG-16)", "VGG-D", "16 conv/FC layers"),
                                 ("ResNet-56 (CIFAR)", "ResNet-56", "no FC hidden layers")]:
    m = build(zoo_name)
    layers_, dense = weight_layers(m)
    fc_share = analysis.layer_table(m).query("type == 'Dense'")["params"].sum() / m.count_params()
    cases.append({"network": label, "zoo model": zoo_name, "params": f"{m.count_params():,}",
                  "conv+FC layers": layers_, "FC layers": dense,
                  "share of params in FC": f"{fc_share:.0%}", "notes / paper print": printed})
print(pd.DataFrame(cases).to_string(index=False))

# %% [markdown]
# The zoo has no GoogLeNet, but its building block is small enough to build here. Inception
# (3a), the first module of GoogLeNet (its Table 1), runs four branches in parallel on a
# 28x28x192 map and concatenates them: 64 1x1 convs; 96 1x1 convs reducing the depth before
# 128 3x3 convs; 16 1x1 before 32 5x5; a 3x3 max pool followed by 32 1x1 convs. The 1x1
# "reduce" convs are what keeps it cheap.

# %%
def inception(x, n1, n3r, n3, n5r, n5, pool_proj, name):
    conv = lambda y, k, f, tag: keras.layers.Conv2D(f, k, padding="same", activation="relu",  # noqa: E731
                                                    name=f"{name}_{tag}")(y)
    b1 = conv(x, 1, n1, "1x1")
    b3 = conv(conv(x, 1, n3r, "3x3_reduce"), 3, n3, "3x3")
    b5 = conv(conv(x, 1, n5r, "5x5_reduce"), 5, n5, "5x5")
    bp = conv(keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x), 1,
              pool_proj, "pool_proj")
    return keras.layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


# %%
# NBVAL_CHECK_OUTPUT
inputs = keras.Input((28, 28, 192))
module = keras.Model(inputs, inception(inputs, 64, 96, 128, 16, 32, 32, "inception_3a"))
table3a = analysis.layer_table(module)
weights = sum(int(np.prod(l.kernel.shape)) for l in module.layers
              if isinstance(l, keras.layers.Conv2D))
print(f"output: {tuple(module.output.shape[1:])} (printed: 28x28x256)")
print(f"weights (no biases): {weights:,} = {weights / 1024:.1f}K with K = 1024 (printed: 159K)")
print(f"multiply-adds: {int(table3a['macs'].sum()) / 1e6:.0f}M (printed: 128M)")
naive = conv_params(3, 192, 128, bias=False) + conv_params(5, 192, 32, bias=False)
print(f"without the 1x1 reductions the 3x3 and 5x5 branches alone would need {naive:,} weights")

# %% [markdown]
# The output shape and the multiply-adds match GoogLeNet's Table 1; the printed "159K"
# parameters match the weight count when K means 1024 (163,328 / 1024 = 159.5). The last line
# answers the think-first question for one module: the 1x1 reductions cut the 3x3 and 5x5
# branches by more than half, and the end of the network has no FC layer to hold tens of
# millions of weights — AlexNet keeps most of its parameters in its FC layers (the table
# above).
#
# ## Summary
#
# * Output size `(W - F + 2P)/S + 1` must be an integer; `P = (F-1)/2` keeps the size at
#   `S = 1`. Parameters: `K(F²C + 1)`, independent of the image size thanks to sharing.
# * A convolution is a matrix product after im2col; Keras' kernels do the same work faster.
#   Its gradient is a convolution with flipped filters; max pooling's gradient goes only to
#   the argmax.
# * 1x1 convs mix channels per pixel; dilated convs grow the receptive field without weights.
# * FC layers are convs whose kernel covers the whole map, so a classifier can slide over a
#   bigger image in one pass.
# * Memory = activations (+ gradients) × batch + parameters × (2 + optimizer slots), × 4 bytes.
# * A locally connected layer unties the weights (`Ho·Wo` times the parameters); an
#   all-convolutional net learns its down-sampling with stride-2 convs.
# * Each first-layer filter makes one activation map. Which channels are edge detectors is
#   measured, not guessed: the share of a channel's activation on edge pixels against those
#   pixels' share of the image (channels picked by mean response light up the background).
#   Training makes the filters smoother and more selective; how far, at a given budget, the
#   neighbour correlation and the shares say. GoogLeNet and ResNet end without FC layers, which is where AlexNet and VGG keep most
#   of their parameters.
#
# ## 练习 (exercises, ungraded)
#
# Answers are at the end of the notebook; try first.
#
# 1. ZFNet's first layer uses 7x7 filters with stride 2 on a 224x224x3 image (notes, section
#    5.2). Which padding makes the output size an integer? How many parameters does it have
#    with 96 filters, and how does that compare with AlexNet's conv1?
#    *Hint:* `conv_output_size(224, 7, P=..., S=2)` raises until `P` fits; `conv_params`.
# 2. Extend `im2col` and `conv_im2col` (section 2) to dilated filters, with a new argument
#    `d`, and check the result against `keras.layers.Conv2D(..., dilation_rate=d)` with the
#    same weights (Keras allows `dilation_rate > 1` only with stride 1).
#    *Hint:* `im2col` cuts `F x F` windows with `sliding_window_view(xp, (F, F), axis=(2, 3))`.
#    A dilated filter covers `d(F - 1) + 1` pixels and uses every `d`-th of them: cut windows
#    of that size, then keep every `d`-th row and column inside each window (the last two axes
#    of `fields`). The rest of `im2col`, and all of `conv_im2col`, stays as it is.
# 3. Repeat the pooling-gradient experiment with `keras.layers.AveragePooling2D(3, strides=2)`
#    on the 5x5 example. Which pixels receive the largest gradient, and why?
#    *Hint:* each window passes `1/9` to each of its pixels; count the windows per pixel.
# 4. Using `analysis.model_memory`, find the largest batch of VGG-16 that fits in 16 GiB when
#    training with Adam. Which term would you cut next?
#    *Hint:* the notes' test-time remark (section 6.7): which activations must be kept?
# 5. How many parameters does a locally connected layer need for 32x32x3 -> 28x28x6 with 5x5
#    windows and no padding (LeNet's first layer on a colour image)? Check your number with
#    `locally_connected`.
#    *Hint:* one `5·5·3 + 1` filter per output position and map.
# 6. In `small_net`, replace the 3x3/2 pools by 2x2/2 pools and the stride-2 convs by 2x2/2
#    convs. Which receptive field do they give now, and which net has more parameters?
#    *Hint:* `analysis.receptive_fields`; a 2x2/2 window adds `1·jump` to the field.
# 7. In the widget (or with `stack_sizes`), find the smallest depth of `F = 3, S = 2` layers
#    whose receptive field covers a whole 32x32 image.
#    *Hint:* the field grows by `2·jump` per layer and the jump doubles; the field does not
#    depend on `W` or `P`, but the sizes must tile (try `W = 65, P = 1`).
#
# ## Next
#
# The graded assignment
# [`assignments/1-cnn-arithmetic`](../assignments/1-cnn-arithmetic/student/cnn-arithmetic.ipynb)
# asks you to write sections 1–3 yourself in NumPy: output sizes and parameter counts, the naive
# convolution forward and backward, im2col, max pooling and its switches, with numerical
# gradient checks. Notebook 03 continues with receptive fields, AlexNet's normalisation (LRN,
# which the notes' section 4.3 calls out of favour) and the residual nets; the LRN layer is
# also part of
# [`assignments/2-custom-keras-layers`](../assignments/2-custom-keras-layers/student/custom-keras-layers.ipynb).
#
# <details>
# <summary><b>Answers</b> (ungraded; open after trying)</summary>
#
# 1. None: `(224 - 7 + 2P)/2 + 1` needs `217 + 2P` to be even, and `217` is odd, so
#    `conv_output_size` refuses every `P`. ZFNet's paper reports a 110x110 map, which is the
#    frameworks' floor rule with `P = 1`: `(224 - 7 + 2)/2 + 1 = 110.5`, floored (one column of
#    the input is never used). Parameters with
#    96 filters: `96·(7·7·3 + 1) = 14,208` against AlexNet's `34,944`.
# 2. Two lines of `im2col` change; `conv_im2col` only passes `d` on:
#
#    ```python
#    def im2col_dilated(x, F, S=1, P=0, d=1):
#        span = d * (F - 1) + 1                                  # pixels one dilated filter covers
#        xp = pad(x.transpose(0, 3, 1, 2), P)
#        fields = np.lib.stride_tricks.sliding_window_view(xp, (span, span), axis=(2, 3))
#        fields = fields[:, :, ::S, ::S, ::d, ::d]               # every d-th tap: (N, C, Ho, Wo, F, F)
#        N, C, Ho, Wo = fields.shape[:4]
#        return fields.transpose(1, 4, 5, 2, 3, 0).reshape(C * F * F, Ho * Wo * N), (N, Ho, Wo)
#
#
#    def conv_im2col_dilated(x, w, b, S=1, P=0, d=1):
#        F, _, C, K = w.shape
#        X_col, (N, Ho, Wo) = im2col_dilated(x, F, S=S, P=P, d=d)
#        W_row = w.transpose(3, 2, 0, 1).reshape(K, C * F * F)
#        return (W_row @ X_col + b[:, None]).reshape(K, Ho, Wo, N).transpose(3, 1, 2, 0)
#    ```
#
#    The output size is `conv_output_size(H, F, P=P, S=S, dilation=d)`: on a 17x17 input
#    with `F = 3`, `d = 2` gives 13x13 with `P = 0` and 17x17 with `P = 2` (Keras'
#    `padding="same"`). With the same weights, `Conv2D(K, 3, dilation_rate=2, padding=...)`
#    gives the same numbers (`np.allclose(..., atol=1e-4)`), as the three implementations of
#    section 2 did.
# 3. The gradient of each output is `1/9` to each pixel of its window; the centre pixel lies in
#    all four windows and gets `4/9`, the pixels on the middle row/column between two windows
#    `2/9`, the corners `1/9`. Average pooling spreads the gradient; max pooling routes it.
# 4. `model_memory(vgg16, batch_size=b, optimizer="adam")` grows linearly in `b`; the largest
#    `b` with `total <= 16 * 2**30` is 122 by this estimate (float32; real frameworks also need
#    workspace memory, so less in practice). Next cut: the activations kept for the backward
#    pass — at test time only the current layer's are needed.
# 5. `28·28·6·(5·5·3 + 1) = 357,504` parameters, against `6·76 = 456` for the convolution.
# 6. After block 2 the receptive field is 16 with 2x2/2 windows against 19 with 3x3/2 (pool or
#    conv alike: the window, not the operation, sets it); the 2x2 stride-2 convs add
#    `32·32·4 + 32 + 64·64·4 + 64 = 20,576` parameters, the pools none.
# 7. Receptive fields 3, 7, 15, 31, 63 (jumps 2, 4, 8, 16, 32): five layers cover 32 pixels
#    (four reach 31, one short). With `W = 65, P = 1` the sizes tile: 33, 17, 9, 5, 3.
#
# </details>
