"""Shape ops and data movement against numpy: reshape, transpose, slicing, concat, gather, pad, tile, ..."""
import numpy as np
import pytest

import ktensor
from helpers import check_op, gradcheck, rng

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]


def _arr(shape, dtype=np.float32, seed=0):
    r = rng(seed)
    if np.dtype(dtype) == np.bool_:
        return r.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind == "i":
        return r.integers(-50, 50, shape).astype(dtype)
    return r.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- reshape & friends ----
RESHAPES = [((12,), (3, 4)), ((12,), (-1, 2)), ((2, 3, 4), (4, -1)), ((2, 3, 4), (2, -1, 3)), ((1,), ()),
            ((), (1, 1)), ((73,), (1, 73, 1)), ((3, 1, 5), (-1,)), ((2, 0, 3), (0, 6)), ((2, 0, 3), (-1, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("src,dst", RESHAPES, ids=[f"{a}->{b}" for a, b in RESHAPES])
def test_reshape(src, dst, dtype, device):
    x = _arr(src, dtype)
    check_op(lambda t: ktensor.reshape(t, dst), lambda a: a.reshape(dst), [x], device)


def test_reshape_non_contiguous_and_method(device):
    x = _arr((4, 6))
    check_op(lambda t: ktensor.reshape(ktensor.transpose(t), [3, 8]), lambda a: a.T.reshape(3, 8), [x], device)
    check_op(lambda t: ktensor.reshape(t[:, ::2], [-1]), lambda a: a[:, ::2].reshape(-1), [x], device)
    check_op(lambda t: t.reshape(2, 12), lambda a: a.reshape(2, 12), [x], device)
    check_op(lambda t: t.reshape((8, 3)), lambda a: a.reshape(8, 3), [x], device)
    check_op(lambda t: ktensor.reshape(t, ktensor.constant([3, -1])), lambda a: a.reshape(3, -1), [x], device)


@pytest.mark.parametrize("shape,perm", [((3, 4), None), ((3, 4), [1, 0]), ((2, 3, 4), [2, 0, 1]),
                                        ((2, 3, 4), None), ((2, 3, 4), [0, -1, 1]), ((7,), [0]), ((), None),
                                        ((1, 73, 1, 2), [3, 1, 0, 2])])
def test_transpose(shape, perm, device):
    x = _arr(shape)
    check_op(lambda t: ktensor.transpose(t, perm), lambda a: np.transpose(a, None if perm is None else
                                                                           [p % a.ndim for p in perm]), [x], device)


def test_transpose_property_and_int(device):
    x = _arr((3, 5), np.int32)
    check_op(lambda t: t.T, lambda a: a.T, [x], device)
    check_op(lambda t: t.transpose(), lambda a: a.T, [x], device)
    check_op(lambda t: ktensor.transpose(ktensor.transpose(t)), lambda a: a, [x], device)


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), 1), ((3, 4), 2), ((3, 4), -1), ((3, 4), -3),
                                        ((), 0), ((7,), -1)])
def test_expand_dims(shape, axis, device):
    x = _arr(shape)
    check_op(lambda t: ktensor.expand_dims(t, axis), lambda a: np.expand_dims(a, axis), [x], device)


@pytest.mark.parametrize("shape,axis", [((1, 3, 1, 5), None), ((1, 3, 1, 5), 0), ((1, 3, 1, 5), 2),
                                        ((1, 3, 1, 5), -2), ((1, 3, 1, 5), [0, 2]), ((1,), None), ((1, 1), 1)])
def test_squeeze(shape, axis, device):
    x = _arr(shape)
    check_op(lambda t: ktensor.squeeze(t, axis), lambda a: np.squeeze(a, None if axis is None else tuple(
        axis) if isinstance(axis, list) else axis), [x], device)


@pytest.mark.parametrize("src,dst", [((3, 1), (2, 3, 4)), ((), (3,)), ((1,), (7,)), ((4, 1, 3), (4, 5, 3)),
                                     ((5, 3), (4, 5, 3)), ((1, 1), (0, 4)), ((2,), (2,))])
def test_broadcast_to(src, dst, device):
    x = _arr(src)
    check_op(lambda t: ktensor.broadcast_to(t, dst), lambda a: np.broadcast_to(a, dst), [x], device)


