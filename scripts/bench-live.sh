#!/usr/bin/env bash
# Live benchmark: `empathy live` on 720p at 30 fps (the bench clip, made on
# demand), played as a camera with the firmware in simavr as the pulse sensor
# (real time, over a pty), recording the take. Per run and as medians of the
# runs: sustained fps against the source's 30 (the peer: what a camera
# delivers), dropped %, capture → rendered and capture → on disk latency
# (median, 95th percentile), how far each beat's burst frame lies from
# the beat (frames; within [0, 1) lands on the beat's own frame), and how long
# after it happened a beat reached the take (the sensor's share).
#
#   scripts/bench-live.sh [RUNS] [SECONDS]     (default 3 runs of 20 s)
#
# Environment: EMPATHY (binary), LOOK, OUT (scratch folder), LIVE_ARGS (more
# options for `empathy live`, e.g. "--analysis-rate 10").
# Target on the 2-core development machine: 30 fps, ≤ 1 % dropped, capture →
# on disk ≤ 100 ms median, burst within one frame of the beat.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-3}
SECONDS_EACH=${2:-20}
EMPATHY=${EMPATHY:-.build/release/empathy}
LOOK=${LOOK:-neon-noir}
OUT=${OUT:-out/bench-live}
CLIP=footage/bench/astronaut-720p30.mp4
SIM=firmware/sim/pulse-sim

[ -x "$EMPATHY" ] || swift build -c release --product empathy
footage/make-bench-720p.sh >/dev/null
[ -f "$CLIP" ] || ffmpeg -v error -nostdin -y -i footage/bench/astronaut-720p.mp4 -vf fps=30 -c:v libx264 -preset veryfast \
  -crf 18 -pix_fmt yuv420p "$CLIP"
make -s -C firmware sim >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "clip: $CLIP (1280x720, 30 fps, looped); look: $LOOK; $RUNS runs of $SECONDS_EACH s; $(nproc) cores; sensor: firmware in simavr"

fps=(); dropped=(); render50=(); render95=(); disk50=(); disk95=(); beat50=(); beat95=(); arrive50=()
for run in $(seq "$RUNS"); do
  rm -rf "$OUT"; mkdir -p "$OUT"
  "$SIM" --elf firmware/build-uno/empathy_pulse.elf --link "$OUT/tty" --bpm 80 --rsa-ms 30 \
    --duration-s $((SECONDS_EACH + 30)) --realtime --seed "$run" >/dev/null 2>&1 &
  sim=$!
  for _ in $(seq 100); do [ -e "$OUT/tty" ] && break; sleep 0.1; done
  log=$("$EMPATHY" live ${LIVE_ARGS:-} --play "$CLIP" --loop --duration "$SECONDS_EACH" --look "$LOOK" --sensor "$OUT/tty" \
    --out "$OUT/take" 2>/dev/null)
  kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true
  read -r f d late behind r50 r95 k50 k95 b50 b95 a50 < <(/usr/bin/python3 - "$log" <<'PY'
import re, sys
log = sys.argv[1]
live = re.search(r"\(([\d.]+) fps\), \d+ of \d+ offered dropped \(([\d.]+)%; (\d+) captured late, (\d+) with the render behind\)", log)
render = re.search(r"capture to rendered median ([\d.]+), 95th percentile ([\d.]+)", log)
disk = re.search(r"capture to on disk median ([\d.]+), 95th percentile ([\d.]+)", log)
beats = re.search(r"burst frame after the beat median (-?[\d.]+), 95th percentile (-?[\d.]+)", log)
arrival = re.search(r"a beat reached the take median (-?[\d.]+)", log)
print(*live.groups(), *render.groups(), *disk.groups(), *beats.groups(), *arrival.groups())
PY
)
  fps+=("$f"); dropped+=("$d"); render50+=("$r50"); render95+=("$r95"); disk50+=("$k50"); disk95+=("$k95")
  beat50+=("$b50"); beat95+=("$b95"); arrive50+=("$a50")
  printf '  run %d: %.1f fps (%.2f of the source), dropped %.1f%% (%d late at capture, %d with the render behind), capture→rendered %.0f/%.0f ms, capture→disk %.0f/%.0f ms, beat→burst %.2f/%.2f frames (median/p95), beat→take %.0f ms\n' \
    "$run" "$f" "$(echo "$f / 30" | bc -l)" "$d" "$late" "$behind" "$r50" "$r95" "$k50" "$k95" "$b50" "$b95" "$a50"
done
m() { printf '%s\n' "$@" | median; }
printf 'median of %d runs: %.1f fps (%.2f of the source), dropped %.1f%%, capture→rendered %.0f ms (p95 %.0f), capture→disk %.0f ms (p95 %.0f), beat→burst %.2f frames (p95 %.2f), beat→take %.0f ms\n' \
  "$RUNS" "$(m "${fps[@]}")" "$(echo "$(m "${fps[@]}") / 30" | bc -l)" "$(m "${dropped[@]}")" "$(m "${render50[@]}")" "$(m "${render95[@]}")" \
  "$(m "${disk50[@]}")" "$(m "${disk95[@]}")" "$(m "${beat50[@]}")" "$(m "${beat95[@]}")" "$(m "${arrive50[@]}")"
echo "target: 30 fps, dropped <= 1%, capture->disk median <= 100 ms, beat->burst within [0, 1) frame"
