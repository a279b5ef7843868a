"""The recurrent convolutional layer (RCL) of Liang & Hu (2015) as a Keras 3 layer."""

import keras
from keras import ops

from course_lib import validation
from course_lib.layers.local_response_normalization import LocalResponseNormalization


@keras.saving.register_keras_serializable(package="course_lib")
class RecurrentConv2D(keras.layers.Layer):
    """Recurrent convolutional layer (RCL): a convolution unrolled in time with shared weights.

    The layer of Liang & Hu (2015), used by the RCNN of seed 000 (its eq. 2). With
    ``u`` the input, ``w_f`` the feed-forward kernel, ``w_r`` the recurrent kernel,
    ``b`` the bias, ``f`` the activation (ReLU) and ``LRN`` a local response
    normalisation across channels::

        x(0) = LRN(f(w_f * u + b))
        z(t) = w_f * u + w_r * x(t - 1) + b,   x(t) = LRN(f(z(t))),   t = 1..T

    and the output is ``x(T)`` with ``T = iterations``. Every convolution has
    stride 1 and "same" padding, so the output keeps the input's height and width
    and has ``filters`` channels. ``w_f * u + b`` does not change over time and is
    computed once.

    Weight sharing is real: the layer owns exactly one ``kernel`` (``w_f``, shape
    ``(kh, kw, in_channels, filters)``), one ``recurrent_kernel`` (``w_r``, shape
    ``(rh, rw, filters, filters)``) and one ``bias`` (``(filters,)``) whatever ``T``
    is, and the same ``recurrent_kernel`` variable is used at every step, so its
    gradient is the sum of the contributions of all ``T`` steps. The parameter count
    is ``kh*kw*in_channels*filters + rh*rw*filters*filters + filters``. Unrolled, the
    layer is ``T + 1`` convolutions deep on its longest path. With ``iterations=0``
    it is a plain Conv2D + activation + LRN; ``recurrent_kernel`` then exists (so
    weights transfer between settings of ``T``) but is unused and gets no gradient.

    LRN defaults follow what is reported for Liang & Hu's RCNN: window
    ``filters // 8 + 1`` channels, ``alpha = 0.001`` divided by the window
    (``lrn_alpha_mode="mean"``), ``beta = 0.75``, ``k = 1``. These values are taken
    from the course digest ("reportedly", unverified against the original paper);
    they are arguments so that they can be changed.

    Args:
        filters: Integer >= 1, number of output channels ``K``.
        kernel_size: Odd integer or tuple of 2 odd integers, size of ``w_f``.
        iterations: Integer >= 0, number of recurrent steps ``T`` (Liang & Hu: 3).
        activation: Activation applied at every step (name, callable or ``None``
            for none). Default ``"relu"``.
        use_lrn: Whether to apply LRN after the activation at every step.
        lrn_size: LRN window in channels; ``None`` means ``filters // 8 + 1``.
        lrn_alpha: LRN ``alpha``.
        lrn_beta: LRN ``beta``.
        lrn_k: LRN ``k``.
        lrn_alpha_mode: ``"mean"`` (alpha divided by the window, Caffe/PyTorch
            convention) or ``"sum"`` (TensorFlow/AlexNet convention). The five ``lrn_*``
            arguments build the layer's ``LocalResponseNormalization`` sub-layer, which
            checks them (once); read them back as ``layer.lrn.size`` etc. (or
            ``layer.lrn_size`` ...).
        lrn: a ``LocalResponseNormalization`` (or its serialised config) to use instead
            of the ``lrn_*`` arguments; ``get_config`` stores the sub-layer this way, as
            Keras' wrappers store theirs. Configs saved with ``lrn_*`` keys still load.
        use_bias: Whether to add the bias ``b``.
        kernel_initializer: Initializer for ``kernel``.
        recurrent_initializer: Initializer for ``recurrent_kernel``.
        bias_initializer: Initializer for ``bias``.
        kernel_regularizer: Optional regularizer for ``kernel``.
        recurrent_regularizer: Optional regularizer for ``recurrent_kernel``.
        bias_regularizer: Optional regularizer for ``bias``.
        recurrent_kernel_size: Odd integer or tuple of 2 odd integers, size of
            ``w_r``; ``None`` (default) uses ``kernel_size``.
        **kwargs: Base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: A 4D tensor ``(batch, height, width, in_channels)``.

    Input shape:
        4D tensor ``(batch, height, width, in_channels)`` with known ``in_channels``.

    Output shape:
        4D tensor ``(batch, height, width, filters)``.

    Example:

    >>> rcl = RecurrentConv2D(32, kernel_size=3, iterations=3)
    >>> tuple(rcl(keras.random.normal((2, 16, 16, 8))).shape)
    (2, 16, 16, 32)
    >>> [w.path.split("/")[-1] for w in rcl.weights]
    ['kernel', 'recurrent_kernel', 'bias']

    References:
        Liang & Hu, "Recurrent Convolutional Neural Network for Object
        Recognition", CVPR 2015 (the RCL, unrolled for T = 3 in their RCNN).
        Seed 000 (parameter distribution in CNN/RCNN), section 2.2 and eq. (2).
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
