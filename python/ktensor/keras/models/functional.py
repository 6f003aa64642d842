"""Functional: a model defined by a graph of layer calls on KerasTensors, `keras.Model(inputs, outputs)`.

The graph is read back from the outputs through each KerasTensor's `_keras_history` (layer,
node index, tensor index); calling the model runs the nodes in topological order. A layer
called several times appears once in `layers` (its weights are shared) and once per call in
the node list. Models (Functional or Sequential) can be called on KerasTensors like layers.
"""
import ktensor as kt

from ..layers.input_layer import InputLayer, KerasTensor, flatten, is_shape, map_structure
from ..layers.layer import _shapes_as_leaves
from .model import Model


def _structure(tensors, what):
    """(the user's structure, flat list) for inputs/outputs given as a tensor, a list/tuple or a dict."""
    if isinstance(tensors, KerasTensor):
        flat = [tensors]
    elif isinstance(tensors, dict):
        flat = [tensors[k] for k in tensors]
    elif isinstance(tensors, (list, tuple)):
        flat = list(tensors)
    else:
        raise TypeError(f"Functional model {what} must be a KerasTensor, a list or a dict of them, got "
                        f"{type(tensors).__name__}")
    for t in flat:
        if not isinstance(t, KerasTensor) or t._keras_history is None:
            raise TypeError(f"All {what} of a functional model must be KerasTensors made by keras.Input or by "
                            f"calling layers on them, got {t!r}")
    if isinstance(tensors, (list, tuple)) and len(tensors) == 1:  # Keras 3: a one-element list is that tensor
        tensors = tensors[0]
    return tensors, flat


