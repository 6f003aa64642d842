"""GradientTape semantics (TensorFlow 2): sources, persistence, watching, stop_gradient, unconnected grads."""
import numpy as np
import pytest

import ktensor


def _const(x, device, dtype=None):
    with ktensor.device(device):
        return ktensor.constant(x, dtype=dtype)


def _var(x, device, **kw):
    with ktensor.device(device):
        return ktensor.Variable(x, **kw)


def test_variables_are_tracked(device):
    w = _var([1.0, 2.0, 3.0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(w * w)
    g = tape.gradient(y, w)
    assert g.device.split(":")[0] == device
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0, 6.0])


def test_list_tuple_dict_sources(device):
    a, b, c = _var(2.0, device), _var([1.0, -1.0], device), _var([[3.0]], device)
    with ktensor.GradientTape(persistent=True) as tape:
        y = a * ktensor.reduce_sum(b) + ktensor.reduce_sum(c) * 3.0 + a * a
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(ga.numpy(), 4.0)
    np.testing.assert_allclose(gb.numpy(), [2.0, 2.0])
    gt = tape.gradient(y, (a, c))
    assert isinstance(gt, tuple) and gt[1].shape == (1, 1)
    gd = tape.gradient(y, {"a": a, "nested": [b, {"c": c}]})
    assert set(gd) == {"a", "nested"}
    np.testing.assert_allclose(gd["nested"][1]["c"].numpy(), [[3.0]])
    np.testing.assert_allclose(gd["a"].numpy(), 4.0)


