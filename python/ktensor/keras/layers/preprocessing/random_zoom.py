"""RandomZoom: zooms each image about its centre by 1 + a random factor per axis (training only);
positive factors zoom out (the image shrinks), negative ones zoom in. width_factor=None keeps the
aspect ratio (the height's draw is used for both)."""
import ktensor as kt

from ._affine import affine_transform, check_modes
from ._base import RandomImageLayer, parse_factor


class RandomZoom(RandomImageLayer):
    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_lower, self.height_upper = parse_factor(self._owner, "height_factor", height_factor,
                                                            low_open=True)
        if width_factor is not None:
            self.width_lower, self.width_upper = parse_factor(self._owner, "width_factor", width_factor,
                                                              low_open=True)
        check_modes(self._owner, fill_mode, interpolation)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, images):
        b, h, w = (int(s) for s in images.shape[:3])
        dev = images.device
        zy = self._uniform((b, 1), 1.0 + self.height_lower, 1.0 + self.height_upper, dev)
        zx = zy if self.width_factor is None else self._uniform((b, 1), 1.0 + self.width_lower,
                                                                 1.0 + self.width_upper, dev)
        zero = kt.zeros((b, 1), device=dev)
        # Output (y, x) reads the input at centre + zoom * (point - centre).
        transform = kt.concat([zx, zero, (1.0 - zx) * ((w - 1) / 2.0), zero, zy, (1.0 - zy) * ((h - 1) / 2.0),
                               zero, zero], axis=1)
        return affine_transform(images, transform, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}
