"""BatchNormalization (Keras 3): normalizes each channel (`axis`) with the batch's mean and biased
variance in training, and with moving averages of them otherwise.

In a training call (training=True on a trainable layer) the moving statistics are updated in
place, inside the step and with ktensor ops only: moving = moving * momentum + batch * (1 - momentum).
Weights, in order: gamma (scale=True), beta (center=True), moving_mean, moving_variance.
"""
import ktensor as kt
from ktensor.ops import norm

from .. import initializers, regularizers
from .layer import Layer


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"BatchNormalization '{self.name}': axis must be an int, got {axis!r}")
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError(f"BatchNormalization '{self.name}': weight constraints are not supported yet")
        if renorm:
            raise NotImplementedError(f"BatchNormalization '{self.name}': renorm=True is not supported yet")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = synchronized  # one device: the batch statistics are already global
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._rank = None

    def _channel_axis(self, rank, shape):
        if not -rank <= self.axis < rank:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of range for inputs of "
                             f"rank {rank} (shape {tuple(shape)})")
        return self.axis % rank

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ax = self._channel_axis(len(input_shape), input_shape)
        if input_shape[ax] is None:
            raise ValueError(f"BatchNormalization '{self.name}': the size of axis {self.axis} must be known, got "
                             f"input shape {input_shape}")
        shape = (input_shape[ax],)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, trainable=True)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, trainable=True)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False)
        self._rank = len(input_shape)

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            raise NotImplementedError(f"BatchNormalization '{self.name}': masks are not supported yet")
        channels = self.moving_mean.shape[0]
        ax = self._channel_axis(inputs.ndim, inputs.shape)
        if inputs.ndim != self._rank or inputs.shape[ax] != channels:
            raise ValueError(f"BatchNormalization '{self.name}' was built for inputs of rank {self._rank} with "
                             f"{channels} channels on axis {self.axis}, got shape {tuple(inputs.shape)}")
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        if training and self.trainable:
            y, mean, var = norm.batch_norm_training(inputs, self.gamma, self.beta, self.epsilon, axis=ax)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + var * (1.0 - m))
            return y
        return norm.batch_norm_inference(inputs, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                                         self.epsilon, axis=ax)

    def compute_output_shape(self, input_shape):
        self._channel_axis(len(tuple(input_shape)), input_shape)
        return tuple(input_shape)

    def get_config(self):
        def reg(r):
            return regularizers.serialize(r) if r else None

        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": reg(self.beta_regularizer), "gamma_regularizer": reg(self.gamma_regularizer),
                "beta_constraint": None, "gamma_constraint": None, "synchronized": self.synchronized,
                "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}
