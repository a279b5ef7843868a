"""Callbacks of the runner: history, kill-safe resumable backups, per-epoch reseeding, live curves."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import keras

from course_lib.validation import non_negative_int
from course_lib.core import atomic_write, write_json_atomic

__all__ = ["EpochHistory", "EpochReseed", "LiveCurves", "ResumableBackup", "history_entry",
           "in_notebook"]

_EPOCH_FILE = re.compile(r"^epoch-(\d{5})\.weights\.h5$")


def _to_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def history_entry(epoch: int, logs: dict, seconds: float, learning_rate: float | None) -> dict:
    """One epoch of history: losses, errors in percent, learning rate, seconds."""
    logs = logs or {}
    entry: dict[str, Any] = {"epoch": int(epoch)}
    if "loss" in logs:
        entry["train_loss"] = _to_float(logs["loss"])
    if "accuracy" in logs:
        entry["train_error_pct"] = _to_float(100.0 * (1.0 - float(logs["accuracy"])))
    if "val_loss" in logs:
        entry["test_loss"] = _to_float(logs["val_loss"])
    if "val_accuracy" in logs:
        entry["test_error_pct"] = _to_float(100.0 * (1.0 - float(logs["val_accuracy"])))
    entry["learning_rate"] = learning_rate
    entry["seconds"] = round(float(seconds), 4)  # training steps only
    return entry


class EpochHistory(keras.callbacks.Callback):
    """The run's history, one :func:`history_entry` per epoch (``history``: epochs before a resume).

    An epoch's seconds are its training steps only; the test pass is timed as ``eval_seconds``.
    """

    def __init__(self, history: list[dict] | None = None):
        super().__init__()
        self.history: list[dict] = list(history or [])
        self.epoch_start = None
        self.eval_start = None
        self.eval_seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()
        self.eval_seconds = 0.0

    def on_test_begin(self, logs=None):
        self.eval_start = time.perf_counter()

    def on_test_end(self, logs=None):
        if self.eval_start is not None:
            self.eval_seconds += time.perf_counter() - self.eval_start
            self.eval_start = None

    def on_epoch_end(self, epoch, logs=None):
        total = time.perf_counter() - (self.epoch_start or time.perf_counter())
        lr = None
        if self.model.optimizer is not None:
            lr = _to_float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        entry = history_entry(epoch + 1, logs, total - self.eval_seconds, lr)
        entry["eval_seconds"] = round(self.eval_seconds, 4)
        self.history = self.history[:epoch] + [entry]


class ResumableBackup(EpochHistory):
    """Per-epoch backups that survive a kill at any instant, with the run's history.

    Each epoch writes ``epoch-<e>.history.json`` then ``epoch-<e>.weights.h5`` atomically and
    only then deletes older epochs (``keras.callbacks.BackupAndRestore`` writes weights and epoch
    counter one after the other: a kill between them leaves them out of step). A backup whose
    ``run.json`` fingerprint differs is discarded.

    Example:

    >>> backup = ResumableBackup("results/exp/model/backup/run", fingerprint={"seed": 0})
    >>> start_epoch, history = backup.restore(model)  # doctest: +SKIP
    >>> model.fit(data, epochs=10, initial_epoch=start_epoch, callbacks=[backup])  # doctest: +SKIP
    """

    def __init__(self, backup_dir: str | os.PathLike, fingerprint: dict | None = None):
        super().__init__()
        self.backup_dir = Path(backup_dir)
        self.fingerprint = json.loads(json.dumps(fingerprint or {}, sort_keys=True, default=str))
        self.restored_epoch = 0
        self.restored = False

    # ---- files ---------------------------------------------------------------------------
    def weights_file(self, epoch: int) -> Path:
        return self.backup_dir / f"epoch-{epoch:05d}.weights.h5"

    def history_file(self, epoch: int) -> Path:
        return self.backup_dir / f"epoch-{epoch:05d}.history.json"

    def completed_epochs(self) -> list[int]:
        """Epochs with a complete backup (weights and history), newest first."""
        if not self.backup_dir.is_dir():
            return []
        found = []
        for path in self.backup_dir.iterdir():
            match = _EPOCH_FILE.match(path.name)
            if match and self.history_file(int(match.group(1))).is_file():
                found.append(int(match.group(1)))
        return sorted(found, reverse=True)

    def fingerprint_matches(self) -> bool:
        try:
            return json.loads((self.backup_dir / "run.json").read_text()) == self.fingerprint
        except (OSError, ValueError):
            return False

    def clear(self) -> None:
        """Delete the backup folder (after the run's record is written)."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)

    # ---- restore -------------------------------------------------------------------------
    def restore(self, model: keras.Model) -> tuple[int, list[dict]]:
        """Load the newest complete backup into ``model``: ``(epochs_completed, history)`` or ``(0, [])``."""
        self.set_model(model)
        self.restored = True
        self.restored_epoch, self.history = 0, []
        if self.backup_dir.is_dir() and not self.fingerprint_matches():
            # A backup of other settings (or an interrupted write of run.json): start afresh.
            self.clear()
        if self.backup_dir.is_dir():  # temporaries a kill or Ctrl-C left mid-write
            for stale in self.backup_dir.glob(".*"):
                stale.unlink(missing_ok=True)
        for epoch in self.completed_epochs():
            try:
                history = json.loads(self.history_file(epoch).read_text())
                if not isinstance(history, list) or len(history) != epoch:
                    raise ValueError("history length does not match the epoch")
                if model.optimizer is not None and not model.optimizer.built:
                    model.optimizer.build(model.trainable_variables)
                model.load_weights(str(self.weights_file(epoch)))
            except (OSError, ValueError, KeyError) as err:
                # A damaged file (disk full, foreign edit): fall back to the previous epoch.
                print(f"warning: backup of epoch {epoch} in {self.backup_dir} is unreadable "
                      f"({err}); trying an older one")
                continue
            self.restored_epoch, self.history = epoch, history
            break
        return self.restored_epoch, list(self.history)

    # ---- save ----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not self.restored and self.completed_epochs() and self.fingerprint_matches():
            raise RuntimeError(
                f"{self.backup_dir} holds a backup of this run: call `restore(model)` before "
                "`fit` and pass `initial_epoch=` the epoch it returns (or `clear()` it to "
                "start afresh).")

    def on_epoch_begin(self, epoch, logs=None):
        if self.restored_epoch and epoch < self.restored_epoch:
            raise ValueError(
                f"The backup was restored after epoch {self.restored_epoch}, but fit starts at "
                f"epoch {epoch}: pass `initial_epoch={self.restored_epoch}` to `model.fit`. "
                f"Received: initial_epoch={epoch}")
        super().on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)  # the history entry
        self.save(epoch + 1)

    def save(self, epoch: int) -> None:
        """Write the backup of ``epoch`` (history first, weights last), drop older ones."""
        if not (self.backup_dir / "run.json").is_file():
            write_json_atomic(self.backup_dir / "run.json", self.fingerprint)
        write_json_atomic(self.history_file(epoch), self.history)
        with atomic_write(self.weights_file(epoch)) as tmp:
            self.model.save_weights(str(tmp), overwrite=True)
        for old in self.completed_epochs():
            if old < epoch:
                for path in (self.weights_file(old), self.history_file(old)):
                    path.unlink(missing_ok=True)


