"""mlp_step: time of ONE training step of an MLP 784-512-512-10 with Adam and
sparse categorical cross-entropy, at batch 32 and 128.

ktensor and Keras 3 (TF backend) use the same public Keras code and `train_on_batch`;
PyTorch uses an eager nn.Sequential + torch.optim.Adam + F.cross_entropy step.
"""
import numpy as np

from _harness import (import_torch, keras_train_step, ktensor_train_step, step_rows, torch_sync)

BATCHES = (32, 128)


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=batch).astype(np.int64)
    return x, y


def keras_model(keras):
    """The model, written once for any module with the Keras API (ktensor's or Keras')."""
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
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
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        # like train_on_batch, the step takes host (numpy) data and moves it to the device
        xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    return step, torch_sync(torch, device)


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}
    yield from step_rows(lambda b: f"mlp_step b={b} ({device})", makers, BATCHES, device, peers, ctx.quick)
