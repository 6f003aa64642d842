"""embedding_step: time of ONE training step of a small text classifier, Embedding(20000, 64) ->
Flatten -> Dense(1, sigmoid), Adam and binary cross-entropy, on (batch, 80) token ids, batch 32
and 128. It weighs the gather forward and the deterministic scatter-add backward of the table
(plus the dense Adam update of its 1.28M weights, which every framework here does too).

ktensor and Keras 3 (TF backend) use the same public Keras code and `train_on_batch`;
PyTorch uses nn.Embedding + nn.Linear + torch.optim.Adam + BCE-with-logits, eagerly.
"""
import numpy as np

from _harness import (import_torch, keras_train_step, ktensor_train_step, step_rows, torch_sync)

BATCHES = (32, 128)
VOCAB, DIM, STEPS = 20000, 64, 80


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCAB, size=(batch, STEPS)).astype(np.int32)
    y = rng.integers(0, 2, size=(batch, 1)).astype(np.float32)
    return ids, y


def keras_model(keras):
    """The model, written once for any module with the Keras API (ktensor's or Keras')."""
    model = keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        keras.layers.Embedding(VOCAB, DIM),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
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
    model = nn.Sequential(nn.Embedding(VOCAB, DIM), nn.Flatten(), nn.Linear(STEPS * DIM, 1)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        xb, yb = torch.from_numpy(x).long().to(device), torch.from_numpy(y).to(device)
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(xb), yb).backward()
        opt.step()
    return step, torch_sync(torch, device)


def rows(ctx, device="cpu", peers=("torch", "keras/tf")):
    makers = {"ktensor": ktensor_step, "torch": torch_step, "keras/tf": keras_step}
    yield from step_rows(lambda b: f"embedding_step b={b} ({device})", makers, BATCHES, device, peers, ctx.quick)
