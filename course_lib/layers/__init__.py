"""Keras 3 layers the source papers need and Keras lacks.

- ``LocalResponseNormalization`` (alias ``LRN``): AlexNet's across-channel LRN,
  with the TensorFlow/AlexNet ("sum") and Caffe/PyTorch ("mean") conventions.
- ``RecurrentConv2D``: the recurrent convolutional layer of Liang & Hu (2015),
  used by seed 000's RCNN.
- ``SAFPooling2D``: SimpNet's max pooling followed by dropout (seed 002).

All are registered for ``.keras`` serialisation under the package ``"course_lib"``.
"""

from course_lib.layers.local_response_normalization import LocalResponseNormalization
from course_lib.layers.recurrent_conv2d import RecurrentConv2D
from course_lib.layers.saf_pooling2d import SAFPooling2D

LRN = LocalResponseNormalization

__all__ = ["LRN", "LocalResponseNormalization", "RecurrentConv2D", "SAFPooling2D"]
