"""keras.callbacks.TensorBoard: the event files are read back with a reader written here (TFRecord
framing, masked CRC32C, protobuf wire format decoded by hand) and compared with History."""
import glob
import json
import os
import struct
import warnings

import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import layers


# -- an independent reader --------------------------------------------------------------------------
def crc32c_bitwise(data):
    """CRC-32C (Castagnoli), bit by bit, reflected polynomial 0x82F63B78."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    """The payloads of a TFRecord file; both CRCs of every record are checked."""
    blob = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(blob):
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        assert header_crc == masked(crc32c_bitwise(header)), f"bad length CRC at byte {pos}"
        data = blob[pos + 12:pos + 12 + length]
        assert len(data) == length, "truncated record"
        (data_crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
        assert data_crc == masked(crc32c_bitwise(data)), f"bad data CRC at byte {pos}"
        records.append(data)
        pos += 16 + length
    return records


def parse_fields(buf):
    """Protobuf wire format -> [(field number, wire type, value)]; varints as ints, fixed as raw bytes."""
    out, pos = [], 0

    def varint():
        nonlocal pos
        value, shift = 0, 0
        while True:
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while pos < len(buf):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n = varint()
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((field, wire, value))
    return out


def decode_event(data):
    """Event -> dict(wall_time, step, file_version, values=[(tag, simple_value or None, tensor fields, plugin)])."""
    event = {"wall_time": None, "step": 0, "file_version": None, "values": []}
    for field, wire, value in parse_fields(data):
        if field == 1 and wire == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif field == 2 and wire == 0:
            event["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif field == 3 and wire == 2:
            event["file_version"] = value.decode()
        elif field == 5 and wire == 2:
            for f, w, v in parse_fields(value):
                assert (f, w) == (1, 2), "Summary holds only Values"
                tag, simple, tensor, plugin = None, None, None, None
                for vf, vw, vv in parse_fields(v):
                    if vf == 1:
                        tag = vv.decode()
                    elif vf == 2 and vw == 5:
                        simple = struct.unpack("<f", vv)[0]
                    elif vf == 8:
                        tensor = {tf: tv for tf, _, tv in parse_fields(vv)}
                    elif vf == 9:
                        plugin_data = dict((mf, mv) for mf, _, mv in parse_fields(vv))[1]
                        plugin = {pf: pv for pf, _, pv in parse_fields(plugin_data)}
                event["values"].append((tag, simple, tensor, plugin))
        else:
            raise AssertionError(f"unexpected Event field {field}")
    return event


def read_dir(path):
    """(events of every file in the folder, in file order), checking each file starts with the version event."""
    files = sorted(glob.glob(os.path.join(path, "events.out.tfevents.*")))
    out = []
    for f in files:
        events = [decode_event(r) for r in read_records(f)]
        assert events[0]["file_version"] == "brain.Event:2" and not events[0]["values"]
        assert all(e["wall_time"] > 1e9 for e in events)
        out.append(events[1:])
    return out


def scalars(events):
    """{tag: [(step, value)]} of the simple_value scalars."""
    table = {}
    for e in events:
        for tag, simple, _, _ in e["values"]:
            if simple is not None:
                table.setdefault(tag, []).append((e["step"], simple))
    return table


# -- the model ---------------------------------------------------------------------------------------
def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def f32(v):
    return float(np.float32(v))


# -- tests -------------------------------------------------------------------------------------------
def test_reference_crc32c_and_the_writers_crc_agree():
    from ktensor.keras.callbacks import _event_file

    assert crc32c_bitwise(b"123456789") == 0xE3069283  # the standard check value
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 13, 300):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert _event_file.crc32c(data) == crc32c_bitwise(data)
        assert _event_file.masked_crc32c(data) == masked(crc32c_bitwise(data))


def test_epoch_scalars_in_train_and_validation_match_history(tmp_path):
    x, y = _data()
    model = _model()
    logdir = tmp_path / "logs"
    hist = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0,
                     callbacks=[keras.callbacks.TensorBoard(log_dir=logdir)])
    train, = read_dir(logdir / "train")
    val, = read_dir(logdir / "validation")
    t, v = scalars(train), scalars(val)
    assert set(t) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    for name in ("loss", "accuracy"):
        assert t[f"epoch_{name}"] == [(e, f32(hist.history[name][e])) for e in range(3)]
        assert v[f"epoch_{name}"] == [(e, f32(hist.history[f"val_{name}"][e])) for e in range(3)]
    assert t["epoch_learning_rate"] == [(e, f32(0.01)) for e in range(3)]
    # after each validation pass: the metrics against the optimizer's step count (45 samples / 16 = 3 steps)
    assert v["evaluation_loss_vs_iterations"] == [(3 * (e + 1), f32(hist.history["val_loss"][e])) for e in range(3)]
    assert v["evaluation_accuracy_vs_iterations"] == [(3 * (e + 1), f32(hist.history["val_accuracy"][e]))
                                                      for e in range(3)]
    assert not any(k.startswith("batch_") for k in t)
    # write_graph: the model's JSON config for TensorBoard's graph tab, at step 0
    graph = [(e["step"], val_) for e in train for val_ in e["values"] if val_[0] == "keras"]
    assert len(graph) == 1 and graph[0][0] == 0
    _, simple, tensor, plugin = graph[0][1]
    assert simple is None and plugin == {1: b"graph_keras_model", 2: b"1"}
    assert tensor[1] == 7  # DT_STRING
    assert json.loads(tensor[8])["class_name"] == "Sequential"


@pytest.mark.parametrize("update_freq, every", [("batch", 1), (2, 2)])
def test_batch_scalars_every_n_batches(tmp_path, update_freq, every):
    x, y = _data(n=50)  # 4 batches of 16, 16, 16, 2 per epoch
    model = _model()
    hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False,
                     callbacks=[keras.callbacks.TensorBoard(tmp_path, update_freq=update_freq, write_graph=False)])
    train, = read_dir(tmp_path / "train")
    assert not os.path.exists(tmp_path / "validation")  # no validation: no file
    t = scalars(train)
    assert set(t) == {"batch_loss", "batch_accuracy", "epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    steps = [s for s in range(1, 9) if s % every == 0]  # steps count batches from 1 across epochs
    assert [s for s, _ in t["batch_loss"]] == steps
    assert all(np.isfinite(v) and v > 0 for _, v in t["batch_loss"])
    # a batch value is the running epoch mean: after an epoch's last batch it is that epoch's log
    batch_loss, batch_acc = dict(t["batch_loss"]), dict(t["batch_accuracy"])
    for epoch in range(2):
        assert batch_loss[4 * (epoch + 1)] == f32(hist.history["loss"][epoch])
        assert batch_acc[4 * (epoch + 1)] == f32(hist.history["accuracy"][epoch])


def test_each_fit_writes_new_files_and_steps_per_second(tmp_path):
    x, y = _data()
    model = _model()
    cb = keras.callbacks.TensorBoard(tmp_path, write_steps_per_second=True, write_graph=False)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[cb])
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[cb])
    first, second = read_dir(tmp_path / "train")
    assert [s for s, _ in scalars(first)["epoch_loss"]] == [0]
    assert [s for s, _ in scalars(second)["epoch_loss"]] == [0, 1]
    assert all(v > 0 for _, v in scalars(second)["epoch_steps_per_second"])


def test_evaluate_alone_logs_against_iterations(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)  # 3 steps
    loss, acc = model.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    val, = read_dir(tmp_path / "validation")
    v = scalars(val)
    assert v == {"evaluation_loss_vs_iterations": [(3, f32(loss))],
                 "evaluation_accuracy_vs_iterations": [(3, f32(acc))]}


def test_unsupported_options_warn_and_bad_arguments_raise(tmp_path):
    for kwargs in ({"histogram_freq": 1}, {"write_images": True}, {"profile_batch": 2},
                   {"profile_batch": (2, 4)}, {"embeddings_freq": 1}):
        with pytest.warns(UserWarning, match="not supported"):
            keras.callbacks.TensorBoard(tmp_path, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.callbacks.TensorBoard(tmp_path)  # the defaults are all supported
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(tmp_path, update_freq="step")
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(tmp_path, profile_batch=(5, 2))
    with pytest.raises(ValueError, match="histogram_freq"):
        keras.callbacks.TensorBoard(tmp_path, histogram_freq=-1)
    # ignored options still give the scalars
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning):
        cb = keras.callbacks.TensorBoard(tmp_path / "h", histogram_freq=1)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    train, = read_dir(tmp_path / "h" / "train")
    assert "epoch_loss" in scalars(train)


def test_negative_steps_and_large_values_round_trip(tmp_path):
    from ktensor.keras.callbacks._event_file import EventFileWriter

    w = EventFileWriter(tmp_path)
    w.add_scalar("a", 1.5, step=-3, wall_time=1.7e9)
    w.add_scalar("b", 1e40, step=2**40, wall_time=1.7e9)  # beyond float32: stored as inf, as a cast
    w.close()
    events, = read_dir(tmp_path)
    assert scalars(events) == {"a": [(-3, 1.5)], "b": [(2**40, float("inf"))]}
