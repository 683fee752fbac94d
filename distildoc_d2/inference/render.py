"""PDF pages rendered for the model: at the size the model will use (the export's resize rule,
so a huge page is rendered small instead of refused) or at a fixed dpi, by one of two renderers:

- `pdf2image` (the default): poppler's pdftoppm through pdf2image, one process per run of
  consecutive pages of one PDF that share a resolution (up to `CHUNK_PAGES` pages), so the
  process start-up is paid once per run, not once per page (pdftoppm's -scale-to-x/y ignore the
  page rotation, so the resolution that gives each page its size is passed instead);
- `pypdfium2`: PDFium in the same process (no process start-up at all).

Both render a page's crop box (what a viewer shows; pdftoppm alone would render the media box),
whose size poppler's pdfinfo reports (inference/pdf.py), and give RGB uint8 arrays.
"""
import numpy as np
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

from ..errors import ConfigError
from .inputs import InputError
from .pdf import POINTS_PER_INCH, check_pdf_file, poppler_error, pixels_at

RENDERERS = ("pdf2image", "pypdfium2")
# Pages per pdftoppm call: start-up amortised, memory bounded.
CHUNK_PAGES = 8


def model_pixels(size_pt, resize):
    """(width, height) in pixels at which a page of `size_pt` points (width, height) comes out of
    the resize rule `resize` ({"min_size", "max_size"}: shorter side to min_size unless the longer
    side would then exceed max_size), rounded as Detectron2's ResizeShortestEdge rounds."""
    width, height = size_pt
    scale = min(resize["min_size"] / min(width, height), resize["max_size"] / max(width, height))
    return max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5))


def effective_dpi(size_pt, width_px):
    """The resolution (dots per inch) at which a page `size_pt` wide renders `width_px` pixels wide."""
    return round(width_px * POINTS_PER_INCH / size_pt[0], 3)


def target_pixels(size_pt, dpi, resize):
    """(width, height) in pixels of a page: at `dpi`, or at the model's size when `dpi` is None."""
    return model_pixels(size_pt, resize) if dpi is None else pixels_at(size_pt, dpi)


class Pdf2ImageRenderer:
    """Pages rendered by pdftoppm (pdf2image), consecutive pages of one resolution per call."""

    name = "pdf2image"

    def render(self, path, pages, sizes, sizes_pt):
        """RGB arrays of the 1-based `pages` of `path` (`sizes_pt` their sizes in points), each at
        its (width, height) in `sizes` (up to a pixel of rounding)."""
        check_pdf_file(path)
        # pdftoppm rounds the scaled size up: aim half a pixel low
        dpis = [round((size[0] - 0.5) * POINTS_PER_INCH / size_pt[0], 4) for size, size_pt in zip(sizes, sizes_pt)]
        images, start = [], 0
        while start < len(pages):
            end = start + 1
            while (end < len(pages) and end - start < CHUNK_PAGES and pages[end] == pages[end - 1] + 1
                   and dpis[end] == dpis[start]):
                end += 1
            images += self._run(path, pages[start], pages[end - 1], dpis[start])
            start = end
        return images

    def _run(self, path, first, last, dpi):
        try:
            images = convert_from_path(path, first_page=first, last_page=last, dpi=dpi, use_cropbox=True)
        except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError) as err:
            raise poppler_error(err) from None
        if len(images) != last - first + 1:
            raise InputError(f"pages {first}-{last} could not be rendered")
        return [np.asarray(image.convert("RGB")) for image in images]


class PdfiumRenderer:
    """Pages rendered by PDFium (pypdfium2) in this process, the document opened once per call."""

    name = "pypdfium2"

    def __init__(self):
        try:
            import pypdfium2
        except ImportError:
            raise ConfigError("the pypdfium2 renderer needs the pypdfium2 package (pip install pypdfium2)") from None
        self.pdfium = pypdfium2

    def _open(self, path):
        try:
            return self.pdfium.PdfDocument(path)
        except self.pdfium.PdfiumError as err:
            if "password" in str(err).lower():
                raise InputError("the PDF is encrypted: it cannot be opened without a password") from None
            raise InputError(f"PDFium cannot read the PDF: {err}") from None

    def render(self, path, pages, sizes, sizes_pt):
        """RGB arrays of the 1-based `pages` of `path` (`sizes_pt` their sizes in points), each at
        its (width, height) in `sizes` (up to a pixel: PDFium rounds the scaled page size up)."""
        check_pdf_file(path)
        document = self._open(path)
        try:
            images = []
            for number, (width, height) in zip(pages, sizes):
                page = document[number - 1]
                page_width, page_height = page.get_size()  # as displayed (rotation applied)
                scale = min(width / page_width, height / page_height)
                bitmap = page.render(scale=scale, rev_byteorder=True)
                images.append(np.ascontiguousarray(bitmap.to_numpy()[:, :, :3]))
                page.close()
            return images
        except self.pdfium.PdfiumError as err:
            raise InputError(f"PDFium cannot render the PDF: {err}") from None
        finally:
            document.close()


def build_renderer(name):
    """The renderer called `name` (one of RENDERERS)."""
    if name == "pdf2image":
        return Pdf2ImageRenderer()
    if name == "pypdfium2":
        return PdfiumRenderer()
    raise ConfigError(f"unknown PDF renderer '{name}'; choose one of {', '.join(RENDERERS)}")
