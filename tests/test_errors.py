"""Errors are typed Python exceptions that name the op and shapes; bad values never crash the interpreter."""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ktensor
from helpers import HAS_CUDA, check_op


def _t(x, device, dtype=None):
    with ktensor.device(device):
        return ktensor.constant(x, dtype=dtype)


# ---------------------------------------------------------------- shape errors ----
def test_matmul_shape_mismatch_names_both_shapes(device):
    a, b = _t(np.zeros((3, 2), np.float32), device), _t(np.zeros((4, 5), np.float32), device)
    with pytest.raises(ValueError, match=r"matmul") as e:
        ktensor.matmul(a, b)
    assert "(3, 2)" in str(e.value) and "(4, 5)" in str(e.value)
    with pytest.raises(ValueError, match=r"\(5, 4\)"):
        ktensor.matmul(a, _t(np.zeros((5, 4), np.float32), device), transpose_a=True)
    with pytest.raises(ValueError):
        ktensor.matmul(_t(np.zeros(3, np.float32), device), _t(np.zeros(4, np.float32), device))


def test_matmul_batch_mismatch_names_operand_shapes(device):
    a, b = _t(np.zeros((2, 3, 4), np.float32), device), _t(np.zeros((3, 4, 5), np.float32), device)
    with pytest.raises(ValueError) as e:
        ktensor.matmul(a, b)
    assert "(2, 3, 4)" in str(e.value) and "(3, 4, 5)" in str(e.value)


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "pow", "less", "logical_and"])
def test_broadcast_mismatch_names_both_shapes(op, device):
    a, b = _t(np.ones((3, 2), np.float32), device), _t(np.ones((4, 3), np.float32), device)
    with pytest.raises(ValueError) as e:
        getattr(ktensor, op)(a, b)
    assert "(3, 2)" in str(e.value) and "(4, 3)" in str(e.value)


def test_other_shape_errors(device):
    x = _t(np.zeros((2, 3), np.float32), device)
    with pytest.raises(ValueError, match="reshape|6"):
        ktensor.reshape(x, [4])
    with pytest.raises(ValueError):
        ktensor.reshape(x, [-1, -1])
    with pytest.raises(ValueError):
        ktensor.reshape(x, [-1, 4])
    with pytest.raises(ValueError):
        ktensor.where(_t([True, False], device), x, x)
    with pytest.raises(ValueError):
        ktensor.concat([x, _t(np.zeros((3, 2), np.float32), device)], axis=0)
    with pytest.raises(ValueError):
        ktensor.split(x, 4, axis=1)
    with pytest.raises(ValueError):
        ktensor.squeeze(x, 0)
    with pytest.raises(ValueError):
        ktensor.transpose(x, [0, 0])
    with pytest.raises(ValueError):
        ktensor.broadcast_to(x, [3, 3])
    with pytest.raises(ValueError):
        ktensor.tile(x, [2])
    with pytest.raises(ValueError):
        ktensor.pad(x, [[1, 1]])
    with pytest.raises(ValueError):
        ktensor.reduce_max(_t(np.zeros((0, 3), np.float32), device), axis=0)
    with pytest.raises(ValueError):
        ktensor.zeros([-1, 2], device=device)
    with pytest.raises(IndexError):
        ktensor.reduce_sum(x, axis=2)
    with pytest.raises(IndexError):
        ktensor.nn.softmax(x, axis=-3)
    with pytest.raises(IndexError):
        ktensor.expand_dims(x, 4)
    with pytest.raises(IndexError):
        ktensor.concat([x, x], axis=2)
    with pytest.raises(IndexError):
        x[2]


def test_gather_axis_out_of_range(device):
    with pytest.raises((IndexError, ValueError)):
        ktensor.gather(_t(np.zeros((3, 2), np.float32), device), [0], axis=2)


def test_shape_element_count_overflow_raises():
    with pytest.raises((ValueError, MemoryError)):
        ktensor.zeros([1 << 40, 1 << 30], device="cpu")


