# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnn-course-kit/cnn-course-kit/blob/main/notebooks/05_parameter_distribution.ipynb)
#
# # 05 — Where should the parameters go? Low vs high layers in CNNs and RCNNs
#
# Source: seed 000, a Chinese journal paper by 岳喜斌 et al. on the distribution of parameters
# between the low and high layers of convolutional (CNN) and recurrent convolutional (RCNN)
# networks (the seed carries the authors' names and the page numbers, not the title). Its RCNN
# is the network of M. Liang and X. Hu, ["Recurrent Convolutional Neural Network for Object
# Recognition"](https://openaccess.thecvf.com/content_cvpr_2015/html/Liang_Recurrent_Convolutional_Neural_2015_CVPR_paper.html),
# CVPR 2015 (its reference [8]). Its claim: **at a fixed total number of parameters near
# saturation, moving parameters from the low layers to the high layers lowers the test error,
# and moving them the other way raises it.** It tests the claim with 6 CNNs and 6 RCNNs whose
# only difference is the width list `(conv1, L2, L3, L4, L5)`, on CIFAR-10, CIFAR-100 and SVHN
# (Tables 1–3).
#
# A claim like this stands on two legs: the networks really have (about) equal totals, and
# the error differences are larger than the noise. The notebook checks the first leg exactly,
# from built models, and measures the second at the budget you choose.
#
# ## 学习目标 (learning goals)
#
# 1. Build the seed's CNN and RCNN from a width list and split their parameters into the
#    paper's low and high groups, layer by layer.
# 2. Audit the printed parameter counts of Tables 1–3 against the built models, and say which
#    rows cannot come from the printed widths.
# 3. Check the premise "equal total budget" within each group of three models.
# 4. Run the experiment, plot test error against the high-layer fraction with its interval
#    over seeds, and judge whether our data at our budget supports the claim: a verdict with a
#    95% interval (supports / contradicts / inconclusive).
# 5. Draw the recurrent convolutional layer unrolled in time (the seed's Fig. 3) from the
#    layer itself, and say why its parameter count does not grow with the number of steps.
# 6. Put our runs beside the baselines the seed prints (Maxout, NIN, DSN, PReLU, Highway) and
#    say what may and may not be compared.
#
# **Key terms** (the seed's own words first, other common terms as aliases). parameter budget
# 参数数量 (alias 参数预算) · low / high layers 低层 / 高层 · feature maps per layer 各层特征图数
# (alias 宽度) · recurrent convolutional layer (RCL) 递归卷积层 (RC 层; alias 循环卷积层) ·
# unrolled in time 按时间迭代展开 · iterations 迭代次数 · feed-forward / recurrent input 前馈输入 /
# 递归输入 · weight sharing 权值共享 · pooling / downsampling 降采样 (alias 池化) · local response
# normalization 局部归一化 (LRN; alias 局部响应归一化) · global max pooling 全局降采样 (GP; alias
# 全局最大池化) · saturation 饱和 (the seed: 饱和的临界值) · baseline model 基准模型 · overfitting
# 过拟合 · confound 混杂因素 · run-to-run noise 运行间噪声

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
# The budget decides what the experiment of section 4 trains; the next cell says exactly what,
# generated from the experiment's definition, so the text cannot drift from the runs. `smoke`
# only proves that the pipeline runs end to end: **its numbers are not evidence**. `quick` is
# the experiment's quick set on Fashion-MNIST (`fashion_mnist32`), narrowed and with a short
# schedule; runs the kit ships as records (trained elsewhere with the same budget and command)
# are read, not trained, and every table below says which is which. `full` trains the
# experiment's models on the paper's datasets with the full schedule (a GPU job; CIFAR-10/100
# and SVHN are downloaded by tensorflow-datasets on first use). Section 4 prints the
# experiment's notes: why the quick recipe is what it is.

# %%
from IPython.display import Markdown, display

from course_lib.train import budget_plan, get_experiment

datasets = ["cifar10", "cifar100", "svhn"] if BUDGET == "full" else ["fashion_mnist32"]
_pd = get_experiment("param-distribution")
# smoke: the quick set, so that the smoke test walks the notebook's quick path in seconds
# (smoke's own default would be every model of the experiment); other budgets: models=None,
# the budget's default set, whatever it holds (runs trained here and shipped records).
PD_MODELS = _pd.default_models("quick") if BUDGET == "smoke" else None
from course_lib.train.results import results_dir
# $COURSE_RESULTS_DIR if set, Google Drive on Colab once mounted, else the kit's results/
RESULTS_DIR = str(results_dir(default=os.path.join("..", "results")))

display(Markdown("\n\n".join(budget_plan("param-distribution", BUDGET, models=PD_MODELS,
                                          dataset=data_name) for data_name in datasets)
                 + (" (At `smoke` the notebook trains the quick set, to test its own path; "
                    "these numbers are not evidence.)" if PD_MODELS else "")))

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from course_lib import analysis
from course_lib.analysis import diagrams
from course_lib.layers import RecurrentConv2D
from course_lib.models import build, param_groups
from course_lib.models.param_distribution import WIDTHS
from course_lib.analysis import plot_error_bars, plot_error_lines, plot_training_curves, plot_verdicts
from course_lib.train import report, run_experiment, verify_record
from course_lib.train.reporting import claimed_orderings, compare_ordering, records_frame, seed_summary

sns.set_theme()
pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 60)
keras.utils.set_random_seed(0)

