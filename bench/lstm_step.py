"""lstm_step: time of ONE training step of LSTM(128) -> Dense(1) on sequences of length 100 with
32 features, batch 64, Adam and mean squared error.

ktensor and Keras 3 (TF backend) run the same public Keras code and `train_on_batch`; PyTorch runs
an eager nn.LSTM (batch_first) + nn.Linear on the last output with torch.optim.Adam. On a GPU the
torch peer is cuDNN's LSTM.
"""
import numpy as np

from _harness import (cell, import_torch, keras_train_step, ktensor_train_step, median_time, Row, torch_sync)

BATCH, TIME, FEATURES, UNITS = 64, 100, 32, 128


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, TIME, FEATURES), dtype=np.float32)
    y = rng.standard_normal((BATCH, 1), dtype=np.float32)
    return x, y


def keras_model(keras):
    model = keras.Sequential([keras.Input((TIME, FEATURES)), keras.layers.LSTM(UNITS), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def ktensor_step(device="cpu"):
    return ktensor_train_step(keras_model, *make_batch(), device)


def keras_step(device="cpu"):
    return keras_train_step(keras_model, *make_batch(), device)


def torch_step(device="cpu"):
    torch = import_torch()
    nn = torch.nn
    torch.manual_seed(0)
    x, y = make_batch()
    lstm = nn.LSTM(FEATURES, UNITS, batch_first=True).to(device)
    head = nn.Linear(UNITS, 1).to(device)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)

    def step():
        xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        opt.zero_grad(set_to_none=True)
        out, _ = lstm(xb)
        torch.nn.functional.mse_loss(head(out[:, -1]), yb).backward()
        opt.step()
    return step, torch_sync(torch, device)


def step_ms(make, device, quick):
    step, sync = make(device)
    return 1e3 * median_time(step, warmup=3 if quick else 10, budget=1.5 if quick else 5.0, sync=sync)


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}
    values = {name: cell(step_ms, makers[name], device, ctx.quick) for name in ("ktensor", *peers)}
    yield Row(f"lstm_step b={BATCH} t={TIME} u={UNITS} ({device})", "ms", False, values, peers)
