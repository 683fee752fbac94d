"""Tests of the synthetic document generator (distildoc_d2.data.synthetic)."""
import itertools
import json
import os
import runpy
import sys
import time

import numpy as np
import pytest
from PIL import Image

from distildoc_d2.data.categories import DOCLAYNET_CLASSES, PUBLAYNET_CLASSES, RVL_CDIP_CLASSES
from distildoc_d2.data.synthetic import (
    CLASSIFICATION_TYPES,
    generate_classification_set,
    generate_demo_data,
    generate_layout_split,
    generate_pdfs,
    to_publaynet,
)

PAGE = (256, 331)
NUM_PAGES = 16
SEED = 3
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def layout(module_tmp):
    """(root, json path, coco dict) of 16 small generated pages."""
    root = str(module_tmp("layout"))
    json_path = generate_layout_split(root, "train", NUM_PAGES, SEED, page_size=PAGE, progress=False)
    with open(json_path, encoding="utf-8") as f:
        return root, json_path, json.load(f)


def _gray(root, image):
    return np.asarray(Image.open(os.path.join(root, "images", image["file_name"])).convert("L"), dtype=np.int16)


def _by_image(coco):
    groups = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        groups[ann["image_id"]].append(ann)
    return groups


def test_coco_file_loads_with_pycocotools(layout):
    from pycocotools.coco import COCO

    root, json_path, data = layout
    coco = COCO(json_path)
    assert len(coco.getImgIds()) == NUM_PAGES
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == list(DOCLAYNET_CLASSES)
    assert {c["supercategory"] for c in data["categories"]} == {"layout"}
    assert data["info"]["seed"] == SEED and data["info"]["version"]
    for i, img in enumerate(data["images"]):
        assert img["file_name"] == f"train/page_{i:06d}.png"
        assert (img["width"], img["height"]) == PAGE
        with Image.open(os.path.join(root, "images", img["file_name"])) as im:
            assert im.size == PAGE


def test_boxes_inside_page_with_box_polygons(layout):
    _, _, data = layout
    assert data["annotations"]
    for ann in data["annotations"]:
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0
        assert 0 <= x and 0 <= y and x + w <= PAGE[0] and y + h <= PAGE[1]
        assert ann["segmentation"] == [[x, y, x + w, y, x + w, y + h, x, y + h]]
        assert ann["area"] == pytest.approx(w * h)
        assert ann["iscrowd"] == 0


def test_every_class_appears(layout):
    _, _, data = layout
    assert {ann["category_id"] for ann in data["annotations"]} == set(range(1, len(DOCLAYNET_CLASSES) + 1))


def test_boxes_of_a_page_do_not_overlap(layout):
    _, _, data = layout
    for anns in _by_image(data).values():
        for a, b in itertools.combinations(anns, 2):
            ax, ay, aw, ah = a["bbox"]
            bx, by, bw, bh = b["bbox"]
            overlap_w = min(ax + aw, bx + bw) - max(ax, bx)
            overlap_h = min(ay + ah, by + bh) - max(ay, by)
            assert overlap_w <= 0 or overlap_h <= 0, (a, b)


def test_boxes_are_tight_around_ink(layout):
    """Each box has ink within a pixel of each of its four edges (blur and noise of the scan
    effects allow no stricter test), the 2-pixel ring around it is free of dark ink, and outside
    all boxes the page is nearly blank."""
    root, _, data = layout
    groups = _by_image(data)
    for img in data["images"]:
        gray = _gray(root, img)
        paper = int(np.median(gray))
        covered = np.zeros(gray.shape, dtype=bool)
        for ann in groups[img["id"]]:
            x0, y0, w, h = (int(v) for v in ann["bbox"])
            x1, y1 = x0 + w, y0 + h
            box = gray[y0:y1, x0:x1]
            covered[y0:y1, x0:x1] = True
            for edge in (box[:2, :], box[-2:, :], box[:, :2], box[:, -2:]):
                assert edge.min() < paper - 20, (img["file_name"], ann)
            ring = np.zeros(gray.shape, dtype=bool)
            ring[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2] = True
            ring[y0:y1, x0:x1] = False
            assert (gray[ring] < paper - 128).mean() < 0.02, (img["file_name"], ann)
        assert (gray[~covered] < paper - 128).mean() < 0.02, img["file_name"]


def test_same_seed_same_output_and_other_seed_differs(layout, tmp_path):
    root, json_path, data = layout
    again = generate_layout_split(str(tmp_path / "a"), "train", NUM_PAGES, SEED, page_size=PAGE, progress=False)
    with open(json_path, "rb") as f1, open(again, "rb") as f2:
        assert f1.read() == f2.read()
    for img in data["images"][:4]:
        assert np.array_equal(_gray(root, img), _gray(str(tmp_path / "a"), img))
    other = generate_layout_split(str(tmp_path / "b"), "train", NUM_PAGES, SEED + 1, page_size=PAGE, progress=False)
    with open(other, encoding="utf-8") as f:
        other_data = json.load(f)
    assert other_data["annotations"] != data["annotations"]
    assert not np.array_equal(_gray(root, data["images"][0]), _gray(str(tmp_path / "b"), data["images"][0]))


