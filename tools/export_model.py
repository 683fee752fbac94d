#!/usr/bin/env python
"""Export a trained layout student (or any layout model) for deployment, and check every format
against the eager model.

    python tools/export_model.py output/demo/feature_mse_R50_to_R18            # a run folder
    python tools/export_model.py configs/demo/feature_mse_R50_to_R18.yaml --weights model_final.pth \
        --output export/student [KEY VALUE ...]                              # a config file
    python tools/export_model.py RUN --formats torchscript --sample page.png paper.pdf

A run folder is read through its config.yaml and model_final.pth (or the file last_checkpoint
names); a config file takes --weights, else MODEL.WEIGHTS, else OUTPUT_DIR's checkpoint. KEY VALUE
pairs after the run override its config. The output folder (default: <run or OUTPUT_DIR>/export)
receives:

- model.yaml + model.pth: a Detectron2 config and checkpoint. For a plain Mask R-CNN student (a
  DistillationRCNN trained with feature_mse, reviewkd or roi_kd, or a supervised ResNet model)
  the KD-only modules (`distillers.*`) are dropped, META_ARCHITECTURE is GeneralizedRCNN and the
  config holds only keys of plain `detectron2.config.get_cfg()`, so stock Detectron2 loads it
  without distildoc_d2:  cfg = get_cfg(); cfg.merge_from_file("model.yaml");
  predictor = DefaultPredictor(cfg)   (MODEL.WEIGHTS holds the absolute path of model.pth: set it
  again when the folder moves). A SimKD student keeps its projectors: its backbone is
  `build_projected_backbone` (a ProjectedBackbone) with the teacher's RPN and ROI heads, and
  students with distildoc_d2's ViT, DiT or timm backbones keep distildoc_d2's config keys; both
  need `import distildoc_d2` and `distildoc_d2.export.load_deploy_config(path, stock=False)`.
  metadata.json says which case applies (`requires_distildoc_d2`).
- model.ts: TorchScript, traced once (detectron2's TracingAdapter + torch.jit.trace) on the
  device of --device. Sizes stay symbolic in the trace, so one program takes pages of any height
  and width (checked here on portrait and landscape pages); batch size 1.
- model.onnx: the same trace exported with torch.onnx.export(dynamo=False), opset 17, dynamic
  height, width and detection count; runs in ONNX Runtime (CPU). GroupNorm layers are written
  out with means over one axis at a time, because ONNX Runtime's single-pass float32 sums over a
  whole page-sized group lose about three digits (see distildoc_d2/export/program.py).
- model.int8.onnx (with --int8): the ONNX program quantised by ONNX Runtime, `static` (int8
  convolutions and matrix products, activation ranges calibrated on --calibration: a few pages of
  your own data, PDFs rendered at the model's size) or `dynamic` (no calibration). It is checked
  against the fp32 ONNX program: the share of its confident detections (score >= 0.5) that the
  int8 model finds, and the bbox mAP of both on a labelled data set (--int8-eval, default the
  run's DATASETS.TEST; `none` skips it); the check fails when int8 loses more than --map-tol mAP
  points (without labelled pages: when it misses more than 10% of the confident detections).
  Predict with it by `tools/predict.py --backend onnx --precision int8`.
- metadata.json: class names, input format (BGR/RGB), pixel mean/std, resize rule (min/max
  size), size divisibility, score threshold, mask_on (false for box-only students: Faster R-CNN,
  no masks), and the check reports.

Programs take one float32 (3, H, W) page already resized (the predictor does it); see
distildoc_d2/export/program.py. The check runs each format and the run's eager model on the
sample pages (default: two generated pages, 612x792 and 792x612) through the same pre- and
post-processing, and matches detections per class: every matched pair within --box-tol page
pixels (default 0.1) and --score-tol (default 1e-4), and no unmatched detection except at the
score cut-off. It prints the matched count and the largest differences, and exits with 1 when
a format does not match (2 for bad input).
"""
import argparse
import os
import sys

from detectron2.data import DatasetCatalog

from distildoc_d2.data.specs import register_coco_for_run
from distildoc_d2.errors import ConfigError, DistilDocError
from distildoc_d2.evaluation.predictor_map import dataset_pages
from distildoc_d2.export.compare import BOX_TOLERANCE, SCORE_TOLERANCE, describe
from distildoc_d2.export.exporter import FORMATS, export_model, sample_pages
from distildoc_d2.export.metadata import load_metadata
from distildoc_d2.export.quantize import INT8_FORMAT, MAP_TOLERANCE, QUANT_MODES, add_int8, describe_int8
from distildoc_d2.export.run import load_run, run_config
from distildoc_d2.inference.batch import read_pages


