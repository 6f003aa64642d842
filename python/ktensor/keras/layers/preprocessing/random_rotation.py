"""RandomRotation: rotates each image about its centre by a random angle of factor * 360 degrees
(training only); positive angles turn counter-clockwise. Uncovered points are filled by `fill_mode`."""
import math

import ktensor as kt

from ._affine import affine_transform, check_modes
from ._base import RandomImageLayer, parse_factor


class RandomRotation(RandomImageLayer):
    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = parse_factor(self._owner, "factor", factor)
        check_modes(self._owner, fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, images):
        b, h, w = (int(s) for s in images.shape[:3])
        dev = images.device
        angle = self._uniform((b, 1), self.factor[0] * 360.0, self.factor[1] * 360.0, dev) * (math.pi / 180.0)
        cos, sin = kt.cos(angle), kt.sin(angle)
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        # Output (y, x) reads the input at the point rotated about the centre (cx, cy).
        zero = kt.zeros((b, 2), device=dev)
        transform = kt.concat([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero], axis=1)
        return affine_transform(images, transform, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation, "seed": self.seed}
