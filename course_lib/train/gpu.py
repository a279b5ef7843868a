"""The speed path: device discovery, memory growth, mixed precision, XLA and multi-GPU.

With GPUs: memory growth, ``mixed_float16`` when every GPU has compute capability >= 7.0, XLA
on a single GPU (Keras turns it off under ``tf.distribute``) and a ``MirroredStrategy`` over
two or more (seed 001 3.3). On CPU, op determinism so a seeded run reproduces exactly.
"""

from __future__ import annotations

import contextlib
import platform
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Accelerator", "check_options", "configure", "describe_gpus", "gpu_details", "mixed_precision_scope", "op_determinism"]


@dataclass
class Accelerator:
    """What :func:`configure` chose for a run: the ``strategy``, its ``replicas`` and ``devices``,
    ``kind`` (gpu/cpu), the ``mixed_precision`` policy name, ``jit_compile``, ``deterministic`` and
    a one-line ``description`` for logs and records.
    """

    strategy: Any
    replicas: int
    devices: list = field(default_factory=list)
    kind: str = "cpu"
    mixed_precision: str = "float32"
    jit_compile: bool = False
    deterministic: bool = False
    description: str = ""

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "replicas": self.replicas,
            "devices": list(self.devices),
            "mixed_precision": self.mixed_precision,
            "jit_compile": self.jit_compile,
            "deterministic": self.deterministic,
            "description": self.description,
        }


def gpu_details(gpus=None) -> list[tuple[str, tuple[int, ...] | None]]:
    """``(name, compute capability or None)`` of each GPU TensorFlow sees (or of ``gpus``)."""
    import tensorflow as tf

    if gpus is None:
        gpus = tf.config.list_physical_devices("GPU")
    found = []
    for gpu in gpus:
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (ValueError, RuntimeError):
            details = {}
        capability = details.get("compute_capability")
        found.append((details.get("device_name", gpu.name),
                      tuple(capability) if capability else None))
    return found


def describe_gpus(gpus) -> tuple[str, bool]:
    """Names of the GPUs and whether all of them have tensor cores (compute capability >= 7)."""
    details = gpu_details(gpus)
    tensor_cores = all(cap is not None and cap >= (7, 0) for _, cap in details)
    return ", ".join(name for name, _ in details), tensor_cores


def _enable_memory_growth(tf, gpus) -> None:
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            # Devices were already initialised (e.g. a second run in the same notebook);
            # the setting from the first call still holds.
            pass


def check_options(**options) -> None:
    """Raise one ``ValueError`` for a device option (``mixed_precision``, ``jit_compile``,
    ``deterministic``; those given) outside its accepted values."""
    for name, value in options.items():
        allowed = (True, False, "auto")
        if name == "mixed_precision":
            allowed += ("mixed_float16", "float32")
        if value not in allowed:
            raise ValueError(
                f"`{name}` must be one of {allowed}. Received: {name}={value!r}"
            )


def configure(
    *,
    mixed_precision: str | bool = "auto",
    jit_compile: str | bool = "auto",
    deterministic: str | bool = "auto",
    devices: list[str] | None = None,
) -> Accelerator:
    """Choose the device setup for a run (call before building the model); returns an :class:`Accelerator`.

    Args:
        mixed_precision: ``"auto"``, ``True``/``"mixed_float16"`` or ``False``/``"float32"``;
            not set globally: wrap building and training in :func:`mixed_precision_scope`.
        jit_compile: ``"auto"`` (XLA on a single GPU unless deterministic), ``True``, ``False``.
        deterministic: ``"auto"`` (on CPU-only machines unless ``jit_compile=True``). Both
            ``True`` raises ``ValueError``: max-pooling gradients are not deterministic under XLA.
        devices: device names to mirror across; ``None``: all visible GPUs.

    Example:

    >>> acc = configure()
    >>> acc.kind, acc.replicas  # on a CPU-only machine  # doctest: +SKIP
    ('cpu', 1)
    """
    import tensorflow as tf

    check_options(mixed_precision=mixed_precision, jit_compile=jit_compile,
                  deterministic=deterministic)
    gpus = tf.config.list_physical_devices("GPU")
    _enable_memory_growth(tf, gpus)

    if devices is not None:
        if isinstance(devices, str) or not devices:
            raise ValueError(
                "`devices` must be a non-empty list of device names such as ['/gpu:0', '/gpu:1']. "
                f"Received: devices={devices!r}"
            )
        devices = [str(d) for d in devices]
        kind = "gpu" if all("gpu" in d.lower() for d in devices) else "cpu"
    elif gpus:
        devices = [f"/gpu:{i}" for i in range(len(gpus))]
        kind = "gpu"
    else:
        devices = ["/cpu:0"]
        kind = "cpu"

    if len(devices) > 1:
        strategy = tf.distribute.MirroredStrategy(
            devices=devices,
            # NCCL only exists for GPUs; reduce on the host otherwise.
            cross_device_ops=None if kind == "gpu" else tf.distribute.ReductionToOneDevice(),
        )
    else:
        strategy = tf.distribute.get_strategy()  # the default strategy: no distribution

    description = platform.processor() or platform.machine() or "CPU"
    tensor_cores = False
    if kind == "gpu" and gpus:
        description, tensor_cores = describe_gpus(gpus)
    description = f"{len(devices)} x {kind.upper()} ({description})"

    if mixed_precision == "auto":
        policy = "mixed_float16" if (kind == "gpu" and tensor_cores) else "float32"
    elif mixed_precision in (True, "mixed_float16"):
        policy = "mixed_float16"
    else:
        policy = "float32"

    # TensorFlow has no deterministic XLA kernel for the MaxPool gradient (on CPU or GPU), so
    # op determinism and jit_compile cannot both be on for the zoo's pooling networks: an
    # explicit request for one turns the other's "auto" off, and asking for both is an error.
    if jit_compile is True and deterministic is True:
        raise ValueError(
            "`jit_compile=True` cannot be combined with `deterministic=True`: TensorFlow has no "
            "deterministic XLA kernel for the max-pooling gradient, so training would stop "
            "with UnimplementedError. Pass jit_compile=False for a reproducible run, or "
            "deterministic=False for XLA."
        )
    if jit_compile == "auto":
        jit = kind == "gpu" and len(devices) == 1 and deterministic is not True
    else:
        jit = bool(jit_compile)

    if deterministic == "auto":
        deterministic = kind == "cpu" and not jit

    return Accelerator(
        strategy=strategy,
        replicas=int(strategy.num_replicas_in_sync),
        devices=devices,
        kind=kind,
        mixed_precision=policy,
        jit_compile=jit,
        deterministic=bool(deterministic),
        description=description,
    )


@contextlib.contextmanager
def mixed_precision_scope(policy: str):
    """Set the global Keras dtype policy inside the block (build the model inside), then restore it."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@contextlib.contextmanager
def op_determinism(enabled: bool):
    """Switch TensorFlow op determinism on inside the block; restore it after (it is process-wide)."""
    import tensorflow as tf
    # disable_op_determinism / is_op_determinism_enabled are not exported under tf.config
    from tensorflow.python.framework import config as tf_config

    before = tf_config.is_op_determinism_enabled()
    if enabled and not before:
        tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if enabled and not before:
            tf_config.disable_op_determinism()
