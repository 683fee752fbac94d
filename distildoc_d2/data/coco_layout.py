"""Load a layout data set's COCO json into Detectron2 dicts, checking it first.

Every problem is reported as a DatasetError that names the file and the offending entry, so a
malformed file never surfaces as a KeyError from deep inside Detectron2 or pycocotools.
"""
import json
import math
import os

from detectron2.data import MetadataCatalog
from detectron2.structures import BoxMode

from ..errors import DatasetError


def read_json(path, what="annotation file"):
    """Read a JSON file, turning a missing or unparsable file into a DatasetError."""
    if not os.path.isfile(path):
        raise DatasetError(f"{what} {path} does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise DatasetError(f"{what} {path} is not valid JSON: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{what} {path} cannot be read: {err}") from None


def _require_list(data, key, json_file):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise DatasetError(f"{json_file}: expected a COCO json with a list under '{key}'")
    return value


def _category_index(categories, class_names, json_file):
    """Map the json's category ids to contiguous indices of `class_names` (matched by name)."""
    index = {}
    for cat in categories:
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise DatasetError(f"{json_file}: category entry {cat!r} needs 'id' and 'name'")
        if cat["name"] not in class_names:
            raise DatasetError(
                f"{json_file}: category '{cat['name']}' (id {cat['id']}) is not one of the "
                f"expected classes {list(class_names)}"
            )
        index[cat["id"]] = class_names.index(cat["name"])
    return index


def _check_bbox(bbox, ann, json_file, width, height):
    ok = isinstance(bbox, (list, tuple)) and len(bbox) == 4
    ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in bbox)
    if not ok or bbox[2] < 0 or bbox[3] < 0:
        raise DatasetError(
            f"{json_file}: annotation {ann.get('id')} has bbox {bbox!r}; expected [x, y, width, height] "
            "with finite numbers and non-negative size"
        )
    x, y, w, h = bbox
    if x < -1 or y < -1 or x + w > width + 1 or y + h > height + 1:
        raise DatasetError(
            f"{json_file}: annotation {ann.get('id')} has bbox {bbox!r} outside its "
            f"{width}x{height} image {ann.get('image_id')}"
        )


def _segmentation(ann, json_file):
    seg = ann.get("segmentation")
    if seg is None or seg == []:
        return None
    if isinstance(seg, dict):
        return seg
    if isinstance(seg, list) and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0 for p in seg):
        return seg
    raise DatasetError(
        f"{json_file}: annotation {ann.get('id')} has a segmentation that is neither polygons "
        "(lists of at least 3 x,y pairs) nor RLE"
    )


def load_layout_coco(json_file, image_root, class_names, dataset_name=None):
    """Return Detectron2 dataset dicts for a COCO json whose categories are `class_names`.
    With `dataset_name`, its metadata gets `thing_dataset_id_to_contiguous_id` (as Detectron2's
    own COCO loader does), which COCO evaluation needs to map predicted classes back to the
    json's category ids."""
    data = read_json(json_file)
    images = _require_list(data, "images", json_file)
    annotations = _require_list(data, "annotations", json_file)
    cat_index = _category_index(_require_list(data, "categories", json_file), class_names, json_file)
    if dataset_name is not None:
        MetadataCatalog.get(dataset_name).set(thing_dataset_id_to_contiguous_id=dict(cat_index))

    records = {}
    for img in images:
        missing = [k for k in ("id", "file_name", "width", "height") if not isinstance(img, dict) or k not in img]
        if missing:
            raise DatasetError(f"{json_file}: image entry {img!r} lacks {', '.join(missing)}")
        records[img["id"]] = {
            "file_name": os.path.join(image_root, img["file_name"]),
            "height": img["height"],
            "width": img["width"],
            "image_id": img["id"],
            "annotations": [],
        }
    for ann in annotations:
        if not isinstance(ann, dict):
            raise DatasetError(f"{json_file}: annotation entry {ann!r} is not an object")
        record = records.get(ann.get("image_id"))
        if record is None:
            raise DatasetError(f"{json_file}: annotation {ann.get('id')} refers to unknown image_id {ann.get('image_id')}")
        if ann.get("category_id") not in cat_index:
            raise DatasetError(
                f"{json_file}: annotation {ann.get('id')} has category_id {ann.get('category_id')}, "
                f"which is not among the file's categories {sorted(cat_index)}"
            )
        _check_bbox(ann.get("bbox"), ann, json_file, record["width"], record["height"])
        obj = {
            "bbox": list(ann["bbox"]),
            "bbox_mode": BoxMode.XYWH_ABS,
            "category_id": cat_index[ann["category_id"]],
            "iscrowd": ann.get("iscrowd", 0),
        }
        seg = _segmentation(ann, json_file)
        if seg is not None:
            obj["segmentation"] = seg
        record["annotations"].append(obj)
    return list(records.values())
