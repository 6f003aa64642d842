"""conv: conv2d GFLOP/s on the MNIST convnet's two convolutions at batch 128,
28x28x1 -> 32 3x3 valid and 26x26x32 -> 64 3x3 valid, on a wide VGG-style 14x14x256 -> 256 3x3
same convolution at batch 16, and on a MobileNet-style depthwise 3x3 same convolution over
56x56x64 at batch 32: the forward pass, and the backward pass (input and
kernel gradients; for the first layer only the kernel gradient, as in training, since the
images need no gradient). ktensor (NHWC) against torch (NCHW, its
default layout) on the CPU, and on the GPU against torch cuDNN with TF32 off when a CUDA
device is visible.
"""
import numpy as np

from _harness import Row, cell, import_ktensor, import_torch, ktensor_sync, median_time, torch_sync

# (batch, image side, in channels, out channels, padding of each side, groups), 3x3 stride 1
SHAPES = ((128, 28, 1, 32, 0, 1), (128, 26, 32, 64, 0, 1), (16, 14, 256, 256, 1, 1), (32, 56, 64, 64, 1, 64))


def flops(batch, side, cin, cout, pad, groups, backward):
    out = side - 2 + 2 * pad
    fwd = 2.0 * batch * out * out * cout * 9 * (cin // groups)
    return fwd * (1 if cin == 1 else 2) if backward else fwd  # backward: kernel grad (+ input grad)


def make_data(batch, side, cin, cout, pad, groups):
    r = np.random.default_rng(0)
    out = side - 2 + 2 * pad
    x = r.standard_normal((batch, side, side, cin)).astype(np.float32)
    w = r.standard_normal((3, 3, cin // groups, cout)).astype(np.float32) * 0.1
    g = r.standard_normal((batch, out, out, cout)).astype(np.float32)
    return x, w, g


def ktensor_fn(shape, backward, device):
    kt = import_ktensor()
    from ktensor.ops import conv as kconv
    x, w, g = make_data(*shape)
    cin, pad, groups = shape[2], shape[4], shape[5]
    with kt.device(device):
        xt, wt, gt = kt.constant(x), kt.constant(w), kt.constant(g)
    geom = ([1, 1], [pad] * 4, [1, 1], groups)
    if not backward:
        return (lambda: kconv._conv(xt, wt, geom)), ktensor_sync(kt, device)

    def step():
        kconv._conv_kernel_grad(xt, gt, w.shape, geom)
        if cin > 1:
            kconv._conv_input_grad(gt, wt, x.shape, geom)
    return step, ktensor_sync(kt, device)


def torch_fn(shape, backward, device):
    torch = import_torch()  # TF32 off
    x, w, g = make_data(*shape)
    cin, pad, groups = shape[2], shape[4], shape[5]
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device).requires_grad_(cin > 1)
    wt = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous().to(device).requires_grad_(True)
    gt = torch.from_numpy(g).permute(0, 3, 1, 2).contiguous().to(device)
    def conv(a, k):
        return torch.nn.functional.conv2d(a, k, padding=pad, groups=groups)
    if not backward:
        def fwd():
            with torch.no_grad():
                conv(xt, wt)
        return fwd, torch_sync(torch, device)
    y = conv(xt, wt)  # the backward alone: the graph is kept and replayed

    def step():
        torch.autograd.grad(y, (xt, wt) if cin > 1 else (wt,), gt, retain_graph=True)
    return step, torch_sync(torch, device)


def gflops(make, shape, backward, device, quick):
    fn, sync = make(shape, backward, device)
    t = median_time(fn, warmup=2 if quick else 5, budget=1.0 if quick else 3.0, sync=sync)
    return flops(*shape, backward) / t / 1e9


def rows(ctx, device="cpu"):
    for shape in SHAPES:
        batch, side, cin, cout, pad, groups = shape
        for backward in (False, True):
            values = {name: cell(gflops, make, shape, backward, device, ctx.quick)
                      for name, make in (("ktensor", ktensor_fn), ("torch", torch_fn))}
            what = "bwd" if backward else "fwd"
            shape_name = f"{side}x{side}x{cin}" + ("" if groups > 1 else f"->{cout}")
            tail = "" if batch == 128 else f" same b={batch}"
            name = f"{'depthwise' if groups > 1 else 'conv'} {shape_name}{tail}"
            yield Row(f"{name} {what} ({device})", "GFLOP/s", True, values, ("torch",))
    if device == "cpu" and _cuda_visible():
        yield from rows(ctx, "cuda")


def _cuda_visible():
    try:
        return import_ktensor().cuda.is_available()
    except Exception:
        return False
