"""What tools/predict.py writes: one JSON per page, a COCO-results file for a whole set, and the
layout drawn on the page (Detectron2's Visualizer)."""
import json
import os

import numpy as np
from detectron2.utils.colormap import colormap
from detectron2.utils.visualizer import Visualizer
from PIL import Image

from ..errors import ConfigError

_COLORS = colormap(rgb=True, maximum=1)


def write_json(path, data):
    """Write `data` as indented JSON (folders created)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def draw_layout(rgb, page):
    """The page (RGB uint8 array) with its regions drawn: box, mask if any, and the label
    "<reading order + 1>. <class> <score>"; one colour per class."""
    regions = page["regions"]
    if not regions:
        return rgb
    visualizer = Visualizer(rgb)
    masks = [r["mask"] for r in regions] if all("mask" in r for r in regions) else None
    drawn = visualizer.overlay_instances(
        boxes=np.array([r["bbox"] for r in regions]),
        labels=[f"{r['reading_order'] + 1}. {r['category']} {r['score']:.2f}" for r in regions],
        masks=masks,
        assigned_colors=[_COLORS[r["category_id"] % len(_COLORS)] for r in regions],
    )
    return drawn.get_image()


def save_png(path, rgb):
    """Write an RGB uint8 array as a PNG file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(rgb).save(path)


class CocoResults:
    """Collects page predictions as COCO detection results ([{image_id, category_id, bbox (x, y, w, h),
    score[, segmentation]}]).

    Without a ground-truth file, image ids count pages from 1 in the order they are added (for a
    single PDF: its page numbers) and category ids are class index + 1. With `gt_file` (a COCO
    json), a page gets the id of the ground-truth image with its file name (base name) and, for a
    PDF, its `page` number; classes map by name; boxes are scaled to that image's width and height
    (so pages rendered at another dpi still match). Pages the ground truth lacks are left out.
Masks become `segmentation` only where no scaling is needed (page size = ground-truth size)."""

    def __init__(self, class_names, gt_file=None):
        self.class_names = list(class_names)
        self.results = []
        self.count = 0
        self.images = self.categories = None
        if gt_file:
            try:
                with open(gt_file) as f:
                    gt = json.load(f)
                self.images = {(os.path.basename(im["file_name"]), im.get("page")): im for im in gt["images"]}
                self.categories = {c["name"]: c["id"] for c in gt["categories"]}
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise ConfigError(f"COCO ground-truth file {gt_file} cannot be read: {err}") from None

    def add(self, source, page):
        """Add the page dict `page` predicted for file `source`; False when the ground truth lacks it."""
        self.count += 1
        scale_x = scale_y = 1.0
        if self.images is None:
            image_id = self.count
        else:
            image = self.images.get((os.path.basename(source), page.get("page")))
            if image is None:
                return False
            image_id = image["id"]
            scale_x, scale_y = image["width"] / page["width"], image["height"] / page["height"]
        for region in page["regions"]:
            if self.categories is None:
                category_id = region["category_id"] + 1
            elif region["category"] in self.categories:
                category_id = self.categories[region["category"]]
            else:
                continue
            x0, y0, x1, y1 = region["bbox"]
            result = {"image_id": image_id, "category_id": category_id, "score": region["score"],
                      "bbox": [x0 * scale_x, y0 * scale_y, (x1 - x0) * scale_x, (y1 - y0) * scale_y]}
            if "mask" in region and scale_x == scale_y == 1.0:
                result["segmentation"] = region["mask"]
            self.results.append(result)
        return True

    def write(self, path):
        """Write the collected results to `path`."""
        write_json(path, self.results)
