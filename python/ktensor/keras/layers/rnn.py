"""RNN: the Keras 3 recurrent layer around a cell, and what the built-in cells share.

A built-in cell (SimpleRNNCell, LSTMCell, GRUCell) runs a whole sequence natively when its
activations have fused kernels (tanh, sigmoid, relu, hard_sigmoid, linear): the input projection
is one GEMM over all steps, and the time loop with its gradient is one native op
(ktensor.ops.rnn.recurrence). Any other cell, or other activations, step through `cell.call`
with ktensor ops. Masks (a bool (batch, time) `mask`) follow Keras: a masked sample keeps its
state and repeats its previous output (zeros with zero_output_for_mask). Dropout masks are drawn
once per sequence, in training only; with recurrent_dropout, LSTM and GRU draw one input and one
recurrent mask per gate (Keras 3.8+, implementation 1).

stateful=True (Keras 3): the batch size is fixed at build time (from the input's batch dimension),
the layer keeps its last states in `states`, non-trainable variables outside `weights` (so weights
files do not hold them, as in Keras), and starts each call from them; `reset_state()` zeroes them.
"""
import ktensor as kt
from ktensor.ops.rnn import ACTIVATIONS, recurrence

from .. import activations, initializers, regularizers
from .layer import Layer


def _check_fraction(layer, name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {name} must be a float in [0, 1], got {value!r}")
    return float(value)


def _check_units(layer, units):
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': units must be a positive integer, got {units!r}")
    return units


class DropoutCell(Layer):
    """What the built-in cells share: configuration checks, the dropout masks of one sequence, the
    weights and, for the fused path, the whole-sequence call."""

    _kind = None          # the recurrence kind of ktensor.ops.rnn
    _gates = 1
    _has_recurrent_activation = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self.units = _check_units(self, units)
        if kernel_constraint is not None or recurrent_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(f"{type(self).__name__} '{self.name}': weight constraints are not supported yet")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _check_fraction(self, "dropout", dropout)
        self.recurrent_dropout = _check_fraction(self, "recurrent_dropout", recurrent_dropout)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__} '{self.name}': seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self._draws = 0
        self._masks = None  # (input mask, recurrent mask) of the sequence in progress
        self.kernel = self.recurrent_kernel = self.bias = None
        self.state_size = units
        self.output_size = units

    # -- weights --
    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs a known feature dimension, got input shape "
                             f"{input_shape}")
        g = self._gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], g), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, g), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer, name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer, name="bias")

    def _input_bias(self):
        return self.bias

    def _recurrent_bias(self):
        return None

    # -- dropout: one mask per sequence (Keras), drawn in training only --
    def _draw(self, shape, rate, like):
        keep = 1.0 - rate
        seed = None
        if self.seed is not None:
            self._draws += 1
            seed = hash((self.seed, self._draws)) & ((1 << 63) - 1)
        return kt.random.bernoulli(shape, keep, dtype=like.dtype, seed=seed, device=like.device) * (1.0 / keep)

    def _new_masks(self, batch, features, like, training):
        """(input mask, recurrent mask), each None, one tensor, or (with per-gate masks) a list of one
        tensor per gate."""
        if not training:
            return None, None
        count = self._gates if self._per_gate_masks and 0 < self.recurrent_dropout < 1 else 1

        def draw(shape, rate):
            if not 0 < rate < 1:
                return None
            masks = [self._draw(shape, rate, like) for _ in range(count)]
            return masks if count > 1 else masks[0]

        return draw((batch, features), self.dropout), draw((batch, self.units), self.recurrent_dropout)

    # Keras 3 (since 3.8): with recurrent dropout, LSTM and GRU cells draw their masks per gate
    # (implementation 1), for the input as well as for h_prev.
    _per_gate_masks = False

    def _gate_matmul(self, v, weight, gates):
        """v @ weight[:, those gates' columns]; v a tensor, or a list of per-gate (masked) tensors."""
        u = self.units
        if not isinstance(v, list):
            if list(gates) == list(range(weight.shape[1] // u)):
                return kt.matmul(v, weight)
            return kt.matmul(v, weight[:, gates[0] * u:(gates[-1] + 1) * u])
        return kt.concat([kt.matmul(v[g], weight[:, g * u:(g + 1) * u]) for g in gates], axis=1)

    # -- the native whole-sequence path --
    def _activation_names(self):
        act = activations.serialize(self.activation)
        ract = activations.serialize(self.recurrent_activation) if self._has_recurrent_activation else "sigmoid"
        return act, ract

    def _fusable(self):
        act, ract = self._activation_names()
        return isinstance(act, str) and act in ACTIVATIONS and isinstance(ract, str) and ract in ACTIVATIONS

    def _kind_name(self):
        return self._kind

    def _sequence(self, x, states, mask, go_backwards, zero_output_for_mask, masks):
        """x (batch, time, features) -> (outputs (batch, time, units) in processing order, states)."""
        B, T, F = x.shape
        dp, rdp = masks
        xt = kt.transpose(x, [1, 0, 2])  # time major: each step's rows are contiguous
        if isinstance(dp, list):  # per gate: each gate's columns see the input through its own mask
            xw = self._gate_matmul([kt.reshape(xt * m, (T * B, F)) for m in dp], self.kernel, range(len(dp)))
        else:
            xw = kt.matmul(kt.reshape(xt * dp if dp is not None else xt, (T * B, F)), self.kernel)
        if isinstance(rdp, list):
            rdp = kt.stack(rdp)  # (gates, batch, units)
        bias = self._input_bias()
        if bias is not None:
            xw = xw + bias
        act, ract = self._activation_names()
        return recurrence(self._kind_name(), kt.reshape(xw, (T, B, -1)), self.recurrent_kernel, states,
                          recurrent_bias=self._recurrent_bias(), mask=mask, recurrent_mask=rdp, activation=act,
                          recurrent_activation=ract, go_backwards=go_backwards,
                          zero_output_for_mask=zero_output_for_mask)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [kt.zeros((batch_size, s), dtype=self.dtype) for s in sizes]

    def get_config(self):
        config = {"units": self.units, "activation": activations.serialize(self.activation)}
        if self._has_recurrent_activation:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return {**super().get_config(), **config, **self._common_config()}

    def _common_config(self):
        reg = lambda r: regularizers.serialize(r) if r else None  # noqa: E731
        return {"use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": reg(self.kernel_regularizer),
                "recurrent_regularizer": reg(self.recurrent_regularizer),
                "bias_regularizer": reg(self.bias_regularizer), "kernel_constraint": None,
                "recurrent_constraint": None, "bias_constraint": None, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}

    def _step_inputs(self, inputs, states, training):
        """The dropout-masked input and state of one call (the sequence's masks when an RNN runs it)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        masks = self._masks
        if masks is None:
            masks = self._new_masks(inputs.shape[0], inputs.shape[-1], inputs, training)
        dp, rdp = masks

        def apply(v, m):
            if m is None:
                return v
            return [v * g for g in m] if isinstance(m, list) else v * m

        return apply(inputs, dp), apply(states[0], rdp), states


class RNN(Layer):
    """Keras 3 RNN(cell): return_sequences, return_state, go_backwards, masks, initial_state."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError(f"{type(self).__name__} '{self.name}': stacked cells (a list of cells) are not "
                                      "supported yet")
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"{type(self).__name__} '{self.name}': the cell must have a `call` method and a "
                             f"`state_size` attribute, got {cell!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.states = None  # stateful: one variable per state, (batch, size), made at build time
        self.unroll = bool(unroll)  # the loop is native either way; accepted for compatibility
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        size = cell.state_size
        self.state_size = list(size) if isinstance(size, (list, tuple)) else [size]

    # -- shapes --
    def _check_input_shape(self, shape):
        shape = tuple(shape)
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects 3-D input (batch, timesteps, features), "
                             f"got shape {shape}")
        return shape

    def build(self, sequences_shape, initial_state_shape=None):
        shape = self._check_input_shape(sequences_shape)
        if isinstance(self.cell, Layer):
            self.cell._ensure_built((shape[0],) + shape[2:])
        if self.stateful:
            if self.states is not None:
                self.reset_state()
                return
            if shape[0] is None:
                raise ValueError(f"{type(self).__name__} '{self.name}': when using `stateful=True` in a RNN, the "
                                 f"batch size must be static. Found dynamic batch size: sequence.shape={shape} "
                                 "(give the input a batch size, e.g. keras.Input(batch_shape=(batch, time, "
                                 "features)))")
            # Plain attributes, not add_weight: Keras keeps them out of `weights` and weights files.
            self.states = [kt.Variable(s, trainable=False, name="rnn_state", dtype=self.dtype)
                           for s in self.get_initial_state(int(shape[0]))]
            for v in self.states:
                v.path = f"{self.name}/rnn_state"

    def reset_state(self):
        """Zeroes the states of a stateful layer (nothing to do for a layer that is not stateful)."""
        if self.states is not None:
            for v in self.states:
                v.assign(kt.zeros_like(v))

    reset_states = reset_state  # the Keras 2 name, kept by Keras 3 as an alias

    def _output_size(self):
        out = getattr(self.cell, "output_size", None)
        return self.state_size[0] if out is None else out

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self._check_input_shape(sequences_shape)
        batch = shape[0]
        out = (batch, shape[1], self._output_size()) if self.return_sequences else (batch, self._output_size())
        if self.return_state:
            return (out,) + tuple((batch, s) for s in self.state_size)
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self.state_size)
        return out

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            st = fn(batch_size=batch_size)
            return list(st) if isinstance(st, (list, tuple)) else [st]
        return [kt.zeros((batch_size, s), dtype=self.dtype) for s in self.state_size]

    # -- call --
    def _prepare(self, sequences, initial_state, mask):
        x = sequences
        if not x.dtype.is_floating:
            x = kt.cast(x, self.dtype)
        self._check_input_shape(x.shape)
        B, T, _ = x.shape
        if T == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs at least one time step, got input shape "
                             f"{tuple(x.shape)}")
        if self.stateful and self.states is not None and B != self.states[0].shape[0]:
            raise ValueError(f"{type(self).__name__} '{self.name}': if an RNN is stateful, the batch size of the "
                             "input sequences must be the same as the batch size of the initial state. Expected "
                             f"batch size: {self.states[0].shape[0]}, received batch size: {B} (input shape "
                             f"{tuple(x.shape)})")
        if initial_state is None and self.stateful and self.states is not None:
            states = [kt.identity(v) for v in self.states]  # copies: later assigns must not change this call
        elif initial_state is None:
            states = self.get_initial_state(B)
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != len(self.state_size):
                raise ValueError(f"{type(self).__name__} '{self.name}' expects {len(self.state_size)} initial "
                                 f"state tensor(s), got {len(states)}")
            states = [kt.cast(kt.convert_to_tensor(s), x.dtype) for s in states]
            for s, size in zip(states, self.state_size):
                if tuple(s.shape) != (B, size):
                    raise ValueError(f"{type(self).__name__} '{self.name}': initial state of shape {tuple(s.shape)} "
                                     f"does not match (batch, units) = {(B, size)}")
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = kt.convert_to_tensor(mask)
            if tuple(mask.shape) != (B, T):
                raise ValueError(f"{type(self).__name__} '{self.name}': mask of shape {tuple(mask.shape)} does not "
                                 f"match (batch, timesteps) = {(B, T)}")
            if mask.dtype != kt.bool:
                mask = kt.not_equal(mask, 0)
        return x, states, mask

    def call(self, sequences, initial_state=None, mask=None, training=False):
        x, states, mask = self._prepare(sequences, initial_state, mask)
        cell = self.cell
        if isinstance(cell, DropoutCell):
            masks = cell._new_masks(x.shape[0], x.shape[2], x, training)
            if cell._fusable():
                outputs, states = cell._sequence(x, states, mask, self.go_backwards, self.zero_output_for_mask, masks)
            else:
                cell._masks = masks
                try:
                    outputs, states = self._step_loop(x, states, mask, training)
                finally:
                    cell._masks = None
        else:
            outputs, states = self._step_loop(x, states, mask, training)
        if self.stateful and self.states is not None:
            for v, s in zip(self.states, states):
                v.assign(s)  # a copy of the values: no autograd history crosses calls
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return (output,) + tuple(states)
        return output

    def _step_loop(self, x, states, mask, training):
        """Steps through cell.call with ktensor ops (any cell; outputs in processing order)."""
        T = x.shape[1]
        is_layer = isinstance(self.cell, Layer)
        kwargs = {"training": training} if is_layer and self.cell._call_takes_training() else {}
        step = self.cell if is_layer else self.cell.call
        outs, prev = [], None
        for s in range(T):
            t = T - 1 - s if self.go_backwards else s
            out, new = step(x[:, t], states, **kwargs)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if mask is not None:
                m = kt.expand_dims(mask[:, t], -1)
                new = [kt.where(m, n, o) for n, o in zip(new, states)]
                keep = kt.zeros_like(out) if self.zero_output_for_mask or prev is None else prev
                out = kt.where(m, out, keep)
            states, prev = new, out
            outs.append(out)
        return kt.stack(outs, axis=1), states

    def get_config(self):
        from . import serialize

        config = {**super().get_config(), "return_sequences": self.return_sequences,
                  "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
        if type(self) is RNN:
            config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls is RNN:
            from . import deserialize
            cell = config.pop("cell")
            return cls(deserialize(cell, custom_objects) if isinstance(cell, dict) else cell, **config)
        return cls(**config)


_CELL_ATTRS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
               "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
               "bias_regularizer", "dropout", "recurrent_dropout", "seed", "unit_forget_bias", "reset_after")


