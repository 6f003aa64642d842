"""TensorFlow's tf.nn namespace."""
from .ops.activations import (elu, gelu, hard_sigmoid, leaky_relu, log_softmax, relu, relu6, selu, sigmoid, silu,
                              softmax, softplus, softsign, swish, tanh)
from .ops.losses import (sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
                         sparse_softmax_cross_entropy_with_logits)

# conv family
from .ops.conv import conv1d, conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d


__all__ = ["elu", "gelu", "hard_sigmoid", "leaky_relu", "log_softmax", "relu", "relu6", "selu", "sigmoid", "silu",
           "softmax", "softplus", "softsign", "swish", "tanh", "sigmoid_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits", "l2_loss"]
__all__ += ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d"]  # conv family


def l2_loss(t):
    from .ops.reduce import reduce_sum
    from .ops.math import square
    return reduce_sum(square(t)) * 0.5