def _calibration_pages(args, cfg):
    """The static int8 calibration pages (RGB arrays, PDFs at the model's size), checked first."""
    if args.int8 and "onnx" not in args.formats:
        raise ConfigError("--int8 quantises the ONNX export: keep onnx in --formats")
    if args.int8 != "static":
        return []
    if not args.calibration:
        raise ConfigError("--int8 static needs --calibration: a few pages of your own data (images, PDFs or "
                          "folders); or use --int8 dynamic")
    resize = {"min_size": cfg.INPUT.MIN_SIZE_TEST, "max_size": cfg.INPUT.MAX_SIZE_TEST}
    pages = read_pages(args.calibration, args.calibration_pages, resize=resize)
    if not pages:
        raise ConfigError(f"the calibration set ({' '.join(args.calibration)}) holds no pages")
    return pages


def _int8_eval_records(args, cfg):
    """The labelled pages to compare int8 and fp32 mAP on, or None."""
    if args.int8_eval == "none":
        return None
    if args.int8_eval:
        register_coco_for_run(args.int8_eval, cfg)
        return dataset_pages(args.int8_eval, args.int8_eval_pages)
    name = next(iter(cfg.DATASETS.TEST), "")
    try:
        register_coco_for_run(name, cfg)
        return dataset_pages(name, args.int8_eval_pages) if name in DatasetCatalog.keys() else None
    except DistilDocError:  # the run's test set is not on this machine
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a run folder (config.yaml + checkpoint) or a config file")
    parser.add_argument("--weights", default="", help="weights file (default: found as described above)")
    parser.add_argument("--random-init", action="store_true", help="export randomly initialised weights")
    parser.add_argument("--output", default="", help="output folder (default: <run or OUTPUT_DIR>/export)")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS,
                        help="formats to write (detectron2 is always written)")
    parser.add_argument("--sample", nargs="+", default=[], help="images, PDFs or folders to check on")
    parser.add_argument("--check-pages", type=int, default=2, help="number of sample pages to check on")
    parser.add_argument("--device", default="cpu", help="cpu or cuda: where to trace and check")
    parser.add_argument("--box-tol", type=float, default=BOX_TOLERANCE, help="box tolerance in page pixels")
    parser.add_argument("--score-tol", type=float, default=SCORE_TOLERANCE, help="score tolerance")
    parser.add_argument("--int8", choices=QUANT_MODES, default=None,
                        help="also write model.int8.onnx, quantised static (calibrated) or dynamic")
    parser.add_argument("--calibration", nargs="+", default=[],
                        help="images, PDFs or folders of your own pages to calibrate static int8 on")
    parser.add_argument("--calibration-pages", type=int, default=16, help="number of calibration pages")
    parser.add_argument("--int8-eval", default="",
                        help="labelled data set (registered name) to compare int8 and fp32 mAP on "
                             "(default: the run's first DATASETS.TEST; none: skip)")
    parser.add_argument("--int8-eval-pages", type=int, default=50, help="labelled pages for the mAP comparison")
    parser.add_argument("--map-tol", type=float, default=MAP_TOLERANCE, help="largest mAP loss of int8 (points)")
    parser.add_argument("opts", nargs="*", help="KEY VALUE config overrides")
    args = parser.parse_intermixed_args(argv)
    try:
        path = args.run
        if args.random_init:
            cfg, weights = run_config(path, args.opts), None
        else:
            cfg, weights = load_run(path, args.weights, args.opts)
        output = args.output or os.path.join(path if os.path.isdir(path) else cfg.OUTPUT_DIR, "export")
        pages = read_pages(args.sample, args.check_pages) if args.sample else sample_pages(args.check_pages)
        if not pages:
            raise DistilDocError("no sample pages to check the export on")
        calibration = _calibration_pages(args, cfg)
        metadata = export_model(cfg, weights, output, args.formats, pages, args.device, args.box_tol, args.score_tol,
                                source={"config": path})
        if args.int8:
            records = _int8_eval_records(args, cfg)
            add_int8(output, args.int8, calibration, pages, records, args.map_tol)
            metadata = load_metadata(output)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stock = "loads in stock Detectron2" if not metadata["requires_distildoc_d2"] else "needs import distildoc_d2"
    source = metadata["source"]
    model = source["meta_architecture"]
    if "methods" in source:
        model = f"the student of a {model} ({', '.join(source['methods'])})"
    print(f"Exported {model}, {len(metadata['class_names'])} classes, weights {source['weights']}, to {output}:")
    for fmt, files in metadata["files"].items():
        note = f"  ({stock})" if fmt == "detectron2" else ""
        print(f"  {fmt:<12} {' + '.join(files)}{note}")
    sizes = ", ".join(f"{w}x{h}" for h, w in metadata["check_pages"])
    print(f"Check against the eager model on {len(pages)} pages ({sizes}):")
    failed = []
    for fmt in metadata["files"]:
        report = metadata["checks"][fmt]
        if fmt == INT8_FORMAT:
            print(f"Check of the int8 model ({metadata['int8']['mode']}) against the fp32 ONNX model:")
            print(f"  {fmt:<12} {describe_int8(report)}")
        else:
            print(f"  {fmt:<12} {describe(report)}")
        if not report["ok"]:
            failed.append(fmt)
    if failed:
        print(f"error: {', '.join(failed)} export(s) do not reproduce the eager model (int8: the fp32 model)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
