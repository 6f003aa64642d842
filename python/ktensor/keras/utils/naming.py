"""Automatic names, Keras style: the class name in snake_case, made unique per session."""
_counts = {}


def to_snake_case(name):
    """'Dense' -> 'dense', 'InputLayer' -> 'input_layer', 'Conv2D' -> 'conv2d', 'ReLU' -> 're_lu'."""
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i > 0:
            prev = name[i - 1]
            nxt = name[i + 1] if i + 1 < len(name) else ""
            starts_word = nxt.islower() or nxt.isdigit()
            if prev.islower() or (starts_word and prev != "_"):
                out.append("_")
        out.append(c.lower())
    return "".join(out)


def uniquify(base):
    """'dense' the first time, then 'dense_1', 'dense_2', ..."""
    n = _counts.get(base)
    _counts[base] = 0 if n is None else n + 1
    return base if n is None else f"{base}_{n + 1}"


def auto_name(obj_or_class):
    cls = obj_or_class if isinstance(obj_or_class, type) else type(obj_or_class)
    return uniquify(to_snake_case(cls.__name__))


def reset():
    """Forget every name handed out (keras.backend.clear_session)."""
    _counts.clear()
