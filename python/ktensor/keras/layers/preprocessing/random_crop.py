"""RandomCrop: crops a random (height, width) window, the same for every image of the batch (training
only). Unless the input is larger than the target on both axes, it is instead cropped about its centre and
resized to the target, as Keras 3 does. As in Keras 3, inference returns the inputs unchanged."""
import numbers

import ktensor as kt

from ._affine import resize_bilinear
from ._base import RandomImageLayer


class RandomCrop(RandomImageLayer):
    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        if seed is None:  # Keras stores a drawn seed; this one follows keras.utils.set_random_seed
            seed = kt.random.shuffle_seed() % 1_000_000_000 + 1
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        for arg, v in (("height", height), ("width", width)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
                raise ValueError(f"RandomCrop '{self.name}': {arg} must be a positive integer, got {v!r}")
        self.height, self.width = int(height), int(width)

    def _augment(self, images):
        h, w = int(images.shape[1]), int(images.shape[2])
        if h > self.height and w > self.width:
            u = self._uniform((2,), 0.0, 1.0, "cpu").numpy()  # offsets are shapes: decided on the host
            top = min(int(u[0] * (h - self.height + 1)), h - self.height)
            left = min(int(u[1] * (w - self.width + 1)), w - self.width)
            return images[:, top:top + self.height, left:left + self.width, :]
        # Keras 3 centres a window of the target's aspect ratio, but then slices (height, width) from
        # its corner, clipped by the image; what is left is resized to the target.
        crop_h = max(min(h, int(w * self.height / self.width)), 1)
        crop_w = max(min(w, int(h * self.width / self.height)), 1)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        images = images[:, top:top + self.height, left:left + self.width, :]
        if tuple(images.shape[1:3]) == (self.height, self.width):
            return images
        return resize_bilinear(images, (self.height, self.width))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-3], shape[-2] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed}
