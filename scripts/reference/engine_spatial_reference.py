#!/usr/bin/env python3
"""Reference values for the Engine's spatial ops (conv, conv-transpose, pooling, upsample, norms).

Run with PyTorch (2.x) and numpy installed:
    python scripts/reference/engine_spatial_reference.py
Writes Tests/EngineTests/Fixtures/spatial_reference.json, read by Tests/EngineTests/SpatialReferenceTests.swift.
Every case holds its inputs, the op parameters, the forward output, a fixed random upstream gradient `gout`
and the input gradients of sum(out * gout). Fixed seed; tiny shapes.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)  # compute in double, store rounded; Swift compares at ~1e-4

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "spatial_reference.json")


def enc(t):
    t = t.detach().to(torch.float32)
    return {"shape": list(t.shape), "data": [float("%.7g" % v) for v in t.reshape(-1).tolist()]}


def rnd(*shape):
    # float32-representable values so Swift sees exactly the same inputs
    return torch.randn(*shape).to(torch.float32).to(torch.float64)


cases = []


def run(name, op, params, inputs, fn, extra=None):
    """inputs: dict name -> tensor (leaf). fn(inputs) -> output, or (output, {name: extra tensor to store}).
    Records grads of all inputs that require grad."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(leaves)
    if isinstance(out, tuple):  # (output, extra tensors to store), e.g. max-pool indices
        out, more = out
        extra = dict(extra or {}, **more)
    gout = rnd(*out.shape)
    (out * gout).sum().backward()
    tensors = {k: enc(v) for k, v in inputs.items()}
    tensors["out"] = enc(out)
    tensors["gout"] = enc(gout)
    for k, v in leaves.items():
        tensors["grad_" + k] = enc(v.grad if v.grad is not None else torch.zeros_like(v))
    if extra:
        tensors.update({k: enc(v) for k, v in extra.items()})
    cases.append({"name": name, "op": op, "params": params, "tensors": tensors})


# ---- convolution
def conv_case(name, xs, ws, bias, stride, padding, dilation):
    x, w = rnd(*xs), rnd(*ws)
    inputs = {"x": x, "weight": w}
    if bias:
        inputs["bias"] = rnd(ws[0])
    f = F.conv2d if len(xs) == 4 else F.conv3d
    run(name, "conv", {"stride": stride, "padding": padding, "dilation": dilation}, inputs,
        lambda t: f(t["x"], t["weight"], t.get("bias"), stride=stride, padding=padding, dilation=dilation))


conv_case("conv2d_basic", [2, 3, 6, 5], [4, 3, 3, 3], True, [1, 1], [1, 1], [1, 1])
conv_case("conv2d_stride_dil", [1, 2, 9, 8], [3, 2, 3, 2], True, [2, 1], [1, 2], [2, 2])
conv_case("conv2d_pointwise", [2, 3, 4, 5], [2, 3, 1, 1], True, [1, 1], [0, 0], [1, 1])
conv_case("conv3d_basic", [1, 2, 5, 6, 4], [3, 2, 3, 3, 3], True, [1, 1, 1], [1, 1, 1], [1, 1, 1])
conv_case("conv3d_stride_dil_nobias", [2, 2, 7, 6, 7], [2, 2, 3, 2, 3], False, [2, 1, 2], [1, 0, 2], [2, 1, 1])


def convt_case(name, xs, ws, bias, stride, padding, output_padding, dilation):
    x, w = rnd(*xs), rnd(*ws)
    inputs = {"x": x, "weight": w}
    if bias:
        inputs["bias"] = rnd(ws[1])
    f = F.conv_transpose2d if len(xs) == 4 else F.conv_transpose3d
    run(name, "conv_transpose",
        {"stride": stride, "padding": padding, "output_padding": output_padding, "dilation": dilation}, inputs,
        lambda t: f(t["x"], t["weight"], t.get("bias"), stride=stride, padding=padding,
                    output_padding=output_padding, dilation=dilation))


convt_case("convT2d_s2", [2, 3, 4, 3], [3, 2, 2, 2], True, [2, 2], [0, 0], [0, 0], [1, 1])
convt_case("convT2d_pad_outpad", [1, 2, 4, 5], [2, 3, 3, 3], True, [2, 2], [1, 1], [1, 0], [1, 1])
convt_case("convT3d_dil", [1, 2, 3, 4, 3], [2, 2, 2, 3, 3], False, [2, 1, 2], [0, 1, 1], [1, 0, 0], [1, 2, 1])
convt_case("convT3d_s2", [2, 3, 2, 3, 2], [3, 2, 2, 2, 2], True, [2, 2, 2], [0, 0, 0], [0, 0, 0], [1, 1, 1])
# output padding >= stride, allowed because it is < dilation
convt_case("convT2d_outpad_dil", [1, 2, 3, 4], [2, 2, 3, 2], True, [1, 2], [1, 0], [1, 1], [2, 1])


