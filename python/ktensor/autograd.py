"""Reverse-mode autograd over native ops, TensorFlow 2 style.

Every differentiable op calls `record(out, backward, inputs)`. A result is recorded when a
GradientTape is active and an input is tracked (a trainable Variable, a watched tensor, or the
result of a recorded op). `backward(g)` returns one gradient per input, computed with ktensor
ops, so the backward pass runs on the tensors' device.
"""
import threading


class _State(threading.local):
    def __init__(self):
        self.active = 0  # recording tapes open in this thread


state = _State()


class Node:
    """How a tensor was made: its gradient rule and its inputs. `always` marks graphs that record
    without a tape (keras.backend.gradients needs the forward kept)."""

    __slots__ = ("backward", "inputs", "always")

    def __init__(self, backward, inputs, always=False):
        self.backward = backward
        self.inputs = inputs
        self.always = always


LEAF = Node(None, ())          # a tracked tensor with no history
LEAF_ALWAYS = Node(None, (), True)


def record(out, backward, inputs):
    """Attaches the gradient rule of the op that made `out`, when anything needs it."""
    always = False
    tracked = False
    for t in inputs:
        n = t._node
        if n is not None:
            tracked = True
            if n.always:
                always = True
    if tracked and (state.active or always):
        out._node = Node(backward, inputs, always)
    return out


def stop_gradient(x):
    from .ops.core import convert

    x = convert(x)
    return x._detached()


def first_order_only(op):
    """Called by gradient rules that use raw kernels: their result cannot be differentiated again."""
    if state.active:
        raise NotImplementedError(f"higher-order gradients through {op} are not supported")


def backprop(targets, output_grads, keep=()):
    """Returns {id(tensor): gradient} for every leaf reachable from the targets, and for the
    intermediate tensors whose ids are in `keep`."""
    from .ops.create import ones_like

    grads = {}
    for t, g in zip(targets, output_grads):
        g = ones_like(t) if g is None else g
        grads[id(t)] = grads[id(t)] + g if id(t) in grads else g
    # Topological order over tensors that have a history (not leaves).
    order, seen = [], set()
    for root in targets:
        stack = [(root, False)]
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
                continue
            if id(t) in seen or t._node is None or t._node.backward is None:
                continue
            seen.add(id(t))
            stack.append((t, True))
            for i in t._node.inputs:
                if i._node is not None and i._node.backward is not None and id(i) not in seen:
                    stack.append((i, False))
    kept = {}
    for t in reversed(order):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        if id(t) in keep:
            kept[id(t)] = g
        node = t._node
        for inp, gi in zip(node.inputs, node.backward(g)):
            if gi is None or inp._node is None:
                continue
            k = id(inp)
            grads[k] = grads[k] + gi if k in grads else gi
    grads.update(kept)
    return grads


class GradientTape:
    """Records operations inside its `with` block so `gradient()` can differentiate them."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_vars = watch_accessed_variables
        self._watched = {}
        self._recording = False
        self._used = False

    def __enter__(self):
        self._recording = True
        state.active += 1
        return self

    def __exit__(self, *exc):
        if self._recording:
            self._recording = False
            state.active -= 1
        return False

    def watch(self, tensor):
        """Tracks a tensor (or a nested structure of them) that is not a trainable Variable."""
        for t in _flatten(tensor):
            if t._node is None:
                t._node = LEAF
            self._watched[id(t)] = t

    def stop_recording(self):
        tape = self

        class _Pause:
            def __enter__(self):
                if tape._recording:
                    state.active -= 1
                return tape

            def __exit__(self, *exc):
                if tape._recording:
                    state.active += 1
                return False

        return _Pause()

    def reset(self):
        self._watched = {}

    def watched_variables(self):
        return tuple(self._watched.values())

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        from .ops.core import convert
        from .ops.create import zeros_like

        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(create it with persistent=True to call gradient() again)")
        self._used = True
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
        targets = [convert(t) for t in _flatten(target)]
        outs = [None] * len(targets) if output_gradients is None else [
            None if g is None else convert(g) for g in _flatten(output_gradients)]
        if len(outs) != len(targets):
            raise ValueError(f"output_gradients has {len(outs)} entries for {len(targets)} targets")
        # The backward pass is recorded by the other open tapes (higher-order gradients), not this one.
        pause = state.active
        state.active = pause - 1 if self._recording else pause
        try:
            grads = backprop(targets, outs, keep={id(s) for s in _flatten(sources)})
        finally:
            state.active = pause

        def grad_of(s):
            from .tensor import Variable

            if isinstance(s, Variable) and not self._watch_vars and id(s) not in self._watched:
                g = None
            else:
                g = grads.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = zeros_like(s)
            return g

        return _map_structure(grad_of, sources)


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in _flatten(item)]
    if isinstance(x, dict):
        return [y for k in x for y in _flatten(x[k])]
    return [x]


def _map_structure(f, x):
    if isinstance(x, list):
        return [_map_structure(f, y) for y in x]
    if isinstance(x, tuple):
        return tuple(_map_structure(f, y) for y in x)
    if isinstance(x, dict):
        return {k: _map_structure(f, v) for k, v in x.items()}
    return f(x)


def track_always(t):
    """Marks a tensor so every op on it records, with or without a tape (keras.backend.variable
    uses this, since keras.backend.gradients is asked after the forward pass ran)."""
    t._node = LEAF_ALWAYS
    return t


def gradients(targets, sources):
    """Gradients of the sum of `targets` with respect to `sources` over already-recorded graphs."""
    from .ops.core import convert

    ts = [convert(t) for t in _flatten(targets)]
    pause = state.active
    state.active = 0
    try:
        grads = backprop(ts, [None] * len(ts))
    finally:
        state.active = pause
    return [grads.get(id(s)) for s in _flatten(sources)]
