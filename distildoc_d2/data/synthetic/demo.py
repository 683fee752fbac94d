"""The demo data tree: layout pages (train/val), a classification set (train/val/test) and PDFs."""
import json
import os
import shutil

from .classification_dataset import CLASSIFICATION_TYPES, generate_classification_set
from .layout_dataset import GENERATOR_VERSION, generate_layout_split, write_json
from .pdfs import generate_pdfs

# Sizes for a CPU demo (about half a minute to generate on one core), and for tests (`small`).
DEMO_DEFAULTS = {"num_train": 200, "num_val": 50, "num_cls_per_class": 20, "num_pdfs": 3, "pages_per_pdf": 3,
                 "page_size": [612, 792]}
SMALL_DEFAULTS = {"num_train": 12, "num_val": 4, "num_cls_per_class": 2, "num_pdfs": 1, "pages_per_pdf": 2,
                  "page_size": [256, 331]}
SUBTREES = ("layout", "classification", "pdfs")


def demo_settings(seed=0, num_train=None, num_val=None, num_cls_per_class=None, num_pdfs=None, small=False):
    """The complete settings of a demo tree (defaults filled in), as stored in its manifest."""
    defaults = SMALL_DEFAULTS if small else DEMO_DEFAULTS
    given = {"num_train": num_train, "num_val": num_val, "num_cls_per_class": num_cls_per_class,
             "num_pdfs": num_pdfs}
    settings = dict(defaults)
    settings.update({k: int(v) for k, v in given.items() if v is not None})
    settings.update(seed=int(seed), small=bool(small), generator_version=GENERATOR_VERSION)
    settings["num_cls_eval_per_class"] = max(1, settings["num_cls_per_class"] // 4)
    return settings


def demo_paths(root, settings):
    """Paths of everything a demo tree with `settings` contains."""
    layout = os.path.join(root, "layout")
    classification = os.path.join(root, "classification")
    pdf_dir = os.path.join(root, "pdfs")
    pdfs = [os.path.join(pdf_dir, f"doc_{i:03d}.pdf") for i in range(settings["num_pdfs"])]
    return {
        "root": root,
        "manifest": os.path.join(root, "manifest.json"),
        "layout_root": layout,
        "layout_images": os.path.join(layout, "images"),
        "layout_train_json": os.path.join(layout, "annotations", "train.json"),
        "layout_val_json": os.path.join(layout, "annotations", "val.json"),
        "classification_root": classification,
        "classification_classes": os.path.join(classification, "classes.txt"),
        "classification_train": os.path.join(classification, "labels", "train.txt"),
        "classification_val": os.path.join(classification, "labels", "val.txt"),
        "classification_test": os.path.join(classification, "labels", "test.txt"),
        "pdf_dir": pdf_dir,
        "pdfs": pdfs,
        "pdf_jsons": [p[:-4] + ".json" for p in pdfs],
    }


def _complete(paths, settings):
    try:
        with open(paths["manifest"], encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return False
    keys = ("layout_train_json", "layout_val_json", "classification_classes", "classification_train",
            "classification_val", "classification_test")
    files = [paths[k] for k in keys] + paths["pdfs"] + paths["pdf_jsons"]
    return manifest.get("settings") == settings and all(os.path.isfile(p) for p in files)


def generate_demo_data(root, seed=0, num_train=None, num_val=None, num_cls_per_class=None, num_pdfs=None,
                       small=False, progress=True):
    """Write the demo tree under `root` and return a dict of its paths (see `demo_paths`), with
    `"generated"`: False when the tree was already complete for the same arguments.

    - `root/layout/`: `images/{train,val}/page_XXXXXX.png` and `annotations/{train,val}.json`
      (COCO, DocLayNet classes), `num_train` and `num_val` pages;
    - `root/classification/`: `num_cls_per_class` train pages per document type and a quarter
      of that (at least 1) for val and for test, with RVL-CDIP-style label files;
    - `root/pdfs/`: `num_pdfs` multi-page PDFs with their ground truth.

    Defaults: 200/50 layout pages of 612x792, 20 pages per type, 3 PDFs of 3 pages; `small=True`
    (tests): 12/4 pages of 256x331, 2 per type, one PDF of 2 pages. A complete tree whose
    `manifest.json` holds the same settings is kept as it is; otherwise the three sub-trees are
    deleted and written anew, and the manifest is written last.
    """
    settings = demo_settings(seed, num_train, num_val, num_cls_per_class, num_pdfs, small)
    paths = demo_paths(root, settings)
    if _complete(paths, settings):
        return dict(paths, generated=False)
    if os.path.exists(paths["manifest"]):
        os.remove(paths["manifest"])
    for sub in SUBTREES:
        shutil.rmtree(os.path.join(root, sub), ignore_errors=True)
    size = tuple(settings["page_size"])
    for split, count in (("train", settings["num_train"]), ("val", settings["num_val"])):
        generate_layout_split(paths["layout_root"], split, count, seed, page_size=size, progress=progress)
    for split, count in (("train", settings["num_cls_per_class"]), ("val", settings["num_cls_eval_per_class"]),
                         ("test", settings["num_cls_eval_per_class"])):
        generate_classification_set(paths["classification_root"], count, seed, split, image_size=size,
                                    progress=progress)
    generate_pdfs(paths["pdf_dir"], settings["num_pdfs"], settings["pages_per_pdf"], seed, page_size=size,
                  progress=progress)
    write_json(paths["manifest"], {"settings": settings, "classification_types": list(CLASSIFICATION_TYPES)})
    return dict(paths, generated=True)


def demo_page_count(settings):
    """Number of pages a demo tree with `settings` holds (layout, classification and PDF pages)."""
    cls = len(CLASSIFICATION_TYPES) * (settings["num_cls_per_class"] + 2 * settings["num_cls_eval_per_class"])
    return settings["num_train"] + settings["num_val"] + cls + settings["num_pdfs"] * settings["pages_per_pdf"]
