#!/usr/bin/python3
"""Makes footage/expressions/astronaut-expressions.mp4: the public-domain NASA
portrait of astronaut Eileen Collins (footage/fetch-portrait.sh) warped, by
landmark-driven piecewise-affine warping, through known expressions:

    neutral -> smile -> neutral -> surprise -> neutral -> frown -> neutral

The portrait smiles with parted lips; every frame first takes it to a relaxed
face (REST: the lips closed over teeth painted in lip colour, the corners
level, the cheeks down), so "neutral" is that face at rest, "smile" returns to
the portrait's own smile and a little beyond, "surprise" raises the brows and
drops the jaw, and "frown" is sadness (inner brows drawn up and together,
lids drooping, lip corners down, chin raised).

and footage/expressions/astronaut-expressions.csv beside it with the intended
intensity (0..1) of each expression per frame.

How: the 68 dlib landmarks of the portrait (astronaut-landmarks.txt, found
with dlib's HOG detector and the 68-point model from libdlib-data) plus a
fixed ring around the face and the image border are triangulated once
(Delaunay on the neutral points). Each expression moves chosen landmarks by
displacements given in units of the inter-ocular distance (IOD, between the
eye centres), scaled by the frame's intensity; every output pixel inside a
moved triangle samples the neutral portrait through that triangle's affine
map (bilinear). An opened mouth (surprise) is darkened inside the inner-lip
polygon, as a real mouth cavity is.

Output: 480x480 (the 240x240 face crop at (102, 6), upscaled 2x), 24 fps,
120 frames, H.264 yuv420p, single-threaded bit-exact flags.

Needs /usr/bin/python3 with numpy and scipy (Debian python3-numpy,
python3-scipy), ffmpeg, and what fetch-portrait.sh needs.
Usage: footage/make-expressions.py [OUTPUT.mp4]
"""
import csv
import os
import subprocess
import sys

import numpy as np
from scipy.ndimage import map_coordinates
from scipy.spatial import Delaunay

HERE = os.path.dirname(os.path.abspath(__file__))
FPS = 24
CROP = "crop=240:240:102:6,scale=480:480:flags=lanczos"

# Displacements per landmark in IOD units, (along the eye line, downwards),
# at full intensity. Indices follow the iBUG 68-point layout: jaw 0-16,
# brows 17-21 / 22-26, nose 27-35, eyes 36-41 / 42-47, outer lips 48-59,
# inner lips 60-67. Image-left is the performer's right.
# The portrait smiles with parted lips (AU6+12+25). REST takes it to a relaxed
# face first — lips closed (the inner lips meet over the teeth), corners level
# and in, cheeks down — and every frame adds the expressions on top of it.
REST = {
    61: (0, 0.09), 62: (0, 0.085), 63: (0, 0.09), 65: (0, -0.085), 66: (0, -0.08), 67: (0, -0.085),
    49: (0.03, 0.06), 50: (0, 0.06), 51: (0, 0.05), 52: (0, 0.06), 53: (-0.03, 0.06),
    59: (0.04, -0.06), 58: (0, -0.08), 57: (0, -0.08), 56: (0, -0.08), 55: (-0.04, -0.06),
    48: (0.09, 0.15), 54: (-0.09, 0.14), 60: (0.08, 0.15), 64: (-0.08, 0.14),
    40: (0, 0.04), 41: (0, 0.04), 46: (0, 0.04), 47: (0, 0.04), 36: (0, 0.01), 45: (0, 0.01),
    2: (0.02, 0.02), 3: (0.03, 0.03), 13: (-0.03, 0.03), 14: (-0.02, 0.02),
}
# Displacements from REST at full intensity.
SMILE_EXTRA = {  # AU12 lip-corner pull (corners up and out) with AU6 cheek raise
    48: (-0.07, -0.06), 54: (0.07, -0.06), 60: (-0.06, -0.05), 64: (0.06, -0.05),
    49: (-0.03, -0.03), 53: (0.03, -0.03), 59: (-0.035, -0.025), 55: (0.035, -0.025),
    40: (0, -0.015), 41: (0, -0.015), 46: (0, -0.015), 47: (0, -0.015),
}
SMILE = {p: (SMILE_EXTRA.get(p, (0, 0))[0] - REST.get(p, (0, 0))[0], SMILE_EXTRA.get(p, (0, 0))[1] - REST.get(p, (0, 0))[1])
         for p in set(REST) | set(SMILE_EXTRA)}  # back to the portrait's own smile, and a little further
