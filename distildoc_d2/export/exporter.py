"""Export of a run's student to a folder in every format, each checked against the run's eager
model on sample pages through the same pre- and post-processing (distildoc_d2.inference)."""
import os

import numpy as np

from ..data.synthetic.page_layout import compose_layout_page, page_rngs
from ..errors import ConfigError
from ..inference.backends import EagerBackend, device_name, onnx_runs_on
from ..inference.predictor import LayoutPredictor
from .compare import BOX_TOLERANCE, SCORE_TOLERANCE, compare_predictions, full_float32
from .deploy_config import deployable_config, load_deployed_model, save_weights, student_state_dict
from .metadata import FILES, build_metadata, write_metadata
from .program import export_onnx, export_torchscript
from .run import class_names, load_run_model

FORMATS = ("detectron2", "torchscript", "onnx")
BACKEND_OF_FORMAT = {"detectron2": "eager", "torchscript": "torchscript", "onnx": "onnx"}


def sample_pages(count=2, size=(612, 792), seed=0):
    """`count` synthetic layout pages (RGB uint8 arrays), portrait and landscape in turn."""
    pages = []
    for index in range(count):
        width, height = size if index % 2 == 0 else size[::-1]
        rng, nrng = page_rngs(seed, "export-check", index)
        image, _ = compose_layout_page(rng, nrng, width, height)
        pages.append(np.asarray(image.convert("RGB")))
    return pages


def export_model(cfg, weights, output_dir, formats=FORMATS, pages=None, device="cpu", box_tol=BOX_TOLERANCE,
                 score_tol=SCORE_TOLERANCE, source=None):
    """Write the deployable student of the run (`cfg`, `weights`; None: random initialisation) to
    `output_dir`: Detectron2 config + weights (always), TorchScript and ONNX programs as `formats`
    asks, and metadata.json. Each format is then run on `pages` (RGB arrays; default: two
    generated pages) and compared with the run's eager model; the reports are stored under
    metadata["checks"][format]. Returns the metadata."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    formats = ["detectron2"] + [f for f in FORMATS[1:] if f in formats]
    run_model = load_run_model(cfg, weights, device)
    deploy_cfg, stock = deployable_config(cfg)
    os.makedirs(output_dir, exist_ok=True)
    config_path, weights_path = (os.path.join(output_dir, name) for name in FILES["detectron2"])
    deploy_cfg.MODEL.WEIGHTS = os.path.abspath(weights_path)
    with open(config_path, "w") as f:
        f.write(deploy_cfg.dump())
    save_weights(student_state_dict(run_model), weights_path)
    _, deployed = load_deployed_model(config_path, weights_path, stock, device)
    source = dict(source or {})
    source.update(meta_architecture=cfg.MODEL.META_ARCHITECTURE, weights=weights or "random initialisation")
    if cfg.MODEL.META_ARCHITECTURE == "DistillationRCNN":
        source["methods"] = list(cfg.MODEL.DISTILL.METHODS)
    metadata = build_metadata(deploy_cfg, class_names(cfg), deployed.backbone.size_divisibility, stock, formats,
                              source)
    reference = LayoutPredictor(EagerBackend(run_model, device), metadata)
    pages = pages if pages is not None else sample_pages()
    trace_input = reference.preprocess(pages[0]).to(device)
    if "torchscript" in formats:
        export_torchscript(deployed, trace_input, os.path.join(output_dir, FILES["torchscript"][0]))
        metadata["torchscript_device"] = device_name(device)
    if "onnx" in formats:
        export_onnx(deployed, trace_input, os.path.join(output_dir, FILES["onnx"][0]))
    write_metadata(output_dir, metadata)
    expected = {}
    with full_float32():
        for fmt in formats:
            backend = BACKEND_OF_FORMAT[fmt]
            # like with like: the eager reference runs where the candidate runs (ONNX Runtime
            # without its CUDA provider checks on CPU)
            check_device = device_name(device if backend != "onnx" or onnx_runs_on(device) else "cpu")
            if check_device not in expected:
                eager = LayoutPredictor(EagerBackend(run_model, check_device), metadata)
                expected[check_device] = eager.predict_images(pages)
            candidate = LayoutPredictor.from_export(output_dir, backend, check_device)
            metadata["checks"][fmt] = compare_predictions(
                expected[check_device], candidate.predict_images(pages), metadata["score_threshold"],
                metadata["detections_per_image"], box_tol, score_tol, devices=(check_device, check_device))
    metadata["check_pages"] = [list(page.shape[:2]) for page in pages]
    write_metadata(output_dir, metadata)
    return metadata
