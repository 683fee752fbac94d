"""What a pseudo-labelling job reports: boxes per class (kept and below threshold), score
histograms, and the pseudo-labels' precision and recall against ground truth where it exists."""
from collections import Counter, defaultdict

import numpy as np
from tabulate import tabulate

HISTOGRAM_BINS = 10
MATCH_IOU = 0.5


def _iou(box, boxes):
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def match_page(labels, truth, iou=MATCH_IOU):
    """(true positives per class, labels per class, truth per class) on one page: each label,
    in descending score, matches the best unmatched ground-truth box of its class with IoU >= iou."""
    tp, n_labels, n_truth = Counter(), Counter(), Counter()
    by_class = defaultdict(list)
    for name, box in truth:
        by_class[name].append(box)
        n_truth[name] += 1
    used = {name: np.zeros(len(boxes), bool) for name, boxes in by_class.items()}
    order = sorted(labels, key=lambda r: -(r["score"] if r.get("score") is not None else 1.0))
    for label in order:
        name = label["category"]
        n_labels[name] += 1
        candidates = by_class.get(name)
        if not candidates:
            continue
        overlaps = _iou(label["bbox"], candidates)
        overlaps[used[name]] = -1
        best = int(overlaps.argmax())
        if overlaps[best] >= iou:
            used[name][best] = True
            tp[name] += 1
    return tp, n_labels, n_truth


class PseudoLabelReport:
    """Accumulates per-class counts, score histograms and matches over the pages of a job."""

    def __init__(self, class_names):
        self.class_names = list(class_names)
        self.kept, self.dropped = Counter(), Counter()
        self.histograms = defaultdict(lambda: np.zeros(HISTOGRAM_BINS, dtype=int))
        self.tp, self.n_labels, self.n_truth = Counter(), Counter(), Counter()
        self.pages = self.pages_with_truth = self.empty_pages = 0

    def add(self, candidates, kept, truth=None):
        """Add one page: `candidates` are the mapped teacher boxes before thresholds, `kept` the
        labels written, `truth` [(class, box)] or None."""
        self.pages += 1
        self.empty_pages += not kept
        for region in candidates:
            score = region.get("score")
            if score is not None:
                self.histograms[region["category"]][min(int(score * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
        kept_counts = Counter(r["category"] for r in kept)
        self.kept.update(kept_counts)
        self.dropped.update(Counter(r["category"] for r in candidates) - kept_counts)
        if truth is not None:
            self.pages_with_truth += 1
            tp, n_labels, n_truth = match_page(kept, truth)
            self.tp.update(tp)
            self.n_labels.update(n_labels)
            self.n_truth.update(n_truth)

    def _quality(self, name=None):
        names = [name] if name else self.class_names
        tp = sum(self.tp[n] for n in names)
        labels = sum(self.n_labels[n] for n in names)
        truth = sum(self.n_truth[n] for n in names)
        return (tp / labels if labels else None), (tp / truth if truth else None)

    def as_dict(self):
        """The report as JSON-ready data."""
        per_class = {}
        for name in self.class_names:
            precision, recall = self._quality(name)
            per_class[name] = {"kept": self.kept[name], "below_threshold": self.dropped[name],
                               "score_histogram": self.histograms[name].tolist()}
            if self.pages_with_truth:
                per_class[name].update(precision=precision, recall=recall, ground_truth=self.n_truth[name])
        report = {"pages": self.pages, "pages_without_labels": self.empty_pages, "per_class": per_class,
                  "histogram_bins": [i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)]}
        if self.pages_with_truth:
            precision, recall = self._quality()
            report["against_ground_truth"] = {"pages": self.pages_with_truth, "iou": MATCH_IOU,
                                              "precision": precision, "recall": recall}
        return report

    def format(self):
        """A printable table: per class the labels kept, boxes below threshold, a score
        histogram (counts in 0.1-wide bins, left = low scores) and precision/recall."""
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        rows = []
        for name in self.class_names:
            precision, recall = self._quality(name)
            row = [name, self.kept[name], self.dropped[name], " ".join(str(int(c)) for c in self.histograms[name])]
            if self.pages_with_truth:
                row += [fmt(precision), fmt(recall)]
            rows.append(row)
        headers = ["class", "labels", "below threshold", "scores 0.0..1.0 (10 bins)"]
        if self.pages_with_truth:
            precision, recall = self._quality()
            headers += [f"precision@{MATCH_IOU}", "recall"]
            rows.append(["all", sum(self.kept.values()), sum(self.dropped.values()), "", fmt(precision), fmt(recall)])
        text = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
        return (f"{text}\n\n{self.pages} pages, {self.empty_pages} without any label "
                "(they train by a live teacher's feature KD alone, or are dropped without one)")
