"""The tensor data model: views, memory sharing with numpy/DLPack/torch, operators, conversions, Variables."""
import numpy as np
import pytest

import ktensor
from helpers import assert_close, rng


def sid(t):
    return t._t.storage_id


# ---------------------------------------------------------------- views ----
def test_views_share_storage(device):
    with ktensor.device(device):
        t = ktensor.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    views = {
        "reshape": ktensor.reshape(t, [6, 4]),
        "reshape -1": ktensor.reshape(t, [-1]),
        "transpose": ktensor.transpose(t, [2, 0, 1]),
        "T": t.T,
        "slice": t[1, ::2, 1:3],
        "negative step": t[::-1, :, ::-2],
        "expand_dims": ktensor.expand_dims(t, 0),
        "squeeze": ktensor.squeeze(ktensor.expand_dims(t, 1)),
        "broadcast": ktensor.broadcast_to(t[:, :1], [2, 5, 4]),
        "split": ktensor.split(t, 3, axis=1)[1],
        "ellipsis": t[..., 2],
    }
    for name, v in views.items():
        assert sid(v) == sid(t), f"{name} copied its data"
    ref = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_close(views["slice"], ref[1, ::2, 1:3])
    assert_close(views["broadcast"], np.broadcast_to(ref[:, :1], (2, 5, 4)))
    assert views["transpose"]._t.strides == (1, 12, 4)
    assert views["broadcast"]._t.strides[1] == 0


def test_contiguous(device):
    with ktensor.device(device):
        t = ktensor.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    assert t._t.is_contiguous()
    assert sid(ktensor.Tensor._wrap(t._t.contiguous())) == sid(t)  # already compact: no copy
    tr = t.T
    assert not tr._t.is_contiguous()
    c = ktensor.Tensor._wrap(tr._t.contiguous())
    assert c._t.is_contiguous() and sid(c) != sid(t) and c._t.strides == (3, 1)
    assert_close(c, np.arange(12, dtype=np.float32).reshape(3, 4).T)
    # reshaping a non-contiguous view has to copy, and still gives the right values
    r = ktensor.reshape(tr, [12])
    assert_close(r, np.arange(12, dtype=np.float32).reshape(3, 4).T.reshape(12))


# ---------------------------------------------------------------- numpy ----
def test_from_numpy_and_numpy_share_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ktensor.from_numpy(a)
    assert t.device == "cpu"
    assert np.shares_memory(t.numpy(), a)
    a[0, 0] = 42.0
    assert t.numpy()[0, 0] == 42.0
    assert np.shares_memory(t.numpy(), t.numpy())  # .numpy() is a view of the tensor on the CPU


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_from_numpy_dtypes_and_strides(dtype):
    a = np.arange(20).reshape(4, 5).astype(dtype)
    view = a[::2, ::-1]
    t = ktensor.from_numpy(view)
    assert t.dtype == dtype and t.shape == (2, 5)
    np.testing.assert_array_equal(t.numpy(), view)
    assert np.shares_memory(t.numpy(), a)


def test_constant_copies_numpy():
    a = np.arange(4, dtype=np.float32)
    t = ktensor.constant(a).to("cpu")
    a[0] = 9
    assert t.numpy()[0] == 0
    assert not np.shares_memory(t.numpy(), a)


def test_from_numpy_read_only_is_copied():
    a = np.arange(4, dtype=np.float32)
    a.setflags(write=False)
    t = ktensor.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)


def test_numpy_keeps_memory_alive():
    t = ktensor.from_numpy(np.arange(1000, dtype=np.float32))
    a = t.numpy()
    del t
    np.testing.assert_array_equal(a, np.arange(1000, dtype=np.float32))


def test_np_asarray_and_array_protocol(device):
    with ktensor.device(device):
        t = ktensor.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(t), [[1, 2], [3, 4]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.square(t), [[1, 4], [9, 16]])


