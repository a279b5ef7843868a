"""The kit's one command line: ``course-lib`` (or ``python -m course_lib``).

Each command is a thin wrapper over a library function; a bad argument prints one line and
exits with status 2. An interrupted ``run`` continues from its last completed epoch::

    python -m course_lib run param-distribution --dataset fashion_mnist32 --budget quick
    python -m course_lib report param-distribution --results-dir machine1 machine2 machine3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

__all__ = ["main", "build_parser", "COMMANDS"]

_PROG = "python -m course_lib"

#: The subcommands, in the order ``--help`` lists them.
COMMANDS = ("list", "run", "report", "build", "grade", "release")

_MAIN_EPILOG = f"""\
examples:
  {_PROG} list
  {_PROG} run param-distribution --dataset fashion_mnist32 --budget quick
  {_PROG} report param-distribution
  {_PROG} grade 1 submissions/ --out graded/

`course-lib` (installed with the package) is the same command. Each finished run writes
results/<experiment>/<model>__<dataset>__<budget>.json; a run that was interrupted resumes from
its last completed epoch when the same command is run again. The results folder is
--results-dir, else $COURSE_RESULTS_DIR, else Google Drive on Colab once mounted, else results/.
"""

_RUN_EPILOG = f"""\
examples:
  {_PROG} run param-distribution --dataset fashion_mnist32 --budget quick
  {_PROG} run resnet-degradation --models Plain-20 Plain-56 --budget full
  {_PROG} run vgg-depth --models VGG-A-CIFAR --dataset fashion_mnist32 --budget smoke --epochs 2
  {_PROG} run param-distribution --dataset cifar10 cifar100 svhn --seed 0 1 --shard 1/4

several machines: --shard I/N runs every N-th (model, dataset, seed) run of the grid, starting
at the I-th; give every machine the same selection and shards 1/N .. N/N, then copy the result
folders together or pass them all to `report --results-dir`. One run on several workers:
start the same command on each with its TF_CONFIG (tf.distribute.MultiWorkerMirroredStrategy,
one device per worker, float32, no resumption); only the chief writes the record.

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

_GRADING_EPILOG = f"""\
examples:
  {_PROG} build                       # every assignment (= make assignments)
  {_PROG} build 2 --check-solutions   # one assignment, and let otter run its solution
  {_PROG} grade 1-cnn-arithmetic submissions/ --out graded/ --jobs 2
  {_PROG} release ../cnn-course-kit-student   # = make release DEST=...

Assignments are the folders <n>-<name>/ of --assignments-dir (default: ./assignments, else the
kit's assignments/); ASSIGNMENT is a folder name, a name or a number.
"""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2), no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _budgets_text() -> str:
    from course_lib.train.config import BUDGETS

    return "\n".join(f"  {b.name:6s} {b.description}" for b in BUDGETS.values())


def _experiment(name: str):
    """argparse ``type=`` of EXPERIMENT: the registered spelling, or the registry's message."""
    from course_lib.train.experiments import EXPERIMENTS

    try:
        return EXPERIMENTS.canonical(name)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _budget(name: str) -> str:
    """argparse ``type=`` of ``--budget``: the registry's spelling (``QUICK`` -> ``quick``);
    an unknown name is left for argparse's ``choices`` to refuse."""
    from course_lib.train.config import BUDGETS

    return BUDGETS.canonical(name) if name in BUDGETS else name


