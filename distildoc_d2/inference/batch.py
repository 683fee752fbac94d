"""Prediction over many files for tools/predict.py: inputs expanded and pages planned and checked
first, then loaded and predicted in batches behind a progress bar. A file or page that cannot be
processed is reported on stderr (`error: <file>[ page N]: <why>`) and skipped; the rest completes.

PDF pages are rendered at the model's input size (or at a fixed `dpi`) by the predictor's renderer,
several consecutive pages of one PDF per renderer call; with `prefetch` > 0 a background thread
renders the next chunks of pages while the model runs on the current ones.

Outputs in `output_dir`: `<name>.json` per image and `<name>_p<NNN>.json` per PDF page (a page dict
plus `source`), `<same name>.png` with the layout drawn when `visualize`, and the COCO results file
when asked for. Names repeated across folders get a `_2`, `_3`, ... suffix.
"""
import os
import queue
import sys
import threading
from dataclasses import dataclass

from tqdm import tqdm

from .inputs import (InputError, check_page_size, expand_inputs, is_pdf, missing_pages_message, read_image,
                     select_pages)
from .pdf import DEFAULT_DPI, page_sizes, render_page
from .predictor import with_pdf_coordinates
from .render import CHUNK_PAGES, Pdf2ImageRenderer, effective_dpi, model_pixels
from .writers import CocoResults, draw_layout, save_png, write_json

# Chunks of pages rendered ahead of the model by default.
DEFAULT_PREFETCH = 2


@dataclass
class PageJob:
    """One page to predict: an image file (page None) or a page of a PDF."""

    source: str
    name: str
    page: int = None
    num_pages: int = 1
    size_pt: tuple = None
    pixels: tuple = None


@dataclass
class BatchSummary:
    """Pages written and failures ((file, page or None, message)) of a batch run."""

    pages: int
    failures: list


def read_pages(arguments, limit, dpi=DEFAULT_DPI, resize=None):
    """RGB arrays of the first `limit` pages of `arguments` (images, PDFs, folders, globs), for
    checks, calibration and benchmarks, PDF pages at `dpi` or, when `resize` (an export's resize
    rule) is given, at the model's size; InputError for an argument that matches nothing or an
    unreadable file."""
    files, missing = expand_inputs(arguments)
    if missing:
        raise InputError(f"{missing[0][0]}: {missing[0][1]}")
    pages = []
    for path in files:
        try:
            sizes = page_sizes(path) if is_pdf(path) else [None]
            for number, size in enumerate(sizes, 1):
                if len(pages) == limit:
                    return pages
                if size is None:
                    pages.append(read_image(path))
                elif resize is None:
                    pages.append(render_page(path, number, dpi))
                else:
                    pages += Pdf2ImageRenderer().render(path, [number], [model_pixels(size, resize)], [size])
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
    """Predicts every page of the inputs given to `run` with `predictor` into `output_dir`; PDF
    pages at the model's size (`dpi` None) or at `dpi`."""

    def __init__(self, predictor, output_dir, page_ranges=None, dpi=None, visualize=False, coco_results=None,
                 coco_gt=None, progress=True, stream=None, prefetch=DEFAULT_PREFETCH):
        self.predictor = predictor
        self.output_dir = output_dir
        self.page_ranges = page_ranges
        self.dpi = dpi
        self.prefetch = max(0, int(prefetch))
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
                size_pt = sizes[page - 1]
                jobs.append(PageJob(path, f"{name}_p{page:03d}", page, len(sizes), size_pt,
                                    self.predictor.pdf_pixels(size_pt, self.dpi)))
        return jobs

    @staticmethod
    def _units(jobs):
        """Jobs grouped for loading: an image alone, up to CHUNK_PAGES consecutive pages of one PDF."""
        unit = []
        for job in jobs:
            if unit and (job.page is None or unit[0].page is None or unit[0].source != job.source
                         or len(unit) == CHUNK_PAGES):
                yield unit
                unit = []
            unit.append(job)
        if unit:
            yield unit

    def _render(self, jobs):
        return self.predictor.renderer.render(jobs[0].source, [j.page for j in jobs], [j.pixels for j in jobs],
                                              [j.size_pt for j in jobs])

    def _load_unit(self, unit):
        """[(job, RGB array or InputError)] for a unit of jobs."""
        if unit[0].page is None:
            try:
                return [(unit[0], read_image(unit[0].source, self.predictor.max_pixels))]
            except InputError as err:
                return [(unit[0], err)]
        loaded, ready = {}, []
        for job in unit:
            try:
                check_page_size(*job.pixels, self.predictor.max_pixels)
                ready.append(job)
            except InputError as err:
                loaded[id(job)] = err
        try:
            loaded.update(zip(map(id, ready), self._render(ready) if ready else []))
        except InputError as err:
            for job in ready:  # find the page that fails
                try:
                    loaded[id(job)] = self._render([job])[0] if len(ready) > 1 else err
                except InputError as page_err:
                    loaded[id(job)] = page_err
        return [(job, loaded[id(job)]) for job in unit]

    def _loaded(self, jobs):
        """(job, RGB array or InputError) for every job in order; rendered ahead in a thread when
        `prefetch`."""
        units = self._units(jobs)
        if not self.prefetch:
            for unit in units:
                yield from self._load_unit(unit)
            return
        ahead = queue.Queue(maxsize=self.prefetch)

        def produce():
            try:
                for unit in units:
                    ahead.put(self._load_unit(unit))
                ahead.put(None)
            except BaseException as err:  # handed to the consumer, which raises it
                ahead.put(err)

        threading.Thread(target=produce, daemon=True).start()
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item

    def _write(self, job, rgb, page):
        if job.page is not None:
            dpi = self.dpi or effective_dpi(job.size_pt, page["width"])
            page = with_pdf_coordinates(page, job.page, job.num_pages, dpi, job.size_pt)
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
            for job, loaded in self._loaded(jobs):
                if isinstance(loaded, InputError):
                    self._fail(job.source, job.page, str(loaded))
                    bar.update(1)
                else:
                    batch.append((job, loaded))
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
