#!/usr/bin/env bash
# Real pages from a born-digital teacher: an unlabelled corpus of real PDFs from Debian's
# documentation packages -> pseudo-labels from PyMuPDF's layout analyser -> a ResNet-18 student,
# first trained on built-in synthetic pages with their labels (a starting point that has seen page
# images), then on the real pseudo-labelled pages mixed 1:1 with those synthetic pages at 256 px,
# then further at 288-384 px for box precision (tested at 320) -> evaluated
# against the teacher on held-out documents, against exact boxes on typeset LaTeX pages, and on
# scanned-looking copies of those pages (image-only PDFs: the teacher finds nothing there); the
# teacher is scored on the same pages; the student is exported, and teacher, student and its ONNX
# export run side by side on the same pages (one table: accuracy and speed as fractions of the
# teacher's); a held-out real page and a scanned page are drawn with the student's layout.
#
#   bash tools/real_student.sh           # the full recipe: ~1.2 GB of .deb files, ~2,000 pages
#                                        # (labelling ~15 min), about 3 h 05 min in all on 2 CPU cores
#   bash tools/real_student.sh --quick   # (or QUICK=1) ~35 pages, 10 iterations a training: every step runs
#   bash tools/real_student.sh --from-scratch  # (or FROM_SCRATCH=1) the first recipe: the real
#                                        # student from random weights on the real pages alone, at
#                                        # 448 px, 900 iterations (~55 min on 2 CPU cores)
#   DEVICE=cuda bash tools/real_student.sh -- SOLVER.MAX_ITER 20000 SOLVER.STEPS "(17000,)"
#                                        # every training on a GPU; KEY VALUE pairs after -- are
#                                        # Detectron2 config options of the real student's 256 px
#                                        # training (step 5; the precision stage keeps its config)
#
# Needs PyMuPDF >= 2 (AGPL-3.0; an optional tool the user installs: pip install 'pymupdf>=2'),
# apt-get and dpkg (Debian/Ubuntu), and pdflatex (installed with apt-get when missing).
# Environment: VENV (default .venv), DATA (default datasets/real), OUTPUT (default output/real),
# DEVICE (MODEL.DEVICE of every training, default cpu), STUDENT_RUN (the 256 px student's run folder,
# default OUTPUT/<config name>: name another one when the options after -- change the recipe),
# PRECISION_RUN (the precision stage's run folder, default OUTPUT/<its config name>, or STUDENT_RUN-320
# when STUDENT_RUN is given).
# Finished steps are reused when it is run again (delete OUTPUT/... and DATA/... to redo one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
QUICK="${QUICK:-0}"
FROM_SCRATCH="${FROM_SCRATCH:-0}"
DEVICE="${DEVICE:-cpu}"
STUDENT_OPTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --from-scratch) FROM_SCRATCH=1 ;;
    --) shift; STUDENT_OPTS=("$@"); break ;;
    *) echo "[real] ERROR: unknown argument $1 (expected --quick, --from-scratch, or -- KEY VALUE ...)" >&2; exit 2 ;;
  esac
  shift
