"""The Conv/Dense epilogue: activation(y + bias), one fused native op when the activation allows it."""
from ... import ops
from .. import activations


def bias_activation(y, bias, activation):
    """activation(y + bias), bias None meaning no bias; linear, relu and tanh after a bias are fused."""
    name = activations.fused_name(activation) if bias is not None else None
    if name is not None and y.dtype.is_floating and y.dtype.name == bias.dtype.name:  # else + promotes
        return ops.bias_act.bias_act(y, bias, name)
    if bias is not None:
        y = y + bias
    return activation(y)
