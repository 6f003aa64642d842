"""LSTMCell and LSTM, Keras 3 equations and weights: kernel (in, 4u), recurrent_kernel (u, 4u),
bias (4u), gates in the order i, f, c, o:
    z = x @ kernel + h_prev @ recurrent_kernel + bias;  i, f, o = recurrent_activation(z_i, z_f, z_o)
    c = f * c_prev + i * activation(z_c);  h = o * activation(c)
"""
import ktensor as kt

from .rnn import DropoutCell, FusedRNN


class LSTMCell(DropoutCell):
    _kind = "lstm"
    _gates = 4
    _per_gate_masks = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [units, units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def forget_ones(shape, dtype=None):  # the forget gate's bias starts at 1 (Jozefowicz et al.)
            return kt.concat([init((u,), dtype=dtype), kt.ones((u,), dtype=dtype), init((2 * u,), dtype=dtype)], 0)

        return forget_ones

    def call(self, inputs, states, training=False):
        x, hd, states = self._step_inputs(inputs, states, training)
        gates = range(4)
        z = self._gate_matmul(x, self.kernel, gates) + self._gate_matmul(hd, self.recurrent_kernel, gates)
        if self.bias is not None:
            z = z + self.bias
        i, f, c, o = kt.split(z, 4, axis=1)
        ract, act = self.recurrent_activation, self.activation
        c = ract(f) * states[1] + ract(i) * act(c)
        h = ract(o) * act(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class LSTM(FusedRNN):
    """Keras 3 LSTM(units, ..., unit_forget_bias=True, return_sequences, return_state, go_backwards)."""

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
