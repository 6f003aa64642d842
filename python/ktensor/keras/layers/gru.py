"""GRUCell and GRU, Keras 3 equations and weights: kernel (in, 3u), recurrent_kernel (u, 3u), gates
in the order z, r, h. reset_after=True (the default, cuDNN's form): bias (2, 3u), input and
recurrent biases apart, and r multiplies (h_prev @ U_h + b_rh); reset_after=False: bias (3u) and r
multiplies h_prev before its product with U_h. Then h = z * h_prev + (1 - z) * hh."""
import ktensor as kt

from .rnn import DropoutCell, FusedRNN


class GRUCell(DropoutCell):
    _kind = "gru"
    _gates = 3
    _per_gate_masks = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.reset_after = bool(reset_after)

    def _kind_name(self):
        return "gru" if self.reset_after else "gru_reset_before"

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _recurrent_bias(self):
        return self.bias[1] if self.bias is not None and self.reset_after else None

    def call(self, inputs, states, training=False):
        x, hd, states = self._step_inputs(inputs, states, training)
        h, u = states[0], self.units
        ract, act = self.recurrent_activation, self.activation
        mx = self._gate_matmul(x, self.kernel, range(3))
        if self.bias is not None:
            mx = mx + self._input_bias()
        xz, xr, xh = kt.split(mx, 3, axis=1)
        if self.reset_after:
            inner = self._gate_matmul(hd, self.recurrent_kernel, range(3))
            if self.bias is not None:
                inner = inner + self._recurrent_bias()
            iz, ir, ih = kt.split(inner, 3, axis=1)
            z, r = ract(xz + iz), ract(xr + ir)
            hh = act(xh + r * ih)
        else:
            iz, ir = kt.split(self._gate_matmul(hd, self.recurrent_kernel, range(2)), 2, axis=1)
            z, r = ract(xz + iz), ract(xr + ir)
            hdh = hd[2] if isinstance(hd, list) else hd
            hh = act(xh + kt.matmul(r * hdh, self.recurrent_kernel[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class GRU(FusedRNN):
    """Keras 3 GRU(units, ..., reset_after=True, return_sequences, return_state, go_backwards)."""

    _cell_class = GRUCell
    _cell_name = "gru_cell"
