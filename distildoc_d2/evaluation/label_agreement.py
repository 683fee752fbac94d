"""COCO bbox mAP of one set of labels against another on the same pages: a teacher's
pseudo-labels against exact labels (its real accuracy), or any two COCO jsons. Pages are matched
by the PDF page they were rendered from where both jsons record it (`source` and `page`), else by
image file name; classes by (loose) name; labels without a score count as score 1."""
import contextlib
import io
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ..data.coco_layout import read_json
from ..errors import DatasetError
from ..pseudo_labels.classes import normalise_name


def _coco(data):
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def _page_keys(image):
    """The keys a page is known by: its PDF file name and page number where recorded, its image file name."""
    keys = []
    if image.get("source") and image.get("page") is not None:
        keys.append(("pdf", os.path.basename(str(image["source"])), int(image["page"])))
    keys.append(("image", os.path.basename(image["file_name"])))
    return keys


def _match_pages(truth_images, label_images):
    """{label image id: truth image id or None}, by PDF page first, then by image file name."""
    truth_by_key = {}
    for image in truth_images:
        for key in _page_keys(image):
            truth_by_key.setdefault(key, image["id"])
    return {image["id"]: next((truth_by_key[k] for k in _page_keys(image) if k in truth_by_key), None)
            for image in label_images}


def _check_sizes(truth_images, label_images, pairs, labels_name):
    """DatasetError when a matched page has another size in the labels (rendered at another dpi)."""
    truth_by_id = {im["id"]: im for im in truth_images}
    for image in label_images:
        truth = truth_by_id.get(pairs.get(image["id"]))
        if truth is None or not all(k in image and k in truth for k in ("width", "height")):
            continue
        if abs(image["width"] - truth["width"]) > 2 or abs(image["height"] - truth["height"]) > 2:
            raise DatasetError(f"{labels_name}: page {image['file_name']} is {image['width']}x{image['height']} px, "
                               f"its exact labels' image {truth['file_name']} {truth['width']}x{truth['height']} px; "
                               "render the pages at the dpi the exact labels were made at")


def labels_map(truth_json, labels_json):
    """{"AP", "AP50", "per_class": {class: AP}, "pages"} in percent: the labels of `labels_json`
    scored against `truth_json` on the pages both hold."""
    return labels_map_of_data(truth_json, read_json(labels_json, "labels file"), labels_json)


def labels_map_of_data(truth_json, labels, labels_name):
    """labels_map with the labels given as a COCO dict (`labels_name` names them in errors)."""
    truth = read_json(truth_json, "ground-truth file")
    try:
        names = {normalise_name(c["name"]): c["id"] for c in truth["categories"]}
        label_class = {c["id"]: names.get(normalise_name(c["name"])) for c in labels["categories"]}
        label_image = _match_pages(truth["images"], labels["images"])
        shared = {i for i in label_image.values() if i is not None}
        _check_sizes(truth["images"], labels["images"], label_image, labels_name)
        results = [{"image_id": label_image[a["image_id"]], "category_id": label_class[a["category_id"]],
                    "bbox": list(a["bbox"]), "score": 1.0 if a.get("score") is None else float(a["score"])}
                   for a in labels["annotations"]
                   if label_image.get(a["image_id"]) is not None and label_class.get(a["category_id"]) is not None]
    except (KeyError, TypeError) as err:
        raise DatasetError(f"{truth_json} / {labels_name}: expected COCO jsons with images, annotations and "
                           f"categories: {err!r}") from None
    if not shared:
        raise DatasetError(f"{labels_name} holds none of the pages of {truth_json} "
                           "(pages match by PDF file and page, or by image file name)")
    gt = dict(truth, images=[im for im in truth["images"] if im["id"] in shared],
              annotations=[dict(a, iscrowd=a.get("iscrowd", 0), area=a["bbox"][2] * a["bbox"][3])
                           for a in truth["annotations"] if a["image_id"] in shared])
    coco_gt = _coco(gt)
    if not results:
        return {"AP": 0.0, "AP50": 0.0, "per_class": {}, "pages": len(shared)}
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(results)
        evaluation = COCOeval(coco_gt, coco_dt, "bbox")
        evaluation.params.imgIds = sorted(shared)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    per_class = {}
    for k, cat_id in enumerate(evaluation.params.catIds):
        precision = evaluation.eval["precision"][:, :, k, 0, -1]
        if (precision > -1).any():
            per_class[coco_gt.cats[cat_id]["name"]] = float(np.mean(precision[precision > -1]) * 100)
    return {"AP": float(evaluation.stats[0] * 100), "AP50": float(evaluation.stats[1] * 100),
            "per_class": per_class, "pages": len(shared)}
