#!/usr/bin/env bash
# Builds and runs the whole test suite under a sanitizer, then prints a summary (tests run, findings).
#
#   scripts/sanitize.sh address|thread [extra `swift test` arguments, e.g. --filter EngineTests]
#
# Release build with the Makefile's CPU flags and -enable-testing (debug builds make the training tests far too
# slow), in its own scratch path (.build-asan / .build-tsan) so the normal .build is untouched. SwiftPM compiles
# the C targets (CKernels, CNIfTI shim) with the same sanitizer. Each process, including every `semiseg` the CLI
# tests start, writes its reports to $SCRATCH/sanitizer-logs/<kind>.<pid> (log_path), so findings in child
# processes are counted too. Exit status: 0 only when the tests pass and no report was written.
#
# address: ASan + LeakSanitizer, with scripts/lsan.supp (each suppression explained there). SEMISEG_BUFFER_POOL=0
#          turns the tensor buffer pool off, so every tensor buffer is a real malloc/free and a use after free of a
#          recycled buffer is caught instead of hidden.
# thread:  TSan with scripts/tsan.supp (each suppression is explained there). Every test runs under TSan (the
#          slowest, the 3D toy-learning suite, takes a few minutes); none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
case "$kind" in
    address) scratch=.build-asan; short=asan ;;
    thread) scratch=.build-tsan; short=tsan ;;
    *) echo "usage: scripts/sanitize.sh address|thread [swift test arguments]" >&2; exit 2 ;;
esac
shift

SWIFT=${SWIFT:-swift}
CPU_FLAGS=${CPU_FLAGS:--Xswiftc -target-cpu -Xswiftc haswell -Xcc -mavx2 -Xcc -mfma}
# shellcheck disable=SC2206
flags=(-c release $CPU_FLAGS -Xswiftc -enable-testing --sanitize="$kind" --scratch-path "$scratch")

bash scripts/test-fixtures.sh

start=$(date +%s)
echo "sanitize: building with --sanitize=$kind into $scratch"
"$SWIFT" build "${flags[@]}" --build-tests
built=$(date +%s)

logs=$scratch/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
logs_abs=$(cd "$logs" && pwd)
out=$scratch/sanitize-test.log

if [ "$kind" = address ]; then
    # detect_leaks: LeakSanitizer at exit. halt_on_error stays at its default (stop at the first error).
    export ASAN_OPTIONS="log_path=$logs_abs/asan:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
    export LSAN_OPTIONS="suppressions=$(pwd)/scripts/lsan.supp:print_suppressions=1"
    export SEMISEG_BUFFER_POOL=0
else
    supp=$(pwd)/scripts/tsan.supp
    # halt_on_error=0: report every race, keep going; second_deadlock_stack for readable lock-order reports.
    export TSAN_OPTIONS="log_path=$logs_abs/tsan:suppressions=$supp:halt_on_error=0:second_deadlock_stack=1:history_size=4"
fi

echo "sanitize: running the tests (output in $out)"
set +e
"$SWIFT" test "${flags[@]}" --skip-build "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)

# swift-testing: "Test run with N tests in M suites passed after S seconds." (or "... failed ... with K issues").
# XCTest (none here today): "Executed N tests, with F failures".
tests=$(grep -Eo 'Test run with [0-9]+ tests?' "$out" | tail -1 | grep -Eo '[0-9]+' || true)
xctests=$(grep -Eo 'Executed [0-9]+ tests?' "$out" | tail -1 | grep -Eo '[0-9]+' || true)
skipped=$(grep -E 'Test .* skipped' "$out" || true)

reports=$(find "$logs" -type f | sort)
findings=0
if [ -n "$reports" ]; then
    # One report per "SUMMARY: <Sanitizer>:" line (ASan/LSan/TSan/UBSan all end a report with one).
    findings=$(cat $reports | grep -c '^SUMMARY: ' || true)
fi

echo
echo "=== sanitize $kind summary ==="
echo "build:    $((built - start)) s   tests: $((end - built)) s   total: $((end - start)) s"
echo "tests:    ${tests:-?} swift-testing${xctests:+, $xctests XCTest}; swift test exit status $status"
if [ -n "$skipped" ]; then echo "skipped:"; echo "$skipped" | sed 's/^/    /'; fi
echo "findings: $findings (reports in $logs)"
if [ -n "$reports" ] && grep -q '^Suppressions used:' $reports; then
    echo "suppressed (outside SemiSeg, see scripts/${short/asan/lsan}.supp):"
    # "Suppressions used:" / "  count      bytes template" / one line per template (leaks also give bytes).
    awk '/^Suppressions used:/{s=1; next} s && /^ *count/{next} s && NF>=2 {print; next} {s=0}' $reports \
        | awk '{t=$NF; n[t]+=$1} END {for (t in n) printf "    %6d  %s\n", n[t], t}' | sort -rn
fi
if [ "$findings" -gt 0 ]; then
    cat $reports | grep '^SUMMARY: ' | sort | uniq -c | sort -rn | sed 's/^/    /'
fi
[ "$status" -eq 0 ] && [ "$findings" -eq 0 ]
