#!/usr/bin/env bash
# Install everything (idempotent), generate the built-in document data and run the main job on
# CPU: train a Mask R-CNN teacher on the synthetic pages and print its evaluation table.
# Outputs go to $OUTPUT (default: output/demo); the data to $DISTILDOC_DATASETS (default: datasets).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/install.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
export DISTILDOC_DATASETS="${DISTILDOC_DATASETS:-$ROOT/datasets}"
OUTPUT="${OUTPUT:-$ROOT/output/demo}"

echo "[demo] 1/2 generating the built-in document data in $DISTILDOC_DATASETS/demo"
"$PY" tools/generate_data.py --out "$DISTILDOC_DATASETS/demo"

echo "[demo] 2/2 training the teacher (Mask R-CNN R50-FPN) on CPU; log: $OUTPUT/teacher_R50_FPN/log.txt"
"$PY" tools/train_net.py --config-file configs/demo/teacher_R50_FPN.yaml \
  MODEL.DEVICE cpu OUTPUT_DIR "$OUTPUT/teacher_R50_FPN" "$@"

"$PY" tools/show_results.py "$OUTPUT/teacher_R50_FPN"
