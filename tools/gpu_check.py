#!/usr/bin/env python
"""The device check: everything that only a GPU exercises, in one command, on generated pages
(no download), with one table of pass/fail and figures.

    python tools/gpu_check.py                                  # one GPU, about 5 minutes
    python tools/gpu_check.py --device cpu --quick             # dry run: tiny settings on CPU
    python tools/gpu_check.py --skip two-process,throughput    # leave checks out by name

Checks, in order (names for --skip / --only):
  data          small generated layout, classification and PDF sets (tools/generate_data.py --small)
  teacher       layout teacher R50-FPN trained with SOLVER.AMP.ENABLED (on CUDA), losses finite, evaluated
  resume        the teacher resumed from its last checkpoint (--resume) for a few more iterations
  kd-<method>   a KD student for feature_mse, simkd, reviewkd, roi_kd: losses finite (KD terms
                included), teacher weights unchanged, evaluated
  two-process   tools/train_net.py --num-gpus 2 MODEL.DEVICE cpu (gloo beside the GPU), a KD config
  dic           DIC teacher, then KD with the teacher-logit cache, AMP (float16 + grad scaler on CUDA)
  export        TorchScript, Detectron2 format and ONNX exported on --device, each passing its own
                check (ONNX checked on CPU when onnxruntime-gpu is missing; the table says so)
  predict       the TorchScript export on a generated PDF, on --device
  throughput    KD training step R101 -> R50 at DocLayNet's 1025 px with AMP: pages/s, peak memory

The table goes to stdout and OUTPUT/gpu_check.md (results also in gpu_check.json); the exit code
is 0 when every check passed (or was skipped), 1 otherwise.
"""
import argparse
import json
import os
import sys
import time

import torch

from distildoc_d2.device_check import CHECKS, DeviceCheck, exit_code, format_table, run_checks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="tiny settings (a dry run of the pipeline)")
    parser.add_argument("--output", default="output/gpu_check", help="working folder; the table goes here")
    parser.add_argument("--skip", default="", help="comma-separated check names to leave out")
    parser.add_argument("--only", default="", help="comma-separated check names to run (a check whose input "
                        "comes from a check left out is skipped)")
    args = parser.parse_args(argv)
    names = set(CHECKS)
    for given in filter(None, (args.skip + "," + args.only).split(",")):
        if given not in names:
            parser.error(f"unknown check '{given}'; checks: {', '.join(CHECKS)}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"error: --device {args.device} but no CUDA device is available (use --device cpu --quick for a dry "
              "run)", file=sys.stderr)
        return 2
    selected = set(args.only.split(",")) if args.only else names
    selected -= set(args.skip.split(","))
    args.output = os.path.abspath(args.output)
    os.makedirs(args.output, exist_ok=True)
    os.chdir(REPO)  # configs name their teachers relative to the repository root
    from detectron2.utils.logger import setup_logger

    setup_logger(os.path.join(args.output, "log.txt"))
    setup_logger(os.path.join(args.output, "log.txt"), name="distildoc_d2")
    check = DeviceCheck(args.device, "quick" if args.quick else "full", args.output, REPO)
    gpu = torch.cuda.get_device_name(torch.device(args.device)) if check.cuda else "CPU"
    started = time.perf_counter()
    results = run_checks(check.checks(), selected)
    header = (f"gpu_check on {args.device} ({gpu}), {'quick' if args.quick else 'full'} mode, torch "
              f"{torch.__version__}, {time.perf_counter() - started:.0f} s in all")
    table = format_table(results, header)
    with open(os.path.join(args.output, "gpu_check.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.output, "gpu_check.json"), "w") as f:
        json.dump({"header": header, "results": results}, f, indent=1)
    print("\n" + table)
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
