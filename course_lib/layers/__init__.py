"""Keras 3 layers the source papers need and Keras lacks: ``LocalResponseNormalization``
(``LRN``), ``RecurrentConv2D`` (Liang & Hu 2015, seed 000's RCNN) and ``SAFPooling2D`` (seed
002), registered for ``.keras`` serialisation under the package ``"course_lib"``.
"""

from course_lib.layers.local_response_normalization import LocalResponseNormalization
from course_lib.layers.recurrent_conv2d import RecurrentConv2D
from course_lib.layers.saf_pooling2d import SAFPooling2D

LRN = LocalResponseNormalization

__all__ = ["LRN", "LocalResponseNormalization", "RecurrentConv2D", "SAFPooling2D"]
