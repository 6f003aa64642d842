"""RandomFlip: flips each image of a batch, with probability 1/2, left-right and/or up-down (training only).

As in Keras 3, mode="horizontal_and_vertical" draws one coin per image: it is flipped on both axes or
on neither.
"""
import ktensor as kt

from ._base import RandomImageLayer

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


def _reverse(x, axis):
    n = x.shape[axis]
    return kt.gather(x, kt.range(n - 1, -1, -1, dtype="int64", device=x.device), axis=axis)


class RandomFlip(RandomImageLayer):
    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"RandomFlip '{self.name}': unknown mode {mode!r}. Expected one of {_MODES}.")
        self.mode = mode

    def _augment(self, images):
        flips = self._uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images.device) <= 0.5
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = kt.where(flips, _reverse(out, 2), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = kt.where(flips, _reverse(out, 1), out)
        return out

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}