class Functional(Model):
    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct, self.inputs = _structure(inputs, "inputs")
        self._outputs_struct, self.outputs = _structure(outputs, "outputs")
        for t in self.inputs:
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(f"Functional model '{self.name}': inputs must come from keras.Input, but {t!r} was "
                                 f"made by layer '{t._keras_history[0].name}'")
        self._nodes = self._topological_nodes()
        layers = [t._keras_history[0] for t in self.inputs]
        for node in self._nodes:
            if all(node.layer is not l for l in layers):
                layers.append(node.layer)
        names = [l.name for l in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"Functional model '{self.name}': layer names must be unique, found {dup} more than once")
        self._layers.extend(layers)
        self.built = True
        self._device = kt.config.default_device()

    def _topological_nodes(self):
        """The nodes between the inputs and the outputs, each after the nodes it depends on."""
        order, state = [], {}  # state: id(node) -> 1 visiting, 2 done
        input_ids = {id(t) for t in self.inputs}

        def visit(tensor):
            if id(tensor) in input_ids:
                return
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            if state.get(id(node)) == 2:
                return
            if node.inputs is None:  # an InputLayer that is not among the model inputs
                raise ValueError(f"Functional model '{self.name}': output depends on input '{layer.name}', which "
                                 f"is not in the model's inputs {[t.name for t in self.inputs]}")
            if state.get(id(node)) == 1:
                raise ValueError(f"Functional model '{self.name}': the layer graph has a cycle at '{layer.name}'")
            state[id(node)] = 1
            for t in node.input_tensors:
                visit(t)
            state[id(node)] = 2
            order.append(node)

        for t in self.outputs:
            visit(t)
        return order

    # -- running the graph --
    def _flat_inputs(self, inputs, convert):
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict):
                if isinstance(inputs, (list, tuple)) and len(inputs) == len(self.inputs):
                    return [convert(v) for v in inputs]
                raise ValueError(f"Model '{self.name}' expects a dict of inputs with keys "
                                 f"{list(self._inputs_struct)}, got {type(inputs).__name__}")
            missing = [k for k in self._inputs_struct if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': missing inputs {missing} (expected keys "
                                 f"{list(self._inputs_struct)})")
            return [convert(inputs[k]) for k in self._inputs_struct]
        if len(self.inputs) == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not is_shape(inputs):
                inputs = inputs[0]
            return [convert(inputs)]
        if isinstance(inputs, dict):
            names = [t._keras_history[0].name for t in self.inputs]
            if all(n in inputs for n in names):
                return [convert(inputs[n]) for n in names]
        if not isinstance(inputs, (list, tuple)) or len(inputs) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} inputs "
                             f"({[t.name for t in self.inputs]}), got {_describe(inputs)}")
        return [convert(v) for v in inputs]

    def _run(self, flat_inputs, apply):
        """Walks the graph: `apply(node, structured_inputs, kwargs)` gives the node's flat list of outputs
        (KerasTensors among the keyword arguments replaced by their values)."""
        values = {id(t): v for t, v in zip(self.inputs, flat_inputs)}
        for node in self._nodes:
            args = map_structure(lambda t: values[id(t)], node.inputs)
            kwargs = map_structure(lambda v: values[id(v)] if isinstance(v, KerasTensor) else v, node.kwargs) \
                if node.kwargs else node.kwargs
            outs = apply(node, args, kwargs)
            if len(outs) != len(node.outputs):
                raise ValueError(f"Layer '{node.layer.name}' returned {len(outs)} outputs, but its symbolic call "
                                 f"made {len(node.outputs)}")
            for t, v in zip(node.outputs, outs):
                values[id(t)] = v
        return values

    def call(self, inputs, training=None):
        flat = self._flat_inputs(inputs, lambda v: v if isinstance(v, kt.Tensor) else kt.convert_to_tensor(v))
        flat = [_adjust_rank(t, ref.shape) for t, ref in zip(flat, self.inputs)]
        for t, ref in zip(flat, self.inputs):
            if t.ndim != len(ref.shape) or any(r is not None and d != r for d, r in zip(t.shape, ref.shape)):
                raise ValueError(f"Input '{ref.name}' of model '{self.name}' is incompatible: expected shape "
                                 f"{ref.shape}, got {tuple(t.shape)}")
        def apply(node, args, kwargs):
            out = node.layer(args, training=training, **kwargs)
            return [out] if len(node.outputs) == 1 else flatten(out)

        values = self._run(flat, apply)
        return map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_shape(self, input_shape):
        if len(self.inputs) == 1 and is_shape(input_shape):
            flat = [tuple(input_shape)]
        else:
            flat = [leaf.shape for leaf in flatten(_shapes_as_leaves(
                [input_shape[k] for k in self._inputs_struct] if isinstance(self._inputs_struct, dict) and
                isinstance(input_shape, dict) else input_shape))]

        def apply(node, shapes, _):
            out = node.layer.compute_output_shape(shapes)
            return [tuple(out)] if is_shape(out) else [leaf.shape for leaf in flatten(_shapes_as_leaves(out))]

        values = self._run([tuple(s) for s in flat], apply)
        return map_structure(lambda t: tuple(values[id(t)]), self._outputs_struct)

    # -- introspection --
    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    def _layer_output_shapes(self):
        shapes = []
        for layer in self._layers:
            node = next(n for n in self._model_nodes(layer))
            outs = [t.shape for t in node.outputs]
            shapes.append(outs[0] if len(outs) == 1 else outs)
        return shapes

    def _model_nodes(self, layer):
        """The nodes of `layer` that belong to this model, in call order."""
        if isinstance(layer, InputLayer):
            return layer._inbound_nodes[:1]
        mine = {id(n) for n in self._nodes}
        return [n for n in layer._inbound_nodes if id(n) in mine]

    # -- serialization (the Keras 3 functional config) --
    def get_config(self):
        from ..layers import serialize

        reindex = {}  # id(node) -> index among the layer's nodes in this model
        for layer in self._layers:
            for i, node in enumerate(self._model_nodes(layer)):
                reindex[id(node)] = i

        def history(t):
            layer, node_index, tensor_index = t._keras_history
            return [layer.name, reindex[id(layer._inbound_nodes[node_index])], tensor_index]

        def tensor_config(t):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history(t)}}

        layer_configs = []
        for layer in self._layers:
            config = serialize(layer)
            config["name"] = layer.name
            config["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
                {"args": [map_structure(tensor_config, n.inputs)],
                 "kwargs": map_structure(lambda v: tensor_config(v) if isinstance(v, KerasTensor) else v,
                                         dict(n.kwargs))}
                for n in self._model_nodes(layer)]
            layer_configs.append(config)

        def struct(s):
            if isinstance(s, KerasTensor):
                return [history(s)]
            return map_structure(history, s)

        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": struct(self._inputs_struct), "output_layers": struct(self._outputs_struct)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize

        config = strip_keras_mask_nodes(config)
        layers, pending = {}, []
        for lc in config["layers"]:
            lc = dict(lc)
            nodes = lc.pop("inbound_nodes", [])
            name = lc.pop("name", None) or lc["config"]["name"]
            layer = deserialize(lc, custom_objects)
            layers[name] = layer
            pending.append((layer, [_legacy_node(n) for n in nodes]))
        made = {}  # (layer name, node index) -> flat output KerasTensors
        for name, layer in layers.items():
            if isinstance(layer, InputLayer):
                made[(name, 0)] = [layer.output]

        def lookup(history):
            name, node_index, tensor_index = history
            return made[(name, node_index)][tensor_index]

        def resolve(struct):
            if isinstance(struct, dict) and struct.get("class_name") == "__keras_tensor__":
                return lookup(struct["config"]["keras_history"])
            if isinstance(struct, dict):
                return {k: resolve(v) for k, v in struct.items()}
            if isinstance(struct, (list, tuple)):
                return [resolve(v) for v in struct]
            return struct

        def ready(struct):
            if isinstance(struct, dict) and struct.get("class_name") == "__keras_tensor__":
                name, node_index, _ = struct["config"]["keras_history"]
                return (name, node_index) in made
            if isinstance(struct, dict):
                return all(ready(v) for v in struct.values())
            if isinstance(struct, (list, tuple)):
                return all(ready(v) for v in struct)
            return True

        progress = True
        while progress and any(nodes for _, nodes in pending):
            progress = False
            for layer, nodes in pending:
                while nodes and ready(nodes[0]) and ready(nodes[0].get("kwargs", {})):
                    node = nodes.pop(0)
                    args = node.get("args", [])
                    if len(args) != 1:
                        raise ValueError(f"Layer '{layer.name}': a node with {len(args)} positional arguments is "
                                         "not supported")
                    out = layer(resolve(args[0]), **resolve(node.get("kwargs", {})))
                    index = sum(1 for k in made if k[0] == layer.name)
                    made[(layer.name, index)] = flatten(out)
                    progress = True
        stuck = [l.name for l, nodes in pending if nodes]
        if stuck:
            raise ValueError(f"Cannot rebuild the functional model: the inputs of layers {stuck} are never made")

        def structure(spec):
            if isinstance(spec, dict):
                return {k: lookup(v) for k, v in spec.items()}
            if len(spec) == 3 and isinstance(spec[0], str):
                return lookup(spec)
            tensors = [lookup(v) for v in spec]
            return tensors[0] if len(tensors) == 1 else tensors

        return cls(structure(config["input_layers"]), structure(config["output_layers"]), name=config.get("name"),
                   trainable=config.get("trainable", True))


