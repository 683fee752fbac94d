"""Reading page images for classification: any scan (grey-scale, 1-bit, 16-bit, palette, alpha,
CMYK, TIFF/PNG/JPEG, first page of a PDF) as RGB, resized to the model's input size."""
import os

import numpy as np
import torch
from PIL import Image, ImageOps

from ..errors import DatasetError

RESIZE_MODES = ("stretch", "pad")
PDF_DPI = 100


def _open(path):
    if path.lower().endswith(".pdf"):
        from pdf2image import convert_from_path

        pages = convert_from_path(path, dpi=PDF_DPI, first_page=1, last_page=1, use_cropbox=True)
        if not pages:
            raise OSError("the PDF has no page")
        return pages[0]
    image = Image.open(path)
    image.load()
    return image


def _to_rgb(image):
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        image = Image.fromarray(scaled.astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("RGB")


def read_page(path):
    """The image at `path` as an RGB PIL image; a DatasetError names the file if it cannot be read."""
    if not os.path.isfile(path):
        raise DatasetError(f"image {path} does not exist")
    try:
        image = _to_rgb(ImageOps.exif_transpose(_open(path)))
    except Image.DecompressionBombError as err:
        raise DatasetError(f"image {path} is too large to decode safely: {err}") from None
    except Exception as err:  # PIL and pdf2image raise many types for a corrupt file
        raise DatasetError(f"image {path} cannot be read as an image: {err}") from None
    if image.width < 1 or image.height < 1:
        raise DatasetError(f"image {path} is empty ({image.width}x{image.height})")
    return image


def resize_page(image, size, mode="stretch"):
    """Resize an RGB page to `size` = (height, width): stretched, or fitted with white padding."""
    height, width = size
    if mode == "stretch":
        return image.resize((width, height), Image.BILINEAR, reducing_gap=2.0)
    if mode != "pad":
        raise ValueError(f"resize mode must be one of {RESIZE_MODES}, got {mode!r}")
    scale = min(width / image.width, height / image.height)
    inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    resized = image.resize(inner, Image.BILINEAR, reducing_gap=2.0)
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    canvas.paste(resized, ((width - inner[0]) // 2, (height - inner[1]) // 2))
    return canvas


def to_tensor(image):
    """An RGB PIL image as a float CHW tensor with values in [0, 1]."""
    array = np.asarray(image, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)


def load_page_tensor(path, size, mode="stretch"):
    """Read, convert to RGB and resize the page at `path`: a float CHW tensor in [0, 1]."""
    return to_tensor(resize_page(read_page(path), size, mode))
