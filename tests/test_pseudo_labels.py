"""Distillation on unlabelled pages: data named in the config (coco:, pages:), pseudo-labels
from a teacher (run, export or a results file), training on labelled + pseudo-labelled +
unlabelled pages, and the comparison reading such runs."""
import json
import os

import pytest
import torch
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.modeling import build_model
from detectron2.utils.events import EventStorage

from distildoc_d2 import load_config, validate_layout_config
from distildoc_d2.data.split import split_labelled
from distildoc_d2.data.training_mix import (class_repeat_factors, repeat_factors, training_pages_and_sampler,
                                            training_sets)
from distildoc_d2.errors import ConfigError, DatasetError
from distildoc_d2.pseudo_labels import ClassMap, Page, ScoreThresholds
from distildoc_d2.pseudo_labels.calibration import calibrate_thresholds
from distildoc_d2.pseudo_labels.report import match_page

from conftest import REPO, TINY_MODEL, run_tool

TEACHER_CFG = os.path.join(REPO, "configs/demo/teacher_R50_FPN.yaml")
KD_CFG = os.path.join(REPO, "configs/demo/feature_mse+roi_kd_R50_to_R18.yaml")


def _layout(demo_root):
    return demo_root / "demo" / "layout"


def _coco(demo_root, split):
    layout = _layout(demo_root)
    return f"coco:{layout / 'annotations' / (split + '.json')}:{layout / 'images'}"


# --- class maps, thresholds, matching -------------------------------------------------------

def test_class_map_matches_names_loosely_and_by_file(tmp_path):
    names = ClassMap(["section_header", "TEXT", "Page-footer"], ["Text", "Section-header", "Page-footer"])
    assert names("section_header") == "Section-header" and names("TEXT") == "Text"
    with pytest.raises(ConfigError, match=r"\['figure', 'list'\] match none"):
        ClassMap(["text", "figure", "list"], ["Text", "Picture", "List-item"])
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"figure": "Picture", "list": None}))
    mapped = ClassMap.from_file(str(mapping), ["text", "figure", "list"], ["Text", "Picture", "List-item"])
    assert (mapped("text"), mapped("figure"), mapped("list")) == ("Text", "Picture", None)
    mapping.write_text(json.dumps({"figure": "Image"}))
    with pytest.raises(ConfigError, match="Image"):
        ClassMap.from_file(str(mapping), ["text", "figure"], ["Text", "Picture"])


def test_score_thresholds_per_class():
    thresholds = ScoreThresholds(0.5, ScoreThresholds.parse(["Table=0.8"]), ["Text", "Table"])
    assert thresholds.keeps("Text", 0.5) and not thresholds.keeps("Table", 0.7) and thresholds.keeps("Table", 0.8)
    assert thresholds.keeps("Table", None)  # a teacher without scores
    with pytest.raises(ConfigError, match="CLASS=VALUE"):
        ScoreThresholds.parse(["Table:0.8"])
    with pytest.raises(ConfigError, match="not a student class"):
        ScoreThresholds(0.5, {"Figure": 0.3}, ["Text", "Table"])


def test_precision_recall_matching_on_known_boxes():
    truth = [("Text", [0, 0, 10, 10]), ("Text", [20, 0, 30, 10]), ("Table", [0, 20, 10, 30])]
    labels = [{"category": "Text", "bbox": [0, 0, 10, 10], "score": 0.9},     # match
              {"category": "Text", "bbox": [1, 0, 11, 10], "score": 0.8},     # duplicate: no second match
              {"category": "Table", "bbox": [20, 0, 30, 10], "score": 0.7},   # wrong class at a Text box
              {"category": "Table", "bbox": [0, 22, 10, 32], "score": 0.6}]   # IoU 0.67 with the Table
    tp, n_labels, n_truth = match_page(labels, truth)
    assert (tp["Text"], n_labels["Text"], n_truth["Text"]) == (1, 2, 2)
    assert (tp["Table"], n_labels["Table"], n_truth["Table"]) == (1, 2, 1)