# %% [markdown]
# ## 1. The two networks and their low/high split
#
# **CNN** (Fig. 1 of the seed): `conv1` 5x5 → ReLU → max pool 3x3/2 → LRN → `conv2` 3x3 →
# `conv3` 3x3 → max pool 3x3/2 → LRN → `conv4` 3x3 → `conv5` 3x3 → global max pool → `fc` →
# softmax; every conv keeps the spatial size. **RCNN** (Fig. 2, the network of Liang & Hu,
# CVPR 2015): the same stages with `conv1` followed by four recurrent convolutional layers
# `rcl1..rcl4`. An RCL has a feed-forward 3x3 kernel and a recurrent 3x3 kernel, shared over
# the 3 unrolled iterations: `z(t) = w_f * u + w_r * x(t-1) + b`.
#
# The seed calls `conv1 + conv2` (CNN) or `conv1 + rcl1` (RCNN) the **low** layers and the
# rest the **high** layers. `analysis.layer_table` marks each layer's group. The two ends of
# CNN group A, layer by layer (10 classes):

# %%
# NBVAL_CHECK_OUTPUT
def group_table(name, num_classes=10):
    table = analysis.layer_table(build(name, num_classes=num_classes))
    table = table[table["params"] > 0]
    return table[["layer", "type", "output_shape", "params", "group"]]


tables = {name: group_table(name) for name in ("CNN-A1", "CNN-A3")}
for name, table in tables.items():
    split = table.groupby("group")["params"].sum()
    print(f"{name}  widths {'-'.join(map(str, WIDTHS[name]))}\n{table.to_string(index=False)}\n"
          f"  low {split['low']:,} | high {split['high']:,} | "
          f"high fraction {split['high'] / split.sum():.3f}\n")

# %% [markdown]
# Moving width from conv1/conv2 to conv3–conv5 shifts about half a million parameters from
# low to high. Note where a layer's cost comes from: a 3x3 conv with `C_in` inputs and
# `C_out` outputs has `9·C_in·C_out + C_out` parameters, so conv2 of A1 (256→256) costs
# 590K while conv1 (3→256, 5x5) costs only 19K. The recurrent layers cost twice a conv —
# two 3x3 kernels:

# %% [markdown]
# ### The RCL unrolled in time (the seed's Fig. 3)
#
# **Think first.** An RCL with T = 3 computes four states `x(0)..x(3)`, each a convolution of
# its predecessor. Does it have four times the weights of a conv layer? How much of the input
# does `x(3)` see, if every kernel is 3x3?
#
# The picture is drawn from the layer object (its `iterations`, kernel sizes and filters), so
# it shows exactly what `RecurrentConv2D` computes: every dashed arrow is the *same*
# feed-forward kernel `w_f`, every solid arrow the *same* recurrent kernel `w_r`. The
# receptive field grows by `k_r − 1` per step. The static picture below is the layer as the
# network uses it (T = 3, a plain Matplotlib figure that the notebook keeps); with ipywidgets
# (Jupyter, Colab) a slider under it redraws the picture for other T.

# %%
rcl = build("RCNN-A2").get_layer("rcl1")
print({k: rcl.get_config()[k] for k in ("filters", "kernel_size", "recurrent_kernel_size", "iterations")})


def draw_rcl(iterations=3):
    layer = RecurrentConv2D.from_config({**rcl.get_config(), "iterations": iterations})
    diagrams.plot_rcl_unrolled(layer, in_channels=rcl.kernel.shape[2])
    plt.show()


draw_rcl(rcl.get_config()["iterations"])  # the static figure: the seed's Fig. 3, from the layer

try:
    import ipywidgets
except ImportError:
    ipywidgets = None
if ipywidgets is not None and BUDGET != "smoke":
    print("The slider redraws the picture for another T (it starts at T = 4):")
    ipywidgets.interact(draw_rcl, iterations=ipywidgets.IntSlider(value=4, min=0, max=6))

# %%
# NBVAL_CHECK_OUTPUT
unrolled = diagrams.rcl_unrolled(rcl)
print(f"rcl1: T = {unrolled.iterations}, states x(0)..x({unrolled.iterations}), "
      f"receptive fields {unrolled.receptive_fields}")
print("kernels on the arrows:", sorted(unrolled.kernels))
print("parameters from the picture:", f"{unrolled.params:,}", "| Keras:", f"{rcl.count_params():,}")

# %% [markdown]
# Whatever T is, the layer has one `w_f`, one `w_r` and one bias; unrolling adds depth
# (T + 1 convolutions on the longest path) and compute, not parameters. That is why the
# seed's parameter budget can treat an RCL like "two convolutions". In the whole RCNN:

# %%
# NBVAL_CHECK_OUTPUT
table = group_table("RCNN-A2")
groups = param_groups(build("RCNN-A2"))
print(table.to_string(index=False))
c = 160
print(f"one RCL with 160 maps: 2 x 9 x {c} x {c} + {c} = {2 * 9 * c * c + c:,}")
print("param_groups:", groups)

# %% [markdown]
# ## 2. Auditing the printed counts (Tables 1–3)
#
# The seed prints low/high/total counts in millions next to every width list. Are they the
# counts of the networks those widths describe? `analysis.paper_vs_computed` builds each model
# from its printed widths, counts its low/high/total parameters (biases and the FC layer
# included: they are parameters of the network) and flags a row when a printed value is
# farther from the computed one than its own rounding allows (`flag`: half a unit of the last
# printed digit, the lenient reading; `flag_2dp`: 0.005M for every value, reading "0.6" as
# 0.60). `severity` sorts the flagged rows: `minor` when every printed value is within 0.05M
# or 3% of the computed one (a rounding slip or a counting convention), `major` when the
# printed count cannot come from the printed widths. CIFAR-10 (Table 1):

# %%
COLUMNS = ["model", "widths", "low_printed", "high_printed", "total_printed", "low_M", "high_M",
           "total_M", "flag", "flag_2dp", "severity"]
audit10 = analysis.paper_vs_computed("CIFAR-10")
audit100 = analysis.paper_vs_computed("CIFAR-100")

