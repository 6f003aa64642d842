"""Sequential: a linear stack of layers."""
import ktensor as kt

from ..layers import serialize as serialize_layer
from ..layers.input_layer import InputLayer, KerasTensor
from ..layers.layer import Layer
from .model import Model


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor):  # keras.Input(...)
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Only instances of keras.layers.Layer can be added to Sequential model '{self.name}', "
                            f"got {type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer) and self._layers:
            raise ValueError(f"Sequential model '{self.name}': an InputLayer must come first, but the model already "
                             f"has layers {[l.name for l in self._layers]}")
        if not self._layers and not isinstance(layer, InputLayer) and layer._input_shape_arg is not None:
            self._layers.append(InputLayer(batch_shape=layer._input_shape_arg, dtype=layer.dtype))
        if any(layer is l for l in self._layers):
            raise ValueError(f"Layer '{layer.name}' is already in Sequential model '{self.name}'")
        self._layers.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        if not self.layers:
            raise IndexError(f"Sequential model '{self.name}' has no layers to pop")
        layer = self._layers.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        shape = None
        if self._layers and isinstance(self._layers[0], InputLayer):
            shape = self._layers[0].batch_shape
        elif self._build_shape is not None:
            shape = self._build_shape
        self.built = False
        if shape is not None and self.layers:
            self.build(shape)

    @property
    def layers(self):
        return [l for l in self._layers if not isinstance(l, InputLayer)]

    @property
    def input_shape(self):
        return self._build_shape

    def build(self, input_shape=None):
        if input_shape is None:
            if not (self._layers and isinstance(self._layers[0], InputLayer)):
                raise ValueError(f"Sequential model '{self.name}' cannot be built without an input shape: pass "
                                 "input_shape to build(), start the model with keras.Input(shape), or call it on data")
            input_shape = self._layers[0].batch_shape
        input_shape = tuple(input_shape)
        shape = input_shape
        for layer in self._layers:
            layer._ensure_built(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True
        self._build_shape = input_shape
        self._device = kt.config.default_device()

    def _rank_change(self, rank, last_dim):
        """Keras' input rank adjustment against the declared input: +1 (append an axis of size 1),
        -1 (drop a trailing axis of size 1) or 0."""
        if not (self._layers and isinstance(self._layers[0], InputLayer)):
            return 0
        ref = self._layers[0].batch_shape
        if rank == len(ref) - 1 and ref[-1] == 1:
            return 1
        if rank == len(ref) + 1 and last_dim == 1:
            return -1
        return 0

    def call(self, inputs, training=None):
        x = inputs
        if isinstance(x, kt.Tensor):
            change = self._rank_change(x.ndim, x.shape[-1] if x.ndim else None)
            x = kt.expand_dims(x, -1) if change == 1 else (kt.squeeze(x, -1) if change == -1 else x)
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        change = self._rank_change(len(shape), shape[-1] if shape else None)
        shape = shape + (1,) if change == 1 else (shape[:-1] if change == -1 else shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _layer_output_shapes(self):
        if self._build_shape is None:
            return None
        shapes, shape = [], self._build_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
            if not isinstance(layer, InputLayer):
                shapes.append(shape)
        return shapes

    def get_config(self):
        config = {**super().get_config(), "layers": [serialize_layer(l) for l in self._layers]}
        if self._build_shape is not None and not (self._layers and isinstance(self._layers[0], InputLayer)):
            config["build_input_shape"] = self._build_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize

        config = dict(config)
        layer_configs = config.pop("layers")
        build_shape = config.pop("build_input_shape", None)
        model = cls(**config)
        for lc in layer_configs:
            model.add(deserialize(lc, custom_objects), rebuild=False)
        if build_shape is not None and not model.built:
            model.build(build_shape)
        else:
            model._maybe_rebuild()
        return model
