"""DatasetUnavailableError: one clear, fast error when data is neither cached nor downloadable.

No test touches the network: the offline check (a DNS lookup) or the tfds download step is replaced by
one that fails deterministically.
"""

import pickle
import socket
import time

import pytest
import tensorflow_datasets as tfds

from course_lib.data import DatasetUnavailableError, load
from course_lib.data import fashion_mnist as fm
from course_lib.data import shipped
from course_lib.data import tfds_source


@pytest.fixture
def empty_machine(tmp_path, monkeypatch):
    """Empty data dir, tfds default dir, Keras home and no system Fashion-MNIST folder."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds_default"))
    monkeypatch.delenv("COURSE_LIB_HIDE_SYSTEM_DATA", raising=False)  # a simulated machine
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(fm, "SYSTEM_DIRS", (tmp_path / "usr_share_fashion_mnist",))
    root = tmp_path / "data"
    root.mkdir()
    return root


def _offline(monkeypatch):
    calls = []

    def unreachable(urls):
        calls.append(list(urls))
        return "cannot resolve www.cs.toronto.edu ([Errno -2] Name or service not known): offline?"

    monkeypatch.setattr(tfds_source, "_offline", unreachable)
    return calls


def _check_message(err: DatasetUnavailableError, dataset: str, root):
    msg = str(err)
    assert f"'{dataset}'" in msg
    assert str(root / "tfds") in msg  # where it looked / would download
    assert "COURSE_LIB_DATA_DIR" in msg and "data_dir=" in msg
    assert "internet" in msg
    assert "fashion_mnist32" in msg


@pytest.mark.parametrize("name, tfds_name", [("cifar10", "cifar10"), ("svhn", "svhn_cropped")])
def test_offline_tfds_dataset_fails_fast(empty_machine, monkeypatch, name, tfds_name):
    calls = _offline(monkeypatch)
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError) as info:
        load(name, data_dir=empty_machine)
    assert time.monotonic() - start < 20
    err = info.value
    assert isinstance(err, RuntimeError)
    _check_message(err, name, empty_machine)
    assert err.dataset == name
    assert str(empty_machine / "tfds" / tfds_name) + " (tfds cache: missing)" in err.searched
    assert any("tfds_default" in p for p in err.searched)
    assert "toronto" in err.reason
    # the check was given the dataset's real download URLs
    assert calls and all(u.startswith("http") for u in calls[0])


def test_failed_download_becomes_the_error(empty_machine, monkeypatch):
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)

    def broken_download(self, *args, **kwargs):
        raise ConnectionError("simulated: connection reset while downloading")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", broken_download)
    with pytest.raises(DatasetUnavailableError) as info:
        load("cifar100", data_dir=empty_machine)
    _check_message(info.value, "cifar100", empty_machine)
    assert "ConnectionError: simulated" in info.value.reason
    assert isinstance(info.value.__cause__, ConnectionError)


def test_unprepared_folder_is_reported(empty_machine, monkeypatch):
    _offline(monkeypatch)
    (empty_machine / "tfds" / "mnist").mkdir(parents=True)  # e.g. left by a failed download
    with pytest.raises(DatasetUnavailableError) as info:
        load("mnist", data_dir=empty_machine)
    notes = [p for p in info.value.searched if "mnist (tfds cache: version" in p]
    assert notes and notes[0].endswith("not prepared)")


def test_fashion_mnist_error_lists_every_place(empty_machine, monkeypatch, tmp_path):
    _offline(monkeypatch)
    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path / "no_checkout" / "fashion-mnist")
    with pytest.raises(DatasetUnavailableError) as info:
        load("fashion_mnist32", data_dir=empty_machine)
    err = info.value
    _check_message(err, "fashion_mnist32", empty_machine)
    searched = "\n".join(err.searched)
    for place in (
        empty_machine / "fashion-mnist",
        tmp_path / "usr_share_fashion_mnist",
        empty_machine / "tfds" / "fashion_mnist",
        tmp_path / "keras" / "datasets" / "fashion-mnist",
    ):
        assert str(place) in searched


def test_error_survives_pickling():
    err = DatasetUnavailableError("cifar10", ["/a", "/b"], "offline", download_dir="/a")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.searched == ("/a", "/b")


def test_offline_check_names_the_unresolvable_host(monkeypatch):
    def no_dns(host, port, *args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(tfds_source.urllib.request, "getproxies", lambda: {})
    msg = tfds_source._offline(["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"])
    assert msg.startswith("cannot resolve www.cs.toronto.edu") and "offline?" in msg


def test_offline_check_leaves_proxies_and_resolvable_hosts_to_the_download(monkeypatch):
    looked_up = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: looked_up.append(host) or [])
    monkeypatch.setattr(tfds_source.urllib.request, "getproxies",
                        lambda: {"https": "http://proxy.local:3128"})
    assert tfds_source._offline(["https://a.example/x"]) is None and looked_up == []
    monkeypatch.setattr(tfds_source.urllib.request, "getproxies", lambda: {})
    assert tfds_source._offline(["https://a.example/x"]) is None and looked_up == ["a.example"]


def test_download_goes_to_data_dir_tfds(empty_machine, monkeypatch):
    """With the network up, the download is attempted into <data_dir>/tfds."""
    monkeypatch.setattr(tfds_source, "_offline", lambda urls: None)
    targets = []

    def fake_download(self, *args, **kwargs):
        targets.append(str(self.data_dir))
        raise OSError("stop here")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", fake_download)
    with pytest.raises(DatasetUnavailableError):
        tfds_source.download("cifar10", empty_machine, dataset="cifar10")
    assert targets and targets[0].startswith(str(empty_machine / "tfds" / "cifar10"))


def test_fashion_mnist_falls_back_to_the_shipped_subset(empty_machine, monkeypatch):
    _offline(monkeypatch)
    with pytest.warns(UserWarning, match="subset shipped in the repository"):
        train, val, test, info = load("fashion_mnist32", data_dir=empty_machine)
    assert info.data_source == "repository"
    assert info.num_examples == {"train": 20_000, "val": 0, "test": 10_000}
    assert info.source == str(shipped.SHIPPED_DIR)
