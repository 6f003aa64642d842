"""TimeDistributed(layer): applies `layer` to every time slice of (batch, time, ...) inputs.

Time is folded into the batch — one call of the inner layer on (batch * time, ...) — instead of a
loop over steps; the weights are the inner layer's. A (batch, time) mask is folded the same way
for an inner layer whose call() takes `mask`, and passed through to the outputs."""
import ktensor as kt

from .layer import Layer


class TimeDistributed(Layer):
    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' needs inputs of rank >= 3 (batch, time, ...), got "
                             f"shape {input_shape}")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        child = self._child_shape(tuple(input_shape))
        self.layer._ensure_built(child)

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        b, t = shape[:2]
        kwargs = {}
        if self.layer._call_takes_training() and training is not None:
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask():
            if tuple(mask.shape[:2]) != (b, t):
                raise ValueError(f"TimeDistributed '{self.name}': the mask must have shape ({b}, {t}, ...), got "
                                 f"{tuple(mask.shape)}")
            kwargs["mask"] = kt.reshape(mask, (b * t,) + tuple(mask.shape[2:]))
        y = self.layer(kt.reshape(inputs, (b * t,) + shape[2:]), **kwargs)
        return kt.reshape(y, (b, t) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def get_config(self):
        from . import serialize

        inner = serialize(self.layer)
        inner.pop("build_config", None)  # build() rebuilds the inner layer from this layer's input shape
        return {**super().get_config(), "layer": inner}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        config = dict(config)
        return cls(deserialize(config.pop("layer"), custom_objects), **config)
