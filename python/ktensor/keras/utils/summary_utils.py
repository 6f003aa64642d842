"""model.summary(): the Keras 3 table of layers, output shapes and parameter counts."""
import math

_WIDTHS = (33, 24, 15)


def _row(cells, left="│", mid="│", right="│"):
    parts = []
    for i, (cell, w) in enumerate(zip(cells, _WIDTHS)):
        text = str(cell)
        parts.append(" " + (text.rjust(w - 2) if i == 2 else text.ljust(w - 2)) + " ")
    return left + mid.join(parts) + right


def _rule(left, mid, right, fill):
    return left + mid.join(fill * w for w in _WIDTHS) + right


def _size(n_params, itemsize=4):
    size = float(n_params * itemsize)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _count(weights):
    return sum(math.prod(w.shape) for w in weights)


def print_summary(model, output_shapes=None, print_fn=None):
    """`output_shapes`: one shape per layer where the model knows them (Sequential), else '?' is shown."""
    print_fn = print_fn or print
    rows = []
    for i, layer in enumerate(model.layers):
        out = str(tuple(output_shapes[i])) if output_shapes else "?"
        rows.append((f"{layer.name} ({type(layer).__name__})", out, f"{layer.count_params():,}" if layer.built
                     else "0 (unbuilt)"))
    lines = [f'Model: "{model.name}"', _rule("┏", "┳", "┓", "━"),
             _row(("Layer (type)", "Output Shape", "Param #"), "┃", "┃", "┃"), _rule("┡", "╇", "┩", "━")]
    for i, r in enumerate(rows):
        lines.append(_row(r))
        if i + 1 < len(rows):
            lines.append(_rule("├", "┼", "┤", "─"))
    lines.append(_rule("└", "┴", "┘", "─"))
    total, trainable = _count(model.weights), _count(model.trainable_weights)
    lines += [f" Total params: {total:,} ({_size(total)})",
              f" Trainable params: {trainable:,} ({_size(trainable)})",
              f" Non-trainable params: {total - trainable:,} ({_size(total - trainable)})"]
    for line in lines:
        print_fn(line)
