"""keras.layers: the Layer base, Dense, Activation, Dropout, Flatten, InputLayer / Input, the merge
layers (Add, Concatenate, Dot, ... and add(), concatenate(), ...) and Lambda."""
from ..utils.serialization import from_dict
from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .input_layer import Input, InputLayer, KerasTensor
from .lambda_layer import Lambda
from .layer import Layer
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate,
                    dot, maximum, minimum, multiply, subtract)
# rnn family
from .bidirectional import Bidirectional
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell

_CLASSES = {c.__name__: c for c in (Activation, Dense, Dropout, Flatten, InputLayer, Lambda, Add, Subtract, Multiply,
                                    Average, Maximum, Minimum, Concatenate, Dot)}
_CLASSES.update({c.__name__: c for c in (RNN, SimpleRNN, SimpleRNNCell, LSTM, LSTMCell, GRU, GRUCell,
                                          Bidirectional)})  # rnn family
_MODULES = {"Functional": "keras.src.models.functional"}


def serialize(layer):
    config = {"module": _MODULES.get(type(layer).__name__, "keras.layers"), "class_name": type(layer).__name__,
              "config": layer.get_config(), "registered_name": None}
    build = layer.get_build_config() if not isinstance(layer, InputLayer) else None
    if build:
        config["build_config"] = build
    return config


def deserialize(config, custom_objects=None):
    """A layer from its Keras 3 config dict (built when the dict has a build_config)."""
    from .. import models  # Sequential configs may nest
    table = {**_CLASSES, "Sequential": models.Sequential, "Functional": models.Functional,
             "Model": models.Functional}
    layer = from_dict(config, table, "layer", custom_objects)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer


__all__ = ["Layer", "Dense", "Activation", "Dropout", "Flatten", "InputLayer", "Input", "Lambda", "Add", "Subtract",
           "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract", "multiply", "average",
           "maximum", "minimum", "concatenate", "dot", "serialize", "deserialize"]
__all__ += ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional"]  # rnn family