# %%
# NBVAL_CHECK_OUTPUT
print(audit10[COLUMNS].round(3).to_string(index=False))

# %% [markdown]
# CIFAR-100 (Table 2) differs only in the FC layer (100 outputs), which adds
# `(100 - 10)·(C5 + 1)` parameters to the high group; the paper adjusted some printed values
# for it (CNN-A2, A3, B3) and not others. CNN-B1 becomes `major` there: its printed total
# 1.4M, unchanged from Table 1, is now 0.056M below the count — just beyond the tolerance:

# %%
# NBVAL_CHECK_OUTPUT
print(audit100[COLUMNS].round(3).to_string(index=False))

# %% [markdown]
# The reasons, in words (CIFAR-10):

# %%
# NBVAL_CHECK_OUTPUT
for row in audit10.itertuples():
    if row.flag:
        print(f"{row.model:8s} {row.flag_reason}")

# %% [markdown]
# Two kinds of disagreement:
#
# * **Minor** (the CNN rows, RCNN-A2, RCNN-B2): off by 0.007–0.04M, a few percent (CNN-B1
#   only under the strict two-decimal reading). In Table 1 every CNN value lies within ±0.05M
#   of its printed value, so the counts are consistent with values rounded to one decimal, or
#   with a slightly different counting convention (biases, the FC layer); they change no
#   comparison.
# * **Major** (RCNN-A1, RCNN-A3, RCNN-B1, RCNN-B3): the printed high/total counts cannot come
#   from the printed widths. RCNN-B1 (224-224-96-96-96) is printed with 1.7M high-layer
#   parameters; three RCLs of 96 maps and the FC hold 0.61M. Either the widths or the counts
#   of these rows are not those of the trained networks; the seed does not say which.
#
# Table 3 (SVHN) prints the same counts as Table 1 (10 classes both):

# %%
# NBVAL_CHECK_OUTPUT
audit_svhn = analysis.paper_vs_computed("SVHN")
same = (audit_svhn[["low_printed", "high_printed", "total_printed", "flag"]].values
        == audit10[["low_printed", "high_printed", "total_printed", "flag"]].values).all()
print("SVHN rows identical to CIFAR-10 rows (printed values and flags):", bool(same))

# %% [markdown]
# ## 3. Is the total really fixed?
#
# The claim is about moving parameters *at a fixed total*. Within each group of three (A1,
# A2, A3 or B1, B2, B3), how far apart are the totals of the networks the widths describe?

# %%
# NBVAL_CHECK_OUTPUT
audit10["family"] = audit10["model"].str.split("-").str[0]
audit10["group"] = audit10["model"].str.split("-").str[1].str[0]
audit10["high_fraction"] = audit10["high_params"] / audit10["total_params"]
for (family, group), rows in audit10.groupby(["family", "group"], sort=False):
    totals = ", ".join(f"{m} {t:.2f}M ({f:.0%} high)" for m, t, f in
                       zip(rows["model"], rows["total_M"], rows["high_fraction"]))
    spread = rows["total_M"].max() / rows["total_M"].min() - 1
    print(f"{family}-{group}: {totals} | largest/smallest - 1 = {spread:.0%}")

# %% [markdown]
# For the CNNs the premise roughly holds: totals within 9%, and the low-heavy network (A1, B1) is the
# *largest*, so if it loses, size is not the reason. For the RCNNs it does not: with the
# printed widths, RCNN-A3 has 22% more parameters than RCNN-A1 and RCNN-B3 85% more than
# RCNN-B1 — the high-heavy RCNNs that win in Tables 1–3 are also the bigger ones. Their
# comparison mixes two effects (a confound, 混杂因素), unless the printed widths are wrong.
#
# ## 4. The experiment
#
# `param-distribution` defines every network of the seed's Tables 1–3 with one training
# recipe; a budget below `full` trains a subset of them (printed at the top of the notebook).
# The seed gives no optimiser or schedule; the experiment's notes say what the course uses:

# %%
experiment = get_experiment("param-distribution")
print(experiment.source)
print(experiment.notes)

# %% [markdown]
# A finished run is read back, not trained again, and an interrupted one resumes from its last
# completed epoch: **to resume, run the cell again**. Budgets below `full` also narrow the
# widths (the factor is printed for every run below), which keeps the low/high ratios close to
# the originals; every record stores the parameters of the network it trained. Each model is
# trained with each of the budget's seeds: a record of a seed other than the experiment's own
# ends in `__seed<S>.json`. Runs the budget takes from the kit's shipped records are read, not
# trained (their records carry `"shipped": true`). While a model trains, Keras prints a progress
# bar; the curves of every run are drawn after the cell, from the records.

# %%
records = []
for data_name in datasets:
    records += run_experiment("param-distribution", models=PD_MODELS, dataset=data_name,
                              budget=BUDGET, results_dir=RESULTS_DIR, live=False)


def origin(record):
    """Where a record's numbers come from: this notebook (trained or read back) or the kit."""
    return "shipped" if record.get("shipped") else "trained here"


def seed_of(record):
    return record.get("seed", record["config"]["settings"].get("seed"))


for data_name in datasets:
    runs = [r for r in records if r["dataset"] == data_name]
    print(f"{data_name}: " + "; ".join(
        f"{label}: seeds {', '.join(f'{seed_of(r)} ({origin(r)})' for r in runs if r['label'] == label)}"
        for label in dict.fromkeys(r["label"] for r in runs)))

# %% [markdown]
# The training curves of every run, from the records: for each model the mean over its seeds,
# the band from the lowest to the highest seed, and each seed as a thin line. (After one epoch,
# as at `smoke`, a curve is a single point.)

