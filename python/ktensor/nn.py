"""TensorFlow's tf.nn namespace."""
from .ops.activations import (elu, gelu, hard_sigmoid, leaky_relu, log_softmax, relu, relu6, selu, sigmoid, silu,
                              softmax, softplus, softsign, swish, tanh)
from .ops.losses import (sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
                         sparse_softmax_cross_entropy_with_logits)
from .ops.bias_act import bias_add
# pool and norm family
from .ops.norm import (batch_norm_inference, batch_norm_training, batch_normalization, layer_normalization,
                       moments)
from .ops.pool import avg_pool, avg_pool1d, avg_pool2d, max_pool, max_pool1d, max_pool2d

# conv family
from .ops.conv import conv1d, conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d


__all__ = ["elu", "gelu", "hard_sigmoid", "leaky_relu", "log_softmax", "relu", "relu6", "selu", "sigmoid", "silu",
           "softmax", "softplus", "softsign", "swish", "tanh", "sigmoid_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits", "l2_loss", "bias_add"]
__all__ += ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d"]  # conv family

# pool and norm family
__all__ += ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "max_pool", "avg_pool", "batch_normalization",
            "moments", "batch_norm_training", "batch_norm_inference", "layer_normalization"]


def l2_loss(t):
    from .ops.reduce import reduce_sum
    from .ops.math import square
    return reduce_sum(square(t)) * 0.5