def test_huge_allocation_raises_memory_error():
    with pytest.raises(MemoryError):
        ktensor.zeros([1 << 46], dtype="float32", device="cpu")


# ---------------------------------------------------------------- index and label errors ----
@pytest.mark.parametrize("idx", [[3], [0, 5], [-4]])
def test_gather_out_of_range_index(idx, device):
    x = _t(np.zeros((3, 2), np.float32), device)
    with pytest.raises(IndexError, match="out of range"):
        ktensor.gather(x, _t(np.array(idx, np.int64), device))
    with pytest.raises(IndexError):
        ktensor.gather(x, _t(np.array([2], np.int32), device), axis=1)


def test_gather_float_indices_type_error(device):
    with pytest.raises(TypeError):
        ktensor.gather(_t(np.zeros((3, 2), np.float32), device), _t([0.0, 1.0], device))


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [7, 7]])
def test_sparse_labels_out_of_range(labels, device):
    logits = _t(np.zeros((2, 3), np.float32), device)
    with pytest.raises(ValueError, match="range"):
        ktensor.nn.sparse_softmax_cross_entropy_with_logits(_t(np.array(labels, np.int32), device), logits)


def test_sparse_float_labels_type_error(device):
    logits = _t(np.zeros((2, 3), np.float32), device)
    with pytest.raises(TypeError, match="integer"):
        ktensor.nn.sparse_softmax_cross_entropy_with_logits(_t([0.0, 1.0], device), logits)
    with pytest.raises(ValueError):
        ktensor.nn.sparse_softmax_cross_entropy_with_logits(_t([0, 1, 2], device), logits)
    with pytest.raises(ValueError):
        ktensor.nn.softmax_cross_entropy_with_logits(_t(np.zeros((2, 4), np.float32), device), logits)


def test_type_errors(device):
    with pytest.raises(TypeError):
        ktensor.cast(_t([1.0], device), "complex64")
    with pytest.raises(TypeError):
        ktensor.constant(np.zeros(2, np.complex64))
    with pytest.raises(TypeError):
        ktensor.constant([object()])
    with pytest.raises(TypeError):
        ktensor.matmul(_t([[True]], device), _t([[False]], device))
    with pytest.raises(TypeError):
        ktensor.one_hot(_t([0.5], device), 3)


def test_device_errors():
    with pytest.raises(ValueError, match="invalid device"):
        with ktensor.device("tpu"):
            pass
    with pytest.raises(ValueError):
        ktensor.zeros([2]).to("cuda:x")


@pytest.mark.skipif(HAS_CUDA, reason="a CUDA device is available")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "gpu", "/GPU:0"])
def test_cuda_device_without_gpu(name):
    msg = r"without CUDA|0 CUDA device"
    with pytest.raises(RuntimeError, match=msg):
        with ktensor.device(name):
            pass
    with pytest.raises(RuntimeError, match=msg):
        ktensor.zeros([2]).to(name)
    with pytest.raises(RuntimeError, match=msg):
        ktensor.random.uniform([2], device=name)


# ---------------------------------------------------------------- NaN and inf ----
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 1e30, -1e-30], np.float32)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sig(x):
    return 1 / (1 + np.exp(-x))


UNARY_REF = {
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "square": np.square, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "reciprocal": np.reciprocal,
    "sin": np.sin, "cos": np.cos, "erf": _erf, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "is_nan": np.isnan, "is_finite": np.isfinite, "logical_not": np.logical_not,
    "nn.relu": lambda x: np.maximum(x, 0), "nn.relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "nn.leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x), "nn.elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "nn.sigmoid": _sig, "nn.tanh": np.tanh, "nn.softsign": lambda x: x / (1 + np.abs(x)),
    "nn.softplus": lambda x: np.logaddexp(x, 0), "nn.hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "nn.gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "nn.silu": lambda x: x * _sig(x),
}
# numpy: sign(nan) = nan, maximum(nan, 0) = nan; the kernels use comparisons that turn NaN into 0.
NAN_TO_ZERO = {"sign", "nn.relu", "nn.relu6"}