# ---------------------------------------------------------------- indexing ----
KEYS = [
    1, -1, slice(1, 5, 2), slice(None, None, -1), slice(None, None, -2), slice(-3, -1), slice(5, 2),
    slice(10, 20), (Ellipsis, 1), (slice(None), None), (None,), (None, Ellipsis, 1), (1, slice(None, None, 2), -1),
    (Ellipsis, slice(None, None, 3)), (slice(-2, None), slice(None), slice(1, -1)), (0, 0, 0), (-1, 2),
    (slice(None, None, -3), Ellipsis, slice(4, None, -2)), Ellipsis,
]


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_basic(key, dtype, device):
    x = _arr((6, 5, 7), dtype)
    check_op(lambda t: t[key], lambda a: a[key], [x], device)


def test_getitem_on_views(device):
    x = _arr((6, 8))
    check_op(lambda t: ktensor.transpose(t)[::2, 1:-1], lambda a: a.T[::2, 1:-1], [x], device)
    check_op(lambda t: t[::-1][1::3, ::-2], lambda a: a[::-1][1::3, ::-2], [x], device)
    check_op(lambda t: t[2], lambda a: a[2], [_arr((73,))], device)
    check_op(lambda t: t[()], lambda a: a[()], [_arr(())], device)


def test_getitem_advanced(device):
    x = _arr((5, 6))
    idx = np.array([4, 0, 2, 2], np.int64)
    check_op(lambda t: t[ktensor.constant(idx)], lambda a: a[idx], [x], device)
    check_op(lambda t: t[:, [1, 3]], lambda a: a[:, [1, 3]], [x], device)
    check_op(lambda t: t[t > 0.5], lambda a: a[a > 0.5], [x], device)
    mask = np.array([True, False, True, True, False])
    check_op(lambda t: ktensor.boolean_mask(t, ktensor.constant(mask)), lambda a: a[mask], [x], device)


# ---------------------------------------------------------------- concat / stack / split ----
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 7)], 1), ([(2, 3), (2, 5)], -1), ([(1,), (73,), (7,)], 0),
    ([(3, 1, 5), (3, 2, 5)], 1), ([(2, 0), (2, 3)], 1), ([(4, 3)], 0), ([(2, 3, 4), (2, 3, 1)], 2),
])
def test_concat(shapes, axis, dtype, device):
    xs = [_arr(s, dtype, i) for i, s in enumerate(shapes)]
    check_op(lambda *ts: ktensor.concat(list(ts), axis=axis), lambda *a: np.concatenate(a, axis=axis), xs, device)


def test_concat_views(device):
    x = _arr((4, 6))
    check_op(lambda t: ktensor.concat([ktensor.transpose(t), t[::2].T, t[:, ::-1].T], axis=1),
             lambda a: np.concatenate([a.T, a[::2].T, a[:, ::-1].T], axis=1), [x], device)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack(axis, device):
    xs = [_arr((3, 4), np.float32, i) for i in range(3)]
    check_op(lambda *ts: ktensor.stack(list(ts), axis=axis), lambda *a: np.stack(a, axis=axis), xs, device)


def test_stack_scalars_and_ints(device):
    xs = [np.array(i, np.int32) for i in range(4)]
    check_op(lambda *ts: ktensor.stack(list(ts)), lambda *a: np.stack(a), xs, device)


@pytest.mark.parametrize("shape,split,axis", [((6, 4), 3, 0), ((6, 4), 2, 1), ((7, 3), [2, 4, 1], 0),
                                              ((3, 7), [2, -1, 1], 1), ((5, 4), [5], 0), ((2, 73), 1, -1),
                                              ((4, 6), [0, 6], 1)])
def test_split(shape, split, axis, device):
    x = _arr(shape)
    if isinstance(split, int):
        ref = lambda a: np.split(a, split, axis=axis)  # noqa: E731
    else:
        sizes = list(split)
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
        ref = lambda a: np.split(a, np.cumsum(sizes)[:-1], axis=axis)  # noqa: E731
    check_op(lambda t: ktensor.split(t, split, axis=axis), ref, [x], device)


def test_unstack(device):
    x = _arr((3, 4, 2))
    check_op(lambda t: ktensor.unstack(t), lambda a: list(a), [x], device)
    check_op(lambda t: ktensor.unstack(t, axis=1), lambda a: [a[:, i] for i in range(4)], [x], device)
    check_op(lambda t: ktensor.unstack(t, axis=-1), lambda a: [a[..., i] for i in range(2)], [x], device)


# ---------------------------------------------------------------- gather / one_hot ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (), (1,)], ids=str)
def test_gather(idx_shape, axis, idx_dtype, dtype, device):
    x = _arr((4, 5, 3), dtype)
    idx = rng(1).integers(0, x.shape[axis], idx_shape).astype(idx_dtype)  # with repeats
    check_op(lambda t, i: ktensor.gather(t, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), [x, idx], device)


