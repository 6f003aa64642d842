import numpy as np
import pytest

import ktensor as kt
from ktensor.keras import backend as K


def test_settings():
    assert K.floatx() == "float32" and K.epsilon() == 1e-7 and K.image_data_format() == "channels_last"
    K.set_floatx("float64")
    try:
        assert K.variable([1.0]).dtype == kt.float64
    finally:
        K.set_floatx("float32")
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("float16x")


def test_math_functions():
    a = np.arange(6, dtype="float32").reshape(2, 3) + 1
    t = K.constant(a)
    np.testing.assert_allclose(K.eval(K.sum(t, axis=1)), a.sum(1))
    np.testing.assert_allclose(K.eval(K.mean(t)), a.mean())
    np.testing.assert_allclose(K.eval(K.max(t, axis=0, keepdims=True)), a.max(0, keepdims=True))
    np.testing.assert_allclose(K.eval(K.min(t)), a.min())
    np.testing.assert_allclose(K.eval(K.sqrt(K.square(t))), a, rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.log(K.exp(t))), a, rtol=1e-5)
    np.testing.assert_allclose(K.eval(K.abs(-t)), a)
    np.testing.assert_allclose(K.eval(K.dot(t, K.transpose(t))), a @ a.T)
    b = np.ones((4, 2, 3), "float32")
    np.testing.assert_allclose(K.eval(K.dot(K.constant(b), K.constant(a.T))), b @ a.T)
    np.testing.assert_allclose(K.eval(K.reshape(t, (3, 2))), a.reshape(3, 2))
    np.testing.assert_allclose(K.eval(K.concatenate([t, t], axis=0)), np.concatenate([a, a]))
    assert K.dtype(K.cast(t, "int32")) == "int32"
    assert K.int_shape(t) == (2, 3) and K.ndim(t) == 2
    np.testing.assert_array_equal(K.eval(K.shape(t)), [2, 3])
    np.testing.assert_array_equal(K.eval(K.zeros((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(K.eval(K.ones((3,))), np.ones(3))


def test_gradients_after_the_forward_pass():
    w = K.variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = K.variable(np.array([0.5, -0.5]))
    unused = K.variable(np.ones(3))
    x = K.constant([[1.0, 2.0]])
    loss = K.sum(K.square(K.dot(x, w) + b))
    gw, gb, gu = K.gradients(loss, [w, b, unused])
    y = np.array([[1.0, 2.0]]) @ np.array([[1.0, 2.0], [3.0, 4.0]]) + np.array([0.5, -0.5])
    np.testing.assert_allclose(K.eval(gw), np.array([[1.0], [2.0]]) @ (2 * y), rtol=1e-6)
    np.testing.assert_allclose(K.eval(gb), 2 * y[0], rtol=1e-6)
    assert gu is None


def test_variable_helpers_and_clear_session():
    v = K.variable(np.zeros(2))
    K.set_value(v, [1.0, 2.0])
    np.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])
    from ktensor import keras
    keras.layers.Dense(1)
    K.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_gradients_of_one_variable_is_a_list_like_tensorflow():
    x = K.variable(3.0)
    grads = K.gradients(K.square(x) + 2 * x, x)
    assert isinstance(grads, list) and len(grads) == 1
    np.testing.assert_allclose(K.eval(grads), [8.0])
