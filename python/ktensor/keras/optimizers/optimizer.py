"""The Optimizer base: slots made in build(), one fused native kernel per variable in update_step()."""
import re

import ktensor as kt

from ..utils.naming import to_snake_case
from . import schedules


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
        self._exclude_ids, self._exclude_patterns = set(), []
        self.built = False

    # -- learning rate: a float, a LearningRateSchedule (called with the step) or a callable of no argument --
    @property
    def learning_rate(self):
        """The learning rate the next step uses."""
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and not callable(value):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable. If you need the learning "
                            "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        self._learning_rate = value

    lr = learning_rate

    def _current_lr(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = lr(self._step)
        elif callable(lr):
            lr = lr()
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
        """Keras 3 order and semantics: a clip argument that is None or <= 0 does nothing."""
        if self.clipnorm is not None and self.clipnorm > 0:
            c = float(self.clipnorm)
            return [g * (c / kt.maximum(kt.sqrt(kt.reduce_sum(kt.square(g))), c)) for g in grads]
        if self.global_clipnorm is not None and self.global_clipnorm > 0:
            c = float(self.global_clipnorm)
            norm = kt.sqrt(sum(kt.reduce_sum(kt.square(g)) for g in grads))
            scale = c / kt.maximum(norm, c)
            return [g * scale for g in grads]
        if self.clipvalue is not None and self.clipvalue > 0:
            c = float(self.clipvalue)
            return [kt.clip_by_value(g, -c, c) for g in grads]
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

    # -- decoupled weight decay: var -= var * weight_decay * lr before each step (Keras 3) --
    @property
    def _decay(self):
        return float(self.weight_decay or 0.0)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """No weight decay for the variables in var_list, nor for those whose name matches (re.search)
        one of var_names. Only before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids.update(id(v) for v in var_list or ())
        self._exclude_patterns.extend(var_names or ())

    def _weight_decay_for(self, variable):
        """The weight decay of this variable: 0 where it is excluded."""
        if not self.weight_decay or id(variable) in self._exclude_ids:
            return 0.0
        name = getattr(variable, "name", None) or ""
        if any(re.search(p, name) for p in self._exclude_patterns):
            return 0.0
        return float(self.weight_decay)

    # -- config --
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif not callable(lr):
            lr = float(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)