def test_gather_odd_and_views(device):
    x = _arr((73, 7))
    idx = np.array([72, 0, 36, 72], np.int32)
    check_op(lambda t, i: ktensor.gather(t, i), lambda a, i: a[i], [x, idx], device)
    check_op(lambda t, i: ktensor.gather(ktensor.transpose(t), i[:2] % 7, axis=1),
             lambda a, i: a.T[:, i[:2] % 7], [x, idx], device)
    check_op(lambda t: ktensor.gather(t, [1, 1, 0], axis=1), lambda a: a[:, [1, 1, 0]], [x], device)


@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (), (0,)], ids=str)
@pytest.mark.parametrize("depth", [1, 3, 10])
def test_one_hot(idx_shape, depth, device):
    idx = rng(2).integers(0, depth, idx_shape).astype(np.int32)
    check_op(lambda i: ktensor.one_hot(i, depth), lambda i: np.eye(depth, dtype=np.float32)[i], [idx], device)


def test_one_hot_options(device):
    idx = np.array([[0, 2], [1, 3]], np.int64)
    ref = np.eye(4, dtype=np.float32)[idx]
    check_op(lambda i: ktensor.one_hot(i, 4, on_value=5.0, off_value=-1.0),
             lambda i: np.where(ref > 0, 5.0, -1.0).astype(np.float32), [idx], device)
    check_op(lambda i: ktensor.one_hot(i, 4, axis=0), lambda i: np.moveaxis(ref, -1, 0), [idx], device)
    check_op(lambda i: ktensor.one_hot(i, 4, axis=1), lambda i: np.moveaxis(ref, -1, 1), [idx], device)
    check_op(lambda i: ktensor.one_hot(i, 4, dtype="int32"), lambda i: ref.astype(np.int32), [idx], device)
    # out-of-range and negative indices give an all-off row (TensorFlow)
    bad = np.array([0, -1, 4, 9], np.int32)
    check_op(lambda i: ktensor.one_hot(i, 4), lambda i: np.array([[1, 0, 0, 0]] + [[0] * 4] * 3, np.float32), [bad],
             device)


# ---------------------------------------------------------------- pad / tile ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("shape,pads", [((3,), [(1, 2)]), ((2, 3), [(0, 0), (2, 1)]), ((2, 3), [(1, 1), (0, 0)]),
                                        ((2, 1, 3), [(1, 0), (0, 2), (3, 1)]), ((1,), [(0, 0)]),
                                        ((0, 2), [(1, 1), (1, 0)])])
def test_pad(shape, pads, dtype, device):
    x = _arr(shape, dtype)
    check_op(lambda t: ktensor.pad(t, pads), lambda a: np.pad(a, pads), [x], device)


def test_pad_constant_and_views(device):
    x = _arr((3, 4))
    check_op(lambda t: ktensor.pad(t, [[1, 0], [2, 2]], constant_values=-3.5),
             lambda a: np.pad(a, [(1, 0), (2, 2)], constant_values=-3.5), [x], device)
    check_op(lambda t: ktensor.pad(ktensor.transpose(t), [[1, 2], [0, 1]]), lambda a: np.pad(a.T, [(1, 2), (0, 1)]),
             [x], device)
    check_op(lambda t: ktensor.pad(t, ktensor.constant([[0, 1], [1, 0]])), lambda a: np.pad(a, [(0, 1), (1, 0)]),
             [x], device)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
@pytest.mark.parametrize("shape,reps", [((3,), [2]), ((2, 3), [1, 1]), ((2, 3), [3, 2]), ((1, 3, 1), [2, 1, 4]),
                                        ((2, 2), [0, 2]), ((), [])])
def test_tile(shape, reps, dtype, device):
    x = _arr(shape, dtype)
    check_op(lambda t: ktensor.tile(t, reps), lambda a: np.tile(a, reps), [x], device)


def test_identity_flatten_shape_rank_size(device):
    x = _arr((3, 4, 5))
    check_op(ktensor.identity, lambda a: a, [x], device)
    check_op(ktensor.flatten, lambda a: a.reshape(3, -1), [x], device)
    check_op(ktensor.shape, lambda a: np.array(a.shape, np.int32), [x], device, check_dtype=False)
    with ktensor.device(device):
        t = ktensor.constant(x)
    assert ktensor.rank(t) == 3 and ktensor.size(t) == 60
    assert t.shape == (3, 4, 5) and t.shape.as_list() == [3, 4, 5] and t.shape.rank == 3
    assert t.ndim == 3 and t.size == 60 and len(t) == 3


