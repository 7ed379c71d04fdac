#!/usr/bin/env python3
"""Sanity check that synthetic phantoms are not trivially easy: a small 2D U-Net (PyTorch, CPU) trained
on the first N labelled cases of a `semiseg synth --dims 2` dataset versus all of them, Dice on labelsTs.

    phantom_difficulty.py DATASET [--labeled 4,40] [--steps 300] [--seed 0]

Not part of the test suite (needs torch). The numbers below were measured 2026-11-22 on the FIRST phantom
generator (before contrast phases, 5x spleen volume and touching neighbours were added), with
`semiseg synth --dims 2 --cases 40 --test-cases 20 --seed 0`, 300 steps, batch 4, base 8:
  spleen: Dice(spleen) 0.779 with 4 labeled vs 0.931 with 40
  liver:  Dice(liver) 0.938 vs 0.956, Dice(lesion) 0.122 vs 0.760
They have not been re-measured on the current generator (torch is not installed here). The current figures from
SemiSeg's own trainer (2D and 3D, 4 vs all labeled, two seeds) are in the header of scripts/phantom-difficulty.sh.
"""
import argparse
import glob
import json
import os

import nibabel as nib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(ds, split):
    imgs, labs = [], []
    for f in sorted(glob.glob(os.path.join(ds, f"images{split}", "*.nii.gz")), key=lambda p: int(p.split("_")[-1].split(".")[0])):
        imgs.append(np.asarray(nib.load(f).dataobj, dtype=np.float32)[:, :, 0])
        labs.append(np.asarray(nib.load(f.replace("images", "labels")).dataobj, dtype=np.int64)[:, :, 0])
    x = np.clip((np.stack(imgs) + 160) / 400, 0, 1)[:, None]
    return torch.tensor(x), torch.tensor(np.stack(labs))


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                         nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, classes, base=8):
        super().__init__()
        c = [base, base * 2, base * 4, base * 8]
        self.d = nn.ModuleList([block(1, c[0]), block(c[0], c[1]), block(c[1], c[2]), block(c[2], c[3])])
        self.u = nn.ModuleList([block(c[3] + c[2], c[2]), block(c[2] + c[1], c[1]), block(c[1] + c[0], c[0])])
        self.head = nn.Conv2d(c[0], classes, 1)

    def forward(self, x):
        skips = []
        for k, b in enumerate(self.d):
            x = b(x if k == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for b, s in zip(self.u, reversed(skips[:-1])):
            x = b(torch.cat([F.interpolate(x, scale_factor=2), s], 1))
        return self.head(x)


def dice(pred, gt, c):
    p, g = pred == c, gt == c
    denom = p.sum() + g.sum()
    return float(2 * (p & g).sum() / denom) if denom > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--labeled", default="4,40")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    classes = len(json.load(open(os.path.join(a.dataset, "dataset.json")))["labels"])
    xtr, ytr = load(a.dataset, "Tr")
    xts, yts = load(a.dataset, "Ts")
    for n in [int(v) for v in a.labeled.split(",")]:
        torch.manual_seed(a.seed)
        net = UNet(classes)
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        g = torch.Generator().manual_seed(a.seed)
        for _ in range(a.steps):
            idx = torch.randint(0, n, (4,), generator=g)
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            pred = net(xts).argmax(1)
        scores = {c: np.nanmean([dice(pred[i], yts[i], c) for i in range(len(yts))]) for c in range(1, classes)}
        print(json.dumps({"dataset": os.path.basename(a.dataset.rstrip("/")), "labeled": n, "steps": a.steps,
                          "dice": {str(c): round(v, 4) for c, v in scores.items()}}))


if __name__ == "__main__":
    main()
