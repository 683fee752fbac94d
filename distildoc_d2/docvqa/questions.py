"""Questions of the DocVQA family and the pages they are asked on.

- SP-DocVQA / InfographicVQA: one JSON `{"data": [{"questionId", "question", "image" (or
  `image_local_name`), "docId", "answers", "question_types" (or `answer_type`), ...}]}`, page
  images under an image folder and one OCR JSON per page (`<image stem>.json`, or the file
  named by `ocr_output_file`) under an OCR folder.
- DUE: `document.jsonl` (one document a line: `name`, `annotations[]` with `id`, `key` = the
  question and `values[]` with `value` / `value_variants` = the answers) and its
  `documents_content.jsonl` (per document, per OCR tool, `tokens_layer` or `common_format`
  with `tokens`, `positions` and `structures.pages` / `structures.lines`). Page images, needed
  only by image-based layout sources, are `<name>.pdf` or `<page key>.<png|jpg>` in the image folder.

A page's `key` names it everywhere else (layout JSON files, COCO `file_name` stems, caches): the
image stem for SP-DocVQA/InfographicVQA; for DUE the document name, with `_page<N>` (1-based)
appended for documents of more than one page.
"""
import json
import os
from dataclasses import dataclass, field

from ..errors import DatasetError
from .ocr import make_page

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class PageRef:
    """Where one page's image and OCR are: `image` is an image file or a PDF (then `pdf_page`, 0-based,
    picks the page); `ocr_file`/`ocr_page` name an OCR file, or `ocr` holds the page's OCR already."""

    key: str
    image: str = None
    pdf_page: int = None
    ocr_file: str = None
    ocr_page: int = 0
    ocr: object = None


@dataclass
class Question:
    """A question, its gold answers and question types, and the pages of its document in order."""

    qid: str
    question: str
    answers: list
    types: list
    doc_id: str
    pages: list = field(default_factory=list)


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as err:
        raise DatasetError(f"cannot read {path}: {err.strerror}") from err
    except ValueError as err:
        raise DatasetError(f"{path} is not valid JSON: {err}") from err


