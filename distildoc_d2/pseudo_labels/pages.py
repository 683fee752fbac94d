"""The pages a teacher labels: image files, folders, globs, PDFs (each page rendered once at a
stated dpi), list files (`@LIST.txt`: one PDF or image a line, with optional PDF page ranges) or
the images of a COCO json, whose own labels then only score the pseudo-labels."""
import os
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from ..data.coco_layout import read_json
from ..data.specs import COCO_PREFIX, parse_coco_spec
from ..errors import DatasetError
from ..inference.inputs import (InputError, expand_inputs, is_pdf, missing_pages_message, parse_page_ranges,
                                read_image, select_pages)
from ..inference.pdf import page_sizes, render_page


@dataclass
class Page:
    """One page to label. `load()` gives its RGB uint8 array; `boxes_scale` turns the teacher's
    page coordinates into the written image's (1 for images). PDF pages know their file, number,
    dpi and size in points (a born-digital teacher reads the PDF itself)."""

    name: str
    source: str
    load: Callable
    page: Optional[int] = None
    dpi: Optional[float] = None
    size_pt: Optional[tuple] = None
    image_id: Optional[int] = None
    file_name: Optional[str] = None
    ground_truth: Optional[List[tuple]] = field(default=None)


class _UniqueNames:
    def __init__(self):
        self.used = set()

    def __call__(self, stem):
        name, n = stem, 1
        while name in self.used:
            n += 1
            name = f"{stem}_{n}"
        self.used.add(name)
        return name


LIST_PREFIX = "@"


def _pdf_pages(path, dpi, unique, ranges=None):
    sizes = page_sizes(path)
    numbers, missing = select_pages(ranges, len(sizes))
    if missing:
        raise InputError(missing_pages_message(len(sizes), missing))
    stem = os.path.splitext(os.path.basename(path))[0]
    return [Page(name=unique(f"{stem}_p{number:03d}"), source=path, page=number, dpi=dpi, size_pt=sizes[number - 1],
                 load=lambda number=number: render_page(path, number, dpi))
            for number in numbers]


def _file_pages(path, dpi, unique, ranges=None):
    if is_pdf(path):
        return _pdf_pages(path, dpi, unique, ranges)
    stem = os.path.splitext(os.path.basename(path))[0]
    return [Page(name=unique(stem), source=path, load=lambda path=path: read_image(path),
                 file_name=os.path.basename(path))]


def _listed_pages(arg, dpi, unique):
    """(pages, errors) of `@LIST.txt`: lines `PATH [PAGES]` (PAGES like 1-3,5 selects PDF pages;
    relative paths start at the list's folder; blank lines and # comments are skipped)."""
    list_file = arg[len(LIST_PREFIX):]
    try:
        with open(list_file, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        return [], [(arg, f"the list file cannot be read: {err.strerror}")]
    pages, errors = [], []
    for number, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        path, _, selection = line.partition(" ")
        path = os.path.join(os.path.dirname(list_file), path)
        try:
            if not os.path.isfile(path):
                raise InputError("no such file")
            pages += _file_pages(path, dpi, unique, parse_page_ranges(selection.strip()))
        except InputError as err:
            errors.append((f"{list_file}:{number}: {path}", str(err)))
    return pages, errors


def labelled_boxes(data, names):
    """{image id: [(class name, [x0, y0, x1, y1])]} of a COCO json's annotations, category ids
    named by `names` ({id: name}; annotations of ids it lacks are left out)."""
    truth = {}
    for ann in data.get("annotations", []):
        if ann["category_id"] in names:
            x, y, w, h = ann["bbox"]
            truth.setdefault(ann["image_id"], []).append((names[ann["category_id"]], [x, y, x + w, y + h]))
    return truth


def _coco_pages(spec, unique):
    json_file, image_root = parse_coco_spec(spec)
    data = read_json(json_file)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DatasetError(f"{json_file}: expected a COCO json with a list under 'images'")
    names = {c["id"]: c["name"] for c in data.get("categories", []) if isinstance(c, dict) and "id" in c}
    truth = labelled_boxes(data, names)
    has_labels = bool(data.get("annotations"))
    pages = []
    for image in data["images"]:
        path = os.path.join(image_root, image["file_name"])
        pages.append(Page(name=unique(os.path.splitext(os.path.basename(image["file_name"]))[0]), source=path,
                          load=lambda path=path: read_image(path), image_id=image["id"],
                          file_name=image["file_name"],
                          ground_truth=truth.get(image["id"], []) if has_labels else None))
    return pages


def pages_from_inputs(arguments, dpi):
    """(pages, errors): the pages of every argument (a file, folder, glob, PDF, `@LIST.txt` or
    `coco:PATH.json[:IMAGE_ROOT]`), and (argument, message) for those that cannot be used."""
    unique = _UniqueNames()
    pages, errors = [], []
    plain = []
    for arg in arguments:
        if arg.startswith(COCO_PREFIX):
            try:
                pages += _coco_pages(arg, unique)
            except (DatasetError, KeyError, TypeError, ValueError) as err:
                errors.append((arg, str(err) if isinstance(err, DatasetError) else f"malformed COCO json: {err!r}"))
        elif arg.startswith(LIST_PREFIX):
            listed, failed = _listed_pages(arg, dpi, unique)
            pages += listed
            errors += failed
        else:
            plain.append(arg)
    files, missing = expand_inputs(plain)
    errors += missing
    for path in files:
        try:
            pages += _file_pages(path, dpi, unique)
        except InputError as err:
            errors.append((path, str(err)))
    return pages, errors
