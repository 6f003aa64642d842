"""model.summary(): the Keras 3 table of layers, output shapes and parameter counts, drawn as Keras
draws it with `rich` (column widths, wrapping, "…" for cut words), without needing rich."""
import math
import re
import shutil
import sys

import numpy as np


# -- sizes --
def _count(weights):
    return sum(math.prod(w.shape) for w in {id(w): w for w in weights}.values())


def _nbytes(weights):
    return sum(math.prod(w.shape) * _itemsize(w) for w in {id(w): w for w in weights}.values())


def _itemsize(w):
    dtype = getattr(w, "dtype", "float32")
    return np.dtype(getattr(dtype, "name", str(dtype))).itemsize


def readable_size(nbytes):
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# -- the table --
def _column_widths(line_length, positions, ncols):
    """Keras' widths from `positions`, then shrunk as rich shrinks a table of fixed-width columns: each
    column gets 2 of padding, the whole must fit `line_length` less the ncols + 1 borders, and the excess
    is taken from the columns in turn, in proportion (round half to even, as Python's round)."""
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    widths, current = [], 0
    for pos in positions:
        if pos - current < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(pos - current)
        current = pos
    cells = [w + 2 for w in widths]
    excess = sum(cells) - (line_length - ncols - 1)
    if excess > 0:
        left, ratios = excess, len(cells)
        for i in range(len(cells)):
            take = min(cells[i], round(left / ratios))
            cells[i] -= take
            left -= take
            ratios -= 1
    return cells


def _wrap(text, width):
    """Lines of at most `width` characters, broken at spaces; a longer word is cut with '…'."""
    lines, line = [], None
    for word in text.split(" "):
        if line is None:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line or "")
    return [l if len(l) <= width else l[:max(width - 1, 0)] + "…" for l in lines]


def _render_row(cells, widths, justify, border, bottom=False):
    """One table row (several lines when a cell wraps); `bottom`: short cells sit at the bottom (rich's header)."""
    wrapped = [_wrap(str(c), w - 2) for c, w in zip(cells, widths)]
    height = max(len(w) for w in wrapped)
    if bottom:
        wrapped = [[""] * (height - len(w)) + w for w in wrapped]
    out = []
    for i in range(height):
        parts = []
        for lines, w, j in zip(wrapped, widths, justify):
            text = lines[i] if i < len(lines) else ""
            inner = w - 2
            text = text.rjust(inner) if j == "right" else text.center(inner) if j == "center" else text.ljust(inner)
            parts.append(f" {text} ")
        out.append(border + border.join(parts) + border)
    return out


def _rule(widths, left, mid, right, fill):
    return left + mid.join(fill * w for w in widths) + right


