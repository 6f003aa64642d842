"""All ops, TensorFlow names first. Each lives with its gradient rule in one module."""
from .activations import *  # noqa: F401,F403
from .core import cast, convert, is_tensor
from .create import (arange, constant, convert_to_tensor, eye, fill, from_dlpack, from_numpy, full, linspace, ones,
                     ones_like, range, zeros, zeros_like)
from .linalg import matmul, tensordot
from .losses import (sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
                     sparse_softmax_cross_entropy_with_logits)
from .math import (abs, add, ceil, clip, clip_by_value, cos, divide, equal, erf, exp, floor, floordiv, greater,
                   greater_equal, is_finite, is_nan, less, less_equal, log, log1p, logical_and, logical_not,
                   logical_or, maximum, minimum, mod, multiply, negative, not_equal, pow, reciprocal, round, rsqrt,
                   sign, sin, sqrt, square, subtract, where)
from .operators import install as _install
# pool and norm family
from .norm import (batch_norm_inference, batch_norm_training, batch_normalization, layer_normalization,  # noqa: F401
                   moments)
from .pool import avg_pool, avg_pool1d, avg_pool2d, max_pool, max_pool1d, max_pool2d  # noqa: F401
from .reduce import (argmax, argmin, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
                     reduce_prod, reduce_std, reduce_sum, reduce_variance)
from .shape import (boolean_mask, broadcast_to, concat, expand_dims, flatten, gather, getitem, identity, one_hot, pad,
                    rank, reshape, shape, size, split, squeeze, stack, tile, transpose, unstack)
from .shape import repeat  # shapes family (UpSampling layers)

# Other names the same ops go by (numpy / tf.math / Keras).
floor_divide = floor_div = floordiv
floormod = mod
truediv = divide
concatenate = concat
take = gather
variance = reduce_variance
std = reduce_std
logsumexp = reduce_logsumexp

_install()
from . import bias_act  # noqa: F401  (the layers' fused epilogue)
