"""sgemm: float32 square matrix multiply, in GFLOP/s (2 n^3 flops per product).

On the CPU ktensor is compared with numpy (`a @ b`, the target ratio) and torch; on a GPU
(see gpu.py) with torch, TF32 off.
"""
import numpy as np

from _harness import (Row, cell, import_ktensor, import_torch, ktensor_sync, median_time,
                      torch_sync)

CPU_SIZES = (256, 1024, 2048)


def operands(n):
    rng = np.random.default_rng(n)
    return (rng.standard_normal((n, n), dtype=np.float32),
            rng.standard_normal((n, n), dtype=np.float32))


def gflops(n, seconds):
    return 2.0 * n**3 / seconds / 1e9


def ktensor_gemm(n, device, budget):
    kt = import_ktensor()
    with kt.device(device):
        a, b = (kt.constant(m) for m in operands(n))
        return gflops(n, median_time(lambda: kt.matmul(a, b), budget=budget,
                                     sync=ktensor_sync(kt, device)))


def torch_gemm(n, device, budget):
    torch = import_torch()  # TF32 off
    a, b = (torch.from_numpy(m).to(device) for m in operands(n))
    return gflops(n, median_time(lambda: torch.matmul(a, b), budget=budget,
                                 sync=torch_sync(torch, device)))


def numpy_gemm(n, device, budget):
    a, b = operands(n)
    return gflops(n, median_time(lambda: a @ b, budget=budget))


def rows(ctx, device="cpu", sizes=CPU_SIZES):
    budget = 0.5 if ctx.quick else 2.0
    makers = {"ktensor": ktensor_gemm, "torch": torch_gemm, "numpy": numpy_gemm}
    names = ("ktensor", "numpy", "torch") if device == "cpu" else ("ktensor", "torch")
    for n in sizes:
        values = {name: cell(makers[name], n, device, budget) for name in names}
        yield Row(f"sgemm n={n} ({device})", "GFLOP/s", True, values, names[1:])
