"""memory: resident set size over many MLP training steps (batch 128), to catch leaks.

Each framework trains in its own fresh process (so the RSS is its own, not the sum of every
library the harness imported): RSS after the warm-up (step 100), at the end, and the growth
in between; on CUDA also the bytes the framework's allocator holds for tensors.

Also runnable alone: python bench/memory.py {ktensor|torch} {cpu|cuda} STEPS
"""
import json
import os
import signal
import subprocess
import sys

from _harness import Row, cell, import_ktensor, import_torch, rss_mb

WARMUP_STEPS = 100
BATCH = 128


def train(framework, device, steps):
    """Run `steps` train steps in this process; return the memory readings as a dict."""
    import mlp_step
    make = {"ktensor": mlp_step.ktensor_step, "torch": mlp_step.torch_step}[framework]
    step, sync = make(BATCH, device)
    if device == "cuda":
        if framework == "ktensor":
            allocated = import_ktensor().cuda.memory_allocated
        else:
            allocated = import_torch().cuda.memory_allocated
    readings = {}
    for i in range(1, steps + 1):
        step()
        if i in (WARMUP_STEPS, steps):
            if sync is not None:
                sync()
            tag = "warm" if i == WARMUP_STEPS else "end"
            readings[f"rss_{tag}_mb"] = rss_mb()
            if device == "cuda":
                readings[f"device_{tag}_mb"] = allocated() / 2**20
    return readings


def measure(framework, device, steps, timeout):
    """Run train() in a child process and return its readings."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), framework, device,
                           str(steps)], capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        rc = proc.returncode
        how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with {rc}"
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child {how}: {last}")
    return json.loads(lines[-1])


def rows(ctx, device="cpu", peers=("torch",)):
    steps = 300 if ctx.quick else 2000
    names = ("ktensor", *peers)
    runs = {name: cell(measure, name, device, steps, timeout=1800) for name in names}

    def pick(key):
        return {n: (r[key] if isinstance(r, dict) else r) for n, r in runs.items()}

    def growth(key):
        return {n: (r[f"{key}_end_mb"] - r[f"{key}_warm_mb"] if isinstance(r, dict) else r)
                for n, r in runs.items()}

    where = f"({device}, {steps} steps)"
    yield Row(f"memory rss@{WARMUP_STEPS} {where}", "MiB", False, pick("rss_warm_mb"), peers)
    yield Row(f"memory rss@end {where}", "MiB", False, pick("rss_end_mb"), peers)
    yield Row(f"memory rss growth {where}", "MiB", False, growth("rss"), ())
    if device == "cuda":
        yield Row(f"memory device@end {where}", "MiB", False, pick("device_end_mb"), peers)
        yield Row(f"memory device growth {where}", "MiB", False, growth("device"), ())


if __name__ == "__main__":
    fw, dev, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(train(fw, dev, n)))
