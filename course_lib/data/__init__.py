"""Datasets as tf.data pipelines (``load(name, ...)``, ``names()``), the runner's per-epoch
training stream and the training augmentation.
"""

from course_lib.data.augmentation_layers import augment_batch, augmentation
from course_lib.data.fashion_mnist import (FASHION_MNIST_CLASSES, FASHION_MNIST_HUMAN_ERROR,
                                           find_fashion_mnist_idx, load_fashion_mnist_arrays,
                                           read_idx)
from course_lib.data.info import DatasetInfo, DatasetUnavailableError, Splits
from course_lib.data.loaders import (CIFAR10_CLASSES, CIFAR100_CLASSES, RunData, canonical,
                                     epoch_stream, load, load_run_data, names,
                                     svhn_validation_indices)
from course_lib.data.paths import ENV_VAR, data_dir
from course_lib.data.preprocess import MAX_SHUFFLE_BUFFER

__all__ = ["load", "names", "canonical", "Splits", "DatasetInfo", "DatasetUnavailableError", "data_dir",
           "ENV_VAR", "load_run_data", "epoch_stream", "RunData", "MAX_SHUFFLE_BUFFER",
           "read_idx", "find_fashion_mnist_idx", "load_fashion_mnist_arrays",
           "augmentation", "augment_batch", "svhn_validation_indices", "FASHION_MNIST_CLASSES",
           "FASHION_MNIST_HUMAN_ERROR",
           "CIFAR10_CLASSES", "CIFAR100_CLASSES"]
