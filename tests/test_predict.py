"""tools/predict.py and LayoutPredictor: per-page JSON and COCO results for a generated PDF that
pycocotools evaluates against its ground truth, clear per-file errors for bad input while the
rest of the batch completes, the Python API, and the reading order."""
import importlib.util
import json
import math
import os

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from distildoc_d2 import load_config
from distildoc_d2.data.synthetic import generate_pdfs
from distildoc_d2.export.compare import compare_predictions
from distildoc_d2.export.exporter import export_model, sample_pages
from distildoc_d2.inference import InputError, LayoutPredictor
from distildoc_d2.inference.inputs import parse_page_ranges, select_pages
from distildoc_d2.inference.reading_order import reading_order

from conftest import REPO, TINY_MODEL, run_tool, write_pdf

SMALL_MODEL = TINY_MODEL + ["MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.RES2_OUT_CHANNELS", "64",
                            "MODEL.FPN.OUT_CHANNELS", "32", "MODEL.RPN.PRE_NMS_TOPK_TEST", "200",
                            "MODEL.RPN.POST_NMS_TOPK_TEST", "50", "TEST.DETECTIONS_PER_IMAGE", "20"]


@pytest.fixture(scope="module")
def export_dir(module_tmp):
    """A randomly initialised small Mask R-CNN exported in every format."""
    torch.manual_seed(0)
    cfg = load_config(os.path.join(REPO, "configs/demo/teacher_R50_FPN.yaml"), SMALL_MODEL)
    folder = module_tmp("export") / "model"
    metadata = export_model(cfg, None, str(folder), pages=sample_pages(1, size=(256, 331)))
    assert all(report["ok"] for report in metadata["checks"].values()), metadata["checks"]
    return str(folder)


@pytest.fixture(scope="module")
def pdf(module_tmp):
    """A generated 3-page PDF (256x331 pt pages) and its COCO ground truth."""
    folder = module_tmp("pdfs")
    path = generate_pdfs(str(folder), num_pdfs=1, pages_per_pdf=3, seed=0, page_size=(256, 331), progress=False)[0]
    return path, path[:-4] + ".json"


