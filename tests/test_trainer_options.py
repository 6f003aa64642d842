"""fit / evaluate / predict options: several inputs and outputs, loss weights, per-output metrics, sample and
class weights, initial_epoch, steps_per_epoch, validation options, History, evaluate(return_dict=True)."""
import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import layers


def _two_in_two_out(seed=0):
    keras.utils.set_random_seed(seed)
    a = keras.Input((4,), name="in_a")
    b = keras.Input((3,), name="in_b")
    h = layers.Concatenate()([layers.Dense(5, activation="relu", name="da")(a), layers.Dense(5, name="db")(b)])
    reg = layers.Dense(2, name="reg")(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    return keras.Model([a, b], [reg, cls])


def _data(n=40, seed=1):
    rng = np.random.default_rng(seed)
    xa = rng.normal(size=(n, 4)).astype("float32")
    xb = rng.normal(size=(n, 3)).astype("float32")
    y_reg = rng.normal(size=(n, 2)).astype("float32")
    y_cls = rng.integers(0, 3, size=(n,)).astype("int32")
    return xa, xb, y_reg, y_cls


def _np_mse(y, p, sw=None):
    per_sample = ((p - y) ** 2).mean(axis=-1)
    if sw is None:
        return per_sample.mean()
    return (per_sample * sw).sum() / len(per_sample)  # sum_over_batch_size: divide by the sample count


def _np_scce(y, p, sw=None):
    per_sample = -np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))
    if sw is None:
        return per_sample.mean()
    return (per_sample * sw).sum() / len(per_sample)


def test_two_inputs_two_outputs_loss_weights_and_log_names():
    model = _two_in_two_out()
    model.compile("adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 2.0],
                  metrics=[["mae"], ["accuracy"]])
    xa, xb, y_reg, y_cls = _data()
    hist = model.fit([xa, xb], [y_reg, y_cls], batch_size=8, epochs=2, verbose=0)
    assert set(hist.history) == {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"}
    assert len(hist.history["loss"]) == 2

    reg_p, cls_p = model.predict([xa, xb], verbose=0)
    assert reg_p.shape == (40, 2) and cls_p.shape == (40, 3)
    expected_reg = 0.5 * _np_mse(y_reg, reg_p)
    expected_cls = 2.0 * _np_scce(y_cls, cls_p)
    logs = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=40, verbose=0, return_dict=True)
    assert list(logs)[:3] == ["loss", "reg_loss", "cls_loss"]
    np.testing.assert_allclose(logs["reg_loss"], expected_reg, rtol=1e-4)
    np.testing.assert_allclose(logs["cls_loss"], expected_cls, rtol=1e-4)
    np.testing.assert_allclose(logs["loss"], expected_reg + expected_cls, rtol=1e-4)
    np.testing.assert_allclose(logs["cls_accuracy"], (cls_p.argmax(-1) == y_cls).mean(), rtol=1e-5)
    values = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=40, verbose=0)
    np.testing.assert_allclose(values, list(logs.values()), rtol=1e-6)


def test_dict_inputs_and_dict_losses_by_name():
    model = _two_in_two_out(seed=2)
    model.compile("sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.0}, metrics={"cls": ["accuracy"]})
    xa, xb, y_reg, y_cls = _data()
    x = {"in_b": xb, "in_a": xa}
    y = {"cls": y_cls, "reg": y_reg}
    hist = model.fit(x, y, batch_size=10, epochs=1, verbose=0, shuffle=True, validation_split=0.25)
    assert set(hist.history) == {"loss", "reg_loss", "cls_loss", "cls_accuracy", "val_loss", "val_reg_loss",
                                 "val_cls_loss", "val_cls_accuracy"}
    reg_p, _ = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0)[0], reg_p, rtol=1e-6)
    logs = model.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], _np_mse(y_reg, reg_p), rtol=1e-4)  # cls weighted 0
    assert logs["cls_loss"] == 0.0