class FusedRNN(RNN):
    """A built-in recurrent layer (SimpleRNN, LSTM, GRU): a fixed cell whose arguments are the
    layer's, and whose config is the layer's config (no nested cell), as in Keras."""

    _cell_class = None
    _cell_name = None

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, activity_regularizer=None, **kwargs):
        from ..utils import naming

        layer_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype", "autocast", "input_shape",
                                                   "input_dim", "batch_input_shape", "batch_size") if k in kwargs}
        layer_kwargs["name"] = layer_kwargs.get("name") or naming.auto_name(self)
        kwargs.pop("use_cudnn", None)
        try:
            cell = self._cell_class(units, dtype=layer_kwargs.get("dtype"),
                                    trainable=layer_kwargs.get("trainable", True), name=self._cell_name, **kwargs)
        except (ValueError, TypeError, NotImplementedError) as e:
            raise type(e)(f"{type(self).__name__} '{layer_kwargs['name']}': {e}") from None
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, activity_regularizer=activity_regularizer,
                         **layer_kwargs)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def __getattr__(self, name):  # units, activation, dropout, ... live on the cell, as in Keras
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ATTRS and hasattr(cell, name):
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        cell_config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell_config.pop(k, None)
        reg = regularizers.serialize(self.activity_regularizer) if self.activity_regularizer else None
        return {**super().get_config(), **cell_config, "activity_regularizer": reg}
