"""The side-by-side benchmark of trained layout models (tools/benchmark.py): each model exported
to every backend, sized (parameters, GFLOPs with fixed proposals and detections), scored (bbox mAP
on the same validation pages) and timed end to end from PDF to JSON, with each student's mAP and
speed as a ratio of the teacher's on the same backend."""
import os
import sys
import tempfile
from dataclasses import dataclass, field

from detectron2.data import DatasetCatalog
from tabulate import tabulate
from tqdm import tqdm

from ..data.specs import register_coco_for_run
from ..errors import ConfigError
from ..export.exporter import export_model
from ..export.quantize import add_int8
from ..export.run import load_run, run_config
from ..inference import LayoutPredictor
from ..inference.inputs import parse_page_ranges
from ..inference.render import model_pixels
from .model_size import count_gflops_fixed, count_parameters
from .pipeline_speed import time_pipelines
from .predictor_map import dataset_pages, predictor_bbox_map

BACKENDS = ("eager", "torchscript", "onnx", "onnx-int8")
EXPORT_FORMATS = {"eager": "detectron2", "torchscript": "torchscript", "onnx": "onnx", "onnx-int8": "onnx"}
CHECKED_EXPORTS = {"eager": ("detectron2",), "torchscript": ("torchscript",), "onnx": ("onnx",),
                   "onnx-int8": ("onnx", "onnx_int8")}
US_LETTER_PT = (612.0, 792.0)


@dataclass
class BenchmarkSettings:
    """What a benchmark measures and how: backends, int8 mode, models timed with random weights,
    config overrides, the timed pages, rounds, render prefetch and the FLOP-count sizes (0 or None:
    each model's own)."""
    backends: tuple = BACKENDS
    int8: str = "static"
    random_init: list = field(default_factory=list)
    opts: list = field(default_factory=list)
    pages: str = ""
    rounds: int = 1
    prefetch: int = 2
    flops_size: tuple = None
    proposals: int = 0
    detections: int = 0


def model_label(path):
    """A model's name in the table: its run folder's or config file's base name."""
    return os.path.basename(os.path.normpath(path)).removesuffix(".yaml")


def _predictor(folder, backend):
    if backend == "onnx-int8":
        return LayoutPredictor.from_export(folder, "onnx", precision="int8")
    return LayoutPredictor.from_export(folder, backend)


def _flops_size(settings, metadata):
    if settings.flops_size:
        return tuple(settings.flops_size)
    width, height = model_pixels(US_LETTER_PT, metadata["resize"])
    return height, width


def _prepare(index, path, role, settings, calibration, tmp):
    """Export one model and open its backends: (predictors by backend, row fields shared by its rows)."""
    random_init = path in settings.random_init
    if random_init:
        cfg, weights = run_config(path, settings.opts), None
    else:
        cfg, weights = load_run(path, "", settings.opts)
        if not os.path.isfile(weights):
            raise ConfigError(f"{path}: weights file {weights} does not exist (the benchmark measures trained "
                              "models; --random-init PATH times a randomly initialised one)")
    folder = os.path.join(tmp, f"model-{index}")
    formats = sorted({EXPORT_FORMATS[b] for b in settings.backends if b != "eager"})
    tqdm.write(f"exporting {path}", file=sys.stderr)
    metadata = export_model(cfg, weights, folder, formats, calibration[:1])
    checks = {fmt: report["ok"] for fmt, report in metadata["checks"].items()}
    if "onnx-int8" in settings.backends:
        checks["onnx_int8"] = add_int8(folder, settings.int8, calibration, calibration[:2], progress=False)["ok"]
    predictors = {backend: _predictor(folder, backend) for backend in settings.backends}
    model = (predictors.get("eager") or LayoutPredictor.from_export(folder, "eager")).backend.model
    height, width = _flops_size(settings, metadata)
    shared = {
        "model": model_label(path) + (" (random weights)" if random_init else ""), "path": path, "role": role,
        "weights": weights, "random_init": random_init, "mask_on": metadata["mask_on"],
        "params_m": count_parameters(model) / 1e6,
        "gflops": count_gflops_fixed(model, height, width, settings.proposals, settings.detections),
        "flops_size": [height, width],
        "flops_proposals": settings.proposals or model.proposal_generator.post_nms_topk[False],
        "flops_detections": settings.detections or model.roi_heads.box_predictor.test_topk_per_image,
        "export_checks_ok": checks,
    }
    return predictors, shared