# %%
for data_name in datasets:
    runs = [r for r in records if r["dataset"] == data_name]
    labels = list(dict.fromkeys(r["label"] for r in runs))
    seeds = {m: sorted(seed_of(r) for r in runs if r["label"] == m) for m in labels}
    fig = plot_training_curves(runs, title=(
        f"{data_name}, budget {BUDGET!r}: "
        + "; ".join(f"{m} (seed{'s' if len(seeds[m]) > 1 else ''} "
                    f"{', '.join(map(str, seeds[m]))})" for m in labels)
        + "\nline: mean over seeds; band: range over seeds; thin lines: each seed"))
    epochs = sorted({h["epoch"] for r in runs for h in r["history"]})
    for ax in fig.axes:
        ax.set_xticks(epochs)  # whole epochs only, also when there is a single one
    plt.show()

# %% [markdown]
# Self-check: `verify_record` reloads the `.keras` saved beside each record, scores it again on
# the same test images and raises if its error differs from the record's. Then, how far is
# each run from the seed's setting (the seed: CIFAR-10/100 and SVHN, full data, the printed
# widths, cuda-convnet2 training to convergence)?

# %%
for r in records:
    if not r.get("shipped"):  # the kit ships the JSON records only, not the trained models
        verify_record(r)
for r in records:
    arch = r["architecture"]
    print(f"{r['label']:8s} seed {seed_of(r)} {r['dataset']} ({origin(r)}): "
          f"{r['config']['num_train']:,} train / "
          f"{r['config']['num_test']:,} test images, {r['epochs_completed']} epochs (the course's "
          f"full schedule: {experiment.epochs}), widths x{arch['width_multiplier']:g}"
          + (" (narrowed by the budget)" if arch["changed_by_budget"] else ""))

# %% [markdown]
# The experiment's report: every record at this budget (also runs made elsewhere, e.g. CNN-A2
# in notebook 01) next to the paper's three tables, and the paper's ordering claims checked on
# ours (`figures=True`, the default, also saves its figures under
# `results/param-distribution/figures/`; from a shell: `python -m course_lib report
# param-distribution`):

# %%
rep = report("param-distribution", results_dir=RESULTS_DIR, budget=BUDGET, figures=False)
_in_report = {(r["label"], r["dataset"], seed_of(r)) for r in rep.records}
_not_in_report = [r for r in records if (r["label"], r["dataset"], seed_of(r)) not in _in_report]
if _not_in_report:
    print(f"\nNote: the report reads {RESULTS_DIR} only; {len(_not_in_report)} run(s) of "
          "section 4 are not in it (" + ", ".join(
              f"{r['label']} seed {seed_of(r)} ({origin(r)})" for r in _not_in_report)
          + "). The tables and verdicts below use every run of section 4.")

# %% [markdown]
# Our runs, one row per run (model and seed). `origin` says where each number comes from:
# `trained here` (by this notebook, now or in an earlier session of it) or `shipped` (a record
# the kit ships, trained with the same budget by `python tools/ship_records.py
# param-distribution`).

# %%
paper = analysis.load_table("seed000_param_distribution")
ours = pd.DataFrame([{
    "model": r["label"],
    "seed": seed_of(r),
    "origin": origin(r),
    "dataset": r["dataset"],
    "family": r["label"].split("-")[0],
    "group": r["label"].split("-")[1][0],
    "low": r["params"]["low"],
    "high": r["params"]["high"],
    "total": r["params"]["total"],
    "high fraction": r["params"]["high"] / r["params"]["total"],
    "narrowed by budget": r["architecture"]["changed_by_budget"],
    "epochs": r["epochs_completed"],
    "test error %": round(r["test_error_pct"], 2),
} for r in records])
ours = ours.merge(paper[["model", "dataset", "test_error_pct"]].rename(
    columns={"test_error_pct": "paper error %"}), on=["model", "dataset"], how="left")
counts = ours["origin"].value_counts()
print(f"ours: budget {BUDGET!r}, {len(ours)} runs: "
      + ", ".join(f"{n} {where}" for where, n in counts.items())
      + "; 'paper error %' only where the dataset is one of the paper's")
ours

# %%
# Self-check: the table holds the numbers the records hold.
assert ours["test error %"].tolist() == [round(r["test_error_pct"], 2) for r in records]
assert ours["total"].tolist() == [r["params"]["total"] for r in records]
assert len(ours.drop_duplicates(["model", "dataset", "seed"])) == len(records)

# %% [markdown]
# The report: test error against the fraction of parameters in the high layers, one line per
# group of three. Ours first (one panel per dataset): each point is the mean over the model's
# seeds, its error bar the 95% t-interval of that mean (seeds as the unit: with 2 seeds the
# t-quantile is 12.7, with 3 it is 4.3, so few seeds give wide bars — honestly so; one seed
# gives no bar). The y-axis does not start at 0: its range is printed on the panel, so a small
# gap does not look steep unnoticed. Last, the paper's printed errors (CIFAR-10) against the
# high fraction of the networks its widths describe (section 3): one number per model, no
# repeats reported, so no interval can be drawn.

# %%
paper10 = audit10.assign(**{"test error %": audit10["test_error_pct"],
                             "high fraction": audit10["high_fraction"]})
ours["line"] = ours["family"] + "-" + ours["group"]
fig, axes = plt.subplots(1, len(datasets) + 1, figsize=(6.6 * (len(datasets) + 1), 4.6))
for ax, data_name in zip(axes, datasets):
    plot_error_lines(ours[ours["dataset"] == data_name], x="high fraction", y="test error %",
                     line="line", label="model", interval="t95", ax=ax,
                     title=f"ours: {data_name}, budget {BUDGET!r}",
                     xlabel="high-layer share of the parameters")
    ax.margins(x=0.15)  # room for the labels of the outermost points
