"""Seed 001: the VGG configurations A, A-LRN, B, C, D, E and a CIFAR-scale family.

The layer lists are the original paper's Table 1 (seed 001 describes them in section 2.2; the
table it prints as 表1 is the original's Table 3, test errors). Layer names follow
``keras.applications.VGG16`` so D/E weights line up. The ``VGG-*-CIFAR`` family (32x32, widths
times :data:`CIFAR_SCALE`, FC of :data:`CIFAR_FC_UNITS`) is our scale-down, not the paper's.
A-LRN uses AlexNet's constants; kernels ``glorot_uniform`` (the paper's footnote).

Reference: K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015, arXiv:1409.1556 (seed 001 is a translation).
"""

from __future__ import annotations

import keras

from course_lib.core import Registry, normalize_key
from course_lib.layers import LRN
from course_lib.models import registry
from course_lib.validation import boolean, dropout_rate, positive_int
from course_lib.models.registry import check_core, finish, scaled

__all__ = ["VGG_CONFIGS", "CIFAR_SCALE", "CIFAR_FC_UNITS", "vgg", "vgg_cifar"]

SOURCE = ("Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 1 (configurations A-E), "
          "described in seed 001 section 2.2")
CIFAR_SOURCE = (
    "seed 001 configurations rebuilt at CIFAR scale (32x32 input, width x0.25, FC 512*width): "
    "course scale-down, not in the paper"
)

#: The CIFAR family's conv widths are this fraction of the paper's (64 -> 16 ... 512 -> 128).
CIFAR_SCALE = 0.25
#: The CIFAR family's FC1/FC2 width (512 x CIFAR_SCALE).
CIFAR_FC_UNITS = 128

_BLOCK_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]

#: The configurations of the original paper's Table 1 (seed 001 section 2.2 describes them)
#: (ints: 3x3 convs; (k, f): kxk conv; "M": 2x2/2 max pool).
VGG_CONFIGS: Registry[list] = Registry("VGG configuration", hint="Or pass a layer list.")
for _key, _layers in {
    "A": list(_BLOCK_A),
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (1, 256), "M",
          512, 512, (1, 512), "M", 512, 512, (1, 512), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
          512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
          512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}.items():
    VGG_CONFIGS.register(_key, _layers)


def _resolve_config(config) -> tuple[str, list]:
    if isinstance(config, str):
        key = config.strip()
        key = key[4:] if normalize_key(key).startswith("vgg-") else key  # "VGG-A": config A
        return VGG_CONFIGS.canonical(key, arg="config"), VGG_CONFIGS[key]
    if isinstance(config, (list, tuple)) and config:
        for item in config:
            ok = (
                (isinstance(item, int) and not isinstance(item, bool) and item > 0)
                or item in ("M", "LRN")
                or (
                    isinstance(item, tuple) and len(item) == 2
                    and all(isinstance(v, int) and v > 0 for v in item)
                )
            )
            if not ok:
                raise ValueError(
                    "`config` entries must be positive ints (3x3 conv filters), (kernel, "
                    f"filters) tuples, 'M' or 'LRN'. Received: config={config!r}"
                )
        return "custom", list(config)
    raise ValueError(
        f"`config` must be one of {sorted(VGG_CONFIGS)} or a non-empty layer list. "
        f"Received: config={config!r}"
    )


def vgg(
    config="D",
    *,
    num_classes: int = 1000,
    input_shape: tuple = (224, 224, 3),
    width_multiplier: float = 1.0,
    fc_units: int = 4096,
    dropout: float = 0.5,
    batch_norm: bool = False,
    lrn_size: int = 5,
    lrn_alpha: float = 1e-4,
    lrn_beta: float = 0.75,
    lrn_k: float = 2.0,
    lrn_alpha_mode: str = "sum",
    kernel_initializer="glorot_uniform",
    classifier_activation: str | None = "softmax",
    name: str | None = None,
) -> keras.Model:
    """Build a VGG network (Simonyan & Zisserman 2015, Table 1; seed 001 section 2.2).

    Args:
        config: ``"A"`` .. ``"E"``, ``"A-LRN"`` (``"VGG-"`` prefix accepted) or a layer list as
            in :data:`VGG_CONFIGS` (int: 3x3 conv, ``(k, filters)``, ``"M"``, ``"LRN"``).
        num_classes, input_shape: 1000, 224x224x3 in the paper; at least ``2 ** pools`` a side.
        width_multiplier: on every conv's filters and on ``fc_units``.
        fc_units: FC1 and FC2 width (the paper: 4096).
        dropout: after FC1 and FC2 (0.5); 0 removes the layers.
        batch_norm: BN after every conv (not in the paper).
        lrn_size, lrn_alpha, lrn_beta, lrn_k, lrn_alpha_mode: the ``"LRN"`` entries (A-LRN).

    Example:

    >>> vgg("D").count_params()
    138357544
    """
    key, layers = _resolve_config(config)
    return _vgg_model(
        key, layers, conv_scale=1.0, num_classes=num_classes, input_shape=input_shape,
        width_multiplier=width_multiplier, fc_units=fc_units, dropout=dropout,
        batch_norm=batch_norm, lrn_size=lrn_size, lrn_alpha=lrn_alpha, lrn_beta=lrn_beta,
        lrn_k=lrn_k, lrn_alpha_mode=lrn_alpha_mode, kernel_initializer=kernel_initializer,
        classifier_activation=classifier_activation, name=name or f"VGG-{key}",
    )


