"""Where pseudo-labels come from. A teacher turns a Page into regions
[{"category": teacher class, "bbox": [x0, y0, x1, y1] in page pixels, "score": float or None}]:

- `run:FOLDER` (or a run folder / config file): the trained model of a run, eager (a
  distillation run's student, or a plain model);
- `export:FOLDER[:BACKEND]`: an export of tools/export_model.py with its eager, torchscript or
  onnx backend (default: onnx, else what the export holds);
- `results:FILE.json`: a COCO detection-results file made by any detector (a black-box teacher),
  matched to the pages by image id (pages from a COCO json) or by a `file_name` field; its
  category ids are named by the pages' COCO json or by `categories` (a COCO json);
- `pdf:ANALYSER`: a born-digital PDF layout analyser (`pdf:pymupdf`; see born_digital.py).
Other teachers implement the same members: `class_names`, `description` and `__call__(page)`.
"""
import os
from collections import defaultdict

from ..data.coco_layout import read_json
from ..errors import ConfigError, DatasetError
from ..export.metadata import METADATA_FILE, load_metadata

EXPORT_BACKENDS = (("onnx", "onnx"), ("torchscript", "torchscript"), ("detectron2", "eager"))


class PredictorTeacher:
    """A LayoutPredictor (run or export) used as a teacher; every box is returned with its score,
    thresholds are applied later."""

    def __init__(self, predictor, description):
        self.predictor = predictor
        self.class_names = list(predictor.class_names)
        self.description = description

    def __call__(self, page):
        result = self.predictor.predict_image(page.load())
        return [{"category": r["category"], "bbox": list(r["bbox"]), "score": float(r["score"])}
                for r in result["regions"]]


class ResultsTeacher:
    """A COCO detection-results file as a teacher (a black box: DocLayout-YOLO, PP-DocLayout, an API)."""

    def __init__(self, path, categories):
        data = read_json(path, "results file")
        if not isinstance(data, list):
            raise DatasetError(f"results file {path}: expected a COCO results list "
                               "[{image_id, category_id, bbox, score}, ...]")
        self.path = path
        self.names = dict(categories)
        self.class_names = [self.names[k] for k in sorted(self.names)]
        self.description = {"kind": "results", "file": path}
        self.by_id, self.by_file = defaultdict(list), defaultdict(list)
        for i, entry in enumerate(data):
            if not isinstance(entry, dict) or "bbox" not in entry or "category_id" not in entry:
                raise DatasetError(f"results file {path}: entry {i} lacks bbox or category_id")
            if entry["category_id"] not in self.names:
                raise DatasetError(f"results file {path}: entry {i} has category_id {entry['category_id']}, "
                                   f"which is not among the categories {sorted(self.names)}")
            if "file_name" in entry:
                self.by_file[os.path.basename(entry["file_name"])].append(entry)
            elif "image_id" in entry:
                self.by_id[entry["image_id"]].append(entry)
            else:
                raise DatasetError(f"results file {path}: entry {i} has neither image_id nor file_name")

    def check_pages(self, pages):
        """DatasetError when results name images that none of the pages is."""
        ids = {p.image_id for p in pages if p.image_id is not None}
        files = {os.path.basename(p.file_name) for p in pages if p.file_name}
        stray_ids = sorted(set(self.by_id) - ids)
        stray_files = sorted(set(self.by_file) - files)
        if stray_ids or stray_files:
            shown = [f"image_id {i}" for i in stray_ids[:5]] + [f"file_name '{f}'" for f in stray_files[:5]]
            raise DatasetError(f"results file {self.path}: {len(stray_ids) + len(stray_files)} result image(s) match "
                               f"none of the pages ({', '.join(shown)}); give the pages the results were made on")

    def __call__(self, page):
        entries = list(self.by_id.get(page.image_id, ())) if page.image_id is not None else []
        if page.file_name:
            entries += self.by_file.get(os.path.basename(page.file_name), [])
        regions = []
        for e in entries:
            x, y, w, h = e["bbox"]
            regions.append({"category": self.names[e["category_id"]], "bbox": [x, y, x + w, y + h],
                            "score": float(e["score"]) if e.get("score") is not None else None})
        return regions


def _categories_of(json_file):
    data = read_json(json_file)
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, list) or not categories:
        raise DatasetError(f"{json_file}: expected a COCO json with a list of categories (id, name)")
    return {c["id"]: c["name"] for c in categories}


def build_teacher(spec, device="cpu", categories=None, pages_json=None):
    """The teacher a `--teacher` argument names (see the module docstring). `categories` (a COCO
    json) names a results file's category ids; without it the pages' COCO json does."""
    from ..inference import LayoutPredictor

    kind, _, rest = spec.partition(":")
    if kind == "pdf":
        from .born_digital import build_born_digital_teacher
        return build_born_digital_teacher(rest)
    if kind == "results":
        source = categories or pages_json
        if not source:
            raise ConfigError(f"--teacher {spec}: a results file needs its category names: give --categories "
                              "COCO.json, or pages as coco:PATH.json")
        return ResultsTeacher(rest, _categories_of(source))
    if kind == "export":
        folder, _, backend = rest.partition(":")
        if not os.path.isfile(os.path.join(folder, METADATA_FILE)):
            raise ConfigError(f"--teacher {spec}: {folder} is not an export folder (no {METADATA_FILE})")
        if not backend:
            files = load_metadata(folder)["files"]
            backend = next(name for fmt, name in EXPORT_BACKENDS if fmt in files)
        predictor = LayoutPredictor.from_export(folder, backend, device, score_threshold=0.0)
        return PredictorTeacher(predictor, {"kind": "export", "folder": folder, "backend": backend})
    path = rest if kind == "run" else spec
    if not os.path.exists(path):
        raise ConfigError(f"--teacher {spec}: no such run folder, config file or export folder "
                          "(use run:FOLDER, export:FOLDER[:BACKEND], results:FILE.json or pdf:pymupdf)")
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, METADATA_FILE)):
        return build_teacher(f"export:{path}", device, categories, pages_json)
    predictor = LayoutPredictor.from_run(path, device=device, score_threshold=0.0)
    return PredictorTeacher(predictor, {"kind": "run", "path": path})