# -- what the rows say --
def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _format_shapes(shapes):
    if shapes is None:
        return "?"
    if isinstance(shapes, list) and shapes and not isinstance(shapes[0], (int, type(None))):
        return _format_shape(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(_format_shape(s) for s in shapes) + "]"
    return _format_shape(shapes)


def _built_shape(layer):
    """A layer built outside a graph (in a subclassed model): its output shape from its build shape."""
    shape = getattr(layer, "_build_shape", None)
    if shape is None:
        return None
    try:
        out = layer.compute_output_shape(shape)
    except Exception:
        return None
    return out if isinstance(out, list) else tuple(out)


def _is_sequential_like(model):
    """Keras prints "Connected to" only for graphs that are not a plain chain: several inputs, a branch
    (a tensor used twice), a layer with several inputs, or a layer called twice."""
    from ..models.functional import Functional

    if not isinstance(model, Functional):
        return True
    if len(model.inputs) > 1:
        return False
    uses, layers = {}, set()
    for node in model._nodes:
        tensors = node.input_tensors
        if len(tensors) > 1 or id(node.layer) in layers:
            return False
        layers.add(id(node.layer))
        for t in tensors:
            uses[id(t)] = uses.get(id(t), 0) + 1
            if uses[id(t)] > 1:
                return False
    return True


def _connections(model, layer):
    nodes = model._model_nodes(layer)
    names = []
    for node in nodes:
        for t in node.input_tensors if node.inputs is not None else []:
            src, node_index, tensor_index = t._keras_history
            names.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(names) or "-"


def _layer_range(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2, got {layer_range!r}")
    starts = [i for i, l in enumerate(layers) if re.match(layer_range[0], l.name)]
    ends = [i for i, l in enumerate(layers) if re.match(layer_range[1], l.name)]
    if not starts or not ends:
        raise ValueError(f"Passed layer_range {layer_range!r} does not match any layer name of the model "
                         f"{[l.name for l in layers]}")
    if starts[0] > ends[-1]:
        raise ValueError(f"layer_range {layer_range!r}: the first layer comes after the last one")
    return starts[0], ends[-1] + 1


def print_summary(model, output_shapes=None, print_fn=None, line_length=None, positions=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """`output_shapes`: one entry per layer of `model.layers` where the model knows them (Sequential,
    Functional), else each layer's own build shape is used ('?' when unknown).

    As Keras 3: the text goes to `print_fn` in one call (ending with a newline), else to stdout."""
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header, justify = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header, justify = (["Layer (type)", "Output Shape", "Param #", "Connected to"],
                           ["left", "left", "right", "left"])
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    if line_length is None:
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, list(positions), len(header))

    def fields(layer, shapes, prefix):
        built = getattr(layer, "built", True)
        params = f"{layer.count_params():,}" if built else "0 (unbuilt)"
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _format_shapes(shapes), params]
        if not sequential_like:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def rows_of(layer, shapes, level=0):
        out = [fields(layer, shapes, "   " * level + "└ " if level else "")]
        inner = getattr(layer, "layers", None) if expand_nested else None
        if inner:
            inner_shapes = layer._layer_output_shapes() if hasattr(layer, "_layer_output_shapes") else None
            for i, sub in enumerate(inner):
                out.extend(rows_of(sub, inner_shapes[i] if inner_shapes else _built_shape(sub), level + 1))
        return out

    layers = model.layers
    first, last = _layer_range(layers, layer_range)
    rows = []
    for i in range(first, last):
        rows.extend(rows_of(layers[i], output_shapes[i] if output_shapes else _built_shape(layers[i])))

    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━")]
    lines += _render_row(header, widths, justify, "┃", bottom=True)
    lines.append(_rule(widths, "┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        if i:
            lines.append(_rule(widths, "├", "┼", "┤", "─"))
        lines += _render_row(row, widths, justify, "│")
    lines.append(_rule(widths, "└", "┴", "┘", "─"))

    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    t_count, n_count = _count(trainable), _count(non_trainable)
    t_size, n_size = _nbytes(trainable), _nbytes(non_trainable)
    o_count = o_size = 0
    optimizer = getattr(model, "optimizer", None)
    optimizer_built = bool(getattr(model, "compiled", False) and optimizer is not None and
                           getattr(optimizer, "built", False))
    if optimizer_built:
        o_count, o_size = _count(optimizer.variables), _nbytes(optimizer.variables)
        if not callable(getattr(optimizer, "_learning_rate", None)):
            # Keras keeps a constant learning rate in a float32 variable; ktensor in a Python float.
            o_count, o_size = o_count + 1, o_size + 4
    lines += [f" Total params: {t_count + n_count + o_count:,} ({readable_size(t_size + n_size + o_size)})",
              f" Trainable params: {t_count:,} ({readable_size(t_size)})",
              f" Non-trainable params: {n_count:,} ({readable_size(n_size)})"]
    if optimizer_built:
        lines.append(f" Optimizer params: {o_count:,} ({readable_size(o_size)})")
    text = "\n".join(lines) + "\n"
    if print_fn is not None:
        print_fn(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
