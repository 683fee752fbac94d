"""Raw detections into page regions: the placeholder row dropped, boxes scaled to the page and
clipped (empty ones dropped), masks pasted into the page and encoded as COCO RLE, as Detectron2's
`detector_postprocess` does for its own models."""
import numpy as np
import pycocotools.mask as mask_util
from detectron2.modeling.postprocessing import detector_postprocess
from detectron2.structures import Boxes, Instances


def encode_mask(mask):
    """COCO run-length encoding {"size": [h, w], "counts": str} of a boolean (H, W) mask."""
    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


class Postprocessor:
    """Turns one input's raw detections into region dicts in page pixels."""

    def __init__(self, class_names, score_threshold, masks=False, mask_threshold=0.5):
        self.class_names = list(class_names)
        self.score_threshold = score_threshold
        self.masks = masks
        self.mask_threshold = mask_threshold

    def __call__(self, outputs, input_size, page_size):
        """Regions {category, category_id, score, bbox[, mask]} (bbox x0 y0 x1 y1 in page pixels)
        for raw `outputs` of an input of `input_size` (h, w) made from a page of `page_size` (h, w)."""
        boxes, classes, scores = outputs[:3]
        keep = scores >= max(self.score_threshold, 0.0)  # also drops the placeholder row (score -1)
        instances = Instances(tuple(input_size))
        instances.pred_boxes = Boxes(boxes[keep].float())
        instances.pred_classes = classes[keep]
        instances.scores = scores[keep]
        if self.masks and len(outputs) > 3:
            instances.pred_masks = outputs[3][keep]
        instances = detector_postprocess(instances, page_size[0], page_size[1], self.mask_threshold)
        regions = []
        for i in range(len(instances)):
            category_id = int(instances.pred_classes[i])
            region = {
                "category": self.class_names[category_id],
                "category_id": category_id,
                "score": float(instances.scores[i]),
                "bbox": [float(v) for v in instances.pred_boxes.tensor[i]],
            }
            if instances.has("pred_masks"):
                region["mask"] = encode_mask(instances.pred_masks[i].numpy())
            regions.append(region)
        return regions
