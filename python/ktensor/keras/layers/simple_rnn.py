"""SimpleRNNCell and SimpleRNN: h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)."""
import ktensor as kt

from .rnn import DropoutCell, FusedRNN


class SimpleRNNCell(DropoutCell):
    _kind = "simple_rnn"
    _gates = 1
    _has_recurrent_activation = False

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=None, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)

    def call(self, sequence, states, training=False):
        x, hd, states = self._step_inputs(sequence, states, training)
        h = kt.matmul(x, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        h = self.activation(h + kt.matmul(hd, self.recurrent_kernel))
        return h, [h]


class SimpleRNN(FusedRNN):
    """Keras 3 SimpleRNN(units, activation='tanh', ..., return_sequences, return_state, go_backwards)."""

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
