"""CPU/CUDA parity: a representative call of every op runs on both devices; results and gradients agree.

Odd sizes (1, 7, 73, 129) make partial blocks and tails on the GPU; every case is skipped without CUDA.
"""
import numpy as np
import pytest

import ktensor
from helpers import CUDA_MARKS, parity, rng

pytestmark = CUDA_MARKS

nn = ktensor.nn


def f32(*shape, seed=0, lo=-3.0, hi=3.0):
    return rng(seed).uniform(lo, hi, shape).astype(np.float32)


def f64(*shape, seed=0, lo=-3.0, hi=3.0):
    return rng(seed).uniform(lo, hi, shape)


def i32(*shape, hi=5, seed=0, lo=None):
    return rng(seed).integers(-hi if lo is None else lo, hi, shape).astype(np.int32)


def i64(*shape, hi=5, seed=0, lo=None):
    return i32(*shape, hi=hi, seed=seed, lo=lo).astype(np.int64)


def bools(*shape, seed=0):
    return rng(seed).integers(0, 2, shape).astype(bool)


def pos(*shape, seed=0):
    return f32(*shape, seed=seed, lo=0.1, hi=4.0)


def nz(*shape, seed=0):
    r = rng(seed)
    return (r.uniform(0.5, 3, shape) * r.choice([-1, 1], shape)).astype(np.float32)


def inz(*shape, seed=0):
    """Nonzero int32 values of both signs (safe divisors)."""
    return (i32(*shape, lo=1, hi=6, seed=seed) * np.where(bools(*shape, seed=seed + 1), 1, -1)).astype(np.int32)


