#!/usr/bin/env bash
# The device check in one command, on a machine with a GPU: install everything (idempotent, as
# tools/demo.sh does), then run tools/gpu_check.py (about 5 minutes on one GPU). Arguments go to
# gpu_check.py (e.g. --skip two-process); OUTPUT sets the folder (default output/gpu_check).
# Exit code: 0 when every check passed, 1 when one failed, 2 for bad input (no GPU visible).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
exec .venv/bin/python tools/gpu_check.py --output "${OUTPUT:-output/gpu_check}" "$@"