def _encrypted_pdf(path):
    """A PDF whose standard security handler rejects the empty password."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + b"41" * 32 + b"> /U <" + b"42" * 32 + b"> /P -4 >>"]
    file_id = b"<00112233445566778899aabbccddeeff>"
    write_pdf(path, objects, trailer=b"/Encrypt 4 0 R /ID [%s %s] " % (file_id, file_id))


def test_pdf_pages_to_json_and_coco_results(export_dir, pdf, tmp_path):
    path, gt = pdf
    out = tmp_path / "out"
    result = run_tool("predict.py", "--model", export_dir, path, "--dpi", "72", "--pages", "1-2,3", "--masks",
                      "--output", out, "--coco-results", out / "coco.json", "--coco-gt", gt)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Wrote 3 page(s)" in result.stdout
    for number in (1, 2, 3):
        page = json.loads((out / f"doc_000_p{number:03d}.json").read_text())
        assert (page["page"], page["num_pages"], page["dpi"]) == (number, 3, 72)
        assert (page["width"], page["height"], page["page_size_pt"]) == (256, 331, [256.0, 331.0])
        assert page["source"] == path and page["regions"]
        assert [r["reading_order"] for r in page["regions"]] == list(range(len(page["regions"])))
        for region in page["regions"]:
            x0, y0, x1, y1 = region["bbox"]
            assert 0 <= x0 <= x1 <= 256 and 0 <= y0 <= y1 <= 331 and 0.05 <= region["score"] <= 1
            assert region["bbox_pt"] == pytest.approx(region["bbox"])
            assert mask_util.decode(region["mask"]).shape == (331, 256)
    coco = COCO(gt)
    detections = coco.loadRes(str(out / "coco.json"))
    assert {d["image_id"] for d in detections.dataset["annotations"]} == {1, 2, 3}
    for iou_type in ("bbox", "segm"):
        evaluation = COCOeval(coco, detections, iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
        assert all(math.isfinite(v) for v in evaluation.stats)


def test_bad_inputs_are_reported_and_the_batch_completes(export_dir, pdf, tmp_path):
    path, _ = pdf
    bad = tmp_path / "in"
    bad.mkdir()
    _encrypted_pdf(bad / "encrypted.pdf")
    data = open(path, "rb").read()
    (bad / "truncated.pdf").write_bytes(data[:len(data) // 2])
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "notes.png").write_text("these are notes, not an image")
    Image.new("RGB", (1, 1), "white").save(bad / "dot.png")
    Image.new("RGB", (1200, 1000), "white").save(bad / "poster.png")
    Image.new("RGB", (100, 100), "white").save(bad / "sheet.pdf", resolution=1.0)
    Image.fromarray(sample_pages(1, size=(256, 331))[0]).save(bad / "good.png")
    out = tmp_path / "out"
    result = run_tool("predict.py", "--model", export_dir, bad, path, tmp_path / "missing.png", "--pages", "1,7",
                      "--dpi", "72", "--max-pixels", "1000000", "--visualize", "--output", out)
    assert result.returncode == 1, result.stderr[-4000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    expected = [
        ("encrypted.pdf: ", "encrypted: it cannot be opened without a password"),
        ("truncated.pdf: ", "truncated"),
        ("empty.pdf: ", "empty (0 bytes)"),
        ("notes.png: ", "cannot be read as an image"),
        ("dot.png: ", "1x1 pixels: too small"),
        ("poster.png: ", "1,200,000 pixels, more than the limit of 1,000,000"),
        ("sheet.pdf page 1: ", "7200x7200 = 51,840,000 pixels, more than the limit"),
        ("sheet.pdf: ", "the PDF has 1 page; page(s) 7 do not exist"),
        ("missing.png: ", "no such file"),
        ("doc_000.pdf: ", "the PDF has 3 pages; page(s) 7 do not exist"),
    ]
    for name, message in expected:
        assert any(name in line and message in line for line in errors), (name, errors)
    assert len(errors) == len(expected), errors
    assert "Traceback" not in result.stderr
    assert json.loads((out / "good.json").read_text())["regions"]
    assert Image.open(out / "good.png").size == (256, 331)
    assert json.loads((out / "doc_000_p001.json").read_text())["page"] == 1
    assert "Wrote 2 page(s)" in result.stdout


def test_python_api(export_dir, pdf):
    path, _ = pdf
    predictor = LayoutPredictor.from_export(export_dir, backend="onnx")
    pages = predictor.predict_pdf(path, dpi=72, pages=[2])
    assert [p["page"] for p in pages] == [2] and pages[0]["regions"]
    assert all(r["category"] == predictor.class_names[r["category_id"]] for r in pages[0]["regions"])
    rgb = sample_pages(1, size=(256, 331))[0]
    from_pil = predictor.predict_image(Image.fromarray(rgb))
    from_bgr = predictor.predict_image(rgb[:, :, ::-1].copy(), channels="BGR")
    assert from_pil == from_bgr and (from_pil["width"], from_pil["height"]) == (256, 331)
    with pytest.raises(InputError, match="too small"):
        predictor.predict_image(np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(InputError, match="page\\(s\\) 9 do not exist"):
        predictor.predict_pdf(path, pages="9")
    single = LayoutPredictor.from_export(export_dir, backend="eager")
    batched = LayoutPredictor.from_export(export_dir, backend="eager", batch_size=2)
    two = [rgb, rgb[::-1].copy()]
    assert compare_predictions(single.predict_images(two), batched.predict_images(two), 0.05, 20)["ok"]


def test_reading_order_follows_columns():
    title = (50, 20, 550, 60)
    left = [(50, 100, 290, 200), (50, 210, 290, 400)]
    right = [(310, 100, 550, 300), (310, 310, 550, 350)]
    figure = (50, 420, 550, 600)
    lower = [(50, 620, 290, 700), (310, 620, 550, 700)]
    footer = (280, 760, 320, 775)
    boxes = [footer, right[1], lower[1], left[1], title, figure, right[0], left[0], lower[0]]
    expected = [title, left[0], left[1], right[0], right[1], figure, lower[0], lower[1], footer]
    ranks = reading_order(boxes)
    assert [boxes[ranks.index(k)] for k in range(len(boxes))] == expected
    single_column = [(50, 300, 550, 400), (50, 100, 200, 120), (50, 130, 550, 280)]
    assert reading_order(single_column) == [2, 0, 1]
    three_columns = [(400, 50, 550, 90), (50, 50, 200, 90), (225, 100, 375, 150), (225, 50, 375, 90),
                     (50, 100, 200, 150)]
    assert reading_order(three_columns) == [4, 0, 3, 2, 1]
    assert reading_order([]) == []


def test_page_ranges():
    assert parse_page_ranges("") is None
    assert parse_page_ranges("1-3, 5,8-") == [(1, 3), (5, 5), (8, None)]
    assert select_pages(parse_page_ranges("2-3,5,8-"), 9) == ([2, 3, 5, 8, 9], [])
    assert select_pages(parse_page_ranges("2,4"), 3) == ([2], [4])
    for text in ("a", "3-1", "0", "1-2-3"):
        with pytest.raises(InputError):
            parse_page_ranges(text)


def test_bad_arguments_exit_2(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("predict_tool", os.path.join(REPO, "tools", "predict.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--model", str(tmp_path), "x.png", "--pages", "2-1"]) == 2
    assert "bad page range '2-1'" in capsys.readouterr().err
    assert tool.main(["--model", str(tmp_path), "--backend", "onnx", "x.png"]) == 2
    assert "is not an export folder" in capsys.readouterr().err