def test_single_loss_for_all_outputs_and_flat_metrics():
    keras.utils.set_random_seed(3)
    inp = keras.Input((3,))
    o1 = layers.Dense(1, name="o1")(inp)
    o2 = layers.Dense(1, name="o2")(inp)
    model = keras.Model(inp, [o1, o2])
    model.compile("sgd", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    hist = model.fit(x, [x[:, :1], x[:, 1:2]], epochs=1, batch_size=4, verbose=0)
    assert set(hist.history) == {"loss", "o1_loss", "o2_loss", "o1_mae", "o2_mae"}
    p1, p2 = model.predict(x, verbose=0)
    logs = model.evaluate(x, [x[:, :1], x[:, 1:2]], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], _np_mse(x[:, :1], p1) + _np_mse(x[:, 1:2], p2), rtol=1e-4)


def _single(seed=0, classes=3):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((4,))
    return keras.Model(inp, layers.Dense(classes, activation="softmax")(inp))


def test_sample_weight_matches_numpy():
    model = _single()
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    xa, _, _, y = _data(n=12)
    sw = np.linspace(0.0, 2.0, 12).astype("float32")
    p = model.predict(xa, verbose=0)
    np.testing.assert_allclose(model.test_on_batch(xa, y, sample_weight=sw), _np_scce(y, p, sw), rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(xa, y, sample_weight=sw, batch_size=12, verbose=0),
                               _np_scce(y, p, sw), rtol=1e-5)


