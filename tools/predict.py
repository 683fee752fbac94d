#!/usr/bin/env python
"""Predict the layout of PDFs and page images with an exported model (tools/export_model.py) or
a run folder, and write one JSON per page.

    python tools/predict.py --model export/student paper.pdf scans/ "pages/*.png" --output layout/
    python tools/predict.py --model export/student --backend torchscript doc.pdf --pages 1-3,5 --dpi 200
    python tools/predict.py --model export/student doc.pdf --masks --visualize --coco-results layout/coco.json
    python tools/predict.py --model export/student --precision int8 --threads 2 pdfs/   # int8 ONNX
    python tools/predict.py --model output/demo/feature_mse_R50_to_R18 page.png     # run folder: eager

Inputs are PDF files, images, folders (searched recursively for both) or glob patterns. PDF pages
are rendered directly at the size the model uses (the export's resize rule: shorter side to
INPUT.MIN_SIZE_TEST, longer side at most INPUT.MAX_SIZE_TEST), so a huge page (a poster) is
rendered small, not refused; --dpi N renders at N dpi instead. --renderer chooses poppler's
pdftoppm through pdf2image (default; consecutive pages of a PDF share one pdftoppm call) or
PDFium (pypdfium2, in-process); --prefetch N renders up to N chunks of pages in a background
thread while the model runs. --pages selects pages: a range past a PDF's last page stops there
("--pages 1-2" over 1-page PDFs takes page 1); a single page, or a range that starts, past the
end is an error for that PDF. For each page the output folder receives
<name>.json (PDF pages: <name>_p<NNN>.json): the page size, and its regions in reading order
with class, score, box in page pixels (PDF pages also in points, `bbox_pt`), reading order index
and, with --masks, a COCO RLE mask (Mask R-CNN models only: a box-only model predicts boxes);
with --visualize also <name>.png with the layout drawn.
--coco-results writes all pages as one COCO detection-results file (see --coco-gt for ids).
The JSON format and the Python API are described in distildoc_d2/inference/__init__.py.

CPU settings: --threads N intra-op threads for torch and ONNX Runtime (default: all cores),
--batch-size N pages per model call (the eager backend runs pages of equal size as one batch),
--precision int8 the export's quantised ONNX model (tools/export_model.py --int8; onnx backend).

A file or page that cannot be processed (encrypted, truncated or empty PDF, not an image, too
small, more pixels than --max-pixels) is reported on stderr as `error: <file>: <why>` and the
other inputs still complete. Exit code: 0 when every page was written, 1 when anything failed,
2 for bad arguments or an unusable model.
"""
import argparse
import os
import sys

import torch

from distildoc_d2.errors import DistilDocError
from distildoc_d2.export.metadata import METADATA_FILE, load_metadata
from distildoc_d2.inference import LayoutPredictor
from distildoc_d2.inference.backends import BACKENDS
from distildoc_d2.inference.batch import DEFAULT_PREFETCH, BatchRun
from distildoc_d2.inference.inputs import DEFAULT_MAX_PIXELS, parse_page_ranges
from distildoc_d2.inference.predictor import PRECISIONS
from distildoc_d2.inference.render import RENDERERS

BACKEND_PREFERENCE = (("onnx", "onnx"), ("torchscript", "torchscript"), ("detectron2", "eager"))


def _predictor(args):
    options = dict(score_threshold=args.score_threshold, masks=args.masks, max_pixels=args.max_pixels,
                   batch_size=args.batch_size, renderer=args.renderer)
    device = args.device
    if not os.path.isfile(os.path.join(args.model, METADATA_FILE)):
        if args.backend not in ("auto", "eager"):
            raise DistilDocError(f"{args.model} is not an export folder: only --backend eager runs a run folder")
        if args.precision != "fp32":
            raise DistilDocError(f"{args.model} is not an export folder: --precision {args.precision} needs an "
                                 "export made with tools/export_model.py --int8")
        return LayoutPredictor.from_run(args.model, args.weights, device=device, **options)
    backend = args.backend
    if backend == "auto":
        files = load_metadata(args.model)["files"]
        preference = [("onnx", "onnx")] if args.precision == "int8" else BACKEND_PREFERENCE
        backend = next((name for fmt, name in preference if fmt in files), "onnx")
    return LayoutPredictor.from_export(args.model, backend, device, args.precision, **options)


def _dpi(text):
    if text == "model":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dpi takes a number or 'model', got '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--dpi must be positive, got {text}")
    return int(value) if value.is_integer() else value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="PDFs, images, folders or glob patterns")
    parser.add_argument("--model", required=True, help="an export folder, or a run folder / config file (eager)")
    parser.add_argument("--weights", default="", help="weights for a run folder or config file")
    parser.add_argument("--backend", default="auto", choices=("auto",) + BACKENDS,
                        help="auto: onnx, else torchscript, else eager (whatever the export holds)")
    parser.add_argument("--output", default="layout", help="output folder (default: ./layout)")
    parser.add_argument("--dpi", type=_dpi, default=None,
                        help="PDF rendering: 'model' (default: at the model's input size) or a resolution in dpi")
    parser.add_argument("--renderer", default="pdf2image", choices=RENDERERS, help="PDF renderer")
    parser.add_argument("--prefetch", type=int, default=DEFAULT_PREFETCH,
                        help="chunks of PDF pages rendered ahead while the model runs (0: in turn)")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="int8: the export's quantised ONNX model (onnx backend)")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op CPU threads for torch and ONNX Runtime (0: all cores)")
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
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        ranges = parse_page_ranges(args.pages)
        predictor = _predictor(args)
        run = BatchRun(predictor, args.output, ranges, args.dpi, args.visualize, args.coco_results or None,
                       args.coco_gt or None, progress=not args.no_progress, prefetch=args.prefetch)
        summary = run.run(args.inputs)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {summary.pages} page(s) to {args.output}" +
          (f"; {len(summary.failures)} input(s) or page(s) failed (see the errors above)" if summary.failures else ""))
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
