"""Callbacks of the runner: resumable backups, per-epoch reseeding, live training curves.

* :class:`ResumableBackup` -- ``keras.callbacks.BackupAndRestore`` made safe against a kill at any
  instant and extended with the run's per-epoch history, so that a restarted run continues from
  its last completed epoch and its final record covers every epoch.
* :class:`EpochReseed` -- puts every ``keras.random.SeedGenerator`` (dropout, SAF-pooling) in a
  state that depends only on (seed, epoch), so a resumed epoch draws the same masks as it would
  have in an uninterrupted run (Keras does not save generator states in weight files).
* :class:`LiveCurves` -- redraws loss and error curves after every epoch in a notebook; does
  nothing elsewhere.
"""

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

from course_lib.train.results import write_json_atomic

__all__ = ["EpochReseed", "LiveCurves", "ResumableBackup", "in_notebook"]

_EPOCH_FILE = re.compile(r"^epoch-(\d{5})\.weights\.h5$")


def _to_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _history_entry(epoch: int, logs: dict, seconds: float, learning_rate: float | None) -> dict:
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


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` whose backups survive a kill at any instant, with the run's history.

    Keras' callback writes ``latest.weights.h5`` and then ``training_metadata.json`` in place: a
    kill between the two (or during the first) leaves weights and epoch counter out of step, and
    the restarted run silently repeats or skips an epoch. Here each completed epoch ``e`` is
    saved as ``epoch-<e>.weights.h5`` plus ``epoch-<e>.history.json``, each written to a
    temporary file and renamed into place (the history first, the weights last), so the epoch
    number of a backup is part of its file name and a backup either exists completely or not at
    all. Restoring picks the newest epoch whose two files exist and whose weights load, and
    older epochs are deleted only after a newer one is complete. The history holds one entry
    per epoch (losses, errors, learning rate, seconds), so a resumed run's record covers the
    epochs run before the interruption too.

    The backup folder also holds ``run.json``, a fingerprint of the run's settings: a backup
    made with different settings (another seed, another number of epochs) is discarded rather
    than resumed.

    The backup is kept when training ends (``delete_checkpoint=False``); the runner calls
    :meth:`clear` once the run's result record is safely written, so a kill between the end of
    training and the record costs nothing either.

    Args:
        backup_dir: folder for the backup files (created when needed).
        fingerprint: JSON-serialisable description of the run; must match to resume.

    Call arguments (Keras callback hooks): standard.

    Example:

    >>> backup = ResumableBackup("results/exp/model/backup/run", fingerprint={"seed": 0})
    >>> start_epoch, history = backup.restore(model)  # doctest: +SKIP
    >>> model.fit(data, epochs=10, initial_epoch=start_epoch, callbacks=[backup])  # doctest: +SKIP

    Reference: keras.callbacks.BackupAndRestore (Keras 3), whose hooks this class keeps.
    """

    def __init__(self, backup_dir: str | os.PathLike, fingerprint: dict | None = None):
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False)
        self.fingerprint = json.loads(json.dumps(fingerprint or {}, sort_keys=True, default=str))
        self.history: list[dict] = []
        self.restored_epoch = 0
        self._restored = False
        self._epoch_start = None
        self._eval_start = None
        self._eval_seconds = 0.0

    # ---- files ---------------------------------------------------------------------------
    @property
    def _dir(self) -> Path:
        return Path(self.backup_dir)

    def _weights_file(self, epoch: int) -> Path:
        return self._dir / f"epoch-{epoch:05d}.weights.h5"

    def _history_file(self, epoch: int) -> Path:
        return self._dir / f"epoch-{epoch:05d}.history.json"

    def completed_epochs(self) -> list[int]:
        """Epochs with a complete backup (weights and history), newest first."""
        if not self._dir.is_dir():
            return []
        found = []
        for path in self._dir.iterdir():
            match = _EPOCH_FILE.match(path.name)
            if match and self._history_file(int(match.group(1))).is_file():
                found.append(int(match.group(1)))
        return sorted(found, reverse=True)

    def _fingerprint_matches(self) -> bool:
        path = self._dir / "run.json"
        try:
            return json.loads(path.read_text()) == self.fingerprint
        except (OSError, ValueError):
            return False

    def clear(self) -> None:
        """Delete the backup folder (after the run's record is written)."""
        shutil.rmtree(self._dir, ignore_errors=True)

    # ---- restore -------------------------------------------------------------------------
    def restore(self, model: keras.Model) -> tuple[int, list[dict]]:
        """Load the newest complete backup into ``model`` (built and compiled).

        Returns:
            ``(epochs_completed, history)``; ``(0, [])`` when there is nothing to resume.
        """
        self.set_model(model)
        self._restored = True
        self.restored_epoch, self.history = 0, []
        if self._dir.is_dir() and not self._fingerprint_matches():
            # A backup of other settings (or an interrupted write of run.json): start afresh.
            self.clear()
        if self._dir.is_dir():  # weights a kill or Ctrl-C interrupted mid-write
            for stale in self._dir.glob(".tmp-*.weights.h5"):
                stale.unlink(missing_ok=True)
        for epoch in self.completed_epochs():
            try:
                history = json.loads(self._history_file(epoch).read_text())
                if not isinstance(history, list) or len(history) != epoch:
                    raise ValueError("history length does not match the epoch")
                if model.optimizer is not None and not model.optimizer.built:
                    model.optimizer.build(model.trainable_variables)
                model.load_weights(str(self._weights_file(epoch)))
            except (OSError, ValueError, KeyError) as err:
                # A damaged file (disk full, foreign edit): fall back to the previous epoch.
                print(f"warning: backup of epoch {epoch} in {self._dir} is unreadable ({err}); "
                      "trying an older one")
                continue
            self.restored_epoch, self.history = epoch, history
            model._initial_epoch = epoch  # what BackupAndRestore sets for Model.fit
            break
        return self.restored_epoch, list(self.history)

    def _load_model(self):  # called by BackupAndRestore.on_train_begin
        if not self._restored:
            self.restore(self.model)
        elif self.restored_epoch:
            self.model._initial_epoch = self.restored_epoch

    # ---- save ----------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._eval_seconds = 0.0

    # Validation inside fit runs between the last training step and on_epoch_end; timing it
    # separately gives the training-only seconds (and images/s) of each epoch.
    def on_test_begin(self, logs=None):
        self._eval_start = time.perf_counter()

    def on_test_end(self, logs=None):
        if self._eval_start is not None:
            self._eval_seconds += time.perf_counter() - self._eval_start
            self._eval_start = None

    def on_epoch_end(self, epoch, logs=None):
        total = time.perf_counter() - (self._epoch_start or time.perf_counter())
        lr = None
        if self.model.optimizer is not None:
            lr = _to_float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        entry = _history_entry(epoch + 1, logs, total - self._eval_seconds, lr)
        entry["eval_seconds"] = round(self._eval_seconds, 4)
        self.history = self.history[:epoch] + [entry]
        self._current_epoch = epoch + 1
        self._save_model()

    def _save_model(self):
        epoch = self._current_epoch
        self._dir.mkdir(parents=True, exist_ok=True)
        if not (self._dir / "run.json").is_file():
            write_json_atomic(self._dir / "run.json", self.fingerprint)
        write_json_atomic(self._history_file(epoch), self.history)
        final = self._weights_file(epoch)
        tmp = self._dir / f".tmp-{os.getpid()}-{epoch:05d}.weights.h5"
        self.model.save_weights(str(tmp), overwrite=True)
        os.replace(tmp, final)
        for old in self.completed_epochs():
            if old < epoch:
                for path in (self._weights_file(old), self._history_file(old)):
                    path.unlink(missing_ok=True)


class EpochReseed(keras.callbacks.Callback):
    """Reset every ``SeedGenerator`` of the model at the start of each epoch from (seed, epoch).

    Dropout and SAF-pooling draw their masks from ``keras.random.SeedGenerator`` states, which
    are not part of a weights file. After a restart the generators would start again from
    their initial state, so a resumed epoch would draw other masks than the same epoch of an
    uninterrupted run. Setting each generator's state to ``[s_i, epoch * 2**20]`` at every
    epoch start, with ``s_i`` derived from the run's seed and the generator's position in the
    model, makes the masks a function of (seed, epoch, step) only: identical whether or not
    the run was interrupted, different from epoch to epoch.

    Args:
        seed: the run's seed.

    Example:

    >>> model.fit(x, y, epochs=3, callbacks=[EpochReseed(seed=0)])  # doctest: +SKIP
    """

    STEP_SPACE = 2**20  # draws per generator per epoch before two epochs could overlap

    def __init__(self, seed: int):
        super().__init__()
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
        self.seed = seed

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
    """Live training curves in a notebook: loss and error (train and test) redrawn each epoch.

    Clears the cell's previous figure (``IPython.display.clear_output(wait=True)``) and shows a
    new two-panel matplotlib figure after every epoch. Outside a notebook it does nothing (the
    progress bar and the run summary are printed instead), so it is safe to always pass.

    Args:
        title: figure title (the runner passes "<model> on <dataset>").
        history: epochs completed before this fit (a resumed run), drawn too.
        enabled: ``None`` detects a notebook; ``True``/``False`` force it.

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
        self.entries = self.entries[:epoch] + [_history_entry(epoch + 1, logs, 0.0, None)]
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
