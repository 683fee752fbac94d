#!/usr/bin/env python
"""One honest table for trained layout models, side by side in one run: parameters, GFLOPs,
bbox mAP on the same validation pages, and end-to-end pages/s from PDF to JSON, for the eager,
TorchScript, ONNX fp32 and ONNX int8 backends, with each student's speed and mAP as a ratio of
the teacher's (same backend).

    python tools/benchmark.py --teacher output/demo/teacher_R50_FPN \\
        --student output/demo/feature_mse_R50_to_R18-box --student output/demo/supervised_R18_FPN-box \\
        --pdfs datasets/demo/pdfs --val distildoc_demo_val --threads 2 --output output/benchmark.json

Models are run folders (config.yaml + model_final.pth or last_checkpoint) or config files with
trained weights (MODEL.WEIGHTS or OUTPUT_DIR's checkpoint); a model without trained weights is an
error, except one named by --random-init: a speed reference where no trained model exists (an
R101 teacher at 800 px), randomly initialised, its rows marked "(random weights)" with no mAP
(cap its detections with TEST.DETECTIONS_PER_IMAGE so that its heads do a trained model's work).
Each model is exported to a temporary folder (tools/export_model.py's export and checks); for
`onnx-int8` its ONNX program is quantised (--int8 static: calibrated on the first
--calibration-pages pages of --calibration, default the --pdfs; or dynamic).

- params (M): parameters of the deployed model; GFLOPs: fvcore, one inference at --flops-size
  (default: a US-letter page at the model's input size) with a fixed number of proposals through
  the box head and of detections through the mask head (each model's MODEL.RPN.POST_NMS_TOPK_TEST
  and TEST.DETECTIONS_PER_IMAGE, or --proposals / --detections for all), so the figure does not
  depend on what the model happens to detect;
- bbox mAP, AP50: pycocotools on the first --val-pages pages of the registered data set --val
  (default: the teacher's first DATASETS.TEST), for every backend;
- pages/s: the whole of tools/predict.py over the PDFs (--pages selects pages; default all):
  rendering at the model's size, pre-processing, model, post-processing, reading order, JSON
  files; --rounds rounds, models and backends in turn within each round; --threads intra-op
  threads for torch and ONNX Runtime (default 2), batch 1.
Prints a Markdown table and writes all numbers and the settings to --output (JSON).
"""
import argparse
import json
import os
import platform
import sys
import tempfile

import torch
from detectron2.data import DatasetCatalog
from tabulate import tabulate
from tqdm import tqdm

from distildoc_d2.data.specs import register_coco_for_run
from distildoc_d2.errors import ConfigError, DistilDocError
from distildoc_d2.evaluation.model_size import count_gflops_fixed, count_parameters
from distildoc_d2.evaluation.pipeline_speed import time_pipelines
from distildoc_d2.evaluation.predictor_map import dataset_pages, predictor_bbox_map
from distildoc_d2.export.exporter import export_model
from distildoc_d2.export.quantize import QUANT_MODES, add_int8
from distildoc_d2.export.run import load_run, run_config
from distildoc_d2.inference import LayoutPredictor
from distildoc_d2.inference.batch import read_pages
from distildoc_d2.inference.inputs import parse_page_ranges
from distildoc_d2.inference.render import model_pixels

BACKENDS = ("eager", "torchscript", "onnx", "onnx-int8")
EXPORT_FORMATS = {"eager": "detectron2", "torchscript": "torchscript", "onnx": "onnx", "onnx-int8": "onnx"}
CHECKED_EXPORTS = {"eager": ("detectron2",), "torchscript": ("torchscript",), "onnx": ("onnx",),
                   "onnx-int8": ("onnx", "onnx_int8")}
US_LETTER_PT = (612.0, 792.0)


def _label(path):
    return os.path.basename(os.path.normpath(path)).removesuffix(".yaml")


def _predictor(folder, backend):
    if backend == "onnx-int8":
        return LayoutPredictor.from_export(folder, "onnx", precision="int8")
    return LayoutPredictor.from_export(folder, backend)


def _flops_size(args, metadata):
    if args.flops_size:
        return tuple(args.flops_size)
    width, height = model_pixels(US_LETTER_PT, metadata["resize"])
    return height, width


