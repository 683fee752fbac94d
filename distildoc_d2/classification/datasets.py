"""Readers of classification sets into records `{"file_name": path, "label": class index}`:
RVL-CDIP-style label files, folder-per-class trees (ImageFolder, Tobacco-3482, RVL-CDIP-N),
balanced N-per-class subsets and seeded splits."""
import os
import random
from collections import defaultdict

from ..errors import DatasetError
from .label_maps import map_class_name

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pdf")


def _image_root_for(label_file, root, first_path):
    """RVL-CDIP's own label files name images relative to its `images/` folder, re-packaged ones
    relative to the data set folder: use whichever holds the first listed image."""
    candidates = [root, os.path.join(root, "images")]
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, first_path)):
            return candidate
    raise DatasetError(
        f"label file {label_file}: its first image {first_path} is neither under {candidates[0]} "
        f"nor under {candidates[1]}"
    )


def read_label_file(label_file, root, num_classes):
    """Records of an RVL-CDIP-style label file: lines `relative/path label_id`, paths relative to
    `root` (or `root/images`), ids in [0, num_classes). Malformed lines raise a DatasetError."""
    if not os.path.isfile(label_file):
        raise DatasetError(
            f"label file {label_file} does not exist (the data root is $DISTILDOC_DATASETS, "
            "default ./datasets; see datasets/README.md)"
        )
    entries = []
    with open(label_file, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            fields = text.rsplit(maxsplit=1)
            if len(fields) != 2:
                raise DatasetError(f"{label_file}:{number}: expected '<image path> <label id>', got {text!r}")
            path, label = fields
            try:
                label_id = int(label)
            except ValueError:
                raise DatasetError(f"{label_file}:{number}: label {label!r} is not an integer") from None
            if not 0 <= label_id < num_classes:
                raise DatasetError(
                    f"{label_file}:{number}: label {label_id} is outside the {num_classes} classes "
                    f"(0..{num_classes - 1})"
                )
            entries.append((path, label_id))
    if not entries:
        raise DatasetError(f"label file {label_file} lists no image")
    image_root = _image_root_for(label_file, root, entries[0][0])
    return [{"file_name": os.path.join(image_root, path), "label": label} for path, label in entries]


def read_class_names(path):
    """Class names of a `classes.txt` file, one per line."""
    if not os.path.isfile(path):
        raise DatasetError(f"class list {path} does not exist")
    with open(path, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise DatasetError(f"class list {path} is empty")
    return names


def folder_class_names(root):
    """Sorted names of the class folders under `root` (ImageFolder convention)."""
    if not os.path.isdir(root):
        raise DatasetError(
            f"data set folder {root} does not exist (the data root is $DISTILDOC_DATASETS, default ./datasets)"
        )
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if not names:
        raise DatasetError(f"data set folder {root} has no class sub-folder")
    return names


def _images_under(folder):
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        found.extend(os.path.join(dirpath, n) for n in sorted(filenames) if n.lower().endswith(IMAGE_EXTENSIONS))
    return found


def read_class_folders(root, class_names=None, name_map=None):
    """Records of a folder-per-class tree `root/<class>/**/<image>`. Without `class_names` the
    sorted folder names are the classes; with them, each folder name is mapped to one of them by
    name (see label_maps.map_class_name; a folder mapped to None is left out)."""
    folders = folder_class_names(root)
    class_names = list(class_names or folders)
    records, unknown = [], []
    for folder in folders:
        try:
            label = map_class_name(folder, class_names, name_map)
        except KeyError:
            unknown.append(folder)
            continue
        if label is not None:
            records.extend({"file_name": path, "label": label} for path in _images_under(os.path.join(root, folder)))
    if unknown:
        raise DatasetError(
            f"data set folder {root}: class folder(s) {', '.join(unknown)} match none of the classes "
            f"{', '.join(class_names)}; give a name mapping for them"
        )
    if not records:
        raise DatasetError(f"data set folder {root} holds no image ({', '.join(IMAGE_EXTENSIONS)})")
    return records


def balanced_subset(records, per_class, seed=42):
    """At most `per_class` records of each label, drawn with a seeded shuffle; the kept records
    stay in their original order."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    taken, kept = defaultdict(int), []
    for index in order:
        label = records[index]["label"]
        if taken[label] < per_class:
            taken[label] += 1
            kept.append(index)
    return [records[i] for i in sorted(kept)]


def seeded_split(records, fractions, part, seed=42):
    """Part `part` of a seeded random split of `records` into len(fractions) parts of the given
    fractions (the last part takes the rest); kept records stay in their original order."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    bounds, start = [], 0
    for fraction in fractions[:-1]:
        end = start + round(fraction * len(records))
        bounds.append((start, end))
        start = end
    bounds.append((start, len(records)))
    begin, end = bounds[part]
    return [records[i] for i in sorted(order[begin:end])]
