#!/bin/sh
# Makes footage/demo/astronaut.mp4, the small demo clip committed with the
# project: the public-domain NASA portrait of astronaut Eileen Collins (as
# shipped in scikit-image's data folder), with a slow push-in and drift.
#
# The portrait is taken from Debian's python3-skimage package without
# installing it: `apt-get download` fetches the .deb into a temporary folder
# and `dpkg-deb -x` unpacks it there. Needs apt-get, dpkg-deb and ffmpeg.
#
# Output: 640x360, 24 fps, 96 frames (4 s), H.264 yuv420p, moov atom first
# (+faststart). Single-threaded, bit-exact flags so a rerun on the same
# ffmpeg/x264 build gives the same bytes.
#
# Usage: footage/make-demo.sh [output.mp4]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/demo/astronaut.mp4"}

portrait=$("$here/fetch-portrait.sh")

# The 512x512 portrait is cropped to its top 512x288 (16:9, face in frame),
# upscaled 5x so zoompan's whole-pixel window steps are invisible after the
# final downscale, then pushed in from 1.00x to 1.25x while the centre drifts
# towards the face (up and left).
filter="crop=512:288:0:0,scale=2560:1440:flags=lanczos,\
zoompan=z='1+0.25*on/95':\
x='max(0,(1280-200*on/95)-iw/zoom/2)':\
y='max(0,(720-100*on/95)-ih/zoom/2)':\
d=1:s=1280x720:fps=24,\
scale=640:360:flags=lanczos,format=yuv420p"

mkdir -p "$(dirname "$out")"
tmp="$out.partial.mp4"
trap 'rm -f "$tmp"' EXIT
ffmpeg -nostdin -hide_banner -loglevel error -y \
    -loop 1 -framerate 24 -i "$portrait" \
    -filter_threads 1 -filter_complex_threads 1 -vf "$filter" \
    -frames:v 96 -r 24 \
    -c:v libx264 -preset slow -crf 20 -pix_fmt yuv420p -threads 1 \
    -flags:v +bitexact -fflags +bitexact -map_metadata -1 \
    -movflags +faststart \
    "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -c < "$out") bytes)"
