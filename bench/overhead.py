"""overhead: cost of one tiny op from Python, `a + b` on 1-element float32 tensors, in
microseconds per op (a loop of N ops, repeated, median / N). This is the fixed price every
op pays for dispatch, allocation and the Python binding, before any arithmetic.
"""
import numpy as np

from _harness import (Row, cell, import_ktensor, import_tf, import_torch, ktensor_sync,
                      median_time, torch_sync)


def us_per_add(a, b, n, quick, sync=None):
    def loop():
        for _ in range(n):
            a + b
    return 1e6 * median_time(loop, warmup=1, repeat=3 if quick else 7, sync=sync) / n


def one(v=1.0):
    return np.array([v], dtype=np.float32)


def ktensor_add(n, device, quick):
    kt = import_ktensor()
    with kt.device(device):
        a, b = kt.constant(one(1.0)), kt.constant(one(2.0))
        return us_per_add(a, b, n, quick, ktensor_sync(kt, device))


def torch_add(n, device, quick):
    torch = import_torch()
    a, b = torch.from_numpy(one(1.0)).to(device), torch.from_numpy(one(2.0)).to(device)
    return us_per_add(a, b, n, quick, torch_sync(torch, device))


def tf_add(n, device, quick):
    tf = import_tf()
    a, b = tf.constant(one(1.0)), tf.constant(one(2.0))
    return us_per_add(a, b, n, quick)


def numpy_add(n, device, quick):
    return us_per_add(one(1.0), one(2.0), n, quick)


def rows(ctx, device="cpu"):
    n = 5_000 if ctx.quick else 20_000
    makers = {"ktensor": ktensor_add, "torch": torch_add, "keras/tf": tf_add, "numpy": numpy_add}
    names = ("ktensor", "torch", "keras/tf", "numpy") if device == "cpu" else ("ktensor", "torch")
    values = {name: cell(makers[name], n, device, ctx.quick) for name in names}
    yield Row(f"overhead add 1 elem ({device})", "us/op", False, values, names[1:])
