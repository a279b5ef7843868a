"""PyTorch versions of the kit's CNN-A2, RCNN-A2 and SimpNet, for the throughput comparison.

Written directly in PyTorch (``torch.nn``), layer for layer the architectures that
``course_lib.models.build`` returns, so that ``benchmarks/run.py`` can time the same network in
both frameworks. ``tests/test_benchmarks.py`` checks that every parameter count (and the
batch-norm statistics) equals the Keras model's.

Correspondences with the kit (``course_lib/models/param_distribution.py``, ``simpnet.py``):

* Keras ``MaxPooling2D(3, strides=2, padding="same")`` on 32 -> 16 -> 8 puts its one padding
  pixel after the last row/column, so its windows start at 0, 2, 4, ...; ``nn.MaxPool2d(3, 2,
  ceil_mode=True)`` has exactly these windows (the last one runs over the border).
* The kit's LRN with ``alpha_mode="mean"`` is ``nn.LocalResponseNorm(size, alpha, beta, k)``
  (PyTorch divides ``alpha`` by ``size`` and pads ``size // 2`` channels before,
  ``(size - 1) // 2`` after, as the kit does).
* ``RecurrentConv2D`` is :class:`RCL`: one feed-forward kernel with bias and one recurrent
  kernel without, the same recurrent kernel reused at every one of the ``T`` steps.
* Keras ``BatchNormalization(momentum=0.95, epsilon=1e-5)`` is ``nn.BatchNorm2d(momentum=0.05,
  eps=1e-5)`` (PyTorch's momentum weighs the new batch).
* The Keras models end in a softmax and are trained with cross-entropy on probabilities; the
  PyTorch models return logits for ``nn.CrossEntropyLoss``, the idiomatic PyTorch form.

Import needs only ``torch`` (and the widths, which come from the kit's own tables so that the
two sides cannot drift apart silently: the test would catch it, but the source is the same).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RCL", "SeedNet", "SimpNet", "build", "NAMES", "count_parameters"]

#: The names ``build`` accepts (the kit's zoo names).
NAMES = ("CNN-A2", "RCNN-A2", "SimpNet")


def _lrn_window(channels: int) -> int:
    # course_lib.models.param_distribution.lrn_window: Liang & Hu's K // 8 + 1.
    return channels // 8 + 1


def _lrn(channels: int) -> nn.LocalResponseNorm:
    # The seed-000 builder's defaults: alpha 1e-3 over the window ("mean"), beta 0.75, k 1.
    return nn.LocalResponseNorm(_lrn_window(channels), alpha=1e-3, beta=0.75, k=1.0)


class RCL(nn.Module):
    """Recurrent convolutional layer (Liang & Hu 2015), as ``course_lib.layers.RecurrentConv2D``.

    ``x(0) = LRN(relu(w_f * u + b))``, ``x(t) = LRN(relu(w_f * u + w_r * x(t-1) + b))``;
    the feed-forward term is computed once and ``w_r`` is shared by every step.
    """

    def __init__(self, in_channels: int, filters: int, iterations: int = 3):
        super().__init__()
        self.feedforward = nn.Conv2d(in_channels, filters, 3, padding=1, bias=True)
        self.recurrent = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.lrn = _lrn(filters)
        self.iterations = iterations

    def forward(self, u):
        ff = self.feedforward(u)
        state = self.lrn(torch.relu(ff))
        for _ in range(self.iterations):
            state = self.lrn(torch.relu(ff + self.recurrent(state)))
        return state


class SeedNet(nn.Module):
    """Seed 000's CNN (Fig. 1) or RCNN (Fig. 2) for a width list ``(conv1, L2, L3, L4, L5)``."""

    def __init__(self, widths, recurrent: bool, num_classes: int = 10, in_channels: int = 3,
                 dropout: float = 0.5, iterations: int = 3):
        super().__init__()
        w1, w2, w3, w4, w5 = widths
        self.recurrent = recurrent
        self.conv1 = nn.Conv2d(in_channels, w1, 5, padding=2)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.drop1 = nn.Dropout(dropout)
        self.drop2 = nn.Dropout(dropout)
        self.lrn1 = _lrn(w1)
        if recurrent:
            self.rcl1 = RCL(w1, w2, iterations)
            self.rcl2 = RCL(w2, w3, iterations)
            self.rcl3 = RCL(w3, w4, iterations)
            self.rcl4 = RCL(w4, w5, iterations)
        else:
            self.conv2 = nn.Conv2d(w1, w2, 3, padding=1)
            self.conv3 = nn.Conv2d(w2, w3, 3, padding=1)
            self.conv4 = nn.Conv2d(w3, w4, 3, padding=1)
            self.conv5 = nn.Conv2d(w4, w5, 3, padding=1)
            self.lrn2 = _lrn(w3)
        self.fc = nn.Linear(w5, num_classes)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        if self.recurrent:
            x = self.drop1(self.pool1(self.lrn1(x)))
            x = self.rcl2(self.rcl1(x))
            x = self.drop2(self.pool2(x))
            x = self.rcl4(self.rcl3(x))
        else:
            x = self.drop1(self.lrn1(self.pool1(x)))
            x = torch.relu(self.conv3(torch.relu(self.conv2(x))))
            x = self.drop2(self.lrn2(self.pool2(x)))
            x = torch.relu(self.conv5(torch.relu(self.conv4(x))))
        return self.fc(torch.amax(x, dim=(2, 3)))  # global max pooling, then logits


