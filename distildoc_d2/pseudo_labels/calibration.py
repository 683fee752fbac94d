"""Per-class score thresholds chosen on the user's labelled pages: for each class, the threshold
at which the teacher's boxes agree best with the true labels (F1 at IoU 0.5), so that a class the
teacher scores low (a rare class) is not lost to a threshold set for the frequent ones."""
from collections import Counter

from tabulate import tabulate
from tqdm import tqdm

from ..errors import DatasetError, DistilDocError
from .classes import normalise_name
from .report import match_page

THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))


class ThresholdCalibration:
    """What calibration found per class: the chosen threshold with its precision, recall, F1 and
    the number of true boxes it was chosen on (classes absent from the pages are left out)."""

    def __init__(self, rows, pages):
        self.rows, self.pages = rows, pages

    @property
    def thresholds(self):
        """{class: threshold} for the classes that calibration could decide."""
        return {name: row["threshold"] for name, row in self.rows.items()}

    def as_dict(self):
        return {"pages": self.pages, "per_class": self.rows}

    def format(self):
        """A printable table of the chosen thresholds."""
        rows = [[name, f"{r['threshold']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                 r["ground_truth"]] for name, r in self.rows.items()]
        headers = ["class", "threshold", "precision@0.5", "recall", "F1", "true boxes"]
        return (f"score thresholds calibrated on {self.pages} labelled pages (best F1 per class):\n"
                + tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def _student_truth(truth, student_classes):
    by_name = {normalise_name(c): c for c in student_classes}
    return [(by_name[normalise_name(name)], box) for name, box in truth if normalise_name(name) in by_name]


def choose_thresholds(counts, truth_counts, grid=THRESHOLD_GRID):
    """{class: row} from matches counted at each threshold of `grid`: `counts[t]` is (true
    positives per class, labels per class) at threshold t, `truth_counts` the true boxes per
    class. A class gets the threshold of its best F1. On few true boxes many thresholds tie; the
    middle of the tied ones is chosen (the lower middle of an even count), so that one box more or
    less on the user's pages does not move the threshold to an edge of the plateau where recall
    or precision collapses. Classes without true boxes, or that the teacher never finds, get none."""
    rows = {}
    for name, n_truth in truth_counts.items():
        scored = []
        for t in grid:
            tp, n_labels = counts[t][0][name], counts[t][1][name]
            if tp:
                scored.append((2 * tp / (n_labels + n_truth), t, tp, n_labels))
        if not scored:
            continue
        best_f1 = max(f1 for f1, *_ in scored)
        tied = [row for row in scored if row[0] >= best_f1 - 1e-9]
        f1, t, tp, n_labels = tied[(len(tied) - 1) // 2]
        rows[name] = {"threshold": t, "precision": tp / n_labels, "recall": tp / n_truth, "f1": f1,
                      "ground_truth": n_truth}
    return rows


def calibrate_thresholds(pages, teacher, class_map, student_classes, grid=THRESHOLD_GRID, progress=True):
    """Run `teacher` on labelled `pages` (each with `ground_truth`) and return a
    ThresholdCalibration: per student class, the score threshold of the best F1 at IoU 0.5."""
    if not pages:
        raise DatasetError("--calibrate-on names no pages")
    unlabelled = [p.source for p in pages if p.ground_truth is None]
    if unlabelled:
        raise DatasetError(f"--calibrate-on needs labelled pages (a COCO json with annotations); "
                           f"{len(unlabelled)} have none, e.g. {unlabelled[0]}")
    counts = {t: (Counter(), Counter()) for t in grid}
    truth_counts = Counter()
    for page in tqdm(pages, desc="calibrating thresholds", unit="page", disable=not progress):
        try:
            found = teacher(page)
        except DistilDocError as err:
            raise DatasetError(f"calibration page {page.source}: {err}") from None
        candidates = [dict(r, category=class_map(r["category"])) for r in found if class_map(r["category"])]
        if any(r.get("score") is None for r in candidates):
            raise DatasetError("the teacher gives boxes without scores; there is no threshold to calibrate "
                               "(leave out --calibrate-on)")
        truth = _student_truth(page.ground_truth, student_classes)
        truth_counts.update(name for name, _ in truth)
        for t in grid:
            tp, n_labels, _ = match_page([r for r in candidates if r["score"] >= t], truth)
            counts[t][0].update(tp)
            counts[t][1].update(n_labels)
    return ThresholdCalibration(choose_thresholds(counts, truth_counts, grid), len(pages))
