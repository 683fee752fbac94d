"""The distiller's table: a teacher and its students, each a labeller (anything tools/pseudo_label.py
takes as --teacher: a born-digital PDF analyser, a run, an export), run on the same PDF pages in
one process, their boxes scored against exact labels and their time per page measured from the
PDF file to the regions, each as a fraction of the first labeller's (the teacher's).

Timing is fair to both kinds: a born-digital analyser reads the PDF itself, an image model gets
the page rendered at the stated dpi inside its timed call. Pages are visited in order and the
labellers take turns on every page (in an order that rotates from page to page), after one
untimed warm-up page each, so that a slow phase of a shared machine costs all of them alike. A
labeller that cannot read a page (an analyser given a scan without a text layer) finds no region
there, which is what a pipeline would get."""
import time
from dataclasses import dataclass, field
from typing import List, Optional

from tqdm import tqdm

from ..errors import ConfigError, DistilDocError
from ..inference.pdf import pixels_at
from ..pseudo_labels.classes import ClassMap
from .label_agreement import labels_map_of_data


@dataclass
class PageSet:
    """Pages scored together: a name, the pages (pseudo_labels.Page), and the COCO json of their
    exact labels (None: the pages are only timed)."""

    name: str
    pages: list
    truth_json: Optional[str] = None


@dataclass
class LabellerResult:
    """One labeller's scores ({set name: labels_map result}), seconds per timed page and failures."""

    name: str
    scores: dict = field(default_factory=dict)
    seconds: List[float] = field(default_factory=list)
    failed_pages: int = 0

    @property
    def seconds_per_page(self):
        return sum(self.seconds) / len(self.seconds) if self.seconds else None


def _image_record(image_id, page):
    record = {"id": image_id, "file_name": f"{page.name}.png", "source": page.source, "page": page.page}
    if page.size_pt and page.dpi:
        record["width"], record["height"] = pixels_at(page.size_pt, page.dpi)
    return record


def _timed_call(labeller, page):
    """(regions or None when the labeller cannot read the page, seconds)."""
    start = time.perf_counter()
    try:
        regions = labeller(page)
    except DistilDocError:
        regions = None
    return regions, time.perf_counter() - start


def compare_labellers(labellers, page_sets, classes, progress=True):
    """Run every labeller ([(name, teacher)]) on every page of `page_sets` and return a
    LabellerResult per labeller, in order. Boxes are kept at any score (COCO AP ranks them) and
    their classes mapped to `classes` by name."""
    if not labellers:
        raise ConfigError("no labeller to compare: give the teacher and at least one student")
    if not any(s.pages for s in page_sets):
        raise ConfigError("no pages to compare the labellers on")
    maps = [ClassMap(teacher.class_names, classes) for _, teacher in labellers]
    results = [LabellerResult(name) for name, _ in labellers]
    first = next(s.pages[0] for s in page_sets if s.pages)
    for _, teacher in labellers:
        _timed_call(teacher, first)
    total = sum(len(s.pages) for s in page_sets)
    bar = tqdm(total=total * len(labellers), desc="labellers x pages", unit="page", disable=not progress)
    visited = 0
    for page_set in page_sets:
        images = [_image_record(i + 1, page) for i, page in enumerate(page_set.pages)]
        annotations = [[] for _ in labellers]
        for image, page in zip(images, page_set.pages):
            order = [(visited + k) % len(labellers) for k in range(len(labellers))]
            visited += 1
            for k in order:
                regions, seconds = _timed_call(labellers[k][1], page)
                results[k].seconds.append(seconds)
                if regions is None:
                    results[k].failed_pages += 1
                    regions = []
                for region in regions:
                    name = maps[k](region["category"])
                    if name is None:
                        continue
                    x0, y0, x1, y1 = region["bbox"]
                    annotations[k].append({"id": len(annotations[k]) + 1, "image_id": image["id"],
                                           "category_id": classes.index(name) + 1, "bbox": [x0, y0, x1 - x0, y1 - y0],
                                           "score": region.get("score")})
                bar.update(1)
        if page_set.truth_json is None:
            continue
        categories = [{"id": i + 1, "name": name} for i, name in enumerate(classes)]
        for k, result in enumerate(results):
            labels = {"images": images, "annotations": annotations[k], "categories": categories}
            result.scores[page_set.name] = labels_map_of_data(page_set.truth_json, labels,
                                                              f"the labels of {result.name}")
    bar.close()
    return results


def _percent_of(value, reference):
    if reference is None or value is None or reference <= 0:
        return "-"
    return f"{100.0 * value / reference:.0f}%"


def labeller_table(results, page_sets):
    """A Markdown table: per scored page set bbox mAP (AP50) and the fraction of the first row's
    mAP; then milliseconds per page from the PDF and speed as a multiple of the first row's."""
    scored = [s.name for s in page_sets if s.truth_json is not None]
    timed = sum(len(s.pages) for s in page_sets)
    header = ["labeller"]
    for name in scored:
        header += [f"{name}: bbox mAP (AP50)", "of teacher"]
    header += [f"ms per page from the PDF ({timed} pages)", "speed vs teacher", "pages it could not read"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    reference = results[0]
    for result in results:
        row = [result.name]
        for name in scored:
            score = result.scores[name]
            row += [f"{score['AP']:.1f} ({score['AP50']:.1f})", _percent_of(score["AP"], reference.scores[name]["AP"])]
        mean = result.seconds_per_page
        speed = reference.seconds_per_page / mean if mean and reference.seconds_per_page else None
        row += [f"{1000 * mean:.0f}" if mean is not None else "-", f"{speed:.2f}x" if speed else "-",
                str(result.failed_pages)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