def _is_keras_tensor_config(c):
    return isinstance(c, dict) and c.get("class_name") == "__keras_tensor__"


def _histories(struct, out):
    """The layer names that the __keras_tensor__ entries of a nested config refer to."""
    if _is_keras_tensor_config(struct):
        out.add(struct["config"]["keras_history"][0])
    elif isinstance(struct, dict):
        for v in struct.values():
            _histories(v, out)
    elif isinstance(struct, (list, tuple)):
        for v in struct:
            _histories(v, out)
    return out


def strip_keras_mask_nodes(config):
    """A functional config without the mask plumbing Keras 3 writes: a layer that received its input's mask
    has it as a `mask` (or `<arg>_mask`) keyword naming a tensor made by op nodes such as NotEqual (the
    Embedding's mask_zero). Here masks ride on the tensors at run time (`_keras_mask`) and give the same
    mask, so those keywords are dropped, and then the op nodes (module keras.src.ops...) that nothing uses
    any more. Masks made by layers stay (they are ordinary keyword tensors). Nested functional configs are
    handled too; other configs come back unchanged."""
    if not isinstance(config, dict):
        return config
    if isinstance(config.get("config"), dict) and "class_name" in config:  # a serialized layer or model
        return {**config, "config": strip_keras_mask_nodes(config["config"])}
    if "input_layers" not in config:  # a Sequential (its layers may nest functional models) or a leaf layer
        if isinstance(config.get("layers"), list):
            return {**config, "layers": [strip_keras_mask_nodes(lc) for lc in config["layers"]]}
        return config
    ops = {lc.get("name") or lc.get("config", {}).get("name") for lc in config["layers"] if _is_op_node(lc)}

    def op_made_mask(k, v):  # a mask keyword whose tensors all come from op nodes
        made_by = _histories(v, set())
        return (k == "mask" or k.endswith("_mask")) and made_by and made_by <= ops

    layer_configs = []
    for lc in config["layers"]:
        lc = strip_keras_mask_nodes(lc)
        nodes = []
        for node in lc.get("inbound_nodes", []):
            if isinstance(node, dict) and isinstance(node.get("kwargs"), dict):
                kwargs = {k: v for k, v in node["kwargs"].items() if not op_made_mask(k, v)}
                node = {**node, "kwargs": kwargs}
            nodes.append(node)
        if "inbound_nodes" in lc:
            lc["inbound_nodes"] = nodes
        layer_configs.append(lc)
    while True:  # drop unused op nodes (an op chain may feed only a mask)
        used = _histories([lc.get("inbound_nodes", []) for lc in layer_configs], set())
        used |= {h[0] for h in _flat_histories(config.get("output_layers"))}
        dead = [lc for lc in layer_configs if _is_op_node(lc)
                and (lc.get("name") or lc.get("config", {}).get("name")) not in used]
        if not dead:
            break
        layer_configs = [lc for lc in layer_configs if all(lc is not d for d in dead)]
    return {**config, "layers": layer_configs}


