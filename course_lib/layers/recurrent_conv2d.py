"""The recurrent convolutional layer (RCL) of Liang & Hu (2015) as a Keras 3 layer."""

import keras
from keras import ops

from course_lib import validation
from course_lib.layers.local_response_normalization import LocalResponseNormalization


@keras.saving.register_keras_serializable(package="course_lib")
class RecurrentConv2D(keras.layers.Layer):
    """Recurrent convolutional layer (RCL): a convolution unrolled in time with shared weights.

    The layer of Liang & Hu (2015), used by the RCNN of seed 000 (its eq. 2)::

        x(0) = LRN(f(w_f * u + b))
        z(t) = w_f * u + w_r * x(t - 1) + b,   x(t) = LRN(f(z(t))),   t = 1..T

    Output ``x(T)``; stride 1, "same" padding. One ``kernel``, ``recurrent_kernel`` and ``bias``
    whatever ``T`` is; with ``iterations=0`` it is Conv2D + activation + LRN (the unused
    ``recurrent_kernel`` keeps weights transferable). LRN defaults are those reported for Liang &
    Hu's RCNN (course digest, unverified): window ``filters // 8 + 1``, ``alpha = 0.001`` over the
    window (``"mean"``), ``beta = 0.75``, ``k = 1``.

    Args:
        filters: output channels ``K`` (>= 1).
        kernel_size, recurrent_kernel_size: odd int or pair, sizes of ``w_f`` and ``w_r``
            (``recurrent_kernel_size=None``: ``kernel_size``).
        iterations: recurrent steps ``T`` >= 0 (Liang & Hu: 3).
        activation: applied at every step (default ``"relu"``).
        use_lrn: apply LRN after the activation at every step.
        lrn_size, lrn_alpha, lrn_beta, lrn_k, lrn_alpha_mode: the LRN sub-layer's arguments.
        lrn: a ``LocalResponseNormalization`` (or its config) instead of the ``lrn_*`` arguments.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer: as in Conv2D.

    Example:

    >>> rcl = RecurrentConv2D(32, kernel_size=3, iterations=3)
    >>> tuple(rcl(keras.random.normal((2, 16, 16, 8))).shape)
    (2, 16, 16, 32)
    >>> [w.path.split("/")[-1] for w in rcl.weights]
    ['kernel', 'recurrent_kernel', 'bias']

    References:
        Liang & Hu, "Recurrent Convolutional Neural Network for Object Recognition", CVPR 2015.
        Seed 000, section 2.2 and eq. (2).
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        iterations=3,
        activation="relu",
        use_lrn=True,
        lrn_size=None,
        lrn_alpha=0.001,
        lrn_beta=0.75,
        lrn_k=1.0,
        lrn_alpha_mode="mean",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        recurrent_kernel_size=None,
        lrn=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = validation.integer("filters", filters, minimum=1)
        self.kernel_size = validation.pair("kernel_size", kernel_size, minimum=1, odd=True)
        self.iterations = validation.integer("iterations", iterations, minimum=0)
        if recurrent_kernel_size is None:
            recurrent_kernel_size = self.kernel_size
        self.recurrent_kernel_size = validation.pair(
            "recurrent_kernel_size", recurrent_kernel_size, minimum=1, odd=True
        )
        self.activation = keras.activations.get(activation)
        self.use_lrn = bool(use_lrn)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        if isinstance(lrn, dict):
            lrn = keras.saving.deserialize_keras_object(lrn)
        if lrn is None and self.use_lrn:
            lrn = LocalResponseNormalization(
                size=self.filters // 8 + 1 if lrn_size is None else lrn_size,
                alpha=lrn_alpha, beta=lrn_beta, k=lrn_k, alpha_mode=lrn_alpha_mode,
                dtype=self.dtype_policy, name="lrn",
            )
        self.lrn = lrn if self.use_lrn else None

    # The LRN settings, read from the sub-layer (None without LRN).
    lrn_size = property(lambda self: getattr(self.lrn, "size", None))
    lrn_alpha = property(lambda self: getattr(self.lrn, "alpha", None))
    lrn_beta = property(lambda self: getattr(self.lrn, "beta", None))
    lrn_k = property(lambda self: getattr(self.lrn, "k", None))
    lrn_alpha_mode = property(lambda self: getattr(self.lrn, "alpha_mode", None))

    def build(self, input_shape):
        shape = validation.rank4(self, input_shape, need_channels=True)
        in_channels = shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, in_channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(*self.recurrent_kernel_size, self.filters, self.filters),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        else:
            self.bias = None
        if self.lrn is not None:
            self.lrn.build((*shape[:-1], self.filters))
        self.input_spec = keras.InputSpec(ndim=4, axes={-1: in_channels})

    def _state(self, z):
        x = self.activation(z)
        if self.lrn is not None:
            x = self.lrn(x)
        return x

    def call(self, inputs):
        feedforward = ops.conv(
            inputs, self.kernel, strides=1, padding="same", data_format="channels_last"
        )
        if self.use_bias:
            feedforward = ops.add(feedforward, self.bias)
        state = self._state(feedforward)
        for _ in range(self.iterations):
            recurrent = ops.conv(
                state,
                self.recurrent_kernel,
                strides=1,
                padding="same",
                data_format="channels_last",
            )
            state = self._state(ops.add(feedforward, recurrent))
        return state

    def compute_output_shape(self, input_shape):
        shape = validation.rank4(self, input_shape, need_channels=False)
        return (*shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "iterations": self.iterations,
            "recurrent_kernel_size": self.recurrent_kernel_size,
            "activation": keras.activations.serialize(self.activation),
            "use_lrn": self.use_lrn,
            "lrn": None if self.lrn is None else keras.saving.serialize_keras_object(self.lrn),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": keras.regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }
