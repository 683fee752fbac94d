#!/usr/bin/env python
"""A teacher and its students on the same PDF pages in one run: bbox mAP against exact labels and
milliseconds per page from the PDF file to the regions, each as a fraction of the teacher's (the
first --labeller). Labellers are what tools/pseudo_label.py takes as --teacher (pdf:pymupdf,
run:FOLDER, export:FOLDER[:BACKEND]); each page set is a name, the COCO json of its exact labels
('-': timed only) and its pages (PDFs, a glob, a folder or @LIST.txt).

    python tools/compare_labellers.py --dpi 72 \\
        --labeller "teacher pdf:pymupdf=pdf:pymupdf" \\
        --labeller "student R18 (eager)=run:output/real/pseudo-pymupdf+synthetic_R18_FPN-320" \\
        --labeller "student R18 (ONNX)=export:output/real/pseudo-pymupdf+synthetic_R18_FPN-320/export:onnx" \\
        --set "LaTeX pages" datasets/real/latex/annotations.json "datasets/real/latex/pdf/*.pdf" \\
        --set "scanned copies" datasets/real/latex_scanned/annotations.json "datasets/real/latex_scanned/pdf/*.pdf" \\
        --set "held-out documents" - @datasets/real/corpus/heldout.txt --output output/real/labellers.json

Pages are rendered at --dpi (the dpi of the exact labels) for image models inside their timed
call; a born-digital analyser reads the PDF itself. Prints a Markdown table and writes the
numbers (per class too) to --output.
"""
import argparse
import json
import os
import platform
import sys
import time

import torch

from distildoc_d2.data.categories import LAYOUT_TAXONOMIES
from distildoc_d2.errors import ConfigError, DistilDocError
from distildoc_d2.evaluation.labeller_comparison import PageSet, compare_labellers, labeller_table
from distildoc_d2.pseudo_labels import build_teacher, pages_from_inputs


def parse_labeller(value):
    """(name, spec) of NAME=SPEC (or SPEC alone, named by itself)."""
    name, sep, spec = value.partition("=")
    return (name.strip(), spec.strip()) if sep else (value, value)


def page_set(name, truth, inputs, dpi, max_pages):
    if truth != "-" and not os.path.isfile(truth):
        raise ConfigError(f"--set {name}: the exact labels {truth} do not exist (give a COCO json, or - to only time)")
    pages, bad = pages_from_inputs([inputs], dpi)
    if bad:
        raise ConfigError(f"--set {name}: {bad[0][0]}: {bad[0][1]}")
    if not pages:
        raise ConfigError(f"--set {name}: {inputs} holds no PDF page")
    return PageSet(name, pages[:max_pages] if max_pages else pages, None if truth == "-" else truth)


def rendering_seconds(page_sets, limit=20):
    """Mean seconds to render a page alone, over the first `limit` pages."""
    pages = [p for s in page_sets for p in s.pages][:limit]
    start = time.perf_counter()
    for page in pages:
        page.load()
    return (time.perf_counter() - start) / len(pages)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labeller", action="append", required=True, metavar="NAME=SPEC",
                        help="a labeller, the teacher first (repeat): pdf:ANALYSER, run:FOLDER, export:FOLDER[:BACKEND]")
    parser.add_argument("--set", action="append", nargs=3, required=True, metavar=("NAME", "TRUTH", "PAGES"),
                        help="a page set: its name, the COCO json of its exact labels (- for none) and its pages")
    parser.add_argument("--classes", default="doclaynet", choices=sorted(LAYOUT_TAXONOMIES),
                        help="the scored classes (default doclaynet)")
    parser.add_argument("--dpi", type=float, default=144, help="resolution the pages are rendered at (default 144)")
    parser.add_argument("--max-pages", type=int, default=0, help="at most this many pages of each set (0: all)")
    parser.add_argument("--device", default="cpu", help="device of run and export labellers")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--output", default="", help="also write the numbers to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        specs = [parse_labeller(value) for value in args.labeller]
        labellers = [(name, build_teacher(spec, args.device)) for name, spec in specs]
        sets = [page_set(name, truth, inputs, args.dpi, args.max_pages) for name, truth, inputs in args.set]
        classes = list(LAYOUT_TAXONOMIES[args.classes])
        results = compare_labellers(labellers, sets, classes, progress=not args.quiet)
        render = rendering_seconds(sets)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(labeller_table(results, sets))
    print(f"\nRendering a page alone at {args.dpi:g} dpi: {1000 * render:.0f} ms (inside an image model's time above). "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs.")
    if args.output:
        record = {"dpi": args.dpi, "render_ms": 1000 * render, "threads": torch.get_num_threads(),
                  "machine": platform.processor() or platform.machine(),
                  "sets": {s.name: {"pages": len(s.pages), "truth": s.truth_json} for s in sets},
                  "labellers": [{"name": r.name, "spec": spec, "scores": r.scores,
                                 "ms_per_page": 1000 * r.seconds_per_page, "failed_pages": r.failed_pages}
                                for r, (_, spec) in zip(results, specs)]}
        with open(args.output, "w") as f:
            json.dump(record, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
