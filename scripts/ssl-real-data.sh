#!/usr/bin/env bash
# Real-data study (issue #20): every strategy with ~10 labeled slices of the real lung-CT GTV dataset, >= 3 seeds on
# one fixed split, plus `supervised` trained on every labeled training slice (the gap semi-supervision can close),
# then one table: test Dice mean ± seed std, the difference to supervised with the verdict of `compare` (the crossed
# seeds x cases t-test: 95 % interval and p-value), the hierarchical bootstrap p-value (too confident with 3-5 seeds,
# for reference) and the case-level Wilcoxon p-value.
#
# usage: scripts/ssl-real-data.sh [DATA [OUT]]
#   DATA  MSD folder of the lung-GTV slices (default runs/lung-gtv, git-ignored: the data is CC BY-NC); built with ../shared/data/lung-gtv.sh
#         (or $LUNG_GTV_SCRIPT) when it has no dataset.json.
#   OUT   study folder (default runs/ssl-real-data); re-running resumes/skips finished cells (compare is resumable).
#   Another test patient: `scripts/patient-fold.sh DATA lung1 runs/fold-lung1`, then this script with DATA=runs/fold-lung1.
# env:    SEMISEG (default .build/release/semiseg), SEEDS (0,1,2), STRATEGIES (every strategy of the study),
#         SELECT (ema; pass `best` to reproduce the behaviour before issue #20), THREADS (1 per seed), EXTRA (more
#         flags), PARALLEL (1: the seeds train in parallel processes; 0: one after the other), EPOCHS (15),
#         ITERATIONS (10), TABLE_ONLY=1 (only print the table of an existing OUT), LABELED (10: labeled slices/cases),
#         ALL_LABELS (1: also train supervised with every label; 0: skip that study).
#         DIMS=phantom2d runs the same study on 2D phantoms (`semiseg synth --dims 2`) instead of the CT;
#         DIMS=phantom3d on 3D phantoms (`semiseg synth --dims 3 --seed 0`, 16 + 6 volumes of 64x128x128 resized to
#         RESIZE3D (16,32,32), 3D U-Net base 4 depth 2, batch 2 + 2 unlabeled, 2 validation volumes, Adam 3e-3 with
#         poly decay: a budget a 2-core machine runs in minutes per cell; use LABELED=4).
#
# Budget (documented in the README): U-Net 2D, base 8, depth 4, slices resized to 64x64, 15 epochs x 10 steps
# (EPOCHS, ITERATIONS), batch 4 labeled + 4 unlabeled, Adam 1e-3 constant, validation on 8 slices every epoch;
# split: 10 labeled, 8 validation, the rest unlabeled; test = the dataset's imagesTs (56 slices of the fourth CT).
# Sized for a shared 2-core machine (the six classic strategies: about 30 min for CT and phantoms together, 6
# processes; the four of issue #19 add about as much again: pass STRATEGIES to run a subset); far from converged:
# give it EPOCHS=50 ITERATIONS=20 for conclusions about the methods rather than about short schedules.
# Every strategy of a seed trains on the same labeled batches as `supervised` (the trainer draws unlabeled batches
# from their own generator), so the seeds pair the comparison in data order as well as initialisation.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SEMISEG:-$PWD/.build/release/semiseg}
[ -x "$B" ] || { echo "error: $B not found (run \`make release\` first)" >&2; exit 1; }
DATA=${1:-runs/lung-gtv}
OUT=${2:-runs/ssl-real-data}
SEEDS=${SEEDS:-0,1,2}
STRATEGIES=${STRATEGIES:-supervised,uda,pseudo-label,mean-teacher,mc-dropout,checkpoint-ensemble,fixmatch,cps,ua-mt,bcp}
THREADS=${THREADS:-1}
SELECT=${SELECT:-}
DIMS=${DIMS:-ct}

LABELED=${LABELED:-10}
if [ "$DIMS" = phantom2d ]; then
  if [ ! -f "$DATA/dataset.json" ]; then
    echo "building 2D phantoms into $DATA"
    "$B" synth --out "$DATA" --cases 48 --test-cases 24 --dims 2 --seed 7 >/dev/null
  fi
elif [ "$DIMS" = phantom3d ]; then
  if [ ! -f "$DATA/dataset.json" ]; then
    echo "building 3D phantoms into $DATA"
    "$B" synth --out "$DATA" --cases 16 --test-cases 6 --dims 3 --seed 0 >/dev/null
  fi
