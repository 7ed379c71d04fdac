"""PyTorch reference modules of the SemiSeg network zoo and their parity fixtures (Tests/NNTests/Fixtures/zoo_*).

Usage (torch, safetensors and numpy installed, e.g. /tmp/torchref/bin/python):
  python scripts/reference/zoo_reference.py generate           # rewrites every zoo_*.safetensors fixture and
                                                               # prelu_parity.safetensors (the PReLU op)
  python scripts/reference/zoo_reference.py check-load NET DIMS FILE  # a state dict written by `semiseg export-weights`
                                                                      # loads with load_state_dict(strict=True)

The modules below are written to have exactly the state_dict names, shapes and parameter order of the Swift networks
(Sources/NN/Models: VNet, AttentionUNet, UNetPlusPlus; docs/ARCHITECTURE.md §5), BatchNorm in every block.

Fixtures zoo_<net>_<2d|3d>.safetensors: parameters are the integer-hash init of nn_reference.py (hash_init; the
Swift test reproduces it bit for bit, so weights are not stored), input, labels (class indices as float32), logits,
loss (cross-entropy; for unetpp 2D with deep supervision the mean over its heads), grad.<param> for every
parameter; the train-mode forward/backward runs in float64 and is rounded to float32. The input seed is the first
whose float64 forward keeps every ReLU/PReLU input and every max-pool top-2 gap KINK_MARGIN away from a tie.
Sizes: 2D input [2,1,16,16], 3 classes, base 4, depth 2; 3D input [1,1,8,8,8], 2 classes, base 2 (attention-unet 4),
depth 2.
"""
import copy, math, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file, load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import hash_init, KINK_MARGIN, FIX  # noqa: E402

def C(nd): return nn.Conv3d if nd == 3 else nn.Conv2d
def CT(nd): return nn.ConvTranspose3d if nd == 3 else nn.ConvTranspose2d
def BN(nd): return nn.BatchNorm3d if nd == 3 else nn.BatchNorm2d

POOL_GAPS = []  # smallest positive top-2 gap of each max-pool window, recorded while TRACK is on
TRACK = [False]