def test_ground_truth_found_by_file_name_and_unambiguous_base_name(tmp_path):
    from distildoc_d2.pseudo_labels.run import _TruthByFile
    truth = {"images": [{"id": 1, "file_name": "a/page.png"}, {"id": 2, "file_name": "b/page.png"},
                        {"id": 3, "file_name": "c/other.png"}],
             "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 5]}],
             "categories": [{"id": 1, "name": "text"}]}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    truth_of = _TruthByFile(str(tmp_path / "truth.json"), ["Text"])
    page = Page(name="p", source="/x/b/page.png", load=lambda: None, file_name="b/page.png")
    assert truth_of(page) == [("Text", [0, 0, 10, 5])]                # the json's own file_name
    assert truth_of(Page(name="o", source="/y/other.png", load=lambda: None)) == []   # one image has that base name
    assert truth_of(Page(name="n", source="/y/new.png", load=lambda: None)) is None   # not in the json
    with pytest.raises(DatasetError, match="page.png matches 2 images by base name"):
        truth_of(Page(name="q", source="/z/page.png", load=lambda: None))


def _page(name, truth):
    return Page(name=name, source=f"{name}.png", load=lambda: None, ground_truth=truth)


def test_calibrated_thresholds_maximise_each_class_f1():
    pages = [_page("a", [("text", [0, 0, 10, 10]), ("Text", [20, 0, 30, 10]), ("Table", [0, 20, 10, 30])]),
             _page("b", [("Footnote", [0, 40, 10, 50]), ("Caption", [0, 60, 10, 70])])]
    found = {"a.png": [{"category": "text", "bbox": [0, 0, 10, 10], "score": 0.9},
                       {"category": "text", "bbox": [50, 50, 60, 60], "score": 0.6},     # a false positive
                       {"category": "text", "bbox": [20, 0, 30, 10], "score": 0.3},
                       {"category": "table", "bbox": [0, 20, 10, 30], "score": 0.15},
                       {"category": "figure", "bbox": [40, 0, 50, 10], "score": 0.8}],   # no true Picture
             "b.png": [{"category": "caption", "bbox": [0, 60, 10, 70], "score": 0.02}]}  # below the grid
    class_map = ClassMap(["text", "table", "figure", "caption", "footnote"],
                         ["Text", "Table", "Picture", "Caption", "Footnote"], {"figure": "Picture"})
    calibration = calibrate_thresholds(pages, lambda page: found[page.source], class_map,
                                       ["Text", "Table", "Picture", "Caption", "Footnote"], progress=False)
    # Text: F1 = 2*2/(3+2) = 0.8 at the six grid values 0.05..0.3 (the lower middle, 0.15, is chosen),
    # 0.5 from 0.35 to 0.6, 0.67 above; Table: F1 = 1 at 0.05, 0.1 and 0.15 (the middle: 0.1)
    assert calibration.thresholds == {"Text": 0.15, "Table": 0.1}
    text = calibration.rows["Text"]
    assert (text["precision"], text["recall"], text["ground_truth"]) == (pytest.approx(2 / 3), 1.0, 2)
    assert text["f1"] == pytest.approx(0.8)
    assert "Text" in calibration.format() and calibration.as_dict()["pages"] == 2
    with pytest.raises(DatasetError, match="without scores"):
        calibrate_thresholds(pages, lambda page: [dict(r, score=None) for r in found[page.source]], class_map,
                             ["Text", "Table", "Picture", "Caption", "Footnote"], progress=False)
    with pytest.raises(DatasetError, match="labelled pages"):
        calibrate_thresholds([_page("c", None)], lambda page: [], class_map, ["Text"], progress=False)


# --- data named in the config ---------------------------------------------------------------

