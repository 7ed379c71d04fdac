"""PyTorch reference modules of SemiSeg's `deeplabv3` and `deeplabv3plus` (Sources/NN/Models/DeepLabV3.swift,
DeepLabV3Plus.swift), 2D or 3D, with the same state_dict names. Imported by scripts/reference/zoo_b_parity.py and
scripts/reference/zoo_timed.py (bench).

Encoder: a ResNet with basic blocks (torchvision names: conv1/bn1 stem 7x7 stride 2 + max-pool 3 stride 2, layer1..4 with
widths base·(1, 2, 4, 8)); output stride 16 dilates layer4 (rate 2), output stride 8 dilates layer3 and layer4 (2, 4)
instead of striding (Chen et al. 2017, DeepLabv3 §3.2; the first block of a dilated layer keeps the previous rate in its
first convolution, as torchvision). ASPP (torchvision names): 1x1, three 3x3 atrous branches (rates 6/12/18 at output
stride 16, doubled at 8), image pooling (global average, 1x1, BN, ReLU, bilinear/trilinear back), 1x1 projection + BN +
ReLU + dropout. DeepLabv3 head: 3x3 conv + BN + ReLU + 1x1 to the classes, then resize to the input size.
DeepLabv3+ (Chen et al. 2018): low-level features of layer1 (1x1 to 48·base/64 channels, BN, ReLU) concatenated with the
ASPP output resized to their size, two 3x3 conv + BN + ReLU (+ dropout 0.5 / 0.1), 1x1 to the classes, resize.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(nd, cin, cout, k, stride=1, padding=0, dilation=1, bias=True):
    return (nn.Conv2d if nd == 2 else nn.Conv3d)(cin, cout, k, stride=stride, padding=padding, dilation=dilation, bias=bias)


def bn(nd, c):
    return (nn.BatchNorm2d if nd == 2 else nn.BatchNorm3d)(c)


def interp(x, size):
    return F.interpolate(x, size=size, mode="bilinear" if x.dim() == 4 else "trilinear", align_corners=False)


class BasicBlock(nn.Module):
    def __init__(s, nd, cin, cout, stride, dil1, dil2):
        super().__init__()
        s.conv1 = conv(nd, cin, cout, 3, stride, dil1, dil1, bias=False)
        s.bn1 = bn(nd, cout)
        s.conv2 = conv(nd, cout, cout, 3, 1, dil2, dil2, bias=False)
        s.bn2 = bn(nd, cout)
        s.downsample = (nn.Sequential(conv(nd, cin, cout, 1, stride, bias=False), bn(nd, cout))
                        if stride != 1 or cin != cout else None)

    def forward(s, x):
        idt = x if s.downsample is None else s.downsample(x)
        y = F.relu(s.bn1(s.conv1(x)))
        return F.relu(s.bn2(s.conv2(y)) + idt)


def layer_plan(output_stride):
    """(stride, dilation) of layer1..layer4."""
    return {16: [(1, 1), (2, 1), (2, 1), (1, 2)], 8: [(1, 1), (2, 1), (1, 2), (1, 4)]}[output_stride]


class ResNetEncoder(nn.Module):
    def __init__(s, nd, cin, base, blocks, output_stride):
        super().__init__()
        s.conv1 = conv(nd, cin, base, 7, 2, 3, bias=False)
        s.bn1 = bn(nd, base)
        width, prev, c = [base, 2 * base, 4 * base, 8 * base], 1, base
        for i, ((stride, dil), n) in enumerate(zip(layer_plan(output_stride), blocks)):
            layer = []
            for j in range(n):
                layer.append(BasicBlock(nd, c, width[i], stride if j == 0 else 1, prev if j == 0 else dil, dil))
                c = width[i]
            prev = dil
            setattr(s, "layer%d" % (i + 1), nn.Sequential(*layer))
        s.nd = nd

    def forward(s, x):
        pool = F.max_pool2d if s.nd == 2 else F.max_pool3d
        x = pool(F.relu(s.bn1(s.conv1(x))), 3, 2, 1)
        low = s.layer1(x)
        return low, s.layer4(s.layer3(s.layer2(low)))


class ASPPPooling(nn.Sequential):
    def __init__(s, nd, cin, cout):
        super().__init__((nn.AdaptiveAvgPool2d if nd == 2 else nn.AdaptiveAvgPool3d)(1), conv(nd, cin, cout, 1, bias=False),
                         bn(nd, cout), nn.ReLU())

    def forward(s, x):
        return interp(super().forward(x), x.shape[2:])


class ASPP(nn.Module):
    def __init__(s, nd, cin, cout, rates, dropout):
        super().__init__()
        branches = [nn.Sequential(conv(nd, cin, cout, 1, bias=False), bn(nd, cout), nn.ReLU())]
        for r in rates:
            branches.append(nn.Sequential(conv(nd, cin, cout, 3, 1, r, r, bias=False), bn(nd, cout), nn.ReLU()))
        branches.append(ASPPPooling(nd, cin, cout))
        s.convs = nn.ModuleList(branches)
        s.project = nn.Sequential(conv(nd, len(branches) * cout, cout, 1, bias=False), bn(nd, cout), nn.ReLU(),
                                  nn.Dropout(dropout))

    def forward(s, x):
        return s.project(torch.cat([b(x) for b in s.convs], 1))


def aspp_rates(output_stride):
    return [r * 16 // output_stride for r in (6, 12, 18)]


class DeepLabV3(nn.Module):
    def __init__(s, nd, cin=1, classes=2, base=16, blocks=(2, 2, 2, 2), output_stride=16, dropout=0.5):
        super().__init__()
        c = 4 * base
        s.backbone = ResNetEncoder(nd, cin, base, blocks, output_stride)
        s.classifier = nn.Sequential(ASPP(nd, 8 * base, c, aspp_rates(output_stride), dropout),
                                     conv(nd, c, c, 3, 1, 1, bias=False), bn(nd, c), nn.ReLU(), conv(nd, c, classes, 1))

    def forward(s, x):
        _, y = s.backbone(x)
        return interp(s.classifier(y), x.shape[2:])


class Decoder(nn.Module):
    def __init__(s, nd, low_in, low_c, c, classes, dropout):
        super().__init__()
        s.conv1 = conv(nd, low_in, low_c, 1, bias=False)
        s.bn1 = bn(nd, low_c)
        s.last_conv = nn.Sequential(conv(nd, c + low_c, c, 3, 1, 1, bias=False), bn(nd, c), nn.ReLU(), nn.Dropout(dropout),
                                    conv(nd, c, c, 3, 1, 1, bias=False), bn(nd, c), nn.ReLU(), nn.Dropout(dropout / 5),
                                    conv(nd, c, classes, 1))

    def forward(s, x, low):
        low = F.relu(s.bn1(s.conv1(low)))
        return s.last_conv(torch.cat([interp(x, low.shape[2:]), low], 1))


class DeepLabV3Plus(nn.Module):
    def __init__(s, nd, cin=1, classes=2, base=16, blocks=(2, 2, 2, 2), output_stride=16, dropout=0.5):
        super().__init__()
        c = 4 * base
        s.backbone = ResNetEncoder(nd, cin, base, blocks, output_stride)
        s.aspp = ASPP(nd, 8 * base, c, aspp_rates(output_stride), dropout)
        s.decoder = Decoder(nd, base, max(1, 3 * base // 4), c, classes, dropout)

    def forward(s, x):
        low, y = s.backbone(x)
        return interp(s.decoder(s.aspp(y), low), x.shape[2:])
