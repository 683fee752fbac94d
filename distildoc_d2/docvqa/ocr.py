"""OCR pages: tokens with boxes in one page frame, read from the OCR formats of the DocVQA family.

Supported files (the format is recognised from the keys):
- Microsoft Read v2 (SP-DocVQA's OCR): `recognitionResults[i]` with `width`, `height` and
  `lines[].words[]`, each word a `text` and an 8-number `boundingBox` polygon;
- Microsoft Read v3: `analyzeResult.readResults[i]`, same lines and words;
- Amazon Textract (InfographicVQA's OCR): a `Blocks` list, or a dict of block lists keyed by
  `BlockType` (`LINE`, `WORD`); words in the order of their LINE blocks' children; boxes are
  fractions of the page, multiplied by the page image size when it is known (else the page
  frame is 1 x 1);
- the package's own format: `{"width", "height", "tokens": [{"text", "box", "line"}]}`.

Tokens keep the file's reading order; `line` numbers the text line a token belongs to (inferred
from the geometry, see `infer_lines`, when the file does not group words into lines).
"""
import json
from dataclasses import dataclass

from ..errors import DatasetError
from .geometry import polygon_to_box


@dataclass(frozen=True)
class OcrToken:
    """One OCR word: its text, its box (x0, y0, x1, y1) in the page frame and its line number."""

    text: str
    box: tuple
    line: int


@dataclass(frozen=True)
class OcrPage:
    """The OCR of one page: frame size and tokens in reading order."""

    width: float
    height: float
    tokens: tuple

    def to_json(self):
        """This page in the package's own OCR format."""
        return {"width": self.width, "height": self.height,
                "tokens": [{"text": t.text, "box": list(t.box), "line": t.line} for t in self.tokens]}


def infer_lines(boxes):
    """Line numbers for boxes in reading order: a new line starts when a box's vertical centre
    leaves the previous box's vertical extent or the box starts left of the previous one."""
    lines, line = [], 0
    for i, box in enumerate(boxes):
        if i:
            prev = boxes[i - 1]
            centre = (box[1] + box[3]) / 2
            if not prev[1] <= centre <= prev[3] or box[0] < prev[0]:
                line += 1
        lines.append(line)
    return lines


def make_page(width, height, words, source):
    """An OcrPage from (text, box, line or None) triples; blank words are dropped and missing
    line numbers inferred from the geometry."""
    if not width or not height or width <= 0 or height <= 0:
        raise DatasetError(f"{source}: the page size is missing or not positive ({width} x {height})")
    words = [(str(text).strip(), tuple(float(v) for v in box), line) for text, box, line in words
             if str(text).strip()]
    lines = [line for _, _, line in words]
    if any(line is None for line in lines):
        lines = infer_lines([box for _, box, _ in words])
    tokens = tuple(OcrToken(text, box, int(line)) for (text, box, _), line in zip(words, lines))
    return OcrPage(float(width), float(height), tokens)


def _read_ms_lines(result, source):
    words = []
    for line_no, line in enumerate(result.get("lines", [])):
        line_words = line.get("words") or [line]
        for word in line_words:
            words.append((word.get("text", ""), polygon_to_box(word["boundingBox"]), line_no))
    return make_page(result.get("width"), result.get("height"), words, source)


def _pick(results, page_index, source):
    if not 0 <= page_index < len(results):
        raise DatasetError(f"{source}: no page {page_index + 1} in the OCR file ({len(results)} pages)")
    return results[page_index]


def _textract_blocks(data):
    if "Blocks" in data:
        return list(data["Blocks"])
    return [block for key in ("LINE", "WORD") for block in data.get(key, [])]


def _read_textract(data, page_index, image_size, source):
    blocks = _textract_blocks(data)
    pages = sorted({b.get("Page", 1) for b in blocks}) or [1]
    wanted = _pick(pages, page_index, source)
    blocks = [b for b in blocks if b.get("Page", 1) == wanted]
    width, height = image_size or (1.0, 1.0)
    by_id = {b["Id"]: b for b in blocks if b.get("BlockType") == "WORD" and "Id" in b}
    ordered, seen = [], set()
    lines = [b for b in blocks if b.get("BlockType") == "LINE"]
    for line_no, line in enumerate(lines):
        for rel in line.get("Relationships") or []:
            if rel.get("Type") != "CHILD":
                continue
            for word_id in rel.get("Ids", []):
                if word_id in by_id and word_id not in seen:
                    seen.add(word_id)
                    ordered.append((by_id[word_id], line_no))
    for block in blocks:
        if block.get("BlockType") == "WORD" and block.get("Id") not in seen:
            ordered.append((block, None))
    words = []
    for block, line_no in ordered:
        geo = block["Geometry"]["BoundingBox"]
        box = (geo["Left"] * width, geo["Top"] * height, (geo["Left"] + geo["Width"]) * width,
               (geo["Top"] + geo["Height"]) * height)
        words.append((block.get("Text", ""), box, line_no))
    return make_page(width, height, words, source)


def _read_native(data, source):
    words = [(t.get("text", ""), t["box"], t.get("line")) for t in data["tokens"]]
    return make_page(data.get("width"), data.get("height"), words, source)


def parse_ocr(data, page_index=0, image_size=None, source="OCR"):
    """An OcrPage from a decoded OCR file (any supported format); `page_index` picks a page of a
    multi-page file and `image_size`, (width, height) or a function returning it (called only for
    Textract), scales Textract's page fractions."""
    try:
        if "recognitionResults" in data:
            return _read_ms_lines(_pick(data["recognitionResults"], page_index, source), source)
        if "analyzeResult" in data:
            return _read_ms_lines(_pick(data["analyzeResult"]["readResults"], page_index, source), source)
        if "Blocks" in data or "WORD" in data:
            size = image_size() if callable(image_size) else image_size
            return _read_textract(data, page_index, size, source)
        if "tokens" in data:
            return _read_native(data, source)
    except (KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"{source}: malformed OCR ({type(err).__name__}: {err})") from err
    raise DatasetError(f"{source}: unknown OCR format (expected recognitionResults, analyzeResult, Blocks/WORD "
                       f"or tokens; found keys {sorted(data)[:8]})")


def read_ocr_file(path, page_index=0, image_size=None):
    """Read an OCR JSON file; see `parse_ocr`."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as err:
        raise DatasetError(f"cannot read the OCR file {path}: {err.strerror}") from err
    except ValueError as err:
        raise DatasetError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: an OCR file must hold a JSON object")
    return parse_ocr(data, page_index, image_size, source=path)
