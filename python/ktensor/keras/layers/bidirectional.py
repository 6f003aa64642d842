"""Bidirectional: a recurrent layer run forwards and a copy run backwards over the same sequence,
merged (concat by default; sum, mul, ave, or None for both outputs), as Keras 3 builds it: the
forward copy is named forward_<name>, the backward copy backward_<name> with go_backwards=True
(unless a backward_layer is given), and both emit zeros at masked steps when returning sequences.
With stateful=True each direction keeps its own states across calls: the backward layer carries
the state it ended with (at the start of the previous chunk) into the next chunk's last step."""
import ktensor as kt

from .layer import Layer

_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from . import deserialize, serialize

        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional '{self.name}': `layer` must be a keras Layer instance, got {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional '{self.name}': `backward_layer` must be a keras Layer instance, got "
                             f"{backward_layer!r}")
        if merge_mode not in _MODES:
            raise ValueError(f"Bidirectional '{self.name}': merge_mode must be one of 'sum', 'mul', 'ave', 'concat' "
                             f"or None, got {merge_mode!r}")
        if weights is not None:
            raise NotImplementedError(f"Bidirectional '{self.name}': `weights` is not supported; call set_weights "
                                      "after building")
        # Fresh copies from the config, so the wrapped layer's state is not shared.
        config = serialize(layer)
        config.pop("build_config", None)
        config["config"]["name"] = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = deserialize(config)
        if backward_layer is None:
            config = serialize(layer)
            config.pop("build_config", None)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = deserialize(config)
        self.backward_layer = backward_layer
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers need different "
                             f"go_backwards values, got {fw.go_backwards} for both")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(fw, a) != getattr(bw, a):
                raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers differ in {a} "
                                 f"({getattr(fw, a)} and {getattr(bw, a)})")
        for sub in (fw, bw):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    @property
    def states(self):
        """The forward layer's states, then the backward layer's (stateful, once built), else None."""
        fw, bw = self.forward_layer.states, self.backward_layer.states
        return tuple(fw) + tuple(bw) if fw and bw else None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': reset_state() needs a stateful layer (Keras: Layer "
                                 "must be stateful.)")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state  # the Keras 2 name, kept by Keras 3 as an alias

    def build(self, sequences_shape, initial_state_shape=None):
        self.forward_layer._ensure_built(sequences_shape)
        self.backward_layer._ensure_built(sequences_shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        out = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            out, states = out[0], tuple(out[1:])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (None if out[-1] is None else 2 * out[-1],)
        elif self.merge_mode is None:
            out = [tuple(out), tuple(out)]
        if self.return_state:
            return (tuple(out) if self.merge_mode is None else (out,)) + states + states
        return tuple(out) if self.merge_mode is not None else out

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fs = bs = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            fs, bs = states[:half], states[half:]
        y = self.forward_layer(sequences, initial_state=fs, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bs, mask=mask, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # back to input order
        mode = self.merge_mode
        if mode == "concat":
            out = kt.concat([y, y_rev], axis=-1)
        elif mode == "sum":
            out = y + y_rev
        elif mode == "ave":
            out = (y + y_rev) / 2
        elif mode == "mul":
            out = y * y_rev
        else:
            out = (y, y_rev)
        if self.return_state:
            return (out if mode is None else (out,)) + states
        return list(out) if mode is None else out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out = mask if self.merge_mode else [mask, mask]
        else:
            out = None if self.merge_mode else [None, None]
        if self.return_state:
            n = len(self.forward_layer.state_size) * 2
            return ([out] if self.merge_mode else list(out)) + [None] * n
        return out

    def get_config(self):
        from . import serialize

        fw, bw = serialize(self.forward_layer), serialize(self.backward_layer)
        for c in (fw, bw):
            c.pop("build_config", None)
        return {**super().get_config(), "merge_mode": self.merge_mode, "layer": fw, "backward_layer": bw}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects)
        return cls(**config)
