"""Fast CPU students: box-only (Faster R-CNN) KD students of a Mask R-CNN teacher that train,
export, quantise to int8 and predict; PDF pages rendered at the model's size; page ranges past
a PDF's end; FLOPs with fixed proposals; the benchmark tool; and the clear errors of bad input."""
import importlib.util
import json
import os

import numpy as np
import pytest
import torch
from detectron2.modeling import build_model
from detectron2.structures import Boxes, Instances
from detectron2.utils.events import EventStorage
from PIL import Image

from distildoc_d2 import load_config
from distildoc_d2.data.synthetic import generate_pdfs
from distildoc_d2.errors import ConfigError
from distildoc_d2.evaluation.model_size import count_gflops_fixed
from distildoc_d2.export.exporter import export_model, sample_pages
from distildoc_d2.export.quantize import add_int8, agreement
from distildoc_d2.inference import LayoutPredictor
from distildoc_d2.inference.pdf import page_sizes, render_page
from distildoc_d2.inference.render import RENDERERS, build_renderer, model_pixels

from conftest import REPO, TINY_MODEL, run_tool, write_pdf

BOX_CONFIGS = {method: os.path.join(REPO, f"configs/demo/{method}_R50_to_R18-box.yaml")
               for method in ("feature_mse", "roi_kd", "reviewkd")}
SMALL_HEADS = ["MODEL.RPN.PRE_NMS_TOPK_TEST", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
               "TEST.DETECTIONS_PER_IMAGE", "20", "MODEL.FPN.OUT_CHANNELS", "32"]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def teacher(module_tmp):
    """A small Mask R-CNN teacher (R18, 64-channel FPN): config, random weights, run folder."""
    tmp = module_tmp("teacher")
    config = tmp / "teacher.yaml"
    config.write_text(f'_BASE_: "{REPO}/configs/demo/teacher_R50_FPN.yaml"\n'
                      "MODEL:\n  RESNETS:\n    DEPTH: 18\n    RES2_OUT_CHANNELS: 64\n  FPN:\n    OUT_CHANNELS: 64\n")
    cfg = load_config(str(config), TINY_MODEL + SMALL_HEADS[:6] + ["OUTPUT_DIR", str(tmp / "run")])
    torch.manual_seed(0)
    weights = tmp / "teacher.pth"
    torch.save({"model": build_model(cfg).state_dict()}, weights)
    run = tmp / "run"
    run.mkdir()
    (run / "config.yaml").write_text(cfg.dump())
    torch.save({"model": torch.load(weights)["model"]}, run / "model_final.pth")
    return str(config), str(weights), run


def _batch():
    """Two 128x96 pages with two boxes each and no masks (a box-only student needs none)."""
    g = torch.Generator().manual_seed(0)
    items = []
    for _ in range(2):
        inst = Instances((128, 96))
        inst.gt_boxes = Boxes(torch.tensor([[8.0, 8.0, 88.0, 40.0], [10.0, 60.0, 50.0, 120.0]]))
        inst.gt_classes = torch.tensor([9, 6])
        items.append({"image": torch.rand(3, 128, 96, generator=g) * 255, "instances": inst})
    return items


def _box_cfg(teacher, method, *opts):
    config, weights, _ = teacher
    return load_config(BOX_CONFIGS[method], TINY_MODEL + SMALL_HEADS + [
        "MODEL.DISTILL.TEACHER_CONFIG", config, "MODEL.DISTILL.TEACHER_WEIGHTS", weights, *opts])


@pytest.mark.parametrize("method", ["feature_mse", "roi_kd", "reviewkd"])
def test_box_only_student_distils_from_a_mask_rcnn_teacher(teacher, method):
    cfg = _box_cfg(teacher, method)
    assert not cfg.MODEL.MASK_ON and tuple(cfg.TEST.EVAL_TASKS) == ("bbox",)
    torch.manual_seed(1)
    model = build_model(cfg)
    model.load_teacher()
    model.train()
    assert model.teacher.roi_heads.mask_on and not model.roi_heads.mask_on
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    with EventStorage(0):
        losses = model(_batch())
    assert "loss_mask" not in losses and "loss_cls" in losses
    assert any(key.startswith(f"loss_kd_{method.removesuffix('_kd')}") for key in losses), sorted(losses)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    optimizer.step()


def test_simkd_with_a_box_only_student_is_a_clear_error(teacher):
    cfg = _box_cfg(teacher, "feature_mse", "MODEL.DISTILL.METHODS", "('simkd',)")
    with pytest.raises(ConfigError, match="simkd copies the teacher's RPN and ROI heads.*MASK_ON"):
        build_model(cfg)


