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

    Each activation ``a[..., d]`` is divided by a power of the sum of squares of
    the activations in a window of ``size`` neighbouring channels at the same
    spatial position (Krizhevsky, Sutskever & Hinton 2012, sec. 3.3; the course's
    seed 004, eq. 3.1)::

        b[..., d] = a[..., d] / (k + alpha' * sum_{j in W(d)} a[..., j] ** 2) ** beta

    where ``alpha' = alpha`` when ``alpha_mode="sum"`` (the AlexNet paper and
    ``tf.nn.local_response_normalization`` with ``depth_radius=(size - 1) // 2``,
    ``bias=k``) and ``alpha' = alpha / size`` when ``alpha_mode="mean"`` (Caffe,
    ``torch.nn.LocalResponseNorm``, MXNet). The window is
    ``W(d) = [d - size // 2, d + (size - 1) // 2]`` clipped to the existing
    channels (zeros beyond the edges), exactly as in ``torch.nn.LocalResponseNorm``;
    for odd ``size`` it is centred, for even ``size`` it has one channel more
    before ``d`` than after.

    With ``k=0, alpha=1, beta=0.5, alpha_mode="sum"`` and a window that covers
    every channel for every ``d`` (``size >= 2 * channels - 1``) the layer is the
    L2 normalisation ``a / ||a||_2`` over channels noted in seed 004. (The seed
    writes ``n = N``; a window of ``N`` channels centred on ``d`` and clipped at the
    edges covers all channels only for the middle channel, hence ``2 * channels - 1``.)
    With ``k=0`` an all-zero window gives ``0 / 0 = NaN``, as it does in
    TensorFlow and PyTorch; keep ``k > 0`` for training.

    The computation is written with ``keras.ops`` (square, a windowed channel sum
    done as a 1-D convolution with a ones kernel, then ``x * (k + alpha' s) ** -beta``)
    so it runs on every Keras backend. Where TensorFlow's fused kernel applies
    (:func:`course_lib.layers.backend.fused_lrn`: the TensorFlow backend, float32, odd
    ``size``, within cuDNN's limits when a GPU is visible) it is used instead: the same
    values, measured faster on CPU. float16 / bfloat16 inputs
    (e.g. under the ``"mixed_float16"`` policy) are normalised in float32 and cast
    back, as ``keras.layers.BatchNormalization`` does.

    AlexNet's setting is the default: ``size=5, alpha=1e-4, beta=0.75, k=2.0``,
    ``alpha_mode="sum"``.

    Args:
        size: Integer >= 1, the number of channels in the window (``n`` in the papers).
        alpha: Float >= 0, the scale of the sum (or mean, see ``alpha_mode``) of squares.
        beta: Float > 0, the exponent.
        k: Float >= 0, the additive constant (``bias`` in TensorFlow). ``k`` and
            ``alpha`` cannot both be 0.
        alpha_mode: ``"sum"`` (alpha multiplies the plain sum: AlexNet, TensorFlow)
            or ``"mean"`` (alpha is divided by ``size``: Caffe, PyTorch).
        **kwargs: Base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: A 4D tensor ``(batch, height, width, channels)``.

    Input shape:
        4D tensor ``(batch, height, width, channels)`` with known ``channels``.

    Output shape:
        Same as the input.

    Example:

    >>> x = keras.random.normal((2, 8, 8, 16))
    >>> tuple(LocalResponseNormalization(size=5, alpha=1e-4, beta=0.75, k=2.0)(x).shape)
    (2, 8, 8, 16)
    >>> # PyTorch / Caffe convention (alpha divided by the window size):
    >>> tuple(LocalResponseNormalization(size=4, alpha_mode="mean")(x).shape)
    (2, 8, 8, 16)

    References:
        Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep
        Convolutional Neural Networks", NeurIPS 2012, section 3.3.
        Seed 004 (解析卷积神经网络, ch. 3): the LRN formula, AlexNet's
        ``k=2, n=5, alpha=1e-4, beta=0.75`` and the L2-normalisation special case.
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
