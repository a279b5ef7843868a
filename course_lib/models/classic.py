"""Classic networks of seeds 003 and 004: LeNet-5, AlexNet, Network-in-Network, Highway.

* **LeNet-5** (seed 003, 6.1; LeCun et al. 1998), modernised as textbooks do: tanh, plain
  average pooling, C3 fully connected, softmax. 61,706 parameters for 10 classes.
* **AlexNet** (seed 004, Table 3.1), one tower on 227x227x3, LRN after pooling as the table
  has it (the paper: before). 62,378,344 parameters for C=1000.
* **NIN** (seed 004, 3.2.3; Lin et al., ICLR 2014, CIFAR-10): ``"same"`` pools are Caffe's
  ceil mode; ReLU after the last 1x1 conv as in the released Caffe model. 966,986 parameters.
* **Highway** (seed 004, eqs. 3.4-3.5; Srivastava et al. 2015): :func:`highway_cifar` is a
  small CIFAR net of our own design, not a published table.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from course_lib.layers import LRN
from course_lib.models import registry
from course_lib.validation import dropout_rate, ints, positive_int
from course_lib.models.registry import check_core, finish, scaled

__all__ = ["lenet5", "alexnet", "nin", "highway_block", "highway_cifar"]


def lenet5(
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 1),
    width_multiplier: float = 1.0,
    activation: str = "tanh",
    classifier_activation: str | None = "softmax",
    name: str = "LeNet-5",
) -> keras.Model:
    """LeNet-5 (LeCun et al. 1998; CS231n notes, seed 003 section 6.1), modernised (module docstring).

    Example:

    >>> lenet5().count_params()
    61706
    """
    input_shape, m = check_core(num_classes, input_shape, width_multiplier, classifier_activation)
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Conv2D(scaled(6, m), 5, activation=activation, name="c1")(inputs)
    x = keras.layers.AveragePooling2D(2, name="s2")(x)
    x = keras.layers.Conv2D(scaled(16, m), 5, activation=activation, name="c3")(x)
    x = keras.layers.AveragePooling2D(2, name="s4")(x)
    x = keras.layers.Conv2D(scaled(120, m), 5, activation=activation, name="c5")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(scaled(84, m), activation=activation, name="f6")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="output")(x)
    return finish(inputs, outputs, name, m)


def alexnet(
    *,
    num_classes: int = 1000,
    input_shape: tuple = (227, 227, 3),
    width_multiplier: float = 1.0,
    dropout: float = 0.5,
    lrn_size: int = 5,
    lrn_alpha: float = 1e-4,
    lrn_beta: float = 0.75,
    lrn_k: float = 2.0,
    lrn_alpha_mode: str = "sum",
    classifier_activation: str | None = "softmax",
    name: str = "AlexNet",
) -> keras.Model:
    """Single-tower AlexNet exactly as seed 004, Table 3.1 lists it (227x227x3, ``C`` classes).

    Example:

    >>> alexnet().get_layer("conv1").count_params()
    34944
    """
    input_shape, m = check_core(num_classes, input_shape, width_multiplier, classifier_activation)
    dropout_rate("dropout", dropout)
    lrn = dict(size=lrn_size, alpha=lrn_alpha, beta=lrn_beta, k=lrn_k, alpha_mode=lrn_alpha_mode)
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Conv2D(scaled(96, m), 11, strides=4, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = LRN(**lrn, name="lrn1")(x)
    x = keras.layers.Conv2D(scaled(256, m), 5, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = LRN(**lrn, name="lrn2")(x)
    for conv, filters in (("conv3", 384), ("conv4", 384), ("conv5", 256)):
        x = keras.layers.Conv2D(scaled(filters, m), 3, padding="same", activation="relu",
                                name=conv)(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for fc in ("fc6", "fc7"):
        x = keras.layers.Dense(scaled(4096, m), activation="relu", name=fc)(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"{fc}_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="fc8")(x)
    return finish(inputs, outputs, name, m)


def nin(
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    dropout: float = 0.5,
    classifier_activation: str | None = "softmax",
    name: str = "NIN",
) -> keras.Model:
    """Network-in-Network, the CIFAR-10 model of Lin et al. (seed 004, section 3.2.3).

    ``width_multiplier`` scales every conv but the last (whose maps are the classes).

    Example:

    >>> nin().count_params()
    966986
    """
    input_shape, m = check_core(num_classes, input_shape, width_multiplier, classifier_activation)
    dropout_rate("dropout", dropout)

    def mlpconv(x, idx, kernel, filters):
        x = keras.layers.Conv2D(filters[0], kernel, padding="same", activation="relu",
                                name=f"conv{idx}")(x)
        x = keras.layers.Conv2D(filters[1], 1, activation="relu", name=f"cccp{2 * idx - 1}")(x)
        x = keras.layers.Conv2D(filters[2], 1, activation="relu", name=f"cccp{2 * idx}")(x)
        return x

    inputs = keras.Input(shape=input_shape, name="image")
    x = mlpconv(inputs, 1, 5, (scaled(192, m), scaled(160, m), scaled(96, m)))
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="drop1")(x)
    x = mlpconv(x, 2, 5, (scaled(192, m),) * 3)
    x = keras.layers.AveragePooling2D(3, strides=2, padding="same", name="pool2")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="drop2")(x)
    x = mlpconv(x, 3, 3, (scaled(192, m), scaled(192, m), num_classes))
    x = keras.layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    if classifier_activation is not None:
        x = keras.layers.Activation(classifier_activation, name="predictions")(x)
    return finish(inputs, x, name, m)


def highway_block(
    x,
    *,
    kernel_size: int = 3,
    gate_bias: float = -1.0,
    activation: str = "relu",
    kernel_initializer="glorot_uniform",
    name: str = "highway",
):
    """Apply one convolutional highway block ``y = H(x) T(x) + x (1 - T(x))`` to ``x``.

    ``T``'s bias starts at ``gate_bias`` <= 0, so the block starts near the identity (Srivastava et
    al. 2015); carry gate ``1 - T`` (seed 004, eq. 3.5). Built as ``y = x + T * (H - x)``.

    Example:

    >>> inputs = keras.Input((8, 8, 16))
    >>> highway_block(inputs).shape
    (None, 8, 8, 16)
    """
    if float(gate_bias) > 0:
        raise ValueError(
            "`gate_bias` must be <= 0 so that the block starts close to the identity. "
            f"Received: gate_bias={gate_bias!r}"
        )
    channels = x.shape[-1]
    h = keras.layers.Conv2D(channels, kernel_size, padding="same", activation=activation,
                            kernel_initializer=kernel_initializer, name=f"{name}_h")(x)
    t = keras.layers.Conv2D(channels, kernel_size, padding="same", activation="sigmoid",
                            kernel_initializer=kernel_initializer,
                            bias_initializer=keras.initializers.Constant(float(gate_bias)),
                            name=f"{name}_t")(x)
    diff = keras.layers.Subtract(name=f"{name}_diff")([h, x])
    gated = keras.layers.Multiply(name=f"{name}_gated")([t, diff])
    return keras.layers.Add(name=f"{name}_out")([x, gated])


def highway_cifar(
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    widths: Sequence[int] = (32, 64, 128),
    blocks_per_stage: int = 2,
    gate_bias: float = -1.0,
    dropout: float = 0.25,
    classifier_activation: str | None = "softmax",
    name: str = "Highway-CIFAR",
) -> keras.Model:
    """A small convolutional highway network for CIFAR (our design, not a published table).

    Example:

    >>> highway_cifar().output_shape
    (None, 10)
    """
    input_shape, m = check_core(num_classes, input_shape, width_multiplier, classifier_activation)
    dropout_rate("dropout", dropout)
    ints("widths", widths)
    positive_int("blocks_per_stage", blocks_per_stage)
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for stage, width in enumerate(widths, start=1):
        if stage > 1:
            x = keras.layers.MaxPooling2D(2, name=f"pool{stage - 1}")(x)
            if dropout > 0:
                x = keras.layers.Dropout(dropout, name=f"drop{stage - 1}")(x)
        x = keras.layers.Conv2D(scaled(width, m), 3, padding="same", activation="relu",
                                name=f"stage{stage}_conv")(x)
        for block in range(1, blocks_per_stage + 1):
            x = highway_block(x, gate_bias=gate_bias, name=f"stage{stage}_highway{block}")
    x = keras.layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="fc")(x)
    return finish(inputs, outputs, name, m)


def _register() -> None:
    registry.register(
        "LeNet-5", lenet5, source="seed 003 section 6.1 (LeNet); LeCun et al. 1998",
        input_shape=(32, 32, 1), num_classes=10, family="classic",
    )
    registry.register(
        "AlexNet", alexnet, source="seed 004, Table 3.1 (single tower)",
        input_shape=(227, 227, 3), num_classes=1000, family="classic",
    )
    registry.register(
        "NIN", nin, source="seed 004, section 3.2.3; Lin et al. 2014 CIFAR-10 model",
        input_shape=(32, 32, 3), num_classes=10, family="classic",
    )
    registry.register(
        "Highway-CIFAR", highway_cifar,
        source="seed 004, eq. 3.5 (highway block); small CIFAR net of the course",
        input_shape=(32, 32, 3), num_classes=10, family="classic",
    )


_register()
