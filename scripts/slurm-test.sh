#!/usr/bin/env bash
# `semiseg compare --slurm` through a real one-node Slurm cluster (issue #17; part of `make test`):
#  1. scripts/slurm-local.sh starts munged, slurmctld and slurmd on localhost (its own state folder, stopped in a trap);
#  2. a local `compare` of 2 strategies x 2 seeds on tiny 2D phantoms (the reference, timed);
#  3. the same flags with --slurm into another folder: one array task per cell plus a collect job (afterany);
#  4. array task 0 is `scancel`led mid-training (SIGTERM: checkpoint at the next step boundary, exit 143), then
#     `scontrol requeue`d; task 1 is requeued while it runs (what preemption does: SIGTERM, back to pending). Slurm
#     holds a requeued job ~2 min (BeginTime); `scontrol update StartTime=now` releases it;
#  5. waits for the collect job and requires: it succeeded, both cells resumed from their SIGTERM checkpoints
#     (mid-epoch, or an epoch's end when the signal came in its last step), and every cell's checkpoint tensors, prediction voxels, summary.json, metrics.csv (without seconds)
#     and TensorBoard epochs, and the collected summary.json / summary.csv (without timings), are identical to the
#     local compare (scripts/same-run.py); report.md and the same figures exist.
# Slurm missing is a failure, not a skip: scripts/install-deps.sh installs it (Debian's slurm-wlm and munge).
#
# usage: scripts/slurm-test.sh      env: SEMISEG (.build/release/semiseg), SLURM_TEST_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${SEMISEG:-$PWD/.build/release/semiseg}
[ -x "$B" ] || { echo "error: $B not found (run \`make release\` first)" >&2; exit 1; }
B=$(cd "$(dirname "$B")" && pwd)/$(basename "$B")
export PATH=$PATH:/usr/sbin
for t in sbatch scontrol squeue scancel slurmctld slurmd munged; do
  command -v $t >/dev/null || { echo "slurm-test: FAILED: Slurm is not installed ($t missing); run scripts/install-deps.sh (slurm-wlm, munge)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/slurm-test.XXXXXX")
export SLURM_LOCAL_DIR=$W/cluster
cleanup() {
  bash "$ROOT/scripts/slurm-local.sh" stop || true
  if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then echo "work folder kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
start=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }

eval "$(bash scripts/slurm-local.sh start)"
"$B" synth --out "$W/data" --cases 10 --test-cases 3 --dims 2 --seed 3 >/dev/null
# 40 steps an epoch keep each task running ~2 s past the step at which it is signalled, even on a fast machine.
EPOCHS=3 ITERS=40
FLAGS=(--data "$W/data" --strategies supervised,mean-teacher --seeds 0,1 --model unet2d --base 4 --depth 2
       --epochs $EPOCHS --iterations $ITERS --batch-size 2 --labeled 3 --validation 2 --augmentation standard
       --threads 1 --log-steps)
CELLS=(supervised-seed0 mean-teacher-seed0 supervised-seed1 mean-teacher-seed1)

t0=$(now)
"$B" compare "${FLAGS[@]}" --out "$W/local" > "$W/local.log" 2>&1 || { cat "$W/local.log"; fail "local compare"; }
local_s=$(secs "$t0" "$(now)")

t0=$(now)
"$B" compare "${FLAGS[@]}" --out "$W/slurm" --slurm > "$W/submit.log" 2>&1 || { cat "$W/submit.log"; fail "compare --slurm"; }
read -r A C <<< "$(sed -nE 's/^submitted array job ([0-9]+) and collect job ([0-9]+).*/\1 \2/p' "$W/submit.log")"
[ -n "${A:-}" ] && [ -n "${C:-}" ] || { cat "$W/submit.log"; fail "no job ids in the output of compare --slurm"; }
echo "slurm-test: array job $A, collect job $C"

