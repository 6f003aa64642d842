"""Adamax, Keras 3 formula: m += (g - m) * (1 - beta_1); u = max(beta_2 * u, |g|);
var -= lr * m / ((1 - beta_1^t) * (u + epsilon))."""
import ktensor as kt

from .optimizer import Optimizer


class Adamax(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def build(self, variables):
        super().build(variables)
        for v in variables:
            self.add_variable_from_reference(v, "m")
            self.add_variable_from_reference(v, "u")

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.adamax_step(variable, gradient, self.slot(variable, "m"), self.slot(variable, "u"), learning_rate,
                             self.beta_1, self.beta_2, self.epsilon, self._step,
                             weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
