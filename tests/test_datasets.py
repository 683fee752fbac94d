"""Data set registration, loading of COCO layout files and the errors bad files get."""
import json

import numpy as np
import pytest
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.structures import BoxMode
from PIL import Image

from distildoc_d2.data import (
    DOCLAYNET_CLASSES,
    PRIMA_CLASSES,
    PUBLAYNET_CLASSES,
    register_builtin_datasets,
    register_layout_dataset,
)
from distildoc_d2.data.coco_layout import load_layout_coco
from distildoc_d2.data.prima import convert_prima
from distildoc_d2.errors import DatasetError


def _coco(tmp_path, **changes):
    """A valid two-image COCO file with three annotations, then `changes` applied."""
    data = {
        "images": [
            {"id": 7, "file_name": "a.png", "width": 100, "height": 120},
            {"id": 9, "file_name": "b.png", "width": 100, "height": 120},
        ],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 10, "bbox": [5, 5, 50, 20], "iscrowd": 0,
             "segmentation": [[5, 5, 55, 5, 55, 25, 5, 25]]},
            {"id": 2, "image_id": 7, "category_id": 11, "bbox": [5, 40, 80, 10], "iscrowd": 0,
             "segmentation": [[5, 40, 85, 40, 85, 50, 5, 50]]},
            {"id": 3, "image_id": 9, "category_id": 9, "bbox": [0, 0, 100, 120], "iscrowd": 0,
             "segmentation": [[0, 0, 100, 0, 100, 120, 0, 120]]},
        ],
        # DocLayNet ids, deliberately listed in reverse order: the mapping goes by name.
        "categories": [{"id": i + 1, "name": n} for i, n in reversed(list(enumerate(DOCLAYNET_CLASSES)))],
    }
    data.update(changes)
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    return str(path), data


def test_loader_maps_categories_by_name(tmp_path):
    path, _ = _coco(tmp_path)
    dicts = load_layout_coco(path, str(tmp_path / "img"), DOCLAYNET_CLASSES)
    assert [d["image_id"] for d in dicts] == [7, 9]
    first = dicts[0]
    assert first["file_name"] == str(tmp_path / "img" / "a.png")
    assert (first["height"], first["width"]) == (120, 100)
    labels = [DOCLAYNET_CLASSES[a["category_id"]] for a in first["annotations"]]
    assert labels == ["Text", "Title"]
    assert first["annotations"][0]["bbox_mode"] == BoxMode.XYWH_ABS
    assert dicts[1]["annotations"][0]["category_id"] == DOCLAYNET_CLASSES.index("Table")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"annotations": [{"id": 5, "image_id": 7, "category_id": 42, "bbox": [1, 1, 2, 2]}]}, "category_id 42"),
        ({"categories": [{"id": 1, "name": "Banner"}]}, "category 'Banner'"),
        ({"annotations": [{"id": 5, "image_id": 3, "category_id": 1, "bbox": [1, 1, 2, 2]}]}, "unknown image_id 3"),
        ({"annotations": [{"id": 5, "image_id": 7, "category_id": 1, "bbox": [1, 1, -2, 2]}]}, "annotation 5 has bbox"),
        ({"annotations": [{"id": 5, "image_id": 7, "category_id": 1, "bbox": [1, 1, 500, 2]}]}, "outside its 100x120"),
        ({"annotations": [{"id": 5, "image_id": 7, "category_id": 1, "bbox": [1, 1, 2, 2],
                           "segmentation": [[1, 2]]}]}, "segmentation"),
        ({"images": [{"id": 7, "file_name": "a.png"}]}, "lacks width, height"),
        ({"images": {"id": 7}}, "list under 'images'"),
    ],
)
def test_malformed_coco_names_the_problem(tmp_path, change, message):
    path, _ = _coco(tmp_path, **change)
    with pytest.raises(DatasetError, match=message) as info:
        load_layout_coco(path, str(tmp_path), DOCLAYNET_CLASSES)
    assert path in str(info.value)


def test_missing_and_unparsable_files(tmp_path):
    missing = tmp_path / "nowhere" / "train.json"
    with pytest.raises(DatasetError, match=f"{missing} does not exist"):
        load_layout_coco(str(missing), str(tmp_path), DOCLAYNET_CLASSES)
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    with pytest.raises(DatasetError, match="is not valid JSON"):
        load_layout_coco(str(broken), str(tmp_path), DOCLAYNET_CLASSES)


def test_builtin_names_and_classes(tmp_path, demo_root):
    register_builtin_datasets(str(tmp_path))
    try:
        _check_builtin_registration(tmp_path)
    finally:
        register_builtin_datasets(str(demo_root))


def _check_builtin_registration(tmp_path):
    expected = {
        "distildoc_demo_train": DOCLAYNET_CLASSES,
        "doclaynet_val": DOCLAYNET_CLASSES,
        "publaynet_train": PUBLAYNET_CLASSES,
        "prima_val": PRIMA_CLASSES,
    }
    for name, classes in expected.items():
        assert name in DatasetCatalog.keys()
        meta = MetadataCatalog.get(name)
        assert meta.thing_classes == list(classes)
        assert meta.json_file.startswith(str(tmp_path))
    with pytest.raises(DatasetError, match="DocLayNet/COCO/val.json does not exist"):
        DatasetCatalog.get("doclaynet_val")