# ---- pooling
def pool_case(name, kind, xs, kernel, stride, padding):
    x = rnd(*xs)
    if kind == "max_pool":
        f = F.max_pool2d if len(xs) == 4 else F.max_pool3d
    else:
        f = F.avg_pool2d if len(xs) == 4 else F.avg_pool3d
    run(name, kind, {"kernel": kernel, "stride": stride, "padding": padding}, {"x": x},
        lambda t: f(t["x"], kernel, stride=stride, padding=padding))


pool_case("maxpool2d_k2", "max_pool", [2, 2, 6, 5], [2, 2], [2, 2], [0, 0])
pool_case("maxpool2d_k3_s2_p1", "max_pool", [1, 3, 7, 6], [3, 3], [2, 2], [1, 1])
pool_case("maxpool3d_k2", "max_pool", [1, 2, 4, 6, 5], [2, 2, 2], [2, 2, 2], [0, 0, 0])
pool_case("avgpool2d_k3_s2_p1", "avg_pool", [2, 2, 7, 6], [3, 3], [2, 2], [1, 1])
pool_case("avgpool3d_mixed", "avg_pool", [1, 2, 5, 4, 6], [2, 2, 3], [2, 1, 2], [1, 0, 1])


# ---- upsample
def up_case(name, xs, scale, mode):
    x = rnd(*xs)
    tmode = mode if mode == "nearest" else ("bilinear" if len(xs) == 4 else "trilinear")
    kw = {} if mode == "nearest" else {"align_corners": False}
    run(name, "upsample", {"scale": scale, "mode": mode}, {"x": x},
        lambda t: F.interpolate(t["x"], scale_factor=tuple(float(s) for s in scale), mode=tmode, **kw))


up_case("up2d_nearest", [2, 2, 3, 4], [2, 2], "nearest")
up_case("up3d_nearest_mixed", [1, 2, 2, 3, 2], [1, 2, 3], "nearest")
up_case("up2d_bilinear", [1, 2, 3, 4], [2, 3], "linear")
up_case("up3d_trilinear", [1, 2, 3, 2, 4], [2, 2, 2], "linear")


# ---- normalization
def bn_case(name, xs, affine, training):
    c = xs[1]
    x = rnd(*xs) * 2 + 0.5
    inputs = {"x": x}
    if affine:
        inputs["weight"] = rnd(c)
        inputs["bias"] = rnd(c)
    rm0, rv0 = rnd(c) * 0.1, torch.rand(c).to(torch.float32).to(torch.float64) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    run(name, "batch_norm", {"training": training, "momentum": 0.1, "eps": 1e-5}, inputs,
        lambda t: F.batch_norm(t["x"], rm, rv, t.get("weight"), t.get("bias"), training=training, momentum=0.1, eps=1e-5),
        extra={"running_mean": rm0, "running_var": rv0, "running_mean_after": rm, "running_var_after": rv})


bn_case("bn2d_train_affine", [3, 4, 3, 5], True, True)
bn_case("bn3d_train_plain", [2, 3, 2, 3, 4], False, True)
bn_case("bn2d_eval_affine", [2, 3, 4, 4], True, False)


def in_case(name, xs, affine):
    c = xs[1]
    inputs = {"x": rnd(*xs) * 1.5 - 0.3}
    if affine:
        inputs["weight"], inputs["bias"] = rnd(c), rnd(c)
    run(name, "instance_norm", {"eps": 1e-5}, inputs,
        lambda t: F.instance_norm(t["x"], weight=t.get("weight"), bias=t.get("bias"), eps=1e-5))


in_case("in2d_affine", [2, 3, 4, 5], True)
in_case("in3d_plain", [2, 2, 3, 4, 3], False)


def gn_case(name, xs, groups, affine):
    c = xs[1]
    inputs = {"x": rnd(*xs) * 1.2 + 0.2}
    if affine:
        inputs["weight"], inputs["bias"] = rnd(c), rnd(c)
    run(name, "group_norm", {"groups": groups, "eps": 1e-5}, inputs,
        lambda t: F.group_norm(t["x"], groups, t.get("weight"), t.get("bias"), eps=1e-5))


gn_case("gn2d_affine", [2, 6, 3, 4], 3, True)
gn_case("gn3d_plain", [2, 4, 2, 3, 3], 2, False)

if __name__ == "__main__":  # zoo_ops_reference.py imports enc / rnd / run
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/reference/engine_spatial_reference.py", "torch": torch.__version__, "cases": cases},
                  f, separators=(",", ":"))
    print("wrote %d cases, %d bytes to %s" % (len(cases), os.path.getsize(OUT), OUT))
