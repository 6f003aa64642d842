"""conv: conv2d GFLOP/s on the MNIST convnet's two convolutions at batch 128,
28x28x1 -> 32 3x3 valid and 26x26x32 -> 64 3x3 valid: the forward pass, and the backward
pass (input and kernel gradients; for the first layer only the kernel gradient, as in
training, since the images need no gradient). ktensor (NHWC) against torch (NCHW, its
default layout) on the CPU, and on the GPU against torch cuDNN with TF32 off when a CUDA
device is visible.
"""
import numpy as np

from _harness import Row, cell, import_ktensor, import_torch, ktensor_sync, median_time, torch_sync

BATCH = 128
SHAPES = ((28, 1, 32), (26, 32, 64))  # (image side, in channels, out channels), 3x3 valid


def flops(side, cin, cout, backward):
    out = side - 2
    fwd = 2.0 * BATCH * out * out * cout * 9 * cin
    return fwd * (1 if cin == 1 else 2) if backward else fwd  # backward: kernel grad (+ input grad)


def make_data(side, cin, cout):
    r = np.random.default_rng(0)
    x = r.standard_normal((BATCH, side, side, cin)).astype(np.float32)
    w = r.standard_normal((3, 3, cin, cout)).astype(np.float32) * 0.1
    g = r.standard_normal((BATCH, side - 2, side - 2, cout)).astype(np.float32)
    return x, w, g


def ktensor_fn(side, cin, cout, backward, device):
    kt = import_ktensor()
    from ktensor.ops import conv as kconv
    x, w, g = make_data(side, cin, cout)
    with kt.device(device):
        xt, wt, gt = kt.constant(x), kt.constant(w), kt.constant(g)
    geom = ([1, 1], [0, 0, 0, 0], [1, 1], 1)
    if not backward:
        return (lambda: kconv._conv(xt, wt, geom)), ktensor_sync(kt, device)

    def step():
        kconv._conv_kernel_grad(xt, gt, w.shape, geom)
        if cin > 1:
            kconv._conv_input_grad(gt, wt, x.shape, geom)
    return step, ktensor_sync(kt, device)


def torch_fn(side, cin, cout, backward, device):
    torch = import_torch()  # TF32 off
    x, w, g = make_data(side, cin, cout)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device).requires_grad_(cin > 1)
    wt = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous().to(device).requires_grad_(True)
    gt = torch.from_numpy(g).permute(0, 3, 1, 2).contiguous().to(device)
    conv = torch.nn.functional.conv2d
    if not backward:
        def fwd():
            with torch.no_grad():
                conv(xt, wt)
        return fwd, torch_sync(torch, device)
    y = conv(xt, wt)  # the backward alone: the graph is kept and replayed

    def step():
        torch.autograd.grad(y, (xt, wt) if cin > 1 else (wt,), gt, retain_graph=True)
    return step, torch_sync(torch, device)


def gflops(make, side, cin, cout, backward, device, quick):
    fn, sync = make(side, cin, cout, backward, device)
    t = median_time(fn, warmup=2 if quick else 5, budget=1.0 if quick else 3.0, sync=sync)
    return flops(side, cin, cout, backward) / t / 1e9


def rows(ctx, device="cpu"):
    for side, cin, cout in SHAPES:
        for backward in (False, True):
            values = {name: cell(gflops, make, side, cin, cout, backward, device, ctx.quick)
                      for name, make in (("ktensor", ktensor_fn), ("torch", torch_fn))}
            what = "bwd" if backward else "fwd"
            yield Row(f"conv {side}x{side}x{cin}->{cout} {what} ({device})", "GFLOP/s", True, values, ("torch",))
    if device == "cpu" and _cuda_visible():
        yield from rows(ctx, "cuda")


def _cuda_visible():
    try:
        return import_ktensor().cuda.is_available()
    except Exception:
        return False
