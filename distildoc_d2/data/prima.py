"""Convert PRImA Layout Analysis ground truth (PAGE-XML) into a COCO json with 6 classes."""
import json
import os
import random
import xml.etree.ElementTree as ET

from .categories import PRIMA_CLASSES
from ..errors import DatasetError

# PAGE region element -> PRImA class; every other region type becomes OtherRegion.
_REGION_CLASS = {
    "TextRegion": "TextRegion",
    "ImageRegion": "ImageRegion",
    "TableRegion": "TableRegion",
    "MathsRegion": "MathsRegion",
    "SeparatorRegion": "SeparatorRegion",
}
_OTHER_REGIONS = {
    "GraphicRegion", "ChartRegion", "LineDrawingRegion", "NoiseRegion", "FrameRegion",
    "AdvertRegion", "MusicRegion", "ChemRegion", "UnknownRegion", "CustomRegion",
}


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _polygon(coords, xml_file):
    """Points of a PAGE <Coords>: the `points="x,y x,y"` attribute (2013+) or <Point> children (2010)."""
    if coords.get("points"):
        try:
            pts = [tuple(float(v) for v in pair.split(",")) for pair in coords.get("points").split()]
        except ValueError:
            raise DatasetError(f"{xml_file}: malformed Coords points {coords.get('points')!r}") from None
    else:
        pts = [(float(p.get("x")), float(p.get("y"))) for p in coords if _local(p.tag) == "Point"]
    return pts


def parse_page_xml(xml_file):
    """Return (image file name, width, height, [(class name, polygon points)]) of one PAGE-XML file."""
    try:
        root = ET.parse(xml_file).getroot()
    except (ET.ParseError, OSError) as err:
        raise DatasetError(f"PAGE-XML file {xml_file} cannot be parsed: {err}") from None
    page = next((el for el in root.iter() if _local(el.tag) == "Page"), None)
    if page is None or not page.get("imageFilename"):
        raise DatasetError(f"PAGE-XML file {xml_file} has no <Page imageFilename=...> element")
    regions = []
    for el in page.iter():
        name = _local(el.tag)
        if name not in _REGION_CLASS and name not in _OTHER_REGIONS:
            continue
        coords = next((c for c in el if _local(c.tag) == "Coords"), None)
        if coords is None:
            continue
        pts = _polygon(coords, xml_file)
        if len(pts) >= 3:
            regions.append((_REGION_CLASS.get(name, "OtherRegion"), pts))
    return page.get("imageFilename"), int(page.get("imageWidth")), int(page.get("imageHeight")), regions


def _annotation(ann_id, image_id, class_name, pts, width, height):
    pts = [(min(max(x, 0.0), width), min(max(y, 0.0), height)) for x, y in pts]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": PRIMA_CLASSES.index(class_name) + 1,
        "bbox": box,
        "area": box[2] * box[3],
        "segmentation": [[v for p in pts for v in p]],
        "iscrowd": 0,
    }


def convert_prima(xml_dir, out_dir, val_fraction=0.2, seed=0):
    """Convert every PAGE-XML file in `xml_dir` into `out_dir/annotations/{train,val}.json`
    (a seeded random split of the pages); returns the two json paths."""
    if not os.path.isdir(xml_dir):
        raise DatasetError(f"PRImA XML folder {xml_dir} does not exist")
    xml_files = sorted(f for f in os.listdir(xml_dir) if f.lower().endswith(".xml"))
    if not xml_files:
        raise DatasetError(f"PRImA XML folder {xml_dir} contains no .xml files")
    pages = [parse_page_xml(os.path.join(xml_dir, f)) for f in xml_files]
    order = list(range(len(pages)))
    random.Random(seed).shuffle(order)
    num_val = int(round(len(pages) * val_fraction))
    splits = {"val": sorted(order[:num_val]), "train": sorted(order[num_val:])}
    categories = [{"id": i + 1, "name": n, "supercategory": "layout"} for i, n in enumerate(PRIMA_CLASSES)]
    os.makedirs(os.path.join(out_dir, "annotations"), exist_ok=True)
    paths = {}
    for split, indices in splits.items():
        images, annotations = [], []
        for image_id, index in enumerate(indices, start=1):
            file_name, width, height, regions = pages[index]
            images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
            for class_name, pts in regions:
                annotations.append(_annotation(len(annotations) + 1, image_id, class_name, pts, width, height))
        paths[split] = os.path.join(out_dir, "annotations", f"{split}.json")
        with open(paths[split], "w") as f:
            json.dump({"images": images, "annotations": annotations, "categories": categories}, f)
    return paths["train"], paths["val"]
