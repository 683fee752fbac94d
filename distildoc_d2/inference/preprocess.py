"""Pages into model inputs, as Detectron2's DefaultPredictor prepares them: channels in the
model's order, shorter side resized to `min_size` (longer side at most `max_size`, bilinear),
float32 (3, H, W) with values 0-255 (a page rendered at the model's size is not resized again).
Normalisation and padding happen inside the model."""
import numpy as np
import torch
from detectron2.data import transforms as T

from ..errors import ConfigError


class Preprocessor:
    """Turns RGB uint8 pages (H, W, 3) into model inputs following an export's metadata."""

    def __init__(self, metadata):
        self.input_format = metadata["input"]["format"]
        if self.input_format not in ("RGB", "BGR"):
            raise ConfigError(f"the model's input format is '{self.input_format}'; the predictor supports RGB and BGR")
        resize = metadata["resize"]
        self.resize = T.ResizeShortestEdge([resize["min_size"], resize["min_size"]], resize["max_size"])

    def __call__(self, rgb):
        """The model input (3, h, w) float32 tensor for the page `rgb`."""
        image = rgb[:, :, ::-1] if self.input_format == "BGR" else rgb
        transform = self.resize.get_transform(image)
        same_size = (transform.new_h, transform.new_w) == image.shape[:2]
        resized = image if same_size else transform.apply_image(image)
        return torch.as_tensor(np.ascontiguousarray(resized.astype("float32").transpose(2, 0, 1)))