ax = axes[-1]
for i, (name, g) in enumerate(paper10.groupby(["family", "group"], sort=False)):
    g = g.sort_values("high fraction")
    ax.plot(g["high fraction"], g["test error %"], "-o", color=f"C{i}", markersize=5,
            label="-".join(name))
    for _, r in g.iterrows():  # labels of groups A below their points, of groups B above
        ax.annotate(r["model"], (r["high fraction"], r["test error %"]), fontsize=8,
                    color=f"C{i}", textcoords="offset points",
                    xytext=(4, -11 if name[1] == "A" else 5))
low, high = paper10["test error %"].min(), paper10["test error %"].max()
ax.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
ax.margins(x=0.15)
y0, y1 = ax.get_ylim()
ax.set(xlabel="high-layer share of the parameters", ylabel="test error % (axis not from 0)")
ax.set_title("paper: CIFAR-10 (seed 000 Table 1), as printed\n"
             f"y-axis {y0:.2f} to {y1:.2f} (not from 0); one run per model, no repeats "
             "reported:\nno interval", fontsize=10)
ax.grid(alpha=0.3)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Is the claim supported on our data at this budget?
#
# The claim predicts, within each group, error(1) > error(2) > error(3) — a line falling to
# the right. First, what the paper's own numbers say. They are one run per model (no repeats
# or error bars reported), so they give differences but no interval, and no verdict can be
# computed from them. The steps below are printed error of the lower-share network minus that
# of the next one, in points (positive: the claimed direction):

# %%
steps = []
for (data_name, family, group), g in paper.groupby(["dataset", "family", "variant"], sort=False):
    errors = g.set_index("model")["test_error_pct"]
    names = [f"{family}-{group}{i}" for i in (1, 2, 3)]
    steps.append({"dataset": data_name, "group": f"{family}-{group}",
                  "printed errors % (1, 2, 3)": ", ".join(f"{errors[m]:.2f}" for m in names),
                  "1 minus 2": errors[names[0]] - errors[names[1]],
                  "2 minus 3": errors[names[1]] - errors[names[2]]})
print("paper (seed 000 Tables 1-3), one run per model: differences only, no interval")
print(pd.DataFrame(steps).to_string(index=False, float_format=lambda v: f"{v:+.2f}"))

# %% [markdown]
# For several pairs the printed steps are 0.04–0.1 points (CIFAR-10 A2 → A3: 10.37 → 10.32;
# SVHN A2 → A3: 2.87 → 2.81), comparable to the seed-to-seed spread commonly seen in CIFAR
# training, so on their own they cannot carry the claim. The larger steps from the low-heavy
# network to the baseline (CNN A1 → A2 and B1 → B2: 0.8–3.6 points on CIFAR-10/100, though
# only 0.04–0.07 on SVHN) are more convincing, and for the CNNs they are not explained by size
# (A1 and B1 are the largest). For the RCNNs, section 3 showed that the winners are also the
# bigger networks if the printed widths are right.

# %% [markdown]
# How to read our result honestly:
#
# * **`smoke`** trains for one epoch on a handful of images: the errors are near chance and
#   their differences are noise. These numbers are **not evidence** for or against the claim;
#   they only show that the pipeline runs end to end.
# * **`quick`** gives a first look on Fashion-MNIST after a short schedule on part of the
#   training set, with narrowed widths (the setting lines of section 4 say exactly how far from
#   the seed's). Fashion-MNIST is not the paper's data, and the networks are far from
#   "saturation", which is where the claim is made; after a short training the differences may
#   say more about how fast each network starts to learn than about where its parameters sit.
# * **A difference is evidence only when it is larger than the noise.** Two kinds of chance
#   move our difference: the seed (another seed gives another network), and the test set (its
#   images are one sample of all the images there are: an error near 14% measured on N =
#   10,000 images has a standard error of sqrt(p(1 − p)/N) ≈ 0.35 points from the choice of
#   images alone). The verdict below accounts for both
#   and prints the difference with its 95% interval and one of three words: **supports** (the
#   interval lies wholly on the claimed side of 0), **contradicts** (wholly on the other
#   side), **inconclusive** (it contains 0). With fewer than 3 seeds on either side it is
#   always "inconclusive (too few seeds)". The method in full:

# %%
import textwrap

print(textwrap.fill(analysis.method_paragraph(), 100))

# %% [markdown]
# The mean and spread of each model over its seeds, and the verdict on every ordering the seed
# claims among the models we have records of (the claims come from the experiment,
# `claimed_orderings`, so a model added to the budget is judged without editing this cell):

# %%
summary = seed_summary(records_frame(records))
assert summary["seeds"].sum() == len(records)
origins = ours.groupby(["dataset", "model"], sort=False)["origin"].agg(
    lambda o: " + ".join(f"{n} {w}" for w, n in o.value_counts().items()))
