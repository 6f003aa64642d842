"""The native recurrences (ktensor.ops.rnn.recurrence) against numpy references of the Keras 3
equations: SimpleRNN, LSTM (gates i, f, c, o), GRU (z, r, h; reset_after both ways), with masks,
go_backwards, initial states and recurrent dropout masks; float64 gradients by central
differences; CPU/CUDA parity."""
import numpy as np
import pytest

import ktensor as kt
from ktensor.ops.rnn import GATES, recurrence

from helpers import cuda_only, gradcheck, parity, rng


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


ACTS = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0), "linear": lambda x: x,
        "hard_sigmoid": hard_sigmoid}


def reference(kind, xw, U, h0, c0=None, brec=None, mask=None, rmask=None, activation="tanh",
              recurrent_activation="sigmoid", go_backwards=False, zero_out=False):
    """numpy: xw (T, B, g*u) time major; returns outputs (B, T, u) in processing order and states."""
    act, ract = ACTS[activation], ACTS[recurrent_activation]
    T, B, _ = xw.shape
    u = U.shape[0]
    h, c = h0.copy(), None if c0 is None else c0.copy()
    y_prev = np.zeros((B, u))
    outs = []
    per_gate = rmask is not None and rmask.ndim == 3  # (gates, B, u): gate k's columns see h * rmask[k]

    def hu(h, cols):  # (h * mask) @ U[:, cols], per gate when the masks are
        if not per_gate:
            return (h * rmask if rmask is not None else h) @ U[:, cols]
        ks = range(cols.start // u, cols.stop // u)
        return np.concatenate([(h * rmask[k]) @ U[:, k * u:(k + 1) * u] for k in ks], axis=1)

    for t in (reversed(range(T)) if go_backwards else range(T)):
        x = xw[t]
        hd = h * (rmask[-1] if per_gate else rmask) if rmask is not None else h
        c_new = None
        if kind == "simple_rnn":
            cand = act(x + hu(h, slice(0, u)))
        elif kind == "lstm":
            z = x + hu(h, slice(0, 4 * u))
            i, f, cc, o = (z[:, k * u:(k + 1) * u] for k in range(4))
            c_new = ract(f) * c + ract(i) * act(cc)
            cand = ract(o) * act(c_new)
        elif kind == "gru":  # reset_after: r multiplies (h @ U_h + b_rh)
            inner = hu(h, slice(0, 3 * u)) + (brec if brec is not None else 0)
            z = ract(x[:, :u] + inner[:, :u])
            r = ract(x[:, u:2 * u] + inner[:, u:2 * u])
            hh = act(x[:, 2 * u:] + r * inner[:, 2 * u:])
            cand = z * h + (1 - z) * hh
        else:  # reset_before: r multiplies h before its product with U_h
            inner = hu(h, slice(0, 2 * u))
            z = ract(x[:, :u] + inner[:, :u])
            r = ract(x[:, u:2 * u] + inner[:, u:])
            hh = act(x[:, 2 * u:] + (r * hd) @ U[:, 2 * u:])
            cand = z * h + (1 - z) * hh
        m = np.ones((B, 1), bool) if mask is None else mask[:, t][:, None]
        h = np.where(m, cand, h)
        if c_new is not None:
            c = np.where(m, c_new, c)
        y = np.where(m, cand, 0.0 if zero_out else y_prev)
        outs.append(y)
        y_prev = y
    return np.stack(outs, 1), [h] + ([c] if c is not None else [])


def make(kind, T, B, u, seed=0, dtype=np.float64, scale=0.6):
    r = rng(seed)
    g = GATES[kind]
    xw = r.normal(0, scale, (T, B, g * u)).astype(dtype)
    U = r.normal(0, scale, (u, g * u)).astype(dtype)
    h0 = r.normal(0, 0.5, (B, u)).astype(dtype)
    c0 = r.normal(0, 0.5, (B, u)).astype(dtype) if kind == "lstm" else None
    brec = r.normal(0, 0.3, (g * u,)).astype(dtype) if kind == "gru" else None
    return xw, U, h0, c0, brec


def run(kind, xw, U, h0, c0=None, brec=None, **kw):
    states = [h0] + ([c0] if c0 is not None else [])
    out, st = recurrence(kind, xw, U, states, recurrent_bias=brec, **kw)
    return [out] + st


KINDS = ["simple_rnn", "lstm", "gru", "gru_reset_before"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("T,B", [(1, 1), (7, 3), (3, 1)])
@pytest.mark.parametrize("backwards", [False, True])
def test_forward_matches_numpy(kind, T, B, backwards, device):
    xw, U, h0, c0, brec = make(kind, T, B, 5, seed=T * 10 + B)
    with kt.device(device):
        got = run(kind, kt.constant(xw), kt.constant(U), kt.constant(h0), None if c0 is None else kt.constant(c0),
                  None if brec is None else kt.constant(brec), go_backwards=backwards)
    y, st = reference(kind, xw, U, h0, c0, brec, go_backwards=backwards)
    for g, e in zip(got, [y] + st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_out", [False, True])
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("T,B,u", [(7, 3, 5), (3, 9, 37)])  # 9 x 37 cells: more than one CUDA block
def test_masked_forward(kind, zero_out, backwards, T, B, u, device):
    xw, U, h0, c0, brec = make(kind, T, B, u, seed=3)
    mask = rng(4).random((B, T)) > 0.4
    mask[0, :] = False  # a sample masked throughout keeps its initial state
    mask[1, 0] = False
    rmask = (rng(5).random((B, u)) > 0.3) / 0.7
    with kt.device(device):
        got = run(kind, kt.constant(xw), kt.constant(U), kt.constant(h0), None if c0 is None else kt.constant(c0),
                  None if brec is None else kt.constant(brec), mask=kt.constant(mask),
                  recurrent_mask=kt.constant(rmask), go_backwards=backwards, zero_output_for_mask=zero_out)
    y, st = reference(kind, xw, U, h0, c0, brec, mask=mask, rmask=rmask, go_backwards=backwards, zero_out=zero_out)
    for g, e in zip(got, [y] + st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation,recurrent", [("relu", "hard_sigmoid"), ("linear", "tanh"), ("sigmoid", "linear")])
@pytest.mark.parametrize("kind", KINDS)
def test_other_activations(kind, activation, recurrent, device):
    xw, U, h0, c0, brec = make(kind, 3, 3, 5, seed=8, scale=0.3)
    with kt.device(device):
        got = run(kind, kt.constant(xw), kt.constant(U), kt.constant(h0), None if c0 is None else kt.constant(c0),
                  None if brec is None else kt.constant(brec), activation=activation,
                  recurrent_activation=recurrent)
    y, st = reference(kind, xw, U, h0, c0, brec, activation=activation, recurrent_activation=recurrent)
    for g, e in zip(got, [y] + st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12)


def test_float32_close_to_float64():
    xw, U, h0, c0, _ = make("lstm", 7, 3, 5, seed=1)
    got = run("lstm", kt.constant(xw.astype("float32")), kt.constant(U.astype("float32")),
              kt.constant(h0.astype("float32")), kt.constant(c0.astype("float32")))
    assert got[0].dtype == kt.float32
    y, st = reference("lstm", xw, U, h0, c0)
    np.testing.assert_allclose(got[0].numpy(), y, rtol=1e-5, atol=1e-6)


def _grad_case(kind, T, B, u, mask, rmask, backwards, zero_out, seed):
    xw, U, h0, c0, brec = make(kind, T, B, u, seed=seed)
    inputs = [xw, U, h0] + ([c0] if c0 is not None else []) + ([brec] if brec is not None else [])
    m = kt.constant(mask) if mask is not None else None
    rm = kt.constant(rmask) if rmask is not None else None

    def fn(xw, U, h0, *rest):
        c0 = rest[0] if kind == "lstm" else None
        brec = rest[0] if kind == "gru" else None
        return run(kind, xw, U, h0, c0, brec, mask=m, recurrent_mask=rm, go_backwards=backwards,
                   zero_output_for_mask=zero_out)

    return fn, inputs


GRAD_SHAPES = {"simple_rnn": (3, 3, 3), "lstm": (2, 2, 2), "gru": (3, 1, 2), "gru_reset_before": (3, 1, 2)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backwards", [False, True])
def test_gradients(kind, backwards, device):
    T, B, u = GRAD_SHAPES[kind]
    with kt.device(device):
        fn, inputs = _grad_case(kind, T, B, u, None, None, backwards, False, seed=11)
        gradcheck(fn, inputs, device)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_out", [False, True])
def test_gradients_masked_with_dropout(kind, zero_out, device):
    T, B, u = GRAD_SHAPES[kind]
    mask = np.ones((B, T), bool)
    mask[0, 1] = False
    if B > 1:
        mask[1, 0] = False
    rmask = (rng(2).random((B, u)) > 0.3) / 0.7
    with kt.device(device):  # the mask constants of the case live on the device
        fn, inputs = _grad_case(kind, T, B, u, mask, rmask, True, zero_out, seed=12)
        gradcheck(fn, inputs, device)


def per_gate_mask(kind, B, u, seed):
    return (rng(seed).random((GATES[kind], B, u)) > 0.3) / 0.7


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backwards", [False, True])
def test_per_gate_recurrent_masks_forward(kind, backwards, device):
    T, B, u = 6, 3, 5
    xw, U, h0, c0, brec = make(kind, T, B, u, seed=31)
    mask = rng(4).random((B, T)) > 0.3
    rmask = per_gate_mask(kind, B, u, seed=5)
    c = kt.constant
    with kt.device(device):
        got = run(kind, c(xw), c(U), c(h0), None if c0 is None else c(c0), None if brec is None else c(brec),
                  mask=c(mask), recurrent_mask=c(rmask), go_backwards=backwards)
        # One mask repeated for every gate is the shared mask.
        shared = run(kind, c(xw), c(U), c(h0), None if c0 is None else c(c0), None if brec is None else c(brec),
                     recurrent_mask=c(np.stack([rmask[0]] * GATES[kind])))
    y, st = reference(kind, xw, U, h0, c0, brec, mask=mask, rmask=rmask, go_backwards=backwards)
    for g, e in zip(got, [y] + st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12)
    want, _ = reference(kind, xw, U, h0, c0, brec, rmask=rmask[0])
    np.testing.assert_allclose(shared[0].numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_per_gate_recurrent_masks(kind, device):
    T, B, u = GRAD_SHAPES[kind]
    mask = np.ones((B, T), bool)
    mask[0, 1] = False
    with kt.device(device):  # the mask constants of the case live on the device
        fn, inputs = _grad_case(kind, T, B, u, mask, per_gate_mask(kind, B, u, seed=3), False, False, seed=13)
        gradcheck(fn, inputs, device)


def test_errors_name_the_problem():
    xw, U, h0, c0, _ = make("lstm", 2, 3, 5)
    with pytest.raises(ValueError, match="initial state"):
        run("lstm", kt.constant(xw), kt.constant(U), kt.constant(h0[:2]), kt.constant(c0))
    with pytest.raises(ValueError, match="recurrent kernel"):
        run("lstm", kt.constant(xw), kt.constant(U[:, :5]), kt.constant(h0), kt.constant(c0))
    with pytest.raises(ValueError, match="mask"):
        run("lstm", kt.constant(xw), kt.constant(U), kt.constant(h0), kt.constant(c0),
            mask=kt.constant(np.ones((3, 5), bool)))
    with pytest.raises(ValueError, match="activation"):
        run("lstm", kt.constant(xw), kt.constant(U), kt.constant(h0), kt.constant(c0), activation="gelu")
    with pytest.raises(ValueError, match="initial state"):
        recurrence("lstm", kt.constant(xw), kt.constant(U), [kt.constant(h0)])
    with pytest.raises(ValueError, match=r"per-gate recurrent dropout mask must have shape \(4, 3, 5\)"):
        run("lstm", kt.constant(xw), kt.constant(U), kt.constant(h0), kt.constant(c0),
            recurrent_mask=kt.constant(np.ones((3, 3, 5))))


@cuda_only
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("masked", [False, True, "per_gate"])
def test_cuda_parity(kind, masked):
    T, B, u = 7, 3, 5
    xw, U, h0, c0, brec = make(kind, T, B, u, seed=21, dtype=np.float32)
    mask = rng(1).random((B, T)) > 0.3 if masked else None
    rmask = ((rng(2).random((B, u)) > 0.3) / 0.7).astype("float32") if masked else None
    if masked == "per_gate":
        rmask = per_gate_mask(kind, B, u, seed=2).astype("float32")
    inputs = [xw, U, h0] + ([c0] if c0 is not None else []) + ([brec] if brec is not None else [])

    def fn(xw, U, h0, *rest):
        dev = xw.device
        c0 = rest[0] if kind == "lstm" else None
        brec = rest[0] if kind == "gru" else None
        with kt.device(dev):
            m = kt.constant(mask) if mask is not None else None
            rm = kt.constant(rmask) if rmask is not None else None
        return run(kind, xw, U, h0, c0, brec, mask=m, recurrent_mask=rm, go_backwards=masked)

    # float32 on both devices: the CPU's own float32 error (against float64) reaches 4x the old
    # rtol=1e-5, atol=1e-6 in dU of SimpleRNN (cancellation in x + h @ U); exactness is checked
    # in float64 by the device tests above
    parity(fn, inputs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("u", [13, 37])
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_float32_vector_rows_match_float64(u, masked):
    # float32 LSTM rows take the CPU's vectorised loops (vector widths plus a remainder for these
    # unit counts); outputs and every gradient stay close to the float64 run, itself checked
    # against numpy and central differences above.
    T, B = 6, 3
    xw, U, h0, c0, _ = make("lstm", T, B, u, seed=40 + u)
    mask = rng(6).random((B, T)) > 0.3 if masked else None
    rmask = (rng(7).random((B, u)) > 0.3) / 0.7 if masked else None
    weight = rng(8).normal(size=(B, T + 2, u))

    def go(dtype):
        args = [kt.Variable(a.astype(dtype)) for a in (xw, U, h0, c0)]
        with kt.GradientTape() as tape:
            y, st = recurrence("lstm", args[0], args[1], args[2:],
                               mask=None if mask is None else kt.constant(mask),
                               recurrent_mask=None if rmask is None else kt.constant(rmask.astype(dtype)),
                               go_backwards=masked)
            out = kt.concat([y, kt.stack(st, axis=1)], axis=1)
            loss = kt.reduce_sum(out * kt.constant(weight.astype(dtype)))
        return [out.numpy()] + [g.numpy() for g in tape.gradient(loss, args)]

    for got, want in zip(go("float32"), go("float64")):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("per_gate", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_batch_slices_match_numpy_and_sub_batches(kind, per_gate):
    # Batches over 32 rows run their time loops in row slices side by side on the CPU: outputs
    # match numpy, and outputs and gradients match the same rows run as small (unsliced) batches.
    # The recurrent dropout mask is shared by the gates, or one per gate.
    T, B, u = 5, 70, 6
    xw, U, h0, c0, brec = make(kind, T, B, u, seed=50)
    mask = rng(51).random((B, T)) > 0.3
    rmask = per_gate_mask(kind, B, u, seed=52) if per_gate else (rng(52).random((B, u)) > 0.3) / 0.7
    mask_rows = (lambda rows: rmask[:, rows]) if per_gate else (lambda rows: rmask[rows])
    weight = rng(53).normal(size=(B, T + (2 if kind == "lstm" else 1), u))

    def go(rows):
        args = [kt.Variable(a[rows]) for a in (xw.transpose(1, 0, 2), h0) + ((c0,) if c0 is not None else ())]
        Uv = kt.Variable(U)
        with kt.GradientTape() as tape:
            y, st = recurrence(kind, kt.transpose(args[0], [1, 0, 2]), Uv, args[1:],
                               recurrent_bias=None if brec is None else kt.constant(brec),
                               mask=kt.constant(mask[rows]), recurrent_mask=kt.constant(mask_rows(rows)),
                               go_backwards=True)
            out = kt.concat([y, kt.stack(st, axis=1)], axis=1)
            loss = kt.reduce_sum(out * kt.constant(weight[rows]))
        return [out.numpy()] + [g.numpy() for g in tape.gradient(loss, args + [Uv])]

    whole = go(slice(0, B))
    y, st = reference(kind, xw, U, h0, c0, brec, mask=mask, rmask=rmask, go_backwards=True)
    np.testing.assert_allclose(whole[0][:, :T], y, rtol=1e-10, atol=1e-12)
    parts = [go(slice(lo, min(lo + 20, B))) for lo in range(0, B, 20)]
    for i, got in enumerate(whole[:-1]):
        np.testing.assert_allclose(got, np.concatenate([p[i] for p in parts]), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(whole[-1], sum(p[-1] for p in parts), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("per_gate", [False, True])
def test_batch_slices_thread_independent(per_gate):
    """Outputs and gradients of a sliced batch are bitwise the same on one thread as on several
    (without recurrent dropout, or with a mask per gate)."""
    T, B, u = 6, 75, 16
    xw, U, h0, c0, _ = make("lstm", T, B, u, seed=60, dtype=np.float32)
    rmask = kt.constant(per_gate_mask("lstm", B, u, seed=61).astype(np.float32)) if per_gate else None
    before, runs = kt.config.info()["openmp_threads"], []
    try:
        for n in (1, 2, 3):
            kt.config.set_num_threads(n)
            with kt.device("cpu"):
                args = [kt.Variable(a) for a in (xw, U, h0, c0)]
                with kt.GradientTape() as tape:
                    y, st = recurrence("lstm", args[0], args[1], args[2:], recurrent_mask=rmask)
                    loss = kt.reduce_sum(y * y) + kt.reduce_sum(st[1])
                runs.append([y.numpy()] + [g.numpy() for g in tape.gradient(loss, args)])
    finally:
        kt.config.set_num_threads(before)
    for run_ in runs[1:]:
        for got, want in zip(run_, runs[0]):
            np.testing.assert_array_equal(got, want)
