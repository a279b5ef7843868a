#!/usr/bin/env python
"""Make the records the kit ships (``course_lib/shipped_results/``) for a budget's shipped runs.

Usage (from the repository root, with the kit's venv)::

    python tools/ship_records.py resnet-degradation        # train the shipped runs, write them
    python tools/ship_records.py --all                     # every experiment with shipped runs
    python tools/ship_records.py vgg-depth --results-dir results   # reuse finished runs there
    python tools/ship_records.py --list                    # what is shipped, and what is missing
    python tools/ship_records.py vgg-depth --force         # make up-to-date records again too

Each shipped run ``(label, seed)`` of the experiment's budget (``Budget.shipped``) is trained by
the kit's runner exactly as a notebook would train it (``run_model`` with that budget on
``fashion_mnist32``; a finished run with the same fingerprint in ``--results-dir`` is reused
instead), and its JSON record is written to the shipped folder without the entries that name
this machine's files (the record's path, the saved model's path). Only JSON is shipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _targets(args) -> list[str]:
    from course_lib.train import experiment_names
    from course_lib.train.shipped import shipped_runs

    names = [n for n in experiment_names() if shipped_runs(n, args.budget)] if args.all else args.experiments
    if not names:
        raise SystemExit("Name an experiment (python tools/ship_records.py resnet-degradation) "
                         "or pass --all.")
    return names


def _list(budget: str) -> int:
    from course_lib.train import experiment_names
    from course_lib.train.shipped import shipped_path, shipped_runs

    missing = 0
    for name in experiment_names():
        for label, seed in shipped_runs(name, budget):
            path = shipped_path(name, label, seed, budget=budget)
            state = "shipped" if path.is_file() else "MISSING"
            missing += not path.is_file()
            print(f"{state:8s} {name} {label} seed {seed}: {path.relative_to(REPO)}")
    return 1 if missing else 0


def _up_to_date(name: str, label: str, seed: int, budget: str, results_dir: str) -> bool:
    """Whether the kit already ships a record of the run with its current fingerprint."""
    from course_lib.train.runner import plan
    from course_lib.train.shipped import SHIPPED_DATASET, read_shipped_record

    try:
        run = plan(name, label, dataset=SHIPPED_DATASET, budget=budget, seed=seed,
                   results_dir=results_dir)
        read_shipped_record(run)
    except ValueError:  # stale or missing (StaleShippedRecord), or an untrained init_from source
        return False
    return True


def ship(name: str, budget: str, results_dir: str, *, train: bool = True,
         force: bool = False) -> list[Path]:
    """Train (or reuse) the shipped runs of one experiment and write their records; with
    ``train=False`` only the runs already finished in ``results_dir`` are shipped. A run whose
    shipped record is up to date is left alone unless ``force`` (training it again on another
    machine would replace it with another random draw)."""
    from course_lib.train import get_experiment
    from course_lib.train.results import write_json_atomic
    from course_lib.train.runner import plan, run_model
    from course_lib.train.shipped import (SHIPPED_DATASET, portable_record, shipped_path,
                                          shipped_runs)

    written, title = [], get_experiment(name).name
    for label, seed in shipped_runs(name, budget):
        if not force and _up_to_date(name, label, seed, budget, results_dir):
            print(f"up to date, kept: {title} {label} seed {seed}")
            continue
        if not train:
            run = plan(name, label, dataset=SHIPPED_DATASET, budget=budget, seed=seed,
                       results_dir=results_dir)
            if not run.path.is_file():
                print(f"not finished, not shipped: {title} {label} seed {seed} ({run.path})")
                continue
        record = run_model(name, label, dataset=SHIPPED_DATASET, budget=budget, seed=seed,
                           results_dir=results_dir, live=False)
        written.append(write_json_atomic(shipped_path(name, label, seed, budget=budget),
                                         portable_record(record)))
        print(f"shipped {title} {label} seed {seed} -> {written[-1].relative_to(REPO)}")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiments", nargs="*", help="experiment names (course-lib list)")
    parser.add_argument("--all", action="store_true", help="every experiment with shipped runs")
    parser.add_argument("--budget", default="quick", help="the budget (default quick)")
    parser.add_argument("--results-dir", default="results",
                        help="where the runs are trained (finished ones are reused); default "
                             "results/")
    parser.add_argument("--list", action="store_true", help="list shipped and missing records")
    parser.add_argument("--no-train", action="store_true",
                        help="ship only the runs already finished in --results-dir")
    parser.add_argument("--force", action="store_true",
                        help="make the records again even where they are up to date")
    args = parser.parse_args(argv)
    if args.list:
        return _list(args.budget)
    for name in _targets(args):
        ship(name, args.budget, args.results_dir, train=not args.no_train, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
