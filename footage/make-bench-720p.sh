#!/bin/sh
# Makes footage/bench/astronaut-720p.mp4 (the benchmark clip scaled to
# 1280x720, 24 fps) from footage/bench/astronaut-1080p.mp4, making that first
# when it is missing (footage/make-bench.sh). Skips the work when the clip is
# already there. Used by the analysis and live benchmarks.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/bench/astronaut-720p.mp4"
[ -s "$out" ] && exit 0
"$here/make-bench.sh" >/dev/null
tmp="$here/bench/astronaut-720p.partial.mp4"
trap 'rm -f "$tmp"' EXIT
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$here/bench/astronaut-1080p.mp4" \
    -vf scale=1280:720:flags=lanczos -c:v libx264 -preset fast -crf 18 -pix_fmt yuv420p "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -c < "$out") bytes)"
