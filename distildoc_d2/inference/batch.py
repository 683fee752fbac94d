"""Prediction over many files for tools/predict.py: inputs expanded and pages planned and checked
first, then loaded and predicted in batches behind a progress bar. A file or page that cannot be
processed is reported on stderr (`error: <file>[ page N]: <why>`) and skipped; the rest completes.

Outputs in `output_dir`: `<name>.json` per image and `<name>_p<NNN>.json` per PDF page (a page dict
plus `source`), `<same name>.png` with the layout drawn when `visualize`, and the COCO results file
when asked for. Names repeated across folders get a `_2`, `_3`, ... suffix.
"""
import os
import sys
from dataclasses import dataclass

from tqdm import tqdm

from .inputs import (InputError, check_page_size, expand_inputs, is_pdf, missing_pages_message, read_image,
                     select_pages)
from .pdf import DEFAULT_DPI, page_sizes, pixels_at, render_page
from .predictor import with_pdf_coordinates
from .writers import CocoResults, draw_layout, save_png, write_json


@dataclass
class PageJob:
    """One page to predict: an image file (page None) or a page of a PDF."""

    source: str
    name: str
    page: int = None
    num_pages: int = 1
    size_pt: tuple = None


@dataclass
class BatchSummary:
    """Pages written and failures ((file, page or None, message)) of a batch run."""

    pages: int
    failures: list


def read_pages(arguments, limit, dpi=DEFAULT_DPI):
    """RGB arrays of the first `limit` pages of `arguments` (images, PDFs, folders, globs), for
    checks and benchmarks; InputError for an argument that matches nothing or an unreadable file."""
    files, missing = expand_inputs(arguments)
    if missing:
        raise InputError(f"{missing[0][0]}: {missing[0][1]}")
    pages = []
    for path in files:
        try:
            numbers = range(1, len(page_sizes(path)) + 1) if is_pdf(path) else [None]
            for number in numbers:
                if len(pages) == limit:
                    return pages
                pages.append(read_image(path) if number is None else render_page(path, number, dpi))
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
    return pages


class _Names:
    """Output names unique across inputs whose base names collide."""

    def __init__(self):
        self.owner = {}

    def __call__(self, path):
        stem = os.path.splitext(os.path.basename(path))[0]
        name, k = stem, 1
        while self.owner.setdefault(name, path) != path:
            k += 1
            name = f"{stem}_{k}"
        return name


class BatchRun:
    """Predicts every page of the inputs given to `run` with `predictor` into `output_dir`."""

    def __init__(self, predictor, output_dir, page_ranges=None, dpi=DEFAULT_DPI, visualize=False, coco_results=None,
                 coco_gt=None, progress=True, stream=None):
        self.predictor = predictor
        self.output_dir = output_dir
        self.page_ranges = page_ranges
        self.dpi = dpi
        self.visualize = visualize
        self.coco_path = coco_results
        self.coco = CocoResults(predictor.class_names, coco_gt) if coco_results else None
        self.progress = progress
        self.stream = stream or sys.stderr
        self.failures = []
        self.pages_done = 0

    def _fail(self, source, page, message):
        self.failures.append((source, page, message))
        where = f"{source} page {page}" if page is not None else source
        tqdm.write(f"error: {where}: {message}", file=self.stream)

    def _plan(self, files):
        jobs, names = [], _Names()
        for path in files:
            name = names(path)
            if not is_pdf(path):
                jobs.append(PageJob(path, name))
                continue
            try:
                sizes = page_sizes(path)
            except InputError as err:
                self._fail(path, None, str(err))
                continue
            selected, missing = select_pages(self.page_ranges, len(sizes))
            if missing:
                self._fail(path, None, missing_pages_message(len(sizes), missing))
            for page in selected:
                jobs.append(PageJob(path, f"{name}_p{page:03d}", page, len(sizes), sizes[page - 1]))
        return jobs

    def _load(self, job):
        if job.page is None:
            return read_image(job.source, self.predictor.max_pixels)
        check_page_size(*pixels_at(job.size_pt, self.dpi), self.predictor.max_pixels)
        return render_page(job.source, job.page, self.dpi)

    def _write(self, job, rgb, page):
        if job.page is not None:
            page = with_pdf_coordinates(page, job.page, job.num_pages, self.dpi, job.size_pt)
        page = {"source": job.source, **page}
        write_json(os.path.join(self.output_dir, job.name + ".json"), page)
        if self.visualize:
            save_png(os.path.join(self.output_dir, job.name + ".png"), draw_layout(rgb, page))
        if self.coco is not None and not self.coco.add(job.source, page):
            tqdm.write(f"warning: {job.source} page {job.page or 1} is not in the COCO ground truth; "
                       "left out of the COCO results", file=self.stream)
        self.pages_done += 1

    def _predict(self, batch):
        try:
            pages = self.predictor.predict_images([rgb for _, rgb in batch])
        except Exception as err:  # a model failure must not stop the other batches
            for job, _ in batch:
                self._fail(job.source, job.page, f"prediction failed: {type(err).__name__}: {err}")
            return
        for (job, rgb), page in zip(batch, pages):
            self._write(job, rgb, page)

    def run(self, inputs):
        """Process `inputs`; returns a BatchSummary."""
        files, missing = expand_inputs(inputs)
        for arg, message in missing:
            self._fail(arg, None, message)
        jobs = self._plan(files)
        batch = []
        with tqdm(total=len(jobs), unit="page", desc="predict", disable=not self.progress, file=self.stream) as bar:
            for job in jobs:
                try:
                    batch.append((job, self._load(job)))
                except InputError as err:
                    self._fail(job.source, job.page, str(err))
                    bar.update(1)
                if len(batch) == self.predictor.batch_size:
                    self._predict(batch)
                    bar.update(len(batch))
                    batch = []
            if batch:
                self._predict(batch)
                bar.update(len(batch))
        if self.coco is not None:
            self.coco.write(self.coco_path)
        return BatchSummary(self.pages_done, self.failures)
