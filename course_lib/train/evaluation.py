"""Test-time evaluation modes: standard, single centre crop, multi-crop, dense (seed 001, 3.2).

VGG (seed 001, section 3.2 and Table 3) compares ways of scoring a test image: crops fed to
the network as trained, and *dense* evaluation, where the fully connected layers become
convolutions and the network runs on the whole rescaled image, its class score map averaged.
At CIFAR scale (32x32 inputs trained on random crops of the image zero-padded by 4 pixels) the
course's versions are:

* ``single_crop``: the centre crop of the padded image (the image itself);
* ``multi_crop``: the 4 corner crops and the centre crop of the padded image, and their
  horizontal mirrors (when the dataset is flipped in training): 10 views, posteriors averaged;
* ``dense``: :func:`course_lib.models.dense_eval.to_fully_convolutional` on the image rescaled
  to each size ``Q`` of ``dense_scales`` (and mirrored), score maps averaged (the paper's
  multi-scale dense evaluation with flips).
"""

from __future__ import annotations

import numpy as np

__all__ = ["outputs_probabilities", "evaluate_modes", "collect_arrays", "crop_views"]


def outputs_probabilities(model) -> bool:
    """Whether ``model`` ends in a softmax (True) or outputs logits (False)."""
    import keras

    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax"


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


def _probabilities(model, images: np.ndarray, batch_size: int, probabilities: bool) -> np.ndarray:
    out = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float64)
    if not probabilities:
        out = np.exp(out - out.max(axis=-1, keepdims=True))
        out /= out.sum(axis=-1, keepdims=True)
    return out


def _error_pct(scores: np.ndarray, labels: np.ndarray) -> float:
    # 100 * wrong / total from integers: the number anyone recounting the errors gets.
    wrong = int(np.sum(np.argmax(scores, axis=-1) != labels))
    return 100.0 * wrong / int(labels.shape[0])


def evaluate_modes(model, test_dataset, config, *, batch_size: int, flip: bool) -> dict:
    """Test error (%) of ``model`` under every mode of ``config`` (an ``EvalConfig``).

    Returns:
        ``{mode: {"error_pct": float, "views": int, ...}}`` in the order of ``config.modes``;
        ``"standard"`` also has ``"loss"``.
    """
    probabilities = outputs_probabilities(model)
    results: dict = {}
    arrays = None
    for mode in config.modes:
        if arrays is None:
            arrays = collect_arrays(test_dataset)
        images, labels = arrays
        if mode == "standard":
            # The error is counted from the predictions (integers, so a reloaded model gives
            # exactly the same number), the loss (with the weight-decay term) from evaluate.
            loss, _ = _loss_accuracy(model, test_dataset)
            scores = _probabilities(model, images, batch_size, probabilities)
            results[mode] = {"error_pct": _error_pct(scores, labels), "loss": loss, "views": 1}
            continue
        if mode == "single_crop":
            view = crop_views(images, config.crop_padding, flip=False)[4]  # the centre crop
            scores = _probabilities(model, view, batch_size, probabilities)
            results[mode] = {"error_pct": _error_pct(scores, labels), "views": 1}
        elif mode == "multi_crop":
            views = crop_views(images, config.crop_padding, flip=flip)
            scores = sum(_probabilities(model, v, batch_size, probabilities) for v in views)
            results[mode] = {"error_pct": _error_pct(scores, labels), "views": len(views),
                             "padding": config.crop_padding}
        elif mode == "dense":
            from course_lib.models.dense_eval import dense_scores, to_fully_convolutional

            fully_conv = to_fully_convolutional(model)
            # Averaged posteriors (softmax heads) or averaged logits: argmax is what counts.
            scores = dense_scores(fully_conv, images, scales=config.dense_scales, flip=flip,
                                  batch_size=batch_size)
            results[mode] = {"error_pct": _error_pct(scores, labels),
                             "views": len(config.dense_scales) * (2 if flip else 1),
                             "scales": list(config.dense_scales)}
        else:  # EvalConfig validates modes; this guards against a new mode left unhandled
            raise ValueError(f"Unknown evaluation mode {mode!r}.")
    return results


def _loss_accuracy(model, test_dataset) -> tuple[float, float]:
    values = model.evaluate(test_dataset, verbose=0, return_dict=True)
    return float(values["loss"]), float(values["accuracy"])