def test_demo_set_registered_and_loadable(demo_root):
    dicts = DatasetCatalog.get("distildoc_demo_train")
    assert len(dicts) > 0
    assert all(len(d["annotations"]) > 0 for d in dicts)
    image = Image.open(dicts[0]["file_name"])
    assert image.size == (dicts[0]["width"], dicts[0]["height"])
    seen = {a["category_id"] for d in dicts for a in d["annotations"]}
    assert seen <= set(range(len(DOCLAYNET_CLASSES)))


def test_coco_evaluation_scores_ground_truth_as_perfect(tmp_path):
    """Predicted classes are contiguous indices; the evaluator must map them back to the json's
    category ids (here DocLayNet's, listed in reverse), or every class is scored against another."""
    import torch
    from detectron2.evaluation import COCOEvaluator
    from detectron2.structures import Boxes, Instances

    _, data = _coco(tmp_path)
    annotations = [dict(a, area=a["bbox"][2] * a["bbox"][3]) for a in data["annotations"]]  # pycocotools needs it
    path, _ = _coco(tmp_path, annotations=annotations)
    name = "distildoc_test_eval_ids"
    register_layout_dataset(name, path, str(tmp_path / "img"), DOCLAYNET_CLASSES)
    try:
        dicts = DatasetCatalog.get(name)
        evaluator = COCOEvaluator(name, tasks=("bbox",), output_dir=str(tmp_path / "eval"))
        evaluator.reset()
        for d in dicts:
            instances = Instances((d["height"], d["width"]))
            instances.pred_boxes = Boxes(torch.tensor([BoxMode.convert(a["bbox"], BoxMode.XYWH_ABS, BoxMode.XYXY_ABS)
                                                       for a in d["annotations"]], dtype=torch.float32))
            instances.scores = torch.ones(len(d["annotations"]))
            instances.pred_classes = torch.tensor([a["category_id"] for a in d["annotations"]])
            evaluator.process([{"image_id": d["image_id"]}], [{"instances": instances}])
        bbox = evaluator.evaluate()["bbox"]
    finally:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    assert bbox["AP"] == pytest.approx(100.0)
    assert bbox["AP-Text"] == pytest.approx(100.0) and bbox["AP-Table"] == pytest.approx(100.0)


PAGE_2019 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
  <Page imageFilename="00000086.tif" imageWidth="200" imageHeight="300">
    <TextRegion id="r1" type="paragraph"><Coords points="10,10 190,10 190,60 10,60"/></TextRegion>
    <ImageRegion id="r2"><Coords points="10,80 120,80 120,200 10,200"/></ImageRegion>
    <ChartRegion id="r3"><Coords points="130,80 190,80 190,140"/></ChartRegion>
    <SeparatorRegion id="r4"><Coords points="5,70 195,70 195,72 5,72"/></SeparatorRegion>
  </Page>
</PcGts>"""

PAGE_2010 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2010-03-19">
  <Page imageFilename="00000100.tif" imageWidth="100" imageHeight="100">
    <TableRegion id="t1"><Coords><Point x="5" y="5"/><Point x="95" y="5"/><Point x="95" y="120"/>
      <Point x="5" y="50"/></Coords></TableRegion>
    <MathsRegion id="m1"><Coords><Point x="5" y="60"/><Point x="50" y="60"/><Point x="50" y="70"/></Coords></MathsRegion>
  </Page>
</PcGts>"""


def test_prima_conversion_both_page_versions(tmp_path):
    xml_dir = tmp_path / "XML"
    xml_dir.mkdir()
    (xml_dir / "a.xml").write_text(PAGE_2019)
    (xml_dir / "b.xml").write_text(PAGE_2010)
    train, val = convert_prima(str(xml_dir), str(tmp_path / "prima"), val_fraction=0.5, seed=0)
    pages = load_layout_coco(train, "img", PRIMA_CLASSES) + load_layout_coco(val, "img", PRIMA_CLASSES)
    by_file = {p["file_name"].split("/")[-1]: p for p in pages}
    labels = sorted(PRIMA_CLASSES[a["category_id"]] for a in by_file["00000086.tif"]["annotations"])
    assert labels == ["ImageRegion", "OtherRegion", "SeparatorRegion", "TextRegion"]
    table = by_file["00000100.tif"]["annotations"][0]
    assert PRIMA_CLASSES[table["category_id"]] == "TableRegion"
    np.testing.assert_allclose(table["bbox"], [5, 5, 90, 95])  # y clipped to the 100 px page


def test_prima_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        convert_prima(str(tmp_path / "missing"), str(tmp_path / "out"))
    (tmp_path / "bad.xml").write_text("<PcGts><Page")
    with pytest.raises(DatasetError, match="bad.xml cannot be parsed"):
        convert_prima(str(tmp_path), str(tmp_path / "out"))
