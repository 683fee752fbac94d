"""Page images and page OCR on demand: image files or PDF pages, OCR files or Tesseract."""
import json
import os
from collections import OrderedDict

import numpy as np

from ..errors import DatasetError
from .ocr import read_ocr_file
from .tesseract import tesseract_ocr

TESSERACT_MODES = ("never", "missing", "always")


class PageStore:
    """Loads the image and the OCR of a PageRef, each OCR once per run.

    `tesseract`: "never" (every page needs OCR), "missing" (Tesseract for pages without an OCR
    file or DUE OCR) or "always" (Tesseract for every page, ignoring the OCR given). Tesseract results are
    cached as JSON in `cache_dir` (when given) and reused by later runs. PDF pages are rendered
    at `pdf_dpi`.
    """

    def __init__(self, tesseract="never", lang="eng", pdf_dpi=150, cache_dir=None, images_kept=2):
        if tesseract not in TESSERACT_MODES:
            raise DatasetError(f"unknown Tesseract mode {tesseract!r} (one of {', '.join(TESSERACT_MODES)})")
        self.tesseract, self.lang, self.pdf_dpi, self.cache_dir = tesseract, lang, pdf_dpi, cache_dir
        self._ocr, self._images, self._images_kept = {}, OrderedDict(), images_kept

    def _uses_tesseract(self, page):
        if self.tesseract == "always":
            return True
        has_ocr = page.ocr is not None or (page.ocr_file and os.path.isfile(page.ocr_file))
        return self.tesseract == "missing" and not has_ocr

    def check(self, pages, need_images):
        """Raise a DatasetError naming the missing files if some page lacks an OCR source, or an
        image where one is needed (`need_images`, or Tesseract OCR)."""
        missing_ocr, missing_images = [], []
        for page in pages:
            tesseract = self._uses_tesseract(page)
            if page.ocr is None and not tesseract and not (page.ocr_file and os.path.isfile(page.ocr_file)):
                missing_ocr.append(page.ocr_file or page.key)
            if (need_images or tesseract) and not (page.image and os.path.isfile(page.image)):
                missing_images.append(page.image or page.key)
        if missing_ocr:
            raise DatasetError(f"{len(missing_ocr)} page(s) have no OCR file (first: {missing_ocr[0]}); give the "
                               "OCR folder, or OCR them with Tesseract (--tesseract missing)")
        if missing_images:
            raise DatasetError(f"{len(missing_images)} page image(s) are missing (first: {missing_images[0]}); "
                               "give the image folder")

    def image(self, page):
        """The page as a PIL RGB image (the last few are kept in memory)."""
        if page.key in self._images:
            self._images.move_to_end(page.key)
            return self._images[page.key]
        image = self._load_image(page)
        self._images[page.key] = image
        while len(self._images) > self._images_kept:
            self._images.popitem(last=False)
        return image

    def _load_image(self, page):
        if not page.image or not os.path.isfile(page.image):
            raise DatasetError(f"page {page.key}: image {page.image} does not exist")
        if page.pdf_page is not None:
            from pdf2image import convert_from_path

            images = convert_from_path(page.image, dpi=self.pdf_dpi, first_page=page.pdf_page + 1,
                                       last_page=page.pdf_page + 1, use_cropbox=True)
            if not images:
                raise DatasetError(f"{page.image} has no page {page.pdf_page + 1}")
            return images[0].convert("RGB")
        from PIL import Image

        try:
            with Image.open(page.image) as image:
                return image.convert("RGB")
        except OSError as err:
            raise DatasetError(f"cannot read the page image {page.image}: {err}") from err

    def image_array(self, page):
        """The page as an H x W x 3 uint8 RGB array."""
        return np.asarray(self.image(page))

    def image_size(self, page):
        """(width, height) of the page image in pixels (read from the file header for image files)."""
        if page.key not in self._images and page.pdf_page is None and page.image and os.path.isfile(page.image):
            from PIL import Image

            with Image.open(page.image) as image:
                return image.size
        return self.image(page).size

    def ocr(self, page):
        """The page's OcrPage."""
        if page.key not in self._ocr:
            self._ocr[page.key] = self._load_ocr(page)
        return self._ocr[page.key]

    def _load_ocr(self, page):
        if page.ocr is not None and not self._uses_tesseract(page):
            return page.ocr
        if not self._uses_tesseract(page):
            has_image = page.image and os.path.isfile(page.image)
            return read_ocr_file(page.ocr_file, page.ocr_page,
                                 image_size=(lambda: self.image_size(page)) if has_image else None)
        cached = os.path.join(self.cache_dir, f"{page.key}.json") if self.cache_dir else None
        if cached and os.path.isfile(cached):
            return read_ocr_file(cached)
        result = tesseract_ocr(self.image(page), lang=self.lang)
        if cached:
            os.makedirs(self.cache_dir, exist_ok=True)
            with open(cached + ".tmp", "w", encoding="utf-8") as f:
                json.dump(result.to_json(), f)
            os.replace(cached + ".tmp", cached)
        return result