def vgg_cifar(
    config="D",
    *,
    num_classes: int = 10,
    input_shape: tuple = (32, 32, 3),
    width_multiplier: float = 1.0,
    fc_units: int = CIFAR_FC_UNITS,
    **kwargs,
) -> keras.Model:
    """A VGG configuration at CIFAR scale (course scale-down of seed 001, not the paper).

    Example:

    >>> vgg_cifar("A").get_layer("block1_conv1").filters
    16
    """
    key, layers = _resolve_config(config)
    kwargs.setdefault("name", f"VGG-{key}-CIFAR")
    return _vgg_model(key, layers, conv_scale=CIFAR_SCALE, num_classes=num_classes,
                      input_shape=input_shape, width_multiplier=width_multiplier,
                      fc_units=fc_units, **kwargs)


def _vgg_model(key, layers, *, conv_scale, num_classes, input_shape, width_multiplier, fc_units,
               dropout=0.5, batch_norm=False, lrn_size=5, lrn_alpha=1e-4, lrn_beta=0.75,
               lrn_k=2.0, lrn_alpha_mode="sum", kernel_initializer="glorot_uniform",
               classifier_activation="softmax", name=None) -> keras.Model:
    """:func:`vgg` with conv filters ``round(filters * conv_scale * width_multiplier)``."""
    n_pools = layers.count("M")
    input_shape, width_multiplier = check_core(
        num_classes, input_shape, width_multiplier, classifier_activation,
        min_side=2**n_pools, why=f"for {n_pools} 2x2 pools")
    fc_units = scaled(positive_int("fc_units", fc_units), width_multiplier)
    dropout_rate("dropout", dropout)
    boolean("batch_norm", batch_norm)
    conv_width = conv_scale * width_multiplier  # one product, as the CIFAR nets always had

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    block, conv_in_block = 1, 0
    for item in layers:
        if item == "M":
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
            block, conv_in_block = block + 1, 0
        elif item == "LRN":
            x = LRN(
                size=lrn_size, alpha=lrn_alpha, beta=lrn_beta, k=lrn_k,
                alpha_mode=lrn_alpha_mode, name=f"block{block}_lrn",
            )(x)
        else:
            kernel, filters = item if isinstance(item, tuple) else (3, item)
            conv_in_block += 1
            conv_name = f"block{block}_conv{conv_in_block}"
            x = keras.layers.Conv2D(
                scaled(filters, conv_width), kernel, padding="same",
                activation=None if batch_norm else "relu",
                kernel_initializer=kernel_initializer, name=conv_name,
            )(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"{conv_name}_bn")(x)
                x = keras.layers.ReLU(name=f"{conv_name}_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = keras.layers.Dense(
            fc_units, activation="relu", kernel_initializer=kernel_initializer, name=f"fc{i}"
        )(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation=classifier_activation,
        kernel_initializer=kernel_initializer, name="predictions",
    )(x)
    return finish(inputs, outputs, name or f"VGG-{key}", width_multiplier)


def _register() -> None:
    for key in VGG_CONFIGS:
        registry.register(
            f"VGG-{key}", vgg, source=SOURCE,
            input_shape=(224, 224, 3), num_classes=1000, family="vgg", config=key,
        )
    for key in VGG_CONFIGS:
        registry.register(
            f"VGG-{key}-CIFAR", vgg_cifar, source=CIFAR_SOURCE, input_shape=(32, 32, 3), num_classes=10, family="vgg-cifar",
            config=key,
        )


_register()
