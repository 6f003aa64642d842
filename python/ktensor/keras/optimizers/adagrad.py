"""Adagrad, Keras 3 formula: acc += g^2; var -= lr * g / sqrt(acc + epsilon)."""
import ktensor as kt

from .optimizer import Optimizer


class Adagrad(Optimizer):
    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def build(self, variables):
        super().build(variables)
        for v in variables:
            self.add_variable_from_reference(v, "accumulator", self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.adagrad_step(variable, gradient, self.slot(variable, "accumulator"), learning_rate, self.epsilon,
                              weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