def test_persistent_tape(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape(persistent=True) as tape:
        y = ktensor.reduce_sum(x * x)
        z = ktensor.reduce_sum(x * 3.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [3.0, 3.0])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_non_persistent_tape_second_call_raises(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(x * x)
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_watch_constants(device):
    x = _const([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(ktensor.exp(x))
    assert tape.gradient(y, x) is None  # constants are not watched by default

    x = _const([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        tape.watch(x)
        y = ktensor.reduce_sum(ktensor.exp(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.exp([1.0, 2.0]), rtol=1e-6)

    p, q = _const(2.0, device), _const(3.0, device)
    with ktensor.GradientTape() as tape:
        tape.watch([p, {"q": q}])
        y = p * q
    gp, gq = tape.gradient(y, [p, q])
    assert float(gp) == 3.0 and float(gq) == 2.0


def test_watch_accessed_variables_false(device):
    a, b = _var(2.0, device), _var(3.0, device)
    with ktensor.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 3.0 and gb is None
    assert any(t is a for t in tape.watched_variables())


def test_non_trainable_variable(device):
    v = _var([1.0, 2.0], device, trainable=False)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(v * 2.0)
    assert tape.gradient(y, v) is None


def test_stop_gradient(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(ktensor.stop_gradient(x * x) + x * 3.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 3.0])
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(ktensor.stop_gradient(x))
    assert tape.gradient(y, x) is None


def test_unconnected_gradients(device):
    x, unused = _var([1.0, 2.0], device), _var(np.zeros((2, 3)), device)
    with ktensor.GradientTape(persistent=True) as tape:
        y = ktensor.reduce_sum(x * 2.0)
    gx, gu = tape.gradient(y, [x, unused])
    assert gx is not None and gu is None
    gx, gu = tape.gradient(y, [x, unused], unconnected_gradients="zero")
    assert gu.shape == (2, 3) and gu.dtype == ktensor.float64
    assert gu.device.split(":")[0] == device
    np.testing.assert_array_equal(gu.numpy(), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        tape.gradient(y, x, unconnected_gradients="bogus")


def test_gradient_accumulation(device):
    x = _var(3.0, device)
    with ktensor.GradientTape() as tape:
        y = x * x + x * 2.0 + ktensor.sin(x)  # x used in several places
    np.testing.assert_allclose(float(tape.gradient(y, x)), 2 * 3.0 + 2.0 + np.cos(3.0), rtol=1e-6)

    w = _var([[1.0, 2.0], [3.0, 4.0]], device)
    with ktensor.GradientTape() as tape:
        h = ktensor.matmul(w, w)  # the same tensor as both operands
        y = ktensor.reduce_sum(h) + ktensor.reduce_sum(w[0])
    wn = w.numpy()
    expected = np.ones((2, 2)) @ wn.T + wn.T @ np.ones((2, 2)) + np.array([[1, 1], [0, 0]])
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), expected, rtol=1e-6)


def test_diamond_graph(device):
    x = _var(0.5, device)
    with ktensor.GradientTape() as tape:
        a = ktensor.exp(x)
        b = a * 2.0
        c = a * a
        y = b + c  # a reaches y twice
    ex = np.exp(0.5)
    np.testing.assert_allclose(float(tape.gradient(y, x)), 2 * ex + 2 * ex * ex, rtol=1e-6)


def test_multiple_targets_sum(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y1 = ktensor.reduce_sum(x * 2.0)
        y2 = ktensor.reduce_sum(x * x)
    np.testing.assert_allclose(tape.gradient([y1, y2], x).numpy(), [4.0, 6.0])


def test_non_scalar_target_uses_ones(device):
    x = _var([1.0, 2.0, 3.0], device)
    with ktensor.GradientTape() as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_output_gradients(device):
    x = _var([1.0, 2.0, 3.0], device)
    with ktensor.GradientTape(persistent=True) as tape:
        y = x * x
        z = x * 3.0
    g = tape.gradient(y, x, output_gradients=_const([1.0, 0.5, -1.0], device))
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0, -6.0])
    g = tape.gradient([y, z], x, output_gradients=[_const([1.0, 1.0, 1.0], device), _const([0.0, 1.0, 2.0], device)])
    np.testing.assert_allclose(g.numpy(), [2.0, 7.0, 12.0])
    g = tape.gradient(y, x, output_gradients=np.array([2.0, 2.0, 2.0], np.float32))
    np.testing.assert_allclose(g.numpy(), [4.0, 8.0, 12.0])
    with pytest.raises(ValueError):
        tape.gradient([y, z], x, output_gradients=[_const([1.0, 1.0, 1.0], device)])


def test_gradient_wrt_intermediate(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        h = x * 3.0
        y = ktensor.reduce_sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_ops_outside_tape_are_not_recorded(device):
    x = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y = x * 2.0
    z = ktensor.reduce_sum(y * y)  # after the block
    assert z._node is None
    with ktensor.GradientTape() as tape:
        y = x * 2.0
        with tape.stop_recording():
            w = y * 5.0
        z = ktensor.reduce_sum(y)
    assert w._node is None
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [2.0, 2.0])


def test_nested_tapes(device):
    x = _var(2.0, device)
    with ktensor.GradientTape() as outer:
        with ktensor.GradientTape() as inner:
            y = x * x * x
        g = inner.gradient(y, x)
        z = y * 1.0
    assert float(g) == 12.0
    assert float(outer.gradient(z, x)) == 12.0


def test_integer_and_device_of_gradients(device):
    x = _var(np.array([1.0, 2.0]), device)
    idx = _const([1, 1, 0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(ktensor.gather(x, idx) * 1.5)
    g = tape.gradient(y, [x, idx])
    assert g[1] is None
    assert g[0].dtype == ktensor.float64 and g[0].device.split(":")[0] == device
    np.testing.assert_allclose(g[0].numpy(), [1.5, 3.0])


def test_gradient_through_identity_and_convert(device):
    v = _var([1.0, 2.0], device)
    with ktensor.GradientTape(persistent=True) as tape:
        y1 = ktensor.reduce_sum(ktensor.identity(v) * 2.0)
        y2 = ktensor.reduce_sum(ktensor.convert_to_tensor(v) * 3.0)
    np.testing.assert_allclose(tape.gradient(y1, v).numpy(), [2.0, 2.0])
    np.testing.assert_allclose(tape.gradient(y2, v).numpy(), [3.0, 3.0])


def test_gradient_through_variable_value(device):
    v = _var([1.0, 2.0], device)
    with ktensor.GradientTape() as tape:
        y = ktensor.reduce_sum(v.value() * 2.0)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, 2.0])


def test_higher_order_gradients(device):
    x = _var(2.0, device)
    with ktensor.GradientTape() as outer:
        with ktensor.GradientTape() as inner:
            y = x * x * x
        g = inner.gradient(y, x)
    assert float(g) == 12.0
    g2 = outer.gradient(g, x)
    assert g2 is not None and float(g2) == 12.0
