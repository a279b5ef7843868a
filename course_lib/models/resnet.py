"""CIFAR plain and residual networks of He et al. (seed 004, section 3.2.4 and Fig. 3.8).

He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), 4.2: ``6n + 2`` layers
(16, 32, 64 filters on 32, 16, 8 pixels), BN after every bias-free conv. ``residual=False``
gives the plain nets of Fig. 3.8. Shortcut ``"A"`` (basic blocks' default, as the paper's CIFAR
runs) is parameter-free, so a ResNet has its plain twin's parameters (0.27M for 20 layers,
0.85M for 56, as printed); ``"B"`` projects where the shape changes (bottleneck's default,
seed 004 Fig. 3.10, ``9n + 2`` layers).
"""

from __future__ import annotations

import keras

from course_lib.models import registry
from course_lib.validation import in_open_interval, is_int, non_negative, one_of, positive_int
from course_lib.models.registry import check_core, finish, scaled

__all__ = ["ZeroPadShortcut", "resnet_cifar"]


@keras.saving.register_keras_serializable(package="course_lib")
class ZeroPadShortcut(keras.layers.Layer):
    """Parameter-free ResNet shortcut (option A): strided subsampling + zero channels (He et al. 3.3).

    Example:

    >>> import numpy as np
    >>> layer = ZeroPadShortcut(32, strides=2)
    >>> layer(np.ones((1, 32, 32, 16), "float32")).shape
    TensorShape([1, 16, 16, 32])
    """

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int("filters", filters)
        self.strides = positive_int("strides", strides)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels > self.filters:
            raise ValueError(
                "ZeroPadShortcut can only add channels: `filters` must be >= the input's "
                f"{channels} channels. Received: filters={self.filters}"
            )
        self.built = True

    def call(self, inputs):
        s = self.strides
        x = inputs[:, ::s, ::s, :] if s > 1 else inputs
        extra = self.filters - inputs.shape[-1]
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]])

    def compute_output_shape(self, input_shape):
        def down(d):
            return None if d is None else -(-d // self.strides)

        return (input_shape[0], down(input_shape[1]), down(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides}


def _check_depth(depth, block: str, per_block: int) -> None:
    if not is_int(depth) or depth < 3 * per_block + 2 or (depth - 2) % (3 * per_block) != 0:
        rule = "6n + 2 (20, 32, 44, 56, 110)" if block == "basic" else "9n + 2 (29, 38, 47, 56)"
        raise ValueError(
            f"`depth` must be {rule} for {block} blocks, n >= 1. Received: depth={depth!r}"
        )


def resnet_cifar(
    depth: int = 20,
    *,
    residual: bool = True,
    block: str = "basic",
    shortcut: str | None = None,
    base_width: int = 16,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    weight_decay: float = 0.0,
    bn_momentum: float = 0.9,
    classifier_activation: str | None = "softmax",
    name: str | None = None,
) -> keras.Model:
    """He et al.'s CIFAR ResNet (``residual=True``) or plain net (``residual=False``).

    Args:
        depth: ``6n + 2`` for basic blocks (20, 32, 44, 56, 110...), ``9n + 2`` for bottleneck.
        block: ``"basic"`` or ``"bottleneck"``.
        shortcut: ``"A"`` or ``"B"``; ``None``: A for basic, B for bottleneck.
        base_width: first-stage filters (16); stages use x1, x2, x4.
        weight_decay: L2 coefficient ``weight_decay / 2`` on kernels (the paper's SGD: 1e-4).
        bn_momentum: 0.9, He et al.'s Torch/Caffe value; Keras' 0.99 leaves the moving
            statistics near their start after a short budget, so test error stays at chance.

    Example:

    >>> import numpy as np
    >>> sum(int(np.prod(w.shape)) for w in resnet_cifar(20).trainable_weights)
    269722
    """
    one_of("block", block, ("basic", "bottleneck"))
    per_block = 2 if block == "basic" else 3
    _check_depth(depth, block, per_block)
    n = (depth - 2) // (3 * per_block)
    if shortcut is None:
        shortcut = "A" if block == "basic" else "B"
    one_of("shortcut", shortcut, ("A", "B"))
    input_shape, width_multiplier = check_core(num_classes, input_shape, width_multiplier,
                                               classifier_activation)
    base = scaled(positive_int("base_width", base_width), width_multiplier)
    in_open_interval("bn_momentum", bn_momentum, 0.0, 1.0)
    non_negative("weight_decay", weight_decay)

    reg = keras.regularizers.L2(weight_decay / 2) if weight_decay > 0 else None

    def conv_bn(x, filters, kernel, strides, prefix, relu=True):
        x = keras.layers.Conv2D(
            filters, kernel, strides=strides, padding="same", use_bias=False,
            kernel_initializer="he_normal", kernel_regularizer=reg, name=f"{prefix}_conv",
        )(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{prefix}_bn")(x)
        if relu:
            x = keras.layers.ReLU(name=f"{prefix}_relu")(x)
        return x

    def unit(x, filters, strides, prefix):
        out_channels = filters if block == "basic" else 4 * filters
        if block == "basic":
            y = conv_bn(x, filters, 3, strides, f"{prefix}_1")
            y = conv_bn(y, filters, 3, 1, f"{prefix}_2", relu=False)
        else:
            y = conv_bn(x, filters, 1, 1, f"{prefix}_1")
            y = conv_bn(y, filters, 3, strides, f"{prefix}_2")
            y = conv_bn(y, out_channels, 1, 1, f"{prefix}_3", relu=False)
        if residual:
            same_shape = strides == 1 and x.shape[-1] == out_channels
            if same_shape:
                s = x
            elif shortcut == "A":
                s = ZeroPadShortcut(out_channels, strides=strides, name=f"{prefix}_shortcut")(x)
            else:
                s = conv_bn(x, out_channels, 1, strides, f"{prefix}_proj", relu=False)
            y = keras.layers.Add(name=f"{prefix}_add")([y, s])
        return keras.layers.ReLU(name=f"{prefix}_out")(y)

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn(inputs, base, 3, 1, "stem")
    for stage in range(3):
        filters = base * 2**stage
        for i in range(n):
            strides = 2 if (stage > 0 and i == 0) else 1
            x = unit(x, filters, strides, f"stage{stage + 1}_block{i + 1}")
    x = keras.layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation,
                                 kernel_regularizer=reg, name="fc")(x)
    if name is None:
        name = f"{'ResNet' if residual else 'Plain'}-{depth}" + (
            "-Bottleneck" if block == "bottleneck" else "")
    return finish(inputs, outputs, name, width_multiplier)


def _register() -> None:
    source = "seed 004, section 3.2.4 / Fig. 3.8; He et al. 2016, section 4.2 (CIFAR-10)"
    for depth in (20, 32, 56):
        registry.register(
            f"Plain-{depth}", resnet_cifar, source=source, family="resnet",
            depth=depth, residual=False,
        )
        registry.register(
            f"ResNet-{depth}", resnet_cifar, source=source + ", option A shortcuts",
            family="resnet", depth=depth, residual=True,
        )
    registry.register(
        "ResNet-56-Bottleneck", resnet_cifar,
        source="seed 004, Fig. 3.10 (bottleneck block); 9n+2 layers, option B projections",
        family="resnet", depth=56, residual=True, block="bottleneck",
    )


_register()
