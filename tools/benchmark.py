#!/usr/bin/env python
"""Efficiency of a teacher and its students on the same pages: parameters, FLOPs (fvcore), and
latency (median, p90; batch 1) and throughput (pages/s) of the whole prediction pipeline with the
eager, TorchScript and ONNX Runtime backends, plus each student's speed relative to the teacher
(same device and backend). Runs on CPU, and on GPU too when one is present.

    python tools/benchmark.py --teacher configs/demo/teacher_R101_FPN.yaml \\
        --student configs/demo/feature_mse_R50_to_R18.yaml \\
        --student configs/demo/feature_mse_R50_to_R18-fast.yaml --long-side 800 --pages 10 \\
        --output output/benchmark.json

Models are config files or run folders. Trained weights are used when they exist (a run
folder's checkpoint, MODEL.WEIGHTS, or the config's OUTPUT_DIR/model_final.pth), otherwise the
model is randomly initialised (the table says which; --random-init forces it). Random weights
give every page the maximum number of detections, so their ROI-head cost is an upper bound.
Each model is exported to a temporary folder (tools/export_model.py's export, checked on the
first page); then every page goes through every model and backend in turn (interleaved, so load
from other processes on a shared machine affects all of them alike). Pages are generated demo
pages (612x792), or --images (images and PDFs); --long-side L resizes pages for every model to a
longer side of L (INPUT.MIN/MAX_SIZE_TEST L).
Prints a Markdown table and writes all numbers, per-part timings included, to --output (JSON).
"""
import argparse
import json
import os
import platform
import sys
import tempfile

import torch
from tabulate import tabulate
from tqdm import tqdm

from distildoc_d2.errors import CheckpointError, DistilDocError
from distildoc_d2.evaluation.model_size import count_gflops, count_parameters
from distildoc_d2.export.exporter import FORMATS, export_model, sample_pages
from distildoc_d2.export.run import load_run, run_config
from distildoc_d2.inference import LayoutPredictor
from distildoc_d2.inference.backends import BACKENDS, onnx_runs_on
from distildoc_d2.inference.batch import read_pages
from distildoc_d2.inference.benchmark import time_predictors


def _pages(args):
    return read_pages(args.images, args.pages) if args.images else sample_pages(args.pages)


def _model(path, args):
    overrides = list(args.opts)
    if args.long_side:
        overrides += ["INPUT.MIN_SIZE_TEST", str(args.long_side), "INPUT.MAX_SIZE_TEST", str(args.long_side)]
    if args.random_init:
        return run_config(path, overrides), None
    try:
        cfg, weights = load_run(path, "", overrides)
    except CheckpointError:
        return run_config(path, overrides), None
    return (cfg, weights) if os.path.isfile(weights) else (cfg, None)


def _label(path):
    return os.path.basename(os.path.normpath(path)).removesuffix(".yaml")


def _load_models(args, pages, device, tmp):
    """Export every model and open each backend: ({(model, backend): predictor}, rows without timings)."""
    predictors, rows = {}, {}
    models = [(args.teacher, "teacher")] + [(path, "student") for path in args.student]
    for index, (path, role) in enumerate(models):
        cfg, weights = _model(path, args)
        folder = os.path.join(tmp, f"{device}-{index}")
        tqdm.write(f"exporting {path} ({'trained' if weights else 'random init'}) for {device}", file=sys.stderr)
        metadata = export_model(cfg, weights, folder, FORMATS, pages[:1], device)
        sizes = {}
        for backend in args.backends:
            if backend == "onnx" and not onnx_runs_on(device):
                tqdm.write(f"skipping onnx on {device}: onnxruntime-gpu is not installed", file=sys.stderr)
                continue
            predictor = LayoutPredictor.from_export(folder, backend, device)
            if backend == "eager":
                model = predictor.backend.model
                size = tuple(predictor.preprocess(pages[0]).shape[1:])
                sizes = {"params_m": count_parameters(model) / 1e6, "gflops": count_gflops(model, *size)}
            fmt = "detectron2" if backend == "eager" else backend
            predictors[(index, backend)] = predictor
            rows[(index, backend)] = {
                "model": _label(path), "config": path, "role": role, "device": device, "backend": backend,
                "weights": "trained" if weights else "random init", "export_check_ok": metadata["checks"][fmt]["ok"],
                "input_size": list(predictor.preprocess(pages[0]).shape[1:]),
            }
        for key, row in rows.items():
            if key[0] == index:
                row.update(sizes)
    return predictors, rows


