"""Nadam, Keras 3 formula: Adam with Nesterov momentum and the momentum schedule
u_t = beta_1 * (1 - 0.5 * 0.96^t), whose running product the optimizer keeps on the host."""
import ktensor as kt

from .optimizer import Optimizer


class Nadam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self._u_product, self._u_step = 1.0, 0  # u_1 * ... * u_{_u_step}

    def build(self, variables):
        super().build(variables)
        for v in variables:
            self.add_variable_from_reference(v, "momentum")
            self.add_variable_from_reference(v, "velocity")

    def _u_product_at(self, step):
        """u_1 * ... * u_step, advanced incrementally (recomputed if the step counter went back)."""
        if step < self._u_step:
            self._u_product, self._u_step = 1.0, 0
        while self._u_step < step:
            self._u_step += 1
            self._u_product *= kt.optim.nadam_momentum_decay(self.beta_1, self._u_step)
        return self._u_product

    def update_step(self, gradient, variable, learning_rate):
        kt.optim.nadam_step(variable, gradient, self.slot(variable, "momentum"), self.slot(variable, "velocity"),
                            learning_rate, self.beta_1, self.beta_2, self.epsilon, self._step,
                            self._u_product_at(self._step), weight_decay=self._weight_decay_for(variable))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
