"""Test-time evaluation modes: standard, centre crop, multi-crop, dense, both (seed 001, 3.2).

At CIFAR scale (trained on crops of the image padded by 4) ``single_crop`` is the image itself,
``multi_crop`` 10 views, ``dense`` :func:`course_lib.models.dense_eval.to_fully_convolutional`
at each ``dense_scales`` size, ``multi_crop_dense`` both (Table 3's best rows). Every mode
averages class posteriors, never logits.
"""

from __future__ import annotations

import numpy as np

from course_lib import validation

__all__ = ["evaluate_modes", "collect_arrays", "crop_views", "verify_record",
           "RecordMismatchError"]


def collect_arrays(test_dataset) -> tuple[np.ndarray, np.ndarray]:
    """The whole (limited) test pipeline as NumPy arrays ``(images, labels)``."""
    images, labels = [], []
    for x, y in test_dataset:
        images.append(np.asarray(x))
        labels.append(np.asarray(y))
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)


def crop_views(images: np.ndarray, padding: int, flip: bool) -> list[np.ndarray]:
    """The multi-crop views of a batch: 4 corners + centre of the zero-padded images (+ mirrors)."""
    if images.ndim != 4:
        raise ValueError(f"`images` must be (N, H, W, C). Received: images.shape={images.shape}")
    _, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    offsets = [(0, 0), (0, 2 * padding), (2 * padding, 0), (2 * padding, 2 * padding),
               (padding, padding)]
    views = [padded[:, dy:dy + h, dx:dx + w, :] for dy, dx in offsets]
    if flip:
        views += [v[:, :, ::-1, :] for v in views]
    return views


def _probabilities(model, images: np.ndarray, batch_size: int, from_logits: bool) -> np.ndarray:
    out = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float64)
    if from_logits:
        out = np.exp(out - out.max(axis=-1, keepdims=True))
        out /= out.sum(axis=-1, keepdims=True)
    return out


def evaluate_modes(model, test_dataset, config, *, batch_size: int, flip: bool,
                   from_logits: bool = False, correct: dict | None = None) -> dict:
    """Test error (%) of ``model`` under every mode of ``config`` (an ``EvalConfig``).

    Args:
        model, test_dataset, config, batch_size: the model, ``(images, labels)`` batches, the
            ``EvalConfig`` and the prediction batch size.
        flip: add mirrors to the multi-crop and dense views.
        from_logits: the model outputs logits.
        correct: a dict to fill with ``{mode: bool array}`` per test image (file order).

    Returns:
        ``{mode: {"error_pct": float, "views": int, ...}}`` (``"standard"`` also has ``"loss"``).
    """
    if from_logits not in (True, False):
        raise ValueError(
            f"`from_logits` must be True or False. Received: from_logits={from_logits!r}")
    results: dict = {}
    posteriors: dict = {}  # mode -> (N, classes) averaged posteriors, computed once
    state: dict = {}

    def arrays():
        if "arrays" not in state:
            state["arrays"] = collect_arrays(test_dataset)
        return state["arrays"]

    def multi_crop():
        if "multi_crop" not in posteriors:
            views = crop_views(arrays()[0], config.crop_padding, flip=flip)
            total = sum(_probabilities(model, v, batch_size, from_logits) for v in views)
            posteriors["multi_crop"] = (total / len(views), len(views))
        return posteriors["multi_crop"]

    def dense():
        if "dense" not in posteriors:
            from course_lib.models.dense_eval import dense_scores, to_fully_convolutional

            fully_conv = to_fully_convolutional(model)
            scores = dense_scores(fully_conv, arrays()[0], scales=config.dense_scales,
                                  flip=flip, batch_size=batch_size,
                                  from_logits=from_logits)
            posteriors["dense"] = (scores, len(config.dense_scales) * (2 if flip else 1))
        return posteriors["dense"]

    def _error_pct(scores, labels):
        right = np.argmax(scores, axis=-1) == labels
        if correct is not None:
            correct[mode] = right
        # 100 * wrong / total from integers: the number anyone recounting the errors gets.
        return 100.0 * int(np.sum(~right)) / int(labels.shape[0])

    for mode in config.modes:
        images, labels = arrays()
        if mode == "standard":
            # The error is counted from the predictions (integers, so a reloaded model gives
            # exactly the same number), the loss (with the weight-decay term) from evaluate.
            loss, _ = _loss_accuracy(model, test_dataset)
            scores = _probabilities(model, images, batch_size, from_logits)
            results[mode] = {"error_pct": _error_pct(scores, labels), "loss": loss, "views": 1}
            continue
        if mode == "single_crop":
            view = crop_views(images, config.crop_padding, flip=False)[4]  # the centre crop
            scores = _probabilities(model, view, batch_size, from_logits)
            results[mode] = {"error_pct": _error_pct(scores, labels), "views": 1}
        elif mode == "multi_crop":
            scores, n_views = multi_crop()
            results[mode] = {"error_pct": _error_pct(scores, labels), "views": n_views,
                             "padding": config.crop_padding}
        elif mode == "dense":
            scores, n_views = dense()
            results[mode] = {"error_pct": _error_pct(scores, labels), "views": n_views,
                             "scales": list(config.dense_scales)}
        elif mode == "multi_crop_dense":
            (crops, n_crops), (maps, n_dense) = multi_crop(), dense()
            results[mode] = {"error_pct": _error_pct((crops + maps) / 2.0, labels),
                             "views": n_crops + n_dense, "padding": config.crop_padding,
                             "scales": list(config.dense_scales)}
        else:  # EvalConfig validates modes; this guards against a new mode left unhandled
            raise ValueError(f"Unknown evaluation mode {mode!r}.")
    return results


