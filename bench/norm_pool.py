"""norm_pool: ms per forward + backward call of the pooling and normalization kernels.

- max pool 2x2 (stride 2) on a 128x24x24x64 image batch;
- BatchNormalization (training mode: batch statistics, moving-average update) on 128x26x26x32;
- LayerNormalization over the last axis of (6400, 128);
- the Conv/Dense epilogue relu(x + bias) on 128x24x24x64 (ktensor: its fused bias_act, which the
  layers use; Keras/TF: tf.nn.relu(tf.nn.bias_add); PyTorch: F.relu(x + b) in NCHW).

Each call runs the forward under a tape and takes the input (and weight) gradients. ktensor
and Keras 3 (TF backend) use the same code (tf.nn.max_pool2d, the Keras layers); PyTorch runs
F.max_pool2d, nn.BatchNorm2d and nn.LayerNorm eagerly, in its default NCHW layout.
"""
import numpy as np

from _harness import (Row, cell, import_keras, import_ktensor, import_tf, import_torch, ktensor_sync, median_time,
                      torch_sync)

POOL = (128, 24, 24, 64)  # NHWC
BN = (128, 26, 26, 32)
LN = (64 * 100, 128)


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


# ---- ktensor and Keras/TF: one body for either module ----

def tape_step(tf, fn, x, weights):
    """Forward under a tape, then the gradients of sum(y * g) with respect to x and the weights."""
    g = None

    def step():
        nonlocal g
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        if g is None:
            g = tf.ones_like(y)
        return tape.gradient(y, [x] + list(weights), output_gradients=g)
    return step


def keras_like(name, tf, keras, device_ctx):
    with device_ctx():
        if name == "maxpool":
            x = tf.constant(data(POOL))
            return tape_step(tf, lambda t: tf.nn.max_pool2d(t, 2, 2, "VALID"), x, [])
        if name == "biasrelu":
            x, b = tf.constant(data(POOL)), tf.Variable(data(POOL[-1:], 1))
            if tf.__name__ == "ktensor":
                return tape_step(tf, lambda t: tf.ops.bias_act.bias_act(t, b, "relu"), x, [b])
            return tape_step(tf, lambda t: tf.nn.relu(tf.nn.bias_add(t, b)), x, [b])
        if name == "batchnorm":
            layer = keras.layers.BatchNormalization()
            x = tf.constant(data(BN))
            layer(x, training=False)
            return tape_step(tf, lambda t: layer(t, training=True), x, layer.trainable_weights)
        layer = keras.layers.LayerNormalization()
        x = tf.constant(data(LN))
        layer(x)
        return tape_step(tf, layer, x, layer.trainable_weights)


def ktensor_case(name, device, quick):
    kt = import_ktensor()
    from ktensor import keras
    step = keras_like(name, kt, keras, lambda: kt.device(device))

    def run():
        with kt.device(device):
            step()
    return ms(run, quick, ktensor_sync(kt, device))


def keras_case(name, device, quick):
    if device != "cpu":
        raise RuntimeError("the keras/tf peer runs on the CPU only")
    tf, keras = import_tf(), import_keras()
    import contextlib
    return ms(keras_like(name, tf, keras, contextlib.nullcontext), quick)


def torch_case(name, device, quick):
    torch = import_torch()
    nn, F = torch.nn, torch.nn.functional
    if name == "maxpool":
        x = torch.from_numpy(data(POOL)).permute(0, 3, 1, 2).contiguous().to(device).requires_grad_()
        fn, params = (lambda t: F.max_pool2d(t, 2, 2)), []
    elif name == "biasrelu":
        x = torch.from_numpy(data(POOL)).permute(0, 3, 1, 2).contiguous().to(device).requires_grad_()
        b = torch.from_numpy(data(POOL[-1:], 1)).to(device).requires_grad_()
        fn, params = (lambda t: F.relu(t + b.view(1, -1, 1, 1))), [b]
    elif name == "batchnorm":
        x = torch.from_numpy(data(BN)).permute(0, 3, 1, 2).contiguous().to(device).requires_grad_()
        mod = nn.BatchNorm2d(BN[-1], eps=1e-3, momentum=0.01).to(device).train()
        fn, params = mod, list(mod.parameters())
    else:
        x = torch.from_numpy(data(LN)).to(device).requires_grad_()
        mod = nn.LayerNorm(LN[-1], eps=1e-3).to(device)
        fn, params = mod, list(mod.parameters())
    g = torch.ones_like(fn(x))

    def step():
        return torch.autograd.grad(fn(x), [x] + params, grad_outputs=g)
    return ms(step, quick, torch_sync(torch, device))


def ms(fn, quick, sync=None):
    return 1e3 * median_time(fn, warmup=3 if quick else 10, budget=0.5 if quick else 2.0, sync=sync)


LABELS = {"maxpool": "maxpool 2x2 128x24x24x64 fwd+bwd", "batchnorm": "batchnorm 128x26x26x32 fwd+bwd",
          "layernorm": "layernorm 6400x128 fwd+bwd", "biasrelu": "bias+relu 128x24x24x64 fwd+bwd"}


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_case, "torch": torch_case, "keras/tf": keras_case}
    for name, label in LABELS.items():
        values = {fw: cell(makers[fw], name, device, ctx.quick) for fw in ("ktensor", *peers)}
        yield Row(f"{label} ({device})", "ms", False, values, peers)
