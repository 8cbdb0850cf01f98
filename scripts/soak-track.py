#!/usr/bin/env python3
"""Writes an emotion track of FRAMES rows (empathy's track CSV, heart
columns included) for the soak: every category, valence/arousal and the
heart rate move through their ranges, and the beat phase follows the heart
rate, so particles burst on 1.2–1.8 beats a second for the whole length.
Everything repeats every PERIOD frames exactly, so chunks that start a
multiple of PERIOD apart see the same content: any difference in their cost
comes from the frame number, which is what the soak looks for.
Deterministic: the same arguments give the same bytes.

usage: soak-track.py FRAMES FPS OUT.csv
"""
import math
import os
import sys

CATEGORIES = ["neutral", "happiness", "sadness", "surprise", "fear", "anger", "disgust"]
AUS = ["au01_inner_brow_raise", "au02_outer_brow_raise", "au04_brow_lower", "au05_upper_lid_raise",
       "au06_07_lid_tighten", "au09_10_nose_wrinkle", "au12_lip_corner_pull", "au15_lip_corner_depress",
       "au20_lip_stretch", "au25_lips_part", "au26_jaw_drop", "au45_blink"]
PERIOD = 2500  # frames: 100 s at 25 fps
HEADER = (["frame", "time_s", "face_found", "face_id", "box_left", "box_top", "box_width", "box_height"]
          + AUS + ["cat_" + c for c in CATEGORIES]
          + ["valence", "arousal", "heart_rate_bpm", "rmssd_ms", "beat_phase", "fused_arousal", "micro_expression"])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    frames, fps, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    period = PERIOD / fps  # seconds
    with open(out + ".tmp", "w", newline="\n") as f:
        f.write(",".join(HEADER) + "\n")
        for n in range(frames):
            t = (n % PERIOD) / fps
            w = 2 * math.pi * t / period  # one turn per period; harmonics k·w repeat with it
            weights = [1.2 + math.sin((i % 3 + 1) * w + i) for i in range(len(CATEGORIES))]
            total = sum(weights)
            cats = [v / total for v in weights]
            aus = [0.5 + 0.5 * math.sin((i % 4 + 1) * w + 2 * i) for i in range(len(AUS))]
            # 90 ± 20 BPM: 150 whole beats per 100 s period, so the phase repeats too.
            bpm = 90 + 20 * math.sin(w)
            beats = (90 * t + 20 * period / (2 * math.pi) * (1 - math.cos(w))) / 60
            phase = beats % 1.0
            valence, arousal = math.sin(2 * w), 0.5 + 0.5 * math.sin(3 * w + 1)
            box = [20 + int(8 * math.sin(5 * w)), 10, 40, 40]
            row = ([str(n), "%.6f" % (n / fps), "1", "1"] + [str(v) for v in box]
                   + ["%.4f" % v for v in aus + cats + [valence, arousal, bpm, 35 + 10 * math.sin(w), phase,
                                                         min(1.0, arousal * 1.1)]] + [""])
            f.write(",".join(row) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
