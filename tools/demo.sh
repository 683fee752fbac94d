#!/usr/bin/env bash
# The main job on the built-in demo data, on CPU, after installing everything (idempotent):
#   1. generate the synthetic document data (layout pages, classification pages, PDFs);
#   2. layout: train the teacher (Mask R-CNN R50-FPN, 160 iterations), the student (R18,
#      128-channel FPN, 100 iterations) without KD and with FPN feature KD, and print the
#      comparison table;
#   3. pseudo-labels: the teacher labels the validation pages as if they had no labels (a
#      student could train on them); their precision and recall against the withheld labels;
#   4. export the distilled student (Detectron2 config + weights, TorchScript, ONNX), each
#      format checked against the eager model;
#   5. predict the layout of a sample PDF with the ONNX export (JSON + drawn pages);
#   6. classification: teacher, student without KD and with each KD method; one table with
#      accuracy and calibration;
#   7. real pages, when PyMuPDF >= 2 is installed (AGPL-3.0: the user's choice, never installed
#      here): the shortened recipe of tools/real_student.sh (real Debian PDFs pseudo-labelled by
#      PyMuPDF's layout analyser -> an image student -> a held-out real page and a scanned page
#      drawn); the full recipe is `bash tools/real_student.sh`.
# Outputs: $OUTPUT (default output/demo); data: $DISTILDOC_DATASETS (default datasets).
# Finished steps are reused when the script is run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/install.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
export DISTILDOC_DATASETS="${DISTILDOC_DATASETS:-$ROOT/datasets}"
OUTPUT="${OUTPUT:-$ROOT/output/demo}"

echo "[demo] 1/7 generating the built-in document data in $DISTILDOC_DATASETS/demo"
"$PY" tools/generate_data.py --out "$DISTILDOC_DATASETS/demo"

echo "[demo] 2/7 layout: teacher -> students without and with KD (logs in $OUTPUT/layout/*/log.txt)"
"$PY" tools/compare_kd.py --teacher-config configs/demo/teacher_R50_FPN.yaml \
  --teacher-opts SOLVER.MAX_ITER 160 SOLVER.STEPS "(130,)" \
  --configs configs/demo/feature_mse_R50_to_R18.yaml --output "$OUTPUT/layout" MODEL.DEVICE cpu

echo "[demo] 3/7 pseudo-labels: the teacher labels the validation pages -> $OUTPUT/pseudo_labels"
"$PY" tools/pseudo_label.py --teacher "run:$OUTPUT/layout/teacher" --overwrite --output "$OUTPUT/pseudo_labels" \
  "coco:$DISTILDOC_DATASETS/demo/layout/annotations/val.json:$DISTILDOC_DATASETS/demo/layout/images"

echo "[demo] 4/7 exporting the distilled student to $OUTPUT/export"
"$PY" tools/export_model.py "$OUTPUT/layout/feature_mse_R50_to_R18" --output "$OUTPUT/export" \
  --sample "$DISTILDOC_DATASETS/demo/pdfs/doc_000.pdf"

echo "[demo] 5/7 layout of a sample PDF with the ONNX export -> $OUTPUT/pdf_layout"
"$PY" tools/predict.py --model "$OUTPUT/export" --backend onnx --visualize \
  "$DISTILDOC_DATASETS/demo/pdfs/doc_000.pdf" --output "$OUTPUT/pdf_layout"

echo "[demo] 6/7 document image classification: teacher, students without and with KD"
"$PY" tools/compare_dic.py --output-dir "$OUTPUT/classification" --reuse

echo "[demo] 7/7 real pages (shortened recipe; the full one: bash tools/real_student.sh)"
if "$PY" -c "import pymupdf.layout" 2>/dev/null; then
  DATA="$DISTILDOC_DATASETS/real" OUTPUT="$OUTPUT/real" bash tools/real_student.sh --quick
else
  echo "[demo] skipped: it needs PyMuPDF >= 2, an optional tool under the AGPL-3.0 that this project never installs;"
  echo "       if its licence suits you: $PY -m pip install 'pymupdf>=2', then run this script again"
fi

echo "[demo] done: tables in $OUTPUT/layout/comparison.md and $OUTPUT/classification; layout of the PDF in $OUTPUT/pdf_layout"
