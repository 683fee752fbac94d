"""tools/export_model.py: a distillation student exported as a stock Detectron2 model, TorchScript
and ONNX, each matching the student; stock Detectron2 loads the export without distildoc_d2."""
import importlib.util
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import onnxruntime
import pytest
import torch
import yaml
from detectron2.config import CfgNode, get_cfg
from detectron2.engine import DefaultPredictor
from detectron2.modeling import build_model
from PIL import Image

from distildoc_d2 import load_config
from distildoc_d2.data.categories import DOCLAYNET_CLASSES
from distildoc_d2.export.compare import compare_predictions
from distildoc_d2.export.exporter import export_model, sample_pages
from distildoc_d2.export.program import AxisWiseGroupNorm
from distildoc_d2.inference import LayoutPredictor

from conftest import REPO, TINY_MODEL, run_tool

SMALL_HEADS = ["MODEL.RPN.PRE_NMS_TOPK_TEST", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
               "TEST.DETECTIONS_PER_IMAGE", "20"]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _teacher(tmp):
    """A small teacher config (R18, 64-channel FPN) and random weights for it."""
    config = tmp / "teacher.yaml"
    config.write_text(f'_BASE_: "{REPO}/configs/demo/teacher_R50_FPN.yaml"\n'
                      "MODEL:\n  RESNETS:\n    DEPTH: 18\n    RES2_OUT_CHANNELS: 64\n  FPN:\n    OUT_CHANNELS: 64\n")
    torch.manual_seed(0)
    weights = tmp / "teacher.pth"
    torch.save({"model": build_model(load_config(str(config), ["MODEL.DEVICE", "cpu"])).state_dict()}, weights)
    return str(config), str(weights)


def _run_folder(tmp, method):
    """A run folder (config.yaml + model_final.pth) of a randomly initialised KD student."""
    teacher_config, teacher_weights = _teacher(tmp)
    run = tmp / f"{method}_run"
    cfg = load_config(os.path.join(REPO, f"configs/demo/{method}_R50_to_R18.yaml"), TINY_MODEL + SMALL_HEADS + [
        "MODEL.FPN.OUT_CHANNELS", "32", "MODEL.DISTILL.TEACHER_CONFIG", teacher_config,
        "MODEL.DISTILL.TEACHER_WEIGHTS", teacher_weights, "OUTPUT_DIR", str(run)])
    torch.manual_seed(1)
    model = build_model(cfg)
    run.mkdir()
    (run / "config.yaml").write_text(cfg.dump())
    torch.save({"model": model.state_dict(), "iteration": 3}, run / "model_final.pth")
    return run, cfg


@pytest.fixture(scope="module")
def exported(module_tmp):
    run, cfg = _run_folder(module_tmp("export"), "feature_mse")
    result = run_tool("export_model.py", run)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return run, cfg, result


def test_every_format_matches_the_student(exported):
    run, _, result = exported
    metadata = json.loads((run / "export" / "metadata.json").read_text())
    assert set(metadata["files"]) == {"detectron2", "torchscript", "onnx"}
    for fmt in ("detectron2", "torchscript", "onnx"):
        report = metadata["checks"][fmt]
        assert report["ok"] and report["matched"] > 0, report
        assert report["unmatched"] == 0 and report["max_box_diff"] <= 0.1 and report["max_score_diff"] <= 1e-4
        assert f"  {fmt}" in result.stdout
    assert result.stdout.count(": OK") == 3
    assert metadata["class_names"] == list(DOCLAYNET_CLASSES)
    assert metadata["input"]["format"] == "BGR" and metadata["resize"] == {"min_size": 160, "max_size": 224}
    assert metadata["score_threshold"] == 0.05 and metadata["input"]["size_divisibility"] == 32
    assert metadata["requires_distildoc_d2"] is False
    assert metadata["source"]["methods"] == ["feature_mse"]
    assert "Traceback" not in result.stderr


def test_programs_take_pages_of_other_shapes(exported):
    run, _, _ = exported
    pages = [np.asarray(Image.fromarray(page).resize((300, 180))) for page in sample_pages(1, size=(256, 331))]
    predictions = {backend: LayoutPredictor.from_export(str(run / "export"), backend).predict_images(pages)
                   for backend in ("eager", "torchscript", "onnx")}
    for backend in ("torchscript", "onnx"):
        report = compare_predictions(predictions["eager"], predictions[backend], 0.05, 20)
        assert report["ok"] and report["matched"] > 0, (backend, report)