def test_to_publaynet_keeps_only_its_five_classes(layout):
    _, _, data = layout
    converted = to_publaynet(data)
    assert [c["name"] for c in converted["categories"]] == list(PUBLAYNET_CLASSES)
    assert {ann["category_id"] for ann in converted["annotations"]} <= set(range(1, 6))
    dropped = {DOCLAYNET_CLASSES.index("Page-header") + 1, DOCLAYNET_CLASSES.index("Page-footer") + 1}
    assert len(converted["annotations"]) == sum(a["category_id"] not in dropped for a in data["annotations"])
    names = {c["id"]: c["name"] for c in converted["categories"]}
    pictures = sum(a["category_id"] == DOCLAYNET_CLASSES.index("Picture") + 1 for a in data["annotations"])
    assert sum(names[a["category_id"]] == "figure" for a in converted["annotations"]) == pictures
    assert converted["images"] == data["images"]


def test_classification_set_uses_rvl_cdip_label_ids(tmp_path):
    labels = generate_classification_set(str(tmp_path), 1, SEED, "test", image_size=PAGE, progress=False)
    assert labels == str(tmp_path / "labels" / "test.txt")
    with open(tmp_path / "classes.txt", encoding="utf-8") as f:
        assert f.read().split() == list(RVL_CDIP_CLASSES)
    with open(labels, encoding="utf-8") as f:
        lines = [line.split() for line in f.read().splitlines()]
    assert len(lines) == len(CLASSIFICATION_TYPES) >= 8
    pixels = []
    for path, label in lines:
        name = RVL_CDIP_CLASSES[int(label)]
        assert path == f"images/test/{name}_00000.png"
        with Image.open(tmp_path / path) as im:
            assert im.size == PAGE
            pixels.append(np.asarray(im.convert("L"), dtype=np.float32))
    assert len({RVL_CDIP_CLASSES[int(label)] for _, label in lines}) >= 8
    for a, b in itertools.combinations(pixels, 2):
        assert np.abs(a - b).mean() > 2.0


def test_pdf_opens_with_right_page_count_and_ground_truth(tmp_path):
    from pdf2image import convert_from_path
    from pycocotools.coco import COCO

    paths = generate_pdfs(str(tmp_path), 1, 3, SEED, page_size=PAGE, progress=False)
    assert paths == [str(tmp_path / "doc_000.pdf")]
    pages = convert_from_path(paths[0], dpi=72)
    assert len(pages) == 3
    assert all(page.size == PAGE for page in pages)
    coco = COCO(str(tmp_path / "doc_000.json"))
    assert coco.dataset["info"]["dpi"] == 72
    assert sorted(img["page"] for img in coco.dataset["images"]) == [1, 2, 3]
    assert coco.getAnnIds()
    for ann in coco.dataset["annotations"]:
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= PAGE[0] and y + h <= PAGE[1]


def test_demo_data_is_skipped_when_complete_and_regenerated_when_args_change(tmp_path):
    root = str(tmp_path / "demo")
    args = dict(num_train=2, num_val=1, num_cls_per_class=1, num_pdfs=1, small=True, progress=False)
    first = generate_demo_data(root, seed=0, **args)
    assert first["generated"]
    for key in ("layout_train_json", "layout_val_json", "classification_train", "classification_val",
                "classification_test", "classification_classes", "manifest"):
        assert os.path.isfile(first[key]), key
    assert all(os.path.isfile(p) for p in first["pdfs"] + first["pdf_jsons"])
    start = time.perf_counter()
    second = generate_demo_data(root, seed=0, **args)
    assert not second["generated"]
    assert time.perf_counter() - start < 1.0
    third = generate_demo_data(root, seed=1, **args)
    assert third["generated"]
    with open(third["layout_train_json"], encoding="utf-8") as f:
        assert json.load(f)["info"]["seed"] == 1
    with open(third["manifest"], encoding="utf-8") as f:
        assert json.load(f)["settings"]["seed"] == 1


def test_cli_writes_demo_tree(tmp_path, monkeypatch, capsys):
    """tools/generate_data.py run as a script (in this process, to skip a second torch import)."""
    out = tmp_path / "cli"
    argv = ["tools/generate_data.py", "--out", str(out), "--small", "--num-train", "1", "--num-val", "1",
            "--num-cls-per-class", "1", "--num-pdfs", "1", "--quiet"]
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path("tools/generate_data.py", run_name="__main__")
    assert exit_info.value.code == 0
    assert "pages/s" in capsys.readouterr().out
    assert (out / "layout" / "annotations" / "train.json").is_file()
    assert (out / "classification" / "labels" / "train.txt").is_file()
    assert (out / "pdfs" / "doc_000.pdf").is_file()
