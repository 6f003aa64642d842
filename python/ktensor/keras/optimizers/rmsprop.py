"""RMSprop, Keras 3 formula: epsilon inside the square root, optional momentum and centering."""
import ktensor as kt

from .optimizer import Optimizer


class RMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), bool(
            centered)

    def build(self, variables):
        super().build(variables)
        for v in variables:
            self.add_variable_from_reference(v, "velocity")
            if self.momentum > 0:
                self.add_variable_from_reference(v, "momentum")
            if self.centered:
                self.add_variable_from_reference(v, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.rmsprop_step(variable, gradient, self.slot(variable, "velocity"), self.slot(variable, "momentum"),
                              self.slot(variable, "average_gradient"), learning_rate, self.rho, self.momentum,
                              self.epsilon, self.centered, weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