def test_numpy_reductions_on_tensors(device):
    with ktensor.device(device):
        t = ktensor.constant([[1.0, 2.0], [3.0, 4.0]])
    assert np.sum(t) == 10.0 and np.mean(t) == 2.5 and np.max(t) == 4.0


# ---------------------------------------------------------------- DLPack ----
def test_dlpack_to_numpy_shares_memory():
    with ktensor.device("cpu"):
        t = ktensor.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    a = np.from_dlpack(t)
    assert a.shape == (2, 3) and a.dtype == np.float32
    assert np.shares_memory(a, t.numpy())
    tv = t.T
    av = np.from_dlpack(tv)
    np.testing.assert_array_equal(av, t.numpy().T)
    assert np.shares_memory(av, t.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_dlpack_from_numpy_shares_memory(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    t = ktensor.from_dlpack(a)
    assert t.dtype == dtype and t.shape == (3, 4)
    np.testing.assert_array_equal(t.numpy(), a)
    assert np.shares_memory(t.numpy(), a)
    back = np.from_dlpack(t)
    assert np.shares_memory(back, a)


def test_dlpack_from_numpy_views_and_capsule():
    a = np.arange(20, dtype=np.float64).reshape(4, 5)
    v = a[1:, ::2]
    t = ktensor.from_dlpack(v)
    np.testing.assert_array_equal(t.numpy(), v)
    a[1, 0] = -1.0
    assert t.numpy()[0, 0] == -1.0
    t2 = ktensor.from_dlpack(a.__dlpack__())  # a raw capsule works too
    assert np.shares_memory(t2.numpy(), a)


def test_dlpack_torch_round_trip():
    torch = pytest.importorskip("torch")
    with ktensor.device("cpu"):
        t = ktensor.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    tt = torch.from_dlpack(t)
    assert tuple(tt.shape) == (2, 3) and tt.dtype == torch.float32
    assert tt.data_ptr() == t.numpy().ctypes.data  # same memory
    np.testing.assert_array_equal(tt.numpy(), t.numpy())

    src = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    k = ktensor.from_dlpack(src)
    assert k.dtype == ktensor.float64 and k.shape == (3, 4)
    src[0, 0] = 100.0
    assert k.numpy()[0, 0] == 100.0
    assert k.numpy().ctypes.data == src.data_ptr()

    tr = src.T  # strided torch view
    kt = ktensor.from_dlpack(tr)
    np.testing.assert_array_equal(kt.numpy(), tr.numpy())
    with ktensor.device("cpu"):
        np.testing.assert_array_equal(ktensor.constant(tr).numpy(), tr.numpy())  # constant() accepts DLPack


@pytest.mark.parametrize("name", ["float32", "float64", "int32", "int64", "bool"])
def test_dlpack_torch_dtypes(name):
    torch = pytest.importorskip("torch")
    src = (torch.arange(5) % 2).to(getattr(torch, name))
    k = ktensor.from_dlpack(src)
    assert k.dtype == name
    np.testing.assert_array_equal(k.numpy(), src.numpy())
    back = torch.from_dlpack(k)
    assert back.dtype == src.dtype and torch.equal(back, src)


# ---------------------------------------------------------------- operators and conversions ----
def test_python_operators(device):
    x = rng(0).uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    y = rng(1).uniform(0.5, 2.0, (4,)).astype(np.float32)
    with ktensor.device(device):
        a, b = ktensor.constant(x), ktensor.constant(y)
        m = ktensor.constant(rng(2).standard_normal((4, 2)).astype(np.float32))
    cases = {
        "add": (a + b, x + y), "radd": (2 + a, 2 + x), "sub": (a - b, x - y), "rsub": (1.5 - a, 1.5 - x),
        "mul": (a * b, x * y), "rmul": (3 * a, 3 * x), "div": (a / b, x / y), "rdiv": (2 / a, 2 / x),
        "floordiv": (a // b, x // y), "rfloordiv": (5 // a, 5 // x), "mod": (a % b, x % y), "rmod": (5 % a, 5 % x),
        "pow": (a ** b, x ** y), "rpow": (2 ** a, 2 ** x), "neg": (-a, -x), "pos": (+a, x), "abs": (abs(-a), x),
        "matmul": (a @ m, x @ m.numpy()), "lt": (a < b, x < y), "ge": (a >= 1.0, x >= 1.0),
        "eq": (a == a, x == x), "ne": (a != b, x != y),
        "and": ((a > 1) & (b > 1), (x > 1) & (y > 1)), "or": ((a > 1) | (b > 1), (x > 1) | (y > 1)),
        "invert": (~(a > 1), ~(x > 1)),
    }
    for name, (got, want) in cases.items():
        assert isinstance(got, ktensor.Tensor), name
        assert_close(got, np.asarray(want).astype(np.asarray(want).dtype), rtol=1e-5, atol=1e-6, device=device)


def test_scalar_conversions(device):
    with ktensor.device(device):
        f, i, b = ktensor.constant(2.75), ktensor.constant([7]), ktensor.constant([[True]])
        assert float(f) == 2.75 and isinstance(float(f), float)
        assert int(f) == 2 and int(ktensor.constant(-2.75)) == -2
        assert int(i) == 7 and float(i) == 7.0
        assert bool(b) is True and bool(ktensor.constant(0.0)) is False
        assert f.item() == 2.75 and i.item() == 7 and b.item() is True
        assert [10, 20, 30][ktensor.constant(2)] == 30  # __index__
        with pytest.raises(TypeError):
            [10, 20, 30][ktensor.constant(1.0)]
        with pytest.raises(ValueError):
            bool(ktensor.constant([1, 2]))
        with pytest.raises(ValueError):
            float(ktensor.constant([1.0, 2.0]))
        if ktensor.constant(1) > 0:  # comparisons of one element work in `if`
            pass


def test_indexing_len_iter(device):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    with ktensor.device(device):
        t = ktensor.constant(x)
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, ktensor.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), x[2])
    assert int(t[1, 2]) == 6 and t[1, 2].shape == ()
    np.testing.assert_array_equal(t[-1, ::-1].numpy(), x[-1, ::-1])
    with pytest.raises(IndexError):
        t[3]
    with pytest.raises(IndexError):
        t[0, 0, 0]
    with pytest.raises(TypeError):
        len(ktensor.constant(1.0))
    with pytest.raises(TypeError):
        iter(ktensor.constant(1.0))


def test_metadata_and_repr(device):
    with ktensor.device(device):
        t = ktensor.constant(np.zeros((2, 3), np.float64))
    assert t.shape == (2, 3) and t.get_shape() == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.dtype == ktensor.float64 and t.dtype == "float64" and t.dtype == np.float64
    assert t.device.split(":")[0] == device
    assert "shape=(2, 3)" in repr(t) and "float64" in repr(t)
    assert str(t).startswith("[[")
    assert ktensor.is_tensor(t) and not ktensor.is_tensor(np.zeros(2))


def test_to_device_and_back(device):
    with ktensor.device("cpu"):
        t = ktensor.constant([1.0, 2.0])
    u = t.to(device)
    assert u.device.split(":")[0] == device
    np.testing.assert_array_equal(u.cpu().numpy(), [1.0, 2.0])
    assert t.to("cpu") is t


# ---------------------------------------------------------------- Variable ----
def test_variable_assign(device):
    with ktensor.device(device):
        v = ktensor.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    s = sid(v)
    assert v.name == "w" and v.trainable and v.dtype == ktensor.float32
    v.assign([[5.0, 6.0], [7.0, 8.0]])
    assert sid(v) == s  # in place
    np.testing.assert_array_equal(v.numpy(), [[5, 6], [7, 8]])
    v.assign_add(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(v.numpy(), [[6, 7], [8, 9]])
    v.assign_sub(ktensor.constant([[1.0, 1.0], [1.0, 1.0]]))
    np.testing.assert_array_equal(v.numpy(), [[5, 6], [7, 8]])
    assert sid(v) == s
    v.assign([[1, 2], [3, 4]])  # ints are converted to the variable's dtype
    assert v.dtype == ktensor.float32
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)|shape"):
        v.assign([1.0, 2.0, 3.0])


def test_variable_snapshot_and_value(device):
    with ktensor.device(device):
        v = ktensor.Variable(np.array([1.0, 2.0]))
    assert v.dtype == ktensor.float64
    snap = v.numpy()
    val = v.value()
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(snap, [1.0, 2.0])  # numpy() is a copy
    assert isinstance(val, ktensor.Tensor) and not isinstance(val, ktensor.Variable)
    np.testing.assert_array_equal((v + 1).numpy(), [4.0, 5.0])


def test_variable_owns_memory_and_options():
    a = np.array([1.0, 2.0], np.float32)
    v = ktensor.Variable(ktensor.from_numpy(a), trainable=False)
    a[0] = 10
    assert v.numpy()[0] == 1.0 and not v.trainable
    v.trainable = True
    assert v.trainable
    w = ktensor.Variable(lambda: np.zeros(3), dtype="float32")
    assert w.shape == (3,) and w.dtype == ktensor.float32
    x = ktensor.Variable(3)
    assert x.dtype == ktensor.int32 and x.shape == ()


# ---------------------------------------------------------------- dtype rules ----
@pytest.mark.parametrize("tensor_dtype,scalar,expected", [
    ("int32", 2.5, "float32"), ("int64", 2.5, "float32"), ("int32", 2, "int32"), ("int64", 2, "int64"),
    ("float32", 2, "float32"), ("float64", 2.5, "float64"), ("float32", 2.5, "float32"), ("bool", 1, "int32"),
    ("bool", 1.5, "float32"), ("bool", True, "bool"),
])
def test_scalar_promotion(tensor_dtype, scalar, expected, device):
    with ktensor.device(device):
        t = ktensor.constant(np.ones(3, tensor_dtype))
    if tensor_dtype == "bool" and scalar is True:
        assert (t & scalar).dtype == expected
        return
    assert (t + scalar).dtype == expected
    assert (scalar * t).dtype == expected


@pytest.mark.parametrize("a,b,expected", [
    ("int32", "float32", "float32"), ("float32", "float64", "float64"), ("int32", "int64", "int64"),
    ("int64", "float32", "float32"), ("int32", "float64", "float64"),
])
def test_tensor_promotion(a, b, expected, device):
    with ktensor.device(device):
        x, y = ktensor.ones([2], dtype=a), ktensor.ones([2], dtype=b)
    assert (x + y).dtype == expected and (y * x).dtype == expected


def test_python_data_default_dtypes():
    assert ktensor.constant(1.5).dtype == ktensor.float32
    assert ktensor.constant([1, 2]).dtype == ktensor.int32
    assert ktensor.constant([True]).dtype == ktensor.bool
    assert ktensor.constant(np.array([1.5])).dtype == ktensor.float64
    assert ktensor.constant(np.int64(3)).dtype == ktensor.int64
    assert (ktensor.constant([1, 2]) / ktensor.constant([2, 2])).dtype == ktensor.float32
    assert (ktensor.constant([1, 2]) / 2).dtype == ktensor.float32


def test_numpy_float64_scalar_keeps_dtype():
    assert ktensor.constant(np.float64(1.5)).dtype == ktensor.float64


def test_dtype_objects():
    assert ktensor.float32 == "float32" and ktensor.float32 == np.float32 and ktensor.float32 != ktensor.float64
    assert ktensor.as_dtype("float") is ktensor.float32 and ktensor.as_dtype(np.int64) is ktensor.int64
    assert ktensor.float64.is_floating and ktensor.int32.is_integer and ktensor.bool.is_bool
    assert ktensor.int64.size == 8 and ktensor.float32.as_numpy_dtype is np.float32
    with pytest.raises(TypeError):
        ktensor.as_dtype("complex64")
