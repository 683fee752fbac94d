#!/usr/bin/env python
"""Build an unlabelled corpus of real born-digital PDFs from Debian's documentation packages:
download them with `apt-get download` and unpack them with `dpkg -x` (nothing is installed),
choose whole documents per genre (seeded), split them by document into training and held-out
pages, and print the pages per genre.

    python tools/build_corpus.py --config configs/real/corpus.yaml --cache datasets/debian \\
        --output datasets/real/corpus

writes OUTPUT/train.txt and OUTPUT/heldout.txt (page lists for tools/pseudo_label.py
@OUTPUT/train.txt) and OUTPUT/corpus.json. The packages stay in CACHE/debs and CACHE/root for
the next run. Needs apt package lists (apt-get update) for the download; --no-download uses only
packages already unpacked under CACHE/root (a folder per package with a `.unpacked` file).
"""
import argparse
import sys

from distildoc_d2.data.debian_corpus import build_corpus, load_corpus_config
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="corpus recipe (YAML), e.g. configs/real/corpus.yaml")
    parser.add_argument("--cache", required=True, help="folder for the downloaded and unpacked packages")
    parser.add_argument("--output", required=True, help="folder for train.txt, heldout.txt and corpus.json")
    parser.add_argument("--no-download", action="store_true", help="use only packages unpacked in the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        config = load_corpus_config(args.config)
        lists, table, unreadable = build_corpus(config, args.cache, args.output, not args.no_download,
                                                progress=not args.quiet)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(table)
    if unreadable:
        print(f"\n{len(unreadable)} PDF(s) poppler cannot read were skipped, e.g. {unreadable[0]}")
    print("\n" + "\n".join(f"written: {path}" for path in lists.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