def _prepare(index, path, role, args, calibration, tmp):
    """Export one model and open its backends: (predictors by backend, row fields shared by its rows)."""
    random_init = path in args.random_init
    if random_init:
        cfg, weights = run_config(path, args.opts), None
    else:
        cfg, weights = load_run(path, "", args.opts)
        if not os.path.isfile(weights):
            raise ConfigError(f"{path}: weights file {weights} does not exist (the benchmark measures trained "
                              "models; --random-init PATH times a randomly initialised one)")
    folder = os.path.join(tmp, f"model-{index}")
    formats = sorted({EXPORT_FORMATS[b] for b in args.backends if b != "eager"})
    tqdm.write(f"exporting {path}", file=sys.stderr)
    metadata = export_model(cfg, weights, folder, formats, calibration[:1])
    checks = {fmt: report["ok"] for fmt, report in metadata["checks"].items()}
    if "onnx-int8" in args.backends:
        checks["onnx_int8"] = add_int8(folder, args.int8, calibration, calibration[:2], progress=False)["ok"]
    predictors = {backend: _predictor(folder, backend) for backend in args.backends}
    model = (predictors.get("eager") or LayoutPredictor.from_export(folder, "eager")).backend.model
    height, width = _flops_size(args, metadata)
    shared = {
        "model": _label(path) + (" (random weights)" if random_init else ""), "path": path, "role": role,
        "weights": weights, "random_init": random_init, "mask_on": metadata["mask_on"],
        "params_m": count_parameters(model) / 1e6,
        "gflops": count_gflops_fixed(model, height, width, args.proposals, args.detections),
        "flops_size": [height, width],
        "flops_proposals": args.proposals or model.proposal_generator.post_nms_topk[False],
        "flops_detections": args.detections or model.roi_heads.box_predictor.test_topk_per_image,
        "export_checks_ok": checks,
    }
    return predictors, shared


def benchmark(args, models, calibration, records, progress=True):
    """Rows (one per model and backend) with sizes, mAP and end-to-end speed."""
    rows, predictors = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (path, role) in enumerate(models):
            model_predictors, shared = _prepare(index, path, role, args, calibration, tmp)
            for backend, predictor in model_predictors.items():
                predictors[(index, backend)] = predictor
                rows[(index, backend)] = dict(shared, backend=backend)
        for key, predictor in tqdm(predictors.items(), desc="mAP", unit="model", disable=not progress,
                                   file=sys.stderr):
            if rows[key]["random_init"]:
                rows[key].update(AP=None, AP50=None)
            else:
                rows[key].update(predictor_bbox_map(predictor, records, progress=False))
        ranges = parse_page_ranges(args.pages)
        with tqdm(total=args.rounds * len(predictors), desc="pages/s", unit="pass", disable=not progress,
                  file=sys.stderr) as bar:
            speeds = time_pipelines(predictors, args.pdfs, ranges, rounds=args.rounds, prefetch=args.prefetch,
                                    warmup_page=calibration[0], on_pass=lambda: bar.update(1))
        for key, speed in speeds.items():
            rows[key].update(speed)
    return list(rows.values())


def add_ratios(rows):
    """Each row's pages/s and mAP as a ratio of the teacher's with the same backend."""
    teacher = {r["backend"]: r for r in rows if r["role"] == "teacher"}
    for row in rows:
        ref = teacher[row["backend"]]
        row["speed_vs_teacher"] = row["pages_per_s"] / ref["pages_per_s"] if ref["pages_per_s"] else None
        row["map_vs_teacher"] = row["AP"] / ref["AP"] if row["AP"] is not None and ref["AP"] else None


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


