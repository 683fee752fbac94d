"""COCO bbox mAP of a LayoutPredictor (any backend, any precision) on the pages of a registered
layout data set: the same pages, ground truth and pycocotools evaluation for every model, so
that eager, TorchScript, ONNX and int8 ONNX models compare directly."""
import contextlib
import io

from detectron2.data import DatasetCatalog
from detectron2.structures import BoxMode
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from tqdm import tqdm

from ..errors import DatasetError
from ..inference.inputs import InputError, read_image


def dataset_pages(name, limit=None):
    """The first `limit` (all when None) records of the registered layout data set `name`."""
    if name not in DatasetCatalog.keys():
        raise DatasetError(f"data set '{name}' is not registered (see datasets/README.md)")
    records = DatasetCatalog.get(name)
    records = records[:limit] if limit else records
    if not records:
        raise DatasetError(f"data set '{name}' holds no pages")
    return records


def _ground_truth(records, num_classes):
    images, annotations = [], []
    for index, record in enumerate(records, 1):
        images.append({"id": index, "width": record["width"], "height": record["height"],
                       "file_name": record["file_name"]})
        for ann in record.get("annotations", []):
            x, y, w, h = BoxMode.convert(list(ann["bbox"]), ann["bbox_mode"], BoxMode.XYWH_ABS)
            annotations.append({"id": len(annotations) + 1, "image_id": index, "category_id": ann["category_id"] + 1,
                                "bbox": [x, y, w, h], "area": w * h, "iscrowd": ann.get("iscrowd", 0)})
    categories = [{"id": k + 1, "name": str(k)} for k in range(num_classes)]
    coco = COCO()
    coco.dataset = {"images": images, "annotations": annotations, "categories": categories}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def predictor_bbox_map(predictor, records, progress=True, desc="mAP"):
    """{"AP", "AP50", "pages"}: COCO bbox AP (IoU 0.50:0.95) and AP50 in percent of `predictor`
    on the data set `records` (see `dataset_pages`); AP values are None when the pages hold no
    ground-truth box."""
    coco = _ground_truth(records, len(predictor.class_names))
    results = []
    for index, record in enumerate(tqdm(records, desc=desc, unit="page", disable=not progress, leave=False), 1):
        try:
            page = predictor.predict_image(read_image(record["file_name"]))
        except InputError as err:
            raise DatasetError(f"{record['file_name']}: {err}") from None
        for region in page["regions"]:
            x0, y0, x1, y1 = region["bbox"]
            results.append({"image_id": index, "category_id": region["category_id"] + 1,
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": region["score"]})
    if not coco.dataset["annotations"]:
        return {"AP": None, "AP50": None, "pages": len(records)}
    if not results:
        return {"AP": 0.0, "AP50": 0.0, "pages": len(records)}
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(coco, coco.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {"AP": 100 * float(evaluation.stats[0]), "AP50": 100 * float(evaluation.stats[1]), "pages": len(records)}
