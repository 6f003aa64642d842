"""python -m ktensor.demo: trains a Keras MLP and prints its test accuracy.

The default dataset is the handwritten digits bundled with ktensor (UCI 8x8 optical digits,
offline). --dataset mnist, fashion_mnist, cifar10 or cifar100 loads that dataset with
keras.datasets.<name>.load_data() (downloaded once into the Keras cache, ~/.keras/datasets/);
the images are flattened and scaled to [0, 1].
"""
import argparse
import sys
import time

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")
# per dataset: default epochs, hidden layer widths, accuracy the exit status asks for by default
_DEFAULTS = {"digits": (30, (128, 64), 0.95), "mnist": (5, (256, 128), 0.0), "fashion_mnist": (5, (256, 128), 0.0),
             "cifar10": (5, (512, 256), 0.0), "cifar100": (5, (512, 256), 0.0)}


def _load(keras, name):
    """(x_train, y_train), (x_test, y_test): x float32 (n, features) in [0, 1], y integer class ids (n,)."""
    (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    scale = 16.0 if name == "digits" else 255.0  # digits: values 0..16; the others: uint8 pixels

    def prep(x, y):
        return x.reshape(len(x), -1).astype("float32") / scale, y.reshape(-1).astype("int64")
    return prep(x_train, y_train), prep(x_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ktensor.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="digits",
                        help="digits (bundled, default), or one that keras.datasets downloads")
    parser.add_argument("--epochs", type=int, default=None, help="default: 30 for digits, 5 for the others")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when a GPU is visible)")
    parser.add_argument("--min-accuracy", type=float, default=None,
                        help="exit with status 1 below this test accuracy (default: 0.95 for digits, else none)")
    args = parser.parse_args(argv)
    default_epochs, hidden, min_accuracy = _DEFAULTS[args.dataset]
    epochs = default_epochs if args.epochs is None else args.epochs
    min_accuracy = min_accuracy if args.min_accuracy is None else args.min_accuracy

    import ktensor
    from ktensor import keras

    if args.device:
        ktensor.config.set_default_device(args.device)
    keras.utils.set_random_seed(args.seed)
    try:
        (x_train, y_train), (x_test, y_test) = _load(keras, args.dataset)
    except (OSError, ValueError) as e:  # no network and no cached copy, or a corrupt download
        print(f"python -m ktensor.demo: cannot load the {args.dataset} dataset: {e}", file=sys.stderr)
        return 2
    classes = 100 if args.dataset == "cifar100" else 10
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images of {x_train.shape[1]} features, "
          f"device {ktensor.config.default_device()}")

    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(hidden[0], activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(hidden[1], activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f} ({time.perf_counter() - start:.1f}s)")
    return 0 if accuracy >= min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
