"""Across-channel local response normalisation (LRN) as a backend-agnostic Keras 3 layer."""

import keras
from keras import ops

from course_lib import validation
from course_lib.layers.backend import fused_lrn

_ALPHA_MODES = ("mean", "sum")


def local_response_normalization(x, size, alpha, beta, k):
    """LRN over the last axis written with ``keras.ops``: ``x * (k + alpha * S) ** -beta``.

    ``S`` is the sum of ``x ** 2`` over the window ``[d - size // 2, d + (size - 1) // 2]``
    (zeros outside the channels). ``alpha`` multiplies the plain sum; pass
    ``alpha / size`` for the Caffe/PyTorch convention. Used by
    ``LocalResponseNormalization`` on every backend except where TensorFlow's fused
    kernel applies.
    """
    channels = x.shape[-1]
    # Every (b, h, w) position becomes a length-C sequence, zero-padded like
    # torch.nn.LocalResponseNorm and summed by a 1-D convolution with a ones kernel.
    squares = ops.reshape(ops.square(x), (-1, channels, 1))
    squares = ops.pad(squares, [[0, 0], [size // 2, (size - 1) // 2], [0, 0]])
    window = ops.ones((size, 1, 1), dtype=x.dtype)
    sums = ops.conv(squares, window, strides=1, padding="valid", data_format="channels_last")
    sums = ops.reshape(sums, ops.shape(x))
    return x * ops.power(k + alpha * sums, -beta)


@keras.saving.register_keras_serializable(package="course_lib")
class LocalResponseNormalization(keras.layers.Layer):
    """Across-channel local response normalisation (AlexNet's LRN), channels last.

    Krizhevsky, Sutskever & Hinton 2012, sec. 3.3; seed 004, eq. 3.1::

        b[..., d] = a[..., d] / (k + alpha' * sum_{j in W(d)} a[..., j] ** 2) ** beta

    ``alpha' = alpha`` for ``alpha_mode="sum"`` (AlexNet, ``tf.nn.local_response_normalization``)
    and ``alpha / size`` for ``"mean"`` (Caffe, PyTorch, MXNet). ``W(d) = [d - size // 2,
    d + (size - 1) // 2]``, zeros beyond the edges, as in ``torch.nn.LocalResponseNorm``.

    With ``k=0, alpha=1, beta=0.5, alpha_mode="sum"`` and ``size >= 2 * channels - 1`` the layer
    is the L2 normalisation over channels noted in seed 004 (the seed writes ``n = N``, but a
    clipped window of ``N`` channels covers all channels only for the middle one). With ``k=0``
    an all-zero window gives NaN, as in TensorFlow and PyTorch.

    Written with ``keras.ops`` so it runs on every backend; where TensorFlow's fused kernel applies
    (:func:`course_lib.layers.backend.fused_lrn`) it is used instead: the same values, faster on
    CPU. float16/bfloat16 inputs are normalised in float32 and cast back, as BatchNormalization
    does. Defaults are AlexNet's: ``size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="sum"``.

    Args:
        size: channels in the window (``n`` in the papers), >= 1.
        alpha: scale of the sum (or mean) of squares, >= 0.
        beta: exponent, > 0.
        k: additive constant (``bias`` in TensorFlow), >= 0; not both ``k`` and ``alpha`` 0.
        alpha_mode: ``"sum"`` (AlexNet, TensorFlow) or ``"mean"`` (Caffe, PyTorch).
        **kwargs: base layer arguments.

    Example:

    >>> x = keras.random.normal((2, 8, 8, 16))
    >>> tuple(LocalResponseNormalization(size=5, alpha=1e-4, beta=0.75, k=2.0)(x).shape)
    (2, 8, 8, 16)
    >>> # PyTorch / Caffe convention (alpha divided by the window size):
    >>> tuple(LocalResponseNormalization(size=4, alpha_mode="mean")(x).shape)
    (2, 8, 8, 16)

    References:
        Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
        Networks", NeurIPS 2012, section 3.3. Seed 004 (解析卷积神经网络, ch. 3): the LRN
        formula, AlexNet's ``k=2, n=5, alpha=1e-4, beta=0.75`` and the L2 special case.
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
        outputs = fused_lrn(x, self.size, alpha, self.beta, self.k)
        if outputs is None:
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
