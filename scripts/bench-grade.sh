#!/usr/bin/env bash
# Grading benchmark: the same 1080p clip through the same Neon Noir LUT with
# `empathy grade` and with ffmpeg (lut3d, tetrahedral → PNG), in one run.
# Prints fps of each and their ratio, each one's distance from a float64
# reference of the same LUT applied to its own decoded input, and PNG bytes.
#
#   scripts/bench-grade.sh [RUNS]     (default 3 runs each; medians reported)
#
# Environment: CLIP, LUT (a look name), EMPATHY (binary), OUT (scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-3}
CLIP=${CLIP:-footage/bench/astronaut-1080p.mp4}
LOOK=${LUT:-neon-noir/midnight}
EMPATHY=${EMPATHY:-.build/release/empathy}
OUT=${OUT:-out/bench}
PY=/usr/bin/python3

[ -f "$CLIP" ] || footage/make-bench.sh
[ -x "$EMPATHY" ] || swift build -c release --product empathy
LUTFILE=shaders/luts/$LOOK.cube
[ -f "$LUTFILE" ] || { echo "bench-grade: no LUT file $LUTFILE" >&2; exit 1; }

read -r W H FRAMES < <(ffprobe -v error -select_streams v:0 -count_packets \
  -show_entries stream=width,height,nb_read_packets -of csv=p=0 "$CLIP" | tr ',' ' ')
STEM=$(basename "${CLIP%.*}")
rm -rf "$OUT"; mkdir -p "$OUT"

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "clip: $CLIP (${W}x${H}, $FRAMES frames); LUT: $LUTFILE; $RUNS runs each; $(nproc) cores"

# Runs alternate (empathy, ffmpeg, empathy, …) so a burst of load elsewhere
# hits both; the fps ratio is the median of the per-run ratios.
emp_times=(); ff_times=(); emp_cpu=(); ff_cpu=(); ratios=()
for run in $(seq "$RUNS"); do
  rm -rf "$OUT/empathy" "$OUT/ffmpeg"; mkdir -p "$OUT/ffmpeg"
  read -r ew ec < <($PY scripts/timed.py "$EMPATHY" grade "$CLIP" --lut "$LOOK" --out "$OUT/empathy" --quiet 2>&1 >/dev/null | tail -1)
  read -r fw fc < <($PY scripts/timed.py ffmpeg -v error -nostdin -i "$CLIP" \
    -vf "lut3d=file=$LUTFILE:interp=tetrahedral" -f image2 "$OUT/ffmpeg/$STEM.%04d.png" 2>&1 | tail -1)
  emp_times+=("$ew"); ff_times+=("$fw"); emp_cpu+=("$ec"); ff_cpu+=("$fc")
  ratios+=("$(echo "$fw / $ew" | bc -l)")
  printf '  run %d: empathy %.2f s (CPU %.2f s), ffmpeg %.2f s (CPU %.2f s), ratio %.2fx\n' \
    "$run" "$ew" "$ec" "$fw" "$fc" "${ratios[-1]}"
done
emp_med=$(printf '%s\n' "${emp_times[@]}" | median)
ff_med=$(printf '%s\n' "${ff_times[@]}" | median)
emp_cpu_med=$(printf '%s\n' "${emp_cpu[@]}" | median)
ff_cpu_med=$(printf '%s\n' "${ff_cpu[@]}" | median)
ratio_med=$(printf '%s\n' "${ratios[@]}" | median)

# Every frame of both tools must decode (CRCs, inflate, Adler-32, size).
emp_ok=$($PY scripts/pngcheck.py --expect "$FRAMES" "$OUT/empathy")  # set -e: a bad frame stops the run, named
ff_ok=$($PY scripts/pngcheck.py --expect "$FRAMES" "$OUT/ffmpeg")
echo "integrity: empathy $emp_ok, ffmpeg $ff_ok"

# Accuracy: every 10th frame of each tool's output against the float
# reference applied to that tool's own decoded input (empathy's decode is
# its output at --intensity 0; ffmpeg's is its rgb24 conversion).
"$EMPATHY" grade "$CLIP" --lut "$LOOK" --intensity 0 --out "$OUT/decoded" --quiet >/dev/null
raw() { ffmpeg -v error -nostdin -i "$1" -vf "select=not(mod(n\,10))" -fps_mode passthrough -f rawvideo -pix_fmt rgb24 "$2"; }
raw "$OUT/decoded/$STEM/$STEM.%04d.png" "$OUT/empathy-in.rgb"
raw "$OUT/empathy/$STEM/$STEM.%04d.png" "$OUT/empathy-out.rgb"
raw "$CLIP" "$OUT/ffmpeg-in.rgb"
raw "$OUT/ffmpeg/$STEM.%04d.png" "$OUT/ffmpeg-out.rgb"
emp_acc=$($PY scripts/lutref.py "$LUTFILE" "$W" "$H" "$OUT/empathy-in.rgb" "$OUT/empathy-out.rgb")
ff_acc=$($PY scripts/lutref.py "$LUTFILE" "$W" "$H" "$OUT/ffmpeg-in.rgb" "$OUT/ffmpeg-out.rgb")
decode_diff=$($PY - "$OUT/empathy-in.rgb" "$OUT/ffmpeg-in.rgb" <<'PYEOF'
import sys, numpy as np
a = np.fromfile(sys.argv[1], np.uint8).astype(np.int16); b = np.fromfile(sys.argv[2], np.uint8).astype(np.int16)
d = np.abs(a - b) if a.size == b.size else None
print("n/a" if d is None else f"max {d.max()}, mean {d.mean():.3f}")
PYEOF
)

emp_bytes=$(du -sb "$OUT/empathy" | cut -f1)
ff_bytes=$(du -sb "$OUT/ffmpeg" | cut -f1)
field() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo
printf '%-8s %9s %8s %12s %9s %11s %10s\n' tool "median s" fps "CPU ms/frame" "max diff" "p99.9 diff" "PNG MB"
printf '%-8s %9.2f %8.2f %12.1f %9s %11s %10.1f\n' empathy "$emp_med" "$(echo "$FRAMES / $emp_med" | bc -l)" \
  "$(echo "1000 * $emp_cpu_med / $FRAMES" | bc -l)" "$(field "$emp_acc" max)" "$(field "$emp_acc" p999)" \
  "$(echo "$emp_bytes / 1000000" | bc -l)"
printf '%-8s %9.2f %8.2f %12.1f %9s %11s %10.1f\n' ffmpeg "$ff_med" "$(echo "$FRAMES / $ff_med" | bc -l)" \
  "$(echo "1000 * $ff_cpu_med / $FRAMES" | bc -l)" "$(field "$ff_acc" max)" "$(field "$ff_acc" p999)" \
  "$(echo "$ff_bytes / 1000000" | bc -l)"
echo
printf 'fps ratio empathy/ffmpeg: %.2fx (median of per-run ratios; ratio of medians %.2fx)\n' \
  "$ratio_med" "$(echo "$ff_med / $emp_med" | bc -l)"
printf 'CPU time ratio ffmpeg/empathy: %.2fx   PNG bytes ratio empathy/ffmpeg: %.3f\n' \
  "$(echo "$ff_cpu_med / $emp_cpu_med" | bc -l)" "$(echo "$emp_bytes / $ff_bytes" | bc -l)"
echo "decoders (OpenCV vs ffmpeg rgb24) differ by: $decode_diff"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$(field "$emp_acc" max)" -gt 1 ]; then
  echo "bench-grade: empathy's output is off the float reference by $(field "$emp_acc" max) code values (target ±1)" >&2
  exit 1
fi
