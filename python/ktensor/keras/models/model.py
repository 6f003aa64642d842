"""Model: a Layer that can be compiled and trained. Training itself lives in keras/trainers/.

Subclass it (define layers in __init__, the forward pass in call), use Sequential, or build a
functional model: `Model(inputs, outputs)` returns a Functional (models/functional.py).
"""
import functools
import json

from .. import optimizers
from ..layers.layer import Layer
from ..trainers.trainer import Trainer
from ..utils.summary_utils import print_summary


def _delegate(name, needs_compile=True):
    """A Model method that runs the Trainer's method of the same name (same signature and doc)."""
    method = getattr(Trainer, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if self._trainer is None:
            if needs_compile:
                raise RuntimeError(f"You must call compile() on model '{self.name}' before calling {name}()")
            self._trainer = Trainer(self)
        return getattr(self._trainer, name)(*args, **kwargs)

    return call


class Model(Layer):
    _warns_on_dropped_mask = False  # the outputs keep the masks the inner layers attached

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional
            return object.__new__(Functional)  # then Functional.__init__ runs with the same arguments
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError(f"{type(self).__name__}: subclassed models that pass inputs/outputs to "
                                      "Model.__init__ are not supported: define call(), or use keras.Model(inputs, "
                                      "outputs) directly")
        super().__init__(**kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._trainer = None

    @property
    def layers(self):
        return list(self._layers)

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Sets the optimizer, loss and metrics (names, instances or callables) used by fit/evaluate."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._trainer = Trainer(self, optimizer=self.optimizer, loss=loss, metrics=metrics, loss_weights=loss_weights,
                               weighted_metrics=weighted_metrics)
        # for the compile_config that saving writes
        self._compile_args = {"metrics": metrics, "weighted_metrics": weighted_metrics, "loss_weights": loss_weights}
        self.compiled = True

    fit = _delegate("fit")
    evaluate = _delegate("evaluate")
    predict = _delegate("predict", needs_compile=False)
    train_on_batch = _delegate("train_on_batch")
    test_on_batch = _delegate("test_on_batch")
    predict_on_batch = _delegate("predict_on_batch", needs_compile=False)

    @property
    def metrics(self):
        return self._trainer.metrics if self._trainer is not None else []

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers` (exactly one of the two)."""
        if (name is None) == (index is None):
            raise ValueError(f"get_layer() of model '{self.name}': provide exactly one of `name` or `index`")
        layers = self.layers
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}': was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in layers]}")

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if cls is Model and "input_layers" in config and "layers" in config:  # a functional model's config
            from .functional import Functional
            return Functional.from_config(config, custom_objects)
        return super().from_config(config)

    def to_json(self, **kwargs):
        """The model's architecture (no weights) as a Keras 3 JSON string; see keras.models.model_from_json."""
        from ..layers import serialize

        return json.dumps(serialize(self), **kwargs)

    # -- saving (keras/saving/) --
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the whole model (`.keras` zip or legacy `.h5`): architecture, weights, compile config
        and optimizer state."""
        from ..saving import save_model
        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights (and optimizer state) in the Keras 3 `.weights.h5` layout."""
        from ..saving import weights_h5
        weights_h5.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads a `.weights.h5` file (or the weights of a legacy `.h5` / `.keras` model file); on any
        error nothing is changed."""
        from ..saving import keras_zip, weights_h5
        if str(filepath).endswith(".keras"):
            keras_zip.load_weights_into(self, filepath)
        else:
            weights_h5.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def _layer_output_shapes(self):
        return None  # unknown in general: sub-layers need not form a chain

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Prints the Keras 3 table of layers, output shapes and parameter counts (see utils/summary_utils.py)."""
        print_summary(self, self._layer_output_shapes(), print_fn, line_length=line_length, positions=positions,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)
