#!/usr/bin/env bash
# Emotion-render benchmark: the 1080p bench clip through the full neon-noir
# look (emotion grade, glitch, particles) with a synthetic emotion timeline,
# against ffmpeg's grade-only render of the same clip (lut3d tetrahedral →
# PNG), in one run. Prints both fps, their ratio (target ≥ 2×) and the
# render's per-stage split (decode, passes, readback, PNG).
#
#   scripts/bench-render.sh [RUNS]      (default 1 run each; medians reported)
#
# Environment: CLIP, LOOK, BENCH (render-bench binary), OUT (scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-1}
CLIP=${CLIP:-footage/bench/astronaut-1080p.mp4}
LOOK=${LOOK:-neon-noir}
BENCH=${BENCH:-.build/release/render-bench}
OUT=${OUT:-out/bench-render}
PY=/usr/bin/python3
LUTFILE=shaders/luts/neon-noir/midnight.cube

[ -f "$CLIP" ] || footage/make-bench.sh
[ -x "$BENCH" ] || swift build -c release --product render-bench
read -r W H FRAMES < <(ffprobe -v error -select_streams v:0 -count_packets \
  -show_entries stream=width,height,nb_read_packets -of csv=p=0 "$CLIP" | tr ',' ' ')
STEM=$(basename "${CLIP%.*}")
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "clip: $CLIP (${W}x${H}, $FRAMES frames); look: $LOOK; ffmpeg grade: $LUTFILE; $RUNS runs each; $(nproc) cores"

render_fps=(); ff_fps=(); ratios=(); last_json=
for run in $(seq "$RUNS"); do
  rm -rf "$OUT"; mkdir -p "$OUT/ffmpeg"
  last_json=$("$BENCH" "$CLIP" "$OUT/render" "$LOOK")
  rf=$($PY -c "import json,sys; print(json.loads(sys.argv[1])['fps'])" "$last_json")
  $PY scripts/pngcheck.py --expect "$FRAMES" "$OUT/render" >/dev/null  # every frame must decode; names the bad one
  read -r fw fc < <($PY scripts/timed.py ffmpeg -v error -nostdin -i "$CLIP" \
    -vf "lut3d=file=$LUTFILE:interp=tetrahedral" -f image2 "$OUT/ffmpeg/$STEM.%04d.png" 2>&1 | tail -1)
  ff=$(echo "$FRAMES / $fw" | bc -l)
  render_fps+=("$rf"); ff_fps+=("$ff"); ratios+=("$(echo "$rf / $ff" | bc -l)")
  printf '  run %d: render %.2f fps, ffmpeg grade-only %.2f fps, ratio %.2fx\n' "$run" "$rf" "$ff" "${ratios[-1]}"
done
printf '\nrender (full %s look): %.2f fps\n' "$LOOK" "$(printf '%s\n' "${render_fps[@]}" | median)"
printf 'ffmpeg (grade only):     %.2f fps\n' "$(printf '%s\n' "${ff_fps[@]}" | median)"
printf 'ratio: %.2fx (target >= 2x)\n' "$(printf '%s\n' "${ratios[@]}" | median)"
$PY - "$last_json" <<'PYEOF'
import json, sys
r = json.loads(sys.argv[1])
print(f"stage split (ms per frame, last run; stages overlap across threads): decode {r['decodeMsPerFrame']:.1f}, "
      f"passes {r['passesMsPerFrame']:.1f}, readback {r['readbackMsPerFrame']:.1f}, PNG {r['pngMsPerFrame']:.1f} "
      f"(analysis: none, synthetic timeline); renderer {r['renderer']}")
PYEOF
