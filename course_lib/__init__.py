"""course_lib: the library behind the CNN Architecture Course Kit.

Subpackages:
    layers    Keras layers the source papers need and Keras lacks (LRN, RCL, SAF-pooling).
    models    The model zoo: ``build(name, ...)`` and ``names()``.
    analysis  Per-layer tables, receptive fields, CS231n arithmetic, the seeds' tables.
    data      tensorflow-datasets loaders and the offline Fashion-MNIST view.
    train     Experiments as data, the resumable runner, reports.
"""

__version__ = "0.1.0"
