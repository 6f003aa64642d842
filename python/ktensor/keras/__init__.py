"""ktensor.keras: the Keras 3 API on ktensor.

    from ktensor import keras
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
"""
from . import (activations, backend, callbacks, initializers, layers, losses, metrics, models, optimizers,
               regularizers, saving, trainers, utils)
from .layers import Input, InputLayer, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .optimizers import Optimizer


def __getattr__(name):
    # The datasets package is imported on first use (it is independent of the rest).
    if name in ("datasets", "preprocessing"):
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'ktensor.keras' has no attribute {name!r}")


__all__ = ["Sequential", "Model", "Input", "InputLayer", "Layer", "Loss", "Metric", "Optimizer", "activations",
           "backend", "callbacks", "datasets", "initializers", "layers", "losses", "metrics", "models",
           "optimizers", "preprocessing", "regularizers", "saving", "utils"]
