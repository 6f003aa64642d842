"""SGD with optional (Nesterov) momentum, Keras 3 formula: m = momentum * m - lr * g; var += m."""
import ktensor as kt

from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a float in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build(self, variables):
        super().build(variables)
        if self.momentum:
            for v in variables:
                self.add_variable_from_reference(v, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.sgd_step(variable, gradient, self.slot(variable, "momentum"), learning_rate, self.momentum,
                          self.nesterov, weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
