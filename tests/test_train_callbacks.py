"""Callbacks: crash-safe backups with history, per-epoch reseeding of dropout, live curves."""

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_lib.train.callbacks import EpochReseed, LiveCurves, ResumableBackup  # noqa: E402


def _model(seed=1, dropout=0.5):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    return x, y


def _fit(model, epochs, callbacks, initial_epoch=0):
    x, y = _data()
    return model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=False, verbose=0, validation_data=(x[:8], y[:8]),
                     callbacks=callbacks)


def test_backup_files_per_epoch_and_history(tmp_path):
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={"seed": 1})
    assert backup.restore(model) == (0, [])
    keras_history = _fit(model, 3, [backup]).history
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == ["epoch-00003.history.json", "epoch-00003.weights.h5", "run.json"]
    history = json.loads((tmp_path / "b" / "epoch-00003.history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert {"train_loss", "train_error_pct", "test_loss", "test_error_pct", "learning_rate",
            "seconds", "eval_seconds"} <= set(history[0])
    for mine, acc, val_acc, loss in zip(history, keras_history["accuracy"],
                                        keras_history["val_accuracy"], keras_history["loss"]):
        assert mine["train_error_pct"] == pytest.approx(100 * (1 - acc))
        assert mine["test_error_pct"] == pytest.approx(100 * (1 - val_acc))
        assert mine["train_loss"] == pytest.approx(loss)
        assert mine["learning_rate"] == pytest.approx(0.1)
        assert mine["seconds"] > 0 and mine["eval_seconds"] > 0


def test_restore_returns_the_newest_complete_epoch_and_the_weights(tmp_path):
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={"seed": 1})
    backup.restore(model)
    _fit(model, 2, [backup])
    expected = [w.copy() for w in model.get_weights()]
    expected_iterations = int(model.optimizer.iterations.numpy())

    fresh = _model(seed=99)
    epoch, history = ResumableBackup(tmp_path / "b", fingerprint={"seed": 1}).restore(fresh)
    assert epoch == 2 and len(history) == 2
    for a, b in zip(fresh.get_weights(), expected):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.optimizer.iterations.numpy()) == expected_iterations  # optimizer state too


def test_interrupted_save_is_invisible(tmp_path):
    """A kill during a save leaves a temporary or a history without weights: both ignored."""
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={})
    backup.restore(model)
    _fit(model, 1, [backup])
    folder = tmp_path / "b"
    # what a kill at the two dangerous instants of epoch 2's save leaves behind:
    (folder / "epoch-00002.history.json").write_text(json.dumps([{"epoch": 1}, {"epoch": 2}]))
    (folder / ".x1y2.partial.epoch-00002.weights.h5").write_bytes(b"\x89HDF half written")
    epoch, history = ResumableBackup(folder, fingerprint={}).restore(_model(seed=5))
    assert epoch == 1 and len(history) == 1
    assert not list(folder.glob(".*"))  # the half-written weights are cleaned up


def test_damaged_newest_weights_fall_back_to_an_older_epoch(tmp_path, capsys):
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={})
    backup.restore(model)
    _fit(model, 1, [backup])
    folder = tmp_path / "b"
    keep = {p.name: p.read_bytes() for p in folder.iterdir()}
    _fit(model, 2, [backup], initial_epoch=1)
    for name, content in keep.items():  # put epoch 1 back next to epoch 2
        (folder / name).write_bytes(content)
    (folder / "epoch-00002.weights.h5").write_bytes(b"not an HDF5 file")
    epoch, _ = ResumableBackup(folder, fingerprint={}).restore(_model(seed=5))
    assert epoch == 1
    assert "unreadable" in capsys.readouterr().out


def test_backup_of_other_settings_is_discarded(tmp_path):
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={"epochs": 3})
    backup.restore(model)
    _fit(model, 1, [backup])
    epoch, history = ResumableBackup(tmp_path / "b", fingerprint={"epochs": 5}).restore(_model())
    assert (epoch, history) == (0, [])
    assert not (tmp_path / "b").exists()


def test_fit_resumes_with_initial_epoch_and_refuses_to_repeat_epochs(tmp_path):
    """Resume is restore() + fit(initial_epoch=...); a fit that would redo epochs is refused."""
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={})
    backup.restore(model)
    _fit(model, 2, [backup])
    with pytest.raises(RuntimeError, match=r"call `restore\(model\)` before `fit`"):
        _fit(_model(seed=3), 4, [ResumableBackup(tmp_path / "b", fingerprint={})])
    resumed = ResumableBackup(tmp_path / "b", fingerprint={})
    epoch, _ = resumed.restore(_model(seed=3))
    with pytest.raises(ValueError, match="pass `initial_epoch=2`.*Received: initial_epoch=0"):
        _fit(resumed.model, 4, [resumed])
    seen = []
    log = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    _fit(resumed.model, 4, [resumed, log], initial_epoch=epoch)
    assert seen == [2, 3]
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    assert resumed.completed_epochs() == [4]


def test_clear_removes_the_backup(tmp_path):
    model = _model()
    backup = ResumableBackup(tmp_path / "b", fingerprint={})
    backup.restore(model)
    _fit(model, 1, [backup])
    backup.clear()
    assert not (tmp_path / "b").exists()


def _dropout_masks(model, epoch, seed):
    reseed = EpochReseed(seed)
    reseed.set_model(model)
    reseed.on_epoch_begin(epoch)
    layer = model.layers[2]
    ones = np.ones((4, 8), "float32")
    return [np.asarray(layer(ones, training=True)) for _ in range(2)]


def test_epoch_reseed_makes_dropout_a_function_of_seed_and_epoch():
    a = _dropout_masks(_model(seed=1), epoch=3, seed=0)
    b = _dropout_masks(_model(seed=2), epoch=3, seed=0)  # another model instance, same epoch
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])  # successive draws within an epoch differ
    c = _dropout_masks(_model(seed=1), epoch=4, seed=0)
    d = _dropout_masks(_model(seed=1), epoch=3, seed=1)
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[0], d[0])
    with pytest.raises(ValueError, match="seed"):
        EpochReseed(-1)


def test_live_curves_is_a_no_op_outside_notebooks():
    curves = LiveCurves("x")
    assert curves.enabled is False
    model = _model()
    _fit(model, 1, [curves])
    assert curves.figure is None and curves.entries == []


def test_live_curves_redraws_each_epoch_in_a_notebook(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "clear_output", lambda wait=False: calls.append("clear"))
    monkeypatch.setattr(IPython.display, "display", lambda fig: calls.append(fig))
    curves = LiveCurves("demo", history=[{"epoch": 1, "train_loss": 1.0, "test_loss": 1.2,
                                          "train_error_pct": 50.0, "test_error_pct": 55.0}],
                        enabled=True)
    _fit(_model(), 3, [curves], initial_epoch=1)
    assert calls.count("clear") == 2
    assert [e["epoch"] for e in curves.entries] == [1, 2, 3]
    loss_axis, error_axis = curves.figure.axes
    assert [len(line.get_xdata()) for line in error_axis.lines] == [3, 3]  # train and test
    assert error_axis.get_ylabel() == "error (%)"