def test_class_weight_matches_numpy():
    model = _single(seed=4)
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    xa, _, _, y = _data(n=12)
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    p = model.predict(xa, verbose=0)
    expected = _np_scce(y, p, np.array([cw[c] for c in y]))
    before = [w.numpy().copy() for w in model.weights]
    loss = model.train_on_batch(xa, y, class_weight=cw)  # loss of the forward pass before the update
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before, model.weights))

    # fit with class_weight on one batch, lr 0: the epoch loss is the weighted loss
    model = _single(seed=4)
    model.compile(keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    hist = model.fit(xa, y, batch_size=12, epochs=1, verbose=0, class_weight=cw)
    np.testing.assert_allclose(hist.history["loss"][0], expected, rtol=1e-5)
    # one-hot targets give the same class ids
    model.compile(keras.optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
    hist = model.fit(xa, keras.utils.to_categorical(y, 3), batch_size=12, epochs=1, verbose=0, class_weight=cw)
    np.testing.assert_allclose(hist.history["loss"][0], expected, rtol=1e-5)


def test_class_weight_rejected_for_several_outputs():
    model = _two_in_two_out()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    xa, xb, y_reg, y_cls = _data()
    with pytest.raises(ValueError, match="single output"):
        model.fit([xa, xb], [y_reg, y_cls], class_weight={0: 1.0}, verbose=0)


def test_initial_epoch_and_history_params():
    model = _single()
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    xa, _, _, y = _data(n=20)
    hist = model.fit(xa, y, batch_size=8, epochs=5, initial_epoch=3, verbose=0)
    assert hist.epoch == [3, 4]
    assert len(hist.history["loss"]) == 2 and len(hist.history["accuracy"]) == 2
    assert hist.params == {"verbose": 0, "epochs": 5, "steps": 3}
    assert model.history is hist


def test_steps_per_epoch_with_arrays():
    model = _single()
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    xa, _, _, y = _data(n=40)
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    hist = model.fit(xa, y, batch_size=10, epochs=4, steps_per_epoch=2, verbose=0, callbacks=[cb])
    assert hist.params["steps"] == 2
    assert seen == [0, 1] * 4 and len(hist.history["loss"]) == 4  # 4 batches a pass: 2 epochs per pass
    seen.clear()
    with pytest.warns(UserWarning, match="ran out of data"):
        hist = model.fit(xa, y, batch_size=10, epochs=2, steps_per_epoch=3, verbose=0, callbacks=[cb])
    # 4 batches a pass: epoch 0 takes 3, epoch 1 gets the last one and is cut short with the warning
    assert seen == [0, 1, 2, 0] and len(hist.history["loss"]) == 2


def test_validation_freq_steps_and_batch_size():
    model = _single()
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    xa, _, _, y = _data(n=30)
    hist = model.fit(xa, y, batch_size=10, epochs=4, verbose=0, validation_data=(xa, y), validation_freq=2)
    assert len(hist.history["loss"]) == 4
    assert len(hist.history["val_loss"]) == 2 and len(hist.history["val_accuracy"]) == 2
    hist = model.fit(xa, y, batch_size=10, epochs=3, verbose=0, validation_data=(xa, y), validation_freq=[1, 3])
    assert len(hist.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(xa, y, epochs=1, verbose=0, validation_data=(xa, y), validation_freq=0)

    counts = []
    cb = keras.callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: counts.append(batch))
    model.fit(xa, y, batch_size=10, epochs=1, verbose=0, validation_data=(xa, y), validation_batch_size=5,
              validation_steps=2, callbacks=[cb])
    assert counts == [0, 1]


def test_validation_data_with_sample_weight():
    model = _single(seed=5)
    model.compile(keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    xa, _, _, y = _data(n=12)
    sw = np.arange(12, dtype="float32") / 6.0
    p = model.predict(xa, verbose=0)
    hist = model.fit(xa, y, batch_size=12, epochs=1, verbose=0, validation_data=(xa, y, sw))
    np.testing.assert_allclose(hist.history["val_loss"][0], _np_scce(y, p, sw), rtol=1e-5)
    np.testing.assert_allclose(hist.history["loss"][0], _np_scce(y, p), rtol=1e-5)


def test_evaluate_return_dict_single_output():
    model = _single()
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    xa, _, _, y = _data(n=16)
    logs = model.evaluate(xa, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    assert model.evaluate(xa, y, verbose=0) == pytest.approx([logs["loss"], logs["accuracy"]], rel=1e-6)
    assert model.evaluate(xa, y, verbose=0, steps=1, batch_size=4) != []  # steps for arrays


def test_dict_outputs_predict_returns_dict():
    keras.utils.set_random_seed(6)
    inp = keras.Input((3,), name="x")
    model = keras.Model(inp, {"p": layers.Dense(2, name="p_dense")(inp), "q": layers.Dense(1, name="q_dense")(inp)})
    model.compile("sgd", loss={"p": "mse", "q": "mae"})
    x = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    hist = model.fit(x, {"p": x[:, :2], "q": x[:, 2:]}, epochs=1, batch_size=5, verbose=0)
    assert set(hist.history) == {"loss", "p_loss", "q_loss"}
    out = model.predict(x, verbose=0)
    assert isinstance(out, dict) and out["p"].shape == (10, 2) and out["q"].shape == (10, 1)


def test_mismatched_lengths_across_inputs_fail():
    model = _two_in_two_out()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    xa, xb, y_reg, y_cls = _data()
    with pytest.raises(ValueError, match="cardinality"):
        model.fit([xa, xb[:30]], [y_reg, y_cls], verbose=0)


def _mae_model():
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    x = np.arange(8, dtype="float32").reshape(8, 1)
    return model, x, np.zeros((8, 1), "float32"), np.array([1, 0, 0, 0, 0, 0, 2, 1], "float32")


def test_metrics_ignore_sample_weight_and_weighted_metrics_use_it():
    """Keras 3: `metrics` are unweighted, `weighted_metrics` get the sample (and class) weights; a weighted
    metric named like an unweighted one is logged as 'weighted_<name>'."""
    model, x, y, sw = _mae_model()
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    err = np.abs(x[:, 0])
    logs = model.evaluate(x, y, sample_weight=sw, return_dict=True, verbose=0, batch_size=3)
    assert list(logs) == ["loss", "mae", "weighted_mae", "mse"]
    np.testing.assert_allclose(logs["mae"], err.mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_mae"], (err * sw).sum() / sw.sum(), rtol=1e-6)
    np.testing.assert_allclose(logs["mse"], (err ** 2 * sw).sum() / sw.sum(), rtol=1e-6)
    np.testing.assert_allclose(logs["loss"], (err ** 2 * sw).sum() / 8, rtol=1e-6)
    # class weights act as sample weights: they reach weighted_metrics only
    cls = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    model2 = keras.Sequential([keras.Input((1,)), layers.Dense(2, kernel_initializer="ones", use_bias=False)])
    model2.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy", metrics=["accuracy"],
                   weighted_metrics=["accuracy"])
    h = model2.fit(x, cls, class_weight={0: 1.0, 1: 3.0}, batch_size=8, epochs=1, verbose=0)
    acc = (np.zeros(8) == cls).astype(float)  # equal logits: argmax picks class 0
    w = np.where(cls == 1, 3.0, 1.0)
    np.testing.assert_allclose(h.history["accuracy"][0], acc.mean(), rtol=1e-6)
    np.testing.assert_allclose(h.history["weighted_accuracy"][0], (acc * w).sum() / w.sum(), rtol=1e-6)


def test_weighted_metrics_per_output_and_saved_in_compile_config(tmp_path):
    model = _two_in_two_out()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 2.0],
                  metrics={"cls": ["accuracy"]}, weighted_metrics={"reg": ["mae"]})
    xa, xb, y_reg, y_cls = _data(n=10)
    sw = np.linspace(0.1, 1.0, 10).astype("float32")
    logs = model.evaluate([xa, xb], [y_reg, y_cls], sample_weight=sw, return_dict=True, verbose=0)
    reg, cls = model.predict([xa, xb], verbose=0)
    mae = np.abs(reg - y_reg).mean(axis=-1)
    np.testing.assert_allclose(logs["reg_mae"], (mae * sw).sum() / sw.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["cls_accuracy"], (cls.argmax(-1) == y_cls).mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["loss"], 0.5 * _np_mse(y_reg, reg, sw) + 2.0 * _np_scce(y_cls, cls, sw),
                               rtol=1e-5)
    path = str(tmp_path / "m.keras")
    model.save(path)
    back = keras.models.load_model(path)
    logs2 = back.evaluate([xa, xb], [y_reg, y_cls], sample_weight=sw, return_dict=True, verbose=0)
    assert logs2.keys() == logs.keys()
    for k in logs:
        np.testing.assert_allclose(logs2[k], logs[k], rtol=1e-5)


def test_class_weight_with_a_dataset_matches_arrays():
    import ktensor as kt
    xa, _, _, y = _data(n=24)
    sw = np.linspace(0.5, 1.5, 24).astype("float32")
    cw = {0: 2.0, 1: 0.5, 2: 1.0}
    hist = {}
    for kind in ("arrays", "dataset"):
        model = _single(seed=5)
        model.compile(keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
        if kind == "arrays":
            h = model.fit(xa, y, sample_weight=sw, class_weight=cw, batch_size=8, epochs=2, shuffle=False, verbose=0)
        else:
            ds = kt.data.Dataset.from_tensor_slices((xa, y, sw)).batch(8)
            h = model.fit(ds, class_weight=cw, epochs=2, verbose=0)
        hist[kind] = (h.history, [w.numpy() for w in model.weights])
    for k in ("loss", "accuracy"):
        np.testing.assert_allclose(hist["dataset"][0][k], hist["arrays"][0][k], rtol=1e-5)
    for a, b in zip(hist["dataset"][1], hist["arrays"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss,metrics", [("mse", ["mae"]), (["mse"], [["mae"]]), ({"d": "mse"}, {"d": ["mae"]})])
def test_one_element_output_list_is_a_single_output(loss, metrics):
    """Keras 3: Model(inputs, [out]) predicts an array and logs 'loss'/'mae', however loss and metrics are given."""
    keras.utils.set_random_seed(2)
    inp = keras.Input((3,), name="a")
    model = keras.Model([inp], [layers.Dense(2, name="d")(inp)])
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    y = np.ones((6, 2), "float32")
    p = model.predict(x, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (6, 2)
    model.compile("sgd", loss, metrics=metrics)
    for target in (y, [y]):
        logs = model.evaluate(x, target, return_dict=True, verbose=0)
        assert list(logs) == ["loss", "mae"]
        np.testing.assert_allclose(logs["loss"], ((p - y) ** 2).mean(), rtol=1e-5)
        np.testing.assert_allclose(logs["mae"], np.abs(p - y).mean(), rtol=1e-5)
