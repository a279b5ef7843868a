"""SAF-pooling (SimpNet): max pooling immediately followed by dropout, as a Keras 3 layer."""


import keras
from course_lib import validation


@keras.saving.register_keras_serializable(package="course_lib")
class SAFPooling2D(keras.layers.Layer):
    """SAF-pooling: 2D max pooling immediately followed by dropout on the pooled maps.

    SimpNet's principle I (seed 002): dropping some of the strongest responses forces other
    features to work. Training: inverted dropout at ``rate``; inference: ``MaxPooling2D``.

    Args:
        pool_size, strides, padding: as in ``keras.layers.MaxPooling2D``.
        rate: fraction of pooled values dropped in training, in [0, 1).
        seed: optional integer seed for the dropout masks.

    Example:

    >>> saf = SAFPooling2D(pool_size=2, rate=0.3, seed=1)
    >>> x = keras.random.uniform((2, 8, 8, 4), minval=1.0, maxval=2.0)
    >>> tuple(saf(x).shape)
    (2, 4, 4, 4)
    >>> # Inference: plain max pooling.
    >>> bool(keras.ops.all(saf(x) == keras.layers.MaxPooling2D(2)(x)))
    True
    >>> # Training: about 30% of the pooled maxima are switched off.
    >>> bool(keras.ops.any(saf(x, training=True) == 0))
    True

    References:
        Hasanpour et al., "Towards Principled Design of Deep Convolutional Networks: Introducing
        SimpNet", arXiv:1802.06205 (2018), principle I and supplement S-C/S-D (seed 002).
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", rate=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = validation.pair("pool_size", pool_size, minimum=1)
        self.strides = validation.pair(
            "strides", self.pool_size if strides is None else strides, minimum=1
        )
        if isinstance(padding, str):
            padding = padding.lower()
        self.padding = validation.one_of("padding", padding, ("same", "valid"))
        self.rate = validation.dropout_rate("rate", rate)
        self.seed = validation.integer("seed", seed, allow_none=True)
        if self.rate > 0:
            self.seed_generator = keras.random.SeedGenerator(self.seed)
        # "Max pooling, then dropout": the pooling is Keras' own layer, shapes included.
        self.pool = keras.layers.MaxPooling2D(
            self.pool_size, self.strides, self.padding, data_format="channels_last",
            dtype=self.dtype_policy, name="max_pooling2d",
        )

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # checks the rank and the spatial size
        self.input_spec = keras.InputSpec(ndim=4)

    def call(self, inputs, training=False):
        outputs = self.pool(inputs)
        if training and self.rate > 0:
            outputs = keras.random.dropout(outputs, self.rate, seed=self.seed_generator)
        return outputs

    def compute_output_shape(self, input_shape):
        _, height, width, _ = validation.rank4(self, input_shape, need_channels=False)
        if self.padding == "valid":
            for axis, length in enumerate((height, width)):
                if length is not None and length < self.pool_size[axis]:
                    raise ValueError(
                        f"SAFPooling2D with padding='valid' needs inputs at least as large as "
                        f"pool_size={self.pool_size} in height and width; use a smaller "
                        f"pool_size or padding='same'. Received: input spatial size {length} "
                        f"on axis {axis + 1}"
                    )
        return self.pool.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "rate": self.rate,
            "seed": self.seed,
        }
