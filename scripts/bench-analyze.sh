#!/bin/sh
# Prints face-analysis speed (detect + track + landmarks + appearance model +
# scores) at 720p and 1080p on the benchmark clip (footage/bench/, made on
# first use from the public-domain NASA portrait by footage/make-bench.sh; the
# 720p clip is the 1080p one scaled down with ffmpeg).
#
# Each clip is analysed RUNS times (default 3) by the release build with the
# appearance model and, alternating, without it (--expression-model none: the
# peer, same input, same run); the median run of each is reported with the
# split: analysis alone (main thread), decoding (its own thread, overlapped),
# overall (frames / wall time of the frame loop, i.e. what 'empathy analyze'
# sustains), the per-stage cost (decode, detect, landmarks, model, scores) and
# the ratio of the medians. The machine's load average is printed first:
# other work on the machine lowers the numbers.
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
footage/make-bench-720p.sh >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) core(s)"
# median FILE: the middle line of FILE's lines sorted by their first number.
median() { sort -n "$1" | awk '{ line[NR] = $0 } END { print line[int((NR + 1) / 2)] }'; }
for detector in hog cascade; do
    for size in 720p 1080p; do
        : > "$work/with"; : > "$work/without"
        i=0
        while [ "$i" -lt "$runs" ]; do
            for model in default none; do
                out=$("$bin" analyze "footage/bench/astronaut-$size.mp4" --out "$work/track.csv" --quiet \
                    --detector "$detector" --expression-model "$model")
                speed=$(echo "$out" | grep '^speed:')
                stages=$(echo "$out" | grep '^stages')
                overall=$(echo "$speed" | sed 's/.*overall \([0-9.]*\) fps.*/\1/')
                file="$work/with"; [ "$model" = none ] && file="$work/without"
                echo "$overall | ${speed#speed: } | ${stages#stages }" >> "$file"
            done
            i=$((i + 1))
        done
        with=$(median "$work/with"); without=$(median "$work/without")
        echo "$size $detector, model (median of $runs): $(echo "$with" | cut -d'|' -f2)"
        echo "    $(echo "$with" | cut -d'|' -f3)"
        echo "$size $detector, no model (median of $runs): $(echo "$without" | cut -d'|' -f2)"
        echo "    model/no-model overall fps: $(echo "scale=2; $(echo "$with" | cut -d' ' -f1) / $(echo "$without" | cut -d' ' -f1)" | bc)"
    done
done
