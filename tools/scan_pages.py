#!/usr/bin/env python
"""Scanned-looking copies of a labelled page set: every page degraded like a scan (no pixel
moves, so the labels stay exact) and written as an image and as an image-only PDF (no text
layer). A born-digital teacher (pdf:pymupdf) finds nothing on those PDFs; an image student can
be scored on the images against the same labels.

    python tools/scan_pages.py coco:datasets/real/latex/annotations.json:datasets/real/latex/images \\
        --output datasets/real/latex_scanned

writes OUTPUT/images/, OUTPUT/pdf/ and OUTPUT/annotations.json.
"""
import argparse
import sys

from distildoc_d2.data.scanned_pages import build_scanned_pages
from distildoc_d2.data.specs import COCO_PREFIX, parse_coco_spec
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", help="a labelled set, coco:PATH.json[:IMAGE_ROOT]")
    parser.add_argument("--output", required=True, help="folder to create (must not exist)")
    parser.add_argument("--seed", type=int, default=0, help="which degradations each page gets (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        if not args.pages.startswith(COCO_PREFIX):
            raise DistilDocError(f"pages '{args.pages}': expected coco:PATH.json[:IMAGE_ROOT]")
        json_file, image_root = parse_coco_spec(args.pages)
        path = build_scanned_pages(json_file, image_root, args.output, args.seed, progress=not args.quiet)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
