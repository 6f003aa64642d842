"""Adam, Keras 3 formula (bias correction folded into the step size; optional AMSGrad)."""
import ktensor as kt

from .optimizer import Optimizer


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), bool(
            amsgrad)

    def build(self, variables):
        super().build(variables)
        for v in variables:
            self.add_variable_from_reference(v, "momentum")
            self.add_variable_from_reference(v, "velocity")
            if self.amsgrad:
                self.add_variable_from_reference(v, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.adam_step(variable, gradient, self.slot(variable, "momentum"), self.slot(variable, "velocity"),
                           self.slot(variable, "velocity_hat"), learning_rate, self.beta_1, self.beta_2,
                           self.epsilon, self._step, self.amsgrad, weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}
