"""The counter-based generator: reproducibility, distribution moments, independence, CPU/CUDA agreement."""
import numpy as np
import pytest

import ktensor
from helpers import cuda_only

R = ktensor.random
N = 200_000


def _draw(kind, shape, device, **kw):
    return getattr(R, kind)(shape, device=device, **kw).numpy()


@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal", "bernoulli"])
def test_set_seed_reproducible(kind, device):
    R.set_seed(1234)
    a1, a2 = _draw(kind, [5, 7], device), _draw(kind, [73], device)
    R.set_seed(1234)
    b1, b2 = _draw(kind, [5, 7], device), _draw(kind, [73], device)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    R.set_seed(1234)
    ref = _draw(kind, [200], device)
    R.set_seed(4321)
    assert not np.array_equal(_draw(kind, [200], device), ref)  # another seed, other values


@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal"])
def test_successive_draws_differ(kind, device):
    R.set_seed(7)
    a, b = _draw(kind, [1000], device), _draw(kind, [1000], device)
    assert not np.any(a == b)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


def test_per_call_seed_is_stateless(device):
    R.set_seed(1)
    a = _draw("uniform", [50], device, seed=99)
    b = _draw("uniform", [50], device)
    c = _draw("uniform", [50], device, seed=99)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (73,), (3, 1, 5)], ids=str)
def test_shapes_dtypes_devices(shape, dtype, device):
    for kind in ["uniform", "normal", "truncated_normal", "bernoulli"]:
        t = getattr(R, kind)(shape, dtype=dtype, device=device)
        assert t.shape == shape and t.dtype == dtype and t.device.split(":")[0] == device
    with ktensor.device(device):
        assert R.uniform(shape).device.split(":")[0] == device


def test_uniform_moments(device):
    R.set_seed(11)
    lo, hi = -2.0, 3.0
    x = _draw("uniform", [N], device, minval=lo, maxval=hi).astype(np.float64)
    assert x.min() >= lo and x.max() < hi
    var = (hi - lo) ** 2 / 12
    assert abs(x.mean() - (lo + hi) / 2) < 5 * np.sqrt(var / N)
    assert abs(x.var() - var) < 0.02 * var
    hist, _ = np.histogram(x, bins=10, range=(lo, hi))  # flat
    assert np.all(np.abs(hist - N / 10) < 5 * np.sqrt(N / 10))


def test_normal_moments(device):
    R.set_seed(12)
    x = _draw("normal", [N], device, mean=1.0, stddev=2.0, dtype="float64")
    assert abs(x.mean() - 1.0) < 5 * 2.0 / np.sqrt(N)
    assert abs(x.std() - 2.0) < 0.02
    z = (x - 1.0) / 2.0
    assert abs(np.mean(z ** 3)) < 0.05 and abs(np.mean(z ** 4) - 3.0) < 0.1  # symmetric, normal tails
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01


def test_truncated_normal_bounds_and_moments(device):
    R.set_seed(13)
    mean, std = -1.0, 0.5
    x = _draw("truncated_normal", [N], device, mean=mean, stddev=std).astype(np.float64)
    assert x.min() >= mean - 2 * std - 1e-6 and x.max() <= mean + 2 * std + 1e-6
    assert abs(x.mean() - mean) < 5 * std / np.sqrt(N)
    assert abs(x.std() - 0.8796 * std) < 0.01 * std  # std of a normal truncated at 2 sigma


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_bernoulli_rate(p, device):
    R.set_seed(14)
    x = _draw("bernoulli", [N], device, p=p)
    assert set(np.unique(x)).issubset({0.0, 1.0})
    assert abs(x.mean() - p) < 5 * np.sqrt(max(p * (1 - p), 1e-12) / N) + 1e-12


def test_bernoulli_is_uniform_below_p(device):
    # A Bernoulli draw is exactly (the uniform draw of the same seed) < p, also for p equal to
    # a drawn value or one ulp beside it (the CPU kernel compares integers, not doubles).
    u = _draw("uniform", [5003], device, seed=21, dtype="float64")
    for p in (0.0, 1.0, 1 / 3, 0.75, u[5], np.nextafter(u[5], 0), np.nextafter(u[5], 1)):
        for dtype in ("float32", "float64"):
            b = _draw("bernoulli", [5003], device, p=float(p), seed=21, dtype=dtype)
            np.testing.assert_array_equal(b, (u < p).astype(dtype), err_msg=f"p={p!r} {dtype}")


def test_draws_are_independent(device):
    R.set_seed(15)
    x = _draw("uniform", [N], device).astype(np.float64) - 0.5
    for lag in (1, 2, 4, 7):
        assert abs(np.mean(x[:-lag] * x[lag:])) / np.var(x) < 5 / np.sqrt(N)
    m = _draw("normal", [1000, 50], device)
    c = np.corrcoef(m.T)
    assert np.max(np.abs(c - np.eye(50))) < 0.2  # columns of one draw are uncorrelated


def test_shuffle_seed_deterministic():
    R.set_seed(5)
    a = [R.shuffle_seed() for _ in range(3)]
    R.set_seed(5)
    assert [R.shuffle_seed() for _ in range(3)] == a
    assert len(set(a)) == 3


@cuda_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_draws_on_cpu_and_cuda(dtype):
    draws = {}
    for dev in ("cpu", "cuda"):
        R.set_seed(2024)
        draws[dev] = {k: getattr(R, k)([1000, 7], dtype=dtype, device=dev).numpy()
                      for k in ("uniform", "bernoulli", "normal", "truncated_normal")}
    c, g = draws["cpu"], draws["cuda"]
    np.testing.assert_array_equal(c["uniform"], g["uniform"])  # bitwise
    np.testing.assert_array_equal(c["bernoulli"], g["bernoulli"])
    np.testing.assert_array_max_ulp(c["normal"], g["normal"], maxulp=1)
    np.testing.assert_array_max_ulp(c["truncated_normal"], g["truncated_normal"], maxulp=1)
