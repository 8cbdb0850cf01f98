#!/bin/sh
# Makes footage/bench/astronaut-1080p.mp4, the benchmark clip (not committed;
# footage/bench/ is ignored by git): the same NASA portrait and camera move as
# the demo clip, at 1920x1080, 24 fps, 120 frames (5 s), with light temporal
# film grain so frames compress like real footage (a clean still would make
# PNG encoding look unrealistically cheap). Skips the work when the clip is
# already there.
#
# Usage: footage/make-bench.sh [output.mp4]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/bench/astronaut-1080p.mp4"}

if [ -s "$out" ]; then
    echo "$out already exists; delete it to regenerate"
    exit 0
fi

portrait=$("$here/fetch-portrait.sh")

# Same move as make-demo.sh over 120 frames, in a 2x larger work space
# (5120x2880), then grain: noise strength 10 of 100 on all planes, varying
# per frame (t) and uniform (u), which reads as fine film grain at 1080p.
filter="crop=512:288:0:0,scale=5120:2880:flags=lanczos,\
zoompan=z='1+0.25*on/119':\
x='max(0,(2560-400*on/119)-iw/zoom/2)':\
y='max(0,(1440-200*on/119)-ih/zoom/2)':\
d=1:s=1920x1080:fps=24,\
noise=alls=10:allf=t+u,format=yuv420p"

mkdir -p "$(dirname "$out")"
tmp="$out.partial.mp4"
trap 'rm -f "$tmp"' EXIT
ffmpeg -nostdin -hide_banner -loglevel error -y \
    -loop 1 -framerate 24 -i "$portrait" \
    -vf "$filter" -frames:v 120 -r 24 \
    -c:v libx264 -preset fast -crf 20 -pix_fmt yuv420p \
    -map_metadata -1 -movflags +faststart \
    "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -c < "$out") bytes)"
