#!/usr/bin/env bash
# Fuzzes with libFuzzer (issues #8, 18): the NIfTI reader, the MSD dataset loader/validator, the safetensors reader,
# experiment configs (TrainConfig.load, JSON), split.json and compare.json. Not part of `make test`.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 600 s in total over all six targets (nifti 30 %, 14 % each other)
#   scripts/fuzz.sh 600 safetensors config    # 600 s EACH when targets are named
#   make fuzz [FUZZ_SECONDS=600]
#   FUZZ_NO_BUILD=1: use the harnesses already built (e.g. a second fuzz.sh running beside the first).
#
# Builds the harness package Fuzz/ (release, -sanitize=fuzzer,address: coverage for MedIO and the harnesses,
# AddressSanitizer + LeakSanitizer), then runs each target with -rss_limit_mb=2048 -timeout=10 on a working
# corpus under .build-fuzz/corpus/<target>/ seeded from the committed Fuzz/corpus/<target>/. Prints executions,
# exec/s, coverage (cov = edges, ft = features) and corpus size per target, and every crash, leak, timeout or
# out-of-memory input (kept under .build-fuzz/artifacts/<target>/; move it to Fuzz/regressions/<target>/ and
# fix). Exits non-zero when a target found something. SWIFT_BACKTRACE=enable=no: Swift's own crash backtracer
# would otherwise run inside the ASan process and be reported instead of the real failure.
set -uo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-600}
shift || true
TARGETS=("$@")
ALL=0
[ ${#TARGETS[@]} -eq 0 ] && { TARGETS=(nifti msd safetensors config split compare); ALL=1; }
case "$TOTAL" in ''|*[!0-9]*) echo "error: scripts/fuzz.sh: SECONDS must be a whole number, got '$TOTAL'" >&2; exit 2;; esac

WORK=${FUZZ_WORK:-.build-fuzz}
FLAGS=(-c release -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    echo "fuzz: building Fuzz/ (swift build ${FLAGS[*]})"
    (cd Fuzz && swift build "${FLAGS[@]}" 2>&1 | grep -v "__asan_extra_spill_area") || { echo "error: Fuzz/: build failed" >&2; exit 1; }
fi
BIN=$(cd Fuzz && swift build "${FLAGS[@]}" --show-bin-path)

share() {  # seconds for a target: all of SECONDS for named targets, else nifti 30 % and 14 % for each other
    if [ $ALL = 0 ]; then echo "$TOTAL"; return; fi
    case "$1" in nifti) echo $((TOTAL * 30 / 100));; *) echo $((TOTAL * 14 / 100));; esac
}

status=0
summary=()
for t in "${TARGETS[@]}"; do
    case "$t" in
        nifti) exe=$BIN/FuzzNifti; maxlen=4096;;
        msd) exe=$BIN/FuzzMSD; maxlen=8192;;
        safetensors) exe=$BIN/FuzzSafeTensors; maxlen=4096;;
        config) exe=$BIN/FuzzConfig; maxlen=4096;;
        split) exe=$BIN/FuzzSplit; maxlen=2048;;
        compare) exe=$BIN/FuzzCompare; maxlen=4096;;
        *) echo "error: scripts/fuzz.sh: unknown target '$t' (nifti, msd, safetensors, config, split, compare)" >&2; exit 2;;
    esac
    secs=$(share "$t")
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t" "$WORK/logs"
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/semiseg-fuzz-$t.XXXXXX")
    [ -d /dev/shm ] && [ -w /dev/shm ] && { rmdir "$scratch"; scratch=$(mktemp -d /dev/shm/semiseg-fuzz-$t.XXXXXX); }
    log="$WORK/logs/$t.log"
    before=$(ls "$WORK/artifacts/$t" | wc -l)
    echo "fuzz: $t for ${secs}s -> $log"
    start=$SECONDS
    regress=()
    [ -d "Fuzz/regressions/$t" ] && regress=("Fuzz/regressions/$t")
    SWIFT_BACKTRACE=enable=no SEMISEG_FUZZ_TMP="$scratch" "$exe" "$WORK/corpus/$t" "Fuzz/corpus/$t" "${regress[@]}" \
        -dict="Fuzz/dict/$t.dict" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len="$maxlen" \
        -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t/" >"$log" 2>&1
    rc=$?
    elapsed=$((SECONDS - start))
    rm -rf "$scratch"
    execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
    eps=$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
    rss=$(grep -oE 'stat::peak_rss_mb:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
    corpus=$(ls "$WORK/corpus/$t" | wc -l)
    line="$t: ${execs:-?} executions in ${elapsed}s, ${eps:-?} exec/s, cov ${cov:-?} edges, ft ${ft:-?} features, corpus $corpus files, peak RSS ${rss:-?} MB, exit $rc"
    echo "fuzz: $line"
    summary+=("$line")
    after=$(ls "$WORK/artifacts/$t" | wc -l)
    # libnifti must never print (SemiSeg reports every problem itself): its messages start with "** ", "+d ", "-d ".
    stray=$(grep -cE '^(\*\* |\+d |-d )' "$log")
    if [ "$stray" -gt 0 ]; then
        status=1
        echo "fuzz: $t: libnifti wrote to stderr $stray times:" >&2
        grep -E '^(\*\* |\+d |-d )' "$log" | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /' >&2
    fi
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        status=1
        echo "fuzz: $t FOUND SOMETHING (exit $rc); new inputs in $WORK/artifacts/$t/:" >&2
        ls -t "$WORK/artifacts/$t" | head -$((after - before)) | sed 's/^/  /' >&2
        grep -E 'ERROR: |SUMMARY: |Fatal error|Precondition failed' "$log" | head -5 | sed 's/^/  /' >&2
    fi
done
echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit $status
