#!/usr/bin/env python
"""Benchmark: cost of one KD training iteration against a student training iteration plus the
teacher's forward pass, on the same batch, side by side in one run; peak memory of each phase and
the memory of each model. With SOLVER.AMP.ENABLED True the steps run in mixed precision, as in training.

    python tools/benchmark_kd.py --config-file configs/demo/feature_mse_R50_to_R18.yaml MODEL.DEVICE cpu
    python tools/benchmark_kd.py --config-file CFG --random-teacher     # no trained teacher needed
"""
import argparse
import os
import sys
import tempfile

import torch
from detectron2.data import DatasetCatalog
from detectron2.modeling import build_model
from tabulate import tabulate

from distildoc_d2 import load_config, validate_layout_config
from distildoc_d2.data.mapper import DocumentDatasetMapper
from distildoc_d2.distillation.benchmark import benchmark_kd_iteration
from distildoc_d2.distillation.teacher import teacher_config
from distildoc_d2.errors import DistilDocError


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True, help="a DistillationRCNN config")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after one warm-up round)")
    parser.add_argument("--random-teacher", action="store_true", help="use a randomly initialised teacher")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = load_config(args.config_file, args.opts)
            validate_layout_config(cfg)
            if args.random_teacher:
                cfg.MODEL.DISTILL.TEACHER_WEIGHTS = os.path.join(tmp, "random_teacher.pth")
                torch.save({"model": build_model(teacher_config(cfg)).state_dict()}, cfg.MODEL.DISTILL.TEACHER_WEIGHTS)
            torch.manual_seed(cfg.SEED)
            mapper = DocumentDatasetMapper(cfg, is_train=True)
            dicts = DatasetCatalog.get(cfg.DATASETS.TRAIN[0])[: cfg.SOLVER.IMS_PER_BATCH]
            inputs = [mapper(dict(d)) for d in dicts]
            results = benchmark_kd_iteration(cfg, inputs, rounds=args.rounds)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    phases = results["phases"]
    rows = [[name, f"{r['seconds']:.3f}", f"{r['peak_mib']:.0f}"] for name, r in phases.items()]
    print(f"{args.config_file}: batch {len(inputs)}, device {cfg.MODEL.DEVICE}, {results['precision']}, "
          f"median of {args.rounds} rounds\n")
    print(tabulate(rows, headers=["phase", "seconds", "peak memory (MiB)"], tablefmt="github", disable_numparse=True))
    print()
    rows = [[name, f"{mib:.1f}"] for name, mib in results["models"].items()]
    print(tabulate(rows, headers=["model", "parameters + buffers (MiB)"], tablefmt="github", disable_numparse=True))
    kd = phases["KD training step"]["seconds"]
    student = phases["student training step"]["seconds"]
    for teacher_phase in ("teacher forward (backbone)", "teacher inference (full)"):
        ratio = kd / (student + phases[teacher_phase]["seconds"])
        print(f"\nKD step / (student step + {teacher_phase}) = {ratio:.2f}  (target <= 1.10)", end="")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