K = ktensor
CASES = [
    # elementwise binary, with broadcasting and odd sizes
    ("add", K.add, [f32(4, 1, 73), f32(5, 73, seed=1)]),
    ("add_int", K.add, [i32(7, 3), i32(3, seed=1)]),
    ("subtract", K.subtract, [f32(73), f32(seed=1)]),
    ("multiply", K.multiply, [f64(3, 1, 5), f64(1, 4, 1, seed=1)]),
    ("multiply_int64", K.multiply, [i64(129), i64(129, seed=1)]),
    ("divide", K.divide, [f32(7, 73), nz(73, seed=1)]),
    ("floordiv", K.floordiv, [f32(129), nz(129, seed=1)]),
    ("floordiv_int", K.floordiv, [i32(129, hi=20), inz(129, seed=1)]),
    ("mod", K.mod, [f32(129), nz(129, seed=1)]),
    ("mod_int", K.mod, [i64(129, hi=20), inz(129, seed=1).astype(np.int64)]),
    ("pow", K.pow, [pos(7, 7), f32(7, seed=1)]),
    ("pow_int", K.pow, [i32(73, hi=4), i32(73, lo=0, hi=4, seed=1)]),
    ("maximum", K.maximum, [f32(73), f32(73, seed=1)]),
    ("minimum", K.minimum, [f32(2, 73), f32(73, seed=1)]),
    ("equal", K.equal, [i32(7, 7, hi=2), i32(7, hi=2, seed=1)]),
    ("not_equal", K.not_equal, [i32(73, hi=2), i32(73, hi=2, seed=1)]),
    ("less", K.less, [f32(73), f32(73, seed=1)]),
    ("less_equal", K.less_equal, [i64(73, hi=2), i64(73, hi=2, seed=1)]),
    ("greater", K.greater, [f64(73), f64(73, seed=1)]),
    ("greater_equal", K.greater_equal, [f32(73), np.float32(0.5)]),
    ("logical_and", K.logical_and, [bools(73), bools(73, seed=1)]),
    ("logical_or", K.logical_or, [bools(7, 1), bools(7, seed=1)]),
    ("logical_not", K.logical_not, [bools(73)]),
    ("where", K.where, [bools(4, 1, 3), f32(5, 3), f32(4, 5, 1, seed=1)]),
    ("clip", lambda x: K.clip_by_value(x, -1.0, 2.0), [f32(73)]),
    # unary math
    ("negative", K.negative, [f32(73)]),
    ("abs", K.abs, [f32(73)]),
    ("abs_int", K.abs, [i32(73)]),
    ("sign", K.sign, [f32(73)]),
    ("square", K.square, [f64(73)]),
    ("exp", K.exp, [f32(73)]),
    ("log", K.log, [pos(73)]),
    ("log1p", K.log1p, [pos(73)]),
    ("sqrt", K.sqrt, [pos(73)]),
    ("rsqrt", K.rsqrt, [pos(73)]),
    ("reciprocal", K.reciprocal, [nz(73)]),
    ("sin", K.sin, [f32(73)]),
    ("cos", K.cos, [f32(73)]),
    ("erf", K.erf, [f32(73)]),
    ("floor", K.floor, [f32(73)]),
    ("ceil", K.ceil, [f32(73)]),
    ("round", K.round, [f32(73)]),
    ("is_nan", K.is_nan, [np.array([np.nan, 1.0, np.inf], np.float32)]),
    ("is_finite", K.is_finite, [np.array([np.nan, 1.0, np.inf], np.float32)]),
    ("cast_f_i", lambda x: K.cast(x, "int32"), [f32(73)]),
    ("cast_i_b", lambda x: K.cast(x, "bool"), [i64(73)]),
    ("cast_f_d", lambda x: K.cast(x, "float64"), [f32(73)]),
    ("cast_b_f", lambda x: K.cast(x, "float32"), [bools(73)]),
    # activations
    ("relu", nn.relu, [f32(7, 73)]),
    ("relu6", nn.relu6, [f32(73, lo=-8, hi=8)]),
    ("leaky_relu", nn.leaky_relu, [f32(73)]),
    ("elu", nn.elu, [f32(73)]),
    ("selu", nn.selu, [f32(73)]),
    ("gelu", nn.gelu, [f32(73)]),
    ("gelu_tanh", lambda x: nn.gelu(x, approximate=True), [f32(73)]),
    ("sigmoid", nn.sigmoid, [f32(73, lo=-20, hi=20)]),
    ("hard_sigmoid", nn.hard_sigmoid, [f32(73, lo=-5, hi=5)]),
    ("tanh", nn.tanh, [f32(73)]),
    ("softplus", nn.softplus, [f32(73, lo=-30, hi=30)]),
    ("softsign", nn.softsign, [f32(73)]),
    ("silu", nn.silu, [f32(73)]),
    ("softmax_last", nn.softmax, [f32(7, 129)]),
    ("softmax_axis0", lambda x: nn.softmax(x, axis=0), [f32(73, 5)]),
    ("softmax_mid", lambda x: nn.softmax(x, axis=1), [f64(3, 7, 5)]),
    ("log_softmax", nn.log_softmax, [f32(7, 1000)]),
    ("log_softmax_axis0", lambda x: nn.log_softmax(x, axis=0), [f32(73, 3)]),
    # reductions
    ("sum_all", K.reduce_sum, [f32(4096, 3)]),
    ("sum_axis0", lambda x: K.reduce_sum(x, axis=0), [f32(1000, 73)]),
    ("sum_axes", lambda x: K.reduce_sum(x, axis=[0, 2], keepdims=True), [f32(7, 5, 73)]),
    ("sum_int", lambda x: K.reduce_sum(x, axis=1), [i32(7, 129)]),
    ("sum_transposed", lambda x: K.reduce_sum(K.transpose(x), axis=1), [f32(73, 7)]),
    ("mean", lambda x: K.reduce_mean(x, axis=-1), [f32(7, 1000)]),
    ("max", lambda x: K.reduce_max(x, axis=1), [f32(7, 129)]),
    ("min", lambda x: K.reduce_min(x, axis=0, keepdims=True), [f32(73, 7)]),
    ("prod", lambda x: K.reduce_prod(x, axis=1), [f32(7, 9, lo=0.8, hi=1.2)]),
    ("argmax", lambda x: K.argmax(x, axis=1), [f32(7, 129)]),
    ("argmin", lambda x: K.argmin(x, axis=0), [i32(73, 5, hi=3)]),
    ("variance", lambda x: K.reduce_variance(x, axis=0), [f32(129, 7)]),
    ("std", lambda x: K.reduce_std(x, axis=1), [f32(7, 129)]),
    ("logsumexp", lambda x: K.reduce_logsumexp(x, axis=1), [f32(7, 129)]),
    ("any", lambda x: K.reduce_any(x, axis=1), [bools(7, 73)]),
    ("all", lambda x: K.reduce_all(x, axis=0), [bools(7, 73)]),
    # matmul
    ("matmul", K.matmul, [f32(7, 73), f32(73, 129, seed=1)]),
    ("matmul_1x7", K.matmul, [f32(1, 7), f32(7, 73, seed=1)]),
    ("matmul_ta", lambda a, b: K.matmul(a, b, transpose_a=True), [f32(73, 7), f32(73, 5, seed=1)]),
    ("matmul_tb", lambda a, b: K.matmul(a, b, transpose_b=True), [f32(7, 73), f32(5, 73, seed=1)]),
    ("matmul_batched", K.matmul, [f32(2, 1, 7, 5), f32(3, 5, 9, seed=1)]),
    ("matmul_f64", K.matmul, [f64(7, 5), f64(5, 3, seed=1)]),
    ("matmul_int", K.matmul, [i32(7, 5), i32(5, 3, seed=1)]),
    ("matmul_views", lambda a, b: K.matmul(K.transpose(a)[::2], b[1:, ::-1]), [f32(9, 8), f32(10, 6, seed=1)]),
    ("matvec", K.matmul, [f32(7, 73), f32(73, seed=1)]),
    ("vecvec", K.matmul, [f32(73), f32(73, seed=1)]),
    # shape ops and data movement
    ("reshape", lambda x: K.reshape(K.transpose(x), [-1, 7]), [f32(7, 6)]),
    ("transpose", lambda x: K.transpose(x, [2, 0, 1]) * 1.0, [f32(3, 5, 73)]),
    ("broadcast_to", lambda x: K.broadcast_to(x, [4, 5, 73]) + 0.0, [f32(5, 1)]),
    ("getitem", lambda x: x[1::2, ::-3, 2] * 1.0, [f32(7, 73, 3)]),
    ("getitem_adv", lambda x: x[:, [5, 0, 5]], [f32(7, 73)]),
    ("boolean_mask", lambda x, m: K.boolean_mask(x, m), [f32(7, 3), bools(7)]),
    ("concat", lambda a, b: K.concat([a, b, a], axis=1), [f32(7, 73), f32(7, 1, seed=1)]),
    ("stack", lambda a, b: K.stack([a, b], axis=-1), [f32(7, 5), f32(7, 5, seed=1)]),
    ("split", lambda x: K.split(x, [2, -1, 3], axis=1), [f32(7, 73)]),
    ("unstack", lambda x: K.unstack(x, axis=1), [f32(3, 4, 2)]),
    ("gather0", lambda x, i: K.gather(x, i), [f32(73, 7), i64(129, lo=0, hi=73)]),
    ("gather1", lambda x, i: K.gather(x, i, axis=1), [f32(7, 73), i32(5, 4, lo=0, hi=73)]),
    ("gather_int", lambda x, i: K.gather(x, i, axis=0), [i64(73, 3), i32(9, lo=0, hi=73)]),
    ("one_hot", lambda i: K.one_hot(i, 73), [i32(129, lo=-1, hi=75)]),
    ("one_hot_axis0", lambda i: K.one_hot(i, 7, axis=0, on_value=2.0, off_value=-1.0), [i64(5, 3, lo=0, hi=7)]),
    ("pad", lambda x: K.pad(x, [[1, 2], [0, 3], [5, 0]], constant_values=0.5), [f32(3, 7, 5)]),
    ("pad_int", lambda x: K.pad(x, [[2, 2]]), [i32(73)]),
    ("tile", lambda x: K.tile(x, [2, 1, 3]), [f32(3, 7, 5)]),
    ("identity", K.identity, [f32(73)]),
    # creation (run inside `ktensor.device`)
    ("zeros", lambda: K.zeros([7, 73]), []),
    ("ones_int", lambda: K.ones([73], dtype="int64"), []),
    ("fill", lambda: K.fill([3, 5], 2.5), []),
    ("eye", lambda: K.eye(7, 73), []),
    ("range", lambda: K.range(2, 1000, 7), []),
    ("range_f", lambda: K.range(0.5, 7.25, 0.25, dtype="float64"), []),
    ("linspace", lambda: K.linspace(-1.0, 3.0, 73), []),
    ("zeros_like", lambda x: K.zeros_like(x) + K.ones_like(x, dtype="float64"), [f32(7)]),
    # fused losses
    ("softmax_xent", lambda z, x: nn.softmax_cross_entropy_with_logits(z, x),
     [rng(1).dirichlet(np.ones(73), 7).astype(np.float32), f32(7, 73)]),
    ("sparse_xent", lambda z, x: nn.sparse_softmax_cross_entropy_with_logits(z, x),
     [i32(129, lo=0, hi=73), f32(129, 73)]),
    ("sigmoid_xent", lambda z, x: nn.sigmoid_cross_entropy_with_logits(z, x),
     [f32(7, 73, lo=0, hi=1), f32(7, 73, lo=-20, hi=20)]),
]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_cpu_cuda_parity(name, fn, inputs):
    parity(fn, inputs, rtol=2e-5, atol=2e-5)


def test_transfer_round_trip():
    for dtype in ["bool", "int32", "int64", "float32", "float64"]:
        x = np.arange(73).astype(dtype)
        g = ktensor.from_numpy(x).to("cuda")
        assert g.device.startswith("cuda") and g.dtype == dtype
        np.testing.assert_array_equal(g.cpu().numpy(), x)
        np.testing.assert_array_equal(g.numpy(), x)
    t = ktensor.from_numpy(np.arange(12.0).reshape(3, 4))
    v = t.T.to("cuda")  # a strided view moves as its values
    np.testing.assert_array_equal(v.numpy(), t.numpy().T)


def test_gradient_flows_across_devices():
    with ktensor.device("cpu"):
        x = ktensor.Variable(np.array([1.0, 2.0]))
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(x.to("cuda") * 3.0)
    g = tape.gradient(y, x)
    assert g.device == "cpu"
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])


def test_reductions_bitwise_deterministic_on_cuda():
    x = rng(3).standard_normal((4096, 300)).astype(np.float32)
    with ktensor.device("cuda"):
        t = ktensor.constant(x)
        first = [ktensor.reduce_sum(t).numpy(), ktensor.reduce_mean(t, axis=0).numpy()]
        for _ in range(5):
            again = [ktensor.reduce_sum(t).numpy(), ktensor.reduce_mean(t, axis=0).numpy()]
            assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again))
