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
# conv family
from .conv1d import Conv1D
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .depthwise_conv2d import DepthwiseConv2D
from .separable_conv2d import SeparableConv2D

# pool and norm family
from .average_pooling1d import AveragePooling1D
from .average_pooling2d import AveragePooling2D
from .batch_normalization import BatchNormalization
from .global_average_pooling1d import GlobalAveragePooling1D
from .global_average_pooling2d import GlobalAveragePooling2D
from .global_max_pooling1d import GlobalMaxPooling1D
from .global_max_pooling2d import GlobalMaxPooling2D
from .layer_normalization import LayerNormalization
from .max_pooling1d import MaxPooling1D
from .max_pooling2d import MaxPooling2D

# Keras' short aliases
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D

# shapes family
from .cropping1d import Cropping1D
from .cropping2d import Cropping2D
from .embedding import Embedding
from .masking import Masking
from .permute import Permute
from .repeat_vector import RepeatVector
from .reshape import Reshape
from .spatial_dropout import SpatialDropout1D, SpatialDropout2D
from .time_distributed import TimeDistributed
from .up_sampling1d import UpSampling1D
from .up_sampling2d import UpSampling2D
from .zero_padding1d import ZeroPadding1D
from .zero_padding2d import ZeroPadding2D

# rnn family
from .bidirectional import Bidirectional
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell

_CLASSES = {c.__name__: c for c in (Activation, Dense, Dropout, Flatten, InputLayer, Lambda, Add, Subtract, Multiply,
                                    Average, Maximum, Minimum, Concatenate, Dot)}
_CLASSES.update({c.__name__: c for c in (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,  # conv family
                                         SeparableConv2D)})
# pool and norm family
_CLASSES.update({c.__name__: c for c in (MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
                                         GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                                         GlobalMaxPooling2D, BatchNormalization, LayerNormalization)})
# shapes family: shape layers, Embedding, Masking, SpatialDropout, TimeDistributed
_CLASSES.update({c.__name__: c for c in (Cropping1D, Cropping2D, Embedding, Masking, Permute, RepeatVector, Reshape,
                                         SpatialDropout1D, SpatialDropout2D, TimeDistributed, UpSampling1D,
                                         UpSampling2D, ZeroPadding1D, ZeroPadding2D)})
_CLASSES.update({c.__name__: c for c in (RNN, SimpleRNN, SimpleRNNCell, LSTM, LSTMCell, GRU, GRUCell,
                                          Bidirectional)})  # rnn family
_MODULES = {"Functional": "keras.src.models.functional"}
_MODULES["Sequential"] = "keras"  # shapes family: a nested Sequential (e.g. in TimeDistributed), as Keras 3 writes


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
__all__ += ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]  # conv family

# pool and norm family
__all__ += ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
            "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "BatchNormalization",
            "LayerNormalization", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalAvgPool1D",
            "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D"]

__all__ += ["Cropping1D", "Cropping2D", "Embedding", "Masking", "Permute", "RepeatVector", "Reshape",  # shapes family
            "SpatialDropout1D", "SpatialDropout2D", "TimeDistributed", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
            "ZeroPadding2D"]


# preprocessing layers (prep)
from .preprocessing import (Normalization, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,  # noqa: E402
                            RandomZoom, Rescaling)

_CLASSES.update({c.__name__: c for c in (Rescaling, Normalization, RandomFlip, RandomTranslation, RandomRotation,
                                         RandomZoom, RandomCrop)})
__all__ += ["Rescaling", "Normalization", "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom",
            "RandomCrop"]

__all__ += ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional"]  # rnn family
