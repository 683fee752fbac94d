#!/usr/bin/env python
"""Print the evaluation table of a finished run: python tools/show_results.py OUTPUT_DIR"""
import argparse
import sys

from distildoc_d2.errors import DistilDocError
from distildoc_d2.evaluation.results_table import format_results_table, load_eval_results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output_dir", help="a run's OUTPUT_DIR (holds eval_results.json)")
    args = parser.parse_args()
    try:
        last = load_eval_results(args.output_dir)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Evaluation of {args.output_dir} (iteration {last['iteration']}), COCO AP in %:\n")
    print(format_results_table(last["results"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
