"""Elementwise ops against numpy: binary with broadcasting, comparisons, logic, where, unary math."""
import math

import numpy as np
import pytest

import ktensor
from helpers import away_from, check_op, gradcheck, rng

# (x shape, y shape): equal shapes of odd sizes, scalars, broadcasting both ways, empty dims.
BINARY_SHAPES = [
    ((), ()),
    ((1,), (1,)),
    ((7,), (7,)),
    ((73,), (73,)),
    ((3, 1, 5), (3, 1, 5)),
    ((4, 1, 3), (5, 3)),
    ((7,), ()),
    ((), (3, 1)),
    ((3, 1, 5), (1, 4, 1)),
    ((2, 0, 3), (1, 3)),
]
UNARY_SHAPES = [(), (1,), (7,), (73,), (3, 1, 5), (2, 0, 3)]
FLOATS = [np.float32, np.float64]
NUMERIC = [np.float32, np.float64, np.int32, np.int64]


def ids(shapes):
    return [f"{a}-{b}" for a, b in shapes]


def _values(shape, dtype, seed, lo=-5, hi=5):
    r = rng(seed)
    if np.dtype(dtype).kind == "f":
        return r.uniform(lo, hi, shape).astype(dtype)
    return r.integers(lo, hi + 1, shape).astype(dtype)


def _nonzero(shape, dtype, seed, lo=0.5, hi=3.0):
    """Values with |v| in [lo, hi] and random sign (safe denominators)."""
    r = rng(seed)
    if np.dtype(dtype).kind == "f":
        mag = r.uniform(lo, hi, shape)
    else:
        mag = r.integers(max(1, int(lo)), max(2, int(hi)) + 1, shape)
    return (mag * r.choice([-1, 1], shape)).astype(dtype)


def _tol(dtype):
    return (1e-6, 1e-6) if np.dtype(dtype) == np.float32 else (1e-12, 1e-12)