class EpochReseed(keras.callbacks.Callback):
    """Reset every ``SeedGenerator`` of the model at each epoch start from (seed, epoch).

    Generator states are not in weight files, so a resumed epoch would draw other masks; the state
    ``[s_i, epoch * 2**20]`` makes them a function of (seed, epoch, step) only.

    Example:

    >>> model.fit(x, y, epochs=3, callbacks=[EpochReseed(seed=0)])  # doctest: +SKIP
    """

    STEP_SPACE = 2**20  # draws per generator per epoch before two epochs could overlap

    def __init__(self, seed: int):
        super().__init__()
        self.seed = non_negative_int("seed", seed)

    def _generators(self) -> list:
        return [v for v in self.model.variables if v.path.endswith("seed_generator_state")]

    def on_epoch_begin(self, epoch, logs=None):
        for index, state in enumerate(self._generators()):
            digest = hashlib.sha256(f"{self.seed}:{index}".encode()).digest()
            base = int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
            value = keras.ops.convert_to_tensor([base, epoch * self.STEP_SPACE], dtype=state.dtype)
            state.assign(value)


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session, False in a terminal or a script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


class LiveCurves(keras.callbacks.Callback):
    """Live training curves in a notebook (does nothing elsewhere); ``history``: earlier epochs.

    Example:

    >>> curves = LiveCurves("demo")
    >>> model.fit(x, y, validation_data=(xt, yt), epochs=5, callbacks=[curves])  # doctest: +SKIP
    """

    def __init__(self, title: str = "", history: list[dict] | None = None,
                 enabled: bool | None = None):
        super().__init__()
        self.title = title
        self.entries: list[dict] = list(history or [])
        self.enabled = in_notebook() if enabled is None else bool(enabled)
        self.figure = None

    def on_epoch_end(self, epoch, logs=None):
        if not self.enabled:
            return
        self.entries = self.entries[:epoch] + [history_entry(epoch + 1, logs, 0.0, None)]
        self.figure = self.draw(self.entries, self.title)
        from IPython.display import clear_output, display

        clear_output(wait=True)
        display(self.figure)
        import matplotlib.pyplot as plt

        plt.close(self.figure)

    @staticmethod
    def draw(entries: list[dict], title: str = ""):
        """The two-panel figure (loss, error %) for a list of history entries."""
        import matplotlib.pyplot as plt

        fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(9, 3.2))
        epochs = [e["epoch"] for e in entries]
        for key, label, style in (("train_loss", "train", "-"), ("test_loss", "test", "--")):
            values = [e.get(key) for e in entries]
            if any(v is not None for v in values):
                ax_loss.plot(epochs, values, style, marker="o", label=label)
        for key, label, style in (("train_error_pct", "train", "-"),
                                  ("test_error_pct", "test", "--")):
            values = [e.get(key) for e in entries]
            if any(v is not None for v in values):
                ax_err.plot(epochs, values, style, marker="o", label=label)
        ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
        ax_err.set(xlabel="epoch", ylabel="error (%)", title="error")
        for ax in (ax_loss, ax_err):
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig
