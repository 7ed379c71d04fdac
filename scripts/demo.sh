#!/usr/bin/env bash
# `make demo`: synthetic 2D phantoms -> `semiseg compare` of six strategies on one split -> report, figures, notebook.
# Re-running it skips every finished cell (compare is resumable). Settings can be overridden from the environment:
#   DEMO_OUT (demo-out), DEMO_SEEDS (0,1), DEMO_EPOCHS (12), DEMO_ITERATIONS (20), SEMISEG (.build/release/semiseg).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SEMISEG:-.build/release/semiseg}
OUT=${DEMO_OUT:-demo-out}
DATA=$OUT/phantoms
RUN=$OUT/compare
NOTEBOOK=notebooks-export/demo.ipynb
start=$(date +%s)

[ -x "$B" ] || { echo "error: $B not found (run \`make release\` first)" >&2; exit 1; }
if [ ! -f "$DATA/dataset.json" ]; then
  "$B" synth --out "$DATA" --cases 40 --test-cases 12 --dims 2 --kind spleen --seed 0
fi

list="supervised,uda,pseudo-label,mc-dropout,checkpoint-ensemble,mean-teacher"

# Small budget: 2D U-Net (base 8, depth 3) on 128x128 slices; 4 labeled, 32 unlabeled, 4 validation, 12 test cases;
# 12 x 20 steps with a poly learning-rate decay (the phantoms vary too much between cases for 60 steps to learn).
"$B" compare --data "$DATA" --strategies "$list" --seeds "${DEMO_SEEDS:-0,1}" --out "$RUN" \
  --model unet2d --base 8 --depth 3 --labeled 4 --validation 4 \
  --epochs "${DEMO_EPOCHS:-12}" --iterations "${DEMO_ITERATIONS:-20}" --batch-size 4 --schedule poly --augmentation standard

mkdir -p "$(dirname "$NOTEBOOK")"
"$B" export-notebook "$RUN" --out "$NOTEBOOK"

echo
echo "demo finished in $(( $(date +%s) - start )) s"
echo "  report:    $RUN/report.md"
echo "  summary:   $RUN/summary.json, $RUN/summary.csv"
echo "  figures:   $RUN/figures/"
echo "  notebook:  $NOTEBOOK"
echo "  cells:     $RUN/cells/<strategy>-seed<S>/ (config, metrics.csv, predictions, checkpoints, log.txt)"