# ---------------------------------------------------------------- arithmetic ----
@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "maximum", "minimum"])
def test_arithmetic_forward(name, sx, sy, dtype, device):
    x, y = _values(sx, dtype, 1), _values(sy, dtype, 2)
    rtol, atol = _tol(dtype)
    check_op(getattr(ktensor, name), getattr(np, name), [x, y], device, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
def test_divide_forward(sx, sy, dtype, device):
    x, y = _values(sx, dtype, 1), _nonzero(sy, dtype, 2)
    rtol, atol = _tol(dtype)
    check_op(ktensor.divide, np.divide, [x, y], device, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_divide_integers_gives_float32(dtype, device):
    x, y = _values((7,), dtype, 1), _nonzero((7,), dtype, 2, 1, 4)
    check_op(ktensor.divide, lambda a, b: (a / b).astype(np.float32), [x, y], device, rtol=1e-6)


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
def test_floordiv_mod_forward(sx, sy, dtype, device):
    # negative operands on both sides: Python/numpy floor semantics (the result of mod takes y's sign)
    x, y = _values(sx, dtype, 3, -9, 9), _nonzero(sy, dtype, 4, 1, 4)
    rtol, atol = _tol(dtype)
    check_op(ktensor.floordiv, np.floor_divide, [x, y], device, rtol=rtol, atol=atol)
    check_op(ktensor.mod, np.mod, [x, y], device, rtol=rtol, atol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_floordiv_mod_signs(dtype, device):
    x = np.array([7, -7, 7, -7, 0, 6, -6, 1, -1], dtype)
    y = np.array([3, 3, -3, -3, 3, 3, -3, 5, 5], dtype)
    check_op(ktensor.floordiv, np.floor_divide, [x, y], device)
    check_op(ktensor.mod, np.mod, [x, y], device)
    check_op(lambda a, b: a // b, lambda a, b: a // b, [x, y], device)
    check_op(lambda a, b: a % b, lambda a, b: a % b, [x, y], device)


_INEXACT_X = [1.0, -1.0, 0.7, 5.3, -5.3]
_INEXACT_Y = [0.1, 0.1, 0.1, -0.3, 0.3]


@pytest.mark.parametrize("dtype", FLOATS)
def test_floordiv_inexact_quotient(dtype, device):
    # 1 // 0.1 is 9 in Python and numpy: 0.1 is slightly above 1/10
    x, y = np.array(_INEXACT_X, dtype), np.array(_INEXACT_Y, dtype)
    check_op(ktensor.floordiv, np.floor_divide, [x, y], device, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_mod_inexact_quotient(dtype, device):
    x, y = np.array(_INEXACT_X, dtype), np.array(_INEXACT_Y, dtype)
    check_op(ktensor.mod, np.mod, [x, y], device, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division_by_zero_is_zero(dtype, device):
    # documented core behaviour: integer division by zero gives 0 rather than trapping
    x, y = np.array([5, -5, 0], dtype), np.zeros(3, dtype)
    check_op(ktensor.floordiv, lambda a, b: np.zeros(3, dtype), [x, y], device)
    check_op(ktensor.mod, lambda a, b: np.zeros(3, dtype), [x, y], device)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
def test_pow_float_forward(sx, sy, dtype, device):
    x = rng(5).uniform(0.2, 3.0, sx).astype(dtype)
    y = rng(6).uniform(-2.5, 2.5, sy).astype(dtype)
    check_op(ktensor.pow, np.power, [x, y], device, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_pow_int_forward(dtype, device):
    x = np.array([-3, -2, -1, 0, 1, 2, 3, 7], dtype)
    y = np.array([0, 1, 2, 3, 4, 5, 3, 2], dtype)
    check_op(ktensor.pow, np.power, [x, y], device)
    check_op(lambda a: a ** 2, lambda a: a ** 2, [x], device)


def test_pow_negative_base_fractional_exponent_is_nan(device):
    x, y = np.array([-2.0, -0.5], np.float32), np.array([0.5, 1.5], np.float32)
    with np.errstate(invalid="ignore"):
        check_op(ktensor.pow, np.power, [x, y], device)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "minimum", "pow"])
def test_binary_with_python_scalars(name, device):
    x = rng(7).uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    fn, nf = getattr(ktensor, name), getattr(np, "power" if name == "pow" else name)
    check_op(lambda a: fn(a, 1.5), lambda a: nf(a, np.float32(1.5)), [x], device, rtol=1e-6)
    check_op(lambda a: fn(2.5, a), lambda a: nf(np.float32(2.5), a), [x], device, rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "subtract", "divide"])
def test_binary_non_contiguous_inputs(name, device):
    x = rng(8).uniform(0.5, 2.0, (5, 7)).astype(np.float32)
    y = rng(9).uniform(0.5, 2.0, (7, 5)).astype(np.float32)
    fn, nf = getattr(ktensor, name), getattr(np, name)
    check_op(lambda a, b: fn(ktensor.transpose(a), b), lambda a, b: nf(a.T, b), [x, y], device)
    check_op(lambda a, b: fn(a[::2, 1::3], b[1:6:2, -2:]), lambda a, b: nf(a[::2, 1::3], b[1:6:2, -2:]),
             [x, y], device)
    check_op(lambda a, b: fn(a[:, ::-1], ktensor.transpose(b)), lambda a, b: nf(a[:, ::-1], b.T), [x, y], device)


def test_binary_mixed_dtypes_promote(device):
    # int with float gives the float type (as in PyTorch/JAX; numpy would widen int32 + float32 to float64)
    i32, f32 = np.arange(5, dtype=np.int32), np.linspace(-1, 1, 5).astype(np.float32)
    f64 = np.linspace(-2, 2, 5)
    check_op(ktensor.add, np.add, [i32, f32], device, dtype=np.float32)
    check_op(ktensor.add, np.add, [f32, i32], device, dtype=np.float32)
    check_op(ktensor.multiply, np.multiply, [f32, f64], device, rtol=1e-7)
    check_op(ktensor.add, np.add, [i32, np.arange(5, dtype=np.int64)], device)


# ---------------------------------------------------------------- comparisons and logic ----
COMPARISONS = [("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less), ("less_equal", np.less_equal),
               ("greater", np.greater), ("greater_equal", np.greater_equal)]


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
@pytest.mark.parametrize("name,ref", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons(name, ref, sx, sy, dtype, device):
    # small integers (also as floats) so that ties occur
    x = rng(10).integers(-2, 3, sx).astype(dtype)
    y = rng(11).integers(-2, 3, sy).astype(dtype)
    check_op(getattr(ktensor, name), ref, [x, y], device)


def test_comparison_operators(device):
    x = rng(12).integers(-2, 3, (4, 5)).astype(np.float32)
    y = rng(13).integers(-2, 3, (5,)).astype(np.float32)
    for op in ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]:
        check_op(lambda a, b: getattr(a, op)(b), lambda a, b: getattr(a, op)(b), [x, y], device)
    check_op(lambda a: a > 0.5, lambda a: a > 0.5, [x], device)


@pytest.mark.parametrize("sx,sy", BINARY_SHAPES, ids=ids(BINARY_SHAPES))
def test_logical(sx, sy, device):
    x = rng(14).integers(0, 2, sx).astype(bool)
    y = rng(15).integers(0, 2, sy).astype(bool)
    check_op(ktensor.logical_and, np.logical_and, [x, y], device)
    check_op(ktensor.logical_or, np.logical_or, [x, y], device)
    check_op(ktensor.logical_not, np.logical_not, [x], device)
    check_op(lambda a, b: a & b, np.logical_and, [x, y], device)
    check_op(lambda a, b: a | b, np.logical_or, [x, y], device)
    check_op(lambda a: ~a, np.logical_not, [x], device)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_logical_on_numbers(dtype, device):
    x = np.array([0, 1, -2, 0], dtype)
    y = np.array([0, 0, 3, 5], dtype)
    check_op(ktensor.logical_and, np.logical_and, [x, y], device)
    check_op(ktensor.logical_or, np.logical_or, [x, y], device)
    check_op(ktensor.logical_not, np.logical_not, [x], device)


WHERE_SHAPES = [((7,), (7,), (7,)), ((3, 1, 5), (3, 1, 5), ()), ((4, 1, 3), (5, 3), (1, 3)),
                ((1,), (2, 3), (2, 3)), ((2, 0), (2, 0), (1,)), ((), (6,), (6,))]


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES)
def test_where(sc, sx, sy, dtype, device):
    c = rng(16).integers(0, 2, sc).astype(bool)
    x, y = _values(sx, dtype, 17), _values(sy, dtype, 18)
    check_op(ktensor.where, np.where, [c, x, y], device)


def test_where_python_scalar_branches(device):
    c = rng(19).integers(0, 2, (3, 4)).astype(bool)
    x = _values((3, 4), np.float32, 20)
    check_op(lambda c, x: ktensor.where(c, x, 0.0), lambda c, x: np.where(c, x, np.float32(0)), [c, x], device)
    check_op(lambda c, x: ktensor.where(c, 1.0, x), lambda c, x: np.where(c, np.float32(1), x), [c, x], device)


def test_clip_by_value(device):
    x = _values((5, 7), np.float32, 21)
    check_op(lambda a: ktensor.clip_by_value(a, -1.0, 2.0), lambda a: np.clip(a, -1, 2), [x], device)


# ---------------------------------------------------------------- unary math ----
_erf = np.vectorize(math.erf, otypes=[np.float64])

UNARY = [  # name, numpy reference, domain (lo, hi)
    ("negative", np.negative, (-5, 5)),
    ("abs", np.abs, (-5, 5)),
    ("sign", np.sign, (-5, 5)),
    ("square", np.square, (-5, 5)),
    ("exp", np.exp, (-5, 5)),
    ("log", np.log, (0.05, 10)),
    ("log1p", np.log1p, (-0.9, 10)),
    ("sqrt", np.sqrt, (0.0, 10)),
    ("rsqrt", lambda a: (1 / np.sqrt(a)).astype(a.dtype), (0.05, 10)),
    ("reciprocal", np.reciprocal, (0.2, 5)),
    ("sin", np.sin, (-6, 6)),
    ("cos", np.cos, (-6, 6)),
    ("erf", lambda a: _erf(a).astype(a.dtype), (-3, 3)),
    ("floor", np.floor, (-5, 5)),
    ("ceil", np.ceil, (-5, 5)),
    ("round", np.round, (-5, 5)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,ref,dom", UNARY, ids=[u[0] for u in UNARY])
def test_unary_forward(name, ref, dom, shape, dtype, device):
    x = rng(22).uniform(dom[0], dom[1], shape).astype(dtype)
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    check_op(getattr(ktensor, name), ref, [x], device, rtol=rtol, atol=rtol)


def test_round_half_to_even(device):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], np.float32)
    check_op(ktensor.round, np.round, [x], device, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name", ["negative", "abs", "sign", "square"])
def test_unary_integer(name, dtype, device):
    x = rng(23).integers(-50, 50, (3, 1, 5)).astype(dtype)
    check_op(getattr(ktensor, name), getattr(np, name), [x], device)


def test_unary_operators(device):
    x = _values((4, 3), np.float32, 24)
    check_op(lambda a: -a, np.negative, [x], device)
    check_op(lambda a: abs(a), np.abs, [x], device)
    check_op(lambda a: +a, lambda a: a, [x], device)


def test_is_nan_is_finite(device):
    x = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 3e38], np.float32)
    check_op(ktensor.is_nan, np.isnan, [x], device)
    check_op(ktensor.is_finite, np.isfinite, [x], device)
    check_op(ktensor.is_finite, np.isfinite, [x.astype(np.float64)], device)


def test_unary_on_transposed_view(device):
    x = rng(25).uniform(0.1, 3, (5, 7)).astype(np.float32)
    check_op(lambda a: ktensor.exp(ktensor.transpose(a)), lambda a: np.exp(a.T), [x], device)
    check_op(lambda a: ktensor.sqrt(a[1::2, ::-2]), lambda a: np.sqrt(a[1::2, ::-2]), [x], device)


# ---------------------------------------------------------------- gradients (float64) ----
GRAD_SHAPES = [((2, 3), (2, 3)), ((4, 1, 3), (5, 3)), ((3,), ()), ((), (2, 2))]


@pytest.mark.parametrize("sx,sy", GRAD_SHAPES, ids=ids(GRAD_SHAPES))
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide"])
def test_arithmetic_grad(name, sx, sy, device):
    x = rng(30).uniform(-2, 2, sx)
    y = _nonzero(sy, np.float64, 31)
    gradcheck(getattr(ktensor, name), [x, y], device)


@pytest.mark.parametrize("sx,sy", GRAD_SHAPES, ids=ids(GRAD_SHAPES))
def test_pow_grad(sx, sy, device):
    x = rng(32).uniform(0.5, 2.0, sx)
    y = rng(33).uniform(-2, 2, sy)
    gradcheck(ktensor.pow, [x, y], device)


def test_pow_grad_scalar_exponent(device):
    x = rng(34).uniform(-2, 2, (2, 3))
    gradcheck(lambda a: ktensor.pow(a, 3.0), [x], device)
    gradcheck(lambda a: a ** 2, [x], device)


@pytest.mark.parametrize("sx,sy", GRAD_SHAPES, ids=ids(GRAD_SHAPES))
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_grad(name, sx, sy, device):
    # no ties: x and y come from disjoint, interleaved grids
    r = rng(35)
    x = r.permutation(np.arange(int(np.prod(sx)) or 1) * 2.0 - 3.1)[:int(np.prod(sx))].reshape(sx)
    y = r.permutation(np.arange(int(np.prod(sy)) or 1) * 2.0 - 4.0)[:int(np.prod(sy))].reshape(sy)
    gradcheck(getattr(ktensor, name), [x, y], device)


def test_mod_grad(device):
    x = np.array([[0.3, 1.7, -2.2], [4.1, -0.6, 2.9]])
    y = np.array([1.3, -0.9, 0.7])
    gradcheck(ktensor.mod, [x, y], device)


def test_where_grad(device):
    c = rng(36).integers(0, 2, (4, 1, 3)).astype(bool)
    x, y = rng(37).standard_normal((5, 3)), rng(38).standard_normal((4, 5, 1))
    gradcheck(ktensor.where, [c, x, y], device)
    gradcheck(lambda c, x: ktensor.where(c, x, 0.0), [c, rng(39).standard_normal((4, 2, 3))], device)


def test_clip_grad(device):
    x = away_from(rng(40).uniform(-3, 3, (3, 4)), [-1.0, 2.0], 0.05)
    gradcheck(lambda a: ktensor.clip_by_value(a, -1.0, 2.0), [x], device)


UNARY_GRAD = [
    ("negative", (-2, 2)), ("abs", (-2, 2)), ("square", (-2, 2)), ("exp", (-2, 2)), ("log", (0.2, 3)),
    ("log1p", (-0.5, 3)), ("sqrt", (0.2, 3)), ("rsqrt", (0.2, 3)), ("reciprocal", (0.3, 3)), ("sin", (-3, 3)),
    ("cos", (-3, 3)), ("erf", (-2, 2)),
]


@pytest.mark.parametrize("shape", [(2, 3), ()], ids=str)
@pytest.mark.parametrize("name,dom", UNARY_GRAD, ids=[u[0] for u in UNARY_GRAD])
def test_unary_grad(name, dom, shape, device):
    x = away_from(rng(41).uniform(dom[0], dom[1], shape), [0.0], 0.05) if name == "abs" else \
        rng(41).uniform(dom[0], dom[1], shape)
    gradcheck(getattr(ktensor, name), [x], device)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_piecewise_constant_grad_is_zero_or_none(name, device):
    x = np.array([0.3, -1.2, 2.7])
    gradcheck(getattr(ktensor, name), [x], device)


def test_large_shapes_span_thread_chunks(device):
    # sizes past one parallel chunk, with odd tails
    r = rng(50)
    a, b, c = (r.standard_normal(s).astype(np.float32) for s in [(301, 257), (257,), (301, 1)])
    check_op(ktensor.add, np.add, [a, b], device)
    check_op(lambda x, y, z: ktensor.multiply(ktensor.subtract(x, y), z), lambda x, y, z: (x - y) * z, [a, b, c],
             device, rtol=1e-6, atol=1e-6)
    check_op(lambda x: ktensor.maximum(ktensor.transpose(x), 0.0), lambda x: np.maximum(x.T, 0), [a], device)
    d = r.uniform(-5, 5, 100_003).astype(np.float32)
    check_op(ktensor.exp, np.exp, [d], device, rtol=2e-6, atol=0)
    check_op(ktensor.nn.sigmoid, lambda x: (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32), [d], device,
             rtol=2e-6, atol=1e-7)


def test_alternative_names_match_numpy():
    a = np.array([7, -7, 5], dtype=np.int32)
    t = ktensor.constant(a)
    assert ktensor.floor_divide(t, 2).numpy().tolist() == np.floor_divide(a, 2).tolist()
    assert ktensor.math.floormod(t, 3).numpy().tolist() == np.mod(a, 3).tolist()
    assert ktensor.concatenate([t, t], 0).numpy().tolist() == np.concatenate([a, a]).tolist()
    assert ktensor.take(t, [2, 0]).numpy().tolist() == np.take(a, [2, 0]).tolist()
    x = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    assert np.allclose(ktensor.variance(x, axis=1).numpy(), x.var(axis=1))
    assert np.allclose(ktensor.std(x).numpy(), x.std())