summary["origin"] = [origins[(d, m)] for d, m in zip(summary["dataset"], summary["label"])]
print(summary[["dataset", "label", "seeds", "origin", "test mean %", "test std %", "test min %",
               "test max %"]].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
verdicts, verdict_rows = [], []
for data_name, group in summary.groupby("dataset", sort=False):
    by_label = group.set_index("label")
    for claim, lower, higher, split in claimed_orderings("param-distribution"):
        if lower in by_label.index and higher in by_label.index:
            v = compare_ordering(by_label.loc[lower], by_label.loc[higher], split)["result"]
            verdicts.append(v)
            verdict_rows.append({
                "dataset": data_name, "claim": claim, "seeds": f"{v.n_lower}+{v.n_higher}",
                "means %": f"{v.mean_lower:.2f} vs {v.mean_higher:.2f}",
                "difference": f"{v.difference:+.2f}",
                "95% CI": ("none (one seed)" if np.isnan(v.ci_low) else
                           f"[{v.ci_low:+.2f}, {v.ci_high:+.2f}]"),
                "verdict": v.word})
if verdict_rows:
    print("\nverdicts (difference = claimed-lower minus claimed-higher, in points):")
    print(pd.DataFrame(verdict_rows).to_string(index=False))
    print("\n" + "\n".join(f"{v.claim}: {v.method}" + (f"; {v.note}" if v.note else "")
                            for v in verdicts))
    plot_verdicts(verdicts, title=f"our verdicts, budget {BUDGET!r}: left of 0 = the claimed "
                                  "direction")
    plt.show()
else:
    print("no claimed ordering has records of both of its models at this budget")

# %% [markdown]
# **CNN-A2, the middle of group A.** CNN-A2 is the seed's baseline (equal widths). At `quick`
# this notebook reads its seeds from the kit's shipped records (section 4's first cell lists
# them); notebook 01 trains its seed 0, and where that run is in your results folder it is
# read instead. The report above lists every run at this budget. Where CNN-A2 sits between A1
# and A3, from the report's numbers:

# %%
def key(r):
    return r["label"], r["dataset"], r["budget"], seed_of(r)


ours_keys = {key(r) for r in records}
everything = records + [r for r in rep.records if key(r) not in ours_keys]


def where_from(r):
    return origin(r) if key(r) in ours_keys else "read from the results folder (trained elsewhere, e.g. notebook 01)"


GROUP_A = ["CNN-A1", "CNN-A2", "CNN-A3"]
for data_name in datasets:
    runs = [r for r in everything if r["dataset"] == data_name]
    table = seed_summary(records_frame(runs)).set_index("label") if runs else pd.DataFrame()
    if "CNN-A2" not in table.index:
        display(Markdown(
            f"**{data_name}, budget {BUDGET!r}:** no CNN-A2 run in this notebook or in "
            f"`{RESULTS_DIR}` (this budget neither trains nor ships it; notebook 01 trains "
            "it, exercise 3 trains it here), so the middle "
            "of group A is missing and its place in the ordering is unknown."))
        continue
    present = [m for m in GROUP_A if m in table.index]
    means = {m: table.loc[m, "test mean %"] for m in present}

    def describe(m):
        seeds = sorted(seed_of(r) for r in runs if r["label"] == m)
        froms = pd.Series([where_from(r) for r in runs if r["label"] == m]).value_counts()
        spread = table.loc[m, "test std %"]
        return (f"{m} {means[m]:.2f}% ({len(seeds)} seed{'s' if len(seeds) != 1 else ''}: "
                f"{', '.join(map(str, seeds))}; "
                + (f"std {spread:.2f}; " if pd.notna(spread) else "")
                + " + ".join(f"{n} {w}" for w, n in froms.items()) + ")")

    ranked = sorted(present, key=means.get)
    lines = [f"**{data_name}, budget {BUDGET!r}.** Mean test error: "
             + ", ".join(describe(m) for m in present) + ".",
             f"In the means the order is {' < '.join(ranked)}; the seed claims "
             f"{' < '.join(m for m in reversed(GROUP_A) if m in present)}."]
    if ranked[0] == "CNN-A2" and len(present) == 3:
        lines.append("The equal-width baseline has the lowest mean error, below both ends: in "
                     "the means, the balanced distribution beats moving parameters to either "
                     "side, which is not what the seed's ordering says (in its Tables 1-3 A3 "
                     "is below A2).")
    for claim, lower, higher, split in claimed_orderings("param-distribution"):
        if "CNN-A2" in (lower, higher) and lower in table.index and higher in table.index:
            v = compare_ordering(table.loc[lower], table.loc[higher], split)["result"]
            lines.append(f"Verdict on {v.claim}: {v.format(claim=False)}.")
    n_a2 = int(table.loc["CNN-A2", "seeds"])
    if n_a2 < 2:
        lines.append(
            "Caveat: CNN-A2 has a single seed, and a single seed has no interval: we cannot "
            "tell how far another seed of it would land from this one. The other models' seeds "
            "show how much one run moves"
            + (" (std " + ", ".join(f"{m} {table.loc[m, 'test std %']:.2f}" for m in present
                                     if m != "CNN-A2" and pd.notna(table.loc[m, 'test std %']))
               + " points)" if any(pd.notna(table.loc[m, "test std %"]) for m in present
                                   if m != "CNN-A2") else "")
            + ", so until CNN-A2 has at least 3 seeds its place in the ordering is a single "
            "draw, not a finding (exercise 3 adds them).")
    elif n_a2 < 3:
        lines.append("Caveat: with fewer than 3 seeds of CNN-A2 the verdicts above are "
                     "'inconclusive (too few seeds)' whatever the means say.")
    display(Markdown(" ".join(lines)))

# %% [markdown]
# **The RCNN pair.** The seed makes the same claim for its recurrent networks (RCNN-A3 below
# RCNN-A1), and the verdict table above judges it on ours where the budget has both. An RCNN
# unrolls every recurrent layer three times and normalises every state, so one costs several
# CNNs; at `quick` this notebook reads all their seeds from the kit's shipped records (the
# plan at the top lists them; `python tools/ship_records.py param-distribution` makes them
# again). Section 3 found that with the printed widths RCNN-A3 is also the *larger* network,
# so a win of A3 cannot be credited to where its parameters sit alone. The narrowed pair we
# trained, from its records:

# %%
for data_name in datasets:
    pair = {label: [r for r in records if r["dataset"] == data_name and r["label"] == label]
            for label in ("RCNN-A1", "RCNN-A3")}
    if not all(pair.values()):
        print(f"{data_name}, budget {BUDGET!r}: no RCNN pair in this budget's runs")
        continue
    sizes = {m: runs[0]["params"] for m, runs in pair.items()}
    # the median: a run that shared its CPU with other work does not stretch it
    minutes = {m: np.median([r["wall_time_s"] for r in runs]) / 60 for m, runs in pair.items()}
    for m, runs in pair.items():
        print(f"{m}: {sizes[m]['total']:,} parameters ({sizes[m]['high'] / sizes[m]['total']:.0%} "
              f"in the high layers), {len(runs)} seed(s), "
              f"{' + '.join(f'{n} {w}' for w, n in pd.Series(map(origin, runs)).value_counts().items())}, "
              f"{minutes[m]:.1f} min per run (median of the records' wall times, on the CPU "
              "that trained them)")
    ratio = sizes["RCNN-A3"]["total"] / sizes["RCNN-A1"]["total"] - 1
    print(f"RCNN-A3 has {ratio:+.0%} parameters against RCNN-A1 at these widths: "
          + ("a win of A3 is also a win of the larger net." if ratio > 0.05 else
             "the sizes are close, so size alone does not explain a difference."))

# %% [markdown]
# So: the direction "too much width in the first layers hurts" has support in the seed's CNN
# tables, as single runs; "more in the high layers always helps at a fixed budget" rests on
# small differences and, for the RCNN, on unequal budgets. What our runs add at this budget is
# in the verdicts above: a word, a difference and an interval per claimed ordering, about these
# short runs on Fashion-MNIST, not about the paper's setting.
#
# ## 6. Beside the baselines the seed prints
#
# Tables 1–3 also print other published networks (Maxout, NIN, DSN, PReLU, Highway) with
# their sizes. They were trained by their own authors with their own recipes, some with data
# augmentation; the seed compares its RCNN-A3 with them. **Think first:** which rows of the
# table below may be compared with which, and which not at all?
#
# Papers: Maxout ([arXiv:1302.4389](https://arxiv.org/abs/1302.4389)), NIN
# ([arXiv:1312.4400](https://arxiv.org/abs/1312.4400)), DSN
# ([arXiv:1409.5185](https://arxiv.org/abs/1409.5185)), PReLU
# ([arXiv:1502.01852](https://arxiv.org/abs/1502.01852)), Highway
# ([arXiv:1505.00387](https://arxiv.org/abs/1505.00387)).

# %%
baselines = analysis.load_table("seed000_baselines")
side = pd.concat([
    baselines.assign(source="seed 000 (baseline, as printed)")[
        ["model", "dataset", "total_M", "test_error_pct", "source"]],
    paper.loc[paper["model"].isin(["CNN-A3", "RCNN-A3"])].assign(source="seed 000 (its own model)")[
        ["model", "dataset", "total_M", "test_error_pct", "source"]],
    pd.DataFrame([{"model": r["label"], "dataset": r["dataset"], "total_M": r["params"]["total"] / 1e6,
                   "test_error_pct": round(r["test_error_pct"], 2), "source": f"ours ({BUDGET})"}
                  for r in records]),
], ignore_index=True)
assert side.loc[side["source"].str.startswith("ours"), "test_error_pct"].tolist() == \
    [round(r["test_error_pct"], 2) for r in records]
# pivot_table averages: our rows are the mean over seeds
side.pivot_table(index=["source", "model"], columns="dataset", values="test_error_pct", sort=False)

# %% [markdown]
# Left, the source's numbers for CIFAR-10 (seed 000 Table 1): data with a source, one run per
# network as printed, no repeats reported, so they have no seeds and no error bars. Right, ours:
# the mean over seeds with its 95% t-interval (no bar for a model with one seed). Both start
# at 0; the legend sits outside the bars.

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 4.4), gridspec_kw={"width_ratios": [3, 2]})
table1 = experiment.datasets[0]  # the seed's Table 1 dataset (CIFAR-10): a label, nothing is loaded
cifar = side[(side["dataset"] == table1) & ~side["source"].str.startswith("ours")]
sources = list(dict.fromkeys(cifar["source"]))
for i, (_, row) in enumerate(cifar.iterrows()):
    axes[0].bar(i, row["test_error_pct"], color=f"C{sources.index(row['source'])}",
                label=row["source"])
