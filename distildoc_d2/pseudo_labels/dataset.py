"""The pseudo-labelled data set: page images and the teacher's boxes as a COCO json, written
into a temporary folder that replaces the output folder only when every page is done."""
import datetime
import json
import os
import shutil

from PIL import Image

from ..errors import ConfigError

ANNOTATIONS_FILE = "annotations.json"
IMAGES_FOLDER = "images"


def box_polygon(x0, y0, x1, y1):
    """The rectangle of a box as a COCO polygon (layout regions are rectangles)."""
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


class PseudoLabelWriter:
    """Collects pages and their labels, then writes OUTPUT/images/ and OUTPUT/annotations.json
    (image paths relative to OUTPUT, so `coco:OUTPUT/annotations.json` names the whole set).
    Each annotation keeps the teacher's `score` (null for teachers without scores); the json's
    `info.pseudo_labels` records the teacher, class map and thresholds, which is how a training
    run recognises a pseudo-labelled set. An existing output folder is replaced only with
    `overwrite`, and only after the new one is complete."""

    def __init__(self, output_dir, class_names, provenance, overwrite=False):
        self.output_dir = os.path.normpath(output_dir)
        if os.path.exists(self.output_dir) and not overwrite:
            raise ConfigError(f"output folder {self.output_dir} exists; choose another or pass --overwrite")
        self.class_names = list(class_names)
        self.provenance = dict(provenance)
        self.tmp_dir = f"{self.output_dir}.partial-{os.getpid()}"
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        os.makedirs(os.path.join(self.tmp_dir, IMAGES_FOLDER))
        self.images, self.annotations = [], []

    def add_page(self, page, rgb, regions):
        """Add a page (a pages.Page), its RGB array and its kept regions [{"category": student
        class, "bbox": [x0, y0, x1, y1] in the array's pixels, "score"}]. Image files are copied
        as they are; rendered PDF pages are written as PNG."""
        height, width = rgb.shape[:2]
        if page.page is None and os.path.isfile(page.source):
            file_name = f"{IMAGES_FOLDER}/{page.name}{os.path.splitext(page.source)[1].lower()}"
            shutil.copyfile(page.source, os.path.join(self.tmp_dir, file_name))
        else:
            file_name = f"{IMAGES_FOLDER}/{page.name}.png"
            Image.fromarray(rgb).save(os.path.join(self.tmp_dir, file_name))
        image_id = len(self.images) + 1
        record = {"id": image_id, "file_name": file_name, "width": int(width), "height": int(height),
                  "source": page.source}
        if page.page is not None:
            record.update(page=page.page, dpi=page.dpi)
        self.images.append(record)
        for region in regions:
            x0, y0, x1, y1 = (float(v) for v in region["bbox"])
            x0, y0 = max(0.0, min(x0, width)), max(0.0, min(y0, height))
            x1, y1 = max(x0, min(x1, width)), max(y0, min(y1, height))
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            self.annotations.append({
                "id": len(self.annotations) + 1, "image_id": image_id,
                "category_id": self.class_names.index(region["category"]) + 1,
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0,
                "segmentation": box_polygon(x0, y0, x1, y1), "score": region.get("score"),
            })
        return image_id

    def finish(self, report=None):
        """Write the json (and `report` as report.json), then move the folder into place."""
        info = {"description": "pseudo-labels written by distildoc_d2 (tools/pseudo_label.py)",
                "date_created": datetime.datetime.now().isoformat(timespec="seconds"),
                "pseudo_labels": self.provenance}
        data = {"info": info, "images": self.images, "annotations": self.annotations,
                "categories": [{"id": i + 1, "name": n} for i, n in enumerate(self.class_names)]}
        with open(os.path.join(self.tmp_dir, ANNOTATIONS_FILE), "w") as f:
            json.dump(data, f)
        if report is not None:
            with open(os.path.join(self.tmp_dir, "report.json"), "w") as f:
                json.dump(report, f, indent=1)
        old = None
        if os.path.exists(self.output_dir):
            old = f"{self.output_dir}.old-{os.getpid()}"
            os.replace(self.output_dir, old)
        os.replace(self.tmp_dir, self.output_dir)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        return os.path.join(self.output_dir, ANNOTATIONS_FILE)

    def abort(self):
        """Remove the partial folder (nothing is left half-written)."""
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
