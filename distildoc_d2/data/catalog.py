"""Register the built-in and the public layout data sets with Detectron2 by name.

Data sets live under one root: the environment variable DISTILDOC_DATASETS, default
`./datasets` (see datasets/README.md for the expected folder layout of each one).
Registration is lazy: files are read, and checked, only when a data set is used.
"""
import os

from detectron2.data import DatasetCatalog, MetadataCatalog

from .categories import DOCLAYNET_CLASSES, PRIMA_CLASSES, PUBLAYNET_CLASSES
from .coco_layout import load_layout_coco


def datasets_root():
    """The folder holding all data sets: $DISTILDOC_DATASETS, or ./datasets."""
    return os.environ.get("DISTILDOC_DATASETS", "datasets")


def register_layout_dataset(name, json_file, image_root, class_names, evaluator_type="coco"):
    """Register a COCO-format layout data set whose categories are `class_names` (matched by name)."""
    class_names = tuple(class_names)
    DatasetCatalog.register(name, lambda: load_layout_coco(json_file, image_root, class_names, name))
    MetadataCatalog.get(name).set(
        json_file=json_file,
        image_root=image_root,
        thing_classes=list(class_names),
        evaluator_type=evaluator_type,
    )


# name -> (json file, image folder, classes), paths relative to the data set root.
_BUILTIN_LAYOUT_SETS = {
    "distildoc_demo_train": ("demo/layout/annotations/train.json", "demo/layout/images", DOCLAYNET_CLASSES),
    "distildoc_demo_val": ("demo/layout/annotations/val.json", "demo/layout/images", DOCLAYNET_CLASSES),
    "doclaynet_train": ("DocLayNet/COCO/train.json", "DocLayNet/PNG", DOCLAYNET_CLASSES),
    "doclaynet_val": ("DocLayNet/COCO/val.json", "DocLayNet/PNG", DOCLAYNET_CLASSES),
    "doclaynet_test": ("DocLayNet/COCO/test.json", "DocLayNet/PNG", DOCLAYNET_CLASSES),
    "publaynet_train": ("publaynet/train.json", "publaynet/train", PUBLAYNET_CLASSES),
    "publaynet_val": ("publaynet/val.json", "publaynet/val", PUBLAYNET_CLASSES),
    "prima_train": ("prima/annotations/train.json", "prima/Images", PRIMA_CLASSES),
    "prima_val": ("prima/annotations/val.json", "prima/Images", PRIMA_CLASSES),
}


def register_builtin_datasets(root=None):
    """Register every built-in layout data set under `root` (default: datasets_root())."""
    root = root or datasets_root()
    for name, (json_file, image_root, classes) in _BUILTIN_LAYOUT_SETS.items():
        if name in DatasetCatalog.keys():
            DatasetCatalog.remove(name)
            MetadataCatalog.remove(name)
        register_layout_dataset(name, os.path.join(root, json_file), os.path.join(root, image_root), classes)