def _is_op_node(lc):
    """An op node of a Keras graph (such as NotEqual): module keras.src.ops... in .keras configs; legacy .h5
    configs write no module, so there it is a class that is no layer."""
    from ..layers import _CLASSES
    module = lc.get("module")
    if module is not None:
        return str(module).startswith("keras.src.ops")
    return lc.get("class_name") not in _CLASSES and lc.get("class_name") not in ("Sequential", "Functional", "Model")


def _flat_histories(spec):
    """[name, node, tensor] triples of an input_layers / output_layers spec."""
    if isinstance(spec, dict):
        return [h for v in spec.values() for h in _flat_histories(v)]
    if isinstance(spec, (list, tuple)) and len(spec) == 3 and isinstance(spec[0], str):
        return [spec]
    if isinstance(spec, (list, tuple)):
        return [h for v in spec for h in _flat_histories(v)]
    return []


def _adjust_rank(t, ref):
    """Keras' input rank adjustment: add or drop a trailing axis of size 1 to match the declared input."""
    if t.ndim == len(ref) - 1 and ref[-1] == 1:
        return kt.expand_dims(t, -1)
    if t.ndim == len(ref) + 1 and t.shape[-1] == 1:
        return kt.squeeze(t, -1)
    return t


def _legacy_node(node):
    """A Keras 2 inbound node ([[name, node_index, tensor_index, kwargs], ...]) in the Keras 3 form."""
    if isinstance(node, dict):
        return node
    tensors = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(entry[:3])}} for entry in node]
    kwargs = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _describe(x):
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    return f"one {type(x).__name__}" + (f" of shape {tuple(x.shape)}" if hasattr(x, "shape") else "")
