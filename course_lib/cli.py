"""Command line: ``python -m course_lib list | run | report``.

Examples::

    python -m course_lib list
    python -m course_lib run param-distribution --dataset fashion_mnist32 --budget quick
    python -m course_lib run vgg-depth --models VGG-A-CIFAR VGG-E-CIFAR --budget smoke \\
        --dataset fashion_mnist32 --epochs 2
    python -m course_lib report param-distribution
    python -m course_lib run param-distribution --dataset cifar10 cifar100 svhn --budget full \\
        --shard 2/3            # the second of three machines: a third of the grid
    python -m course_lib report param-distribution --results-dir machine1 machine2 machine3

Bad arguments (an unknown experiment, model, dataset or budget) print one line and exit with
status 2; no traceback. An interrupted ``run`` (Ctrl-C, a closed laptop, a kill) continues from
its last completed epoch when the same command is run again.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

__all__ = ["main", "build_parser"]

_PROG = "python -m course_lib"

_MAIN_EPILOG = f"""\
examples:
  {_PROG} list
  {_PROG} run param-distribution --dataset fashion_mnist32 --budget quick
  {_PROG} report param-distribution

Each finished run writes results/<experiment>/<model>__<dataset>__<budget>.json; a run that
was interrupted resumes from its last completed epoch when the same command is run again.
The results folder is --results-dir, else $COURSE_RESULTS_DIR, else Google Drive on Colab once
mounted, else results/.
"""

_RUN_EPILOG = f"""\
examples:
  {_PROG} run param-distribution --dataset fashion_mnist32 --budget quick
  {_PROG} run resnet-degradation --models Plain-20 Plain-56 --budget full
  {_PROG} run vgg-depth --models VGG-A-CIFAR --dataset fashion_mnist32 --budget smoke --epochs 2
  {_PROG} run param-distribution --dataset cifar10 cifar100 svhn --seed 0 1 --shard 1/4

several machines: --shard I/N runs every N-th (model, dataset, seed) run of the grid, starting
at the I-th; give every machine the same selection and shards 1/N .. N/N, then copy the result
folders together or pass them all to `report --results-dir`. One run on several workers
(TF_CONFIG, MultiWorkerMirroredStrategy) is refused: Keras 3's fit does not support it yet.

budgets:
{{budgets}}
"""

_REPORT_EPILOG = f"""\
examples:
  {_PROG} report param-distribution
  {_PROG} report resnet-degradation --dataset fashion_mnist32 --budget quick
  {_PROG} report param-distribution --results-dir lab-pc-1/results colab-run/results

