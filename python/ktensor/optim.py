"""Fused in-place optimizer steps: one native kernel per variable (Keras 3 formulas)."""
import math

from . import _core

_SGD, _RMSPROP, _ADAM, _ADAGRAD, _NADAM, _ADAMAX = 0, 1, 2, 3, 4, 5


def _t(x):
    return None if x is None else x._t


def _check(var, grad):
    if grad.device != var.device:
        raise ValueError(f"gradient on {grad.device} for variable '{getattr(var, 'name', '?')}' on {var.device}")


def sgd_step(var, grad, momentum_buf, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    _check(var, grad)
    hp = [lr, momentum, 1.0 if nesterov else 0.0, 0, 0, 0, 0, weight_decay]
    _core.optim_step(_SGD, var._t, grad._t, _t(momentum_buf) if momentum else None, None, None, hp)


def rmsprop_step(var, grad, velocity, momentum_buf, average_grad, lr, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=0.0):
    _check(var, grad)
    hp = [lr, rho, momentum, epsilon, 1.0 if centered else 0.0, 0, 0, weight_decay]
    _core.optim_step(_RMSPROP, var._t, grad._t, velocity._t, _t(momentum_buf) if momentum > 0 else None,
                     _t(average_grad) if centered else None, hp)


def adam_step(var, grad, m, v, vhat, lr, beta1=0.9, beta2=0.999, epsilon=1e-7, step=1, amsgrad=False,
              weight_decay=0.0):
    """Adam / AdamW (decoupled weight_decay); `step` counts from 1."""
    _check(var, grad)
    alpha = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    hp = [lr, beta1, beta2, epsilon, alpha, 1.0 if amsgrad else 0.0, 0, weight_decay]
    _core.optim_step(_ADAM, var._t, grad._t, m._t, v._t, _t(vhat) if amsgrad else None, hp)


def adagrad_step(var, grad, accumulator, lr, epsilon=1e-7, weight_decay=0.0):
    _check(var, grad)
    hp = [lr, epsilon, 0, 0, 0, 0, 0, weight_decay]
    _core.optim_step(_ADAGRAD, var._t, grad._t, accumulator._t, None, None, hp)


def nadam_momentum_decay(beta1, step):
    """Nadam's momentum schedule u_t = beta1 * (1 - 0.5 * 0.96^t), `step` counting from 1."""
    return beta1 * (1.0 - 0.5 * 0.96 ** step)


def nadam_step(var, grad, m, v, lr, beta1=0.9, beta2=0.999, epsilon=1e-7, step=1, u_product=None,
               weight_decay=0.0):
    """Nadam (Keras 3); `step` counts from 1 and `u_product` is u_1 * ... * u_step (the optimizer keeps it,
    computed from scratch when None)."""
    _check(var, grad)
    u_t, u_next = nadam_momentum_decay(beta1, step), nadam_momentum_decay(beta1, step + 1)
    if u_product is None:
        u_product = 1.0
        for t in range(1, step + 1):
            u_product *= nadam_momentum_decay(beta1, t)
    hp = [lr, beta1, beta2, epsilon, u_next / (1.0 - u_product * u_next), (1.0 - u_t) / (1.0 - u_product),
          1.0 - beta2 ** step, weight_decay]
    _core.optim_step(_NADAM, var._t, grad._t, m._t, v._t, None, hp)


def adamax_step(var, grad, m, u, lr, beta1=0.9, beta2=0.999, epsilon=1e-7, step=1, weight_decay=0.0):
    """Adamax (Keras 3): m += (g - m) * (1 - beta1); u = max(beta2 * u, |g|);
    var -= lr * m / ((1 - beta1^step) * (u + epsilon)); `step` counts from 1."""
    _check(var, grad)
    hp = [lr, beta1, beta2, epsilon, 1.0 - beta1 ** step, 0, 0, weight_decay]
    _core.optim_step(_ADAMAX, var._t, grad._t, m._t, u._t, None, hp)
