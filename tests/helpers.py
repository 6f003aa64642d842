"""Shared test helpers: numpy is the specification of every op.

- `check_op` runs an op on a device and compares its forward result with a numpy reference.
- `gradcheck` compares the GradientTape gradient with central differences in float64.
- `parity` runs the same call on the CPU and on CUDA and compares results (and gradients).
"""
import numpy as np
import pytest

import ktensor

HAS_CUDA = ktensor.cuda.is_available()
# Marks for tests that need a GPU; applied as `@cuda_only` (a list of marks works as pytestmark too).
CUDA_MARKS = [pytest.mark.cuda, pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device visible to ktensor")]


def cuda_only(fn):
    for m in reversed(CUDA_MARKS):
        fn = m(fn)
    return fn


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from(x, points, margin=0.05):
    """Moves entries of x that are within `margin` of any of `points` (kinks) away from them."""
    x = np.array(x, copy=True)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin) * 2
    return x


def distinct(shape, dtype=np.float64, seed=0, scale=1.0):
    """Values without ties (a shuffled, jittered range): max/min/sort gradients are well defined."""
    n = int(np.prod(shape)) if len(shape) else 1
    r = rng(seed)
    v = (np.arange(n) - n / 2.0) / max(n, 1) * 2 * scale + r.uniform(0.1, 0.3, n) / max(n, 1) * scale
    return r.permutation(v).reshape(shape).astype(dtype)


def to_kt(x, device):
    """numpy arrays and numpy scalars become tensors on `device`; everything else passes through."""
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        with ktensor.device(device):
            return ktensor.constant(x)
    return x


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [y for o in out for y in _flat(o)]
    return [out]


def _same_device(got, want):
    return str(got).split(":")[0] == str(want).split(":")[0]


def assert_close(got, expected, rtol=1e-6, atol=1e-6, dtype=None, check_dtype=True, device=None):
    """Compares a tensor (or a list of them) with numpy values: shape, dtype, device and values."""
    gots, exps = _flat(got), _flat(expected)
    assert len(gots) == len(exps), f"got {len(gots)} outputs, expected {len(exps)}"
    for g, e in zip(gots, exps):
        assert isinstance(g, ktensor.Tensor), f"expected a ktensor.Tensor, got {type(g).__name__}"
        if device is not None:
            assert _same_device(g.device, device), f"result on {g.device}, expected {device}"
        e = np.asarray(e)
        a = g.numpy()
        assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
        want = np.dtype(dtype) if dtype is not None else e.dtype
        if check_dtype:
            assert g.dtype.name == want.name, f"dtype {g.dtype.name} != expected {want.name}"
        if a.dtype.kind in "biu" and e.dtype.kind in "biu":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol,
                                       equal_nan=True)


def check_op(kt_fn, np_fn, inputs, device, rtol=1e-6, atol=1e-6, dtype=None, check_dtype=True):
    """Runs kt_fn on tensors made from `inputs` on `device` and compares it with np_fn(*inputs).

    numpy arrays/scalars in `inputs` become tensors; other values (Python numbers, axes) pass as is.
    The expected dtype is the numpy result's unless `dtype` says otherwise.
    """
    out = kt_fn(*[to_kt(x, device) for x in inputs])
    expected = np_fn(*inputs)
    assert_close(out, expected, rtol=rtol, atol=atol, dtype=dtype, check_dtype=check_dtype, device=device)
    return out


def _is_diff(x):
    return isinstance(x, np.ndarray) and x.dtype == np.float64


