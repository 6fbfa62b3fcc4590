"""tl.save / tl.load: safetensors checkpoints, nested state, clear errors, no pickle."""
import os
import pickle

import numpy as np
import pytest

import tensorlite as tl

pytest.importorskip("safetensors")


def nested_state():
    return {
        "model": {"fc.weight": tl.randn(3, 4), "fc.bias": tl.zeros(3), "bn.num_batches_tracked": tl.tensor(5)},
        "optim": {"state": {0: {"step": tl.tensor(7.0), "exp_avg": tl.ones(3, 4, dtype=tl.float64)}},
                  "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                                    "foreach": None, "max_lr": float("inf")}]},
        "epoch": 3,
        "name": "run-1",
        "mask": tl.tensor([True, False]),
        "scalar": tl.tensor(2.5),
        "half": tl.ones(2, dtype=tl.float16),
        "view": tl.arange(6.0).reshape(2, 3).T,
    }


def assert_same(a, b):
    if isinstance(a, tl.Tensor):
        assert isinstance(b, tl.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b and type(a) is type(b)


def test_roundtrip_nested_state(tmp_path):
    state = nested_state()
    path = tmp_path / "ckpt.safetensors"
    tl.save(state, path)
    assert_same(state, tl.load(path))


def test_file_is_plain_safetensors_readable_by_the_reference_library(tmp_path):
    from safetensors.numpy import load_file

    path = tmp_path / "ckpt.safetensors"
    tl.save({"model": {"w": tl.ones(2, 2)}}, path)
    arrays = load_file(str(path))
    assert list(arrays) == ["model.w"]
    with open(path, "rb") as f:
        assert not f.read(2).startswith(b"\x80")  # not a pickle stream


def test_load_plain_safetensors_file(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "weights.safetensors"
    save_file({"a": np.arange(3, dtype=np.int32), "b": np.ones((2, 2), dtype=np.float32)}, str(path))
    loaded = tl.load(path)
    assert loaded["a"].dtype == tl.int32 and loaded["a"].tolist() == [0, 1, 2]
    assert loaded["b"].shape == (2, 2)


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    path = tmp_path / "c.safetensors"
    tl.save({"w": tl.zeros(3)}, path)
    w = tl.load(path)["w"]
    w.add_(1.0)
    assert w.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "header", "empty"])
def test_damaged_file_gives_clear_error(tmp_path, damage):
    path = tmp_path / "c.safetensors"
    tl.save(nested_state(), path)
    raw = path.read_bytes()
    if damage == "truncate":
        raw = raw[: len(raw) - 17]
    elif damage == "garbage":
        raw = raw[:8] + b"\xff" * (len(raw) - 8)
    elif damage == "header":
        raw = (10**12).to_bytes(8, "little") + raw[8:]
    else:
        raw = b""
    path.write_bytes(raw)
    with pytest.raises(RuntimeError, match="c.safetensors"):
        tl.load(path)


def test_pickle_file_is_refused_not_executed(tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(RuntimeError, match="not a valid safetensors"):
        tl.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        tl.load(tmp_path / "nope.safetensors")


def test_unsupported_object_fails_before_touching_existing_file(tmp_path):
    path = tmp_path / "c.safetensors"
    tl.save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot store a object"):
        tl.save({"bad": object()}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]  # no temporary left behind


def test_save_is_atomic_replace(tmp_path, monkeypatch):
    path = tmp_path / "c.safetensors"
    tl.save({"v": tl.ones(2)}, path)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        tl.save({"v": tl.zeros(2)}, path)
    monkeypatch.undo()
    assert tl.load(path)["v"].tolist() == [1.0, 1.0]
    assert len(list(tmp_path.iterdir())) == 1


def test_map_location_cpu(tmp_path):
    path = tmp_path / "c.safetensors"
    tl.save({"v": tl.ones(2)}, path)
    assert tl.load(path, map_location="cpu")["v"].device == tl.device("cpu")