# ---------------------------------------------------------------- gradients ----
def g64(shape, seed=0):
    return rng(seed).standard_normal(shape)


def test_reshape_transpose_grads(device):
    x = g64((2, 3, 4))
    gradcheck(lambda t: ktensor.reshape(t, [4, -1]), [x], device)
    gradcheck(lambda t: ktensor.transpose(t, [2, 0, 1]), [x], device)
    gradcheck(lambda t: ktensor.transpose(t), [x], device)
    gradcheck(lambda t: ktensor.reshape(ktensor.transpose(t, [1, 0, 2]), [6, 4]), [x], device)
    gradcheck(lambda t: ktensor.expand_dims(t, 1), [x], device)
    gradcheck(lambda t: ktensor.squeeze(t, 1), [g64((3, 1, 2))], device)
    gradcheck(ktensor.flatten, [x], device)
    gradcheck(ktensor.identity, [x], device)


@pytest.mark.parametrize("src,dst", [((3, 1), (2, 3, 4)), ((), (3,)), ((4, 1, 3), (4, 2, 3))])
def test_broadcast_to_grad(src, dst, device):
    gradcheck(lambda t: ktensor.broadcast_to(t, dst), [g64(src)], device)


@pytest.mark.parametrize("key", [1, -1, slice(1, 3), slice(None, None, -1), (slice(None), slice(0, 4, 2)),
                                 (Ellipsis, -1), (None, 1, slice(None, None, -2)), (slice(-2, None), 2),
                                 (slice(3, 1),)], ids=repr)
def test_getitem_grad(key, device):
    gradcheck(lambda t: t[key], [g64((3, 5))], device)


def test_getitem_grad_on_views_and_advanced(device):
    x = g64((4, 5))
    gradcheck(lambda t: ktensor.transpose(t)[1::2, ::-1], [x], device)
    gradcheck(lambda t: t[::2][:, 1:4][::-1], [x], device)
    gradcheck(lambda t: t[[3, 0, 3]], [x], device)
    gradcheck(lambda t: t[:, [4, 4, 1]], [x], device)
    mask = np.array([True, False, True, False, True])
    gradcheck(lambda t: ktensor.boolean_mask(t, ktensor.constant(mask), axis=1), [x], device)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_stack_grad(axis, device):
    a, b, c = g64((2, 3), 1), g64((2, 3), 2), g64((2, 3), 3)
    gradcheck(lambda x, y, z: ktensor.concat([x, y, z], axis=axis), [a, b, c], device)
    gradcheck(lambda x, y, z: ktensor.stack([x, y, z], axis=axis), [a, b, c], device)
    gradcheck(lambda x, y: ktensor.concat([x, ktensor.transpose(y)], axis=0), [g64((2, 2)), g64((2, 3))], device)
    gradcheck(lambda x, y: ktensor.concat([x, y], axis=1), [g64((2, 1)), g64((2, 4))], device)


def test_concat_same_tensor_twice_grad(device):
    gradcheck(lambda x: ktensor.concat([x, x, x[::-1]], axis=0), [g64((2, 3))], device)


def test_split_unstack_grad(device):
    x = g64((6, 4))
    gradcheck(lambda t: ktensor.split(t, 3), [x], device)
    gradcheck(lambda t: ktensor.split(t, [1, -1, 2], axis=1), [x], device)
    gradcheck(lambda t: ktensor.split(t, 2)[1], [x], device)
    gradcheck(lambda t: ktensor.unstack(t, axis=1), [x], device)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gather_grad(axis, device):
    x = g64((3, 4, 2))
    idx = np.array([[0, 2, 0], [1, 1, 1]], np.int64) % x.shape[axis]  # repeats accumulate
    gradcheck(lambda t, i: ktensor.gather(t, i, axis=axis), [x, idx], device)
    gradcheck(lambda t: ktensor.gather(t, np.array([1, 0, 1], np.int32) % x.shape[axis], axis=axis), [x], device)


def test_pad_tile_grad(device):
    x = g64((2, 3))
    gradcheck(lambda t: ktensor.pad(t, [[1, 2], [0, 1]]), [x], device)
    gradcheck(lambda t: ktensor.pad(t, [[0, 0], [2, 0]], constant_values=1.5), [x], device)
    gradcheck(lambda t: ktensor.pad(ktensor.transpose(t), [[1, 0], [1, 1]]), [x], device)
    gradcheck(lambda t: ktensor.tile(t, [2, 3]), [x], device)
    gradcheck(lambda t: ktensor.tile(t, [1, 2]), [g64((3, 1, 2))[:, 0]], device)
