#!/usr/bin/env python
"""The paper's comparison on one data set: train the teacher (or take given weights), the
student without KD and the student with each KD config, under the same seed and schedule;
evaluate all and print one table (mAP, AP50, per-class AP, params, FLOPs, images/s, training
s/it; with TEST.EVAL_PERIOD, each run's bbox mAP curve), with loss curves in
OUTPUT/loss_curves.png. Finished runs are reused when the command is rerun.

    python tools/compare_kd.py --teacher-config configs/demo/teacher_R50_FPN.yaml \\
        --configs configs/demo/feature_mse_R50_to_R18.yaml configs/demo/roi_kd_R50_to_R18.yaml \\
        --output output/demo/comparison  MODEL.DEVICE cpu SOLVER.MAX_ITER 100
"""
import argparse
import sys

from detectron2.utils.logger import setup_logger

from distildoc_d2.engine.comparison import run_comparison
from distildoc_d2.errors import DistilDocError


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher-config", required=True, help="the teacher's config file")
    parser.add_argument("--teacher-weights", default="", help="trained teacher weights (default: train the teacher)")
    parser.add_argument("--configs", nargs="+", required=True,
                        help="KD configs (DistillationRCNN); the first one's student is also trained without KD")
    parser.add_argument("--output", required=True, help="output folder: one subfolder per run + the table")
    parser.add_argument("--teacher-opts", nargs="+", default=[], metavar="KEY VALUE",
                        help="overrides for the teacher's run alone, after the common ones (e.g. a longer schedule)")
    parser.add_argument("--speed-images", type=int, default=8, help="test pages timed for images/s (batch 1)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE overrides given to every run")
    args = parser.parse_args()
    if len(args.teacher_opts) % 2:
        parser.error(f"--teacher-opts takes KEY VALUE pairs, got an odd number of items: {args.teacher_opts}")
    setup_logger(name="distildoc_d2")
    try:
        table = run_comparison(args.teacher_config, args.configs, args.output, args.opts, args.teacher_weights,
                               args.speed_images, args.teacher_opts)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(table)
    print(f"\nwritten: {args.output}/comparison.md, comparison.json, loss_curves.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
