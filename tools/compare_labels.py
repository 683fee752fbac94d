#!/usr/bin/env python
"""COCO bbox mAP of a set of labels against exact labels of the same pages, e.g. the real
accuracy of a teacher's pseudo-labels on typeset pages with known boxes:

    python tools/compare_labels.py --truth datasets/real/latex/annotations.json \\
        --labels output/real/pseudo_latex/annotations.json

Pages match by image file name and classes by name; labels without a score count as score 1
(one operating point, so AP is a lower bound for a teacher without scores).
"""
import argparse
import json
import sys

from distildoc_d2.errors import DistilDocError
from distildoc_d2.evaluation.label_agreement import labels_map


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--truth", required=True, help="COCO json of the exact labels")
    parser.add_argument("--labels", required=True, help="COCO json of the labels to score")
    parser.add_argument("--output", default="", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    try:
        result = labels_map(args.truth, args.labels)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{result['pages']} pages: bbox mAP {result['AP']:.1f}, AP50 {result['AP50']:.1f}")
    print("per class: " + ", ".join(f"{name} {ap:.1f}" for name, ap in sorted(result["per_class"].items())))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