def _shard(text: str) -> str:
    """argparse ``type=`` of ``--shard``: the library's check, reported as ``argument --shard``."""
    from course_lib.train.runner import parse_shard

    try:
        parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``course-lib`` / ``python -m course_lib`` (imports no TensorFlow)."""
    from course_lib.train.config import BUDGET_NAMES
    from course_lib.train.experiments import experiment_names

    parser = _Parser(
        prog=_PROG,
        description="Run the course's experiments and report them against the sources; build, "
                    "grade and release the assignments.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and absl's C++ log lines (hidden by default)")
    # Also accepted before the command, as `python -m course_lib.grading` always has.
    parser.add_argument("--assignments-dir", default=None, metavar="DIR", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}",
                                parser_class=_Parser)
    sub.required = True

    def command(name, help, description, epilog):
        return sub.add_parser(name, help=help, description=description, epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p_list = command("list", "list the experiments, their models, datasets and budgets",
                     "List the experiments with their source tables, models and datasets.",
                     f"example:\n  {_PROG} list --models")
    p_list.add_argument("--models", action="store_true",
                        help="also list every model of every experiment")

    p_run = command("run", "train the models of an experiment and write one result record per "
                    "model", "Train the models of EXPERIMENT and write one JSON record per model "
                    "run.", _RUN_EPILOG.format(budgets=_budgets_text()))
    p_report = command("report", "print paper-vs-ours tables and save figures for an experiment",
                       "Summarise the records of EXPERIMENT: a paper-vs-ours table and PNG "
                       "figures.", _REPORT_EPILOG)
    for p in (p_run, p_report):
        p.add_argument("experiment", metavar="EXPERIMENT", type=_experiment,
                       choices=experiment_names(), help="one of: %(choices)s (see `list`)")
    _add_run_arguments(p_run, BUDGET_NAMES)
    _add_report_arguments(p_report, BUDGET_NAMES)
    commands = {"list": p_list, "run": p_run, "report": p_report,
                **_add_grading_commands(command)}
    for p in commands.values():
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="show TensorFlow's and absl's C++ log lines (hidden by default)")
    parser.commands = commands
    return parser


def _add_run_arguments(p_run, budget_names) -> None:
    p_run.add_argument("--models", nargs="+", metavar="MODEL",
                       help="only these models of the experiment, e.g. --models CNN-A1 CNN-A3 "
                            "(default: all)")
    p_run.add_argument("--dataset", nargs="+", metavar="NAME",
                       help="dataset(s), e.g. fashion_mnist32 (offline) or cifar10 cifar100 "
                            "(default: the source's first dataset)")
    p_run.add_argument("--budget", default="quick", choices=budget_names, type=_budget,
                       help="how much to run: smoke (seconds, tests), quick (minutes on a CPU), "
                            "full (the source's schedule, for a GPU); default: quick")
    p_run.add_argument("--results-dir", default=None, metavar="DIR",
                       help="where records and resume backups go (default: $COURSE_RESULTS_DIR, "
                            "else Google Drive on Colab once mounted, else results)")
    p_run.add_argument("--epochs", type=int, metavar="N",
                       help="override the budget's number of epochs, e.g. --epochs 3")
    p_run.add_argument("--seed", type=int, nargs="+", metavar="S",
                       help="override the experiment's random seed, e.g. --seed 1; several "
                            "seeds run one after the other (--seed 0 1 2)")
    p_run.add_argument("--shard", metavar="I/N", type=_shard,
                       help="run only the I-th of N interleaved shares of the (model, dataset, "
                            "seed) grid, e.g. --shard 2/3 on the second of three machines")
    p_run.add_argument("--data-dir", metavar="DIR",
                       help="dataset folder (default: $COURSE_LIB_DATA_DIR or <repo>/data)")
    p_run.add_argument("--rerun", action="store_true",
                       help="train again even when an identical run already has a record")
    p_run.add_argument("--shipped", choices=("read", "train"), default="read",
                       help="the budget's shipped runs: read the kit's records (default) or "
                            "train them like any other run")
    p_run.add_argument("--no-mixed-precision", action="store_true",
                       help="keep float32 on GPUs (mixed_float16 is on by default on GPUs with "
                            "tensor cores)")
    p_run.add_argument("--quiet", action="store_true",
                       help="one line per epoch instead of a progress bar")


def _add_report_arguments(p_report, budget_names) -> None:
    p_report.add_argument("--results-dir", nargs="+", default=None, metavar="DIR",
                          help="folder(s) the records are in, e.g. one per machine (default: "
                               "$COURSE_RESULTS_DIR, else Google Drive on Colab once mounted, "
                               "else results); figures go to the first")
    p_report.add_argument("--dataset", metavar="NAME",
                          help="only records of this dataset, e.g. fashion_mnist32")
    p_report.add_argument("--budget", choices=budget_names, type=_budget,
                          help="only records of this budget")
    p_report.add_argument("--no-figures", action="store_true", help="print the table only")


def _add_grading_commands(command) -> dict:
    p_build = command("build", "regenerate student notebooks and autograder zips (otter assign)",
                      "Regenerate the student notebooks, public tests and autograder zips of "
                      "the assignments.", _GRADING_EPILOG)
    p_build.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                         help="assignments to build, e.g. 2 or 1-cnn-arithmetic (default: all)")
    p_build.add_argument("--check-solutions", action="store_true",
                         help="also let otter run the reference solution against every test "
                              "(slow)")

    p_grade = command("grade", "grade a folder of submitted notebooks, each in a "
                      "sandbox", "Grade a folder of submissions without Docker: "
                      "gradebook.csv, summary.csv and feedback/ in --out.", _GRADING_EPILOG)
    p_grade.add_argument("assignment", metavar="ASSIGNMENT",
                         help="folder name, name or number, e.g. 1-cnn-arithmetic")
    p_grade.add_argument("submissions", metavar="SUBMISSIONS",
                         help="folder of .ipynb (or otter export .zip) submissions")
    p_grade.add_argument("--out", required=True, metavar="DIR",
                         help="output folder (gradebook.csv, summary.csv, feedback/, ...)")
    p_grade.add_argument("--timeout", type=float, default=1200, metavar="SECONDS",
                         help="seconds per submission (default 1200)")
    p_grade.add_argument("--cell-timeout", type=int, default=300, metavar="SECONDS",
                         help="CPU seconds per student cell (wall-clock ceiling 3x + 30 s), then "
                              "the cell is stopped and the next one runs (default 300)")
    p_grade.add_argument("--jobs", type=int, default=1, metavar="N",
                         help="submissions graded in parallel (default 1)")
    p_grade.add_argument("--autograder", default=None, metavar="ZIP",
                         help="autograder zip (default: the assignment's dist/ zip)")
    p_grade.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                         help="run the notebooks without the bubblewrap sandbox: only for "
                              "notebooks you trust (prints a warning)")
    for p in (p_build, p_grade):
        p.add_argument("--assignments-dir", default=argparse.SUPPRESS, metavar="DIR",
                       help="folder holding the <n>-<name>/ assignments (default: ./assignments, "
                            "else the kit's)")

    p_release = command("release", "write the student release (no masters, hidden tests or "
                        "grader) into DEST", "Write the student release into DEST: notebooks, "
                        "course_lib without the grader, data, student assignments.",
                        _GRADING_EPILOG)
    p_release.add_argument("dest", metavar="DEST",
                           help="an empty folder (or a checkout of the student repository "
                                "holding only .git)")
    return {"build": p_build, "grade": p_grade, "release": p_release}


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
    print(_budgets_text())
    return 0


def _import_quietly(module: str):
    """Import ``module`` with fd 2 silenced: TensorFlow's C++ logs would break a one-line error."""
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