def gradcheck(kt_fn, inputs, device, eps=1e-6, rtol=1e-4, atol=1e-6, seed=1234):
    """Checks the GradientTape gradient of every float64 array in `inputs` by central differences.

    The scalar differentiated is sum(out * R) over every output, with R a fixed random array of
    each output's shape: its gradient is the vector-Jacobian product with R, which the tape gives
    as `gradient(out, x, output_gradients=R)`. Each perturbation of one input element is one
    forward call. Non-float64 inputs (indices, labels, axes) are passed through, not perturbed.
    Choose inputs away from kinks (relu at 0, ties of max, abs at 0).
    """
    inputs = [np.asarray(x) if isinstance(x, np.generic) else x for x in inputs]
    diff = [i for i, x in enumerate(inputs) if _is_diff(x)]
    assert diff, "gradcheck needs at least one float64 numpy input"
    for i in diff:
        assert inputs[i].size <= 32, "keep gradcheck inputs small (<= 32 elements)"

    def forward(arrays):
        return _flat(kt_fn(*[to_kt(x, device) for x in arrays]))

    outs = forward(inputs)
    r = rng(seed)
    R = []
    for o in outs:
        assert o.dtype == ktensor.float64, f"float64 inputs gave a {o.dtype.name} output"
        R.append(r.standard_normal(tuple(o.shape)))

    def objective(arrays):
        return sum(float(np.sum(o.numpy() * w)) for o, w in zip(forward(arrays), R))

    # analytic: the vector-Jacobian product with R
    tensors = [to_kt(x, device) for x in inputs]
    with ktensor.GradientTape() as tape:
        for i in diff:
            tape.watch(tensors[i])
        out = _flat(kt_fn(*tensors))
    grads = tape.gradient(out, [tensors[i] for i in diff], output_gradients=[to_kt(w, device) for w in R])

    for k, i in enumerate(diff):
        x = inputs[i]
        numeric = np.zeros_like(x)
        for j in np.ndindex(*x.shape):
            xp, xm = x.copy(), x.copy()
            xp[j] += eps
            xm[j] -= eps
            numeric[j] = (objective(inputs[:i] + [xp] + inputs[i + 1:]) -
                          objective(inputs[:i] + [xm] + inputs[i + 1:])) / (2 * eps)
        g = grads[k]
        if g is None:
            analytic = np.zeros_like(x)
        else:
            assert _same_device(g.device, device), f"gradient on {g.device}, expected {device}"
            assert g.dtype == ktensor.float64, f"gradient dtype {g.dtype.name} for a float64 input"
            analytic = g.numpy()
        assert analytic.shape == x.shape, f"input {i}: gradient shape {analytic.shape} != input shape {x.shape}"
        scale = max(1.0, float(np.max(np.abs(numeric))) if numeric.size else 1.0)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol * scale,
                                   err_msg=f"gradient of input {i} differs from central differences")


def _run_on(kt_fn, inputs, device, grad, seed=99):
    """Forward on `device` (inside `ktensor.device`, so creation ops land there too) and, when asked and the
    outputs are floating, the vector-Jacobian product with fixed random weights for every float input."""
    with ktensor.device(device):
        tensors = [to_kt(x, device) for x in inputs]
        diff = [i for i, x in enumerate(inputs) if isinstance(x, np.ndarray) and x.dtype.kind == "f"] if grad else []
        with ktensor.GradientTape() as tape:
            for i in diff:
                tape.watch(tensors[i])
            outs = _flat(kt_fn(*tensors))
        grads = []
        if diff and all(o.dtype.is_floating for o in outs):
            r = rng(seed)
            ws = [to_kt(r.standard_normal(tuple(o.shape)).astype(o.dtype.name), device) for o in outs]
            grads = tape.gradient(outs, [tensors[i] for i in diff], output_gradients=ws)
    return outs, grads


def parity(kt_fn, inputs, rtol=1e-5, atol=1e-6, grad=True):
    """Runs kt_fn on the CPU and on CUDA with the same inputs; compares outputs and gradients."""
    outs_c, grads_c = _run_on(kt_fn, inputs, "cpu", grad)
    outs_g, grads_g = _run_on(kt_fn, inputs, "cuda", grad)
    assert len(outs_c) == len(outs_g)
    for c, g in zip(outs_c, outs_g):
        assert _same_device(g.device, "cuda"), f"CUDA run produced a result on {g.device}"
        assert _same_device(c.device, "cpu")
        assert c.dtype == g.dtype, f"dtype {g.dtype.name} on CUDA, {c.dtype.name} on CPU"
        assert_close(g, c.numpy(), rtol=rtol, atol=atol)
    assert len(grads_c) == len(grads_g)
    for c, g in zip(grads_c, grads_g):
        assert (c is None) == (g is None)
        if c is not None:
            assert _same_device(g.device, "cuda")
            assert_close(g, c.numpy(), rtol=rtol, atol=atol)
