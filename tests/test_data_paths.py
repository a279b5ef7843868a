"""data_dir(): env var, repo default, data_dir= override; load()'s argument errors."""

from pathlib import Path

import pytest

import course_lib
from course_lib.data import data_dir, load, names
from course_lib.data.paths import keras_datasets_dir, resolve_data_dir, tfds_default_dir

REPO = Path(course_lib.__file__).resolve().parents[1]


def test_default_is_repo_data(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_DATA_DIR", raising=False)
    assert data_dir() == REPO / "data"


def test_env_var_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path.resolve()
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", "  ")  # blank means unset
    assert data_dir() == REPO / "data"


def test_argument_overrides_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()
    assert resolve_data_dir(str(tmp_path / "arg")) == (tmp_path / "arg").resolve()
    with pytest.raises(ValueError, match="Received: data_dir=''"):
        resolve_data_dir("")
    with pytest.raises(ValueError, match="Received: data_dir=3"):
        resolve_data_dir(3)


def test_tfds_default_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    assert tfds_default_dir() == tmp_path
    monkeypatch.delenv("TFDS_DATA_DIR")
    assert tfds_default_dir() == Path.home() / "tensorflow_datasets"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_datasets_dir() == tmp_path / "datasets"
    monkeypatch.delenv("KERAS_HOME")
    assert keras_datasets_dir() == Path.home() / ".keras" / "datasets"


def test_names():
    expected = {"cifar10", "cifar100", "svhn", "mnist", "fashion_mnist", "fashion_mnist32"}
    assert set(names()) == expected


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "cifar11"}, r"Unknown dataset 'cifar11'\. Did you mean 'cifar10'.*Choose from"),
        ({"name": "fashion_mnist32", "batch_size": 0}, r"`batch_size` must be an integer >= 1.*=0"),
        ({"name": "fashion_mnist32", "limit": -5}, r"`limit`.*Received: limit=-5"),
        ({"name": "fashion_mnist32", "train_limit": 2.5}, r"`train_limit` must be an integer >= 1 or "
         r"None\. Received: train_limit=2\.5"),
        ({"name": "fashion_mnist32", "augment": "yes"}, r"`augment` must be True or False"),
        ({"name": "fashion_mnist32", "seed": -1}, r"`seed` must be an integer >= 0"),
        ({"name": "fashion_mnist32", "extra": False}, r"`extra` only applies to 'svhn'"),
        ({"name": "svhn", "val_size": 5000}, r"`val_size` must be None.*6,000.*=5000"),
        ({"name": "cifar10", "val_size": 0.1}, r"`val_size` must be None.*val_size=0\.1"),
    ],
)
def test_bad_arguments(kwargs, match):
    # all of these are rejected before any data is looked for
    with pytest.raises(ValueError, match=match):
        load(**kwargs)
