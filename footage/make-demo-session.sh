#!/bin/sh
# Makes the demo heart-rate sessions, recorded the way a real one is
# (`empathy sensor record`) from the real pulse firmware running in simavr,
# fed a synthetic pulse with breathing and jitter:
#   footage/demo/astronaut.session.csv — steady 82 BPM, for the demo clip;
#   footage/expressions/astronaut-expressions.session.csv — 70 BPM rising to
#     125 BPM over the 10 s before and during the expression clip, for the
#     emotion render of `make demo`.
# Footage time 0 is session time 20 s, so heart rate and RMSSD have history
# from the clip's first frame.
#
# Usage: footage/make-demo-session.sh [EMPATHY_BINARY]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
empathy=${1:-"$root/.build/release/empathy"}

[ -x "$empathy" ] || { echo "make-demo-session: build empathy first (swift build -c release)" >&2; exit 1; }
make -s -C "$root/firmware" sim >/dev/null

work=$(mktemp -d)
sim= rec=
trap 'kill $sim $rec 2>/dev/null || true; rm -rf "$work"' EXIT

# record OUT SIM_ARGS...: one session from the simulated board.
record() {
    out=$1; shift
    rm -f "$work/tty" "$work/session.csv"
    "$root/firmware/sim/pulse-sim" --elf "$root/firmware/build-uno/empathy_pulse.elf" --link "$work/tty" \
        "$@" >/dev/null 2>&1 &
    sim=$!
    i=0
    until [ -e "$work/tty" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "make-demo-session: the simulator made no tty" >&2; exit 1; }
        sleep 0.05
    done
    "$empathy" sensor record --sensor "$work/tty" --out "$work/session.csv" --footage-offset 20 --duration 120 >/dev/null &
    rec=$!
    wait $sim || true          # the simulated board has sent all it was asked to
    sleep 0.3
    kill -INT $rec
    wait $rec
    mv "$work/session.csv" "$out"
    echo "wrote $out ($(grep -c ',beat,' "$out") beats)"
}

record "$here/demo/astronaut.session.csv" --bpm 82 --rsa-ms 45 --jitter-ms 10 --seed 7 --duration-s 40
record "$here/expressions/astronaut-expressions.session.csv" --bpm 70 --ramp-to 125,16,25 \
    --rsa-ms 40 --jitter-ms 10 --seed 11 --duration-s 30