def test_split_keeps_labels_apart(demo_root, tmp_path):
    labelled, unlabelled, truth = split_labelled(str(_layout(demo_root) / "annotations" / "train.json"), 3, tmp_path)
    parts = [json.loads(open(p).read()) for p in (labelled, unlabelled, truth)]
    full = json.loads((_layout(demo_root) / "annotations" / "train.json").read_text())
    assert len(parts[0]["images"]) == 3 and len(parts[1]["images"]) == len(full["images"]) - 3
    assert parts[1]["annotations"] == [] and parts[2]["images"] == parts[1]["images"]
    assert len(parts[0]["annotations"]) + len(parts[2]["annotations"]) == len(full["annotations"])
    assert {a["image_id"] for a in parts[0]["annotations"]} <= {im["id"] for im in parts[0]["images"]}
    with pytest.raises(DatasetError, match="between 1 and"):
        split_labelled(str(_layout(demo_root) / "annotations" / "train.json"), 0, tmp_path)


def test_coco_and_pages_specs_in_the_config(demo_root, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILDOC_DATASETS", str(tmp_path))  # where PDF pages are cached
    images = _layout(demo_root) / "images"
    cfg = load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu", "DATASETS.TRAIN", f"('{_coco(demo_root, 'train')}', 'pages:{images}/val')",
                                    "DATASETS.TEST", f"('{_coco(demo_root, 'val')}',)"])
    cfg.MODEL.META_ARCHITECTURE = "DistillationRCNN"
    validate_layout_config(cfg)
    train = DatasetCatalog.get(cfg.DATASETS.TRAIN[0])
    assert train and all("annotations" in r for r in train)
    assert MetadataCatalog.get(cfg.DATASETS.TRAIN[0]).thing_classes == MetadataCatalog.get("distildoc_demo_train").thing_classes
    pages = DatasetCatalog.get(cfg.DATASETS.TRAIN[1])
    assert len(pages) == len(list((images / "val").glob("*.png"))) and not any("annotations" in r for r in pages)
    pdf = next((demo_root / "demo" / "pdfs").glob("*.pdf"))
    cfg.DATASETS.TRAIN = (f"pages:{pdf}",)
    validate_layout_config(cfg)
    rendered = DatasetCatalog.get(cfg.DATASETS.TRAIN[0])
    assert len(rendered) == len(json.loads(pdf.with_suffix(".json").read_text())["images"])
    assert all(r["file_name"].startswith(str(tmp_path / ".page_cache")) for r in rendered)
    assert rendered[0]["width"] == 2 * 256  # a 256 pt wide page at DATASETS.PDF_DPI 144