@pytest.fixture(scope="module")
def pdfs(module_tmp):
    """A folder with a 3-page and a 1-page generated PDF (256x331 pt pages)."""
    folder = module_tmp("pdfs")
    generate_pdfs(str(folder), num_pdfs=1, pages_per_pdf=3, seed=0, page_size=(256, 331), progress=False)
    short = generate_pdfs(str(folder / "short"), num_pdfs=1, pages_per_pdf=1, seed=1, page_size=(256, 331),
                          progress=False)[0]
    os.replace(short, folder / "short.pdf")
    return folder


@pytest.fixture(scope="module")
def trained_box_student(demo_root, teacher, module_tmp):
    """The box-only feature_mse student trained 2 iterations on the demo pages (tools/train_net.py)."""
    config, weights, _ = teacher
    out = module_tmp("box_student")
    result = run_tool("train_net.py", "--config-file", BOX_CONFIGS["feature_mse"], *TINY_MODEL, *SMALL_HEADS,
                      "MODEL.DISTILL.TEACHER_CONFIG", config, "MODEL.DISTILL.TEACHER_WEIGHTS", weights,
                      "SOLVER.MAX_ITER", "2", "SOLVER.STEPS", "()", "SOLVER.LOG_PERIOD", "1", "OUTPUT_DIR", out,
                      env_root=demo_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def test_box_student_trains_exports_quantises_and_predicts(trained_box_student, demo_root, pdfs, tmp_path):
    run = trained_box_student
    evaluation = json.loads((run / "eval_results.json").read_text())[-1]["results"]
    assert "bbox" in evaluation and "segm" not in evaluation
    export = tmp_path / "export"
    result = run_tool("export_model.py", run, "--output", export, "--int8", "static", "--calibration", pdfs,
                      "--calibration-pages", "3", "--int8-eval-pages", "4", env_root=demo_root)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    metadata = json.loads((export / "metadata.json").read_text())
    assert metadata["mask_on"] is False and metadata["requires_distildoc_d2"] is False
    assert metadata["int8"] == {"mode": "static", "calibration_pages": 3, "op_types": ["Conv", "MatMul", "Gemm"]}
    report = metadata["checks"]["onnx_int8"]
    assert report["ok"] and report["map_fp32"]["pages"] == 4 and report["map_diff"] is not None
    assert "bbox mAP" in result.stdout and result.stdout.count(": OK") == 4
    assert (export / "model.int8.onnx").stat().st_size < (export / "model.onnx").stat().st_size
    out = tmp_path / "layout"
    result = run_tool("predict.py", "--model", export, pdfs, "--precision", "int8", "--threads", "1",
                      "--output", out, "--no-progress")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Wrote 4 page(s)" in result.stdout
    page = json.loads((out / "doc_000_p002.json").read_text())
    assert (page["width"], page["height"]) == (160, 207) and page["dpi"] == pytest.approx(160 * 72 / 256, abs=0.01)
    assert all("mask" not in region for region in page["regions"])
    result = run_tool("predict.py", "--model", export, pdfs, "--masks", "--output", out)
    assert result.returncode == 2 and "box-only" in result.stderr and "--masks" in result.stderr
    with pytest.raises(ConfigError, match="int8 runs on the onnx backend only"):
        LayoutPredictor.from_export(str(export), "torchscript", precision="int8")


@pytest.fixture(scope="module")
def box_export(teacher, module_tmp):
    """A randomly initialised box-only KD student exported as ONNX (no int8 model)."""
    torch.manual_seed(2)
    folder = module_tmp("box_export") / "model"
    metadata = export_model(_box_cfg(teacher, "roi_kd"), None, str(folder), ("detectron2", "onnx"),
                            sample_pages(1, size=(256, 331)))
    assert all(report["ok"] for report in metadata["checks"].values()), metadata["checks"]
    return folder


def test_int8_errors_are_clear(box_export, tmp_path, capsys):
    with pytest.raises(ConfigError, match="holds no int8 model"):
        LayoutPredictor.from_export(str(box_export), "onnx", precision="int8")
    with pytest.raises(ConfigError, match="calibration set is empty"):
        add_int8(str(box_export), "static", [], progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    main = _tool("export_model").main
    run = tmp_path / "run"
    run.mkdir()
    common = ["--random-init", "--output", str(tmp_path / "out"), "--formats", "onnx"]
    config = os.path.join(REPO, "configs/demo/supervised_R18_FPN-box.yaml")
    assert main([config, *common, "--int8", "static", "--calibration", str(empty)]) == 2
    assert "the folder holds no images or PDFs" in capsys.readouterr().err
    (empty / "notes.png").write_text("not an image")
    assert main([config, *common, "--int8", "static", "--calibration", str(empty)]) == 2
    assert "notes.png: cannot be read as an image" in capsys.readouterr().err
    assert main([config, *common, "--int8", "static"]) == 2
    assert "--int8 static needs --calibration" in capsys.readouterr().err
    predict = _tool("predict").main
    assert predict(["--model", str(box_export), "--backend", "eager", "--precision", "int8", "x.png"]) == 2
    assert "int8 runs on the onnx backend only" in capsys.readouterr().err


def test_int8_dynamic_and_agreement(box_export, tmp_path):
    pages = sample_pages(2, size=(256, 331))
    report = add_int8(str(box_export), "dynamic", None, pages, progress=False)
    assert report["pages"] == 2 and "map_diff" not in report
    int8 = LayoutPredictor.from_export(str(box_export), "onnx", precision="int8")
    assert int8.predict_images(pages[:1])[0]["width"] == 256

    def page(*boxes):
        return {"regions": [{"category_id": c, "score": s, "bbox": b} for c, s, b in boxes]}

    reference = [page((1, 0.9, [0, 0, 10, 10]), (2, 0.8, [20, 20, 40, 40]), (3, 0.1, [0, 0, 5, 5]))]
    assert agreement(reference, [page((1, 0.5, [0, 0, 10, 11]), (2, 0.8, [30, 30, 50, 50]))]) == (1, 2)
    assert agreement(reference, reference) == (2, 2)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_renderer_gives_pages_at_the_requested_size(renderer, pdfs, tmp_path):
    render = build_renderer(renderer)
    path = str(pdfs / "doc_000.pdf")
    sizes = page_sizes(path)
    resize = {"min_size": 160, "max_size": 224}
    targets = [model_pixels(size, resize) for size in sizes]
    assert targets == [(160, 207)] * 3
    for image, (width, height) in zip(render.render(path, [1, 2, 3], targets, sizes), targets):
        assert image.dtype == np.uint8 and abs(image.shape[1] - width) <= 1 and abs(image.shape[0] - height) <= 1
        assert image.mean() > 100  # a white page with dark text, not a blank or black bitmap
    poster = tmp_path / "poster.pdf"
    Image.new("RGB", (100, 70), "white").save(poster, resolution=1.0)  # 7200 x 5040 pt
    poster_size = page_sizes(str(poster))
    target = model_pixels(poster_size[0], resize)
    assert target == (224, 157)
    image = render.render(str(poster), [1], [target], poster_size)[0]
    assert abs(image.shape[1] - 224) <= 1 and abs(image.shape[0] - 157) <= 1


def _cropped_pdf(path):
    """A 200x100 pt page (media box) whose crop box is its right half; black fills the left half."""
    content = b"0 g 0 0 100 100 re f"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /CropBox [100 0 200 100] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)]
    return write_pdf(path, objects)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_crop_box_is_rendered_at_the_size_pdfinfo_reports(renderer, tmp_path):
    path = _cropped_pdf(tmp_path / "cropped.pdf")
    assert page_sizes(path) == [(100.0, 100.0)]
    image = build_renderer(renderer).render(path, [1], [(100, 100)], page_sizes(path))[0]
    assert abs(image.shape[0] - 100) <= 1 and abs(image.shape[1] - 100) <= 1
    assert image.min() > 200  # the black half lies outside the crop box
    assert render_page(path, 1, 72).min() > 200