state() { squeue -h -t all -j "$1" -o %T 2>/dev/null | head -1; }
# wait_state JOB REGEX SECONDS
wait_state() {
  local t=$SECONDS s=""
  while [ $((SECONDS - t)) -lt "$3" ]; do s=$(state "$1"); [[ $s =~ $2 ]] && return 0; sleep 0.2; done
  fail "job $1 is '$s' after $3 s, expected $2"
}
# Wait until a task is in epoch 2 (a checkpoint exists), then stop it.
wait_step() {  # wait_step CELL STEP
  local log=$W/slurm/cells/$1/log.txt t=$SECONDS
  until grep -Eq "^ *step $2 \\(" "$log" 2>/dev/null; do
    [ $((SECONDS - t)) -lt 120 ] || fail "$1 did not reach step $2 in 120 s"
    sleep 0.05
  done
}
release() {  # a requeued job waits ~2 min (BeginTime) unless released
  wait_state "$1" '^PENDING$' 60
  scontrol update JobId="$1" StartTime=now
}
# Each running task is stopped in epoch 2 (after the epoch-1 checkpoint) as soon as it gets there: waiting for both
# first let task 0 finish its run before the signal on a loaded machine (task 1 starts later).
wait_step "${CELLS[0]}" $((ITERS + 2))
scancel "${A}_0"
wait_step "${CELLS[1]}" $((ITERS + 2))
[ "$(state "${A}_1")" = RUNNING ] || fail "task ${A}_1 is $(state "${A}_1"), expected RUNNING"
scontrol requeue "${A}_1"
wait_state "${A}_0" '^CANCELLED$' 60
scontrol requeue "${A}_0"
release "${A}_0"
release "${A}_1"
echo "slurm-test: task ${A}_0 (${CELLS[0]}) cancelled mid-training and requeued; task ${A}_1 (${CELLS[1]}) requeued while running"

wait_state "$C" '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL)$' 300
slurm_s=$(secs "$t0" "$(now)")
cs=$(state "$C")
[ "$cs" = COMPLETED ] || { cat "$W"/slurm/slurm/collect-*.out; fail "collect job $C ended $cs"; }

for i in 0 1; do
  out=$(cat "$W/slurm/cells/${CELLS[$i]}"/slurm-*.out)
  grep -q "interrupted by SIGTERM: checkpoint saved" <<< "$out" || { echo "$out"; fail "${CELLS[$i]}: no SIGTERM checkpoint in its Slurm output"; }
  grep -q "restart 1" <<< "$out" || fail "${CELLS[$i]}: the requeued task did not run again"
  # Mid-epoch (", epoch E step S/N"), or at an epoch's end when the signal came during its last step.
  grep -Eq "resumed from epoch [0-9]+ \\(step [1-9][0-9]*\\)" "$W/slurm/cells/${CELLS[$i]}/log.txt" \
    || { grep -E "interrupted|resumed|SIGTERM" "$W/slurm/cells/${CELLS[$i]}/log.txt" >&2 || true
         fail "${CELLS[$i]}: did not resume from its SIGTERM checkpoint (log.txt)"; }
done

# Every cell's checkpoint tensors, prediction voxels, summary.json, metrics.csv and TensorBoard epochs, and the
# collected summary.json / summary.csv, against the local compare (timings aside).
read -r w p m <<< "$(python3 scripts/same-run.py compare "$W/local" "$W/slurm" $EPOCHS "$(IFS=,; echo "${CELLS[*]}")")"
echo "slurm-test: ${#CELLS[@]} cells; identical to the local compare: weights $w, predictions $p, metrics $m"
[ "$w$p$m" = yesyesyes ] || fail "the Slurm run differs from the local compare (above)"
[ "$(ls "$W/local/figures")" = "$(ls "$W/slurm/figures")" ] || fail "figures differ: $(ls "$W/local/figures") vs $(ls "$W/slurm/figures")"
[ -s "$W/slurm/report.md" ] || fail "report.md missing"

echo "slurm-test: 2 strategies x 2 seeds, $EPOCHS epochs x $ITERS steps, --threads 1: local compare ${local_s} s (cells one after another),"
echo "            --slurm on one 2-core node ${slurm_s} s from submission to the collect job's end (2 tasks at once, 2 requeues)"
echo "slurm-test: passed ($(secs "$start" "$(now)") s)"
