"""Model: a Layer that can be compiled and trained. Training itself lives in keras/trainers/.

Subclass it (define layers in __init__, the forward pass in call) or use Sequential. The
functional form `Model(inputs, outputs)` is the seam for a later issue.
"""
import functools

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
    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("keras.Model(inputs, outputs) (the functional API) is not supported yet: use "
                                      "keras.Sequential, or subclass keras.Model and define call()")
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
        if loss_weights is not None or weighted_metrics is not None:
            raise NotImplementedError("compile(loss_weights=..., weighted_metrics=...) is not supported yet")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._trainer = Trainer(self, optimizer=self.optimizer, loss=loss, metrics=metrics)
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

    def _layer_output_shapes(self):
        return None  # unknown in general: sub-layers need not form a chain

    def summary(self, print_fn=None, **kwargs):
        print_summary(self, self._layer_output_shapes(), print_fn)
