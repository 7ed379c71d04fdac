#!/usr/bin/env bash
# Crash-safety check (issues #8, 18): SIGKILL `semiseg train` and `semiseg compare` at three points each (and SIGTERM
# `train` mid-epoch: a checkpoint at the next step boundary, exit 143), resume with the
# same command, and require exactly the result of an uninterrupted run: identical tensors in every checkpoint
# (model, optimizer, strategy state; safetensors metadata holds timings and is ignored), identical prediction and
# uncertainty voxels (NIfTI data after the header), identical per-case metrics (summary.json without timings) and
# identical metrics.csv rows (without the seconds column; no duplicated or missing epoch), and TensorBoard event files
# holding every epoch exactly once.
# A control run with another seed must be reported as different (the comparison can fail).
# (The preflight on real tmpfs mounts is tested in Tests/CLITests/KillResumeCLITests.swift.)
#
# usage: scripts/kill-resume.sh [SEED]      (SEED picks the kill points; printed so a failure can be replayed)
# env:   SEMISEG (.build/release/semiseg), KR_KEEP=1 keeps the work folder.
# Needs only bash, coreutils and python3's standard library (no network, no torch). Exit status 1 on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SEMISEG:-$PWD/.build/release/semiseg}
[ -x "$B" ] || { echo "error: $B not found (run \`make release\` first)" >&2; exit 1; }
SEED=${1:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
W=$(mktemp -d "${TMPDIR:-/tmp}/kill-resume.XXXXXX")
MOUNTS=()
cleanup() {
  # A run still in the background (the script stopped early) must not write into the folder being removed.
  local left; left=$(jobs -p); [ -n "$left" ] && { kill -9 $left 2>/dev/null || true; wait $left 2>/dev/null || true; }
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount "$m" 2>/dev/null || true; done
  if [ "${KR_KEEP:-0}" = 1 ]; then echo "work folder kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
start=$(date +%s.%N)
echo "kill-resume: seed $SEED (replay: scripts/kill-resume.sh $SEED), binary $B"

EPOCHS=4 ITERS=5
STEPS=$((EPOCHS * ITERS))
"$B" synth --out "$W/data" --cases 10 --test-cases 4 --dims 2 --seed 3 >/dev/null
COMMON=(--data "$W/data" --model unet2d --base 4 --depth 2 --epochs $EPOCHS --iterations $ITERS --batch-size 2
        --labeled 3 --validation 2 --augmentation standard --log-steps)
TRAIN=(train --strategy mc-dropout "${COMMON[@]}")
# Strategy state in the checkpoints: mean-teacher's EMA teacher, checkpoint-ensemble's snapshots (grow per epoch).
COMPARE=(compare --strategies supervised,mean-teacher,checkpoint-ensemble --seeds 0 "${COMMON[@]}")
CELLS=(supervised-seed0 mean-teacher-seed0 checkpoint-ensemble-seed0)

# Comparison of two run folders: scripts/same-run.py (python3 standard library only).

# ---------------------------------------------------------------------------------------------------------------
# Kill helpers. The process is started in the background with stdout+stderr to LOG; `kill -9` lands when the chosen
# event is observed (polled every 5 ms).
wait_for() {  # wait_for PID FILE REGEX -> 0 when a line matches, 1 when the process ended first
  local pid=$1 file=$2 re=$3
  while kill -0 "$pid" 2>/dev/null; do
    grep -Eq "$re" "$file" 2>/dev/null && return 0
    sleep 0.005
  done
  return 1
}

ROWS=()
FAIL=0
# trial NAME KIND OUT RUNDIR CMD...   KIND: step:N | ckpt:E | predict:K. RUNDIR: the run folder watched (train: OUT,
# compare: OUT/cells/<cell>); its log is the process output (train) or the cell's log.txt (compare).
trial() {
  local name=$1 kind=$2 out=$3 rundir=$4; shift 4
  local log="$W/$name.log" steplog
  if [ "$2" = train ]; then steplog=$log; else steplog=$rundir/log.txt; fi
  "$@" --out "$out" > "$log" 2>&1 &
  local pid=$! observed="" killed=0
  case $kind in
    term:*)
      # SIGTERM (not SIGKILL): the run checkpoints at the next step boundary (mid-epoch) and exits 143.
      local n=${kind#term:}
      if wait_for $pid "$steplog" "^ *step $n \\("; then kill -TERM $pid 2>/dev/null && killed=1; observed="SIGTERM in step $((n + 1))"; fi
      local rc=0
      wait $pid 2>/dev/null || rc=$?
      if [ $killed = 1 ] && [ $rc -ne 143 ]; then echo "$name: exit status $rc after SIGTERM, expected 143"; FAIL=1; fi
      if [ $killed = 1 ] && ! grep -q "^interrupted by SIGTERM: checkpoint saved" "$log"; then echo "$name: no 'interrupted by SIGTERM' line"; FAIL=1; fi ;;
    step:*)
      local n=${kind#step:}
      if wait_for $pid "$steplog" "^ *step $n \\("; then kill -9 $pid 2>/dev/null && killed=1; observed="in step $((n + 1))"; fi ;;
    ckpt:*)
      # After the epoch's last step: validation, then checkpoints (best, last) and metrics.csv. Kill on the first
      # temporary checkpoint file seen, or right after the epoch line (just past the checkpoint) if none was caught.
      local e=${kind#ckpt:} dir=$rundir/checkpoints
      if wait_for $pid "$steplog" "^ *step $((e * ITERS)) \\("; then
        local t0=$SECONDS
        while kill -0 $pid 2>/dev/null; do
          if compgen -G "$dir/.*.tmp-*" > /dev/null; then kill -9 $pid 2>/dev/null && killed=1; observed="checkpoint write, epoch $e"; break; fi
          if grep -Eq "^ *epoch $e/" "$steplog" 2>/dev/null; then kill -9 $pid 2>/dev/null && killed=1; observed="just after checkpoint, epoch $e"; break; fi
          [ $((SECONDS - t0)) -gt 20 ] && break
        done
      fi ;;
    predict:*)
      # Training is done; the best checkpoint is loaded and test predictions are written: kill once K files exist.
      # A kill that finds all 4 files written may land after the run (or the compare cell) has finished: then nothing
      # is left to resume, so the trial starts over in a fresh folder (up to 3 attempts) rather than test nothing.
      local k=${kind#predict:} np=0 attempt
      for attempt in 1 2 3; do
        if wait_for $pid "$steplog" "^ *training done"; then
          while kill -0 $pid 2>/dev/null; do
            # (find fails while predictions/ does not exist yet: with pipefail and set -e that must not end the script)
            np=$( (find "$rundir/predictions" -maxdepth 1 -name '*.nii.gz' 2>/dev/null || true) | wc -l)
            if [ "$np" -ge "$k" ]; then kill -9 $pid 2>/dev/null && killed=1; observed="prediction writing, $np/4 written"; break; fi
            sleep 0.005
          done
        fi
        { [ $killed = 1 ] && [ "$np" -lt 4 ]; } || [ $attempt = 3 ] && break
        wait $pid 2>/dev/null || true
        killed=0; np=0; rm -rf "$out"
        echo "--- kill came too late (all predictions written); attempt $((attempt + 1))" >> "$W/$name.retries"
        "$@" --out "$out" > "$log" 2>&1 &
        pid=$!
      done ;;
  esac
  wait $pid 2>/dev/null || true
  if [ $killed = 0 ]; then
    ROWS+=("| $name | $kind | not killed (finished first) | - | - | - | - | FAIL |"); FAIL=1; return
  fi
  # Resume with the same command (train: --resume; compare: re-run).
  local resume=()
  [ "$2" = train ] && resume=(--resume)
  echo "--- resume" >> "$log"
  "$@" --out "$out" "${resume[@]}" >> "$log" 2>&1 || { echo "$name: resume failed: $(tail -3 "$log")"; FAIL=1; }
  local from
  from=$( (grep -Eo "resumed from epoch [0-9]+ \\(step [0-9]+\\)" "$steplog" || true) | tail -1 | sed -E 's/resumed from epoch ([0-9]+) \(step ([0-9]+)\)/step \2 (epoch \1)/')
  # Every kill point lies after the first epoch's checkpoint: a resume that starts over is a failure.
  [ -z "$from" ] && { from="start (did not resume)"; FAIL=1; }
  local res
  if [ "$2" = train ]; then res=$(python3 scripts/same-run.py train "${REF_TRAIN:-$W/ref-train}" "$out" $EPOCHS)
  else res=$(python3 scripts/same-run.py compare "$W/ref-compare" "$out" $EPOCHS "$(IFS=,; echo "${CELLS[*]}")"); fi
  local w p m; read -r w p m <<< "$res"
  local verdict=ok
  [ "$w$p$m" = yesyesyes ] || { verdict=FAIL; FAIL=1; }
  ROWS+=("| $name | $kind | $observed | $from | $w | $p | $m | $verdict |")
}

# ---------------------------------------------------------------------------------------------------------------
# References (uninterrupted).
"$B" "${TRAIN[@]}" --out "$W/ref-train" > "$W/ref-train.log" 2>&1 || { cat "$W/ref-train.log"; exit 1; }
"$B" "${COMPARE[@]}" --out "$W/ref-compare" > "$W/ref-compare.log" 2>&1 || { cat "$W/ref-compare.log"; exit 1; }
# Two uninterrupted runs must agree (otherwise no resume can).
"$B" "${TRAIN[@]}" --out "$W/ref-train2" > "$W/ref-train2.log" 2>&1 || { cat "$W/ref-train2.log"; exit 1; }
read -r w p m <<< "$(python3 scripts/same-run.py train "$W/ref-train" "$W/ref-train2" $EPOCHS)"
ROWS+=("| train-repeat | none | uninterrupted twice | - | $w | $p | $m | $([ "$w$p$m" = yesyesyes ] && echo ok || echo FAIL) |")
[ "$w$p$m" = yesyesyes ] || FAIL=1
# Control: another seed must differ in weights, predictions or metrics, or the comparison proves nothing.
"$B" "${TRAIN[@]}" --seed 1 --out "$W/control" > "$W/control.log" 2>&1 || { cat "$W/control.log"; exit 1; }
read -r w p m <<< "$(python3 scripts/same-run.py train "$W/ref-train" "$W/control" $EPOCHS 2>/dev/null)"
ROWS+=("| control | none, --seed 1 | must differ | - | $w | $p | $m | $([ "$w" = NO ] && echo "ok (differs)" || echo FAIL) |")
[ "$w" = NO ] || FAIL=1

# Kill points from the seed: a mid-epoch step (not an epoch's last), an epoch's checkpoint, the prediction phase;
# for compare a mid-epoch step in the first cell, in the second (mean-teacher) cell, the second cell's prediction
# writing, and a mid-epoch step in the third (checkpoint-ensemble) cell.
# Draws happen in this shell, never in $(...) (bash re-seeds RANDOM in subshells), so a seed replays its kill points.
# Mid-epoch steps come from epochs 2..E-1 (a checkpoint exists to resume from); the checkpoint kill from epochs 2..E-1.
# Not in the last epoch: a kill seen in its final steps could come after a train run has already ended.
mid() { while :; do MID=$(( RANDOM % (STEPS - 2 * ITERS - 1) + ITERS + 1 )); [ $((MID % ITERS)) -ne 0 ] && return; done; }
mid; s1=$MID; mid; s2=$MID; mid; s3=$MID; mid; s4=$MID
e1=$(( RANDOM % (EPOCHS - 2) + 2 ))
k1=$(( RANDOM % 3 + 1 )); k2=$(( RANDOM % 3 + 1 ))   # prediction files written (of 4) before the kill
trial train-1 "step:$s1" "$W/t1" "$W/t1" "$B" "${TRAIN[@]}"
trial train-2 "ckpt:$e1" "$W/t2" "$W/t2" "$B" "${TRAIN[@]}"
trial train-3 "predict:$k1" "$W/t3" "$W/t3" "$B" "${TRAIN[@]}"
# SIGTERM lands in step n+1; that step must not end its epoch, so the checkpoint is a mid-epoch one.
while :; do mid; [ $(( (MID + 1) % ITERS )) -ne 0 ] && break; done; s5=$MID
trial train-4 "term:$s5" "$W/t4" "$W/t4" "$B" "${TRAIN[@]}"
trial compare-1 "step:$s2" "$W/c1" "$W/c1/cells/${CELLS[0]}" "$B" "${COMPARE[@]}"
trial compare-2 "step:$s3" "$W/c2" "$W/c2/cells/${CELLS[1]}" "$B" "${COMPARE[@]}"
trial compare-3 "predict:$k2" "$W/c3" "$W/c3/cells/${CELLS[1]}" "$B" "${COMPARE[@]}"
trial compare-4 "step:$s4" "$W/c4" "$W/c4/cells/${CELLS[2]}" "$B" "${COMPARE[@]}"

# The strategies with extra networks, views and mixing (issue 19): per strategy one uninterrupted train run and one
# killed mid-epoch in epochs 2..3 (BCP's teacher is built when its pre-training quarter, epoch 1, ends: a kill in epoch 2
# resumes without it and rebuilds it, a later kill restores it from the checkpoint).
for s in fixmatch cps ua-mt bcp; do
  REF_TRAIN=$W/ref-$s
  "$B" train --strategy $s "${COMMON[@]}" --out "$REF_TRAIN" > "$REF_TRAIN.log" 2>&1 || { cat "$REF_TRAIN.log"; exit 1; }
  mid
  trial "train-$s" "step:$MID" "$W/k-$s" "$W/k-$s" "$B" train --strategy $s "${COMMON[@]}"
done
unset REF_TRAIN

echo
echo "| trial | kill point | killed at | resumed from | weights identical | predictions identical | metrics identical | result |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
if [ $FAIL = 0 ]; then
  echo "kill-resume: all trials identical to the uninterrupted runs (${elapsed} s, seed $SEED)"
else
  echo "kill-resume: FAILED (seed $SEED; replay with scripts/kill-resume.sh $SEED, KR_KEEP=1 keeps the folders)" >&2
  exit 1
fi
