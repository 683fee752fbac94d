"""What the predictor reads: input arguments expanded to files, page ranges, and images loaded
and checked (size limits) before any model runs."""
import glob
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import DistilDocError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
PDF_EXTENSIONS = (".pdf",)
# Pages with fewer pixels per side hold no layout worth detecting.
MIN_SIDE = 32
# About an A0 sheet at 150 dpi; larger pages are refused before they are decoded or rendered.
DEFAULT_MAX_PIXELS = 50_000_000


class InputError(DistilDocError):
    """One input file or page cannot be processed; the message says why."""


def is_pdf(path):
    """Whether `path` is handled as a PDF (by its extension)."""
    return path.lower().endswith(PDF_EXTENSIONS)


def _in_folder(folder):
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if f.lower().endswith(IMAGE_EXTENSIONS + PDF_EXTENSIONS)]
    return sorted(found)


def expand_inputs(arguments):
    """(files, errors): each argument is a file, a folder (its images and PDFs, recursively) or a
    glob pattern; `errors` lists (argument, message) for arguments that match nothing."""
    files, errors = [], []
    for arg in arguments:
        if os.path.isdir(arg):
            found, message = _in_folder(arg), "the folder holds no images or PDFs"
        elif os.path.isfile(arg):
            found, message = [arg], ""
        else:
            found = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            message = "the pattern matches no file" if glob.has_magic(arg) else "no such file"
        if found:
            files += found
        else:
            errors.append((arg, message))
    return files, errors


def parse_page_ranges(text):
    """Page selection like "1-3,5,8-": a list of (first, last) 1-based inclusive ranges, last None
    meaning "to the end"; None for an empty text (all pages). InputError for bad syntax."""
    if not text:
        return None
    ranges = []
    for part in text.split(","):
        part = part.strip()
        first, sep, last = part.partition("-")
        try:
            start = int(first)
            end = (int(last) if last.strip() else None) if sep else start
        except ValueError:
            raise InputError(f"bad page selection '{text}': use numbers and ranges such as 1-3,5,8-") from None
        if start < 1 or (end is not None and end < start):
            raise InputError(f"bad page range '{part}' in '{text}': pages count from 1 and ranges go upwards")
        ranges.append((start, end))
    return ranges


def select_pages(ranges, num_pages):
    """(pages, missing): the sorted 1-based pages of a document of `num_pages` pages that `ranges`
    selects, and the requested pages it does not have. A range that runs past the last page
    selects the pages that exist ("1-3" of a 1-page PDF is page 1); a single page, or a range
    that starts, past the last page is missing (its first page is listed)."""
    if ranges is None:
        return list(range(1, num_pages + 1)), []
    wanted, missing = set(), set()
    for start, end in ranges:
        if start > num_pages:
            missing.add(start)
        wanted.update(range(start, min(end if end is not None else num_pages, num_pages) + 1))
    return sorted(wanted), sorted(missing)


def missing_pages_message(num_pages, missing):
    """The error message for requested pages a document of `num_pages` pages does not have."""
    return (f"the PDF has {num_pages} page{'s' if num_pages != 1 else ''}; "
            f"page(s) {', '.join(map(str, missing))} do not exist")


def check_page_size(width, height, max_pixels):
    """InputError for a page too small to analyse or larger than `max_pixels`."""
    if min(width, height) < MIN_SIDE:
        raise InputError(f"the page is {width}x{height} pixels: too small for layout analysis "
                         f"(at least {MIN_SIDE} pixels per side)")
    if width * height > max_pixels:
        raise InputError(f"the page is {width}x{height} = {width * height:,} pixels, more than the limit of "
                         f"{max_pixels:,} (--max-pixels)")


def read_image(path, max_pixels=DEFAULT_MAX_PIXELS):
    """An image file as an RGB uint8 array (H, W, 3), its size checked before it is decoded."""
    try:
        with Image.open(path) as image:
            check_page_size(image.width, image.height, max_pixels)
            return np.asarray(image.convert("RGB"))
    except InputError:
        raise
    except Image.DecompressionBombError as err:
        raise InputError(f"the image is too large: {err}") from None
    except UnidentifiedImageError:
        raise InputError("cannot be read as an image (not an image file, or a format Pillow does not know)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise InputError(f"cannot be read as an image: {err}") from None


def as_rgb_array(image, channels="RGB"):
    """A page given as a PIL image or an array (H, W) grey, (H, W, 3) in `channels` order or
    (H, W, 4) with alpha, as an RGB uint8 array (H, W, 3)."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise InputError(f"image arrays must be uint8, got {array.dtype}")
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"image arrays must be (H, W), (H, W, 3) or (H, W, 4), got shape {array.shape}")
    if channels not in ("RGB", "BGR"):
        raise InputError(f"channels must be 'RGB' or 'BGR', got '{channels}'")
    array = array[:, :, :3]
    return np.ascontiguousarray(array[:, :, ::-1] if channels == "BGR" else array)
