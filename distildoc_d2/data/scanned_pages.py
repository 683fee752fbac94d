"""Scanned-looking copies of a labelled page set, for the case a born-digital teacher cannot read.

Each page image is degraded like a scan (paper tint, levels, grey, blur, noise, JPEG: no pixel
moves, so its boxes stay exact) and written twice: as an image, and as a one-page PDF that holds
only that image, with no text layer. A teacher that reads a PDF's text sees nothing on such a
page; an image student can still be scored against the exact boxes.
"""
import json
import os
import random
import shutil
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from .coco_layout import read_json
from .synthetic.degrade import degrade
from ..errors import DatasetError

# degrade() draws each effect with probability p * strength: at 3 every scan effect is (nearly) always on.
SCAN_STRENGTH = 3.0


def scan_like(image, key, seed=0):
    """`image` (PIL) degraded like a scan, the same way every time for the same `key` and `seed`."""
    rng = random.Random(f"{seed}/{key}")
    nrng = np.random.default_rng(zlib.crc32(f"{seed}/{key}".encode()))
    return degrade(image.convert("RGB"), rng, nrng, SCAN_STRENGTH).convert("RGB")


def build_scanned_pages(json_file, image_root, output_dir, seed=0, progress=True):
    """Write OUTPUT/images/ (scanned-looking page images), OUTPUT/pdf/ (one image-only PDF per
    page, at the page's recorded dpi, 72 when none) and OUTPUT/annotations.json (the same labels).
    The folder is built beside OUTPUT and renamed into place. Returns the json path."""
    data = read_json(json_file)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not images or not isinstance(data.get("annotations"), list):
        raise DatasetError(f"{json_file}: expected a COCO json with at least one image and a list of annotations")
    output_dir = os.path.abspath(output_dir)
    if os.path.exists(output_dir):
        raise DatasetError(f"{output_dir} exists; remove it or name another output folder")
    partial = f"{output_dir}.partial-{os.getpid()}"
    os.makedirs(os.path.join(partial, "images"))
    os.makedirs(os.path.join(partial, "pdf"))
    try:
        pages = []
        for entry in tqdm(images, desc="scanning", unit="page", disable=not progress):
            source = os.path.join(image_root, entry["file_name"])
            try:
                with Image.open(source) as page:
                    scanned = scan_like(page, entry["file_name"], seed)
            except (OSError, UnidentifiedImageError) as err:
                raise DatasetError(f"{source} (image {entry['id']} of {json_file}) cannot be read as an image: {err}")
            stem = os.path.splitext(entry["file_name"].replace("/", "_"))[0]
            scanned.save(os.path.join(partial, "images", stem + ".png"))
            scanned.save(os.path.join(partial, "pdf", stem + ".pdf"), "PDF", resolution=float(entry.get("dpi", 72)))
            pages.append(dict(entry, file_name=stem + ".png", source=f"pdf/{stem}.pdf", page=1))
        info = dict(data.get("info") or {}, scanned_copy={"of": os.path.abspath(json_file), "seed": seed})
        result = dict(data, info=info, images=pages)
        with open(os.path.join(partial, "annotations.json"), "w") as f:
            json.dump(result, f)
        os.replace(partial, output_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return os.path.join(output_dir, "annotations.json")
