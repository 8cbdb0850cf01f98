#!/bin/sh
# Makes footage/demo/astronaut.session.csv: a heart-rate session to go with
# the demo clip, recorded the way a real one is (`empathy sensor record`)
# from the real pulse firmware running in simavr, fed a synthetic pulse
# (82 BPM with breathing and jitter). Footage time 0 is session time 20 s, so
# heart rate and RMSSD have history from the clip's first frame.
#
# Usage: footage/make-demo-session.sh [EMPATHY_BINARY]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
empathy=${1:-"$root/.build/release/empathy"}
out="$here/demo/astronaut.session.csv"

[ -x "$empathy" ] || { echo "make-demo-session: build empathy first (swift build -c release)" >&2; exit 1; }
make -s -C "$root/firmware" sim >/dev/null

work=$(mktemp -d)
sim= rec=
trap 'kill $sim $rec 2>/dev/null || true; rm -rf "$work"' EXIT
"$root/firmware/sim/pulse-sim" --elf "$root/firmware/build-uno/empathy_pulse.elf" --link "$work/tty" \
    --bpm 82 --rsa-ms 45 --jitter-ms 10 --seed 7 --duration-s 40 >/dev/null 2>&1 &
sim=$!
i=0
until [ -e "$work/tty" ]; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "make-demo-session: the simulator made no tty" >&2; exit 1; }
    sleep 0.05
done
"$empathy" sensor record --sensor "$work/tty" --out "$work/session.csv" --footage-offset 20 --duration 120 >/dev/null &
rec=$!
wait $sim || true          # the simulated board has sent its 40 s
sleep 0.3
kill -INT $rec
wait $rec
mv "$work/session.csv" "$out"
echo "wrote $out ($(grep -c ',beat,' "$out") beats)"
