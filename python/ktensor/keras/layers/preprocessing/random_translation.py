"""RandomTranslation: shifts each image by a random fraction of its height and width (training only);
uncovered points are filled by `fill_mode`. Positive factors shift down / right."""
import ktensor as kt

from ._affine import affine_transform, check_modes
from ._base import RandomImageLayer, parse_factor


class RandomTranslation(RandomImageLayer):
    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_lower, self.height_upper = parse_factor(self._owner, "height_factor", height_factor)
        self.width_lower, self.width_upper = parse_factor(self._owner, "width_factor", width_factor)
        check_modes(self._owner, fill_mode, interpolation)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, images):
        b, h, w = (int(s) for s in images.shape[:3])
        dev = images.device
        dy = self._uniform((b, 1), self.height_lower, self.height_upper, dev) * float(h)
        dx = self._uniform((b, 1), self.width_lower, self.width_upper, dev) * float(w)
        one, zero = kt.ones((b, 1), device=dev), kt.zeros((b, 1), device=dev)
        # The output pixel (y, x) reads the input at (y - dy, x - dx).
        transform = kt.concat([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)
        return affine_transform(images, transform, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}
