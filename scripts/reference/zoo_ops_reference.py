#!/usr/bin/env python3
"""Reference values for the Engine ops the network zoo needs (issue #14): max-pool with indices, max-unpool by
indices, global average pooling, resize to a size (nearest, bilinear / trilinear with align_corners=False).

Run with PyTorch (2.x):
    /tmp/torchref/bin/python scripts/reference/zoo_ops_reference.py
Writes Tests/EngineTests/Fixtures/zoo_ops_reference.json (the format of engine_spatial_reference.py: per case the
inputs, parameters, forward output, a fixed random upstream gradient `gout` and the input gradients of
sum(out * gout)), read by Tests/EngineTests/ZooOpsTests.swift. Fixed seed; tiny shapes.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_spatial_reference as spatial  # noqa: E402  (its enc / rnd / run; importing recomputes its cases, writes nothing)

rnd, run = spatial.rnd, spatial.run
first = len(spatial.cases)  # our cases are appended after the spatial ones
torch.manual_seed(4321)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "zoo_ops_reference.json")


# ---- max pool with indices: `indices` holds PyTorch's flat per-plane argmax (stored as floats, exact below 2^24)
def pool_idx_case(name, xs, kernel, stride, padding):
    f = F.max_pool2d if len(xs) == 4 else F.max_pool3d
    def fn(t):
        y, idx = f(t["x"], kernel, stride, padding, return_indices=True)
        return y, {"indices": idx.double()}
    run(name, "max_pool_indices", {"kernel": kernel, "stride": stride, "padding": padding}, {"x": rnd(*xs)}, fn)


pool_idx_case("maxpool_idx_2d_k2", [2, 3, 6, 8], [2, 2], [2, 2], [0, 0])
pool_idx_case("maxpool_idx_2d_odd_k2", [1, 2, 7, 5], [2, 2], [2, 2], [0, 0])
pool_idx_case("maxpool_idx_2d_k3s2p1", [2, 2, 7, 6], [3, 3], [2, 2], [1, 1])
pool_idx_case("maxpool_idx_3d_k2", [1, 2, 4, 6, 4], [2, 2, 2], [2, 2, 2], [0, 0, 0])
pool_idx_case("maxpool_idx_3d_odd_k122", [2, 1, 3, 5, 6], [1, 2, 2], [1, 2, 2], [0, 0, 0])


# ---- max unpool: x (values) with the indices of a max pool of another tensor, to the pre-pooling size
def unpool_case(name, src_shape, kernel, output_size=None):
    src = rnd(*src_shape)
    pool = F.max_pool2d if len(src_shape) == 4 else F.max_pool3d
    unpool = F.max_unpool2d if len(src_shape) == 4 else F.max_unpool3d
    y, idx = pool(src, kernel, kernel, return_indices=True)
    size = output_size or list(src_shape[2:])
    run(name, "max_unpool", {"kernel": kernel, "size": size}, {"x": rnd(*y.shape)},
        lambda t: unpool(t["x"], idx, kernel, kernel, output_size=size), extra={"indices": idx.double()})


unpool_case("maxunpool_2d", [2, 3, 6, 8], [2, 2])
unpool_case("maxunpool_2d_odd", [1, 2, 7, 5], [2, 2])
unpool_case("maxunpool_3d", [1, 2, 4, 6, 4], [2, 2, 2])
unpool_case("maxunpool_3d_odd", [2, 1, 5, 3, 7], [2, 2, 2])

# ---- global average pooling (adaptive average pooling to 1)
run("gap_2d", "global_avg_pool", {}, {"x": rnd(2, 3, 5, 7)}, lambda t: F.adaptive_avg_pool2d(t["x"], 1))
run("gap_3d", "global_avg_pool", {}, {"x": rnd(2, 2, 3, 4, 5)}, lambda t: F.adaptive_avg_pool3d(t["x"], 1))


# ---- resize to a size
def resize_case(name, xs, size, mode):
    tm = mode if mode == "nearest" else ("bilinear" if len(xs) == 4 else "trilinear")
    kw = {} if mode == "nearest" else {"align_corners": False}
    run(name, "resize", {"size": size, "mode": mode}, {"x": rnd(*xs)},
        lambda t: F.interpolate(t["x"], size=size, mode=tm, **kw))


resize_case("resize_2d_linear_1x1_to_5x7", [2, 3, 1, 1], [5, 7], "linear")
resize_case("resize_2d_linear_up_odd", [1, 2, 4, 3], [13, 10], "linear")
resize_case("resize_2d_linear_x4", [1, 2, 3, 4], [12, 16], "linear")
resize_case("resize_2d_linear_down", [1, 2, 9, 8], [4, 5], "linear")
resize_case("resize_2d_nearest_odd", [1, 2, 4, 3], [7, 10], "nearest")
resize_case("resize_2d_nearest_down", [1, 1, 9, 8], [4, 3], "nearest")
resize_case("resize_3d_linear_1_to_3x4x5", [1, 2, 1, 1, 1], [3, 4, 5], "linear")
resize_case("resize_3d_linear_up_odd", [1, 2, 2, 3, 4], [5, 7, 9], "linear")
resize_case("resize_3d_linear_down", [1, 1, 6, 5, 7], [3, 4, 4], "linear")
resize_case("resize_3d_nearest", [1, 1, 2, 3, 3], [5, 4, 7], "nearest")

if __name__ == "__main__":
    with open(OUT, "w") as f:
        cases = spatial.cases[first:]
        json.dump({"generator": "scripts/reference/zoo_ops_reference.py", "torch": torch.__version__, "cases": cases},
                  f, separators=(",", ":"))
    print("wrote", OUT, len(cases), "cases,", os.path.getsize(OUT), "bytes")
