#!/usr/bin/env bash
# The test suite under the sanitizers, each in its own build folder:
#
#   scripts/test-sanitize.sh [thread|address|all] [XCTEST_FILTER]   (default: all, the whole suite)
#
# thread:  ThreadSanitizer over the Swift code — the decode-ahead thread, the
#          encoder pool, the serial reader and everything the CLI tests run
#          (they start the instrumented `empathy` built beside the tests).
# address: AddressSanitizer over Swift, C and C++, and
#          UndefinedBehaviorSanitizer over the C and C++ shims (CVShim,
#          FaceShim, EXRShim): OpenCV, dlib and OpenEXR calls, our side of
#          them. Leak checking is off: OpenCV and dlib keep caches until exit.
# Any report fails the run (halt_on_error). Suppressions, each with its
# reason, are in scripts/sanitize/.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
FILTER=${2:-}
SUPP=$PWD/scripts/sanitize

run_mode() {
  local mode=$1 build=.build/$1 flags=()
  case $mode in
    thread) flags=(-Xswiftc -sanitize=thread) ;;
    address) flags=(-Xswiftc -sanitize=address -Xcc -fsanitize=address,undefined -Xcxx -fsanitize=address,undefined
                    -Xcc -fno-sanitize-recover=undefined -Xcxx -fno-sanitize-recover=undefined) ;;
    *) echo "test-sanitize: unknown mode '$mode'; use thread, address or all" >&2; exit 64 ;;
  esac
  echo "test-sanitize: building the tests with $mode sanitizer in $build"
  local started=$SECONDS
  swift build --build-tests --build-path "$build" -Xswiftc -use-ld=lld "${flags[@]}" >"$build.log" 2>&1 \
    || { grep -E "error" "$build.log" | head -20 >&2; exit 1; }
  echo "test-sanitize: built in $((SECONDS - started)) s; running"
  started=$SECONDS
  local args=(--skip-build --build-path "$build" --disable-swift-testing)
  [ -n "$FILTER" ] && args+=(--filter "$FILTER")
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$SUPP/tsan.supp" \
  ASAN_OPTIONS="detect_leaks=0 halt_on_error=1" \
  UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 suppressions=$SUPP/ubsan.supp" \
    swift test "${args[@]}" >"$build-test.log" 2>&1 || {
      { grep -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|runtime error|SUMMARY|error:" "$build-test.log" | head -30 >&2; } || true
      echo "test-sanitize: $mode FAILED (log: $build-test.log)" >&2; exit 1; }
  grep -E "Executed [0-9]+ tests" "$build-test.log" | tail -1
  echo "test-sanitize: $mode clean in $((SECONDS - started)) s"
}

case $MODE in
  all) run_mode thread; run_mode address ;;
  *) run_mode "$MODE" ;;
esac
