#!/usr/bin/env python3
"""Independent numpy forward pass of fer's Keras mini-Xception, straight from the HDF5.

    expression_reference.py HDF5 INPUT.f32 N
        INPUT.f32 holds N x 64 x 64 float32 little-endian values (grey faces,
        row-major, already scaled to [-1, 1]). Prints N lines of 7
        space-separated probabilities (%.8f) in fer's label order:
        angry disgust fear happy sad surprise neutral.

    expression_reference.py --write-test-inputs OUT.f32 N
        Writes N deterministic pseudo-random 64x64 inputs in [-1, 1]
        (see test_inputs() for the exact generator, easy to repeat in C++/Swift).

This does not read or import ONNX: it follows Keras semantics directly (NHWC,
TF "same" padding, inference-mode BatchNormalization with the HDF5's epsilon)
in float64, so it checks the ONNX conversion rather than repeating it.
"""
import json
import sys

import h5py
import numpy as np


def die(msg):
    print(f"expression_reference: {msg}", file=sys.stderr)
    sys.exit(1)


def test_inputs(n):
    """N deterministic 64x64 inputs in [-1, 1]: a smooth per-sample pattern plus
    xorshift32 noise. Value (s, y, x) with i = y*64 + x:
        state starts at 2463534242 + 7919*s (mod 2^32) and is advanced once per
        pixel by xorshift32 (x ^= x<<13; x ^= x>>17; x ^= x<<5, all mod 2^32);
        noise = state / 2^32 * 2 - 1
        smooth = sin(0.11*(s+1)*x + 0.07*y) * cos(0.05*x - 0.13*(s+1)*y)
        value = float32(0.6*smooth + 0.4*noise)
    """
    out = np.empty((n, 64, 64), np.float32)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float64)
    for s in range(n):
        st = (2463534242 + 7919 * s) & 0xFFFFFFFF
        noise = np.empty(4096, np.float64)
        for i in range(4096):
            st ^= (st << 13) & 0xFFFFFFFF
            st ^= st >> 17
            st ^= (st << 5) & 0xFFFFFFFF
            noise[i] = st / 4294967296.0 * 2.0 - 1.0
        smooth = np.sin(0.11 * (s + 1) * xx + 0.07 * yy) * np.cos(0.05 * xx - 0.13 * (s + 1) * yy)
        out[s] = (0.6 * smooth + 0.4 * noise.reshape(64, 64)).astype(np.float32)
    return out


def same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def pad_input(x, k, s, padding, value=0.0):
    """x: N,H,W,C. Returns the padded array for a window k with stride s."""
    if padding == "valid":
        return x
    if padding != "same":
        die(f"padding {padding} unsupported")
    t, b = same_pad(x.shape[1], k[0], s[0])
    l, r = same_pad(x.shape[2], k[1], s[1])
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def windows(x, k, s):
    """x: N,H,W,C (already padded) -> N,OH,OW,kh,kw,C view of every window."""
    n, h, w, c = x.shape
    oh = (h - k[0]) // s[0] + 1
    ow = (w - k[1]) // s[1] + 1
    sn, sh, sw, sc = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, oh, ow, k[0], k[1], c), (sn, sh * s[0], sw * s[1], sh, sw, sc), writeable=False)


def conv2d(x, kern, s, padding):
    """Keras Conv2D: kern kh,kw,cin,cout."""
    k = kern.shape[:2]
    win = windows(pad_input(x, k, s, padding), k, s)
    return np.tensordot(win, kern, axes=([3, 4, 5], [0, 1, 2]))


def depthwise(x, dk, s, padding):
    """Keras depthwise part of SeparableConv2D: dk kh,kw,cin,dm -> channel c*dm+m."""
    k = dk.shape[:2]
    win = windows(pad_input(x, k, s, padding), k, s)
    y = np.einsum("nhwijc,ijcm->nhwcm", win, dk)
    return y.reshape(y.shape[0], y.shape[1], y.shape[2], -1)


def maxpool(x, k, s, padding):
    win = windows(pad_input(x, k, s, padding, value=-np.inf), k, s)
    return win.max(axis=(3, 4))


def weights(f, name):
    g = f["model_weights"][name]
    out = {}
    for wn in g.attrs.get("weight_names", []):
        wn = wn.decode() if isinstance(wn, bytes) else wn
        out[wn.split("/")[-1].split(":")[0]] = np.asarray(g[wn], dtype=np.float64)
    return out


def forward(hdf5_path, faces):
    """faces: N,64,64 float32 -> N,7 float64 probabilities."""
    with h5py.File(hdf5_path, "r") as f:
        raw = f.attrs["model_config"]
        cfg = json.loads(raw.decode() if isinstance(raw, bytes) else raw)["config"]
        acts = {}
        for layer in cfg["layers"]:
            cls, name, c = layer["class_name"], layer["name"], layer["config"]
            src = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if cls == "InputLayer":
                acts[name] = faces.astype(np.float64)[..., None]
                continue
            x = acts[src[0]]
            if cls == "Conv2D":
                w = weights(f, name)
                y = conv2d(x, w["kernel"], c["strides"], c["padding"])
                if c["use_bias"]:
                    y = y + w["bias"]
            elif cls == "SeparableConv2D":
                w = weights(f, name)
                y = depthwise(x, w["depthwise_kernel"], c["strides"], c["padding"])
                y = np.tensordot(y, w["pointwise_kernel"][0, 0], axes=([3], [0]))
                if c["use_bias"]:
                    y = y + w["bias"]
            elif cls == "BatchNormalization":
                w = weights(f, name)
                gamma = w["gamma"] if c.get("scale", True) else 1.0
                beta = w["beta"] if c.get("center", True) else 0.0
                y = (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + c["epsilon"]) * gamma + beta
            elif cls == "Activation":
                y = x
            elif cls == "MaxPooling2D":
                y = maxpool(x, c["pool_size"], c["strides"] or c["pool_size"], c["padding"])
            elif cls == "Add":
                y = sum(acts[i] for i in src)
            elif cls == "GlobalAveragePooling2D":
                y = x.mean(axis=(1, 2))
            else:
                die(f"layer type {cls} unsupported")
            act = c.get("activation", "linear")
            if act == "relu":
                y = np.maximum(y, 0.0)
            elif act == "softmax":
                e = np.exp(y - y.max(axis=-1, keepdims=True))
                y = e / e.sum(axis=-1, keepdims=True)
            elif act != "linear":
                die(f"activation {act} unsupported")
            acts[name] = y
        return acts[cfg["output_layers"][0][0]]


def main(argv):
    if len(argv) == 4 and argv[1] == "--write-test-inputs":
        n = int(argv[3])
        test_inputs(n).astype("<f4").tofile(argv[2])
        return
    if len(argv) != 4:
        die("usage: expression_reference.py HDF5 INPUT.f32 N | --write-test-inputs OUT.f32 N")
    n = int(argv[3])
    data = np.fromfile(argv[2], dtype="<f4")
    if data.size != n * 64 * 64:
        die(f"{argv[2]} holds {data.size} floats, expected {n}x64x64 = {n * 4096}")
    probs = forward(argv[1], data.reshape(n, 64, 64))
    out = sys.stdout
    for row in probs:
        out.write(" ".join(f"{p:.8f}" for p in row) + "\n")


if __name__ == "__main__":
    main(sys.argv)