def _loss_accuracy(model, test_dataset) -> tuple[float, float]:
    values = model.evaluate(test_dataset, verbose=0, return_dict=True)
    return float(values["loss"]), float(values["accuracy"])


class RecordMismatchError(ValueError):
    """A result record and the model saved beside it disagree."""


def _record_model_path(record: dict):
    from pathlib import Path

    candidates = []
    if record.get("_path"):
        candidates.append(Path(record["_path"]).with_suffix(".keras"))  # beside the record
    if record.get("model_path"):
        candidates.append(Path(record["model_path"]))
    for path in candidates:
        if path.is_file():
            return path
    where = ", ".join(str(p) for p in candidates) or "no model_path or _path in the record"
    raise FileNotFoundError(
        f"No saved model for this record (looked at: {where}). The runner saves one beside "
        "each record unless save_model=False; run again with rerun=True to make it."
    )


def verify_record(record, *, data_dir=None, tolerance_pct: float = 1e-6,
                  headline_only: bool = False) -> dict:
    """Check a result record against the model saved beside it, as the runner scored it.

    Args:
        record: a record dict or the path of one.
        data_dir: as given to the runner.
        tolerance_pct: largest accepted difference in points (default: identical; GPU records
            checked on a CPU may need half an image, ``50 / record["config"]["num_test"]``).
        headline_only: score only the headline mode (VGG's other modes score 14 views an image).

    Returns:
        ``{mode: error_pct}`` as recomputed.

    Raises:
        RecordMismatchError: an error or the parameter count differs (both numbers shown).
        FileNotFoundError: no saved model; ValueError: the record lacks the runner's fields.
    """
    import keras

    from course_lib.train import results as results_lib
    from course_lib.train.config import EvalConfig
    from course_lib.data import load_run_data

    if not isinstance(record, dict):
        path = record
        record = results_lib.load_record(path)
        record["_path"] = str(path)
    validation.non_negative("tolerance_pct", tolerance_pct)
    validation.boolean("headline_only", headline_only)
    try:
        settings = record["fingerprint"]["settings"]
        evaluation = record["fingerprint"]["evaluation"]
        recorded = {mode: float(v["error_pct"]) for mode, v in record["test_errors"].items()}
        headline_mode = record["test_error_mode"]
        headline = float(record["test_error_pct"])
        from_logits = bool(record["config"]["loss_from_logits"])
    except (KeyError, TypeError) as error:
        raise ValueError(
            f"The record lacks {error} (not a record written by course_lib.train.run_model?)."
        ) from None
    name = f"{record.get('label', '?')} on {settings['dataset']} ({settings['budget']})"
    where = f" [{record['_path']}]" if record.get("_path") else ""

    model_path = _record_model_path(record)
    model = keras.models.load_model(model_path)
    params = record.get("params", {}).get("total")
    if params is not None and model.count_params() != params:
        raise RecordMismatchError(
            f"{name}{where}: the record says {params:,} parameters, the saved model "
            f"{model_path} has {model.count_params():,}: they are not from the same run."
        )
    dataset = settings["dataset"]
    extra = settings.get("extra", True if dataset == "svhn" else None)  # records before `extra`
    data = load_run_data(
        dataset, batch_size=settings["batch_size"], augment=settings["augment"],
        seed=settings["seed"], extra=extra, train_limit=settings["train_limit"],
        test_limit=settings["test_limit"], data_dir=data_dir,
    )
    modes = (headline_mode,) if headline_only else tuple(evaluation["modes"])
    config = EvalConfig(modes=modes, crop_padding=evaluation["crop_padding"],
                        dense_scales=tuple(evaluation["dense_scales"]))
    scores = evaluate_modes(model, data.test, config, batch_size=data.test_batch_size,
                            flip=data.flip, from_logits=from_logits)
    got = {mode: float(v["error_pct"]) for mode, v in scores.items()}
    problems = [
        f"{mode}: record {recorded.get(mode, float('nan')):.4f}%, saved model {value:.4f}%"
        for mode, value in got.items()
        if not abs(recorded.get(mode, float("nan")) - value) <= tolerance_pct
    ]
    if not abs(headline - got.get(headline_mode, float("nan"))) <= tolerance_pct:
        problems.insert(0, f"headline test_error_pct ({headline_mode}): record {headline:.4f}%, "
                           f"saved model {got.get(headline_mode, float('nan')):.4f}%")
    if problems:
        raise RecordMismatchError(
            f"{name}{where}: the record's test errors differ from its saved model's on the "
            f"same {data.num_test} test images -- " + "; ".join(problems) + ". The record or "
            "the model was changed after the run; run it again with rerun=True."
        )
    return got
