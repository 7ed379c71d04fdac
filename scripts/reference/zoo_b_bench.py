#!/usr/bin/env python3
"""PyTorch side of `semiseg bench --net NAME` for deeplabv3, deeplabv3plus, dilated-fcn and segnet (issue #14): the
reference module of the same network (zoo_deeplab.py, zoo_dilated_fcn.py, zoo_segnet.py), random input and labels,
one train step = forward + cross-entropy + backward + Adam(1e-3), one warm-up step, median of 3 steps, then the
median of 3 eval-mode no-grad forwards; wall clock and process CPU clock, as torch_unet_timed.py.

Usage: /tmp/torchref/bin/python scripts/reference/zoo_b_bench.py NET DIMS BASE THREADS [N,C,spatial...]
(default input 1,1,64,128,128 in 3D and 8,1,256,256 in 2D, as `semiseg bench`); prints one JSON line.
Compare: `semiseg bench --json --net NET --dims DIMS --base BASE --threads THREADS` (same defaults).
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_deeplab import DeepLabV3, DeepLabV3Plus  # noqa: E402
from zoo_dilated_fcn import DilatedFCN  # noqa: E402
from zoo_segnet import SegNet  # noqa: E402

NETS = {"deeplabv3": DeepLabV3, "deeplabv3plus": DeepLabV3Plus, "dilated-fcn": DilatedFCN, "segnet": SegNet}


def main():
    net, nd, base, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    shape = [int(v) for v in sys.argv[5].split(",")] if len(sys.argv) > 5 else ([1, 1, 64, 128, 128] if nd == 3 else [8, 1, 256, 256])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = NETS[net](nd, base=base)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(*shape)
    y = torch.randint(0, 2, [shape[0]] + shape[2:])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()

    def timed(f):
        w, c = time.perf_counter(), time.process_time()
        f()
        return time.perf_counter() - w, time.process_time() - c

    m.train()
    step()
    tr = [timed(step) for _ in range(3)]
    m.eval()
    with torch.no_grad():
        m(x)
        inf = [timed(lambda: m(x)) for _ in range(3)]
    med = lambda rows, i: round(statistics.median(r[i] for r in rows), 4)
    print(json.dumps({"net": net, "dims": nd, "base": base, "input": shape, "threads": torch.get_num_threads(),
                      "train_step_s": med(tr, 0), "infer_s": med(inf, 0), "train_cpu_s": med(tr, 1), "infer_cpu_s": med(inf, 1),
                      "params": sum(p.numel() for p in m.parameters())}), flush=True)


if __name__ == "__main__":
    main()
