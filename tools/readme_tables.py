#!/usr/bin/env python
"""Write the README's two generated tables: the notebooks' quick times and the quick results.

    python tools/readme_tables.py            # rewrite both tables in README.md
    python tools/readme_tables.py --check    # exit 1 when the times table is out of date

* **Times** (between ``<!-- notebook-times:start -->`` and ``<!-- notebook-times:end -->``):
  from each committed notebook's metadata, which ``tools/notebooks.py execute`` writes (its
  wall time, the 1-minute load average before and after, and this machine's ``tf.matmul``
  GFLOP/s), and what each notebook trains and reads, from the experiments' definitions
  (:func:`course_lib.train.budget_plan`). ``tests/test_readme_tables.py`` checks it.
* **Results** (between ``<!-- quick-results:start -->`` and ``<!-- quick-results:end -->``):
  from the quick records in ``results/`` (those the notebooks trained) and the kit's shipped
  records (:func:`course_lib.train.report`): each model's mean and standard deviation over its
  seeds and where the seeds came from, and each claimed ordering's verdict with its 95%
  interval. Run it right after ``tools/notebooks.py execute --budget quick``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
README = REPO / "README.md"

#: What each notebook trains at quick: (experiment, models or None for the budget's set, seeds
#: or None for the budget's, its ``shipped`` argument) -- as the notebook calls run_experiment.
NOTEBOOK_RUNS = {
    "01_start_here": [("param-distribution", ["CNN-A2"], [0], "train")],
    "02_cnn_building_blocks": [],
    "03_receptive_fields_and_classic_nets": [("resnet-degradation", None, None, "read")],
    "04_vgg": [("vgg-depth", None, None, "read"), ("vgg-init", None, None, "read")],
    "05_parameter_distribution": [("param-distribution", None, None, "read")],
    "06_simpnet": [("simpnet-principles", None, None, "read")],
}

#: The experiments of the results table, in the course's order.
RESULT_EXPERIMENTS = ("param-distribution", "resnet-degradation", "vgg-depth", "vgg-init",
                      "simpnet-principles")


def _between(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {start} ... {end} block")
    return pattern.sub(lambda _: f"{start}\n{body.rstrip()}\n{end}", text)


def _trains(name: str) -> str:
    """What the notebook trains and reads at quick, from the experiments' definitions."""
    from course_lib.train import get_experiment

    parts = []
    for experiment, models, seeds, shipped in NOTEBOOK_RUNS[name]:
        exp = get_experiment(experiment)
        budget = exp.budget("quick")
        labels = exp.run_labels(budget, models)
        seeds = seeds if seeds is not None else exp.seeds(budget)
        trained, read = exp.split_runs(budget, models, seeds)
        if shipped == "train":  # run_experiment(..., shipped="train") trains those too
            trained, read = trained + read, []
        text = f"{experiment}: trains {len(trained)} run{'s' if len(trained) != 1 else ''}"
        if read:
            text += f", reads {len(read)} shipped"
        parts.append(text + f" ({', '.join(labels)}; seeds {', '.join(map(str, seeds))})")
    return "; ".join(parts) or "nothing: reads 01's CNN-A2 back"


def times_table() -> str:
    rows = ["| notebook | `quick` time (idle 2-core CPU) | load before / after | this machine's "
            "`tf.matmul` | what quick trains |", "|---|---|---|---|---|"]
    for name in NOTEBOOK_RUNS:
        meta = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
                          )["metadata"].get("course_kit", {})
        if meta.get("budget") != "quick" or "seconds" not in meta:
            when = "not executed at quick"
            load = gflops = "—"
        else:
            when = f"{meta['seconds'] / 60:.1f} min ({meta['seconds']} s)"
            load = " / ".join(f"{v:.1f}" for v in meta["load_average"])
            gflops = f"{meta['matmul_gflops']} GFLOP/s"
        rows.append(f"| {name} | {when} | {load} | {gflops} | {_trains(name)} |")
    return "\n".join(rows)


def results_table(results_dir: str = "results") -> str:
    from course_lib.train import report

    rows = ["| experiment | model | test error % (mean ± std) | seeds (trained here + read "
            "from shipped records) |", "|---|---|---|---|"]
    verdicts = []
    for name in RESULT_EXPERIMENTS:
        rep = report(name, results_dir=results_dir, dataset="fashion_mnist32", budget="quick",
                     figures=False, verbose=False)
        if rep.table.empty or (rep.table["origin"] == "shipped").all():
            rows.append(f"| {name} | (no quick run trained in {results_dir}/: execute its "
                        f"notebook at quick first) | | |")
            continue
        for label, group in rep.table.groupby("label", sort=False):
            errors = group["test error %"]
            std = f" ± {errors.std(ddof=1):.2f}" if len(errors) > 1 else ""
            shipped = int((group["origin"] == "shipped").sum())
            rows.append(f"| {name} | {label} | {errors.mean():.2f}{std} | {len(errors)} "
                        f"({len(errors) - shipped} + {shipped}) |")
        for _, o in rep.orderings.iterrows():
            v = o["result"]
            ci = ("no interval" if v.ci_low != v.ci_low  # NaN: too few seeds
                  else f"[{v.ci_low:+.2f}, {v.ci_high:+.2f}]")
            verdicts.append(f"| {name} | {o['claim']} | {o['seeds']} | {v.difference:+.2f} "
                            f"{ci} | **{v.word}** |")
    out = "\n".join(rows)
    if verdicts:
        out += ("\n\n| experiment | claimed ordering | seeds | difference, points [95% CI] | "
                "verdict |\n|---|---|---|---|---|\n" + "\n".join(verdicts))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the times table")
    parser.add_argument("--results-dir", default="results")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = _between(text, "notebook-times", times_table())
    if args.check:
        if new != text:
            print("README.md's notebook times are out of date: run python tools/readme_tables.py")
            return 1
        return 0
    new = _between(new, "quick-results", results_table(args.results_dir))
    README.write_text(new, encoding="utf-8")
    print("README.md: tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
