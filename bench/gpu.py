"""gpu: the CUDA workloads, run only when ktensor or torch sees a GPU.

- sgemm fp32 n = 1024..8192, GFLOP/s vs torch (TF32 off)
- device-to-device copy GB/s: the bandwidth roofline the next two are measured against
- elementwise add of two 64M-float vectors, GB/s (12 bytes moved per element) and / copy
- one Adam step over 10M float32 params, GB/s (28 bytes per param: read p, g, m, v and
  write p, m, v) and / copy; torch uses its fused Adam (its fastest)
- the MLP step, the convnet step, the 1-element add overhead and the memory run, on the GPU, vs torch eager
- the convnet's two convolutions (forward, backward) vs cuDNN, and max pool / batch norm / layer
  norm forward + backward vs torch (conv.py, norm_pool.py on the GPU)
- the LSTM train step vs torch cuDNN
Every torch peer runs with TF32 off (_harness.import_torch).
"""
import numpy as np

import conv
import convnet_step
import memory
import mlp_step
import norm_pool
import overhead
import sgemm
from _harness import (Row, cell, import_ktensor, import_torch, ktensor_sync, median_time,
                      torch_sync)

ADD_N = 64 * 2**20
ADAM_N = 10_000_000


def available():
    """True when ktensor or torch can see a CUDA device."""
    try:
        if import_ktensor().config.info()["cuda_devices"] > 0:
            return True
    except Exception:
        pass
    try:
        return import_torch().cuda.is_available()
    except Exception:
        return False


def gbps(nbytes, seconds):
    return nbytes / seconds / 1e9


# ---- ktensor -------------------------------------------------------------------------

def ktensor_copy(n):
    kt = import_ktensor()
    with kt.device("cuda"):
        x = kt.constant(np.ones(n, np.float32))
        return gbps(8 * n, median_time(lambda: kt.identity(x), sync=ktensor_sync(kt, "cuda")))


def ktensor_add(n):
    kt = import_ktensor()
    with kt.device("cuda"):
        a, b = kt.constant(np.ones(n, np.float32)), kt.constant(np.ones(n, np.float32))
        return gbps(12 * n, median_time(lambda: a + b, sync=ktensor_sync(kt, "cuda")))


def ktensor_adam(n):
    kt = import_ktensor()
    from ktensor import keras
    with kt.device("cuda"):
        var = kt.Variable(np.zeros(n, np.float32))
        grad = kt.constant(np.full(n, 1e-3, np.float32))
        opt = keras.optimizers.Adam(1e-3)
        step = lambda: opt.apply_gradients([(grad, var)])  # noqa: E731
        return gbps(28 * n, median_time(step, sync=ktensor_sync(kt, "cuda")))


# ---- torch ---------------------------------------------------------------------------

def torch_copy(n):
    torch = import_torch()
    x = torch.ones(n, device="cuda")
    return gbps(8 * n, median_time(x.clone, sync=torch.cuda.synchronize))


def torch_add(n):
    torch = import_torch()
    a, b = torch.ones(n, device="cuda"), torch.ones(n, device="cuda")
    return gbps(12 * n, median_time(lambda: a + b, sync=torch.cuda.synchronize))


def torch_adam(n):
    torch = import_torch()
    p = torch.zeros(n, device="cuda", requires_grad=True)
    p.grad = torch.full_like(p, 1e-3)
    opt = torch.optim.Adam([p], lr=1e-3, fused=True)
    return gbps(28 * n, median_time(opt.step, sync=torch_sync(torch, "cuda")))


# ---- rows ----------------------------------------------------------------------------

def fraction(values, copy):
    """values / copy bandwidth, per framework; copy is the device's roofline in GB/s."""
    if not isinstance(copy, float):
        return {name: (v if isinstance(v, str) else "no copy figure") for name, v in values.items()}
    return {name: (v / copy if isinstance(v, float) else v) for name, v in values.items()}


def rows(ctx):
    sizes = (1024, 4096) if ctx.quick else (1024, 2048, 4096, 8192)
    yield from sgemm.rows(ctx, "cuda", sizes=sizes)

    copy = {"ktensor": cell(ktensor_copy, ADD_N), "torch": cell(torch_copy, ADD_N)}
    yield Row("gpu d2d copy 64M f32", "GB/s", True, copy, ("torch",))
    # the roofline: torch's clone (a cudaMemcpy) when available, else ktensor's own copy
    roof = copy["torch"] if isinstance(copy["torch"], float) else copy["ktensor"]

    add = {"ktensor": cell(ktensor_add, ADD_N), "torch": cell(torch_add, ADD_N)}
    yield Row("gpu add 64M f32", "GB/s", True, add, ("torch",))
    yield Row("gpu add 64M f32 / copy", "fraction", True, fraction(add, roof), ("torch",))

    adam = {"ktensor": cell(ktensor_adam, ADAM_N), "torch": cell(torch_adam, ADAM_N)}
    yield Row("gpu adam 10M params", "GB/s", True, adam, ("torch",))
    yield Row("gpu adam 10M params / copy", "fraction", True, fraction(adam, roof), ("torch",))

    yield from mlp_step.rows(ctx, "cuda", peers=("torch",))
    yield from convnet_step.rows(ctx, "cuda", peers=("torch",))
    yield from conv.rows(ctx, "cuda")
    yield from norm_pool.rows(ctx, "cuda", peers=("torch",))
    yield from overhead.rows(ctx, "cuda")
    yield from memory.rows(ctx, "cuda", peers=("torch",))
    import lstm_step  # rnn family: vs torch cuDNN
    yield from lstm_step.rows(ctx, "cuda", peers=("torch",))