def benchmark(models, pdfs, records, calibration, settings, progress=True):
    """Rows (one per model and backend) with sizes, mAP on `records` and end-to-end speed over
    `pdfs`. `models`: [(path, "teacher" | "student")]; `calibration`: RGB pages for int8
    calibration and the export checks."""
    rows, predictors = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (path, role) in enumerate(models):
            model_predictors, shared = _prepare(index, path, role, settings, calibration, tmp)
            for backend, predictor in model_predictors.items():
                predictors[(index, backend)] = predictor
                rows[(index, backend)] = dict(shared, backend=backend)
        for key, predictor in tqdm(predictors.items(), desc="mAP", unit="model", disable=not progress,
                                   file=sys.stderr):
            if rows[key]["random_init"]:
                rows[key].update(AP=None, AP50=None)
            else:
                rows[key].update(predictor_bbox_map(predictor, records, progress=False))
        ranges = parse_page_ranges(settings.pages)
        with tqdm(total=settings.rounds * len(predictors), desc="pages/s", unit="pass", disable=not progress,
                  file=sys.stderr) as bar:
            speeds = time_pipelines(predictors, pdfs, ranges, rounds=settings.rounds, prefetch=settings.prefetch,
                                    warmup_page=calibration[0], on_pass=lambda: bar.update(1))
        for key, speed in speeds.items():
            rows[key].update(speed)
    add_ratios(rows.values())
    return list(rows.values())


def add_ratios(rows):
    """Each row's pages/s and mAP as a ratio of the teacher's with the same backend."""
    teacher = {r["backend"]: r for r in rows if r["role"] == "teacher"}
    for row in rows:
        ref = teacher[row["backend"]]
        row["speed_vs_teacher"] = row["pages_per_s"] / ref["pages_per_s"] if ref["pages_per_s"] else None
        row["map_vs_teacher"] = row["AP"] / ref["AP"] if row["AP"] is not None and ref["AP"] else None


def validation_pages(name, teacher, teacher_cfg, max_pages):
    """(name, records) of the labelled pages that score every model: `name` (a registered data set
    or coco:PATH.json[:IMAGES]) or else the first DATASETS.TEST of the teacher (at path `teacher`)."""
    name = name or next(iter(teacher_cfg.DATASETS.TEST), "")
    if not name:
        raise ConfigError(f"the teacher {teacher} names no DATASETS.TEST: pass --val DATASET")
    register_coco_for_run(name, teacher_cfg)
    if name not in DatasetCatalog.keys():
        raise ConfigError(f"--val: data set '{name}' is not registered (a registered name or coco:PATH.json[:IMAGES])")
    return name, dataset_pages(name, max_pages)


def _fmt(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def _backend_label(row):
    """The row's backend, marked when the export it runs did not reproduce the eager model."""
    failed = [key for key in CHECKED_EXPORTS[row["backend"]] if not row["export_checks_ok"].get(key, True)]
    return row["backend"] + (" (export check FAILED)" if failed else "")


def markdown_table(rows):
    """The Markdown table of the benchmark rows."""
    headers = ["model", "params (M)", "GFLOPs", "backend", "bbox mAP", "AP50", "mAP x teacher", "pages/s",
               "pages/s x teacher"]
    body = [[r["model"], _fmt(r["params_m"], 1), _fmt(r["gflops"], 1), _backend_label(r), _fmt(r["AP"], 1),
             _fmt(r["AP50"], 1), _fmt(r["map_vs_teacher"], 2), _fmt(r["pages_per_s"], 2),
             _fmt(r["speed_vs_teacher"], 2)] for r in rows]
    return tabulate(body, headers, tablefmt="github", disable_numparse=True)


def failed_export_checks(rows):
    """'model format' for every export that did not reproduce its eager model."""
    checks = {r["model"]: r["export_checks_ok"] for r in rows}
    return [f"{model} {fmt}" for model, formats in checks.items() for fmt, ok in formats.items() if not ok]
