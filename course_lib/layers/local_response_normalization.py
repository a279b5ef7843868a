"""Across-channel local response normalisation (LRN) as a backend-agnostic Keras 3 layer."""

import functools

import keras
import numpy as np
from keras import ops

from course_lib import validation

_ALPHA_MODES = ("mean", "sum")


@functools.lru_cache(maxsize=64)
def window_matrix(channels: int, size: int) -> np.ndarray:
    """The ``(channels, channels)`` 0/1 matrix whose column ``d`` marks LRN's window ``W(d)``.

    ``W(d) = [d - size // 2, d + (size - 1) // 2]``, clipped to the channels that exist (the
    zero padding of ``torch.nn.LocalResponseNorm``), so ``squares @ window_matrix`` gives every
    channel's window sum.

    >>> window_matrix(4, 3).astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 1, 0],
           [0, 1, 1, 1],
           [0, 0, 1, 1]])
    """
    j = np.arange(channels)[:, None]
    d = np.arange(channels)[None, :]
    matrix = ((j >= d - size // 2) & (j <= d + (size - 1) // 2)).astype("float32")
    matrix.setflags(write=False)  # cached and shared: nobody may change it
    return matrix


def local_response_normalization(x, size, alpha, beta, k):
    """LRN over the last axis written with ``keras.ops``: ``x * (k + alpha * S) ** -beta``.

    ``alpha`` multiplies the plain sum of squares; pass ``alpha / size`` for Caffe/PyTorch.
    The window sums ``S`` are one matmul of the squares with :func:`window_matrix`, and the
    power is ``exp(-beta * log(.))`` (the base is positive wherever ``k > 0``), the form
    TensorFlow's own LRN kernel uses. Both are cheaper on a CPU than TensorFlow's fused kernel
    and than a 1-D convolution of the squares with ``ops.power``, and give the same values to
    float32 rounding: ``benchmarks/levers.py`` measures the three side by side
    (``benchmarks/RESULTS.md``, section Levers).
    """
    window = ops.convert_to_tensor(window_matrix(int(x.shape[-1]), int(size)), dtype=x.dtype)
    sums = ops.matmul(ops.square(x), window)
    return x * ops.exp(-beta * ops.log(k + alpha * sums))


@keras.saving.register_keras_serializable(package="course_lib")
class LocalResponseNormalization(keras.layers.Layer):
    """Across-channel local response normalisation (AlexNet's LRN), channels last.

    Krizhevsky, Sutskever & Hinton 2012, sec. 3.3; seed 004, eq. 3.1::

        b[..., d] = a[..., d] / (k + alpha' * sum_{j in W(d)} a[..., j] ** 2) ** beta

    ``alpha' = alpha`` for ``alpha_mode="sum"`` (AlexNet, TensorFlow) and ``alpha / size`` for
    ``"mean"`` (Caffe, PyTorch). ``W(d) = [d - size // 2, d + (size - 1) // 2]``, zero-padded, as
    in ``torch.nn.LocalResponseNorm``. With ``k=0`` an all-zero window gives NaN, as in TensorFlow
    and PyTorch. Seed 004's L2 special case (``k=0, alpha=1, beta=0.5``) needs
    ``size >= 2 * channels - 1``, not ``n = N``: a clipped window of N covers only the middle
    channel. The same ``keras.ops`` code runs on every backend; float16 is computed in float32.

    Args:
        size: channels in the window (``n`` in the papers), >= 1.
        alpha: scale of the sum (or mean) of squares, >= 0.
        beta: exponent, > 0.
        k: additive constant (``bias`` in TensorFlow), >= 0; not both ``k`` and ``alpha`` 0.
        alpha_mode: ``"sum"`` (AlexNet, TensorFlow) or ``"mean"`` (Caffe, PyTorch).

    Example:

    >>> x = keras.random.normal((2, 8, 8, 16))
    >>> tuple(LocalResponseNormalization(size=5, alpha=1e-4, beta=0.75, k=2.0)(x).shape)
    (2, 8, 8, 16)
    >>> # PyTorch / Caffe convention (alpha divided by the window size):
    >>> tuple(LocalResponseNormalization(size=4, alpha_mode="mean")(x).shape)
    (2, 8, 8, 16)

    References:
        Krizhevsky, Sutskever & Hinton, NeurIPS 2012, section 3.3. Seed 004 (解析卷积神经网络,
        ch. 3): the formula, AlexNet's ``k=2, n=5, alpha=1e-4, beta=0.75`` (the defaults), the L2 case.
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="sum", **kwargs):
        super().__init__(**kwargs)
        self.size = validation.integer("size", size, minimum=1)
        self.alpha = validation.number("alpha", alpha, low=0.0)
        self.beta = validation.number("beta", beta, low=0.0, low_open=True)
        self.k = validation.number("k", k, low=0.0)
        if self.k == 0.0 and self.alpha == 0.0:
            raise ValueError(
                "Arguments `k` and `alpha` cannot both be 0 (the denominator would be 0 "
                f"everywhere); use k > 0 or alpha > 0. Received: k={k!r}, alpha={alpha!r}"
            )
        self.alpha_mode = validation.one_of("alpha_mode", alpha_mode, _ALPHA_MODES)
        self.supports_masking = True

    def build(self, input_shape):
        shape = validation.rank4(self, input_shape, need_channels=True)
        self.input_spec = keras.InputSpec(ndim=4, axes={-1: shape[-1]})

    def call(self, inputs):
        x = inputs
        if keras.backend.standardize_dtype(x.dtype) in ("float16", "bfloat16"):
            x = ops.cast(x, "float32")
        alpha = self.alpha / self.size if self.alpha_mode == "mean" else self.alpha
        outputs = local_response_normalization(x, self.size, alpha, self.beta, self.k)
        return ops.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(validation.rank4(self, input_shape, need_channels=False))

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "alpha": self.alpha,
            "beta": self.beta,
            "k": self.k,
            "alpha_mode": self.alpha_mode,
        }
