"""The pseudo-labelling job: every page through the teacher, classes mapped, thresholds
applied, the data set written atomically, the report printed."""
import os
import time
from collections import defaultdict

from tqdm import tqdm

from ..data.coco_layout import read_json
from ..errors import DatasetError, DistilDocError
from .classes import ClassMap, ScoreThresholds, normalise_name
from .dataset import PseudoLabelWriter
from .pages import labelled_boxes
from .report import PseudoLabelReport


class _TruthByFile:
    """The true boxes of a COCO json's images, found for a page by its file_name as written in the
    json, else by base name where that names one image only."""

    def __init__(self, json_file, student_classes):
        data = read_json(json_file, "ground-truth file")
        try:
            by_name = {normalise_name(c): c for c in student_classes}
            names = {c["id"]: by_name[normalise_name(c["name"])] for c in data["categories"]
                     if normalise_name(c["name"]) in by_name}
            boxes = labelled_boxes(data, names)
            self.by_path = {os.path.normpath(im["file_name"]): boxes.get(im["id"], []) for im in data["images"]}
        except (KeyError, TypeError, ValueError) as err:
            raise DatasetError(f"ground-truth file {json_file} is not a COCO json with images, annotations and "
                               f"categories: {err!r}") from None
        self.json_file = json_file
        self.by_base = defaultdict(list)
        for path in self.by_path:
            self.by_base[os.path.basename(path)].append(path)

    def __call__(self, page):
        """The page's [(class, box)], or None when the json does not hold it."""
        name = os.path.normpath(page.file_name or page.source)
        if name in self.by_path:
            return self.by_path[name]
        matches = self.by_base.get(os.path.basename(name), [])
        if len(matches) > 1:
            raise DatasetError(f"ground-truth file {self.json_file}: page {name} matches {len(matches)} images by "
                               f"base name ({', '.join(matches[:3])}); give the pages' file_names as the json "
                               "writes them")
        return self.by_path[matches[0]] if matches else None


def pseudo_label(pages, teacher, output_dir, student_classes, class_map=None, thresholds=None, ground_truth=None,
                 overwrite=False, progress=True, on_error=None, calibration=None):
    """Label `pages` with `teacher` and write the data set to `output_dir`. Returns (annotations
    json path, PseudoLabelReport, errors [(page source, message)], seconds spent labelling).
    A page that cannot be read or labelled is reported through `on_error(source, message)` and
    skipped; if none can be labelled, nothing is written. A ThresholdCalibration that chose the
    thresholds is saved in the report."""
    if not pages:
        raise DatasetError("no pages to label: the inputs hold no images or PDF pages")
    class_map = class_map or ClassMap(teacher.class_names, student_classes)
    thresholds = thresholds or ScoreThresholds(0.5)
    if hasattr(teacher, "check_pages"):
        teacher.check_pages(pages)
    if ground_truth:
        truth_of = _TruthByFile(ground_truth, student_classes)
        truths = [truth_of(page) for page in pages]
    else:
        truths = [page.ground_truth for page in pages]
    provenance = {"teacher": teacher.description, "class_map": class_map.describe(),
                  "thresholds": thresholds.describe(), "pages": len(pages)}
    writer = PseudoLabelWriter(output_dir, student_classes, provenance, overwrite)
    report, errors = PseudoLabelReport(student_classes), []
    start = time.perf_counter()
    try:
        for page, truth in tqdm(zip(pages, truths), desc="pseudo-labelling", unit="page", total=len(pages),
                                disable=not progress):
            label = f"{page.source}" + (f" page {page.page}" if page.page else "")
            try:
                rgb = page.load()
                found = teacher(page)
            except DistilDocError as err:
                errors.append((label, str(err)))
                if on_error:
                    on_error(label, str(err))
                continue
            candidates = [dict(r, category=class_map(r["category"])) for r in found if class_map(r["category"])]
            kept = [r for r in candidates if thresholds.keeps(r["category"], r.get("score"))]
            writer.add_page(page, rgb, kept)
            report.add(candidates, kept, truth)
        seconds = time.perf_counter() - start
        if report.pages == 0:
            raise DatasetError(f"none of the {len(pages)} pages could be labelled; nothing was written")
        summary = report.as_dict()
        summary.update(errors=[{"page": p, "error": m} for p, m in errors], seconds=seconds,
                       pages_per_second=report.pages / seconds if seconds else None)
        if calibration is not None:
            summary["calibration"] = calibration.as_dict()
        path = writer.finish(summary)
    except BaseException:
        writer.abort()
        raise
    return path, report, errors, seconds
