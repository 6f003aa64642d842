"""keras.utils.pad_sequences and keras.utils.normalize against numpy references."""
import numpy as np
import pytest

import ktensor
from ktensor.keras import utils


def _pad_reference(seqs, maxlen, padding, truncating, value, dtype):
    """Loop-by-loop reference of Keras' padding rules for 1-d sequences."""
    if maxlen is None:
        maxlen = max((len(s) for s in seqs), default=0)
    rows = []
    for s in seqs:
        s = list(s)
        if len(s) > maxlen:
            s = s[len(s) - maxlen:] if truncating == "pre" else s[:maxlen]
        fill = [value] * (maxlen - len(s))
        rows.append(fill + s if padding == "pre" else s + fill)
    return np.array(rows, dtype=dtype).reshape(len(seqs), maxlen)


SEQS = [[1, 2, 3, 4, 5], [6], [], [7, 8, 9], list(range(10, 17))]


@pytest.mark.parametrize("maxlen", [None, 0, 1, 3, 7, 9])
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_matches_reference(maxlen, padding, truncating):
    got = utils.pad_sequences(SEQS, maxlen=maxlen, padding=padding, truncating=truncating)
    want = _pad_reference(SEQS, maxlen, padding, truncating, 0, "int32")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_pad_sequences_value_and_dtype():
    got = utils.pad_sequences([[0.5, 1.5], [2.25]], value=-1.0, dtype="float32", padding="post")
    np.testing.assert_array_equal(got, np.array([[0.5, 1.5], [2.25, -1]], np.float32))
    assert got.dtype == np.float32
    # the int32 default truncates floats, as Keras does
    np.testing.assert_array_equal(utils.pad_sequences([[1.7, 2.2]]), [[1, 2]])
    np.testing.assert_array_equal(utils.pad_sequences([[3], [1, 2]], value=9, dtype="int64"),
                                  np.array([[9, 3], [1, 2]], np.int64))


def test_pad_sequences_strings_need_object_dtype():
    got = utils.pad_sequences([["a", "bb"], ["c"]], dtype=object, value="")
    assert got.tolist() == [["a", "bb"], ["", "c"]]
    with pytest.raises(ValueError, match="dtype=object"):
        utils.pad_sequences([["a"]], value="")


def test_pad_sequences_empty_inputs():
    assert utils.pad_sequences([]).shape == (0, 0)
    np.testing.assert_array_equal(utils.pad_sequences([[], []]), np.zeros((2, 0), np.int32))
    np.testing.assert_array_equal(utils.pad_sequences([[], []], maxlen=2, value=4), [[4, 4]] * 2)
    assert utils.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_pad_sequences_keeps_the_trailing_shape_of_elements():
    seqs = [np.ones((2, 3)), np.arange(9).reshape(3, 3), np.zeros((0, 3))]
    got = utils.pad_sequences(seqs, maxlen=2, dtype="float64")
    assert got.shape == (3, 2, 3)
    np.testing.assert_array_equal(got[1], np.arange(3, 9).reshape(2, 3))
    np.testing.assert_array_equal(got[2], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_pad_sequences_accepts_arrays_and_tuples():
    got = utils.pad_sequences((np.array([1, 2, 3]), (4, 5)), maxlen=2, truncating="post")
    np.testing.assert_array_equal(got, [[1, 2], [4, 5]])


@pytest.mark.parametrize("kwargs, match", [
    ({"padding": "middle"}, "padding"), ({"truncating": "both"}, "truncating"),
    ({"maxlen": -1}, "maxlen")])
def test_pad_sequences_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.pad_sequences([[1]], **kwargs)


def test_pad_sequences_rejects_non_iterables():
    with pytest.raises(ValueError, match="iterable"):
        utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="list of sequences"):
        utils.pad_sequences(5)


# ---- normalize ----------------------------------------------------------------------------

def _normalize_reference(x, axis, order):
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 73), (4, 1, 6)])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("order", [1, 2, 3, np.inf])
def test_normalize_numpy_matches_reference(shape, axis, order):
    x = np.random.RandomState(0).randn(*shape)
    got = utils.normalize(x, axis=axis, order=order)
    np.testing.assert_allclose(got, _normalize_reference(x, axis, order), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(got, order, axis), 1.0, rtol=1e-12)


def test_normalize_zero_vectors_stay_zero_and_dtypes():
    x = np.array([[3, 4], [0, 0]])
    got = utils.normalize(x)
    np.testing.assert_array_equal(got, [[0.6, 0.8], [0, 0]])
    assert got.dtype == np.float64
    assert utils.normalize(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(utils.normalize([[1.0, 1.0]], order=1), [[0.5, 0.5]])


def test_normalize_rejects_axis_none():
    with pytest.raises(ValueError, match="axis"):
        utils.normalize(np.ones(3), axis=None)


@pytest.mark.parametrize("order", [1, 2, 3, np.inf])
def test_normalize_tensor_stays_a_tensor(order):
    x = np.random.RandomState(1).randn(4, 7).astype(np.float32)
    x[2] = 0
    got = utils.normalize(ktensor.convert_to_tensor(x), axis=-1, order=order)
    assert isinstance(got, ktensor.Tensor)
    np.testing.assert_allclose(got.numpy(), _normalize_reference(x, -1, order), rtol=1e-5,
                               atol=1e-6)
