#!/usr/bin/env python
"""Convert PRImA Layout Analysis PAGE-XML ground truth into the COCO jsons that `prima_train`
and `prima_val` read:

    python tools/convert_prima.py --xml-dir PRImA/XML --out datasets/prima
    # then place (or link) the page images in datasets/prima/Images
"""
import argparse
import sys

from distildoc_d2.data.prima import convert_prima
from distildoc_d2.errors import DistilDocError


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xml-dir", required=True, help="folder of PAGE-XML files")
    parser.add_argument("--out", required=True, help="output folder (annotations/train.json, annotations/val.json)")
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        train, val = convert_prima(args.xml_dir, args.out, args.val_fraction, args.seed)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {train} and {val}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