@pytest.mark.parametrize("overrides, message", [
    (["DATASETS.TEST", "('pages:{images}',)"], "cannot be evaluated"),
    (["DATASETS.TRAIN", "('pages:{images}',)"], "only a DistillationRCNN"),
    (["DATASETS.TRAIN", "('coco:{images}/missing.json',)"], "does not exist"),
    (["DATASETS.TRAIN", "('coco:{images}',)"], "expected coco:PATH.json"),
    (["DATASETS.TRAIN_RATIOS", "(1.0, 2.0)"], "one positive weight per"),
])
def test_bad_data_specs_are_clear_errors(demo_root, overrides, message):
    overrides = [o.format(images=_layout(demo_root) / "images") for o in overrides]
    with pytest.raises(ConfigError, match=message):
        validate_layout_config(load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu"] + overrides))


def test_coco_set_with_other_classes_is_refused(demo_root, tmp_path):
    data = json.loads((_layout(demo_root) / "annotations" / "val.json").read_text())
    data["categories"] = [dict(c, name=c["name"].upper()) for c in data["categories"]]
    (tmp_path / "other.json").write_text(json.dumps(data))
    cfg = load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu", "DATASETS.TRAIN", f"('coco:{tmp_path / 'other.json'}:{_layout(demo_root) / 'images'}',)"])
    validate_layout_config(cfg)  # registered with the run's classes; the loader then names the bad category
    with pytest.raises(DatasetError, match="is not one of the expected classes"):
        DatasetCatalog.get(cfg.DATASETS.TRAIN[0])


def test_a_tool_registers_a_coco_test_set_with_the_runs_classes(demo_root, tmp_path):
    from distildoc_d2.data.specs import register_coco_for_run
    from distildoc_d2.evaluation.predictor_map import dataset_pages

    data = json.loads((_layout(demo_root) / "annotations" / "val.json").read_text())
    data["categories"] = data["categories"][::-1]  # same names, other order: the run's order must win
    (tmp_path / "reversed.json").write_text(json.dumps(data))
    spec = f"coco:{tmp_path / 'reversed.json'}:{_layout(demo_root) / 'images'}"
    cfg = load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu", "DATASETS.TEST", f"('{spec}',)"])
    assert spec not in DatasetCatalog.keys()
    register_coco_for_run(spec, cfg)
    run_classes = MetadataCatalog.get("distildoc_demo_train").thing_classes
    assert MetadataCatalog.get(spec).thing_classes == run_classes
    records = dataset_pages(spec, 3)
    by_id = {c["id"]: c["name"] for c in data["categories"]}
    first = data["annotations"][0]
    page = next(r for r in records if r["image_id"] == first["image_id"])
    assert run_classes[page["annotations"][0]["category_id"]] == by_id[first["category_id"]]
    with pytest.raises(ConfigError, match="missing.json does not exist"):
        register_coco_for_run(f"coco:{tmp_path / 'missing.json'}", cfg)


def test_rare_class_pages_are_repeated():
    text, table = {"category_id": 0}, {"category_id": 1}
    records = [{"annotations": [text]}] * 3 + [{"annotations": [text, table]}, {"file_name": "unlabelled.png"}]
    factors = class_repeat_factors(records, 0.5)  # f(Text) = 1, f(Table) = 1/4: sqrt(0.5 / 0.25)
    assert factors.tolist() == pytest.approx([1.0, 1.0, 1.0, 2 ** 0.5, 1.0])
    assert class_repeat_factors(records, 0.5, sqrt=False).tolist() == pytest.approx([1, 1, 1, 2, 1])


def test_the_configured_sampler_is_used_or_refused(demo_root):
    cfg = load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu", "DATALOADER.SAMPLER_TRAIN", "RepeatFactorTrainingSampler",
                                    "DATALOADER.REPEAT_THRESHOLD", "0.9"])
    validate_layout_config(cfg)
    records, sampler = training_pages_and_sampler(cfg, live_teacher=False)
    expected = class_repeat_factors(records, 0.9)
    assert expected.max() > 1  # some demo classes are on fewer than 90% of the pages
    assert torch.allclose(sampler._int_part + sampler._frac_part, expected)
    cfg = load_config(TEACHER_CFG, ["MODEL.DEVICE", "cpu", "DATALOADER.SAMPLER_TRAIN", "WeightedTrainingSampler"])
    with pytest.raises(ConfigError, match="DATALOADER.SAMPLER_TRAIN is 'WeightedTrainingSampler'"):
        validate_layout_config(cfg)


def test_repeat_factors_follow_the_ratios():
    factors = repeat_factors([2, 8], [1.0, 1.0])
    assert factors.tolist() == [4.0, 4.0] + [1.0] * 8  # each set is half of what is drawn
    assert (factors[:2].sum() / factors.sum()).item() == pytest.approx(0.5)
    factors = repeat_factors([2, 8], [1.0, 3.0])
    assert (factors[:2].sum() / factors.sum()).item() == pytest.approx(0.25)


# --- pseudo-labels ----------------------------------------------------------------------------

def _perfect_results(json_file, path, drop_image=None):
    """A COCO results file that is the ground truth itself (a perfect black-box teacher)."""
    data = json.loads(open(json_file).read())
    results = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 0.9}
               for a in data["annotations"] if a["image_id"] != drop_image]
    path.write_text(json.dumps(results))
    return path


