"""python -m ktensor.demo: trains a Keras MLP on the handwritten digits bundled with ktensor
(UCI 8x8 optical digits, offline) and prints its test accuracy."""
import argparse
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ktensor.demo", description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when a GPU is visible)")
    args = parser.parse_args(argv)

    import ktensor
    from ktensor import keras

    if args.device:
        ktensor.config.set_default_device(args.device)
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    # 8x8 images with values 0..16 -> 64 features in [0, 1]
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 16.0
    print(f"digits: {len(x_train)} training and {len(x_test)} test images, device {ktensor.config.default_device()}")

    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f} ({time.perf_counter() - start:.1f}s)")
    return 0 if accuracy >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