SURPRISE = {  # AU1+2 brows up, AU5 upper lids up, AU26/27 jaw drop
    **{i: (0, -0.20) for i in (17, 18, 19, 25, 26)},
    **{i: (0, -0.23) for i in (20, 21, 22, 23, 24)},
    37: (0, -0.05), 38: (0, -0.05), 43: (0, -0.05), 44: (0, -0.05),
    **{i: (0, 0.36) for i in (55, 56, 57, 58, 59)},
    **{i: (0, 0.38) for i in (65, 66, 67)},
    **{i: (0, 0.36) for i in (6, 7, 8, 9, 10)},
    5: (0, 0.25), 11: (0, 0.25), 4: (0, 0.12), 12: (0, 0.12),
    48: (0.03, 0.12), 54: (-0.03, 0.12), 60: (0.03, 0.12), 64: (-0.03, 0.12),
    61: (0, -0.02), 62: (0, -0.02), 63: (0, -0.02),
}
FROWN = {  # sadness: AU1 inner brows up, AU4 brows drawn together, AU15 lip corners down, AU17 chin up, lids drooping
    21: (0.06, -0.03), 22: (-0.06, -0.03), 20: (0.04, 0.01), 23: (-0.04, 0.01),
    19: (0.02, 0.05), 24: (-0.02, 0.05), 18: (0.01, 0.07), 25: (-0.01, 0.07), 17: (0, 0.06), 26: (0, 0.06),
    37: (0, 0.07), 38: (0, 0.07), 43: (0, 0.07), 44: (0, 0.07), 36: (0, 0.015), 45: (0, 0.015),
    48: (0.04, 0.26), 54: (-0.04, 0.26), 60: (0.04, 0.19), 64: (-0.04, 0.19),
    49: (0, 0.07), 53: (0, 0.07), 59: (0, 0.09), 55: (0, 0.09), 61: (0, 0.02), 63: (0, 0.02),
    57: (0, -0.05), 56: (0, -0.04), 58: (0, -0.04), 66: (0, -0.01), 8: (0, -0.03), 7: (0, -0.02), 9: (0, -0.02),
}
EXPRESSIONS = {"smile": SMILE, "surprise": SURPRISE, "frown": FROWN}

# (expression, frames): ramps are smoothstep 0 -> 1 or 1 -> 0.
TIMELINE = [("neutral", 12)]
for name in ("smile", "surprise", "frown"):
    TIMELINE += [(name + "+", 8), (name, 12), (name + "-", 8), ("neutral", 6 if name != "frown" else 12)]


def schedule():
    """Per frame: (label, {expression: intensity})."""
    frames = []
    for label, count in TIMELINE:
        for k in range(count):
            t = (k + 1) / count
            ease = t * t * (3 - 2 * t)
            base = label.rstrip("+-")
            weights = {name: 0.0 for name in EXPRESSIONS}
            if label.endswith("+"):
                weights[base] = ease
            elif label.endswith("-"):
                weights[base] = 1 - ease
            elif base != "neutral":
                weights[base] = 1.0
            frames.append((base, weights))
    return frames