def test_results_teacher_reproduces_the_ground_truth(demo_root, tmp_path):
    val = _layout(demo_root) / "annotations" / "val.json"
    results = _perfect_results(val, tmp_path / "results.json")
    out = tmp_path / "pseudo"
    run = run_tool("pseudo_label.py", "--teacher", f"results:{results}", _coco(demo_root, "val"),
                   "--output", out, "--quiet")
    assert run.returncode == 0, run.stderr
    assert "precision@0.5" in run.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["against_ground_truth"]["precision"] == 1.0 and report["against_ground_truth"]["recall"] == 1.0
    written = json.loads((out / "annotations.json").read_text())
    truth = json.loads(val.read_text())
    assert len(written["annotations"]) == len(truth["annotations"])
    assert all(a["score"] == 0.9 for a in written["annotations"])
    assert written["info"]["pseudo_labels"]["teacher"]["kind"] == "results"
    assert sorted(f"images/{f}" for f in os.listdir(out / "images")) == sorted(im["file_name"] for im in written["images"])


def test_thresholds_calibrated_on_labelled_pages(demo_root, tmp_path):
    val = _layout(demo_root) / "annotations" / "val.json"
    results = json.loads(_perfect_results(val, tmp_path / "r.json").read_text())
    text = [c["id"] for c in json.loads(val.read_text())["categories"] if c["name"] == "Text"][0]
    for r in results:
        if r["category_id"] == text:
            r["score"] = 0.35
    (tmp_path / "r.json").write_text(json.dumps(results))
    out = tmp_path / "pseudo"
    run = run_tool("pseudo_label.py", "--teacher", f"results:{tmp_path / 'r.json'}", _coco(demo_root, "val"),
                   "--calibrate-on", _coco(demo_root, "val"), "--class-threshold", "Title=0.95",
                   "--output", out, "--quiet")
    assert run.returncode == 0, run.stderr
    assert "calibrated on" in run.stdout
    report = json.loads((out / "report.json").read_text())
    # every Text box is right and scores 0.35: F1 is 1 at the seven grid values 0.05..0.35; the middle is 0.2
    assert report["calibration"]["per_class"]["Text"]["threshold"] == 0.2
    assert report["against_ground_truth"]["recall"] < 1.0  # the explicit Title=0.95 drops every Title
    per_class = json.loads((out / "annotations.json").read_text())["info"]["pseudo_labels"]["thresholds"]["per_class"]
    assert per_class["Text"] == 0.2 and per_class["Title"] == 0.95
    written = json.loads((out / "annotations.json").read_text())
    assert any(a["category_id"] == text for a in written["annotations"])  # kept at the default 0.5 they would go
    run = run_tool("pseudo_label.py", "--teacher", f"results:{tmp_path / 'r.json'}", _coco(demo_root, "val"),
                   "--calibrate-on", str(tmp_path / "missing.json"), "--output", tmp_path / "out2", "--quiet")
    assert run.returncode == 2 and "--calibrate-on" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out2").exists()


def test_bad_pseudo_label_sources_are_one_error_line(demo_root, tmp_path):
    val = _layout(demo_root) / "annotations" / "val.json"
    results = json.loads(_perfect_results(val, tmp_path / "r.json").read_text())
    results[0]["image_id"] = 999
    (tmp_path / "stray.json").write_text(json.dumps(results))
    cases = [
        (["--teacher", f"results:{tmp_path / 'stray.json'}", _coco(demo_root, "val")], "image_id 999"),
        (["--teacher", f"results:{tmp_path / 'r.json'}", _coco(demo_root, "val"), "--classes", "publaynet"],
         "match none of the student's classes"),
        (["--teacher", f"results:{tmp_path / 'r.json'}", str(tmp_path / "nothing-here")], "no such file"),
    ]
    for args, message in cases:
        run = run_tool("pseudo_label.py", *args, "--output", tmp_path / "out", "--quiet")
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert message in run.stderr and "Traceback" not in run.stderr
        assert not (tmp_path / "out").exists() and not list(tmp_path.glob("out.partial*"))
    (tmp_path / "out").mkdir()
    run = run_tool("pseudo_label.py", "--teacher", f"results:{tmp_path / 'r.json'}", _coco(demo_root, "val"),
                   "--output", tmp_path / "out", "--quiet")
    assert run.returncode == 2 and "--overwrite" in run.stderr


