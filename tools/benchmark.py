#!/usr/bin/env python
"""One honest table for trained layout models, side by side in one run: parameters, GFLOPs,
bbox mAP on the same validation pages, and end-to-end pages/s from PDF to JSON, for the eager,
TorchScript, ONNX fp32 and ONNX int8 backends, with each student's speed and mAP as a ratio of
the teacher's (same backend).

    python tools/benchmark.py --teacher output/demo/teacher_R50_FPN \\
        --student output/demo/feature_mse_R50_to_R18-box --student output/demo/supervised_R18_FPN-box \\
        --pdfs datasets/demo/pdfs --val distildoc_demo_val --threads 2 --output output/benchmark.json

Models are run folders (config.yaml + model_final.pth or last_checkpoint) or config files with
trained weights (MODEL.WEIGHTS or OUTPUT_DIR's checkpoint); a model without trained weights is an
error, except one named by --random-init: a speed reference where no trained model exists (an
R101 teacher at 800 px), randomly initialised, its rows marked "(random weights)" with no mAP
(cap its detections with TEST.DETECTIONS_PER_IMAGE so that its heads do a trained model's work).
Each model is exported to a temporary folder (tools/export_model.py's export and checks); for
`onnx-int8` its ONNX program is quantised (--int8 static: calibrated on the first
--calibration-pages pages of --calibration, default the --pdfs; or dynamic).

- params (M): parameters of the deployed model; GFLOPs: fvcore, one inference at --flops-size
  (default: a US-letter page at the model's input size) with a fixed number of proposals through
  the box head and of detections through the mask head (each model's MODEL.RPN.POST_NMS_TOPK_TEST
  and TEST.DETECTIONS_PER_IMAGE, or --proposals / --detections for all), so the figure does not
  depend on what the model happens to detect;
- bbox mAP, AP50: pycocotools on the first --val-pages pages of the registered data set --val
  (default: the teacher's first DATASETS.TEST), for every backend;
- pages/s: the whole of tools/predict.py over the PDFs (--pages selects pages; default all):
  rendering at the model's size, pre-processing, model, post-processing, reading order, JSON
  files; --rounds rounds, models and backends in turn within each round; --threads intra-op
  threads for torch and ONNX Runtime (default 2), batch 1.
Prints a Markdown table and writes all numbers and the settings to --output (JSON).
"""
import argparse
import json
import os
import platform
import sys

import torch

from distildoc_d2.errors import ConfigError, DistilDocError
from distildoc_d2.evaluation.benchmark import (BACKENDS, BenchmarkSettings, benchmark, failed_export_checks,
                                               markdown_table, validation_pages)
from distildoc_d2.export.quantize import QUANT_MODES
from distildoc_d2.export.run import run_config
from distildoc_d2.inference.batch import read_pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", required=True, help="the teacher's run folder (or config with weights)")
    parser.add_argument("--student", action="append", default=[], help="a student's run folder (repeat)")
    parser.add_argument("--pdfs", nargs="+", required=True, help="PDFs (or folders, images) timed end to end")
    parser.add_argument("--pages", default="", help="pages of each PDF to time, e.g. 1-2 (default: all)")
    parser.add_argument("--random-init", action="append", default=[], metavar="MODEL",
                        help="a --teacher or --student (a config file) timed with random weights, no mAP (repeat)")
    parser.add_argument("--val", default="", help="registered labelled data set for mAP (default: the teacher's)")
    parser.add_argument("--val-pages", type=int, default=50, help="validation pages for mAP")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--int8", default="static", choices=QUANT_MODES, help="int8 quantisation mode")
    parser.add_argument("--calibration", nargs="+", default=[],
                        help="pages to calibrate int8 on and to check exports on (default: --pdfs)")
    parser.add_argument("--calibration-pages", type=int, default=8, help="number of calibration pages")
    parser.add_argument("--threads", type=int, default=2, help="intra-op CPU threads for torch and ONNX Runtime")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the PDFs per model and backend")
    parser.add_argument("--prefetch", type=int, default=2, help="chunks of pages rendered ahead (0: in turn)")
    parser.add_argument("--flops-size", type=int, nargs=2, default=None, metavar=("H", "W"),
                        help="page size for the FLOP count (default: US letter at each model's input size)")
    parser.add_argument("--proposals", type=int, default=0, help="proposals for the FLOP count (0: each model's)")
    parser.add_argument("--detections", type=int, default=0, help="detections for the FLOP count (0: each model's)")
    parser.add_argument("--output", default="output/benchmark.json", help="JSON file for all numbers")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("opts", nargs="*", help="KEY VALUE overrides for every model")
    args = parser.parse_intermixed_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        models = [(args.teacher, "teacher")] + [(path, "student") for path in args.student]
        unknown = [path for path in args.random_init if path not in [path for path, _ in models]]
        if unknown:
            raise ConfigError(f"--random-init {unknown[0]}: not one of the --teacher / --student models")
        teacher_cfg = run_config(args.teacher, args.opts)
        val_name, records = validation_pages(args.val, args.teacher, teacher_cfg, args.val_pages)
        resize = {"min_size": teacher_cfg.INPUT.MIN_SIZE_TEST, "max_size": teacher_cfg.INPUT.MAX_SIZE_TEST}
        calibration = read_pages(args.calibration or args.pdfs, args.calibration_pages, resize=resize)
        if not calibration:
            raise ConfigError(f"no pages in {' '.join(args.calibration or args.pdfs)} to calibrate and check on")
        settings = BenchmarkSettings(tuple(args.backends), args.int8, args.random_init, args.opts, args.pages,
                                     args.rounds, args.prefetch, args.flops_size, args.proposals, args.detections)
        rows = benchmark(models, args.pdfs, records, calibration, settings, progress=not args.no_progress)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    command = " ".join(["python", "tools/benchmark.py"] + (argv if argv is not None else sys.argv[1:]))
    run_settings = {"command": command, "val": val_name, "val_pages": len(records), "pdfs": args.pdfs,
                    "pages": args.pages or "all", "threads": torch.get_num_threads(), "rounds": args.rounds,
                    "int8": args.int8, "calibration_pages": len(calibration),
                    "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "load_average_1_5_15_min_at_end": list(os.getloadavg())}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump({"settings": run_settings, "rows": rows}, f, indent=2)
    print(markdown_table(rows))
    timed = {r["model"]: r["pages"] for r in rows}
    load = ", ".join(f"{v:.1f}" for v in run_settings["load_average_1_5_15_min_at_end"])
    print(f"\nbbox mAP on {len(records)} pages of {val_name}; pages/s end to end (PDF to JSON) over "
          f"{max(timed.values()) // max(1, args.rounds)} PDF page(s) x {args.rounds} round(s), batch 1, "
          f"{run_settings['threads']} CPU threads; GFLOPs with fixed proposals/detections; system load average at "
          f"the end {load} (1, 5, 15 min). All numbers: {args.output}")
    failed = failed_export_checks(rows)
    if failed:
        print(f"warning: export check failed for {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
