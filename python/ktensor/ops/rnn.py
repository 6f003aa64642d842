"""Recurrences of SimpleRNN, LSTM and GRU over a whole sequence: one native call forward (the time
loop runs in the core: per step one GEMM h @ U and one fused cell kernel) and one gradient rule for
the whole sequence whose backward loops through time natively too (per step a fused cell kernel
and a GEMM; dU is one GEMM over all steps). The input projection x @ W + b is left to the caller
as one ordinary, differentiable GEMM over all steps, so dW and dx are one GEMM each."""
from .. import _core
from ..autograd import first_order_only, record
from .core import convert, wrap

KINDS = {"simple_rnn": 0, "lstm": 1, "gru": 2, "gru_reset_before": 3}
ACTIVATIONS = {"linear": 0, "tanh": 1, "sigmoid": 2, "relu": 3, "hard_sigmoid": 4}
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}


def _code(name, what):
    key = "linear" if name is None else name
    if key not in ACTIVATIONS:
        raise ValueError(f"recurrent layers support the {what} activations {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[key]


def recurrence(kind, xw, recurrent_kernel, initial_state, recurrent_bias=None, mask=None, recurrent_mask=None,
               activation="tanh", recurrent_activation="sigmoid", go_backwards=False, zero_output_for_mask=False):
    """Runs a recurrent layer's time loop.

    kind: 'simple_rnn', 'lstm', 'gru' (reset_after) or 'gru_reset_before'.
    xw: (time, batch, gates * units), the input projection x @ kernel + input bias, time major.
    recurrent_kernel: (units, gates * units); recurrent_bias: (3 * units,) for 'gru' only.
    initial_state: [h] or, for LSTM, [h, c], each (batch, units).
    mask: optional bool (batch, time); a masked sample keeps its state and repeats its previous
    output (zeros when zero_output_for_mask). recurrent_mask: optional (batch, units) multiplier of
    h before every h @ U (recurrent dropout), or (gates, batch, units), one per gate: gate k's
    columns of U see h * recurrent_mask[k] (Keras 3's implementation 1).
    Returns (outputs, states): outputs (batch, time, units) in processing order (reversed input
    order when go_backwards, as Keras returns it), states the final [h] or [h, c].
    """
    if kind not in KINDS:
        raise ValueError(f"recurrence: unknown kind {kind!r} (expected one of {sorted(KINDS)})")
    act, ract = _code(activation, "activation"), _code(recurrent_activation, "recurrent_activation")
    xw = convert(xw)
    u = convert(recurrent_kernel)
    states = [convert(s) for s in initial_state]
    n_states = 2 if kind == "lstm" else 1
    if len(states) != n_states:
        raise ValueError(f"recurrence: {kind} takes {n_states} initial state tensor(s), got {len(states)}")
    brec = convert(recurrent_bias) if recurrent_bias is not None else None
    mask_t = convert(mask)._t if mask is not None else None
    rmask_t = convert(recurrent_mask)._t if recurrent_mask is not None else None
    k = KINDS[kind]
    packed, H, C, G, RH = _core.rnn_forward(k, act, ract, xw._t, u._t, brec._t if brec is not None else None,
                                            states[0]._t, states[1]._t if n_states == 2 else None, mask_t, rmask_t,
                                            bool(go_backwards), bool(zero_output_for_mask))
    packed = wrap(packed)
    inputs = [xw, u] + ([brec] if brec is not None else []) + states
    if any(t._node is not None for t in inputs):
        def backward(g):
            first_order_only("recurrent layers")
            dxw, du, dbrec, dh0, dc0 = _core.rnn_backward(k, act, ract, u._t, H, C, G, RH, mask_t, rmask_t,
                                                          bool(go_backwards), bool(zero_output_for_mask), g._t)
            grads = [wrap(dxw), wrap(du)] + ([wrap(dbrec)] if brec is not None else []) + [wrap(dh0)]
            return grads + ([wrap(dc0)] if n_states == 2 else [])

        record(packed, backward, inputs)
    T = xw.shape[0]
    outputs = packed[:, :T]
    return outputs, [packed[:, T + i] for i in range(n_states)]
