"""The metadata JSON of an export folder: what a predictor needs besides the model itself.

Fields: `class_names`; `input` (channel `format` BGR/RGB, `pixel_mean`/`pixel_std`, which the
model applies itself, and `size_divisibility`, the padding the model applies itself); `resize`
(`min_size`/`max_size`: the shorter side is scaled to min_size unless the longer side would then
exceed max_size, in which case the longer side is scaled to max_size; bilinear, as Detectron2's
ResizeShortestEdge); `score_threshold`, `nms_threshold`, `detections_per_image`, `mask_on` and
`mask_threshold` (0.5: ROI mask probability at which pasted masks are cut); `files` (the formats
written, relative to the folder); `requires_distildoc_d2`; `source` (run config, weights, method)
`checks` (each format compared with the eager model on sample pages, `check_pages` their sizes;
`onnx_int8`, the quantised ONNX program (export/quantize.py), compared with the fp32 ONNX program),
`int8` (quantisation mode and calibration page count, when an int8 model was made)
and `torchscript_device` (cpu or cuda: the device the TorchScript program was traced on and
runs on).
"""
import json
import os

from ..errors import ConfigError

METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
FILES = {"detectron2": ("model.yaml", "model.pth"), "torchscript": ("model.ts",), "onnx": ("model.onnx",),
         "onnx_int8": ("model.int8.onnx",)}
MASK_THRESHOLD = 0.5


def build_metadata(deploy_cfg, class_names, size_divisibility, stock, formats, source):
    """The metadata dict of an export of the deployable config `deploy_cfg`."""
    model = deploy_cfg.MODEL
    return {
        "format_version": FORMAT_VERSION,
        "class_names": list(class_names),
        "input": {
            "format": deploy_cfg.INPUT.FORMAT,
            "pixel_mean": [float(v) for v in model.PIXEL_MEAN],
            "pixel_std": [float(v) for v in model.PIXEL_STD],
            "size_divisibility": int(size_divisibility),
            "program_input": "float32 (3, H, W) page resized by `resize`, channels in `format`, values 0-255",
        },
        "resize": {"min_size": int(deploy_cfg.INPUT.MIN_SIZE_TEST), "max_size": int(deploy_cfg.INPUT.MAX_SIZE_TEST)},
        "score_threshold": float(model.ROI_HEADS.SCORE_THRESH_TEST),
        "nms_threshold": float(model.ROI_HEADS.NMS_THRESH_TEST),
        "detections_per_image": int(deploy_cfg.TEST.DETECTIONS_PER_IMAGE),
        "mask_on": bool(model.MASK_ON),
        "mask_threshold": MASK_THRESHOLD,
        "program_outputs": "boxes (N, 4) x0 y0 x1 y1 in resized-image pixels, classes (N,), scores (N,)"
                           + (", masks (N, 1, M, M) ROI probabilities; the last row is a placeholder with "
                              "score -1" if model.MASK_ON else ""),
        "files": {fmt: list(FILES[fmt]) for fmt in formats},
        "requires_distildoc_d2": not stock,
        "source": source,
        "checks": {},
    }


def write_metadata(folder, metadata):
    """Write `metadata` to folder/metadata.json."""
    with open(os.path.join(folder, METADATA_FILE), "w") as f:
        json.dump(metadata, f, indent=2)


def load_metadata(folder):
    """Read folder/metadata.json, with a ConfigError naming the problem."""
    path = os.path.join(folder, METADATA_FILE)
    if not os.path.isfile(path):
        raise ConfigError(f"{folder} is not an export folder: it has no {METADATA_FILE} "
                          "(tools/export_model.py writes it)")
    try:
        with open(path) as f:
            metadata = json.load(f)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path} cannot be read: {err}") from None
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"{path} has format version {metadata.get('format_version')}, expected {FORMAT_VERSION}")
    return metadata


def export_file(folder, metadata, fmt, index=0):
    """Path of the `index`-th file of format `fmt` in an export folder; ConfigError if not exported."""
    files = metadata["files"].get(fmt)
    if not files:
        raise ConfigError(f"{folder} holds no {fmt} export (it has {', '.join(metadata['files']) or 'none'}); "
                          f"export it with tools/export_model.py --formats {fmt}")
    path = os.path.join(folder, files[index])
    if not os.path.isfile(path):
        raise ConfigError(f"{path} is missing from the export folder")
    return path