def pool(x):
    nd = x.dim() - 2
    if TRACK[0]:
        s = x.shape
        if nd == 2:
            win = x.reshape(s[0], s[1], s[2] // 2, 2, s[3] // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(-1, 4)
        else:
            win = x.reshape(s[0], s[1], s[2] // 2, 2, s[3] // 2, 2, s[4] // 2, 2).permute(0, 1, 2, 4, 6, 3, 5, 7).reshape(-1, 8)
        top = win.detach().topk(2, dim=1).values
        gap = (top[:, 0] - top[:, 1])[top[:, 0] > 0]
        if gap.numel(): POOL_GAPS.append(gap.min().item())
    return (F.max_pool3d if nd == 3 else F.max_pool2d)(x, 2)

def up_nearest(x): return F.interpolate(x, scale_factor=2, mode="nearest")

class Double(nn.Module):
    """SemiSeg DoubleConv: b = (conv3, BN, ReLU) x2."""
    def __init__(s, cin, cout, nd):
        super().__init__()
        s.b = nn.Sequential(C(nd)(cin, cout, 3, padding=1), BN(nd)(cout), nn.ReLU(), C(nd)(cout, cout, 3, padding=1), BN(nd)(cout), nn.ReLU())
    def forward(s, x): return s.b(x)

class ConvNormAct(nn.Module):
    """SemiSeg ConvNormAct: conv, norm, optional act."""
    def __init__(s, conv, ch, nd, act):
        super().__init__()
        s.conv = conv; s.norm = BN(nd)(ch)
        if act == "prelu": s.act = nn.PReLU(ch)
        elif act == "relu": s.act = nn.ReLU()
    def forward(s, x):
        y = s.norm(s.conv(x))
        return s.act(y) if hasattr(s, "act") else y

# ---- V-Net (Milletari 2016) ----
def vnet_convs(stage): return min(stage + 1, 3)

class VNetResidual(nn.Module):
    def __init__(s, ch, n, nd):
        super().__init__()
        s.convs = nn.ModuleList([ConvNormAct(C(nd)(ch, ch, 5, padding=2), ch, nd, "prelu") for _ in range(n)])
        s.act = nn.PReLU(ch)
    def forward(s, x):
        y = x
        for c in s.convs: y = c(y)
        return s.act(y + x)

class VNetInput(nn.Module):
    def __init__(s, cin, base, nd):
        super().__init__()
        s.conv = C(nd)(cin, base, 5, padding=2); s.norm = BN(nd)(base); s.act = nn.PReLU(base)
    def forward(s, x, residual): return s.act(s.norm(s.conv(x)) + residual)

class VNetDown(nn.Module):
    def __init__(s, cin, cout, stage, nd):
        super().__init__()
        s.down = ConvNormAct(C(nd)(cin, cout, 2, stride=2), cout, nd, "prelu"); s.res = VNetResidual(cout, vnet_convs(stage), nd)
    def forward(s, x): return s.res(s.down(x))

class VNetUp(nn.Module):
    def __init__(s, cin, cout, stage, nd):
        super().__init__()
        s.up = ConvNormAct(CT(nd)(cin, cout, 2, stride=2), cout, nd, "prelu"); s.res = VNetResidual(2 * cout, vnet_convs(stage), nd)
    def forward(s, x, skip): return s.res(torch.cat([s.up(x), skip], 1))

class VNet(nn.Module):
    def __init__(s, nd, base, depth=4, cin=1, ncls=2):
        super().__init__()
        ch = [base * 2 ** i for i in range(depth + 1)]
        s.base, s.cin = base, cin
        s.inc = VNetInput(cin, base, nd)
        s.down = nn.ModuleList([VNetDown(ch[i - 1], ch[i], i, nd) for i in range(1, depth + 1)])
        ups, c = [], ch[depth]
        for i in reversed(range(depth)):
            ups.append(VNetUp(c, ch[i], i, nd)); c = 2 * ch[i]
        s.up = nn.ModuleList(ups)
        s.head = C(nd)(2 * base, ncls, 1)
    def forward(s, x):
        y = s.inc(x, x.repeat(1, s.base // s.cin, *([1] * (x.dim() - 2))))
        skips = []
        for d in s.down: skips.append(y); y = d(y)
        for u in s.up: y = u(y, skips.pop())
        return s.head(y)

# ---- Attention U-Net (Oktay 2018), gate as MONAI's AttentionBlock ----
class AttentionGate(nn.Module):
    def __init__(s, fg, fl, fi, nd):
        super().__init__()
        s.wg = ConvNormAct(C(nd)(fg, fi, 1), fi, nd, None)
        s.wx = ConvNormAct(C(nd)(fl, fi, 1), fi, nd, None)
        s.psi = ConvNormAct(C(nd)(fi, 1, 1), 1, nd, None)
        s.relu = nn.ReLU()
    def forward(s, x, g): return x * torch.sigmoid(s.psi(s.relu(s.wg(g) + s.wx(x))))

class AttentionUNet(nn.Module):
    def __init__(s, nd, base, depth=4, cin=1, ncls=2):
        super().__init__()
        ch = [base * 2 ** i for i in range(depth + 1)]
        s.inc = Double(cin, ch[0], nd)
        s.down = nn.ModuleList([Double(ch[i], ch[i + 1], nd) for i in range(depth)])
        s.upc = nn.ModuleList([C(nd)(ch[i + 1], ch[i], 3, padding=1) for i in reversed(range(depth))])
        s.att = nn.ModuleList([AttentionGate(ch[i], ch[i], max(ch[i] // 2, 1), nd) for i in reversed(range(depth))])
        s.dec = nn.ModuleList([Double(2 * ch[i], ch[i], nd) for i in reversed(range(depth))])
        s.head = C(nd)(ch[0], ncls, 1)
    def forward(s, x):
        skips = [s.inc(x)]
        for d in s.down: skips.append(d(pool(skips[-1])))
        y = skips.pop()
        for upc, att, dec in zip(s.upc, s.att, s.dec):
            g = upc(up_nearest(y)); skip = skips.pop()
            y = dec(torch.cat([att(skip, g), g], 1))
        return s.head(y)

# ---- UNet++ (Zhou 2018) ----
class UNetPlusPlus(nn.Module):
    def __init__(s, nd, base, depth=4, cin=1, ncls=2, deep_supervision=False):
        super().__init__()
        ch = [base * 2 ** i for i in range(depth + 1)]
        s.depth, s.ds = depth, deep_supervision
        for i in range(depth + 1):
            setattr(s, f"x{i}_0", Double(cin if i == 0 else ch[i - 1], ch[i], nd))
        for j in range(1, depth + 1):
            for i in range(depth - j + 1):
                setattr(s, f"up{i}_{j}", C(nd)(ch[i + 1], ch[i], 3, padding=1))
                setattr(s, f"x{i}_{j}", Double((j + 1) * ch[i], ch[i], nd))
        s.heads = nn.ModuleList([C(nd)(ch[0], ncls, 1) for _ in (range(depth) if deep_supervision else [0])])
    def top_row(s, x):
        L = s.depth
        X = [[] for _ in range(L + 1)]
        X[0].append(s.x0_0(x))
        for i in range(1, L + 1): X[i].append(getattr(s, f"x{i}_0")(pool(X[i - 1][0])))
        for j in range(1, L + 1):
            for i in range(L - j + 1):
                u = getattr(s, f"up{i}_{j}")(up_nearest(X[i + 1][j - 1]))
                X[i].append(getattr(s, f"x{i}_{j}")(torch.cat(X[i] + [u], 1)))
        return X[0][1:]
    def forward(s, x): return s.heads[-1](s.top_row(x)[-1])
    def all_heads(s, x):
        row = s.top_row(x)
        return [h(r) for h, r in zip(s.heads, row)] if s.ds else [s.heads[-1](row[-1])]

def build(net, nd, base, depth, cin, ncls, ds=False):
    if net == "vnet": return VNet(nd, base, depth, cin, ncls)
    if net == "attention-unet": return AttentionUNet(nd, base, depth, cin, ncls)
    if net == "unetpp": return UNetPlusPlus(nd, base, depth, cin, ncls, deep_supervision=ds)
    raise SystemExit(f"unknown network {net}")

def outputs(m, x):
    return m.all_heads(x) if isinstance(m, UNetPlusPlus) else [m(x)]

def kink_margin(m, x):
    md = copy.deepcopy(m).double(); md.train()
    found = [math.inf]
    def hook(mod, inp, out): found[0] = min(found[0], inp[0].detach().abs().min().item())
    hooks = [r.register_forward_hook(hook) for r in md.modules() if isinstance(r, (nn.ReLU, nn.PReLU))]
    POOL_GAPS.clear(); TRACK[0] = True
    with torch.no_grad(): outputs(md, x.double())
    TRACK[0] = False
    for h in hooks: h.remove()
    return min([found[0]] + POOL_GAPS)

CASES = [  # (net, dims, deep supervision)
    ("vnet", 2, False), ("vnet", 3, False),
    ("attention-unet", 2, False), ("attention-unet", 3, False),
    ("unetpp", 2, True), ("unetpp", 3, False),
]

def gen(net, nd, ds):
    # 3D attention-unet at base 4: at base 2 the gate's inner width is 1, and a 1->1 conv before a train-mode
    # BatchNorm has an exactly zero weight gradient (the norm cancels its scale), which no relative test can check.
    base, depth, ncls = (4, 2, 3) if nd == 2 else ((4 if net == "attention-unet" else 2), 2, 2)
    shape = [2, 1, 16, 16] if nd == 2 else [1, 1, 8, 8, 8]
    torch.manual_seed(0)
    m = build(net, nd, base, depth, 1, ncls, ds); hash_init(m); m.train()
    seed = 0
    while True:
        torch.manual_seed(1000 + seed)
        x = torch.randn(*shape); y = torch.randint(0, ncls, [shape[0]] + shape[2:])
        margin = kink_margin(m, x)
        if margin >= KINK_MARGIN: break
        seed += 1
    m = m.double()
    outs = outputs(m, x.double())
    loss = sum(F.cross_entropy(o, y) for o in outs) / len(outs)
    loss.backward()
    f = lambda t: t.detach().float().clone()
    out = {"input": x, "labels": y.float(), "logits": f(outs[-1]), "loss": f(loss).reshape([])}
    for name, p in m.named_parameters(): out["grad." + name] = f(p.grad)
    name = f"zoo_{net.replace('-', '_')}_{nd}d.safetensors"
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FIX, name),
              metadata={"producer": "scripts/reference/zoo_reference.py", "params": str(sum(p.numel() for p in m.parameters())),
                        "keys": ",".join(m.state_dict().keys())})
    print(name, "input seed", 1000 + seed, "margin", margin, "loss", loss.item(), "params", sum(p.numel() for p in m.parameters()),
          "bytes", os.path.getsize(os.path.join(FIX, name)))

def gen_prelu():
    """prelu_parity.safetensors: x [2,3,5,4] (with exact zeros), per-channel weight [3] and shared weight [1], an
    upstream gradient g; y, dx, dw of F.prelu for each (float64, rounded to float32)."""
    torch.manual_seed(7)
    x = torch.randn(2, 3, 5, 4); x[0, 0, 0, :2] = 0
    g = torch.randn(2, 3, 5, 4)
    out = {"x": x, "g": g}
    for tag, w in (("channel", torch.tensor([0.25, -0.5, 1.5])), ("shared", torch.tensor([0.1]))):
        xd = x.double().requires_grad_(); wd = w.double().requires_grad_()
        y = F.prelu(xd, wd); y.backward(g.double())
        out.update({f"{tag}.w": w, f"{tag}.y": y.detach().float(), f"{tag}.dx": xd.grad.float(), f"{tag}.dw": wd.grad.float()})
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FIX, "prelu_parity.safetensors"),
              metadata={"producer": "scripts/reference/zoo_reference.py"})
    print("prelu_parity.safetensors")

if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "generate"
    if cmd == "generate":
        gen_prelu()
        for net, nd, ds in CASES: gen(net, nd, ds)
    elif cmd == "prelu":
        gen_prelu()
    elif cmd == "one":  # one fixture: NET DIMS
        gen(sys.argv[2], int(sys.argv[3]), any(c == (sys.argv[2], int(sys.argv[3]), True) for c in CASES))
    elif cmd == "check-load":
        net, nd, path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        from safetensors import safe_open
        with safe_open(path, "pt") as fh: meta = fh.metadata() or {}
        m = build(net, nd, int(meta.get("base", 8)), int(meta.get("depth", 4)), int(meta.get("in_channels", 1)),
                  int(meta.get("classes", 2)), ds=meta.get("model_options", "").find("deep-supervision=true") >= 0)
        m.load_state_dict(load_file(path), strict=True)
        print("loaded", path, "into", net, f"{nd}D", sum(p.numel() for p in m.parameters()), "parameters")
    else:
        raise SystemExit(__doc__)