def _fn(name):
    obj = ktensor
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _ref64(f):
    def ref(*xs):
        with np.errstate(all="ignore"):
            out = np.asarray(f(*[x.astype(np.float64) for x in xs]))
            return out if out.dtype == bool else out.astype(xs[0].dtype)
    return ref


@pytest.mark.parametrize("name", [n
    if n in NAN_TO_ZERO else n for n in UNARY_REF])
def test_unary_special_values_like_numpy(name, device):
    check_op(_fn(name), _ref64(UNARY_REF[name]), [SPECIAL], device, rtol=1e-6, atol=1e-37)


def test_selu_special_values(device):
    x = np.array([np.nan, np.inf, -np.inf, 0.0], np.float32)
    check_op(ktensor.nn.selu, lambda a: np.array([np.nan, np.inf, -1.7580993, 0.0], np.float32), [x], device,
             rtol=1e-6)


PAIR = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0, 2.5], np.float32)
X_SP, Y_SP = np.meshgrid(PAIR, PAIR)
BINARY_REF = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "mod": np.mod, "floordiv": np.floor_divide, "equal": np.equal,
    "not_equal": np.not_equal, "less": np.less, "greater_equal": np.greater_equal, "logical_and": np.logical_and,
    "logical_or": np.logical_or,
}


@pytest.mark.parametrize("name", ["floordiv" if n == "floordiv" else n for n in BINARY_REF])
def test_binary_special_values_like_numpy(name, device):
    check_op(getattr(ktensor, name), _ref64(BINARY_REF[name]), [X_SP, Y_SP], device, rtol=1e-6, atol=0)


def test_reductions_with_nan_and_inf(device):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -1.0], [np.inf, -np.inf, 0.0], [1.0, 2.0, 3.0]], np.float32)
    with np.errstate(all="ignore"):
        for name, ref in [("reduce_sum", np.sum), ("reduce_mean", np.mean), ("reduce_max", np.max),
                          ("reduce_min", np.min), ("reduce_prod", np.prod), ("reduce_variance", np.var),
                          ("reduce_std", np.std)]:
            for axis in (None, 0, 1):
                check_op(lambda t: getattr(ktensor, name)(t, axis=axis),
                         lambda a: ref(a.astype(np.float64), axis=axis).astype(np.float32), [x], device)
        check_op(lambda t: ktensor.reduce_logsumexp(t, axis=1),
                 lambda a: np.array([np.nan, np.inf, np.inf, np.log(np.exp([1, 2, 3]).sum())], np.float32),
                 [x], device, rtol=1e-6)


def test_argmax_with_nan_like_numpy(device):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    check_op(lambda t: ktensor.argmax(t, axis=1), lambda a: np.argmax(a, axis=1), [x], device)
    check_op(lambda t: ktensor.argmin(t, axis=1), lambda a: np.argmin(a, axis=1), [x], device)


def test_softmax_matmul_losses_with_nan_and_inf(device):
    x = np.array([[np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]], np.float32)
    with np.errstate(all="ignore"):
        sm = np.exp(x - x.max(1, keepdims=True))
        sm = sm / sm.sum(1, keepdims=True)
        lsm = (x - x.max(1, keepdims=True)) - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
        check_op(ktensor.nn.softmax, lambda a: sm, [x], device, rtol=1e-6)
        check_op(ktensor.nn.log_softmax, lambda a: lsm, [x], device, rtol=1e-6)
        w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
        check_op(ktensor.matmul, lambda a, b: a.astype(np.float64) @ b, [x, w], device, rtol=1e-6, check_dtype=False)
        labels = np.array([1, 1, 1, 2], np.int32)
        out = ktensor.nn.sparse_softmax_cross_entropy_with_logits(_t(labels, device), _t(x, device)).numpy()
        np.testing.assert_allclose(out, -lsm[np.arange(4), labels], rtol=1e-6)
        z = np.full_like(x, 0.5)
        ref = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))  # nan, inf - inf / 2 = nan, inf
        check_op(ktensor.nn.sigmoid_cross_entropy_with_logits, lambda a, b: ref, [z, x], device, rtol=1e-6)


