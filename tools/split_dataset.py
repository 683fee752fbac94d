#!/usr/bin/env python
"""Split a labelled COCO layout set into a small labelled part and unlabelled pages (labels
withheld), to measure what a teacher's pseudo-labels are worth when labels are scarce.

    python tools/split_dataset.py datasets/semi/layout/annotations/train.json --labelled 50 --output datasets/semi/split

writes labelled.json, unlabelled.json (no annotations) and unlabelled_truth.json (the withheld
labels, for scoring pseudo-labels and for the oracle run); image paths stay relative to the
original image folder.
"""
import argparse
import sys

from distildoc_d2.data.split import split_labelled
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", help="a labelled COCO json")
    parser.add_argument("--labelled", type=int, required=True, help="pages that keep their labels")
    parser.add_argument("--output", required=True, help="folder for the three json files")
    parser.add_argument("--seed", type=int, default=0, help="which pages are labelled (default 0)")
    args = parser.parse_args(argv)
    try:
        paths = split_labelled(args.json, args.labelled, args.output, args.seed)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(f"written: {p}" for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