def read_portrait(path):
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True).stdout
    side = int(round((len(raw) // 3) ** 0.5))
    return np.frombuffer(raw, np.uint8).reshape(side, side, 3).astype(np.float32)


def control_points(landmarks, size):
    """Landmarks, then a fixed ring (radius 1.9x the face's half-extent) and the image border."""
    centre = landmarks.mean(axis=0)
    radius = 1.9 * (landmarks.max(axis=0) - landmarks.min(axis=0)) / 2
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    ring = centre + np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius
    ring = np.clip(ring, 1, size - 2)
    edge = np.linspace(0, size - 1, 9)
    border = np.array([(x, 0) for x in edge] + [(x, size - 1) for x in edge]
                      + [(0, y) for y in edge[1:-1]] + [(size - 1, y) for y in edge[1:-1]])
    return np.concatenate([landmarks, ring, border])


def warp(image, source, target, triangles):
    """Piecewise-affine warp: each output pixel in target triangle t samples image at the
    same barycentric position in source triangle t."""
    h, w, _ = image.shape
    map_x = np.tile(np.arange(w, dtype=np.float64), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float64)[:, None], (1, w))
    for tri in triangles:
        dst = target[tri]
        src = source[tri]
        x0, y0 = np.floor(dst.min(axis=0)).astype(int)
        x1, y1 = np.ceil(dst.max(axis=0)).astype(int)
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, w - 1), min(y1, h - 1)
        if x1 < x0 or y1 < y0:
            continue
        gx, gy = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
        m = np.array([[dst[1, 0] - dst[0, 0], dst[2, 0] - dst[0, 0]],
                      [dst[1, 1] - dst[0, 1], dst[2, 1] - dst[0, 1]]])
        if abs(np.linalg.det(m)) < 1e-9:
            continue
        inv = np.linalg.inv(m)
        px, py = gx - dst[0, 0], gy - dst[0, 1]
        b1 = inv[0, 0] * px + inv[0, 1] * py
        b2 = inv[1, 0] * px + inv[1, 1] * py
        inside = (b1 >= -1e-6) & (b2 >= -1e-6) & (b1 + b2 <= 1 + 1e-6)
        sx = src[0, 0] + b1 * (src[1, 0] - src[0, 0]) + b2 * (src[2, 0] - src[0, 0])
        sy = src[0, 1] + b1 * (src[1, 1] - src[0, 1]) + b2 * (src[2, 1] - src[0, 1])
        map_x[gy[inside], gx[inside]] = sx[inside]
        map_y[gy[inside], gx[inside]] = sy[inside]
    out = np.empty_like(image)
    for c in range(3):
        out[..., c] = map_coordinates(image[..., c], [map_y, map_x], order=1, mode="nearest")
    return out


def polygon_mask(shape, polygon):
    """Pixels (centres) inside the polygon, even-odd rule."""
    gy, gx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    inside = np.zeros(shape, bool)
    n = len(polygon)
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        crosses = (ay > gy) != (by > gy)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = ax + (gy - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (gx < xcross)
    return inside


def closed_lips(image, landmarks):
    """The portrait with the teeth between its parted lips painted in lip colour
    (the mean of the lower lip, between the inner and outer contours), softened
    at the edge, so that lips brought together by REST show no teeth."""
    teeth = polygon_mask(image.shape[:2], landmarks[60:68])
    lower_lip = polygon_mask(image.shape[:2], np.concatenate([landmarks[54:60], landmarks[48:49], landmarks[[60, 67, 66, 65, 64]]]))
    colour = image[lower_lip & ~teeth].mean(axis=0)
    out = image.copy()
    out[teeth] = colour
    return out


def darken_mouth(image, inner_lips, amount):
    """Multiplies pixels inside the inner-lip polygon by (1 - amount)."""
    if amount <= 0:
        return image
    image[polygon_mask(image.shape[:2], inner_lips)] *= (1 - amount)
    return image


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "expressions", "astronaut-expressions.mp4")
    table = os.path.splitext(out)[0] + ".csv"
    portrait = subprocess.run([os.path.join(HERE, "fetch-portrait.sh")], check=True,
                              capture_output=True, text=True).stdout.strip()
    image = read_portrait(portrait)
    landmarks = np.loadtxt(os.path.join(HERE, "expressions", "astronaut-landmarks.txt"))
    assert landmarks.shape == (68, 2), "astronaut-landmarks.txt must hold 68 'x y' lines"
    iod = np.linalg.norm(landmarks[42:48].mean(axis=0) - landmarks[36:42].mean(axis=0))
    eye_line = landmarks[42:48].mean(axis=0) - landmarks[36:42].mean(axis=0)
    across = eye_line / np.linalg.norm(eye_line)
    down = np.array([-across[1], across[0]])
    rest_image = closed_lips(image, landmarks)
    source = control_points(landmarks, image.shape[0])
    triangles = Delaunay(source).simplices

    os.makedirs(os.path.dirname(out), exist_ok=True)
    partial = out + ".partial.mp4"
    encoder = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{image.shape[1]}x{image.shape[0]}", "-r", str(FPS),
         "-i", "-", "-filter_threads", "1", "-vf", CROP + ",format=yuv420p",
         "-c:v", "libx264", "-preset", "slow", "-crf", "16", "-threads", "1",
         "-flags:v", "+bitexact", "-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart",
         partial], stdin=subprocess.PIPE)
    rows = []
    try:
        for index, (label, weights) in enumerate(schedule()):
            target = source.copy()
            for point, (a, d) in REST.items():
                target[point] += iod * (a * across + d * down)
            for name, amount in weights.items():
                for point, (a, d) in EXPRESSIONS[name].items():
                    target[point] += amount * iod * (a * across + d * down)
            smile = weights["smile"]
            frame = warp(rest_image * (1 - smile) + image * smile, source, target, triangles)
            frame = darken_mouth(frame, target[60:68], 0.7 * weights["surprise"])
            encoder.stdin.write(np.clip(frame + 0.5, 0, 255).astype(np.uint8).tobytes())
            rows.append([index, f"{index / FPS:.6f}", label] + [f"{weights[n]:.4f}" for n in EXPRESSIONS])
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise SystemExit("ffmpeg failed to encode the expression clip")
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    with open(table + ".partial", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["frame", "time_s", "expression"] + list(EXPRESSIONS))
        w.writerows(rows)
    os.replace(table + ".partial", table)
    print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(rows)} frames) and {table}")


if __name__ == "__main__":
    main()