done
[ $(( ${#STUDENT_OPTS[@]} % 2 )) -eq 0 ] \
  || { echo "[real] ERROR: the options after -- must be KEY VALUE pairs; got ${STUDENT_OPTS[*]}" >&2; exit 2; }
DATA="${DATA:-datasets/real}"
OUT="${OUTPUT:-output/real}"
DPI=72
CORPUS_CFG=configs/real/corpus.yaml
DOCUMENTS=16
TABLE_PAGES=100
SYNTHETIC_DATA=(--num-train 550 --num-val 50)
TRAIN_OPTS=()
if [ "$QUICK" = "1" ]; then
  CORPUS_CFG=configs/real/corpus-quick.yaml
  DATA="$DATA/quick"
  OUT="$OUT/quick"
  DOCUMENTS=3
  TABLE_PAGES=8
  SYNTHETIC_DATA=(--small)
  TRAIN_OPTS=(SOLVER.MAX_ITER 10 SOLVER.STEPS "(8,)" SOLVER.WARMUP_ITERS 2 SOLVER.CHECKPOINT_PERIOD 10)
fi
SYN="$DATA/synthetic/layout"
SYNTHETIC_RUN="$OUT/synthetic_R18_FPN"
if [ "$FROM_SCRATCH" = "1" ]; then
  CONFIG=configs/real/pseudo-pymupdf_R18_FPN.yaml
  RUN="$OUT/pseudo-pymupdf_R18_FPN"
  INIT=()
  TRAIN="('coco:$OUT/pseudo_train/annotations.json',)"
else
  CONFIG=configs/real/pseudo-pymupdf+synthetic_R18_FPN-256.yaml
  RUN="$OUT/pseudo-pymupdf+synthetic_R18_FPN-256"
  INIT=(MODEL.WEIGHTS "$SYNTHETIC_RUN/model_final.pth")
  TRAIN="('coco:$OUT/pseudo_train/annotations.json', 'coco:$SYN/annotations/train.json:$SYN/images')"
fi
PRECISION_CONFIG=configs/real/pseudo-pymupdf+synthetic_R18_FPN-320.yaml
PRECISION_RUN="${PRECISION_RUN:-${STUDENT_RUN:+$STUDENT_RUN-320}}"
PRECISION_RUN="${PRECISION_RUN:-$OUT/pseudo-pymupdf+synthetic_R18_FPN-320}"
RUN="${STUDENT_RUN:-$RUN}"
SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)

step() { echo; echo "[real] $*"; }
fail() { echo "[real] ERROR: $*" >&2; exit 1; }

"$PY" -c "import pymupdf.layout" 2>/dev/null || fail "PyMuPDF >= 2 is not installed in ${VENV:-.venv}. It is an \
optional tool under the AGPL-3.0 (never a dependency of distildoc_d2): install it yourself with \
$PY -m pip install 'pymupdf>=2'  (or pip install -e '.[born-digital]')"
if ! command -v pdflatex >/dev/null 2>&1; then
  step "installing pdflatex (texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)"
  { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends texlive-latex-base texlive-latex-recommended texlive-fonts-recommended >/dev/null; } \
    || fail "could not install the texlive packages with apt-get"
fi

# Pseudo-labels of a page list; exit code 1 (a few pages of real PDFs failed) is accepted.
label() {
  local output="$1"; shift
  if [ -f "$output/annotations.json" ]; then echo "reusing $output"; return; fi
  "$PY" tools/pseudo_label.py --teacher pdf:pymupdf "$@" --classes doclaynet --dpi "$DPI" --output "$output" \
    || [ $? -eq 1 ] || fail "pseudo-labelling into $output failed"
}

step "1/9 corpus of real PDFs ($CORPUS_CFG)"
[ -f "$DATA/corpus/train.txt" ] || apt-cache show r-doc-pdf >/dev/null 2>&1 || "${SUDO[@]}" apt-get update -qq \
  || fail "apt-get update failed"
if [ -f "$DATA/corpus/train.txt" ] && [ -f "$DATA/corpus/heldout.txt" ]; then
  echo "reusing $DATA/corpus (delete it to choose the pages again)"
else
  "$PY" tools/build_corpus.py --config "$CORPUS_CFG" --cache "$DATA/debian" --output "$DATA/corpus" \
    || fail "building the corpus failed"
fi

step "2/9 typeset LaTeX pages with exact boxes, and scanned-looking copies of them"
[ -f "$DATA/latex/annotations.json" ] \
  || "$PY" tools/typeset_pages.py --output "$DATA/latex" --documents "$DOCUMENTS" --dpi "$DPI" \
  || fail "typesetting the LaTeX pages failed"
[ -f "$DATA/latex_scanned/annotations.json" ] \
  || "$PY" tools/scan_pages.py "coco:$DATA/latex/annotations.json:$DATA/latex/images" --output "$DATA/latex_scanned" \
  || fail "making the scanned copies failed"

step "3/9 pseudo-labels from pdf:pymupdf (training documents, held-out documents, LaTeX pages and their scans)"
label "$OUT/pseudo_train" "@$DATA/corpus/train.txt"
label "$OUT/pseudo_heldout" "@$DATA/corpus/heldout.txt"
label "$OUT/pseudo_latex" "$DATA/latex/pdf/"*.pdf
label "$OUT/pseudo_latex_scanned" "$DATA/latex_scanned/pdf/"*.pdf
for set in latex latex_scanned; do
  "$PY" tools/compare_labels.py --truth "$DATA/$set/annotations.json" --labels "$OUT/pseudo_$set/annotations.json" \
    --output "$OUT/teacher_on_$set.json" > "$OUT/teacher_on_$set.txt"
done

step "4/9 the starting point: the same student trained on built-in synthetic pages ($SYNTHETIC_RUN)"
if [ "$FROM_SCRATCH" = "1" ]; then
  echo "skipped (--from-scratch: the real student starts from random weights)"
elif [ -f "$SYNTHETIC_RUN/model_final.pth" ]; then
  echo "reusing $SYNTHETIC_RUN"
else
  [ -f "$SYN/annotations/train.json" ] \
    || "$PY" tools/generate_data.py --out "$DATA/synthetic" "${SYNTHETIC_DATA[@]}" \
    || fail "generating the synthetic pages failed"
  "$PY" tools/train_net.py --config-file configs/real/synthetic_R18_FPN.yaml MODEL.DEVICE "$DEVICE" \
    DATASETS.TRAIN "('coco:$SYN/annotations/train.json:$SYN/images',)" \
    DATASETS.TEST "('coco:$SYN/annotations/val.json:$SYN/images',)" OUTPUT_DIR "$SYNTHETIC_RUN" "${TRAIN_OPTS[@]}" \
    || fail "training on the synthetic pages failed"
fi

step "5/9 the ResNet-18 student on the pseudo-labels ($CONFIG)"
HELDOUT="coco:$OUT/pseudo_heldout/annotations.json"
LATEX="coco:$DATA/latex/annotations.json:$DATA/latex/images"
SCANNED="coco:$DATA/latex_scanned/annotations.json:$DATA/latex_scanned/images"
if [ ! -f "$RUN/model_final.pth" ]; then
  "$PY" tools/train_net.py --config-file "$CONFIG" MODEL.DEVICE "$DEVICE" "${INIT[@]}" \
    DATASETS.TRAIN "$TRAIN" DATASETS.TEST "('$HELDOUT', '$LATEX', '$SCANNED')" OUTPUT_DIR "$RUN" \
    "${TRAIN_OPTS[@]}" "${STUDENT_OPTS[@]}" || fail "training failed"
fi

if [ "$FROM_SCRATCH" = "1" ]; then
  STUDENT="$RUN"
else
  step "6/9 the precision stage: the same student trained further at 288-384 px, tested at 320 ($PRECISION_CONFIG)"
  STUDENT="$PRECISION_RUN"
  if [ ! -f "$STUDENT/model_final.pth" ]; then
    "$PY" tools/train_net.py --config-file "$PRECISION_CONFIG" MODEL.DEVICE "$DEVICE" MODEL.WEIGHTS "$RUN/model_final.pth" \
      DATASETS.TRAIN "$TRAIN" DATASETS.TEST "('$HELDOUT', '$LATEX', '$SCANNED')" OUTPUT_DIR "$STUDENT" \
      "${TRAIN_OPTS[@]}" || fail "training the precision stage failed"
  fi
fi

step "7/9 the learning curves (step 5, and step 6 when it ran)"
"$PY" tools/show_results.py "$RUN"
[ "$STUDENT" = "$RUN" ] || "$PY" tools/show_results.py "$STUDENT"
echo "Test sets: agreement with the teacher on held-out documents; exact boxes on the LaTeX pages; the same"
echo "boxes on their scanned copies."

step "8/9 the student exported (ONNX, TorchScript), then teacher and student on the same pages: accuracy and speed"
[ -f "$STUDENT/export/metadata.json" ] || "$PY" tools/export_model.py "$STUDENT" --output "$STUDENT/export" \
  --sample "$DATA/latex/pdf" --device "$DEVICE" || fail "exporting the student failed"
BEFORE=()
[ "$STUDENT" = "$RUN" ] || BEFORE=(--labeller "student before the precision stage (256 px), eager=run:$RUN")
"$PY" tools/compare_labellers.py --dpi "$DPI" --device "$DEVICE" --max-pages "$TABLE_PAGES" --quiet \
  --labeller "teacher: PyMuPDF layout analyser=pdf:pymupdf" "${BEFORE[@]}" \
  --labeller "student R18 box-only, eager=run:$STUDENT" \
  --labeller "student R18 box-only, ONNX Runtime=export:$STUDENT/export:onnx" \
  --set "LaTeX pages" "$DATA/latex/annotations.json" "$DATA/latex/pdf/*.pdf" \
  --set "scanned copies" "$DATA/latex_scanned/annotations.json" "$DATA/latex_scanned/pdf/*.pdf" \
  --set "held-out documents" - "@$DATA/corpus/heldout.txt" --output "$STUDENT/teacher_vs_student.json" \
  | tee "$STUDENT/teacher_vs_student.md" || fail "the teacher-student table failed"

step "9/9 a held-out real page and a scanned page, drawn with the student's layout -> $OUT/drawn"
read -r FIRST_PDF FIRST_PAGES < "$DATA/corpus/heldout.txt"
FIRST_PDF="$(cd "$DATA/corpus" && realpath "$FIRST_PDF")"
SCANNED_PDF="$(ls "$DATA/latex_scanned/pdf/"*.pdf | head -n 1)"
# drawn at score 0.5: what a reader should see (the evaluations above keep every score, as COCO AP needs);
# rendered at the resolution the table's scores used (the model resizes the page itself)
"$PY" tools/predict.py --model "$STUDENT" --score-threshold 0.5 --pages "${FIRST_PAGES%%,*}" --dpi "$DPI" \
  --visualize --no-progress \
  "$FIRST_PDF" "$SCANNED_PDF" --output "$OUT/drawn" || fail "predicting the drawn pages failed"
echo
echo "Student weights: $STUDENT/model_final.pth (config: $STUDENT/config.yaml); use them with"
echo "  $PY tools/predict.py --model $STUDENT YOUR.pdf --visualize   (or export them: tools/export_model.py $STUDENT)"
