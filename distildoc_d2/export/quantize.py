"""int8 model of an export: the ONNX program quantised by ONNX Runtime, and its check against the
fp32 ONNX program.

- static (the default): convolutions and matrix products get int8 weights (per channel) and
  uint8 activations whose ranges are calibrated (min/max) on pages of the user's own data, as
  QuantizeLinear/DequantizeLinear pairs that ONNX Runtime's CPU provider fuses into int8 kernels;
- dynamic: int8 weights, activation ranges computed on every run (no calibration pages needed;
  usually slower than static for convolutions).

Box decoding, NMS, ROIAlign and everything after stay float32. The check runs the fp32 and the
int8 programs on the same pages: the share of the fp32 model's confident detections (score >=
`CONFIDENT_SCORE`) that the int8 model finds (same class, IoU >= 0.5), and, on a labelled data
set, both models' bbox mAP and its difference. The check passes when the int8 model loses at most
`map_tol` mAP points (or, without a labelled set, finds at least `MIN_AGREEMENT` of the confident
detections).
"""
import contextlib
import logging
import os

from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

from ..errors import ConfigError
from .metadata import FILES, export_file, load_metadata, write_metadata

QUANT_MODES = ("static", "dynamic")
INT8_FORMAT = "onnx_int8"
INT8_FILE = FILES[INT8_FORMAT][0]
OP_TYPES = ["Conv", "MatMul", "Gemm"]
CONFIDENT_SCORE = 0.5
MIN_AGREEMENT = 0.9
MAP_TOLERANCE = 1.0


@contextlib.contextmanager
def _quiet_quantizer():
    """Hide the quantiser's advice (root-logger warnings: pre-processing, shared biases)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


class _Pages(CalibrationDataReader):
    """Model inputs (3, H, W) float32 tensors fed to the calibration one at a time."""

    def __init__(self, inputs):
        self.items = iter([{"image": x.numpy()} for x in inputs])

    def get_next(self):
        return next(self.items, None)


def quantize_onnx(fp32_path, int8_path, mode="static", calibration_inputs=()):
    """Write the int8 version of the ONNX program `fp32_path` to `int8_path`; static mode
    calibrates on `calibration_inputs` (model inputs, as the predictor's preprocess makes them)."""
    if mode not in QUANT_MODES:
        raise ConfigError(f"unknown int8 quantisation mode '{mode}'; choose one of {', '.join(QUANT_MODES)}")
    if mode == "static" and not len(calibration_inputs):
        raise ConfigError("static int8 quantisation needs calibration pages, and the calibration set is empty")
    with _quiet_quantizer():
        if mode == "dynamic":
            quantize_dynamic(fp32_path, int8_path, op_types_to_quantize=OP_TYPES, per_channel=True,
                             weight_type=QuantType.QInt8)
        else:
            quantize_static(fp32_path, int8_path, _Pages(calibration_inputs), quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=OP_TYPES, per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)


def _iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def agreement(reference, candidate, min_score=CONFIDENT_SCORE):
    """(found, total): of the reference pages' detections scoring at least `min_score`, how many
    the candidate pages hold too (same class, IoU >= 0.5, each candidate used once)."""
    found = total = 0
    for ref_page, cand_page in zip(reference, candidate):
        free = list(cand_page["regions"])
        for ref in sorted(ref_page["regions"], key=lambda r: -r["score"]):
            if ref["score"] < min_score:
                continue
            total += 1
            same = [c for c in free if c["category_id"] == ref["category_id"] and _iou(ref["bbox"], c["bbox"]) >= 0.5]
            if same:
                free.remove(max(same, key=lambda c: _iou(ref["bbox"], c["bbox"])))
                found += 1
    return found, total


def check_int8(fp32, int8, pages, records=None, map_tol=MAP_TOLERANCE, progress=True):
    """The report comparing the int8 predictor with the fp32 one on `pages` (RGB arrays) and, when
    `records` (a labelled data set, see evaluation.predictor_map) is given, their bbox mAP."""
    from ..evaluation.predictor_map import predictor_bbox_map

    found, total = agreement(fp32.predict_images(pages), int8.predict_images(pages))
    report = {"pages": len(pages), "confident_detections": total, "found_by_int8": found,
              "agreement": found / total if total else 1.0, "min_score": CONFIDENT_SCORE, "map_tol": map_tol}
    if records:
        report["map_fp32"] = predictor_bbox_map(fp32, records, progress, "mAP fp32")
        report["map_int8"] = predictor_bbox_map(int8, records, progress, "mAP int8")
        ap32, ap8 = report["map_fp32"]["AP"], report["map_int8"]["AP"]
        report["map_diff"] = None if ap32 is None else ap8 - ap32
    if report.get("map_diff") is not None:
        report["ok"] = report["map_diff"] >= -map_tol
    else:
        report["ok"] = report["agreement"] >= MIN_AGREEMENT
    return report


def describe_int8(report):
    """One line for the user: agreement, mAP difference, verdict."""
    text = (f"{report['found_by_int8']}/{report['confident_detections']} confident fp32 detections "
            f"(score >= {report['min_score']}) found on {report['pages']} pages")
    if report.get("map_diff") is not None:
        text += (f"; bbox mAP {report['map_int8']['AP']:.1f} vs fp32 {report['map_fp32']['AP']:.1f} "
                 f"({report['map_diff']:+.1f}, tol {report['map_tol']}) on {report['map_fp32']['pages']} "
                 "labelled pages")
    else:
        text += "; no labelled pages: mAP not compared"
    return f"{text}: {'OK' if report['ok'] else 'MISMATCH'}"


def add_int8(folder, mode, calibration_pages, check_pages=None, records=None, map_tol=MAP_TOLERANCE, progress=True):
    """Quantise the ONNX program of the export `folder` (mode static: calibrated on the RGB
    `calibration_pages`), add it to the folder's metadata and check it against the fp32 program on
    `check_pages` (default: the calibration pages) and the labelled `records`. Returns the report
    (also stored as metadata["checks"]["onnx_int8"])."""
    from ..inference.predictor import LayoutPredictor

    metadata = load_metadata(folder)
    fp32 = LayoutPredictor.from_export(folder, "onnx")
    if mode == "static" and not calibration_pages:
        raise ConfigError("static int8 quantisation needs calibration pages, and the calibration set is empty")
    inputs = [fp32.preprocess(page) for page in calibration_pages or ()]
    quantize_onnx(export_file(folder, metadata, "onnx"), os.path.join(folder, INT8_FILE), mode, inputs)
    metadata["files"][INT8_FORMAT] = [INT8_FILE]
    metadata["int8"] = {"mode": mode, "calibration_pages": len(inputs) if mode == "static" else 0,
                        "op_types": OP_TYPES}
    write_metadata(folder, metadata)
    int8 = LayoutPredictor.from_export(folder, "onnx", precision="int8")
    pages = check_pages if check_pages else calibration_pages
    if not pages:
        raise ConfigError("no pages to check the int8 model on")
    report = check_int8(fp32, int8, pages, records, map_tol, progress)
    metadata["checks"][INT8_FORMAT] = report
    write_metadata(folder, metadata)
    return report

