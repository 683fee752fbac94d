#!/usr/bin/env python
"""Typeset LaTeX documents with exact region boxes (recorded by pdfTeX's \\pdfsavepos, not by any
layout model) and write their pages as a labelled COCO set in DocLayNet's classes: real typeset
pages on which a student's real accuracy can be measured.

    python tools/typeset_pages.py --output datasets/real/latex --documents 16 --dpi 72

writes OUTPUT/images/, OUTPUT/annotations.json and OUTPUT/pdf/ (sources and PDFs). Needs
pdflatex: apt-get install texlive-latex-base texlive-latex-recommended texlive-fonts-recommended.
"""
import argparse
import sys

from distildoc_d2.data.latex_pages import build_latex_pages
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="folder of the labelled set")
    parser.add_argument("--documents", type=int, default=16, help="documents to typeset (default 16, ~3 pages each)")
    parser.add_argument("--seed", type=int, default=0, help="what the documents hold (default 0)")
    parser.add_argument("--dpi", type=float, default=72, help="resolution of the page images (default 72)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        path, pages, coverage = build_latex_pages(args.output, args.documents, args.seed, args.dpi,
                                                  progress=not args.quiet)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{pages} pages of {args.documents} documents; {coverage:.1%} of their ink lies inside a labelled box")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