def test_page_ranges_past_the_end_and_huge_pages(box_export, pdfs, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("doc_000.pdf", "short.pdf"):
        (folder / name).write_bytes((pdfs / name).read_bytes())
    Image.new("RGB", (100, 100), "white").save(folder / "sheet.pdf", resolution=1.0)  # 7200 x 7200 pt
    out = tmp_path / "out"
    result = run_tool("predict.py", "--model", box_export, folder, "--pages", "1-2", "--renderer", "pypdfium2",
                      "--output", out, "--no-progress", "--max-pixels", "1000000")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Wrote 4 page(s)" in result.stdout and "error" not in result.stderr
    assert sorted(p.name for p in out.glob("*.json")) == ["doc_000_p001.json", "doc_000_p002.json",
                                                          "sheet_p001.json", "short_p001.json"]
    sheet = json.loads((out / "sheet_p001.json").read_text())
    assert (sheet["width"], sheet["height"]) == (160, 160) and sheet["page_size_pt"] == [7200.0, 7200.0]
    result = run_tool("predict.py", "--model", box_export, folder / "short.pdf", "--pages", "3-4", "--output", out,
                      "--no-progress", "--prefetch", "0")
    assert result.returncode == 1 and "the PDF has 1 page; page(s) 3 do not exist" in result.stderr
    predictor = LayoutPredictor.from_export(str(box_export), "onnx", renderer="pypdfium2")
    pages = predictor.predict_pdf(str(folder / "doc_000.pdf"), pages="2-9")
    assert [p["page"] for p in pages] == [2, 3] and pages[0]["width"] == 160


def test_flops_do_not_depend_on_detections(teacher):
    cfg = _box_cfg(teacher, "feature_mse")
    counts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        counts.append(count_gflops_fixed(build_model(cfg).eval(), 207, 160))
    assert counts[0] == pytest.approx(counts[1]) and counts[0] > 0
    model = build_model(cfg).eval()
    assert count_gflops_fixed(model, 207, 160, proposals=100) > count_gflops_fixed(model, 207, 160, proposals=10)
    teacher_cfg = load_config(teacher[0], TINY_MODEL)
    mask_model = build_model(teacher_cfg).eval()
    assert (count_gflops_fixed(mask_model, 207, 160, 50, detections=20)
            > count_gflops_fixed(mask_model, 207, 160, 50, detections=5))


def test_benchmark_prints_one_table(teacher, trained_box_student, demo_root, pdfs, tmp_path):
    _, _, teacher_run = teacher
    output = tmp_path / "benchmark.json"
    result = run_tool("benchmark.py", "--teacher", teacher_run, "--student", trained_box_student,
                      "--pdfs", pdfs / "short.pdf", "--val", "distildoc_demo_val", "--val-pages", "2",
                      "--calibration-pages", "1", "--threads", "1", "--output", output, "--no-progress",
                      env_root=demo_root)
    assert result.returncode == 0, result.stderr[-4000:]
    rows = json.loads(output.read_text())["rows"]
    assert [(r["role"], r["backend"]) for r in rows] == [
        (role, backend) for role in ("teacher", "student") for backend in ("eager", "torchscript", "onnx", "onnx-int8")]
    for row in rows:
        assert row["pages"] == 1 and row["pages_per_s"] > 0 and row["pages"] == 1 and row["AP"] is not None
        assert row["gflops"] > 0 and row["params_m"] > 0
    teacher_rows = [r for r in rows if r["role"] == "teacher"]
    assert all(r["speed_vs_teacher"] == 1.0 for r in teacher_rows)
    student = rows[-1]
    assert student["mask_on"] is False and student["flops_proposals"] == 50
    assert student["params_m"] < teacher_rows[0]["params_m"]
    assert "| model" in result.stdout and "pages/s x teacher" in result.stdout


def test_benchmark_times_a_randomly_initialised_reference(trained_box_student, demo_root, pdfs, tmp_path):
    reference = "configs/demo/teacher_R50_FPN.yaml"
    output = tmp_path / "benchmark.json"
    common = ["--pdfs", pdfs / "short.pdf", "--val", "distildoc_demo_val", "--val-pages", "2", "--backends", "eager",
              "--threads", "1", "--output", output, "--no-progress", "TEST.DETECTIONS_PER_IMAGE", "30"]
    result = run_tool("benchmark.py", "--teacher", reference, "--random-init", reference,
                      "--student", trained_box_student, *common, env_root=demo_root)
    assert result.returncode == 0, result.stderr[-4000:]
    teacher, student = json.loads(output.read_text())["rows"]
    assert teacher["random_init"] and teacher["weights"] is None and teacher["AP"] is None
    assert teacher["model"] == "teacher_R50_FPN (random weights)" and teacher["pages_per_s"] > 0
    assert teacher["flops_detections"] == 30
    assert not student["random_init"] and student["AP"] is not None
    assert student["map_vs_teacher"] is None and student["speed_vs_teacher"] > 0
    assert "teacher_R50_FPN (random weights)" in result.stdout

    result = run_tool("benchmark.py", "--teacher", trained_box_student, "--random-init", reference, *common,
                      env_root=demo_root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--random-init {reference}: not one of the --teacher / --student models" in result.stderr


def test_benchmark_table_marks_a_failed_export_check():
    benchmark = _tool("benchmark")
    row = {"model": "student", "params_m": 4.8, "gflops": 1.8, "AP": 0.2, "AP50": 0.5, "map_vs_teacher": 0.01,
           "pages_per_s": 6.6, "speed_vs_teacher": 4.4,
           "export_checks_ok": {"detectron2": True, "torchscript": True, "onnx": False, "onnx_int8": True}}
    table = benchmark.markdown_table([dict(row, backend=b) for b in ("eager", "torchscript", "onnx", "onnx-int8")])
    lines = table.splitlines()[2:]
    assert ["FAILED" in line for line in lines] == [False, False, True, True]