@pytest.fixture(scope="module")
def random_teacher_run(demo_root, module_tmp):
    """A run folder (config.yaml + model_final.pth) of a randomly initialised teacher."""
    folder = module_tmp("teacher_run")
    cfg = load_config(TEACHER_CFG, TINY_MODEL + ["MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0"])
    torch.manual_seed(0)
    torch.save({"model": build_model(cfg).state_dict()}, folder / "model_final.pth")
    (folder / "config.yaml").write_text(cfg.dump())
    return folder


@pytest.fixture(scope="module")
def pseudo_set(demo_root, random_teacher_run, module_tmp):
    """The demo training pages split 3 labelled / rest unlabelled, pseudo-labelled by the random teacher."""
    split = module_tmp("split")
    split_labelled(str(_layout(demo_root) / "annotations" / "train.json"), 3, split)
    out = split / "pseudo"
    run = run_tool("pseudo_label.py", "--teacher", f"run:{random_teacher_run}",
                   f"coco:{split / 'unlabelled.json'}:{_layout(demo_root) / 'images'}",
                   "--ground-truth", split / "unlabelled_truth.json", "--score-threshold", "0.0",
                   "--class-threshold", "Text=1.0", "--output", out, "--quiet", env_root=demo_root)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return split, out, run


def test_run_teacher_writes_a_scored_pseudo_labelled_set(pseudo_set):
    split, out, run = pseudo_set
    data = json.loads((out / "annotations.json").read_text())
    unlabelled = json.loads((split / "unlabelled.json").read_text())
    assert len(data["images"]) == len(unlabelled["images"])
    assert data["annotations"], "a random teacher at threshold 0 still gives boxes"
    text = [c["id"] for c in data["categories"] if c["name"] == "Text"][0]
    assert not any(a["category_id"] == text for a in data["annotations"])  # Text needs score 1.0
    assert all(0.0 <= a["score"] <= 1.0 for a in data["annotations"])
    report = json.loads((out / "report.json").read_text())
    assert report["per_class"]["Text"]["kept"] == 0
    assert sum(c["kept"] for c in report["per_class"].values()) == len(data["annotations"])
    assert sum(sum(c["score_histogram"]) for c in report["per_class"].values()) == \
        len(data["annotations"]) + sum(c["below_threshold"] for c in report["per_class"].values())
    assert "recall" in report["against_ground_truth"] and report["pages_per_second"] > 0


def test_mixed_batch_gives_detection_losses_on_labelled_pages_and_kd_on_all(demo_root, random_teacher_run, tmp_path):
    from detectron2.data import DatasetMapper

    cfg = load_config(KD_CFG, TINY_MODEL + ["MODEL.DISTILL.TEACHER_WEIGHTS", str(random_teacher_run / "model_final.pth")])
    model = build_model(cfg)
    model.load_teacher()
    model.train()
    mapper = DatasetMapper(cfg, is_train=True)
    labelled = mapper(dict(DatasetCatalog.get("distildoc_demo_train")[0]))
    unlabelled = dict(DatasetCatalog.get("distildoc_demo_train")[1])
    unlabelled.pop("annotations")
    unlabelled = mapper(unlabelled)
    assert "instances" not in unlabelled
    with EventStorage(0):
        mixed = model([labelled, unlabelled])
        only_unlabelled = model([unlabelled, unlabelled])
    assert {"loss_cls", "loss_rpn_cls", "loss_mask", "loss_kd_feature_mse", "loss_kd_roi_cls"} <= set(mixed)
    assert set(only_unlabelled) == set(mixed)
    assert only_unlabelled["loss_kd_feature_mse"] > 0
    assert all(only_unlabelled[k] == 0 for k in ("loss_cls", "loss_rpn_cls", "loss_kd_roi_cls"))
    sum(only_unlabelled.values()).backward()  # the zero terms keep a graph: DDP sees the same parameters
    assert model._recorded == {}


