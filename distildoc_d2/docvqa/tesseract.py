"""OCR of a page image with Tesseract (`pytesseract.image_to_data`), for pages without an OCR file."""
from ..errors import DistilDocError
from .ocr import make_page


def tesseract_ocr(image, lang="eng", config=""):
    """An OcrPage of a PIL image or an RGB array: Tesseract's words (level 5) in its reading order,
    boxes in the image's pixels, one line number per (block, paragraph, line)."""
    try:
        import pytesseract
    except ImportError as err:
        raise DistilDocError("OCR with Tesseract needs pytesseract: pip install pytesseract "
                             "(and the tesseract-ocr program)") from err
    from PIL import Image

    if not isinstance(image, Image.Image):
        image = Image.fromarray(image)
    try:
        data = pytesseract.image_to_data(image, lang=lang, config=config, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as err:
        raise DistilDocError("the tesseract program is not installed (e.g. apt-get install tesseract-ocr)") from err
    line_ids, words = {}, []
    for i, level in enumerate(data["level"]):
        text = data["text"][i].strip()
        if level != 5 or not text or float(data["conf"][i]) < 0:
            continue
        key = (data["page_num"][i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        line = line_ids.setdefault(key, len(line_ids))
        x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
        words.append((text, (x, y, x + w, y + h), line))
    return make_page(image.width, image.height, words, source="tesseract")
