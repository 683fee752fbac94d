"""Born-digital teachers: a PDF layout analyser that reads a page's text and drawings (no image
model) labels PDF pages, as the `pdf:NAME` teacher of tools/pseudo_label.py.

An analyser is one class registered with `@register_analyser("name")`: it has `class_names`,
`description` (a dict) and `analyse(path, number)` -> (PageFrame, [(class, [x0, y0, x1, y1])]),
boxes in PDF points in the frame's unrotated, top-left based coordinates. The teacher maps them
to the pixels of the rendered page (rotation applied, points * dpi / 72). `pymupdf` wraps
PyMuPDF's layout analyser; PyMuPDF is AGPL-3.0, so it is never a dependency of distildoc_d2 and
is imported only here, when that teacher is asked for.
"""
from collections import OrderedDict
from dataclasses import dataclass

from ..errors import ConfigError
from ..inference.inputs import InputError, is_pdf
from ..inference.pdf import POINTS_PER_INCH

ANALYSERS = {}
PYMUPDF_HINT = ("PyMuPDF is not installed; it is an optional, user-installed tool (AGPL-3.0, not a dependency of "
                "distildoc_d2): pip install 'pymupdf>=2' (or pip install -e '.[born-digital]')")


def register_analyser(name):
    """Class decorator: make an analyser available as the teacher `pdf:<name>`."""
    def register(cls):
        ANALYSERS[name] = cls
        return cls
    return register


@dataclass(frozen=True)
class PageFrame:
    """The rectangle a renderer draws, in points: `width` x `height` before rotation, turned
    `rotation` degrees clockwise (0, 90, 180 or 270) for display."""

    width: float
    height: float
    rotation: int = 0


def rotate_box(box, frame):
    """A box [x0, y0, x1, y1] of the unrotated frame in the displayed (rotated) frame, in points."""
    x0, y0, x1, y1 = box
    w, h = frame.width, frame.height
    rotation = frame.rotation % 360
    if rotation == 90:
        x0, y0, x1, y1 = h - y1, x0, h - y0, x1
    elif rotation == 180:
        x0, y0, x1, y1 = w - x1, h - y1, w - x0, h - y0
    elif rotation == 270:
        x0, y0, x1, y1 = y0, w - x1, y1, w - x0
    elif rotation != 0:
        raise InputError(f"page rotation {frame.rotation} is not a multiple of 90 degrees")
    return [x0, y0, x1, y1]


def box_to_pixels(box, frame, dpi):
    """A box in the unrotated frame's points -> the rendered page's pixels at `dpi`."""
    scale = dpi / POINTS_PER_INCH
    return [v * scale for v in rotate_box(box, frame)]


class BornDigitalTeacher:
    """A PDF analyser as a teacher: PDF pages only (anything else is an InputError for that
    page), boxes without scores, in the pixels of the page as tools/pseudo_label.py renders it."""

    def __init__(self, name, analyser):
        self.name = name
        self.analyser = analyser
        self.class_names = list(analyser.class_names)
        self.description = {"kind": "pdf", "analyser": name, **analyser.description}

    def check_pages(self, pages):
        """ConfigError when no page is a PDF page (this teacher reads PDFs, not images)."""
        if not any(p.page is not None and is_pdf(p.source) for p in pages):
            raise ConfigError(f"--teacher pdf:{self.name} reads born-digital PDFs, and none of the {len(pages)} "
                              "pages is a PDF page; give PDF files (or @LIST.txt of PDFs)")

    def __call__(self, page):
        if page.page is None or not is_pdf(page.source):
            raise InputError(f"not a PDF page: the pdf:{self.name} teacher reads a PDF's text and drawings, "
                             "so it cannot label an image")
        frame, regions = self.analyser.analyse(page.source, page.page)
        return [{"category": name, "bbox": box_to_pixels(box, frame, page.dpi), "score": None}
                for name, box in regions]


@register_analyser("pymupdf")
class PyMuPDFAnalyser:
    """PyMuPDF's layout analyser (pymupdf >= 2, `import pymupdf.layout`; `page.get_layout()`):
    DocLayNet's 11 classes in lower case, no scores. Rotated pages are analysed unrotated (it
    reads them badly otherwise). Its boxes are already relative to the crop box, the rectangle a
    page is rendered in (inference/pdf.py renders the crop box), so the frame is the crop box.
    Documents stay open across their pages (the last few by path)."""

    class_names = ("caption", "footnote", "formula", "list-item", "page-footer", "page-header", "picture",
                   "section-header", "table", "text", "title")
    open_documents = 4

    def __init__(self):
        try:
            import pymupdf
            import pymupdf.layout  # noqa: F401  (activates page.get_layout)
        except ImportError:
            raise ConfigError(f"--teacher pdf:pymupdf: {PYMUPDF_HINT}") from None
        self.pymupdf = pymupdf
        pymupdf.TOOLS.mupdf_display_errors(False)
        self.description = {"pymupdf": pymupdf.VersionBind, "licence": "AGPL-3.0"}
        self.documents = OrderedDict()

    def _document(self, path):
        if path in self.documents:
            self.documents.move_to_end(path)
            return self.documents[path]
        try:
            document = self.pymupdf.open(path)
        except (RuntimeError, ValueError) as err:
            raise InputError(f"PyMuPDF cannot open the PDF: {err}") from None
        if document.needs_pass:
            document.close()
            raise InputError("the PDF is encrypted: it cannot be opened without a password")
        self.documents[path] = document
        while len(self.documents) > self.open_documents:
            self.documents.popitem(last=False)[1].close()
        return document

    def analyse(self, path, number):
        document = self._document(path)
        if not 1 <= number <= document.page_count:
            raise InputError(f"the PDF has {document.page_count} pages; page {number} does not exist")
        page = document[number - 1]
        rotation = page.rotation
        try:
            if rotation:
                page.set_rotation(0)  # in memory only: the document is never saved
            page.get_layout()
        except Exception as err:  # a black box: whatever fails on a page is that page's error
            raise InputError(f"PyMuPDF's layout analyser failed on page {number}: {err}") from None
        finally:
            if rotation:
                page.set_rotation(rotation)
        crop = page.cropbox
        regions = [(name, [x0, y0, x1, y1]) for x0, y0, x1, y1, name in (page.layout_information or [])]
        return PageFrame(crop.width, crop.height, rotation), regions


def build_born_digital_teacher(name):
    """The teacher `pdf:<name>`."""
    if name not in ANALYSERS:
        raise ConfigError(f"--teacher pdf:{name}: no such PDF analyser; known: "
                          f"{', '.join('pdf:' + n for n in sorted(ANALYSERS))}")
    return BornDigitalTeacher(name, ANALYSERS[name]())