def _check_selection(args) -> None:
    """The library's own checks of a ``run``/``report`` selection, before anything is trained."""
    from course_lib.train.config import resolve
    from course_lib.train.runner import grid

    exp = args.experiment_spec
    if args.command == "run":
        grid(exp, models=args.models, shard=args.shard)  # models and shard
        label = exp.model(args.models[0]).label if args.models else exp.labels[0]
        args.budget = exp.budget(args.budget)  # resolved once: the run below gets the Budget
        for seed in args.seed or [None]:  # epochs and seeds
            resolve(exp, label, budget=args.budget, epochs=args.epochs, seed=seed)
    if args.dataset is not None:  # the datasets' one lookup: any spelling data.load accepts
        canonical = _import_quietly("course_lib.data").canonical
        for name in args.dataset if isinstance(args.dataset, list) else [args.dataset]:
            canonical(name)


def _quiet_logs(verbose: bool) -> None:
    """Hide TensorFlow's C++ (absl) log lines and absl's Python warnings unless ``verbose``.

    Must run before TensorFlow is imported: its C++ logging reads ``TF_CPP_MIN_LOG_LEVEL`` once.
    """
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import logging

    for name in ("absl", "tensorflow", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _cmd_run(args) -> int:
    from course_lib.data import DatasetUnavailableError
    from course_lib.train.distributed import TFConfigError
    from course_lib.train.runner import MultiWorkerUnsupportedError, run_experiment
    from course_lib.train.shipped import StaleShippedRecord

    try:
        run_experiment(
            args.experiment_spec, models=args.models, datasets=args.dataset, budget=args.budget,
            results_dir=args.results_dir, epochs=args.epochs, seeds=args.seed,
            shard=args.shard, data_dir=args.data_dir, rerun=args.rerun, shipped=args.shipped,
            mixed_precision=False if args.no_mixed_precision else "auto",
            verbose=2 if args.quiet else "auto",
        )
    except (DatasetUnavailableError, MultiWorkerUnsupportedError, TFConfigError,
            StaleShippedRecord) as err:
        print(f"{_PROG} run: error: {err}", file=sys.stderr)
        return 1
    return 0


def _cmd_report(args) -> int:
    from course_lib.train.reporting import report
    from course_lib.train.results import results_dir

    folders = [str(results_dir(d)) for d in (args.results_dir or [None])]
    result = report(args.experiment, results_dir=folders if len(folders) > 1 else folders[0],
                    dataset=args.dataset, budget=args.budget, figures=not args.no_figures)
    return 0 if result.records else 1


def _cmd_build(args) -> int:
    from course_lib.grading.assignments import find_assignment, list_assignments
    from course_lib.grading.build import build_assignment

    specs = ([find_assignment(key, args.assignments_dir) for key in args.assignments]
             or list_assignments(args.assignments_dir))
    if not specs:
        print("No assignments found.", file=sys.stderr)
        return 1
    for spec in specs:
        start = time.perf_counter()
        result = build_assignment(spec, check_solutions=args.check_solutions)
        print(f"{spec.folder.name}: {result.student_notebook.relative_to(spec.folder)} "
              f"(+{len(result.public_tests)} public test files), "
              f"{result.autograder_zip.relative_to(spec.folder)} "
              f"[{time.perf_counter() - start:.1f} s]")
    return 0


def _cmd_grade(args) -> int:
    from course_lib.grading.assignments import find_assignment
    from course_lib.grading.grade import grade_submissions

    spec = find_assignment(args.assignment, args.assignments_dir)
    grades = grade_submissions(
        args.autograder or spec.autograder_zip, args.submissions, args.out,
        assignment=spec.folder.name, timeout=args.timeout, cell_timeout=args.cell_timeout,
        jobs=args.jobs, sandbox=args.sandbox,
    )
    width = max(len(g.student) for g in grades)
    for g in grades:
        note = f"  ({g.message.splitlines()[0]})" if g.message else ""
        print(f"{g.student:<{width}}  {g.total:g}/{g.total_possible:g}  {g.status}  "
              f"{g.seconds:.1f} s{note}")
    print(f"Gradebook: {args.out}/gradebook.csv  feedback: {args.out}/feedback/")
    return 0


def _cmd_release(args) -> int:
    from course_lib.grading.release import write_release

    written = write_release(args.dest)
    print(f"student release: {len(written)} files in {args.dest}")
    return 0


_GRADING = {"build": _cmd_build, "grade": _cmd_grade, "release": _cmd_release}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``course-lib``, ``python -m course_lib`` and ``python -m course_lib.grading``."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files; no window, no display
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = parser.commands[args.command]
    if args.command in _GRADING:
        _one_line_warnings()
        try:
            return _GRADING[args.command](args)
        except ModuleNotFoundError as err:
            if not (err.name or "").startswith("course_lib.grading"):
                raise
            sub.exit(1, f"{sub.prog}: error: the grader is not part of the student release\n")
        except (ValueError, FileNotFoundError) as err:
            sub.error(str(err))
    verbose = bool(getattr(args, "verbose", False))
    _quiet_logs(verbose)
    _one_line_warnings()
    if args.command == "list":
        return _cmd_list(args)
    from course_lib.train.experiments import get_experiment

    args.experiment_spec = get_experiment(args.experiment)
    try:
        _check_selection(args)
    except ValueError as err:
        sub.error(str(err))
    if not verbose:
        # TensorFlow's import-time lines ("All log messages before absl::InitializeLog()...",
        # oneDNN, CUDA) ignore TF_CPP_MIN_LOG_LEVEL: import it once with stderr silenced
        _import_quietly("tensorflow")
    try:
        return _cmd_run(args) if args.command == "run" else _cmd_report(args)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to continue from the last completed "
              "epoch", file=sys.stderr)
        return 130
