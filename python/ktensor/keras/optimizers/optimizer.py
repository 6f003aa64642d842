"""The Optimizer base: slots made in build(), one fused native kernel per variable in update_step()."""
import ktensor as kt

from ..utils.naming import to_snake_case


class Optimizer:
    """Subclasses define `build(variables)` (create slots with `add_variable_from_reference`) and
    `update_step(gradient, variable, learning_rate)`."""

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        if "lr" in kwargs:  # the Keras 2 name
            learning_rate = kwargs.pop("lr")
        for ignored in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                        "gradient_accumulation_steps"):
            if kwargs.get(ignored) in (None, False, 0.99):
                kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"Unrecognized arguments for {type(self).__name__}: {sorted(kwargs)}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set")
        self.name = name or to_snake_case(type(self).__name__)
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = kt.Variable(0, trainable=False, name="iteration", dtype="int64")
        self._step = 0  # host copy of `iterations`: no device read per step
        self._slots = {}  # id(variable) -> {slot name: Variable}
        self._trainable_variables = []
        self.built = False

    # -- learning rate (a float, or a schedule called with the step) --
    @property
    def learning_rate(self):
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = value

    lr = learning_rate

    def _current_lr(self):
        lr = self._learning_rate
        if callable(lr):
            lr = lr(self._step)
        return float(lr)

    # -- slots --
    def build(self, variables):
        for v in variables:
            self._trainable_variables.append(v)
            self._slots.setdefault(id(v), {})
        self.built = True

    def add_variable_from_reference(self, reference_variable, name, initial_value=0.0):
        """A non-trainable Variable shaped like `reference_variable` (on its device), filled with initial_value."""
        value = kt.fill(tuple(reference_variable.shape), float(initial_value), dtype=reference_variable.dtype,
                        device=reference_variable.device)
        base = getattr(reference_variable, "path", reference_variable.name).replace("/", "_")
        slot = kt.Variable(value, trainable=False, name=f"{base}_{name}")
        self._slots.setdefault(id(reference_variable), {})[name] = slot
        return slot

    def slot(self, variable, name):
        return self._slots[id(variable)].get(name)

    @property
    def variables(self):
        return [self.iterations] + [s for v in self._trainable_variables for s in self._slots[id(v)].values()]

    # -- the step --
    def _clip(self, grads):
        if self.clipvalue is not None:
            c = float(self.clipvalue)
            return [kt.clip_by_value(g, -c, c) for g in grads]
        if self.clipnorm is not None:
            c = float(self.clipnorm)
            return [g * (c / kt.maximum(kt.sqrt(kt.reduce_sum(kt.square(g))), c)) for g in grads]
        if self.global_clipnorm is not None:
            c = float(self.global_clipnorm)
            norm = kt.sqrt(sum(kt.reduce_sum(kt.square(g)) for g in grads))
            scale = c / kt.maximum(norm, c)
            return [g * scale for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars):
        """Applies one step; variables whose gradient is None are skipped."""
        pairs = [(g, v) for g, v in grads_and_vars]
        new = [v for _, v in pairs if id(v) not in self._slots]
        if new:
            self.build(new)
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable (is the loss connected to the weights?)")
        grads = self._clip([g for g, _ in pairs])
        lr = self._current_lr()
        self._step += 1
        for g, (_, v) in zip(grads, pairs):
            if g.dtype != v.dtype:
                g = kt.cast(g, v.dtype)
            self.update_step(g, v, lr)
        self.iterations.assign_add(1)

    def apply(self, grads, trainable_variables):
        self.apply_gradients(zip(grads, trainable_variables))

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    @property
    def _decay(self):
        return float(self.weight_decay or 0.0)

    # -- config --
    def get_config(self):
        lr = self._learning_rate
        return {"name": self.name, "learning_rate": lr if callable(lr) else float(lr),
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
