"""Write synthetic layout pages as a COCO data set in DocLayNet's 11 classes, and convert such a
data set to PubLayNet's 5 classes.

DocLayNet -> PubLayNet (`DOCLAYNET_TO_PUBLAYNET` in distildoc_d2.data.categories):
Text, Caption, Footnote, Formula -> text; Title, Section-header -> title; List-item -> list;
Table -> table; Picture -> figure; Page-header, Page-footer -> dropped (PubLayNet does not label
them). PubLayNet's `list` box covers a whole list while DocLayNet boxes each item, so converted
`list` boxes are per item.
"""
import json
import os

from tqdm import tqdm

from ..categories import DOCLAYNET_CLASSES, DOCLAYNET_TO_PUBLAYNET, PUBLAYNET_CLASSES
from .fonts import check_fonts
from .page_layout import compose_layout_page, page_rngs

GENERATOR_VERSION = "1.0"
PNG_COMPRESS_LEVEL = 1


def coco_categories(class_names):
    """COCO `categories` with ids 1..N in the order of `class_names`."""
    return [{"id": i + 1, "name": name, "supercategory": "layout"} for i, name in enumerate(class_names)]


def coco_annotation(ann_id, image_id, category_id, box):
    """A COCO annotation for the pixel box (x0, y0, x1, y1) (exclusive x1, y1), with the box's four
    corners as its polygon, as in DocLayNet."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [x0, y0, x1 - x0, y1 - y0],
        "area": (x1 - x0) * (y1 - y0),
        "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
        "iscrowd": 0,
    }


def write_json(path, data):
    """Write `data` as compact JSON atomically (a temporary file renamed into place)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(tmp, path)


def generate_layout_split(out_root, split, num_pages, seed, page_size=(612, 792), progress=True):
    """Render `num_pages` pages to `out_root/images/<split>/page_XXXXXX.png` and write their COCO
    annotations (DocLayNet classes, ids 1..11) to `out_root/annotations/<split>.json`.

    `file_name`s are relative to `out_root/images`. The same arguments always give the same json
    bytes and the same pixels. Returns the json path.
    """
    check_fonts()
    width, height = (int(v) for v in page_size)
    image_dir = os.path.join(out_root, "images", split)
    os.makedirs(image_dir, exist_ok=True)
    class_ids = {name: i + 1 for i, name in enumerate(DOCLAYNET_CLASSES)}
    images, annotations = [], []
    for index in tqdm(range(num_pages), desc=f"layout {split}", disable=not progress, unit="page"):
        rng, nrng = page_rngs(seed, f"layout/{split}", index)
        image, boxes = compose_layout_page(rng, nrng, width, height)
        file_name = f"{split}/page_{index:06d}.png"
        image.save(os.path.join(out_root, "images", file_name), format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        image_id = index + 1
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
        for category, box in boxes:
            annotations.append(coco_annotation(len(annotations) + 1, image_id, class_ids[category], box))
    coco = {
        "info": {
            "description": "distildoc_d2 synthetic document layout pages (DocLayNet classes)",
            "generator": "distildoc_d2.data.synthetic",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "split": split,
            "page_size": [width, height],
            "num_pages": num_pages,
        },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": coco_categories(DOCLAYNET_CLASSES),
    }
    json_path = os.path.join(out_root, "annotations", f"{split}.json")
    write_json(json_path, coco)
    return json_path


def to_publaynet(coco_dict):
    """A copy of a DocLayNet-class COCO dict in PubLayNet's 5 classes (ids 1..5 in the order of
    PUBLAYNET_CLASSES); annotations of classes PubLayNet does not have are dropped."""
    names = {c["id"]: c["name"] for c in coco_dict["categories"]}
    new_ids = {name: i + 1 for i, name in enumerate(PUBLAYNET_CLASSES)}
    annotations = []
    for ann in coco_dict["annotations"]:
        target = DOCLAYNET_TO_PUBLAYNET.get(names.get(ann["category_id"]))
        if target is not None:
            annotations.append(dict(ann, category_id=new_ids[target]))
    info = dict(coco_dict.get("info", {}), taxonomy="publaynet")
    return {
        "info": info,
        "licenses": list(coco_dict.get("licenses", [])),
        "images": [dict(img) for img in coco_dict["images"]],
        "annotations": annotations,
        "categories": coco_categories(PUBLAYNET_CLASSES),
    }
