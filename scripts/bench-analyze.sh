#!/bin/sh
# Prints face-analysis speed (detect + track + landmarks + scores) at 720p
# and 1080p on the benchmark clip (footage/bench/, made on first use from the
# public-domain NASA portrait by footage/make-bench.sh; the 720p clip is the
# 1080p one scaled down with ffmpeg).
#
# Each clip is analysed RUNS times (default 3) by the release build; the
# best run is reported, with the split: analysis alone (main thread),
# decoding (its own thread, overlapped), and overall (frames / wall time of
# the frame loop, i.e. what 'empathy analyze' sustains). The machine's load
# average is printed first: other work on the machine lowers the numbers.
#
# Both detectors are timed: hog (the default) and cascade (OpenCV's LBP
# cascade, new faces confirmed by HOG on small crops).
#
# Usage: scripts/bench-analyze.sh            (RUNS=5 scripts/bench-analyze.sh)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-3}

swift build -c release --product empathy >/dev/null 2>&1 || swift build -c release --product empathy
bin=.build/release/empathy
footage/make-bench.sh >/dev/null
if [ ! -s footage/bench/astronaut-720p.mp4 ]; then
    ffmpeg -nostdin -hide_banner -loglevel error -y -i footage/bench/astronaut-1080p.mp4 \
        -vf scale=1280:720:flags=lanczos -c:v libx264 -preset fast -crf 18 -pix_fmt yuv420p \
        footage/bench/astronaut-720p.partial.mp4
    mv footage/bench/astronaut-720p.partial.mp4 footage/bench/astronaut-720p.mp4
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) core(s)"
for detector in hog cascade; do
    for size in 720p 1080p; do
        best=""
        bestOverall=0
        i=0
        while [ "$i" -lt "$runs" ]; do
            line=$("$bin" analyze "footage/bench/astronaut-$size.mp4" --out "$work/track.csv" --quiet \
                --detector "$detector" | grep '^speed:')
            overall=$(echo "$line" | sed 's/.*overall \([0-9.]*\) fps.*/\1/')
            if [ "$(echo "$overall > $bestOverall" | bc)" -eq 1 ]; then
                bestOverall=$overall
                best=$line
            fi
            i=$((i + 1))
        done
        echo "$size $detector (best of $runs): ${best#speed: }"
    done
done
