"""Pseudo-labels: a teacher labels the user's unlabelled pages, and the pages with the teacher's
boxes become a COCO data set that a student trains on (beside a few labelled pages).

- `pages`: the pages to label (images, folders, globs, PDFs rendered once, or the images of a
  COCO json, whose own labels then only score the pseudo-labels);
- `teachers`: where the boxes come from (a run folder, an export folder with any backend, or a
  COCO results file written by any other detector: a black-box teacher);
- `classes`: teacher classes mapped to the student's by name or by a class-map file, and the
  per-class score thresholds;
- `calibration`: per-class thresholds chosen on the user's labelled pages (the teacher's best F1);
- `dataset`: the COCO data set written atomically (page images, boxes, scores, provenance);
- `report`: counts and score histograms per class, precision and recall against ground truth;
- `run`: the whole job, as tools/pseudo_label.py runs it.
"""
from .classes import ClassMap, ScoreThresholds
from .dataset import PseudoLabelWriter
from .pages import Page, pages_from_inputs
from .run import pseudo_label
from .teachers import build_teacher

__all__ = ["ClassMap", "ScoreThresholds", "PseudoLabelWriter", "Page", "pages_from_inputs", "pseudo_label",
           "build_teacher"]
