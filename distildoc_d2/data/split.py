"""Split a labelled COCO data set into the few pages a user has labelled and the many they have
not: the scenario in which distillation from a teacher on unlabelled pages pays."""
import json
import os
import random

from .coco_layout import read_json
from ..errors import DatasetError


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def split_labelled(json_file, num_labelled, output_dir, seed=0):
    """Write OUTPUT/labelled.json (`num_labelled` pages drawn with `seed`, with their labels),
    OUTPUT/unlabelled.json (the other pages, labels withheld) and OUTPUT/unlabelled_truth.json
    (the withheld labels, to score pseudo-labels or train an oracle). Returns the three paths."""
    data = read_json(json_file)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not isinstance(data.get("annotations"), list):
        raise DatasetError(f"{json_file}: expected a COCO json with images and annotations")
    if not 0 < num_labelled < len(images):
        raise DatasetError(f"{json_file} has {len(images)} pages; the labelled part must be between 1 and "
                           f"{len(images) - 1} pages, got {num_labelled}")
    ids = sorted(im["id"] for im in images)
    labelled = set(random.Random(seed).sample(ids, num_labelled))
    common = {k: v for k, v in data.items() if k not in ("images", "annotations")}

    def part(keep, with_labels):
        return dict(common, images=[im for im in images if (im["id"] in labelled) == keep],
                    annotations=[a for a in data["annotations"] if (a["image_id"] in labelled) == keep]
                    if with_labels else [])

    os.makedirs(output_dir, exist_ok=True)
    paths = [os.path.join(output_dir, name) for name in ("labelled.json", "unlabelled.json", "unlabelled_truth.json")]
    for path, content in zip(paths, (part(True, True), part(False, False), part(False, True))):
        _write(path, content)
    return paths
