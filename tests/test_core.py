"""The low-level helpers in course_lib.core: atomic writes and the name registry."""
import json

import pytest

from course_lib.core import Registry, atomic_write, normalize_key, repo_root, write_json_atomic


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "sub" / "record.json"
    write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            assert tmp.suffix == ".json" and tmp.parent == target.parent
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 1}  # old file intact
    assert sorted(p.name for p in target.parent.iterdir()) == ["record.json"]  # no leftovers


def test_atomic_write_keeps_suffix_for_keras(tmp_path):
    with atomic_write(tmp_path / "model.keras") as tmp:
        assert tmp.name.endswith(".keras")
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.keras").read_bytes() == b"x"


def test_registry_lookup_aliases_and_suggestions():
    reg = Registry("dataset", hint="See names().")
    reg.register("fashion_mnist32", 1, aliases=("fmnist",))
    reg.register("cifar10", 2)
    assert reg.get("Fashion-MNIST32") == 1 and reg.get("FMNIST") == 1
    assert reg.canonical("fashion-mnist32") == "fashion_mnist32"
    assert reg.names() == ["fashion_mnist32", "cifar10"] and "cifar10" in reg and "x" not in reg
    with pytest.raises(ValueError, match=r"Unknown dataset 'cifar01'\. Did you mean 'cifar10'\?"
                                         r" Choose from: fashion_mnist32, cifar10\. See names"):
        reg.get("cifar01")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("CIFAR10", 3)
    with pytest.raises(ValueError, match="Did you mean"):
        reg.get("fmnst")


def test_normalize_key_and_repo_root():
    assert normalize_key(" VGG_A lrn ") == "vgg-a-lrn"
    root = repo_root()
    assert root is not None and (root / "course_lib" / "core.py").is_file()


def test_atomic_write_keeps_compound_suffix_for_keras_weights(tmp_path):
    with atomic_write(tmp_path / "epoch-00001.weights.h5") as tmp:
        assert tmp.name.endswith(".weights.h5") and tmp.name.startswith(".")
        tmp.write_bytes(b"w")
    assert [p.name for p in tmp_path.iterdir()] == ["epoch-00001.weights.h5"]