# ---------------------------------------------------------------- the interpreter survives ----
def _run(code, timeout=120):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def test_interpreter_survives_all_errors():
    code = """
        import numpy as np
        import ktensor as tf
        cases = [
            lambda: tf.matmul(tf.zeros([3, 2]), tf.zeros([4, 4])),
            lambda: tf.zeros([3, 2]) + tf.zeros([3, 3]),
            lambda: tf.reshape(tf.zeros([2, 3]), [4]),
            lambda: tf.gather(tf.zeros([3, 2]), [5]),
            lambda: tf.gather(tf.zeros([3, 2]), [-9]),
            lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([0, 3]), tf.zeros([2, 3])),
            lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([0.0, 1.0]), tf.zeros([2, 3])),
            lambda: tf.device("cuda").__enter__() if not tf.cuda.is_available() else 1 / 0,
            lambda: tf.zeros([1 << 46]),
            lambda: tf.reduce_max(tf.zeros([0])),
            lambda: tf.one_hot(tf.constant([1.5]), 2),
            lambda: tf.constant([[1, 2], [3]]),
            lambda: tf.zeros([2])[5],
        ]
        for f in cases:
            try:
                f()
            except (ValueError, TypeError, IndexError, MemoryError, RuntimeError, ZeroDivisionError):
                pass
            else:
                raise SystemExit("no error raised")
        x = tf.constant([np.nan, np.inf, -np.inf, 0.0])
        for op in [tf.exp, tf.log, tf.sqrt, tf.nn.softmax, tf.nn.log_softmax, tf.reduce_sum, tf.reduce_max, tf.argmax,
                   tf.nn.gelu, tf.nn.selu, tf.reduce_logsumexp, lambda t: t // t, lambda t: t % t, lambda t: t ** t]:
            op(x).numpy()
        i = tf.constant([5, -5, 0])
        (i // tf.zeros([3], dtype="int32")).numpy()
        (i % tf.zeros([3], dtype="int32")).numpy()
        print("alive")
    """
    r = _run(code)
    assert r.returncode == 0, f"exit code {r.returncode}\\nstdout: {r.stdout}\\nstderr: {r.stderr[-2000:]}"
    assert "alive" in r.stdout


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_overflow_division_does_not_crash(op, dtype):
    code = f"""
        import numpy as np
        import ktensor as tf
        lo = np.iinfo(np.{dtype}).min
        with tf.device("cpu"):  # the CPU kernel traps; a GPU has no division trap
            x = tf.constant(np.array([lo, 7], np.{dtype}))
            y = tf.constant(np.array([-1, -1], np.{dtype}))
            r = (x {op} y).numpy()
        with np.errstate(all="ignore"):
            want = np.array([lo, 7], np.{dtype}) {op} np.array([-1, -1], np.{dtype})
        assert (r == want).all(), (r, want)
        print("alive")
    """
    r = _run(code)
    assert r.returncode == 0, f"exit code {r.returncode}: {r.stderr[-1000:]}"


@pytest.mark.cuda
@pytest.mark.skipif(not ktensor.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_out_of_memory_then_usable():
    with pytest.raises(MemoryError, match=r"\d+ bytes"):
        ktensor.zeros((1 << 40,), device="cuda")  # 4 TiB
    x = ktensor.ones((1000,), device="cuda")  # the allocator still works afterwards
    assert float(ktensor.reduce_sum(x)) == 1000.0
