"""Test-time evaluation modes: standard, centre crop, multi-crop, dense, both (seed 001, 3.2).

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
  multi-scale dense evaluation with flips);
* ``multi_crop_dense``: the average of the multi-crop and the dense posteriors, the
  combination of Table 3's best rows ("dense + multi-crop").

Every mode averages class posteriors (softmax outputs), never logits.
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
    return float(100.0 * np.mean(np.argmax(scores, axis=-1) != labels))


def evaluate_modes(model, test_dataset, config, *, batch_size: int, flip: bool) -> dict:
    """Test error (%) of ``model`` under every mode of ``config`` (an ``EvalConfig``).

    Every mode but ``standard`` scores an image by the average of the class *posteriors* of
    its views (softmax outputs; a model that outputs logits is put through a softmax per
    view, and per position of a dense score map, before averaging), as seed 001 section 3.2
    averages "the soft-max class posteriors". ``multi_crop_dense`` averages the multi-crop and
    the dense posteriors (Table 3's best rows).

    Returns:
        ``{mode: {"error_pct": float, "views": int, ...}}`` in the order of ``config.modes``;
        ``"standard"`` also has ``"loss"``.
    """
    probabilities = outputs_probabilities(model)
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
            total = sum(_probabilities(model, v, batch_size, probabilities) for v in views)
            posteriors["multi_crop"] = (total / len(views), len(views))
        return posteriors["multi_crop"]

    def dense():
        if "dense" not in posteriors:
            from course_lib.models.dense_eval import dense_scores, to_fully_convolutional

            fully_conv = to_fully_convolutional(model)
            scores = dense_scores(fully_conv, arrays()[0], scales=config.dense_scales,
                                  flip=flip, batch_size=batch_size,
                                  from_logits=not probabilities)
            posteriors["dense"] = (scores, len(config.dense_scales) * (2 if flip else 1))
        return posteriors["dense"]

    for mode in config.modes:
        if mode == "standard":
            loss, accuracy = _loss_accuracy(model, test_dataset)
            results[mode] = {"error_pct": 100.0 * (1.0 - accuracy), "loss": loss, "views": 1}
            continue
        images, labels = arrays()
        if mode == "single_crop":
            view = crop_views(images, config.crop_padding, flip=False)[4]  # the centre crop
            scores = _probabilities(model, view, batch_size, probabilities)
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
