#!/usr/bin/env python
"""Run the paper's document-classification comparison for one teacher/student pair and print
one Markdown table (accuracy, macro-F1, ECE, AURC, Brier, NLL, params, GFLOPs, images/s):
the teacher, the student trained with cross-entropy, and the student distilled with every KD
method whose config exists, all with the student's seed and schedule.

    python tools/compare_dic.py                       # built-in demo set, ResNet-18 -> ResNet-10-T, CPU
    python tools/compare_dic.py --cpu-threads 1 --jobs 2   # two student runs at a time, one core each
    python tools/compare_dic.py --config-dir configs/dic/rvlcdip --teacher vit_base --student vit_small \\
        --output-dir output/compare_rvlcdip --num-gpus 1
    python tools/compare_dic.py ... --teacher-weights teacher.pth   # evaluate a trained teacher, do not train it
    python tools/compare_dic.py ... SOLVER.MAX_ITER 60              # KEY VALUE overrides for every run

Configs are found by name in --config-dir: teacher_<T>.yaml, supervised_<S>.yaml and
<method>_<T>_to_<S>.yaml. The table is also written to OUTPUT_DIR/comparison.md and .json.
"""
import argparse
import sys
import time

from distildoc_d2.classification.comparison import run_comparison
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-dir", default="configs/dic/demo", help="folder of the comparison's configs")
    parser.add_argument("--teacher", default="resnet18", help="teacher name <T> in the config file names")
    parser.add_argument("--student", default="resnet10t", help="student name <S> in the config file names")
    parser.add_argument("--output-dir", default="output/compare_dic", help="one sub-folder per run, and the table")
    parser.add_argument("--num-gpus", type=int, default=1, help="processes per run (gloo on CPU)")
    parser.add_argument("--teacher-weights", default="", help="a trained teacher's model_final.pth: evaluate it, "
                        "do not train it")
    parser.add_argument("--reuse", action="store_true", help="keep runs that already finished in --output-dir")
    parser.add_argument("--throughput-batch", type=int, default=32, help="batch size of the images/s measure")
    parser.add_argument("--cpu-threads", type=int, default=0, help="intra-op CPU threads of every run and of the "
                        "images/s measure (0: torch's default; 1 avoids slow-downs on a busy machine)")
    parser.add_argument("--jobs", type=int, default=1, help="student runs at a time (with --cpu-threads 1, "
                        "one per CPU core)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides for every run")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        table = run_comparison(
            args.config_dir, args.teacher, args.student, args.output_dir, args.opts, num_gpus=args.num_gpus,
            teacher_weights=args.teacher_weights, reuse=args.reuse, throughput_batch=args.throughput_batch,
            cpu_threads=args.cpu_threads, jobs=args.jobs,
            progress=lambda line: print(line, file=sys.stderr, flush=True))
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(table)
    print(f"\n(wall time {time.perf_counter() - start:.0f} s; written to {args.output_dir}/comparison.md and "
          "comparison.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
