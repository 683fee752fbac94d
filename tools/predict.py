#!/usr/bin/env python
"""Predict the layout of PDFs and page images with an exported model (tools/export_model.py) or
a run folder, and write one JSON per page.

    python tools/predict.py --model export/student paper.pdf scans/ "pages/*.png" --output layout/
    python tools/predict.py --model export/student --backend torchscript doc.pdf --pages 1-3,5 --dpi 200
    python tools/predict.py --model export/student doc.pdf --masks --visualize --coco-results layout/coco.json
    python tools/predict.py --model output/demo/feature_mse_R50_to_R18 page.png     # run folder: eager

Inputs are PDF files (rendered with poppler at --dpi; --pages selects pages), images, folders
(searched recursively for both) or glob patterns. For each page the output folder receives
<name>.json (PDF pages: <name>_p<NNN>.json): the page size, and its regions in reading order
with class, score, box in page pixels (PDF pages also in points, `bbox_pt`), reading order index
and, with --masks, a COCO RLE mask; with --visualize also <name>.png with the layout drawn.
--coco-results writes all pages as one COCO detection-results file (see --coco-gt for ids).
The JSON format and the Python API are described in distildoc_d2/inference/__init__.py.

A file or page that cannot be processed (encrypted, truncated or empty PDF, not an image, too
small, more pixels than --max-pixels) is reported on stderr as `error: <file>: <why>` and the
other inputs still complete. Exit code: 0 when every page was written, 1 when anything failed,
2 for bad arguments or an unusable model.
"""
import argparse
import os
import sys

from distildoc_d2.errors import DistilDocError
from distildoc_d2.export.metadata import METADATA_FILE, load_metadata
from distildoc_d2.inference import LayoutPredictor
from distildoc_d2.inference.backends import BACKENDS
from distildoc_d2.inference.batch import BatchRun
from distildoc_d2.inference.inputs import DEFAULT_MAX_PIXELS, parse_page_ranges
from distildoc_d2.inference.pdf import DEFAULT_DPI

BACKEND_PREFERENCE = (("onnx", "onnx"), ("torchscript", "torchscript"), ("detectron2", "eager"))


def _predictor(args):
    options = dict(score_threshold=args.score_threshold, masks=args.masks, max_pixels=args.max_pixels,
                   batch_size=args.batch_size)
    device = args.device
    if not os.path.isfile(os.path.join(args.model, METADATA_FILE)):
        if args.backend not in ("auto", "eager"):
            raise DistilDocError(f"{args.model} is not an export folder: only --backend eager runs a run folder")
        return LayoutPredictor.from_run(args.model, args.weights, device=device, **options)
    backend = args.backend
    if backend == "auto":
        files = load_metadata(args.model)["files"]
        backend = next(name for fmt, name in BACKEND_PREFERENCE if fmt in files)
    return LayoutPredictor.from_export(args.model, backend, device, **options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="PDFs, images, folders or glob patterns")
    parser.add_argument("--model", required=True, help="an export folder, or a run folder / config file (eager)")
    parser.add_argument("--weights", default="", help="weights for a run folder or config file")
    parser.add_argument("--backend", default="auto", choices=("auto",) + BACKENDS,
                        help="auto: onnx, else torchscript, else eager (whatever the export holds)")
    parser.add_argument("--output", default="layout", help="output folder (default: ./layout)")
    parser.add_argument("--dpi", type=int, default=DEFAULT_DPI, help="PDF rendering resolution")
    parser.add_argument("--pages", default="", help="PDF pages, e.g. 1-3,5,8- (default: all)")
    parser.add_argument("--batch-size", type=int, default=1, help="pages per model call (eager batches them)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (TorchScript: the device it was traced on)")
    parser.add_argument("--score-threshold", type=float, default=None,
                        help="keep regions at least this confident (default: the model's threshold)")
    parser.add_argument("--masks", action="store_true", help="add COCO RLE masks to the regions")
    parser.add_argument("--visualize", action="store_true", help="also write each page with its layout drawn")
    parser.add_argument("--coco-results", default="", help="write all pages as one COCO results file")
    parser.add_argument("--coco-gt", default="",
                        help="COCO ground truth to take image and category ids from (by file name and page)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse pages with more pixels (PDF pages are checked before rendering)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        ranges = parse_page_ranges(args.pages)
        predictor = _predictor(args)
        run = BatchRun(predictor, args.output, ranges, args.dpi, args.visualize, args.coco_results or None,
                       args.coco_gt or None, progress=not args.no_progress)
        summary = run.run(args.inputs)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {summary.pages} page(s) to {args.output}" +
          (f"; {len(summary.failures)} input(s) or page(s) failed (see the errors above)" if summary.failures else ""))
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