class SimpNet(nn.Module):
    """SimpNet (seed 002): n x [conv-BN-ReLU(-dropout)], SAF-pooling, global max pool, FC.

    ``widths``, ``kernels`` and ``rates`` hold one entry per conv layer; ``pools`` the 1-based
    conv indices followed by SAF-pooling (2x2 max pool, then dropout with that layer's rate).
    The dropout layout is ``course_lib.models.simpnet.build_simpnet``'s.
    """

    def __init__(self, widths, kernels, rates, pools, num_classes: int = 10,
                 in_channels: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        n = len(widths)
        channels = in_channels
        for index, (width, size, rate) in enumerate(zip(widths, kernels, rates), start=1):
            layers += [
                nn.Conv2d(channels, width, size, padding=size // 2),
                nn.BatchNorm2d(width, eps=1e-5, momentum=0.05),
                nn.ReLU(inplace=True),
            ]
            if index in pools:
                layers += [nn.MaxPool2d(2)] + ([nn.Dropout(rate)] if rate > 0 else [])
            elif index < n and rate > 0:
                layers.append(nn.Dropout(rate))
            channels = width
        self.features = nn.Sequential(*layers)
        self.head_drop = nn.Dropout(rates[-1]) if rates[-1] > 0 else nn.Identity()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = torch.amax(self.features(x), dim=(2, 3))
        return self.fc(self.head_drop(x))


def _simpnet_spec():
    from course_lib.models.simpnet_archs import ARCHS

    spec = ARCHS["SimpNet"]
    widths = spec.layer_widths()
    rates = spec.dropout if isinstance(spec.dropout, tuple) else (spec.dropout,) * len(widths)
    return widths, spec.kernel_sizes(), list(rates), tuple(spec.pool_after)


def build(name: str, num_classes: int = 10) -> nn.Module:
    """The PyTorch version of the kit model ``name`` (one of :data:`NAMES`)."""
    if name == "CNN-A2":
        return SeedNet((160,) * 5, recurrent=False, num_classes=num_classes)
    if name == "RCNN-A2":
        return SeedNet((160,) * 5, recurrent=True, num_classes=num_classes)
    if name == "SimpNet":
        widths, kernels, rates, pools = _simpnet_spec()
        return SimpNet(widths, kernels, rates, pools, num_classes=num_classes)
    raise ValueError(f"`name` must be one of {NAMES}. Received: name={name!r}")


def count_parameters(module: nn.Module) -> dict[str, int]:
    """``{"trainable": parameters, "statistics": batch-norm running mean/var entries}``.

    Keras' ``count_params()`` is the sum of the two (its moving mean/variance are weights).
    """
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    statistics = sum(b.numel() for name, b in module.named_buffers()
                     if name.endswith(("running_mean", "running_var")))
    return {"trainable": int(trainable), "statistics": int(statistics)}
