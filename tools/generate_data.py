#!/usr/bin/env python
"""Generate the synthetic demo data: layout pages (COCO, DocLayNet classes), a document
classification set (RVL-CDIP format) and multi-page PDFs with ground truth.

    python tools/generate_data.py --out datasets/demo --seed 0
    python tools/generate_data.py --out /tmp/demo_small --small

A tree already complete for the same arguments is left as it is.
"""
import argparse
import sys
import time

from distildoc_d2.data.synthetic.demo import demo_page_count, demo_settings, generate_demo_data


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="datasets/demo", help="root folder of the demo tree (default: datasets/demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--num-train", type=int, default=None, help="layout training pages (default: 200; small: 12)")
    parser.add_argument("--num-val", type=int, default=None, help="layout validation pages (default: 50; small: 4)")
    parser.add_argument("--num-cls-per-class", type=int, default=None,
                        help="classification training pages per document type; val and test get a quarter "
                             "(default: 20; small: 2)")
    parser.add_argument("--num-pdfs", type=int, default=None, help="multi-page PDFs (default: 3; small: 1)")
    parser.add_argument("--small", action="store_true", help="tiny counts and 256x331 pages (for tests)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv=None):
    """Generate (or find complete) the demo tree and print what it holds."""
    args = parse_args(argv)
    settings = demo_settings(args.seed, args.num_train, args.num_val, args.num_cls_per_class, args.num_pdfs,
                             args.small)
    start = time.perf_counter()
    paths = generate_demo_data(args.out, seed=args.seed, num_train=args.num_train, num_val=args.num_val,
                               num_cls_per_class=args.num_cls_per_class, num_pdfs=args.num_pdfs, small=args.small,
                               progress=not args.quiet)
    elapsed = time.perf_counter() - start
    if not paths["generated"]:
        print(f"{args.out} is already complete for these arguments (see {paths['manifest']}); nothing written.")
    print("layout (COCO, DocLayNet classes):")
    print(f"  images:      {paths['layout_images']}")
    print(f"  train json:  {paths['layout_train_json']} ({settings['num_train']} pages)")
    print(f"  val json:    {paths['layout_val_json']} ({settings['num_val']} pages)")
    print("classification (RVL-CDIP label ids):")
    print(f"  classes:     {paths['classification_classes']}")
    for split in ("train", "val", "test"):
        print(f"  {split + ':':12} {paths['classification_' + split]}")
    print(f"pdfs: {len(paths['pdfs'])} in {paths['pdf_dir']} ({settings['pages_per_pdf']} pages each, json beside)")
    if paths["generated"]:
        pages = demo_page_count(settings)
        print(f"wrote {pages} pages in {elapsed:.1f} s: {pages / elapsed:.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
