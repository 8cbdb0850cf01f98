#!/usr/bin/env python3
"""Float reference for 3D LUTs, for the grading benchmark.

Applies a .cube file to 8-bit RGB frames with tetrahedral interpolation in
float64 (the same split of the cube into six tetrahedra as ffmpeg's lut3d,
OpenColorIO and Empathy Engine), then rounds to the nearest code value, and
reports how far a tool's frames are from that reference.

usage: lutref.py LUT.cube WIDTH HEIGHT INPUT.rgb OUTPUT.rgb
  INPUT.rgb / OUTPUT.rgb: raw rgb24 frames (the same frames, same order).
  Prints one JSON object: max and 99.9th-percentile absolute difference.
"""
import json
import sys

import numpy as np


def read_cube(path):
    size, dmin, dmax, rows = None, np.zeros(3), np.ones(3), []
    with open(path, encoding="utf-8-sig") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            head = line.split()[0].upper()
            if head == "LUT_3D_SIZE":
                size = int(line.split()[1])
            elif head == "DOMAIN_MIN":
                dmin = np.array([float(v) for v in line.split()[1:4]])
            elif head == "DOMAIN_MAX":
                dmax = np.array([float(v) for v in line.split()[1:4]])
            elif head == "LUT_3D_INPUT_RANGE":
                lo, hi = (float(v) for v in line.split()[1:3])
                dmin, dmax = np.full(3, lo), np.full(3, hi)
            elif head[0].isdigit() or head[0] in "-.":
                rows.append([float(v) for v in line.split()])
            elif head in ("TITLE", "LUT_1D_SIZE", "LUT_1D_INPUT_RANGE"):
                if head == "LUT_1D_SIZE":
                    raise SystemExit("lutref.py handles 3D-only files")
    table = np.array(rows, dtype=np.float64).reshape(size, size, size, 3)  # [b][g][r]
    return table, dmin, dmax


def apply_tetrahedral(rgb8, table, dmin, dmax):
    n = table.shape[0]
    x = rgb8.reshape(-1, 3).astype(np.float64) / 255.0
    p = np.clip((x - dmin) / (dmax - dmin), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(p).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    d = p - i0
    dr, dg, db = d[:, 0:1], d[:, 1:2], d[:, 2:3]

    def c(r, g, b):
        return table[b, g, r]

    r0, g0, b0 = i0[:, 0], i0[:, 1], i0[:, 2]
    r1, g1, b1 = i1[:, 0], i1[:, 1], i1[:, 2]
    c000, c111 = c(r0, g0, b0), c(r1, g1, b1)
    c100, c010, c001 = c(r1, g0, b0), c(r0, g1, b0), c(r0, g0, b1)
    c110, c101, c011 = c(r1, g1, b0), c(r1, g0, b1), c(r0, g1, b1)
    out = np.empty_like(x)
    cases = [
        ((dr > dg) & (dg > db), lambda: (1 - dr) * c000 + (dr - dg) * c100 + (dg - db) * c110 + db * c111),
        ((dr > dg) & ~(dg > db) & (dr > db), lambda: (1 - dr) * c000 + (dr - db) * c100 + (db - dg) * c101 + dg * c111),
        ((dr > dg) & ~(dg > db) & ~(dr > db), lambda: (1 - db) * c000 + (db - dr) * c001 + (dr - dg) * c101 + dg * c111),
        (~(dr > dg) & (db > dg), lambda: (1 - db) * c000 + (db - dg) * c001 + (dg - dr) * c011 + dr * c111),
        (~(dr > dg) & ~(db > dg) & (db > dr), lambda: (1 - dg) * c000 + (dg - db) * c010 + (db - dr) * c011 + dr * c111),
        (~(dr > dg) & ~(db > dg) & ~(db > dr), lambda: (1 - dg) * c000 + (dg - dr) * c010 + (dr - db) * c110 + db * c111),
    ]
    for mask, value in cases:
        m = mask[:, 0]
        out[m] = value()[m]
    return np.clip(np.floor(out * 255.0 + 0.5), 0, 255).astype(np.uint8).reshape(rgb8.shape)


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    lut, width, height, src, dst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    table, dmin, dmax = read_cube(lut)
    frame = width * height * 3
    a = np.fromfile(src, dtype=np.uint8)
    b = np.fromfile(dst, dtype=np.uint8)
    if a.size != b.size or a.size % frame:
        raise SystemExit(f"lutref.py: {src} and {dst} hold {a.size} and {b.size} bytes; expected equal multiples of {frame}")
    worst, diffs = 0, []
    for k in range(a.size // frame):
        ref = apply_tetrahedral(a[k * frame:(k + 1) * frame].reshape(height, width, 3), table, dmin, dmax)
        diff = np.abs(ref.astype(np.int16) - b[k * frame:(k + 1) * frame].reshape(height, width, 3).astype(np.int16))
        worst = max(worst, int(diff.max()))
        diffs.append(diff.reshape(-1))
    alld = np.concatenate(diffs)
    print(json.dumps({"frames": a.size // frame, "max": worst,
                      "p999": float(np.percentile(alld, 99.9)),
                      "within1": float(np.mean(alld <= 1))}))


if __name__ == "__main__":
    main()