else
  if [ ! -f "$DATA/dataset.json" ]; then
    S=${LUNG_GTV_SCRIPT:-../shared/data/lung-gtv.sh}
    [ -f "$S" ] || { echo "error: $DATA has no dataset.json and $S (the lung-GTV builder) is missing; set LUNG_GTV_SCRIPT" >&2; exit 1; }
    echo "building the lung-GTV dataset into $DATA with $S"
    bash "$S" "$DATA"
  fi
fi
INPUT=(--resize 1,64,64 --normalization ct)
NET=(--model unet2d --base 8 --depth 4 --batch-size 4 --validation 8)
if [ "$DIMS" = phantom3d ]; then
  INPUT=(--resize "${RESIZE3D:-16,32,32}" --normalization ct)
  NET=(--model unet3d --base 4 --depth 2 --batch-size 2 --validation 2 --lr 0.003 --schedule poly)
fi
SEL=()
[ -n "$SELECT" ] && SEL=(--select "$SELECT")
COMMON=(--data "$DATA" "${NET[@]}" --epochs "${EPOCHS:-15}" --iterations "${ITERATIONS:-10}"
        --threads "$THREADS" "${INPUT[@]}" "${SEL[@]+"${SEL[@]}"}")
EXTRA_FLAGS=()
[ -n "${EXTRA:-}" ] && read -r -a EXTRA_FLAGS <<<"$EXTRA"
mkdir -p "$OUT"

