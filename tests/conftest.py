"""Shared test setup: quiet TensorFlow, Keras on TensorFlow, and the real-data fixture."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """Folder with the real Fashion-MNIST idx files.

    Missing files skip the test with the reason, except under CI=true, where they fail it:
    CI must run the real-data tests (install the Debian package dataset-fashion-mnist).
    """
    from course_lib.data import find_fashion_mnist_idx

    folder = find_fashion_mnist_idx()
    if folder is None:
        reason = (
            "real Fashion-MNIST idx files not found in $COURSE_LIB_DATA_DIR/fashion-mnist, "
            "/usr/share/datasets/fashion-mnist or ~/.keras/datasets/fashion-mnist; install the "
            "Debian package dataset-fashion-mnist"
        )
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return folder