def _keys(node, prefix=""):
    for key, value in node.items():
        if isinstance(value, (dict, CfgNode)):
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield prefix + key


STOCK_SCRIPT = """
import json, sys
import cv2
from detectron2.config import get_cfg
from detectron2.engine import DefaultPredictor
cfg = get_cfg()
cfg.merge_from_file(sys.argv[1])
instances = DefaultPredictor(cfg)(cv2.imread(sys.argv[2]))["instances"]
assert not [m for m in sys.modules if m.startswith("distildoc_d2")]
print(json.dumps({"boxes": instances.pred_boxes.tensor.tolist(), "scores": instances.scores.tolist(),
                  "classes": instances.pred_classes.tolist()}))
"""


def test_stock_detectron2_predicts_like_the_distillation_student(exported, tmp_path):
    run, cfg, _ = exported
    config_file = run / "export" / "model.yaml"
    text = config_file.read_text()
    for key in ("DISTILL", "FLOPS_INPUT_SIZE", "LOG_PERIOD", "EVAL_TASKS", "VIT", "TIMM", "DistillationRCNN"):
        assert key not in text
    assert set(_keys(yaml.safe_load(text))) == set(_keys(get_cfg()))
    page = tmp_path / "page.png"
    Image.fromarray(sample_pages(1, size=(256, 331))[0]).save(page)
    script = tmp_path / "stock.py"
    script.write_text(STOCK_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(config_file), str(page)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    stock = json.loads(result.stdout.strip().splitlines()[-1])
    student_cfg = cfg.clone()
    student_cfg.MODEL.WEIGHTS = str(run / "model_final.pth")
    student = DefaultPredictor(student_cfg)
    assert type(student.model).__name__ == "DistillationRCNN"
    expected = student(cv2.imread(str(page)))["instances"]
    assert len(expected) > 0 and stock["classes"] == expected.pred_classes.tolist()
    np.testing.assert_allclose(stock["boxes"], expected.pred_boxes.tensor.numpy(), atol=1e-3)
    np.testing.assert_allclose(stock["scores"], expected.scores.numpy(), atol=1e-5)


def test_simkd_export_keeps_the_projector(tmp_path):
    run, cfg = _run_folder(tmp_path, "simkd")
    metadata = export_model(cfg, str(run / "model_final.pth"), str(tmp_path / "out"), ("detectron2",),
                            sample_pages(1, size=(256, 331)))
    assert metadata["requires_distildoc_d2"] is True and metadata["checks"]["detectron2"]["ok"]
    text = (tmp_path / "out" / "model.yaml").read_text()
    assert "build_projected_backbone" in text and "DistillationRCNN" not in text
    predictor = LayoutPredictor.from_export(str(tmp_path / "out"), "eager")
    assert type(predictor.backend.model.backbone).__name__ == "ProjectedBackbone"


def test_timm_cnn_student_exports_to_every_format(tmp_path):
    """A box-only MobileNetV3 student (timm CNN backbone with GroupNorm) exports to TorchScript and
    ONNX programs that reproduce its eager predictions, and loads back as a LayoutPredictor."""
    cfg = load_config(os.path.join(REPO, "configs/demo/supervised_MobileNetV3_FPN-box.yaml"),
                      TINY_MODEL + SMALL_HEADS + ["MODEL.FPN.OUT_CHANNELS", "32"])
    torch.manual_seed(0)
    weights = tmp_path / "model_final.pth"
    torch.save({"model": build_model(cfg).state_dict()}, weights)
    out = tmp_path / "export"
    metadata = export_model(cfg, str(weights), str(out), ("torchscript", "onnx"), sample_pages(1, size=(256, 331)))
    assert metadata["mask_on"] is False
    for fmt in ("detectron2", "torchscript", "onnx"):
        report = metadata["checks"][fmt]
        assert report["ok"] and report["matched"] > 0 and report["unmatched"] == 0, (fmt, report)
    predictor = LayoutPredictor.from_export(str(out), "onnx")
    page = predictor.predict_images(sample_pages(1, size=(256, 331), seed=3))[0]
    assert page["width"] == 256 and len(page["regions"]) > 0


def test_compare_predictions_tolerates_only_cut_off_differences():
    def page(*regions):
        return [{"regions": [{"category_id": c, "score": s, "bbox": list(b)} for c, s, b in regions]}]

    base = [(1, 0.9, (10, 10, 50, 50)), (2, 0.0501, (0, 0, 5, 5))]
    assert compare_predictions(page(*base), page(*base), 0.05, 100)["ok"]
    shifted = [(1, 0.9, (10, 10, 51, 50)), base[1]]
    assert not compare_predictions(page(*base), page(*shifted), 0.05, 100)["ok"]
    assert compare_predictions(page(*base), page(base[0]), 0.05, 100)["ok"]
    assert not compare_predictions(page(*base), page(base[1]), 0.05, 100)["ok"]
    relabelled = [(3, 0.9, (10, 10, 50, 50)), base[1]]
    assert not compare_predictions(page(*base), page(*relabelled), 0.05, 100)["ok"]


def test_bad_run_folders_are_clear_errors(tmp_path, capsys):
    main = _tool("export_model").main
    assert main([str(tmp_path)]) == 2
    assert "is not a run folder: it has no config.yaml" in capsys.readouterr().err
    cfg = load_config(os.path.join(REPO, "configs/demo/teacher_R50_FPN.yaml"), ["OUTPUT_DIR", str(tmp_path)])
    (tmp_path / "config.yaml").write_text(cfg.dump())
    assert main([str(tmp_path)]) == 2
    assert "no trained weights found" in capsys.readouterr().err


def test_an_export_that_differs_fails_the_check(exported, tmp_path, monkeypatch, capsys):
    import distildoc_d2.export.exporter as exporter

    run, _, _ = exported
    write_onnx = exporter.export_onnx

    def perturbed_onnx(model, image, path):
        with torch.no_grad():
            model.roi_heads.box_predictor.bbox_pred.bias.add_(0.5)
        write_onnx(model, image, path)

    monkeypatch.setattr(exporter, "export_onnx", perturbed_onnx)
    main = _tool("export_model").main
    assert main([str(run), "--formats", "onnx", "--check-pages", "1", "--output", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "  detectron2" in captured.out and ": OK" in captured.out
    assert "MISMATCH" in captured.out and "error: onnx export(s) do not reproduce the eager model" in captured.err


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_onnx_group_norm_keeps_float32_precision(tmp_path):
    torch.manual_seed(0)
    norm = torch.nn.GroupNorm(32, 64).eval()
    pages = torch.randn(1, 64, 300, 200) + 300
    with torch.no_grad():
        expected = torch.nn.functional.group_norm(pages.double(), 32, norm.weight.double(), norm.bias.double())
        np.testing.assert_allclose(AxisWiseGroupNorm(norm)(pages).numpy(), norm(pages).numpy(), atol=1e-4)
    path = str(tmp_path / "group_norm.onnx")
    torch.onnx.export(AxisWiseGroupNorm(norm), (pages,), path, dynamo=False, opset_version=17, input_names=["x"])
    output = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": pages.numpy()})[0]
    assert np.abs(output - expected.numpy()).max() < 2e-4


def test_axis_wise_group_norms_keep_timm_activations():
    """timm's GroupNormAct (the GN of a timm CNN student) applies an activation after the norm: the
    export's axis-wise norm must keep it (a MobileNetV3 student's ONNX program lost every one)."""
    import timm

    from distildoc_d2.backbones.timm_cnn import batchnorm_to_groupnorm
    from distildoc_d2.export.program import with_axis_wise_group_norms

    torch.manual_seed(0)
    net = batchnorm_to_groupnorm(timm.create_model("mobilenetv3_large_100", features_only=True, pretrained=False)).eval()
    assert any(not isinstance(getattr(m, "act", None), (type(None), torch.nn.Identity)) for m in net.modules()
               if isinstance(m, torch.nn.GroupNorm))
    pages = torch.randn(1, 3, 96, 64)
    exported = with_axis_wise_group_norms(net)
    assert not any(isinstance(m, torch.nn.GroupNorm) for m in exported.modules())
    with torch.no_grad():
        for expected, got in zip(net(pages), exported(pages)):
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)
