"""Paper tint and scan-like degradation that keep every layout box exact.

Nothing here moves pixels: no rotation, warping or cropping. Blur is kept below one pixel so
ink does not spread visibly beyond its box.
"""
import io

import numpy as np
from PIL import Image, ImageChops, ImageFilter


def _levels_lut(low, high):
    return [round(low + (high - low) * v / 255) for v in range(256)]


def degrade(image, rng, nrng, strength=1.0):
    """Apply a random subset of tint, contrast, grey-scan, blur, noise and JPEG artefacts.

    `strength` scales the probability of each effect (0: untouched, 1: about a third of pages
    get scan effects). Returns a new RGB image (or `image` itself when nothing applied).
    """
    def chance(p):
        return rng.random() < p * strength

    if chance(0.4):
        tint = (rng.randint(236, 253), rng.randint(234, 251), rng.randint(222, 248))
        image = ImageChops.multiply(image, Image.new("RGB", image.size, tint))
    scanned = chance(0.35)
    if not scanned:
        return image
    if chance(0.5):
        low, high = rng.randint(0, 60), rng.randint(225, 255)
        image = image.point(_levels_lut(low, high) * 3)
    if chance(0.3):
        image = image.convert("L").convert("RGB")
    if chance(0.4):
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.75)))
    if chance(0.5):
        amplitude = rng.randint(3, 12)
        arr = np.asarray(image, dtype=np.int16)
        noise = nrng.integers(-amplitude, amplitude + 1, size=arr.shape[:2] + (1,), dtype=np.int16)
        image = Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8))
    if chance(0.35):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=rng.randint(30, 75))
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
    return image