handles, labels = axes[0].get_legend_handles_labels()
unique = dict(zip(labels, handles))
axes[0].legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0),
               frameon=False, fontsize=8)
axes[0].set_xticks(range(len(cifar)), cifar["model"], rotation=30, ha="right")
axes[0].set(ylim=(0, None), ylabel="test error %",
            title="source numbers: CIFAR-10 test error (seed 000, Table 1)\n"
                  "as printed: one run per network, no seeds, no error bars")
mine = side[side["source"].str.startswith("ours")].rename(columns={"test_error_pct": "test error %"})
plot_error_bars(mine, x="model", y="test error %", interval="t95", ax=axes[1],
                group="dataset" if mine["dataset"].nunique() > 1 else None,
                title=f"ours: {', '.join(sorted(set(mine['dataset'])))}, budget {BUDGET!r}")
fig.tight_layout()
plt.show()

# %% [markdown]
# The two panels share no axis on purpose. Below `full` our dataset is Fashion-MNIST, not
# CIFAR-10: our numbers cannot be set against the baselines at all. At `full` (CIFAR-10, same
# widths, no augmentation as in the seed) the CNN and RCNN rows become comparable with the
# seed's own rows; the baselines stay a rough reference (other recipes; Maxout, for one, is
# printed as "> 5M" parameters, and Table 3 prints 1.98M for NIN and DSN where Tables 1 and 2
# print 0.98M).
#
# ## 练习 (exercises, ungraded)
#
# 1. **A really fixed total.** Design a CNN group at a fixed total: choose widths
#    `(a, a, b, b, b)` with `a ∈ {96, 160, 224}` and solve for `b` so that every total is within
#    1% of CNN-A2's (`course_lib.models.param_distribution.param_net(widths)` builds any width
#    list; `recurrent=True` gives the RCNN).
#    *Hint:* conv2 costs `9a² + a`, conv3 `9ab + b`, conv4 and conv5 `9b² + b` each: the total
#    is a quadratic in `b`; solve it, round, and check with `count_params()`.
# 2. **Which widths did the paper train?** Find RCNN width lists (multiples of 32, as
#    cuda-convnet2 required) whose counts match the printed low/high/total of RCNN-B1 and
#    RCNN-A3. Is there one?
#    *Hint:* loop over widths in `range(32, 321, 32)` for the low pair and the high triple and
#    compare `param_groups(param_net(widths, recurrent=True))` with the printed values within
#    0.05M.
# 3. **Seed-to-seed spread.** With `BUDGET = "quick"`, run group A of the CNN with two more
#    seeds (`run_experiment("param-distribution", models=["CNN-A1", "CNN-A2", "CNN-A3"],
#    seeds=[0, 1, 2, 3, 4], dataset="fashion_mnist32", budget="quick",
#    results_dir=RESULTS_DIR)`). How large is the spread compared with the differences
#    between the models, and do the verdicts on A2 < A1 and A3 < A2 change with five seeds?
#    *Hint:* the runs section 4 already has (its first cell lists them) are read back, not
#    trained again; only the missing (model, seed) pairs train (the experiment's notes give
#    the cost of a run). A record of seed S other than 0 ends in `__seed<S>.json`.
#    `report(...)` gives the mean, the spread and the verdicts per model.
# 4. **The FC layer.** The high group includes the FC layer. Does the CIFAR-100 ordering of the
#    high fraction change if you leave the FC out?
#    *Hint:* `group_table(name, num_classes=100)` lists the layers; subtract the `fc` row from
#    the high sum before dividing.
# 5. **Unrolling.** With the widget (or `draw_rcl(T)`), find the smallest T for which `x(T)` of
#    an RCL with 3x3 kernels sees a 15x15 window. What does that cost in parameters, and in
#    multiply-adds per position?
#    *Hint:* the field is `3 + 2T`; parameters do not depend on T, the compute grows with
#    T + 1 convolutions (`analysis.layer_table` counts MACs).
# 6. **Weight sharing for real.** Build `RecurrentConv2D(8, 3, iterations=3)` on a
#    `(1, 8, 8, 8)` input and take the gradient of its output's sum with respect to
#    `layer.recurrent_kernel`. Then set `iterations=1`: how does the gradient change?
#    *Hint:* `tf.GradientTape`; one shared variable collects the contributions of all T steps.
#
# **Graded work:** [assignment 2](../assignments/2-custom-keras-layers/student/custom-keras-layers.ipynb)
# asks you to write the recurrent convolutional layer (and LRN, SAF-pooling) yourself;
# [assignment 3](../assignments/3-design-under-budget/student/design-under-budget.ipynb) to
# spend a fixed parameter budget well — this notebook's question, with your own network.
#
# ## Answers (ungraded)
#
# <details>
# <summary>Show the answers</summary>
#
# 1. With 10 classes CNN-A2 has 936,010 parameters. `a = 96` gives
#    `18b² + 877b + 90,346 = 936,010`, so `b ≈ 194`; `a = 224` gives `b ≈ 114`; `a = 160`
#    gives `b = 160` (CNN-A2 itself). The seed's groups (A1: 256/96, A3: 96/192) are only
#    roughly at equal totals (section 3).
# 2. No list of the seed's form `(a, a, b, b, b)` in multiples of 32 reproduces the printed
#    low/high/total of RCNN-B1 or RCNN-A3 (not even within 0.05M each). A few irregular lists
#    do (e.g. 64-288-96-96-320 for RCNN-B1), which shows that three printed numbers cannot
#    identify the widths: either the widths or the counts of those rows are not those of the
#    trained networks.
# 3. At `quick` the runs of one model differ by a few tenths of a point up to about a point
#    (the std column of section 5; another machine moves the same seed by as much again), the
#    same size as the differences between A1, A2 and A3. So one run per model decides nothing,
#    and even with 3 seeds an interval of the difference usually still contains 0: the verdicts
#    stay "inconclusive" unless a gap is well over a point. What does not change is the
#    arithmetic: the interval narrows like 1/sqrt(seeds), so halving it takes four times the
#    seeds.
# 4. No. The FC has `(C5 + 1)·classes` parameters: 970–2,250 at 10 classes, 9,700–22,500 at
#    100 (for the printed widths of the seed's table, `course_lib/tables/seed000_param_distribution.csv`).
#    Leaving it out lowers a high fraction by at most 0.06 points at 10 classes, and by at most
#    0.59 points at 100 classes: the largest drop is CNN-A1's on CIFAR-100, 39.45% → 38.86%
#    (it has the smallest high share and one of the smallest totals, so its FC weighs most;
#    CNN-A3 drops 0.20). Within every group the ordering of the fractions stays the same
#    (CNN-A: 38.86%, 74.02%, 90.18% without the FC): neighbours in a group are 13.89 points
#    apart or more (CNN-B2 → CNN-B3), over twenty times the largest change. (These numbers are
#    computed from the built models by `tests/test_05_parameter_distribution.py`, which fails
#    if this answer no longer matches them.)
# 5. `3 + 2T ≥ 15` gives T = 6: seven convolutions deep, with the same two kernels; the
#    parameter count is unchanged and the compute per position is about 7/4 of T = 3's.
# 6. With T = 3 the gradient is the sum of three steps' contributions, with T = 1 of one; the
#    layer has one recurrent kernel in both cases (`len(layer.weights)` is 3).
#
# </details>