# One comparison per seed, run in parallel (PARALLEL=0: one after the other), all on the split of the first seed;
# then one comparison folder holding every cell (re-running `compare` there skips the finished cells and writes the
# summary over all seeds). $1 = study name, $2 = --labeled count or a split file, rest: strategies.
study() {
  local name=$1 labeled=$2 strategies=$3 first=${SEEDS%%,*} split=() count=()
  mkdir -p "$OUT/$name-seeds"
  if [ -f "$labeled" ]; then split=(--split "$labeled"); else split=(--labeled "$labeled"); count=(--labeled "$labeled"); fi
  # The first seed draws the split (quickly, before the others start).
  "$B" compare --strategies "$strategies" --seeds "$first" "${split[@]}" "${COMMON[@]}" "${FLAGS[@]+"${FLAGS[@]}"}" \
    --out "$OUT/$name-seeds/$first" >"$OUT/$name-seeds/$first.log" 2>&1 &
  local pids=($!)
  while [ ! -f "$OUT/$name-seeds/$first/split.json" ]; do
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$OUT/$name-seeds/$first.log" >&2; exit 1; }
    sleep 1
  done
  for s in ${SEEDS//,/ }; do
    [ "$s" = "$first" ] && continue
    if [ "${PARALLEL:-1}" = 0 ]; then wait "${pids[@]}"; pids=(); fi
    "$B" compare --strategies "$strategies" --seeds "$s" --split "$OUT/$name-seeds/$first/split.json" "${count[@]+"${count[@]}"}" "${COMMON[@]}" \
      "${FLAGS[@]+"${FLAGS[@]}"}" --out "$OUT/$name-seeds/$s" >"$OUT/$name-seeds/$s.log" 2>&1 &
    pids+=($!)
  done
  local bad=0
  for p in "${pids[@]}"; do wait "$p" || bad=1; done
  [ $bad = 0 ] || { echo "error: a seed of $name failed (see $OUT/$name-seeds/*.log)" >&2; exit 1; }
  # Merge: the same settings with every seed; cells are copied, `compare` skips them and summarises.
  mkdir -p "$OUT/$name/cells"
  cp "$OUT/$name-seeds/$first/split.json" "$OUT/$name/split.json"
  for s in ${SEEDS//,/ }; do cp -R "$OUT/$name-seeds/$s/cells/." "$OUT/$name/cells/"; done
  jq --argjson seeds "[$SEEDS]" --arg out "$OUT/$name" --arg split "$OUT/$name/split.json" \
    '.seeds = $seeds | .base.out = $out | .base.seed = $seeds[0] | .base.split = $split' \
    "$OUT/$name-seeds/$first/compare.json" >"$OUT/$name/compare.json"
  for s in ${SEEDS//,/ }; do
    for c in "$OUT/$name/cells/"*-seed"$s"; do
      jq --arg split "$OUT/$name/split.json" --arg out "$OUT/$name/cells/$(basename "$c")" '.split = $split | .out = $out' \
        "$c/config.json" >"$c/config.json.tmp" && mv "$c/config.json.tmp" "$c/config.json"
    done
  done
  "$B" compare --strategies "$strategies" --seeds "$SEEDS" --split "$OUT/$name/split.json" "${count[@]+"${count[@]}"}" "${COMMON[@]}" \
    "${FLAGS[@]+"${FLAGS[@]}"}" --out "$OUT/$name" | tail -1
}

# EXTRA's strategy options (--opt s:k=v) apply to the semi-supervised study only; other flags to both.
SUP_EXTRA=() skip=0
for a in "${EXTRA_FLAGS[@]+"${EXTRA_FLAGS[@]}"}"; do
  if [ $skip = 1 ]; then skip=0; continue; fi
  if [ "$a" = --opt ]; then skip=1; continue; fi
  SUP_EXTRA+=("$a")
done
if [ "${TABLE_ONLY:-0}" != 1 ]; then
  echo "== $STRATEGIES, seeds $SEEDS, $LABELED labeled ($OUT/ssl)"
  FLAGS=("${EXTRA_FLAGS[@]+"${EXTRA_FLAGS[@]}"}")
  study ssl "$LABELED" "$STRATEGIES"
  if [ "${ALL_LABELS:-1}" = 1 ]; then
    FLAGS=("${SUP_EXTRA[@]+"${SUP_EXTRA[@]}"}")
    # The same validation and test cases, every other training slice labeled.
    jq '.labeled = (.labeled + .unlabeled | sort) | .unlabeled = []' "$OUT/ssl/split.json" >"$OUT/all-labels-split.json"
    echo "== supervised with every label, seeds $SEEDS ($OUT/all-labels)"
    study all-labels "$OUT/all-labels-split.json" supervised
  fi
fi

echo
echo "== test Dice (foreground), $(jq -r '.split.labeled | length' "$OUT/ssl/summary.json") labeled; seeds $SEEDS"
# Δ = strategy - supervised; CI and p (t-test) = the crossed seeds x cases t-test (the verdict; calibrated at 3-5
# seeds); p (bootstrap) = hierarchical bootstrap over seeds then cases (too confident with few seeds); p_wilcoxon =
# case-level paired Wilcoxon (case variation only); seed std = std over seeds of the per-seed difference of test means;
# s/cell = mean training seconds of a cell.
ALL_SUMMARY=$OUT/all-labels/summary.json
[ -f "$ALL_SUMMARY" ] || ALL_SUMMARY=$OUT/ssl/summary.json
jq -r --slurpfile all "$ALL_SUMMARY" --argjson with_all "$([ -f "$OUT/all-labels/summary.json" ] && echo true || echo false)" '
  def f3: if . == null then "-" else (. * 1000 | round) as $i | ($i | fabs) as $a
    | (if $i < 0 then "-" else "" end) + ($a / 1000 | floor | tostring) + "." + ("00" + ($a % 1000 | tostring))[-3:] end;
  def s3: if . == null then "-" elif . >= 0 then "+" + f3 else f3 end;
  def p3: if . == null then "-" elif . < 0.001 then "<0.001" else f3 end;
  def pm(m): (m.mean | f3) + " ± " + (m.std | f3);
  . as $s
  | (["strategy", "Dice (mean ± seed std)", "Δ vs supervised", "seed std of Δ", "95% CI (t-test)", "p (t-test)", "p (bootstrap)", "p (Wilcoxon, cases)", "s/cell"] | @tsv),
    ($s.order[] as $k | $s.strategies[$k] as $r | ($r.vs_supervised["1"].dice // {}) as $d
     | [$k, pm($r.mean["1"].dice), ($d.diff | s3), ($d.seed_std | f3),
        (if $d.t_test then "[" + ($d.t_test.ci_low | s3) + ", " + ($d.t_test.ci_high | s3) + "]" else "-" end),
        ($d.t_test.p_value | p3), ($d.bootstrap.p_value | p3), ($d.p_value | p3), ($r.train_seconds | round | tostring)] | @tsv),
    (if $with_all then ["supervised, all \($all[0].split.labeled | length) labels", pm($all[0].strategies.supervised.mean["1"].dice), "", "", "", "", "", "", ($all[0].strategies.supervised.train_seconds | round | tostring)] | @tsv else empty end)
' "$OUT/ssl/summary.json" | column -t -s $'\t'
echo
echo "== per seed: test Dice, precision and recall (foreground; means over the test slices where each is defined)"
for c in "$OUT/ssl/cells/"*/summary.json; do
  jq -r 'def m(k): [.test.cases[].metrics["1"][k] | select(. != null)] | if length > 0 then (add / length * 1000 | round / 1000) else "-" end;
         [.strategy, .seed, m("dice"), m("precision"), m("recall")] | @tsv' "$c"
done | sort -k1,1 -k2,2n | (printf 'strategy\tseed\tDice\tprecision\trecall\n'; cat) | column -t -s $'\t'
echo
echo "full reports: $OUT/ssl/report.md$([ -f "$OUT/all-labels/report.md" ] && echo ", $OUT/all-labels/report.md")"
