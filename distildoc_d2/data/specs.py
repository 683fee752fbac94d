"""Data sets named in a config by what they are, not by a registered name.

`DATASETS.TRAIN` and `DATASETS.TEST` accept, besides registered names:

- `coco:PATH.json` or `coco:PATH.json:IMAGE_ROOT`: a COCO json (image paths relative to
  IMAGE_ROOT, default: the json's folder). Its categories are matched by name to the run's
  classes. A json written by tools/pseudo_label.py is a pseudo-labelled set: in training, its
  pages whose teacher found nothing train by feature KD alone (dropped without a live teacher);
  as a test set, they are pages with nothing to find.
- `pages:FOLDER_OR_GLOB[,FOLDER_OR_GLOB...]`: unlabelled page images (PNG, JPEG, TIFF...; PDFs
  are rendered once at DATASETS.PDF_DPI into a cache folder). They carry no labels, so they can
  only be training pages of a DistillationRCNN, which learns on them from its live teacher.

Paths are relative to the working directory. The spec string itself becomes the data set's
name in Detectron2's catalogs.
"""
import hashlib
import os

from detectron2.data import DatasetCatalog, MetadataCatalog
from PIL import Image

from ..errors import ConfigError, DatasetError
from .coco_layout import load_layout_coco, read_json

COCO_PREFIX = "coco:"
PAGES_PREFIX = "pages:"


def is_dataset_spec(name):
    """Whether a DATASETS entry is a `coco:` or `pages:` spec rather than a registered name."""
    return name.startswith((COCO_PREFIX, PAGES_PREFIX))


def parse_coco_spec(name):
    """(json file, image root) of a `coco:PATH.json[:IMAGE_ROOT]` spec."""
    body = name[len(COCO_PREFIX):]
    json_file, _, image_root = body.partition(":")
    if not json_file.endswith(".json"):
        raise ConfigError(f"data set '{name}': expected coco:PATH.json or coco:PATH.json:IMAGE_ROOT")
    return json_file, image_root or os.path.dirname(json_file)


def json_category_names(json_file):
    """The category names of a COCO json, in the order of their ids."""
    data = read_json(json_file)
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, list) or not all(isinstance(c, dict) and "id" in c and "name" in c
                                                   for c in categories):
        raise DatasetError(f"{json_file}: expected a COCO json with a list of categories (id, name)")
    return [c["name"] for c in sorted(categories, key=lambda c: c["id"])]


def is_pseudo_labelled(json_file):
    """Whether a COCO json was written by tools/pseudo_label.py (its info names the teacher)."""
    data = read_json(json_file)
    info = data.get("info") if isinstance(data, dict) else None
    return isinstance(info, dict) and "pseudo_labels" in info


def _register_coco(name, class_names):
    json_file, image_root = parse_coco_spec(name)
    if not os.path.isfile(json_file):
        raise ConfigError(f"data set '{name}': annotation file {json_file} does not exist")
    if not os.path.isdir(image_root):
        raise ConfigError(f"data set '{name}': image folder {image_root} does not exist")
    pseudo = is_pseudo_labelled(json_file)

    def load():
        return load_layout_coco(json_file, image_root, class_names, name)

    DatasetCatalog.register(name, load)
    MetadataCatalog.get(name).set(json_file=json_file, image_root=image_root, thing_classes=list(class_names),
                                  evaluator_type="coco", pseudo_labelled=pseudo)


def _render_pdf_pages(pdf, dpi, cache_root):
    """PNG files of every page of `pdf` at `dpi`, rendered once into a cache folder."""
    from ..inference.pdf import page_sizes, render_page

    stat = os.stat(pdf)
    key = hashlib.sha1(f"{os.path.abspath(pdf)}:{stat.st_size}:{stat.st_mtime_ns}:{dpi}".encode()).hexdigest()[:16]
    folder = os.path.join(cache_root, key)
    count = len(page_sizes(pdf))
    files = [os.path.join(folder, f"page_{number:04d}.png") for number in range(1, count + 1)]
    if all(os.path.isfile(f) for f in files):
        return files
    os.makedirs(folder, exist_ok=True)
    for number, path in enumerate(files, start=1):
        if not os.path.isfile(path):
            tmp = path + ".tmp.png"
            Image.fromarray(render_page(pdf, number, dpi)).save(tmp)
            os.replace(tmp, path)
    return files


