#!/usr/bin/env python
"""Export a trained DIC student as one self-contained file (torch.export program + class names
and preprocessing) that loads with torch alone, without the teacher:

    python tools/export_dic.py --config-file configs/dic/demo/simkd_cnn_resnet18_to_resnet10t.yaml
    python tools/export_dic.py --config-file CFG --weights run/model_final.pth --output student.pt2 [KEY VALUE ...]

By default it reads OUTPUT_DIR/model_final.pth and writes OUTPUT_DIR/student.pt2. The loading
snippet is in the docstring of distildoc_d2/classification/export.py.
"""
import argparse
import os
import sys

from distildoc_d2.classification.config import add_classification_config
from distildoc_d2.classification.distiller import resolve_teacher_config_path
from distildoc_d2.classification.export import export_student
from distildoc_d2.config import load_config
from distildoc_d2.errors import DistilDocError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True, help="the run's config (or its OUTPUT_DIR/config.yaml)")
    parser.add_argument("--weights", default="", help="trained weights (default: OUTPUT_DIR/model_final.pth)")
    parser.add_argument("--output", default="", help="file to write (default: OUTPUT_DIR/student.pt2)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config_file, args.opts, extra_setup=(add_classification_config,))
        cfg.DISTILL_DIC.TEACHER.CONFIG_FILE = resolve_teacher_config_path(cfg.DISTILL_DIC.TEACHER.CONFIG_FILE,
                                                                           args.config_file)
        weights = args.weights or os.path.join(cfg.OUTPUT_DIR, "model_final.pth")
        output = args.output or os.path.join(cfg.OUTPUT_DIR, "student.pt2")
        meta = export_student(cfg, weights, output)
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Exported {meta['arch']} ({meta['method']}, {len(meta['class_names'])} classes, input "
          f"{meta['input_size'][0]}x{meta['input_size'][1]} {meta['resize_mode']}) to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
