#!/usr/bin/env bash
# Install distildoc_d2 and everything it needs into a virtual environment (default: .venv).
# Idempotent: a second run only checks what is there. Detectron2 comes from the
# `sal-detectron2` wheel on PyPI (upstream commit a59f056), pinned by sha256, so no GitHub
# access is needed. Users who can reach GitHub may instead run, inside the venv:
#   pip install 'git+https://github.com/facebookresearch/detectron2.git'
#
# Environment: VENV (path of the virtual environment), PYTHON (interpreter that creates it),
# DISTILDOC_SKIP_APT=1 (do not install Debian's poppler-utils).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
D2_WHEEL_SHA256="491af0c7f79bdb2d178e46f6cb16a97c4ac968d45c41ea3f6b6435d59bbee561"
D2_VERSION="0.7.2"

step() { echo "[install] $*"; }
fail() { echo "[install] ERROR: $*" >&2; exit 1; }

# 1. Debian packages: poppler-utils (pdf2image calls pdftoppm/pdfinfo) and tesseract-ocr (the
#    optional OCR step of the DocVQA evaluation).
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v tesseract >/dev/null 2>&1; then
  if [ "${DISTILDOC_SKIP_APT:-0}" = "1" ]; then
    step "pdftoppm or tesseract not found and DISTILDOC_SKIP_APT=1: PDF input and OCR need poppler-utils and tesseract-ocr"
  else
    step "installing Debian packages poppler-utils and tesseract-ocr"
    SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
    { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq poppler-utils tesseract-ocr >/dev/null; } \
      || fail "could not install poppler-utils and tesseract-ocr with apt-get; install them by hand or set DISTILDOC_SKIP_APT=1"
  fi
fi

# 2. The virtual environment.
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || fail "$PYTHON is older than Python 3.10; set PYTHON to a newer interpreter"
if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV" || fail "could not create a virtual environment at $VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check -q)

# 3. Python packages (pins chosen to pass `pip check` together).
if ! "$PY" - <<'PYCHK' 2>/dev/null
import importlib.metadata as m, sys
want = {"torch": "2.14.1", "torchvision": "0.29.1", "numpy": "1.26.4", "timm": "1.0.31",
        "fvcore": "0.1.5.post20221221", "opencv-python-headless": "4.11.0.86",
        "pdf2image": "1.17.0", "pypdfium2": "5.15.2", "pytest": None, "onnxruntime": None, "onnx": None,
        "transformers": "5.24.0", "pytesseract": "0.3.13"}
for name, version in want.items():
    got = m.version(name)
    if version and not got.startswith(version):
        sys.exit(1)
PYCHK
then
  step "installing torch, torchvision and the other dependencies (first run: a few minutes)"
  "${PIP[@]}" install "torch==2.14.1" "torchvision==0.29.1" \
    || fail "pip could not install torch==2.14.1 torchvision==0.29.1"
  "${PIP[@]}" install "numpy==1.26.4" "opencv-python-headless==4.11.0.86" \
    "fvcore==0.1.5.post20221221" "iopath==0.1.9" "pycocotools==2.0.11" "timm==1.0.31" \
    "pdf2image==1.17.0" "pypdfium2==5.15.2" omegaconf hydra-core yacs termcolor tabulate cloudpickle tqdm \
    matplotlib packaging tensorboard "setuptools<82" pillow scipy \
    "onnx==1.23.2" "onnxruntime==1.32.0" "transformers==5.24.0" "pytesseract==0.3.13" pytest \
    || fail "pip could not install the dependencies listed in tools/install.sh"
else
  step "dependencies already installed"
fi

# 4. Detectron2 (pure-Python part of the sal-detectron2 wheel; ops come from torchvision).
if ! "$PY" -c "import detectron2, detectron2.modeling" 2>/dev/null; then
  step "installing detectron2 $D2_VERSION (sal-detectron2 wheel, sha256-pinned)"
  WH="$(mktemp -d)"
  trap 'rm -rf "$WH"' EXIT
  "${PIP[@]}" download --no-deps --python-version 3.10 --only-binary=:all: -d "$WH" \
    "sal-detectron2==$D2_VERSION" || fail "could not download sal-detectron2==$D2_VERSION from PyPI"
  WHEEL="$(ls "$WH"/sal_detectron2-*.whl | head -n 1)"
  GOT="$(sha256sum "$WHEEL" | cut -d' ' -f1)"
  [ "$GOT" = "$D2_WHEEL_SHA256" ] || fail "sha256 of $WHEEL is $GOT, expected $D2_WHEEL_SHA256"
  mv "$WHEEL" "$WH/sal_detectron2-$D2_VERSION-py3-none-any.whl"
  "${PIP[@]}" install --no-deps "$WH/sal_detectron2-$D2_VERSION-py3-none-any.whl" \
    || fail "could not install the detectron2 wheel"
  SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # The wheel's compiled ops target CPython 3.10 + torch 2.3 and cannot load here; its
  # top-level `tools` package would shadow this repository's tools/ folder.
  rm -f "$SITE"/detectron2/_C.cpython-310-*.so
  rm -rf "$SITE/tools"
  "$PY" -c "import detectron2.modeling" || fail "detectron2 installed but does not import"
else
  step "detectron2 already installed"
fi

# 5. This package, editable.
if ! "$PY" -m pip show -q distildoc_d2 >/dev/null 2>&1; then
  step "installing distildoc_d2 (editable)"
  "${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT" || fail "pip install -e $ROOT failed"
fi
step "ready: $VENV (activate with: source $VENV/bin/activate)"