def page_files(patterns, dpi, cache_root):
    """The image files a `pages:` spec names (PDF pages rendered into `cache_root`)."""
    from ..inference.inputs import InputError, expand_inputs, is_pdf

    files, missing = expand_inputs(patterns)
    if missing:
        raise ConfigError("; ".join(f"pages '{arg}': {why}" for arg, why in missing))
    images = []
    for path in files:
        if is_pdf(path):
            try:
                images += _render_pdf_pages(path, dpi, cache_root)
            except InputError as err:
                raise DatasetError(f"{path}: {err}") from None
        else:
            images.append(path)
    return images


def _register_pages(name, class_names, dpi, cache_root):
    patterns = [p for p in name[len(PAGES_PREFIX):].split(",") if p]
    if not patterns:
        raise ConfigError(f"data set '{name}': expected pages:FOLDER_OR_GLOB[,FOLDER_OR_GLOB...]")

    def load():
        records = []
        for image_id, path in enumerate(page_files(patterns, dpi, cache_root), start=1):
            try:
                with Image.open(path) as image:
                    width, height = image.size
            except OSError as err:
                raise DatasetError(f"image {path} cannot be read as an image: {err}") from None
            records.append({"file_name": path, "height": height, "width": width, "image_id": image_id})
        if not records:
            raise DatasetError(f"data set '{name}' holds no pages")
        return records

    DatasetCatalog.register(name, load)
    MetadataCatalog.get(name).set(thing_classes=list(class_names), unlabelled=True)


def reference_classes(cfg):
    """The class names of a run: those of its first registered (named) data set, else the
    categories of its first `coco:` json."""
    names = list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST)
    for name in names:
        if not is_dataset_spec(name) and name in DatasetCatalog.keys():
            classes = MetadataCatalog.get(name).get("thing_classes", None)
            if classes:
                return list(classes)
    for name in names:
        if name.startswith(COCO_PREFIX):
            json_file, _ = parse_coco_spec(name)
            if os.path.isfile(json_file):
                return json_category_names(json_file)
    return None


def register_coco_for_run(name, cfg):
    """Register the `coco:` set `name`, unless it is registered already, with the classes of the
    run `cfg` (so that a tool evaluating the run outside training reads its pages)."""
    if name.startswith(COCO_PREFIX) and name not in DatasetCatalog.keys():
        _register_coco(name, reference_classes(cfg) or json_category_names(parse_coco_spec(name)[0]))


def register_dataset_specs(cfg):
    """Register every `coco:` / `pages:` entry of DATASETS.TRAIN and DATASETS.TEST (again if
    registered before: the run's classes may differ). `pages:` sets may not be test sets."""
    from .catalog import datasets_root

    specs = [n for n in list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST) if is_dataset_spec(n)]
    if not specs:
        return
    classes = reference_classes(cfg)
    if classes is None:
        num = cfg.MODEL.ROI_HEADS.NUM_CLASSES
        classes = [f"class_{i}" for i in range(num)]
    for name in cfg.DATASETS.TEST:
        if name.startswith(PAGES_PREFIX):
            raise ConfigError(f"DATASETS.TEST: '{name}' holds unlabelled pages, which cannot be evaluated; "
                              "name a labelled set (a registered name or coco:PATH.json)")
    for name in dict.fromkeys(specs):
        if name in DatasetCatalog.keys():
            DatasetCatalog.remove(name)
            MetadataCatalog.remove(name)
        if name.startswith(COCO_PREFIX):
            _register_coco(name, classes)
        else:
            _register_pages(name, classes, cfg.DATASETS.PDF_DPI, os.path.join(datasets_root(), ".page_cache"))
