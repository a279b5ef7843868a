"""The two training engines behind one interface: one device (``Model.fit``) and several workers
(:mod:`course_lib.train.distributed`); only the one-device engine resumes and draws live curves.
"""

from __future__ import annotations

import sys
from pathlib import Path

from course_lib.train.distributed import cluster_from_env

__all__ = ["OneDevice", "MultiWorker", "choose"]


def _verbose(verbose) -> int:
    if verbose != "auto":
        return int(verbose)
    from course_lib.train.callbacks import in_notebook

    return 1 if (in_notebook() or sys.stdout.isatty()) else 2


class OneDevice:
    """One process: ``Model.fit`` on one device or a ``MirroredStrategy`` over local ones.

    ``always_trains`` False: a finished record of the same run is returned instead;
    ``keeps_record`` True: this process writes the record.
    """

    always_trains, keeps_record = False, True

    def __init__(self, *, devices=None, mixed_precision="auto", jit_compile="auto",
                 deterministic="auto", verbose="auto", live=None, callbacks=()):
        self.options = dict(devices=devices, mixed_precision=mixed_precision,
                            jit_compile=jit_compile, deterministic=deterministic)
        self.verbose, self.live, self.callbacks = verbose, live, list(callbacks)

    def check(self, settings) -> None:
        """Refuse options this engine cannot honour (``configure`` checks their values)."""

    def results_dir(self, folder: Path) -> Path:
        return folder

    def configure(self):
        from course_lib.train import gpu

        return gpu.configure(**self.options)

    def restore(self, net, backup) -> tuple[int, list[dict]]:
        return backup.restore(net)

    def train(self, net, data, settings, backup, start_epoch: int, title: str) -> list[dict]:
        """``Model.fit`` from ``start_epoch``; the backup keeps the history and the epochs."""
        if start_epoch >= settings.epochs:
            return backup.history
        from course_lib.data import epoch_stream
        from course_lib.train.callbacks import EpochReseed, LiveCurves

        stream = epoch_stream(data, seed=settings.seed, start_epoch=start_epoch,
                              epochs=settings.epochs)
        net.fit(stream, epochs=settings.epochs, initial_epoch=start_epoch,
                steps_per_epoch=data.steps_per_epoch, validation_data=data.test,
                callbacks=[EpochReseed(settings.seed), backup,
                           LiveCurves(title, history=backup.history, enabled=self.live),
                           *self.callbacks],
                verbose=_verbose(self.verbose),
                shuffle=False)  # the stream is shuffled per epoch already
        return backup.history

    def scoring_model(self, net):
        return net

    def finish(self, acc) -> None:
        pass


class MultiWorker(OneDevice):
    """One run over the workers ``TF_CONFIG`` names; every worker trains, the chief keeps
    the record, the others write to a scratch folder deleted at the end."""

    always_trains = True

    def __init__(self, cluster, **options):
        super().__init__(**options)
        self.cluster, self.keeps_record, self.scratch = cluster, cluster.is_chief, None

    def check(self, settings) -> None:
        from course_lib.train import distributed

        distributed.check_supported(self.cluster, settings, live=self.live,
                                    callbacks=self.callbacks, **self.options)

    def results_dir(self, folder: Path) -> Path:
        if self.keeps_record:
            return folder
        import tempfile

        self.scratch = tempfile.TemporaryDirectory(prefix="course_lib-worker-")
        return Path(self.scratch.name)

    def configure(self):
        from course_lib.train import distributed

        self.acc = distributed.configure(self.cluster,
                                         deterministic=self.options["deterministic"])
        return self.acc

    def restore(self, net, backup) -> tuple[int, list[dict]]:
        return 0, []  # no resumption: every worker starts at epoch 0

    def train(self, net, data, settings, backup, start_epoch: int, title: str) -> list[dict]:
        from course_lib.train import distributed

        return distributed.fit(net, data, strategy=self.acc.strategy, seed=settings.seed,
                               epochs=settings.epochs, worker=self.cluster.rank,
                               verbose=_verbose(self.verbose),
                               title=f"[{settings.experiment}] {title}")

    def scoring_model(self, net):
        from course_lib.train import distributed

        return distributed.local_copy(net)  # scored and saved on this worker alone

    def finish(self, acc) -> None:
        from course_lib.train import distributed

        distributed.barrier(acc.strategy)  # no worker leaves while the chief still writes
        if self.scratch is not None:
            self.scratch.cleanup()


def choose(**options) -> OneDevice:
    """The engine for this process: :class:`MultiWorker` when ``TF_CONFIG`` names a cluster,
    else :class:`OneDevice` (``options``: ``run_model``'s device and display arguments)."""
    cluster = cluster_from_env()
    return OneDevice(**options) if cluster is None else MultiWorker(cluster, **options)
