#!/usr/bin/env python3
"""Install-time check of the expression ONNX file.

    check_onnx.py MODEL.onnx INPUT.f32 N REFERENCE.txt

1. onnx.checker (full check, with shape inference) accepts the file.
2. The contract holds: one input `input` float32 [1,1,64,64], one output
   `scores` float32 [1,7], opset 11, every Conv has kernel_shape (OpenCV 4.6
   refuses a Conv without it), metadata_props `labels` (fer's order), `source`,
   `preprocessing`.
3. The graph, evaluated node by node with numpy (NCHW, ONNX semantics), gives
   the probabilities in REFERENCE.txt (expression_reference.py's output for the
   same N inputs) within 1e-5.

onnx 1.12 (Debian bookworm) has no onnx.reference evaluator, hence the small
interpreter below; it knows only the ops this network uses.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

LABELS = "angry,disgust,fear,happy,sad,surprise,neutral"
TOL = 1e-5


def die(msg):
    print(f"check_onnx: {msg}", file=sys.stderr)
    sys.exit(1)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    t, l, bo, r = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    oh = (xp.shape[2] - ((kh - 1) * dh + 1)) // sh + 1
    ow = (xp.shape[3] - ((kw - 1) * dw + 1)) // sw + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // g
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        ws = w[gi * mg:(gi + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
                out[:, gi * mg:(gi + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    t, l, bo, r = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)), constant_values=-np.inf)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    out = np.full((x.shape[0], x.shape[1], oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, xp[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw])
    return out


def run(model, x):
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    env["input"] = x
    for node in model.graph.node:
        a = attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "BatchNormalization":
            xx, s, b, mean, var = ins
            sh = (1, -1, 1, 1)
            y = (xx - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + a.get("epsilon", 1e-5)) \
                * s.reshape(sh) + b.reshape(sh)
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "MaxPool":
            y = maxpool(ins[0], a)
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "Softmax":
            e = np.exp(ins[0] - ins[0].max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        else:
            die(f"op {op} (node {node.name}) is not one this check knows")
        env[node.output[0]] = y
    return env["scores"]


def dims(vi):
    return [d.dim_value for d in vi.type.tensor_type.shape.dim]


def main(argv):
    if len(argv) != 5:
        die("usage: check_onnx.py MODEL.onnx INPUT.f32 N REFERENCE.txt")
    path, inp, n, ref = argv[1], argv[2], int(argv[3]), argv[4]
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # onnx raises ValidationError / InferenceError
        die(f"{path} is not a well-formed ONNX model: {str(e).splitlines()[0]}")
    g = model.graph
    if [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] != [11]:
        die(f"{path}: expected opset 11")
    if [i.name for i in g.input] != ["input"] or dims(g.input[0]) != [1, 1, 64, 64] \
            or g.input[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        die(f"{path}: input must be `input` float32 [1,1,64,64]")
    if [o.name for o in g.output] != ["scores"] or dims(g.output[0]) != [1, 7] \
            or g.output[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        die(f"{path}: output must be `scores` float32 [1,7]")
    for node in g.node:
        if node.op_type == "Conv" and "kernel_shape" not in attrs(node):
            die(f"{path}: Conv {node.name} has no kernel_shape (OpenCV 4.6 refuses it)")
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("labels") != LABELS:
        die(f"{path}: labels metadata is {meta.get('labels')!r}, expected {LABELS!r}")
    for key in ("source", "preprocessing"):
        if not meta.get(key):
            die(f"{path}: metadata `{key}` missing")

    data = np.fromfile(inp, dtype="<f4")
    if data.size != n * 4096:
        die(f"{inp} holds {data.size} floats, expected {n * 4096}")
    expected = np.loadtxt(ref, ndmin=2)
    if expected.shape != (n, 7):
        die(f"{ref} has shape {expected.shape}, expected ({n}, 7)")
    got = np.stack([run(model, data[i * 4096:(i + 1) * 4096].reshape(1, 1, 64, 64)
                        .astype(np.float64))[0] for i in range(n)])
    worst = float(np.abs(got - expected).max())
    if not np.isfinite(worst) or worst > TOL:
        die(f"{path}: graph output differs from the numpy reference by {worst:.3g} (> {TOL})")
    print(f"check_onnx: {path} ok (opset 11, {len(g.node)} nodes; worst difference from the "
          f"reference over {n} inputs {worst:.2g})", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
