#!/usr/bin/env bash
# Fuzzes every parser that reads a user's bytes with libFuzzer
# (Sources/empathy-fuzz/FuzzTargets.swift lists them).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]   (default 60 s, every target)
#
# Builds .build/fuzz with coverage and AddressSanitizer, then runs each target
# from its committed seeds (fuzz/corpus/TARGET), the inputs earlier runs
# found (.build/fuzz-corpus/TARGET, kept between runs) and the committed
# regressions (fuzz/regressions/TARGET). A crash, a hang (one input over
# 10 s) or a leak is saved as a new regression input under
# fuzz/regressions/TARGET/ and the script exits 1 after the other targets
# ran. Prints executions, coverage and features per target.
set -euo pipefail
cd "$(dirname "$0")/.."

EACH=${1:-60}
shift || true
BUILD=.build/fuzz
BIN=$BUILD/debug/empathy-fuzz

echo "fuzz: building $BIN (libFuzzer coverage + AddressSanitizer)"
swift build --build-path "$BUILD" --product empathy-fuzz \
  -Xswiftc -sanitize=fuzzer,address >/dev/null 2>"$BUILD.log" \
  || { tail -30 "$BUILD.log" >&2; exit 1; }

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(ls fuzz/corpus)
failed=()
printf '%-14s %12s %10s %10s %8s\n' target execs exec/s coverage new
for target in "${TARGETS[@]}"; do
  [ -d "fuzz/corpus/$target" ] || { echo "fuzz: no seed corpus fuzz/corpus/$target" >&2; exit 64; }
  found=.build/fuzz-corpus/$target
  mkdir -p "$found" "fuzz/regressions/$target"
  before=$(ls "$found" | wc -l)
  log=$BUILD/$target.log
  status=0
  ASAN_OPTIONS=detect_leaks=1 "$BIN" "$target" -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="fuzz/regressions/$target/" \
    "$found" "fuzz/corpus/$target" "fuzz/regressions/$target" >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  printf '%-14s %12s %10s %10s %8s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$(( $(ls "$found" | wc -l) - before ))"
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -E "^==[0-9]+==ERROR|SUMMARY|Fatal error|invariant broken|Test unit written" "$log" | head -5 | sed 's/^/    /' >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED in ${failed[*]} (inputs saved under fuzz/regressions/; logs in $BUILD/)" >&2
  exit 1
fi
echo "fuzz: ${#TARGETS[@]} targets, ${EACH} s each, no crash, hang or leak"
