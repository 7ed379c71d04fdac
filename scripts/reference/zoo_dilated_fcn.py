"""PyTorch reference module of SemiSeg's `dilated-fcn` (Sources/NN/Models/DilatedFCN.swift), 2D or 3D, same state_dict
names. Imported by scripts/reference/zoo_b_parity.py and zoo_timed.py (bench).

The lung-tissue network of Anthimopoulos et al. 2018 (IEEE JBHI 23(2)): 13 layers = 10 convolutions 3x3 (3x3x3) with
`base` channels, batch norm and leaky ReLU (slope 0.3), dilation rates growing then shrinking (1,2,3,4,5,6,4,3,2,1),
padding = rate (output size = input size); the features of all 10 are concatenated, then dropout, a 1x1 convolution to
4·base channels + leaky ReLU, dropout, and a 1x1 convolution to the classes. Layers 2..10 add their input (residual
additions; every such layer maps base -> base channels).
"""
import torch
import torch.nn as nn

from zoo_deeplab import bn, conv

RATES = (1, 2, 3, 4, 5, 6, 4, 3, 2, 1)


class DilatedFCN(nn.Module):
    def __init__(s, nd, cin=1, classes=2, base=32, rates=RATES, dropout=0.5, slope=0.3):
        super().__init__()
        s.layers = nn.ModuleList([nn.Sequential(conv(nd, cin if i == 0 else base, base, 3, 1, r, r, bias=False),
                                                bn(nd, base), nn.LeakyReLU(slope)) for i, r in enumerate(rates)])
        s.head = nn.Sequential(nn.Dropout(dropout), conv(nd, len(rates) * base, 4 * base, 1), nn.LeakyReLU(slope),
                               nn.Dropout(dropout), conv(nd, 4 * base, classes, 1))

    def forward(s, x):
        feats = []
        for i, layer in enumerate(s.layers):
            x = layer(x) if i == 0 else x + layer(x)
            feats.append(x)
        return s.head(torch.cat(feats, 1))
