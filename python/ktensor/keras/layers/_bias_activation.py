"""The Conv/Dense epilogue: activation(y + bias), one fused native op when the activation allows it."""
from ... import ops
from .. import activations


def fused_name(bias, activation, dtype):
    """The bias_act name of `activation` when it can be fused with adding `bias` to a `dtype`
    output (linear, relu and tanh, after a bias of the same float dtype), else None."""
    name = activations.fused_name(activation) if bias is not None else None
    return name if name is not None and dtype.is_floating and dtype.name == bias.dtype.name else None  # else + promotes


def bias_activation(y, bias, activation):
    """activation(y + bias), bias None meaning no bias; linear, relu and tanh after a bias are fused."""
    name = fused_name(bias, activation, y.dtype)
    if name is not None:
        return ops.bias_act.bias_act(y, bias, name)
    if bias is not None:
        y = y + bias
    return activation(y)
