"""Layout sources: where the layout regions of a page come from.

The protocol a layout model meets is a callable `layout_fn(page_image) -> regions`, where
`page_image` is an H x W x 3 uint8 RGB array and each region is a dict
`{"box": [x0, y0, x1, y1], "label": str, "score": float}` with the box in that image's pixels
(`score` defaults to 1). The page dicts of distildoc_d2.inference are read too: `bbox` is taken as
corners [x0, y0, x1, y1] like `box` (not COCO's [x, y, w, h]) and `category` or `class_name` as the
label. Every source returns a `PageLayout` (regions plus the size of the frame their boxes are
in), which the tagger rescales to the page's OCR frame.

Sources, as written in a spec `[NAME=]KIND[:ARG]`:
- `none`: no layout (no tags);
- `json:DIR`: precomputed layouts, `DIR/<page key>.json` (or, for a PDF page,
  `DIR/<pdf stem>_p<NNN>.json`) holding `{"width", "height", "regions"}` (e.g. tools/predict.py's
  page JSON files), or a bare list of regions, whose frame is then the page image's size;
- `oracle:COCO.json`: ground-truth boxes of a COCO file (e.g. from distildoc_d2.data.synthetic),
  the page key being the stem of an image's `file_name` (`<stem>_page<N>` for several pages of
  one file with a `page` number);
- `predictor:PATH`: an export folder of tools/export_model.py, run by
  `distildoc_d2.inference.LayoutPredictor.from_export` through `predictor_layout_fn`;
- `run:PATH`: a training run folder or config, run eagerly by `LayoutPredictor.from_run`;
- `python:MODULE:FACTORY[:ARG]`: `FACTORY(ARG)` (or `FACTORY()`) returning a layout_fn or an object
  with `predict_image`.
"""
import importlib
import json
import os
import re
from dataclasses import dataclass

from ..errors import ConfigError, DatasetError

LABEL_KEYS = ("label", "category", "class_name")
BOX_KEYS = ("box", "bbox")


@dataclass(frozen=True)
class Region:
    """One layout region: box (x0, y0, x1, y1), class name and detection score."""

    box: tuple
    label: str
    score: float


@dataclass(frozen=True)
class PageLayout:
    """A page's regions and the (width, height) of the frame their boxes are in."""

    regions: tuple
    width: float
    height: float


def to_regions(items, source):
    """Regions from a list of region dicts (`box` or `bbox` corners, `label` (or `category` /
    `class_name`), `score`), or from a page dict holding such a list under `regions`."""
    if isinstance(items, dict) and "regions" in items:
        items = items["regions"]
    if not isinstance(items, (list, tuple)):
        raise DatasetError(f"{source}: expected a list of regions, got {type(items).__name__}")
    regions = []
    for number, item in enumerate(items):
        label = next((item[k] for k in LABEL_KEYS if k in item), None) if isinstance(item, dict) else None
        box = next((item[k] for k in BOX_KEYS if k in item), None) if isinstance(item, dict) else None
        if label is None or box is None or len(box) != 4:
            raise DatasetError(f"{source}: region {number} needs `box` [x0, y0, x1, y1] and `label`, got {item!r}")
        x0, y0, x1, y1 = (float(v) for v in box)
        regions.append(Region((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), str(label),
                              float(item.get("score", 1.0))))
    return tuple(regions)


def predictor_layout_fn(predictor, channels="RGB"):
    """A layout_fn calling `predictor.predict_image(array)` (duck-typed) and converting the page
    dict it returns to the protocol's region dicts; `channels` "BGR" reverses the RGB page image
    first, for predictors that expect BGR."""
    if not callable(getattr(predictor, "predict_image", None)):
        raise ConfigError(f"{type(predictor).__name__} has no predict_image method")
    if channels not in ("RGB", "BGR"):
        raise ConfigError(f"channels must be RGB or BGR, not {channels!r}")

    def layout_fn(page_image):
        array = page_image[:, :, ::-1].copy() if channels == "BGR" else page_image
        regions = to_regions(predictor.predict_image(array), type(predictor).__name__)
        return [{"box": list(r.box), "label": r.label, "score": r.score} for r in regions]

    return layout_fn


class LayoutSource:
    """Base class: `layout(page, store)` gives a PageLayout, or None for no layout."""

    kind = "none"

    def __init__(self, name, spec):
        self.name, self.spec = name, spec

    def check(self, pages):
        """Raise a DatasetError if some page cannot get a layout (checked before a run starts)."""

    @property
    def needs_images(self):
        """Whether layouts are computed from page images."""
        return False

    def layout(self, page, store):
        """The PageLayout of a page (None: no layout)."""
        return None


class FunctionLayout(LayoutSource):
    """Layouts computed by a layout_fn on the page image."""

    kind = "function"

    def __init__(self, name, spec, layout_fn):
        super().__init__(name, spec)
        self.layout_fn = layout_fn

    @property
    def needs_images(self):
        return True

    def layout(self, page, store):
        image = store.image_array(page)
        regions = to_regions(self.layout_fn(image), f"layout source {self.name}")
        return PageLayout(regions, float(image.shape[1]), float(image.shape[0]))


