"""PyTorch reference module of SemiSeg's `segnet` (Sources/NN/Models/SegNet.swift), 2D or 3D, same state_dict names.
Imported by scripts/reference/zoo_b_parity.py and zoo_timed.py (bench).

SegNet (Badrinarayanan et al. 2017): a VGG16-BN encoder of 5 stages (2, 2, 3, 3, 3 convolutions 3x3 + BN + ReLU, widths
base·(1, 2, 4, 8, 8)), each followed by a 2x max-pool that keeps its indices; the decoder mirrors it (max-unpool with the
stage's indices to the size before pooling, then 3, 3, 3, 2, 1 convolutions + BN + ReLU, the last of each stage going
to the next stage's width), then a 1x1 convolution to the classes. `stages` (1...5) keeps the first stages only.
No dropout (SegNet has none; the Swift network's optional dropout layers hold no state).
"""
import torch.nn as nn
import torch.nn.functional as F

from zoo_deeplab import bn, conv


def stage(nd, chans):
    layers = []
    for a, b in zip(chans[:-1], chans[1:]):
        layers += [conv(nd, a, b, 3, 1, 1), bn(nd, b), nn.ReLU()]
    return nn.Sequential(*layers)


class SegNet(nn.Module):
    def __init__(s, nd, cin=1, classes=2, base=16, stages=5, dropout=0.0):  # dropout: accepted, unused
        super().__init__()
        w = [base, 2 * base, 4 * base, 8 * base, 8 * base][:stages]
        n = [2, 2, 3, 3, 3][:stages]
        prev = [cin] + w[:-1]
        s.enc = nn.ModuleList([stage(nd, [prev[i]] + [w[i]] * n[i]) for i in range(stages)])
        dec = []
        for i in reversed(range(stages)):
            out = w[i - 1] if i > 0 else w[0]
            k = n[i] if i > 0 else 1
            dec.append(stage(nd, [w[i]] * k + [out]))
        s.dec = nn.ModuleList(dec)
        s.head = conv(nd, w[0], classes, 1)
        s.nd = nd

    def forward(s, x):
        pool = F.max_pool2d if s.nd == 2 else F.max_pool3d
        unpool = F.max_unpool2d if s.nd == 2 else F.max_unpool3d
        saved = []
        for e in s.enc:
            y = e(x)
            x, idx = pool(y, 2, 2, return_indices=True)
            saved.append((idx, y.shape[2:]))
        for d in s.dec:
            idx, size = saved.pop()
            x = d(unpool(x, idx, 2, 2, output_size=size))
        return s.head(x)
