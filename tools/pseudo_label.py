#!/usr/bin/env python
"""Label unlabelled pages with a teacher and write them as a COCO data set that a student trains
on (DATASETS.TRAIN: ("coco:OUT/annotations.json",) beside a labelled set; see the README).

    python tools/pseudo_label.py --teacher run:output/teacher "pages/*.png" docs/ --output pseudo/
    python tools/pseudo_label.py --teacher export:export/teacher:onnx coco:unlabelled.json:images --output pseudo/
    python tools/pseudo_label.py --teacher results:yolo_results.json coco:pages.json:images \\
        --classes doclaynet --class-map publaynet_to_doclaynet.json --output pseudo/

Teachers: run:FOLDER (a trained run, eager), export:FOLDER[:BACKEND] (tools/export_model.py),
results:FILE.json (COCO detection results of any detector; --categories names its ids unless
the pages come from a COCO json). Pages: images, folders, globs, PDFs (rendered once at --dpi)
and coco:PATH.json[:IMAGE_ROOT] (the json's images; its labels, if any, only score the result).
Boxes become labels when their score reaches --score-threshold (per class: --class-threshold, or
--calibrate-on labelled pages: per class the threshold of the teacher's best F1 there); the
written json keeps every label's score. A report of counts, score histograms and, with
ground truth (--ground-truth, or labels in the pages' json), precision and recall is printed
and saved as OUTPUT/report.json. The output folder appears only when complete.

Exit code: 0 when every page was labelled, 1 when some pages failed (each reported as
`error: <page>: <why>`; the others are written), 2 for bad arguments or data.
"""
import argparse
import os
import sys

from distildoc_d2.data.categories import LAYOUT_TAXONOMIES
from distildoc_d2.data.specs import COCO_PREFIX, json_category_names, parse_coco_spec
from distildoc_d2.errors import ConfigError, DistilDocError
from distildoc_d2.pseudo_labels import ClassMap, ScoreThresholds, build_teacher, pages_from_inputs, pseudo_label
from distildoc_d2.pseudo_labels.calibration import calibrate_thresholds


def student_classes(value, teacher):
    """The classes of the written data set: a taxonomy name, a COCO json, a comma list, or the teacher's."""
    if not value:
        return list(teacher.class_names)
    if value.lower() in LAYOUT_TAXONOMIES:
        return list(LAYOUT_TAXONOMIES[value.lower()])
    if value.endswith(".json"):
        return json_category_names(value)
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"--classes '{value}': expected doclaynet, publaynet, prima, a COCO json or a comma list")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="+", help="images, folders, globs, PDFs or coco:PATH.json[:IMAGE_ROOT]")
    parser.add_argument("--teacher", required=True, help="run:FOLDER, export:FOLDER[:BACKEND] or results:FILE.json")
    parser.add_argument("--output", required=True, help="folder of the data set (images/, annotations.json)")
    parser.add_argument("--classes", default="", help="the student's classes: doclaynet, publaynet, prima, a COCO "
                                                       "json or a comma list (default: the teacher's)")
    parser.add_argument("--class-map", default="", help='JSON {"teacher class": "student class" or null}')
    parser.add_argument("--score-threshold", type=float, default=0.5, help="score a box needs (default 0.5)")
    parser.add_argument("--class-threshold", action="append", default=[], metavar="CLASS=VALUE",
                        help="per-class score threshold (student class), repeatable; overrides --calibrate-on")
    parser.add_argument("--calibrate-on", action="append", default=[], metavar="PAGES",
                        help="labelled pages (coco:PATH.json[:IMAGE_ROOT], repeatable) on which each class's threshold is "
                             "chosen: the one of the teacher's best F1 at IoU 0.5 (classes absent there keep "
                             "--score-threshold)")
    parser.add_argument("--ground-truth", default="", help="COCO json of the pages' true labels (scores the result)")
    parser.add_argument("--categories", default="", help="COCO json naming a results file's category ids")
    parser.add_argument("--dpi", type=float, default=144, help="resolution of rendered PDF pages (default 144)")
    parser.add_argument("--device", default="cpu", help="device of a run or export teacher")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder (when done)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        pages, bad_inputs = pages_from_inputs(args.pages, args.dpi)
        for arg, why in bad_inputs:
            print(f"error: {arg}: {why}", file=sys.stderr)
        pages_json = next((parse_coco_spec(p)[0] for p in args.pages if p.startswith(COCO_PREFIX)), None)
        teacher = build_teacher(args.teacher, args.device, args.categories, pages_json)
        classes = student_classes(args.classes, teacher)
        class_map = ClassMap.from_file(args.class_map, teacher.class_names, classes)
        per_class, calibration = {}, None
        if args.calibrate_on:
            calibration_pages, bad = pages_from_inputs(args.calibrate_on, args.dpi)
            if bad:
                raise ConfigError(f"--calibrate-on {bad[0][0]}: {bad[0][1]}")
            calibration = calibrate_thresholds(calibration_pages, teacher, class_map, classes,
                                               progress=not args.quiet)
            print(calibration.format() + "\n")
            per_class.update(calibration.thresholds)
        per_class.update(ScoreThresholds.parse(args.class_threshold))
        thresholds = ScoreThresholds(args.score_threshold, per_class, classes)
        if args.ground_truth and not os.path.isfile(args.ground_truth):
            raise ConfigError(f"--ground-truth {args.ground_truth} does not exist")
        path, report, errors, seconds = pseudo_label(
            pages, teacher, args.output, classes, class_map, thresholds, args.ground_truth or None, args.overwrite,
            progress=not args.quiet, calibration=calibration,
            on_error=lambda page, why: print(f"error: {page}: {why}", file=sys.stderr))
    except DistilDocError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.format())
    print(f"\nlabelled {report.pages} pages in {seconds:.1f} s ({report.pages / seconds:.2f} pages/s); "
          f"written: {path}")
    print(f"train on it with DATASETS.TRAIN (\"coco:{path}\",)")
    return 1 if errors or bad_inputs else 0


if __name__ == "__main__":
    sys.exit(main())
