"""Fused cross-entropy losses (ktensor.nn.*_cross_entropy_with_logits) against numpy, forward and backward."""
import numpy as np
import pytest

import ktensor
from helpers import check_op, gradcheck, rng, to_kt


def _log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _probs(shape, seed, axis=-1):
    p = rng(seed).uniform(0.0, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


def _softmax_xent(labels, logits, axis=-1):
    return -(labels.astype(np.float64) * _log_softmax(logits.astype(np.float64), axis)).sum(axis=axis)


def _sparse_xent(labels, logits):
    lsm = _log_softmax(logits.astype(np.float64))
    return -np.take_along_axis(lsm, labels[..., None].astype(np.int64), axis=-1)[..., 0]


def _sigmoid_xent(labels, logits):
    x, z = logits.astype(np.float64), labels.astype(np.float64)
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


SHAPES = [(4, 7), (1, 73), (2, 3, 5), (7,), (5, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_softmax_cross_entropy(shape, dtype, device):
    logits = (rng(1).standard_normal(shape) * 3).astype(dtype)
    labels = _probs(shape, 2).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(lambda z, x: ktensor.nn.softmax_cross_entropy_with_logits(labels=z, logits=x),
             lambda z, x: _softmax_xent(z, x).astype(dtype), [labels, logits], device, rtol=tol, atol=tol)


@pytest.mark.parametrize("axis", [0, 1])
def test_softmax_cross_entropy_axis(axis, device):
    logits = rng(3).standard_normal((4, 6, 3)).astype(np.float32)
    labels = _probs((4, 6, 3), 4, axis=axis).astype(np.float32)
    check_op(lambda z, x: ktensor.nn.softmax_cross_entropy_with_logits(labels=z, logits=x, axis=axis),
             lambda z, x: _softmax_xent(z, x, axis).astype(np.float32), [labels, logits], device, rtol=2e-6,
             atol=2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sparse_softmax_cross_entropy(shape, label_dtype, dtype, device):
    logits = (rng(5).standard_normal(shape) * 3).astype(dtype)
    labels = rng(6).integers(0, shape[-1], shape[:-1]).astype(label_dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(lambda z, x: ktensor.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x),
             lambda z, x: _sparse_xent(z, x).astype(dtype), [labels, logits], device, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sz,sx", [((7,), (7,)), ((3, 1, 5), (3, 1, 5)), ((), ()), ((73,), (73,)),
                                   ((5, 1), (5, 4))])
def test_sigmoid_cross_entropy(sz, sx, dtype, device):
    logits = (rng(7).standard_normal(sx) * 4).astype(dtype)
    labels = rng(8).uniform(0, 1, sz).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(lambda z, x: ktensor.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
             lambda z, x: _sigmoid_xent(z, x).astype(dtype), [labels, logits], device, rtol=tol, atol=tol)


def test_losses_extreme_logits_are_finite(device):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], np.float32)
    labels = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], np.float32)
    sparse = np.array([1, 2], np.int32)
    check_op(lambda z, x: ktensor.nn.softmax_cross_entropy_with_logits(z, x),
             lambda z, x: _softmax_xent(z, x).astype(np.float32), [labels, logits], device, rtol=1e-6)
    check_op(lambda z, x: ktensor.nn.sparse_softmax_cross_entropy_with_logits(z, x),
             lambda z, x: _sparse_xent(z, x).astype(np.float32), [sparse, logits], device, rtol=1e-6)
    check_op(lambda z, x: ktensor.nn.sigmoid_cross_entropy_with_logits(z, x),
             lambda z, x: _sigmoid_xent(z, x).astype(np.float32), [labels, logits], device, rtol=1e-6)


def test_l2_loss(device):
    x = rng(9).standard_normal((3, 4)).astype(np.float32)
    check_op(ktensor.nn.l2_loss, lambda a: (0.5 * np.sum(a.astype(np.float64) ** 2)).astype(np.float32), [x], device,
             rtol=1e-6)


# ---------------------------------------------------------------- gradients ----
# Labels are float32 here so only the logits are perturbed (the loss casts them to the logits' dtype).
@pytest.mark.parametrize("shape", [(3, 4), (2, 2, 3), (5,)], ids=str)
def test_softmax_cross_entropy_grad(shape, device):
    logits, labels = rng(10).standard_normal(shape) * 2, _probs(shape, 11).astype(np.float32)
    gradcheck(lambda x, z: ktensor.nn.softmax_cross_entropy_with_logits(labels=z, logits=x), [logits, labels],
              device)


def test_softmax_cross_entropy_grad_axis0(device):
    logits, labels = rng(12).standard_normal((4, 3)), _probs((4, 3), 13, axis=0).astype(np.float32)
    gradcheck(lambda x, z: ktensor.nn.softmax_cross_entropy_with_logits(labels=z, logits=x, axis=0),
              [logits, labels], device)


@pytest.mark.parametrize("shape", [(3, 4), (2, 2, 3), (5,)], ids=str)
def test_sparse_softmax_cross_entropy_grad(shape, device):
    logits = rng(14).standard_normal(shape) * 2
    labels = rng(15).integers(0, shape[-1], shape[:-1]).astype(np.int64)
    gradcheck(lambda x, z: ktensor.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x),
              [logits, labels], device)


@pytest.mark.parametrize("sz,sx", [((3, 4), (3, 4)), ((3, 1), (3, 4)), ((), ())])
def test_sigmoid_cross_entropy_grad(sz, sx, device):
    logits, labels = rng(16).standard_normal(sx) * 3, rng(17).uniform(0, 1, sz).astype(np.float32)
    gradcheck(lambda x, z: ktensor.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x), [logits, labels],
              device)


def test_losses_grad_through_views(device):
    logits = rng(18).standard_normal((4, 3))
    labels = np.array([2, 0, 1], np.int32)
    gradcheck(lambda x: ktensor.nn.sparse_softmax_cross_entropy_with_logits(labels, ktensor.transpose(x)),
              [logits], device)
    gradcheck(lambda x: ktensor.nn.sigmoid_cross_entropy_with_logits(np.float32(1.0), x[::2]), [logits], device)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"])
def test_cross_entropy_grad_wrt_labels(loss, device):
    logits = to_kt(rng(19).standard_normal((3, 4)), device)  # fixed: only the labels are perturbed
    gradcheck(lambda z: getattr(ktensor.nn, loss)(labels=z, logits=logits), [_probs((3, 4), 20)], device)