def test_training_on_labelled_pseudo_and_unlabelled_pages(demo_root, random_teacher_run, pseudo_set, tmp_path):
    split, out, _ = pseudo_set
    images = _layout(demo_root) / "images"
    train = (f"('coco:{split / 'labelled.json'}:{images}', 'coco:{out / 'annotations.json'}', "
             f"'pages:{images}/val/*.png')")
    overrides = TINY_MODEL + ["MODEL.DISTILL.TEACHER_WEIGHTS", str(random_teacher_run / "model_final.pth"),
                              "DATASETS.TRAIN", train, "DATASETS.TRAIN_RATIOS", "(1.0, 1.0, 0.5)"]
    cfg = load_config(KD_CFG, overrides)
    validate_layout_config(cfg)
    sets = training_sets(cfg, live_teacher=True)
    assert [len(s) for _, s in sets][0] == 3
    pseudo = json.loads((out / "annotations.json").read_text())
    assert len(sets[1][1]) == len(pseudo["images"])  # pages without labels stay, for feature KD
    without_teacher = cfg.clone()
    without_teacher.DATASETS.TRAIN = cfg.DATASETS.TRAIN[:2]
    labelled_pages = len({a["image_id"] for a in pseudo["annotations"]})
    assert len(training_sets(without_teacher, live_teacher=False)[1][1]) == labelled_pages
    run = run_tool("train_net.py", "--config-file", KD_CFG, *overrides, "SOLVER.MAX_ITER", "3",
                   "SOLVER.LOG_PERIOD", "1", "OUTPUT_DIR", tmp_path / "run", env_root=demo_root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "Sampling ratios" in log and "pseudo-labelled" in log
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.json").read_text().splitlines()]
    assert any("loss_kd_feature_mse" in m for m in metrics)
    # a plain student (the black-box case) trains on the pseudo-labelled set too; evaluated during
    # training on a pseudo-labelled set, its pages without labels are pages with nothing to find
    first_page = pseudo["images"][0]["id"]
    one_empty = dict(pseudo, annotations=[a for a in pseudo["annotations"] if a["image_id"] != first_page])
    (tmp_path / "one_empty.json").write_text(json.dumps(one_empty))
    pseudo_set_spec = f"('coco:{tmp_path / 'one_empty.json'}:{out}',)"
    plain = run_tool("train_net.py", "--config-file", KD_CFG, *TINY_MODEL, "MODEL.META_ARCHITECTURE",
                     "GeneralizedRCNN", "DATASETS.TRAIN", pseudo_set_spec, "DATASETS.TEST", pseudo_set_spec,
                     "TEST.EVAL_PERIOD", "1", "SOLVER.MAX_ITER", "2", "OUTPUT_DIR", tmp_path / "plain",
                     env_root=demo_root)
    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
    evaluations = json.loads((tmp_path / "plain" / "eval_results.json").read_text())
    assert [e["iteration"] for e in evaluations] == [1, 2]  # iterations done at each evaluation


def test_comparison_reads_pseudo_label_runs(demo_root, random_teacher_run, pseudo_set, tmp_path):
    split, out, _ = pseudo_set
    pseudo_cfg = tmp_path / "feature_mse_R50_to_R18-pseudo.yaml"
    pseudo_cfg.write_text(f'_BASE_: "{REPO}/configs/demo/feature_mse_R50_to_R18.yaml"\n'
                          f'DATASETS:\n  TRAIN: ("coco:{out / "annotations.json"}",)\n')
    run = run_tool("compare_kd.py", "--teacher-config", TEACHER_CFG, "--teacher-weights",
                   random_teacher_run / "model_final.pth", "--configs", KD_CFG, pseudo_cfg, "--output",
                   tmp_path / "cmp", "--speed-images", "1", *TINY_MODEL, "SOLVER.MAX_ITER", "2",
                   env_root=demo_root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [r["run"] for r in rows][-1] == "feature_mse_R50_to_R18-pseudo"
    trained = load_config(str(tmp_path / "cmp" / "feature_mse_R50_to_R18-pseudo" / "config.yaml"))
    assert trained.DATASETS.TRAIN == (f"coco:{out / 'annotations.json'}",)
