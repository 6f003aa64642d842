"""lstm_step: time of ONE training step of LSTM(128) -> Dense(1) on sequences of length 100 with
32 features, batch 64, Adam and mean squared error.

ktensor and Keras 3 (TF backend) run the same public Keras code and `train_on_batch`; PyTorch runs
an eager nn.LSTM (batch_first) + nn.Linear on the last output with torch.optim.Adam. On a GPU the
torch peer is cuDNN's LSTM. A second row trains the same model with dropout=0.2 and
recurrent_dropout=0.2 (one mask per gate in Keras 3) against Keras only: torch's LSTM has no
recurrent dropout.
"""
import functools

import numpy as np

from _harness import (import_torch, keras_train_step, ktensor_train_step, step_rows, torch_sync)

BATCH, TIME, FEATURES, UNITS = 64, 100, 32, 128


def make_batch(batch=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, TIME, FEATURES), dtype=np.float32)
    y = rng.standard_normal((batch, 1), dtype=np.float32)
    return x, y


def keras_model(keras, dropout=0.0):
    lstm = keras.layers.LSTM(UNITS, dropout=dropout, recurrent_dropout=dropout)
    model = keras.Sequential([keras.Input((TIME, FEATURES)), lstm, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def ktensor_step(batch=BATCH, device="cpu", dropout=0.0):
    return ktensor_train_step(functools.partial(keras_model, dropout=dropout), *make_batch(batch), device)


def keras_step(batch=BATCH, device="cpu", dropout=0.0):
    return keras_train_step(functools.partial(keras_model, dropout=dropout), *make_batch(batch), device)


def torch_step(batch=BATCH, device="cpu"):
    torch = import_torch()
    nn = torch.nn
    torch.manual_seed(0)
    x, y = make_batch(batch)
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


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}
    yield from step_rows(lambda b: f"lstm_step b={b} t={TIME} u={UNITS} ({device})", makers, (BATCH,), device, peers,
                         ctx.quick, heavy=True)
    keras_peers = tuple(p for p in peers if p != "torch")
    if keras_peers:
        dropped = {name: functools.partial(makers[name], dropout=0.2) for name in ("ktensor", *keras_peers)}
        yield from step_rows(lambda b: f"lstm_step b={b} dropout+recurrent_dropout 0.2 ({device})", dropped,
                             (BATCH,), device, keras_peers, ctx.quick, heavy=True)