def benchmark(args, pages, devices):
    """Rows of measurements for every device, model and backend (timed interleaved per device)."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for device in devices:
            predictors, rows = _load_models(args, pages, device, tmp)
            total = len(predictors) * (args.warmup + len(pages))
            with tqdm(total=total, unit="page", desc=f"timing on {device}", file=sys.stderr) as bar:
                timings = time_predictors(predictors, pages, args.warmup, on_page=lambda: bar.update(1))
            for key, row in rows.items():
                row.update(timings[key])
                results.append(row)
    return results


def _add_ratios(rows):
    teacher = {(r["device"], r["backend"]): r["pages_per_s"] for r in rows if r["role"] == "teacher"}
    for row in rows:
        row.setdefault("params_m", float("nan"))
        row.setdefault("gflops", float("nan"))
        row["speed_vs_teacher"] = row["pages_per_s"] / teacher[(row["device"], row["backend"])]


def markdown_table(rows):
    """The Markdown table of the benchmark rows."""
    headers = ["model", "weights", "params (M)", "GFLOPs", "device", "backend", "input (HxW)",
               "latency median (ms)", "latency p90 (ms)", "pages/s", "x teacher pages/s"]
    body = [[r["model"], r["weights"], f"{r['params_m']:.1f}", f"{r['gflops']:.1f}", r["device"], r["backend"],
             "x".join(map(str, r["input_size"])), f"{r['latency_median_ms']:.0f}", f"{r['latency_p90_ms']:.0f}",
             f"{r['pages_per_s']:.2f}", f"{r['speed_vs_teacher']:.2f}"] for r in rows]
    return tabulate(body, headers, tablefmt="github")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", required=True, help="the teacher's config file or run folder")
    parser.add_argument("--student", action="append", default=[], help="a student's config or run folder (repeat)")
    parser.add_argument("--images", nargs="+", default=[], help="pages to time on (default: generated pages)")
    parser.add_argument("--pages", type=int, default=10, help="number of timed pages")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed pages first (TorchScript optimises its graph during the first runs)")
    parser.add_argument("--long-side", type=int, default=800, help="resize pages to this longer side (0: configs')")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto: CPU, and GPU too when one is present")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch and ONNX Runtime (0: torch's)")
    parser.add_argument("--random-init", action="store_true", help="random weights even where trained ones exist")
    parser.add_argument("--output", default="output/benchmark.json", help="JSON file for all numbers")
    parser.add_argument("opts", nargs="*", help="KEY VALUE overrides for every model")
    args = parser.parse_intermixed_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = {"auto": ["cpu"] + (["cuda"] if torch.cuda.is_available() else []), "cpu": ["cpu"], "cuda": ["cuda"]}
    devices = devices[args.device]
    try:
        pages = _pages(args)
        if not pages:
            raise DistilDocError("no pages to time")
        rows = benchmark(args, pages, devices)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _add_ratios(rows)
    settings = {"command": " ".join(["python", "tools/benchmark.py"] + (argv if argv is not None else sys.argv[1:])),
                "pages": len(pages), "page_size": list(pages[0].shape[:2]), "long_side": args.long_side,
                "warmup": args.warmup, "threads": torch.get_num_threads(),
                "cpu": platform.processor() or platform.machine(),
                "cuda": torch.cuda.get_device_name(0) if "cuda" in devices else None, "torch": torch.__version__,
                "load_average_1_5_15_min_at_end": list(os.getloadavg())}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump({"settings": settings, "rows": rows}, f, indent=2)
    print(markdown_table(rows))
    load = ", ".join(f"{v:.1f}" for v in settings["load_average_1_5_15_min_at_end"])
    print(f"\n{len(pages)} pages of {pages[0].shape[1]}x{pages[0].shape[0]} px, batch 1, {settings['threads']} CPU "
          f"threads, after {args.warmup} warm-up page(s); whole pipeline (resize, model, post-processing); "
          f"system load average at the end {load} (1, 5, 15 min). All numbers: {args.output}")
    failed = [f"{r['model']} {r['backend']} {r['device']}" for r in rows if not r["export_check_ok"]]
    if failed:
        print(f"warning: export check failed for {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