Prints the paper-vs-ours table (paper numbers are labelled with their source) and saves PNG
figures next to the results: error by model, low/high parameter split vs error, training curves.
"""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2), no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _budgets_text() -> str:
    from course_lib.train.config import BUDGETS

    return "\n".join(f"  {b.name:6s} {b.description}" for b in BUDGETS.values())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m course_lib``."""
    parser = _Parser(
        prog=_PROG,
        description="Run the course's experiments and report them against the sources.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and absl's C++ log lines (hidden by default)")
    sub = parser.add_subparsers(dest="command", metavar="{list,run,report}", parser_class=_Parser)
    sub.required = True

    p_list = sub.add_parser(
        "list", help="list the experiments, their models, datasets and budgets",
        description="List the experiments with their source tables, models and datasets.",
        epilog=f"example:\n  {_PROG} list --models",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_list.add_argument("--models", action="store_true",
                        help="also list every model of every experiment")

    p_run = sub.add_parser(
        "run", help="train the models of an experiment and write one result record per model",
        description="Train the models of EXPERIMENT and write one JSON record per model run.",
        epilog=_RUN_EPILOG.format(budgets=_budgets_text()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_run.add_argument("experiment", metavar="EXPERIMENT",
                       help="experiment name, e.g. param-distribution (see `list`)")
    p_run.add_argument("--models", nargs="+", metavar="MODEL",
                       help="only these models of the experiment, e.g. --models CNN-A1 CNN-A3 "
                            "(default: all)")
    p_run.add_argument("--dataset", nargs="+", metavar="NAME",
                       help="dataset(s), e.g. fashion_mnist32 (offline) or cifar10 cifar100 "
                            "(default: the source's first dataset)")
    p_run.add_argument("--budget", default="quick", metavar="{smoke,quick,full}",
                       help="how much to run: smoke (seconds, tests), quick (minutes on a CPU), "
                            "full (the source's schedule, for a GPU); default: quick")
    p_run.add_argument("--results-dir", default=None, metavar="DIR",
                       help="where records and resume backups go (default: $COURSE_RESULTS_DIR, "
                            "else Google Drive on Colab once mounted, else results)")
    p_run.add_argument("--epochs", type=_positive_int, metavar="N",
                       help="override the budget's number of epochs, e.g. --epochs 3")
    p_run.add_argument("--seed", type=_non_negative_int, nargs="+", metavar="S",
                       help="override the experiment's random seed, e.g. --seed 1; several "
                            "seeds run one after the other (--seed 0 1 2)")
    p_run.add_argument("--shard", type=_shard, metavar="I/N",
                       help="run only the I-th of N interleaved shares of the (model, dataset, "
                            "seed) grid, e.g. --shard 2/3 on the second of three machines")
    p_run.add_argument("--data-dir", metavar="DIR",
                       help="dataset folder (default: $COURSE_LIB_DATA_DIR or <repo>/data)")
    p_run.add_argument("--rerun", action="store_true",
                       help="train again even when an identical run already has a record")
    p_run.add_argument("--no-mixed-precision", action="store_true",
                       help="keep float32 on GPUs (mixed_float16 is on by default on GPUs with "
                            "tensor cores)")
    p_run.add_argument("--quiet", action="store_true",
                       help="one line per epoch instead of a progress bar")

    p_report = sub.add_parser(
        "report", help="print paper-vs-ours tables and save figures for an experiment",
        description="Summarise the records of EXPERIMENT: a paper-vs-ours table and PNG figures.",
        epilog=_REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_report.add_argument("experiment", metavar="EXPERIMENT",
                          help="experiment name, e.g. param-distribution (see `list`)")
    p_report.add_argument("--results-dir", nargs="+", default=None, metavar="DIR",
                          help="folder(s) the records are in, e.g. one per machine (default: "
                               "$COURSE_RESULTS_DIR, else Google Drive on Colab once mounted, "
                               "else results); figures go to the first")
    p_report.add_argument("--dataset", metavar="NAME",
                          help="only records of this dataset, e.g. fashion_mnist32")
    p_report.add_argument("--budget", metavar="{smoke,quick,full}",
                          help="only records of this budget")
    p_report.add_argument("--no-figures", action="store_true", help="print the table only")
    for p in (p_list, p_run, p_report):
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="show TensorFlow's and absl's C++ log lines (hidden by default)")
    parser.commands = {"list": p_list, "run": p_run, "report": p_report}
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _shard(text: str) -> tuple[int, int]:
    from course_lib.train.runner import parse_shard

    try:
        return parse_shard(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected I/N with 1 <= I <= N (e.g. 2/3), got {text!r}") from None


def _one_line_warnings() -> None:
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"warning: {message}", file=sys.stderr if file is None else file)

    warnings.showwarning = show


def _cmd_list(args) -> int:
    from course_lib.train.config import BUDGETS
    from course_lib.train.experiments import EXPERIMENTS

    for exp in EXPERIMENTS.values():
        print(f"{exp.name:20s} {exp.title}")
        print(f"{'':20s} source: {exp.source}; datasets: {', '.join(exp.datasets)}; "
              f"{len(exp.models)} models; full budget: {exp.epochs} epochs, batch {exp.batch_size}")
        for name, budget in exp.budgets:
            print(f"{'':20s} its {name} budget: {budget.description}")
        if args.models:
            print(f"{'':20s} models: {', '.join(exp.labels)}")
    print("\nbudgets:")
    for b in BUDGETS.values():
        print(f"  {b.name:6s} {b.description}")
    return 0


def _import_quietly(module: str):
    """Import ``module`` with file descriptor 2 silenced.

    Importing TensorFlow prints INFO lines from C++ before its logging honours
    ``TF_CPP_MIN_LOG_LEVEL``; an argument error must stay one line. Python exceptions still
    propagate (and print) normally once stderr is restored.
    """
    import importlib

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        return importlib.import_module(module)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _validate_run(parser, args):
    from course_lib.train.config import BUDGETS
    from course_lib.train.experiments import get_experiment

    sub = parser.commands[args.command]
    try:
        exp = get_experiment(args.experiment)
    except ValueError as err:
        sub.error(str(err))
    if args.command == "run":
        for label in args.models or ():
            try:
                exp.model(label)
            except ValueError as err:
                sub.error(str(err))
    if args.budget is not None and args.budget not in BUDGETS:
        sub.error(f"unknown budget {args.budget!r}; choose from: {', '.join(BUDGETS)}")
    if args.dataset is not None:
        dataset_names = _import_quietly("course_lib.data").names()
        for name in args.dataset if isinstance(args.dataset, list) else [args.dataset]:
            if name not in dataset_names:
                sub.error(f"unknown dataset {name!r}; choose from: {', '.join(dataset_names)}")
    return exp


def _quiet_logs(verbose: bool) -> None:
    """Hide TensorFlow's C++ (absl) log lines and absl's Python warnings unless ``verbose``.

    Must run before TensorFlow is imported: its C++ logging reads ``TF_CPP_MIN_LOG_LEVEL`` once,
    at load time (3 hides INFO, WARNING and ERROR lines such as ``I0000 ... oneDNN custom
    operations`` or ``E0000 ... failed call to cuInit`` on a machine without a GPU). Python
    errors and the kit's own warnings still print. With ``--verbose`` the environment's setting
    (TensorFlow's default: everything) is left alone.
    """
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import logging

    for name in ("absl", "tensorflow", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m course_lib`` (and the ``course-lib`` script)."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files; no window, no display
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    _quiet_logs(verbose)
    _one_line_warnings()
    if args.command == "list":
        return _cmd_list(args)
    exp = _validate_run(parser, args)
    if not verbose:
        # TensorFlow's import-time lines ("All log messages before absl::InitializeLog()...",
        # oneDNN, CUDA) ignore TF_CPP_MIN_LOG_LEVEL: import it once with stderr silenced
        _import_quietly("tensorflow")
    try:
        if args.command == "run":
            from course_lib.data import DatasetUnavailableError
            from course_lib.train.runner import MultiWorkerUnsupportedError, run_experiment

            try:
                run_experiment(
                    exp, models=args.models, datasets=args.dataset, budget=args.budget,
                    results_dir=args.results_dir, epochs=args.epochs, seeds=args.seed,
                    shard=args.shard, data_dir=args.data_dir, rerun=args.rerun,
                    mixed_precision=False if args.no_mixed_precision else "auto",
                    verbose=2 if args.quiet else "auto",
                )
            except (DatasetUnavailableError, MultiWorkerUnsupportedError) as err:
                print(f"{_PROG} run: error: {err}", file=sys.stderr)
                return 1
            return 0
        from course_lib.train.reporting import report
        from course_lib.train.results import results_dir

        folders = [str(results_dir(d)) for d in (args.results_dir or [None])]
        result = report(exp, results_dir=folders if len(folders) > 1 else folders[0],
                        dataset=args.dataset,
                        budget=args.budget, figures=not args.no_figures)
        return 0 if result.records else 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to continue from the last completed "
              "epoch", file=sys.stderr)
        return 130
