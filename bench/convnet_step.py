"""convnet_step: ONE training step of the Keras documents' MNIST convnet, at batch 32 and 128,
and the peak resident memory of training it at batch 128.

The model: Conv2D 32 3x3 relu, Conv2D 64 3x3 relu, MaxPooling 2x2, Dropout 0.25, Flatten,
Dense 128 relu, Dropout 0.5, Dense 10 softmax, on 28x28x1 inputs, RMSprop, categorical
cross-entropy. ktensor and Keras 3 (TF backend) run the same Keras code with `train_on_batch`;
PyTorch runs the same network eagerly (NCHW, its native layout) with torch.optim.RMSprop.

Also runnable alone for the memory row: python bench/convnet_step.py {ktensor|torch} {cpu|cuda} STEPS
"""
import json
import os
import signal
import subprocess
import sys

import numpy as np

from _harness import (cell, import_torch, keras_train_step, ktensor_train_step, peak_rss_mb, Row, step_rows,
                      torch_sync)

BATCHES = (32, 128)
MEMORY_BATCH = 128


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=batch)]
    return x, y


def keras_model(keras):
    """The model, written once for any module with the Keras API (ktensor's or Keras')."""
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="categorical_crossentropy")
    return model


def ktensor_step(batch, device="cpu"):
    return ktensor_train_step(keras_model, *make_batch(batch), device)


def keras_step(batch, device="cpu"):
    return keras_train_step(keras_model, *make_batch(batch), device)


def torch_step(batch, device="cpu"):
    torch = import_torch()
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    x, y = make_batch(batch)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(128, 10)).to(device)
    # Keras' RMSprop defaults: lr 1e-3, rho 0.9, eps 1e-7
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    model.train()

    def step():
        # like train_on_batch, the step takes host (numpy) NHWC data and moves it to the device
        xb = torch.from_numpy(x).to(device).permute(0, 3, 1, 2)
        yb = torch.from_numpy(y).to(device)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    return step, torch_sync(torch, device)


def train(framework, device, steps):
    """Run `steps` train steps at MEMORY_BATCH in this process; return the peak RSS in MiB."""
    make = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}[framework]
    step, sync = make(MEMORY_BATCH, device)
    for _ in range(steps):
        step()
    if sync is not None:
        sync()
    return {"peak_rss_mb": peak_rss_mb()}


def peak_mb(framework, device, steps):
    """Peak RSS of a fresh child process that trains `steps` steps (its own libraries only)."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), framework, device, str(steps)],
                          capture_output=True, text=True, timeout=1800)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        rc = proc.returncode
        how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with {rc}"
        raise RuntimeError(f"child {how}: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(lines[-1])["peak_rss_mb"]


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}
    yield from step_rows(lambda b: f"convnet_step b={b} ({device})", makers, BATCHES, device, peers, ctx.quick,
                         heavy=True)
    steps = 20 if ctx.quick else 100
    values = {name: cell(peak_mb, name, device, steps) for name in ("ktensor", *peers)}
    yield Row(f"convnet peak rss b={MEMORY_BATCH} ({device}, {steps} steps)", "MiB", False, values, peers)


if __name__ == "__main__":
    fw, dev, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(train(fw, dev, n)))