def _read_jsonl(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as err:
                        raise DatasetError(f"{path}:{number} is not valid JSON: {err}") from err
    except OSError as err:
        raise DatasetError(f"cannot read {path}: {err.strerror}") from err
    return rows


def _resolve_image(images_dir, relative):
    candidates = [os.path.join(images_dir, relative), os.path.join(images_dir, os.path.basename(relative))]
    return next((p for p in candidates if os.path.isfile(p)), candidates[0])


def _question_types(item, type_field, fallbacks):
    if type_field:
        return _as_list(item.get(type_field))
    for name in fallbacks:
        if name in item:
            return _as_list(item[name])
    return []


def load_docvqa_questions(path, images_dir=None, ocr_dir=None, type_field=None):
    """Questions of an SP-DocVQA or InfographicVQA JSON file. `images_dir` defaults to the file's
    folder; without `ocr_dir` pages have no OCR file (use Tesseract). Types come from `type_field`,
    else `question_types`, else `answer_type`."""
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DatasetError(f"{path}: expected a JSON object with a `data` list of questions")
    images_dir = images_dir or os.path.dirname(os.path.abspath(path))
    questions = []
    for number, item in enumerate(data["data"]):
        where = f"{path}: question {number}"
        image = item.get("image") or item.get("image_local_name")
        if not image or "question" not in item or "questionId" not in item:
            raise DatasetError(f"{where} lacks `questionId`, `question` or `image`/`image_local_name`")
        if not item.get("answers"):
            raise DatasetError(f"{where} (id {item['questionId']}) has no `answers` (a test split cannot be scored)")
        key = os.path.splitext(os.path.basename(image))[0]
        ocr_name = os.path.basename(item.get("ocr_output_file") or f"{key}.json")
        page = PageRef(key=key, image=_resolve_image(images_dir, image),
                       ocr_file=os.path.join(ocr_dir, ocr_name) if ocr_dir else None)
        questions.append(Question(qid=str(item["questionId"]), question=str(item["question"]),
                                  answers=_as_list(item["answers"]),
                                  types=_question_types(item, type_field, ("question_types", "answer_type")),
                                  doc_id=str(item.get("docId", key)), pages=[page]))
    return questions


def _due_layer(content, tool, path):
    contents = content.get("contents") or []
    if not contents:
        raise DatasetError(f"{path}: document {content.get('name')} has no OCR contents")
    if tool:
        chosen = [c for c in contents if c.get("tool_name") == tool]
        if not chosen:
            tools = [c.get("tool_name") for c in contents]
            raise DatasetError(f"{path}: document {content.get('name')} has no OCR from {tool!r} (it has {tools})")
        contents = chosen
    layer = contents[0].get("tokens_layer") or contents[0].get("common_format")
    if not layer:
        raise DatasetError(f"{path}: document {content.get('name')} has neither tokens_layer nor common_format")
    return layer


def _due_pages(name, layer, images_dir, path):
    tokens, positions = layer.get("tokens", []), layer.get("positions", [])
    structures = layer.get("structures", {})
    page_struct = structures.get("pages", {})
    page_boxes, page_ranges = page_struct.get("positions", []), page_struct.get("structure_value", [])
    if len(tokens) != len(positions) or not page_boxes or len(page_boxes) != len(page_ranges):
        raise DatasetError(f"{path}: document {name} has mismatched tokens/positions or page structures")
    line_of = {}
    for line_no, (start, end) in enumerate(structures.get("lines", {}).get("structure_value", [])):
        for index in range(start, end):
            line_of[index] = line_no
    pages = []
    for number, (frame, (start, end)) in enumerate(zip(page_boxes, page_ranges)):
        x0, y0 = frame[0], frame[1]
        words = [(tokens[i], (positions[i][0] - x0, positions[i][1] - y0, positions[i][2] - x0,
                              positions[i][3] - y0), line_of.get(i)) for i in range(start, end)]
        key = name if len(page_boxes) == 1 else f"{name}_page{number + 1}"
        ocr = make_page(frame[2] - x0, frame[3] - y0, words, source=f"{path}: {name} page {number + 1}")
        image, pdf_page = None, None
        if images_dir:
            pdf = os.path.join(images_dir, f"{name}.pdf")
            if os.path.isfile(pdf):
                image, pdf_page = pdf, number
            else:
                found = [os.path.join(images_dir, key + ext) for ext in IMAGE_EXTENSIONS]
                image = next((p for p in found if os.path.isfile(p)), found[0])
        pages.append(PageRef(key=key, image=image, pdf_page=pdf_page, ocr=ocr))
    return pages


def _due_answers(annotation):
    answers = []
    for value in annotation.get("values", []):
        for text in [value.get("value")] + list(value.get("value_variants") or []):
            if text is not None and str(text) not in answers:
                answers.append(str(text))
    return answers


def load_due_questions(document_path, content_path=None, images_dir=None, ocr_tool=None, type_field=None):
    """Questions of a DUE `document.jsonl`, with OCR from its `documents_content.jsonl` (default:
    beside it) made by `ocr_tool` (default: the first tool listed per document). Types come from
    an annotation's `metadata[type_field]` (default `question_type`)."""
    content_path = content_path or os.path.join(os.path.dirname(os.path.abspath(document_path)),
                                                "documents_content.jsonl")
    contents = {c.get("name"): c for c in _read_jsonl(content_path)}
    questions = []
    for doc in _read_jsonl(document_path):
        name = doc.get("name")
        if name not in contents:
            raise DatasetError(f"{content_path} has no content for document {name!r} of {document_path}")
        pages = _due_pages(name, _due_layer(contents[name], ocr_tool, content_path), images_dir, content_path)
        for number, annotation in enumerate(doc.get("annotations", [])):
            answers = _due_answers(annotation)
            if not answers or "key" not in annotation:
                raise DatasetError(f"{document_path}: document {name} annotation {number} lacks `key` or answers")
            metadata = annotation.get("metadata") or {}
            questions.append(Question(qid=str(annotation.get("id", f"{name}/{number}")),
                                      question=str(annotation["key"]), answers=answers,
                                      types=_as_list(metadata.get(type_field or "question_type")),
                                      doc_id=name, pages=pages))
    return questions


def load_questions(path, fmt="auto", images_dir=None, ocr_dir=None, content_path=None, ocr_tool=None,
                   type_field=None, limit=None):
    """Questions from an SP-DocVQA/InfographicVQA JSON (`fmt` "docvqa") or a DUE document.jsonl
    (`fmt` "due"); "auto" decides by the extension (.jsonl is DUE). `limit` keeps the first N."""
    if fmt == "auto":
        fmt = "due" if path.endswith(".jsonl") else "docvqa"
    if fmt == "docvqa":
        questions = load_docvqa_questions(path, images_dir, ocr_dir, type_field)
    elif fmt == "due":
        questions = load_due_questions(path, content_path, images_dir, ocr_tool, type_field)
    else:
        raise DatasetError(f"unknown question format {fmt!r} (docvqa, due or auto)")
    seen = set()
    for q in questions:
        if q.qid in seen:
            raise DatasetError(f"{path}: question id {q.qid} occurs twice")
        seen.add(q.qid)
    if not questions:
        raise DatasetError(f"{path} holds no questions")
    return questions[:limit] if limit else questions
