"""Classification data sets by name, in the style of Detectron2's DatasetCatalog.

Built-in sets live under the data root ($DISTILDOC_DATASETS, default ./datasets); registration
is lazy: files are read, and checked, only when a set is used. Each set has a fixed class list
(its label space): a set whose folders use other names is registered with a name mapping into
the label space of the models evaluated on it (RVL-CDIP-N -> RVL-CDIP). Any ImageFolder tree
can be named in a config as `imagefolder:<path>` (classes: its sorted sub-folder names).
"""
import difflib
import os

from ..data.catalog import datasets_root
from ..data.categories import RVL_CDIP_CLASSES, TOBACCO3482_CLASSES
from ..errors import ConfigError
from .datasets import balanced_subset, folder_class_names, read_class_folders, read_label_file, seeded_split
from .label_maps import RVLCDIPN_TO_RVLCDIP, TOBACCO3482_TO_RVLCDIP

_LOADERS = {}
_METADATA = {}

# Students of the paper train on RVL-CDIP-NK1000: 1000 training images per class, seed 42;
# its validation subset takes a quarter of that per class.
NK_PER_CLASS = 1000
NK_SEED = 42
# A data set name of this form, followed by a folder path, is an ImageFolder tree registered on first use.
IMAGE_FOLDER_PREFIX = "imagefolder:"
# Tobacco-3482 has no official split: 800 / 200 / 2482 images drawn with seed 42 (as in the literature).
TOBACCO3482_SPLIT = (800 / 3482, 200 / 3482, 2482 / 3482)


def register_classification_dataset(name, loader, class_names, **metadata):
    """Register `loader()` -> list of {"file_name", "label"} under `name`, with its class names;
    extra metadata (e.g. `source`: where the files are) is kept beside them."""
    _LOADERS[name] = loader
    _METADATA[name] = dict(metadata, class_names=list(class_names))


def classification_dataset_names():
    """Names of all registered classification sets."""
    return sorted(_LOADERS)


def _check_registered(name):
    if name not in _LOADERS and name.startswith(IMAGE_FOLDER_PREFIX):
        register_image_folder(name, name[len(IMAGE_FOLDER_PREFIX):])
    if name not in _LOADERS:
        close = difflib.get_close_matches(name, list(_LOADERS), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"classification data set '{name}' is not registered.{hint}")


def get_classification_dataset(name):
    """The records of the registered set `name` (read now)."""
    _check_registered(name)
    return _LOADERS[name]()


def classification_metadata(name):
    """The metadata of the registered set `name`: `class_names` and what it was registered with."""
    _check_registered(name)
    return dict(_METADATA[name])


def register_label_file_dataset(name, label_file, root, class_names):
    """A set in RVL-CDIP's label-file format (lines `relative/path label_id`)."""
    register_classification_dataset(
        name, lambda: read_label_file(label_file, root, len(class_names)), class_names, source=label_file
    )


def register_folder_dataset(name, root, class_names, name_map=None, split=None, seed=NK_SEED):
    """A folder-per-class set; folder names are mapped to `class_names` through `name_map`.
    `split` = (fractions, part) keeps one part of a seeded random split."""

    def load():
        records = read_class_folders(root, class_names, name_map)
        return records if split is None else seeded_split(records, split[0], split[1], seed)

    register_classification_dataset(name, load, class_names, source=root)


def register_image_folder(name, root):
    """Any ImageFolder tree `root/<class>/<image>`: the sorted folder names are the classes.
    A data set name `imagefolder:<path>` in a config registers itself this way."""
    register_folder_dataset(name, root, folder_class_names(root))


def register_balanced_subset(name, source_name, per_class, seed=NK_SEED):
    """`per_class` images of each class of the registered set `source_name` (seeded draw)."""
    meta = classification_metadata(source_name)
    register_classification_dataset(
        name,
        lambda: balanced_subset(get_classification_dataset(source_name), per_class, seed),
        meta["class_names"],
        source=meta.get("source"),
    )


def register_builtin_classification_datasets(root=None):
    """Register every built-in classification set under `root` (default: datasets_root())."""
    root = root or datasets_root()
    demo = os.path.join(root, "demo", "classification")
    rvl = os.path.join(root, "rvl-cdip")
    for split in ("train", "val", "test"):
        register_label_file_dataset(
            f"distildoc_demo_cls_{split}", os.path.join(demo, "labels", f"{split}.txt"), demo, RVL_CDIP_CLASSES
        )
        register_label_file_dataset(
            f"rvlcdip_{split}", os.path.join(rvl, "labels", f"{split}.txt"), rvl, RVL_CDIP_CLASSES
        )
    register_balanced_subset("rvlcdip_nk1000_train", "rvlcdip_train", NK_PER_CLASS)
    register_balanced_subset("rvlcdip_nk1000_val", "rvlcdip_val", NK_PER_CLASS // 4)
    register_folder_dataset("rvlcdipn_test", os.path.join(root, "rvl-cdip-n"), RVL_CDIP_CLASSES, RVLCDIPN_TO_RVLCDIP)
    tobacco = os.path.join(root, "Tobacco3482")
    for part, split in enumerate(("train", "val", "test")):
        register_folder_dataset(f"tobacco3482_{split}", tobacco, TOBACCO3482_CLASSES, split=(TOBACCO3482_SPLIT, part))
    register_folder_dataset("tobacco3482_as_rvlcdip", tobacco, RVL_CDIP_CLASSES, TOBACCO3482_TO_RVLCDIP)
