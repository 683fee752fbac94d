"""PDF pages for the predictor: the file checked, page sizes read with poppler's pdfinfo and
pages rendered with pdftoppm (both through pdf2image), one page at a time at a given dpi (the
predictor renders at the model's size, several pages per call: see render.py)."""
import os
import re

import numpy as np
from pdf2image import convert_from_path, pdfinfo_from_path
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

from .inputs import InputError

DEFAULT_DPI = 144
POINTS_PER_INCH = 72.0
_PAGE_KEY = re.compile(r"Page\s+(\d+)\s+(size|rot)")
_SIZE = re.compile(r"([\d.]+)\s*x\s*([\d.]+)")


def check_pdf_file(path):
    """InputError for an empty, non-PDF or truncated file, before poppler sees it."""
    size = os.path.getsize(path)
    if size == 0:
        raise InputError("the PDF file is empty (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(1024)
        f.seek(max(0, size - 2048))
        tail = f.read()
    if b"%PDF-" not in head:
        raise InputError("not a PDF file (no %PDF- header)")
    if b"%%EOF" not in tail:
        raise InputError("the PDF file is truncated (no %%EOF marker at its end)")


def poppler_error(err):
    """The InputError for a poppler failure (encrypted PDF, or poppler's last message)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if any("Incorrect password" in line for line in lines):
        return InputError("the PDF is encrypted: it cannot be opened without a password")
    detail = lines[-1] if len(lines) > 1 else "unknown error"
    return InputError(f"poppler cannot read the PDF: {detail}")


def _pdfinfo(path, **pages):
    try:
        return pdfinfo_from_path(path, **pages)
    except PDFInfoNotInstalledError:
        raise InputError("poppler's pdfinfo is not installed (apt-get install poppler-utils)") from None
    except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError) as err:
        raise poppler_error(err) from None


def page_sizes(path):
    """[(width, height)] in points of every page as displayed (page rotation applied)."""
    check_pdf_file(path)
    count = _pdfinfo(path).get("Pages", 0)
    if not count:
        raise InputError("the PDF has no pages")
    info = _pdfinfo(path, first_page=1, last_page=count)
    sizes, rotations = {}, {}
    for key, value in info.items():
        match = _PAGE_KEY.match(key)
        if not match:
            continue
        page = int(match.group(1))
        if match.group(2) == "size":
            size = _SIZE.search(str(value))
            sizes[page] = (float(size.group(1)), float(size.group(2))) if size else None
        else:
            rotations[page] = int(float(value or 0))
    result = []
    for page in range(1, count + 1):
        if not sizes.get(page):
            raise InputError(f"pdfinfo reports no size for page {page}")
        width, height = sizes[page]
        result.append((height, width) if rotations.get(page, 0) % 180 == 90 else (width, height))
    return result


def pixels_at(size_pt, dpi):
    """(width, height) in pixels of a page of `size_pt` points rendered at `dpi`."""
    return tuple(int(round(v * dpi / POINTS_PER_INCH)) for v in size_pt)


def render_page(path, page, dpi):
    """Page `page` (1-based) rendered at `dpi` as an RGB uint8 array (H, W, 3)."""
    try:
        images = convert_from_path(path, dpi=dpi, first_page=page, last_page=page, use_cropbox=True)
    except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError) as err:
        raise poppler_error(err) from None
    if not images:
        raise InputError(f"page {page} could not be rendered")
    return np.asarray(images[0].convert("RGB"))