def _validation(args, teacher_cfg):
    name = args.val or next(iter(teacher_cfg.DATASETS.TEST), "")
    if not name:
        raise ConfigError(f"the teacher {args.teacher} names no DATASETS.TEST: pass --val DATASET")
    register_coco_for_run(name, teacher_cfg)
    if name not in DatasetCatalog.keys():
        raise ConfigError(f"--val: data set '{name}' is not registered (a registered name or coco:PATH.json[:IMAGES])")
    return name, dataset_pages(name, args.val_pages)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", required=True, help="the teacher's run folder (or config with weights)")
    parser.add_argument("--student", action="append", default=[], help="a student's run folder (repeat)")
    parser.add_argument("--pdfs", nargs="+", required=True, help="PDFs (or folders, images) timed end to end")
    parser.add_argument("--pages", default="", help="pages of each PDF to time, e.g. 1-2 (default: all)")
    parser.add_argument("--random-init", action="append", default=[], metavar="MODEL",
                        help="a --teacher or --student (a config file) timed with random weights, no mAP (repeat)")
    parser.add_argument("--val", default="", help="registered labelled data set for mAP (default: the teacher's)")
    parser.add_argument("--val-pages", type=int, default=50, help="validation pages for mAP")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--int8", default="static", choices=QUANT_MODES, help="int8 quantisation mode")
    parser.add_argument("--calibration", nargs="+", default=[],
                        help="pages to calibrate int8 on and to check exports on (default: --pdfs)")
    parser.add_argument("--calibration-pages", type=int, default=8, help="number of calibration pages")
    parser.add_argument("--threads", type=int, default=2, help="intra-op CPU threads for torch and ONNX Runtime")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the PDFs per model and backend")
    parser.add_argument("--prefetch", type=int, default=2, help="chunks of pages rendered ahead (0: in turn)")
    parser.add_argument("--flops-size", type=int, nargs=2, default=None, metavar=("H", "W"),
                        help="page size for the FLOP count (default: US letter at each model's input size)")
    parser.add_argument("--proposals", type=int, default=0, help="proposals for the FLOP count (0: each model's)")
    parser.add_argument("--detections", type=int, default=0, help="detections for the FLOP count (0: each model's)")
    parser.add_argument("--output", default="output/benchmark.json", help="JSON file for all numbers")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("opts", nargs="*", help="KEY VALUE overrides for every model")
    args = parser.parse_intermixed_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        models = [(args.teacher, "teacher")] + [(path, "student") for path in args.student]
        unknown = [path for path in args.random_init if path not in [path for path, _ in models]]
        if unknown:
            raise ConfigError(f"--random-init {unknown[0]}: not one of the --teacher / --student models")
        teacher_cfg = run_config(args.teacher, args.opts)
        val_name, records = _validation(args, teacher_cfg)
        resize = {"min_size": teacher_cfg.INPUT.MIN_SIZE_TEST, "max_size": teacher_cfg.INPUT.MAX_SIZE_TEST}
        calibration = read_pages(args.calibration or args.pdfs, args.calibration_pages, resize=resize)
        if not calibration:
            raise ConfigError(f"no pages in {' '.join(args.calibration or args.pdfs)} to calibrate and check on")
        rows = benchmark(args, models, calibration, records, progress=not args.no_progress)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    add_ratios(rows)
    settings = {"command": " ".join(["python", "tools/benchmark.py"] + (argv if argv is not None else sys.argv[1:])),
                "val": val_name, "val_pages": len(records), "pdfs": args.pdfs, "pages": args.pages or "all",
                "threads": torch.get_num_threads(), "rounds": args.rounds, "int8": args.int8,
                "calibration_pages": len(calibration), "cpu": platform.processor() or platform.machine(),
                "cpu_count": os.cpu_count(), "torch": torch.__version__,
                "load_average_1_5_15_min_at_end": list(os.getloadavg())}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump({"settings": settings, "rows": rows}, f, indent=2)
    print(markdown_table(rows))
    timed = {r["model"]: r["pages"] for r in rows}
    load = ", ".join(f"{v:.1f}" for v in settings["load_average_1_5_15_min_at_end"])
    print(f"\nbbox mAP on {len(records)} pages of {val_name}; pages/s end to end (PDF to JSON) over "
          f"{max(timed.values()) // max(1, args.rounds)} PDF page(s) x {args.rounds} round(s), batch 1, "
          f"{settings['threads']} CPU threads; GFLOPs with fixed proposals/detections; system load average at "
          f"the end {load} (1, 5, 15 min). All numbers: {args.output}")
    checks = {r["model"]: r["export_checks_ok"] for r in rows}
    failed = [f"{model} {fmt}" for model, formats in checks.items() for fmt, ok in formats.items() if not ok]
    if failed:
        print(f"warning: export check failed for {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