class JsonFolderLayout(LayoutSource):
    """Precomputed layouts, one JSON file per page named `<page key>.json` (a PDF page may also be
    `<pdf stem>_p<NNN>.json`, 1-based, as tools/predict.py names them)."""

    kind = "json"

    def __init__(self, name, spec, folder):
        super().__init__(name, spec)
        if not os.path.isdir(folder):
            raise ConfigError(f"layout source {name}: {folder} is not a folder")
        self.folder = folder

    def _path(self, page):
        names = [f"{page.key}.json"]
        if page.pdf_page is not None:
            names.append(f"{os.path.splitext(os.path.basename(page.image))[0]}_p{page.pdf_page + 1:03d}.json")
        paths = [os.path.join(self.folder, name) for name in names]
        return next((p for p in paths if os.path.isfile(p)), paths[0])

    def check(self, pages):
        missing = [self._path(p) for p in pages if not os.path.isfile(self._path(p))]
        if missing:
            raise DatasetError(f"layout source {self.name}: {len(missing)} page(s) have no layout file "
                               f"(first: {missing[0]})")

    def layout(self, page, store):
        path = self._path(page)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as err:
            raise DatasetError(f"cannot read the layout file {path}: {err}") from err
        regions = to_regions(data, path)
        if isinstance(data, dict) and data.get("width") and data.get("height"):
            return PageLayout(regions, float(data["width"]), float(data["height"]))
        width, height = store.image_size(page)
        return PageLayout(regions, float(width), float(height))


def coco_page_layouts(coco, source):
    """{page key: PageLayout} of a COCO dict (ground-truth boxes, score 1 unless given)."""
    try:
        names = {c["id"]: c["name"] for c in coco["categories"]}
        stems = [os.path.splitext(os.path.basename(img["file_name"]))[0] for img in coco["images"]]
        shared = {s for s in stems if stems.count(s) > 1}
        keys, layouts = {}, {}
        for stem, img in zip(stems, coco["images"]):
            key = f"{stem}_page{img['page']}" if stem in shared and "page" in img else stem
            if key in layouts:
                raise DatasetError(f"{source}: two images have the page key {key!r}")
            keys[img["id"]] = key
            layouts[key] = (img["width"], img["height"], [])
        for ann in coco["annotations"]:
            x, y, w, h = ann["bbox"]
            layouts[keys[ann["image_id"]]][2].append(
                Region((float(x), float(y), float(x + w), float(y + h)), names[ann["category_id"]],
                       float(ann.get("score", 1.0))))
    except (KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"{source}: malformed COCO file ({type(err).__name__}: {err})") from err
    return {key: PageLayout(tuple(regions), float(w), float(h)) for key, (w, h, regions) in layouts.items()}


class CocoLayout(LayoutSource):
    """Ground-truth ("oracle") layouts from a COCO file."""

    kind = "oracle"

    def __init__(self, name, spec, path):
        super().__init__(name, spec)
        try:
            with open(path, encoding="utf-8") as f:
                coco = json.load(f)
        except (OSError, ValueError) as err:
            raise ConfigError(f"layout source {name}: cannot read the COCO file {path}: {err}") from err
        self.path, self.layouts = path, coco_page_layouts(coco, path)

    def check(self, pages):
        missing = [p.key for p in pages if p.key not in self.layouts]
        if missing:
            raise DatasetError(f"layout source {self.name}: {len(missing)} page(s) are not in {self.path} "
                               f"(first: {missing[0]})")

    def layout(self, page, store):
        return self.layouts[page.key]


def _load_factory(arg, name):
    parts = arg.split(":", 2)
    if len(parts) < 2:
        raise ConfigError(f"layout source {name}: expected python:MODULE:FACTORY[:ARG], got python:{arg}")
    try:
        factory = getattr(importlib.import_module(parts[0]), parts[1])
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"layout source {name}: cannot import {parts[0]}.{parts[1]}: {err}") from err
    made = factory(parts[2]) if len(parts) == 3 else factory()
    if callable(getattr(made, "predict_image", None)):
        return predictor_layout_fn(made)
    if not callable(made):
        raise ConfigError(f"layout source {name}: {parts[0]}.{parts[1]} returned neither a layout_fn nor a "
                          "predictor")
    return made


def _load_predictor(kind, path, name, options):
    try:
        from distildoc_d2.inference import LayoutPredictor
    except ImportError as err:
        raise ConfigError(f"layout source {name}: distildoc_d2.inference is not available ({err})") from err
    if not os.path.exists(path):
        raise ConfigError(f"layout source {name}: {path} does not exist")
    if kind == "run":
        predictor = LayoutPredictor.from_run(path, device=options.get("device", "cpu"))
    else:
        predictor = LayoutPredictor.from_export(path, backend=options.get("backend", "onnx"),
                                                device=options.get("device", "cpu"))
    return predictor_layout_fn(predictor)


def parse_layout_spec(text, predictor_options=None):
    """A LayoutSource from a spec `[NAME=]KIND[:ARG]` (see the module docstring); the name
    defaults to `none` or to the stem of ARG's last path part. `predictor_options` ("backend",
    "device") go to the LayoutPredictor of `predictor:` and `run:` sources."""
    name, _, spec = text.partition("=") if "=" in text.split(":", 1)[0] else ("", "", text)
    kind, _, arg = spec.partition(":")
    if kind != "none" and not arg:
        raise ConfigError(f"layout source {text!r}: {kind} needs an argument ({kind}:...)")
    name = name or ("none" if kind == "none" else os.path.splitext(os.path.basename(arg.rstrip("/\\:")))[0])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ConfigError(f"layout source name {name!r} must be letters, digits, '.', '_' or '-' (give NAME=...)")
    if kind == "none":
        return LayoutSource(name, spec)
    if kind == "json":
        return JsonFolderLayout(name, spec, arg)
    if kind in ("oracle", "coco"):
        return CocoLayout(name, spec, arg)
    if kind in ("predictor", "run"):
        return FunctionLayout(name, spec, _load_predictor(kind, arg, name, predictor_options or {}))
    if kind == "python":
        return FunctionLayout(name, spec, _load_factory(arg, name))
    raise ConfigError(f"layout source {text!r}: unknown kind {kind!r} (none, json, oracle, predictor, run, python)")
