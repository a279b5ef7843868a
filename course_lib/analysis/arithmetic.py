"""CS231n convolution arithmetic (seed 003, sections 4.1 and 6.7): output sizes, parameter
counts and memory estimates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from course_lib.analysis.layer_table import layer_table
from course_lib.validation import integer, pair

__all__ = [
    "OPTIMIZER_SLOTS", "MemoryEstimate", "conv_output_size", "conv_params", "memory_bytes",
    "model_memory",
]

#: Per-parameter state slots kept by common optimizers (each slot is one float per parameter).
#: ``"sgd"``: none; ``"sgd-momentum"``: the velocity; ``"rmsprop"``/``"adagrad"``: the running
#: squared-gradient accumulator; ``"adam"``: first and second moments.
OPTIMIZER_SLOTS: dict[str, int] = {
    "sgd": 0,
    "sgd-momentum": 1,
    "momentum": 1,
    "rmsprop": 1,
    "adagrad": 1,
    "adam": 2,
    "adamw": 2,
}


def conv_output_size(W: int, F: int, P: int = 0, S: int = 1, dilation: int = 1) -> int:
    """Spatial output size of a convolution or pooling window: ``(W - F_eff + 2P) / S + 1``.

    ``F_eff = dilation * (F - 1) + 1``. As the notes insist, a stride that does not tile the
    padded input is an error (the message lists paddings and strides that fit), not rounded.

    Example:
        >>> conv_output_size(32, 5, P=2, S=1)
        32
        >>> conv_output_size(227, 11, P=0, S=4)  # AlexNet conv1
        55
    """
    W = integer("W", W, minimum=1)
    F = integer("F", F, minimum=1)
    P = integer("P", P, minimum=0)
    S = integer("S", S, minimum=1)
    dilation = integer("dilation", dilation, minimum=1)
    f_eff = dilation * (F - 1) + 1
    span = W - f_eff + 2 * P
    f_text = f"F_eff={f_eff} (F={F}, dilation={dilation})" if dilation > 1 else f"F={F}"
    if span < 0:
        raise ValueError(
            f"The filter does not fit: {f_text} is larger than the padded input "
            f"W + 2P = {W} + 2*{P} = {W + 2 * P}. Use a smaller filter or a padding of at "
            f"least P={math.ceil((f_eff - W) / 2)}."
        )
    if span % S:
        value = span / S + 1
        paddings = [
            p for p in range(0, f_eff) if W - f_eff + 2 * p >= 0 and (W - f_eff + 2 * p) % S == 0
        ]
        strides = [s for s in range(1, max(f_eff, S) + 1) if span % s == 0]
        pad_hint = (
            f"paddings that work with S={S}: {paddings[:6]}"
            if paddings
            else f"no padding below F_eff={f_eff} works with S={S}"
        )
        raise ValueError(
            f"(W - F + 2P)/S + 1 = ({W} - {f_eff} + 2*{P})/{S} + 1 = {value:g} is not an integer, "
            f"so {f_text}, P={P}, S={S} does not tile an input of size W={W}. "
            f"Try {pad_hint}, or strides that work with P={P}: {strides}."
        )
    return span // S + 1


def conv_params(F, C_in: int, K: int, bias: bool = True) -> int:
    """Parameters of a conv layer: ``F_h * F_w * C_in * K`` weights plus ``K`` biases (if ``bias``).

    Example:
        >>> conv_params(5, 3, 10)   # ten 5x5 filters on a 32x32x3 image
        760
        >>> conv_params(11, 3, 96)  # AlexNet conv1
        34944
    """
    fh, fw = pair("F", F)  # an int or (height, width)
    C_in = integer("C_in", C_in, minimum=1)
    K = integer("K", K, minimum=1)
    return fh * fw * C_in * K + (K if bias else 0)


@dataclass(frozen=True)
class MemoryEstimate:
    """Memory of one training or inference step, in bytes (gradients zero for inference)."""

    activations: int
    activation_gradients: int
    params: int
    param_gradients: int
    optimizer_state: int
    bytes_per_value: int = 4

    @property
    def forward(self) -> int:
        """Bytes of a forward pass: activations + parameters."""
        return self.activations + self.params

    @property
    def parameter_total(self) -> int:
        """Bytes for parameters, their gradients and the optimizer slots (the notes' "x3")."""
        return self.params + self.param_gradients + self.optimizer_state

    @property
    def total(self) -> int:
        """Everything counted: activations (+ gradients) and parameters (+ gradients, slots)."""
        return self.activations + self.activation_gradients + self.parameter_total

    def to_dict(self) -> dict[str, int]:
        """The fields plus ``forward``, ``parameter_total`` and ``total``."""
        return {
            **asdict(self),
            "forward": self.forward,
            "parameter_total": self.parameter_total,
            "total": self.total,
        }

    def __str__(self) -> str:
        mib = 1024**2
        return (
            f"activations {self.activations / mib:.1f} MiB "
            f"(+{self.activation_gradients / mib:.1f} MiB gradients), "
            f"parameters {self.params / mib:.1f} MiB "
            f"(+{self.param_gradients / mib:.1f} MiB gradients, "
            f"+{self.optimizer_state / mib:.1f} MiB optimizer state); "
            f"total {self.total / mib:.1f} MiB"
        )


def _slots(optimizer: str) -> int:
    key = str(optimizer).strip().lower().replace("_", "-")
    if key not in OPTIMIZER_SLOTS:
        raise ValueError(
            f"Unknown `optimizer`; expected one of {sorted(OPTIMIZER_SLOTS)}. "
            f"Received: optimizer={optimizer!r}"
        )
    return OPTIMIZER_SLOTS[key]


def memory_bytes(
    activations: int,
    params: int,
    *,
    trainable_params: int | None = None,
    batch_size: int = 1,
    training: bool = True,
    optimizer: str = "sgd-momentum",
    bytes_per_value: int = 4,
) -> MemoryEstimate:
    """The CS231n memory estimate (seed 003, section 6.7) from value counts, as a :class:`MemoryEstimate`.

    Activations (per example, times ``batch_size``) and their gradients, parameters, their
    gradients and the optimizer's ``OPTIMIZER_SLOTS`` (the notes' "x3 or more"); miscellany left
    out. ``training=False`` counts a forward pass only.

    Example:
        >>> m = memory_bytes(activations=15_237_608, params=138_357_544, training=False)
        >>> round(m.forward / 2**20)  # VGG-16 forward pass, one 224x224 image
        586
    """
    activations = integer("activations", activations, minimum=0)
    params = integer("params", params, minimum=0)
    trainable = params
    if trainable_params is not None:
        trainable = integer("trainable_params", trainable_params, minimum=0)
    if trainable > params:
        raise ValueError(
            "`trainable_params` cannot exceed `params`. "
            f"Received: trainable_params={trainable}, params={params}"
        )
    batch_size = integer("batch_size", batch_size, minimum=1)
    bytes_per_value = integer("bytes_per_value", bytes_per_value, minimum=1)
    slots = _slots(optimizer)
    b = bytes_per_value
    act = activations * batch_size * b
    return MemoryEstimate(
        activations=act,
        activation_gradients=act if training else 0,
        params=params * b,
        param_gradients=trainable * b if training else 0,
        optimizer_state=slots * trainable * b if training else 0,
        bytes_per_value=b,
    )


def model_memory(
    model,
    batch_size: int = 1,
    optimizer: str = "sgd-momentum",
    *,
    training: bool = True,
    input_shape=None,
    bytes_per_value: int = 4,
) -> MemoryEstimate:
    """:func:`memory_bytes` for a Keras model, activations from :func:`layer_table` (an upper bound).

    Example:
        >>> import keras
        >>> m = keras.applications.VGG16(weights=None)
        >>> model_memory(m, training=False).forward // 2**20  # MiB, one image
        586
    """
    table = layer_table(model, input_shape=input_shape)
    activations = int(table["activations"].sum())
    params = int(table["params"].sum())
    trainable = int(table["trainable_params"].sum())
    return memory_bytes(
        activations,
        params,
        trainable_params=trainable,
        batch_size=batch_size,
        training=training,
        optimizer=optimizer,
        bytes_per_value=bytes_per_value,
    )
