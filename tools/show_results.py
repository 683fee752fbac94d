#!/usr/bin/env python
"""Print the evaluation tables of a run: python tools/show_results.py OUTPUT_DIR

One table per test set for the last evaluation, and, when the run evaluated more than once
(TEST.EVAL_PERIOD), its learning curve: bbox mAP per test set at every evaluation."""
import argparse
import sys

from distildoc_d2.errors import DistilDocError
from distildoc_d2.evaluation.results_table import (format_learning_curve, format_results_table, load_eval_history,
                                                   results_by_dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output_dir", help="a run's OUTPUT_DIR (holds eval_results.json)")
    args = parser.parse_args()
    try:
        history = load_eval_history(args.output_dir)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    last = history[-1]
    print(f"Evaluation of {args.output_dir} (iteration {last['iteration']}), COCO AP in %:")
    for name, results in results_by_dataset(last["results"]).items():
        print(f"\n{name}:\n" if name else "")
        print(format_results_table(results))
    if len(history) > 1:
        print("\nLearning curve (bbox mAP at each evaluation):\n")
        print(format_learning_curve(history))
    return 0


if __name__ == "__main__":
    sys.exit(main())
