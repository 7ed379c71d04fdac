"""PyTorch reference constants for the NN module's tests (Tests/NNTests/Fixtures/).

Usage (torch, safetensors and numpy installed, e.g. /tmp/torchref/bin/python):
  python scripts/reference/nn_reference.py generate          # rewrites every fixture
  python scripts/reference/nn_reference.py check-load FILE   # FILE: a SemiSeg unet3d-s8 state dict written
                                                             # by the Swift tests; load_state_dict(strict=True)

Fixtures:
  losses.json, optimizers.json, schedules.json : small JSON constants (values and logit gradients).
  unet_reference_keys.json : state_dict keys, shapes and dtypes of the reference U-Nets + parameter counts.
  unet3d_parity.safetensors : the decisive U-Net test. The reference U-Net of ../shared/bench/torch_unet_step.py
      (classes copied below), dims 3, base 8, depth 4, train mode. Its parameters are NOT PyTorch's random init but a
      deterministic integer-hash init (splitmix64, see hash_uniform) that the Swift test reproduces bit for bit, so
      the 6.5 MB of weights need not be stored; the gradients are. Contents: input [1,1,16,32,32], labels
      [1,16,32,32] (class indices as float32), logits, loss, grad.<param> for every parameter, after.<buffer> for
      every buffer after the training forward pass (num_batches_tracked as I64). The forward/backward runs in float64
      (values then rounded to float32), so the fixture is the exact answer, not one float32 rounding of it.
"""
import json, math, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file, load_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "NNTests", "Fixtures"))

# ---- reference network, copied from ../shared/bench/torch_unet_step.py ----
class Double(nn.Module):
    def __init__(s, cin, cout, nd):
        super().__init__(); C = nn.Conv3d if nd == 3 else nn.Conv2d; B = nn.BatchNorm3d if nd == 3 else nn.BatchNorm2d
        s.b = nn.Sequential(C(cin, cout, 3, padding=1), B(cout), nn.ReLU(inplace=True), C(cout, cout, 3, padding=1), B(cout), nn.ReLU(inplace=True))
    def forward(s, x): return s.b(x)

class UNet(nn.Module):
    def __init__(s, nd, base, depth=4, cin=1, ncls=2):
        super().__init__(); s.nd = nd; C = nn.Conv3d if nd == 3 else nn.Conv2d
        ch = [base * 2 ** i for i in range(depth + 1)]
        s.inc = Double(cin, ch[0], nd)
        s.down = nn.ModuleList([Double(ch[i], ch[i + 1], nd) for i in range(depth)])
        s.upc = nn.ModuleList([C(ch[i + 1], ch[i], 3, padding=1) for i in reversed(range(depth))])
        s.dec = nn.ModuleList([Double(2 * ch[i], ch[i], nd) for i in reversed(range(depth))])
        s.head = C(ch[0], ncls, 1)
    def forward(s, x):
        pool = F.max_pool3d if s.nd == 3 else F.max_pool2d
        skips = [s.inc(x)]
        for d in s.down: skips.append(d(pool(skips[-1], 2)))
        y = skips.pop()
        for upc, dec in zip(s.upc, s.dec):
            y = upc(F.interpolate(y, scale_factor=2, mode="nearest"))
            y = dec(torch.cat([skips.pop(), y], 1))
        return s.head(y)

# ---- deterministic init shared with the Swift test (UNetParityTests.hashUniform) ----
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
def hash_uniform(k, n):
    """n values in [-1, 1): splitmix64 finaliser of (k << 32) + i, top 24 bits."""
    x = (np.uint64(k) << np.uint64(32)) + np.arange(n, dtype=np.uint64)
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / 16777216.0 * 2.0 - 1.0

def hash_init(model):
    """Parameter k (named_parameters order): conv weight/bias U(-b,b) with b = 1/sqrt(fan_in of the weight);
    batch-norm weight 1 + 0.2u, bias 0.2u (u in [-1,1))."""
    sd = model.state_dict()
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            prefix = name.rsplit(".", 1)[0]
            u = hash_uniform(k, p.numel())
            if prefix + ".running_mean" in sd:
                v = 1.0 + 0.2 * u if name.endswith("weight") else 0.2 * u
            else:
                w = sd[prefix + ".weight"]
                fan_in = int(np.prod(w.shape[1:]))
                v = u * (1.0 / math.sqrt(fan_in))
            p.copy_(torch.from_numpy(v.astype(np.float32)).reshape(p.shape))

def gen_unet():
    torch.manual_seed(0)
    m = UNet(3, 8); hash_init(m); m.train()
    x = torch.randn(1, 1, 16, 32, 32); y = torch.randint(0, 2, (1, 16, 32, 32))
    # The step itself runs in float64 from the float32 weights and input, so the stored values are the exact
    # answer rounded to float32 (PyTorch's own float32 run differs from it by ~2e-6 relative per gradient).
    # Conv biases feeding a train-mode BatchNorm have an exactly zero gradient; their stored values are ~1e-17.
    m = m.double(); x64 = x.double()
    logits = m(x64); loss = F.cross_entropy(logits, y); loss.backward()
    f = lambda t: t.detach().float().clone()
    out = {"input": x, "labels": y.float(), "logits": f(logits), "loss": f(loss).reshape([])}
    for name, p in m.named_parameters(): out["grad." + name] = f(p.grad)
    for name, b in m.named_buffers(): out["after." + name] = b.detach().clone() if b.dtype == torch.int64 else f(b)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FIX, "unet3d_parity.safetensors"),
              metadata={"producer": "scripts/reference/nn_reference.py"})
    keys = {}
    for name, nd, base in [("unet3d-s8", 3, 8), ("unet2d-s16", 2, 16)]:
        r = UNet(nd, base)
        keys[name] = {"params": sum(p.numel() for p in r.parameters()),
                      "state": [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in r.state_dict().items()]}
    json.dump(keys, open(os.path.join(FIX, "unet_reference_keys.json"), "w"), separators=(",", ":"))
    print("unet loss", loss.item())

def flat(t): return [float(v) for v in t.detach().reshape(-1).tolist()]

def gen_losses():
    torch.manual_seed(1)
    N, C, H, W = 2, 3, 4, 5
    logits = torch.randn(N, C, H, W); target = torch.randint(0, C, (N, H, W)); mask = (torch.rand(N, H, W) > 0.3).float()
    weights = torch.tensor([0.2, 1.0, 2.5]); q = torch.softmax(torch.randn(N, C, H, W), 1); other = torch.randn(N, C, H, W)
    cases = {}
    def case(name, fn):
        l = logits.clone().requires_grad_(True); v = fn(l); v.backward(); cases[name] = {"loss": v.item(), "grad": flat(l.grad)}
    case("ce", lambda l: F.cross_entropy(l, target))
    case("ce_weighted", lambda l: F.cross_entropy(l, target, weight=weights))
    masked = torch.where(mask > 0, target, torch.full_like(target, -100))
    case("ce_masked", lambda l: F.cross_entropy(l, masked, ignore_index=-100))
    case("ce_weighted_masked", lambda l: F.cross_entropy(l, masked, weight=weights, ignore_index=-100))
    def dice(l, include_bg, batch, smooth):
        p = torch.softmax(l, 1); oh = F.one_hot(target, C).permute(0, 3, 1, 2).float()
        axes = [0, 2, 3] if batch else [2, 3]
        tp = (p * oh).sum(axes); fp = (p * (1 - oh)).sum(axes); fn = ((1 - p) * oh).sum(axes)
        dc = (2 * tp + smooth) / (2 * tp + fp + fn + smooth)
        if not include_bg: dc = dc[1:] if batch else dc[:, 1:]
        return 1 - dc.mean()
    case("dice", lambda l: dice(l, True, False, 1e-5))
    case("dice_nobg_batch", lambda l: dice(l, False, True, 1.0))
    case("dice_ce", lambda l: F.cross_entropy(l, target) + dice(l, False, False, 1e-5))
    def topk(l, pct):
        r = F.cross_entropy(l, target, reduction="none").reshape(-1)
        return r.topk(int(r.numel() * pct / 100), sorted=False)[0].mean()
    case("topk10", lambda l: topk(l, 10))
    case("topk25", lambda l: topk(l, 25))
    case("mse_softmax", lambda l: F.mse_loss(torch.softmax(l, 1), q))
    case("mse", lambda l: F.mse_loss(l, other))
    case("kl", lambda l: F.kl_div(F.log_softmax(l, 1), q, reduction="sum") / (N * H * W))
    data = {"shape": [N, C, H, W], "logits": flat(logits), "target": flat(target.float()), "mask": flat(mask),
            "weights": flat(weights), "q": flat(q), "other": flat(other), "cases": cases}
    json.dump(data, open(os.path.join(FIX, "losses.json"), "w"), separators=(",", ":"))

def gen_optimizers():
    torch.manual_seed(2)
    p0 = torch.randn(6); grads = [torch.randn(6) for _ in range(4)]
    cfgs = {
        "sgd": (torch.optim.SGD, dict(lr=0.1)),
        "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
        "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        "adam": (torch.optim.Adam, dict(lr=0.01)),
        "adam_wd": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)),
        "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    }
    out = {"p0": flat(p0), "grads": [flat(g) for g in grads], "cases": {}}
    for name, (cls, kw) in cfgs.items():
        p = p0.clone().requires_grad_(True); opt = cls([p], **kw); traj = []
        for g in grads:
            p.grad = g.clone(); opt.step(); traj.append(flat(p))
        out["cases"][name] = {"options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}, "after": traj}
    json.dump(out, open(os.path.join(FIX, "optimizers.json"), "w"), separators=(",", ":"))

def gen_schedules():
    def run(make, n):
        p = torch.zeros(1, requires_grad=True); opt = torch.optim.SGD([p], lr=0.1); s = make(opt); lrs = []
        for _ in range(n):
            lrs.append(opt.param_groups[0]["lr"]); opt.step(); s.step()
        return lrs
    S = torch.optim.lr_scheduler
    out = {"base": 0.1,
           "poly": run(lambda o: S.PolynomialLR(o, total_iters=10, power=0.9), 12),
           "step": run(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10),
           "sgdr_tmult2": run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), 24),
           "sgdr_tmult1": run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=1), 10)}
    json.dump(out, open(os.path.join(FIX, "schedules.json"), "w"), separators=(",", ":"))

def check_load(path):
    m = UNet(3, 8)
    sd = load_file(path)
    m.load_state_dict(sd, strict=True)
    ref = m.state_dict()
    assert all(ref[k].dtype == sd[k].dtype for k in ref), "dtype mismatch"
    print(f"OK: {path} loads into the reference unet3d-s8 with strict=True ({len(sd)} tensors)")

if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "generate":
        os.makedirs(FIX, exist_ok=True)
        torch.set_num_threads(1)
        gen_losses(); gen_optimizers(); gen_schedules(); gen_unet()
    elif len(sys.argv) == 3 and sys.argv[1] == "check-load":
        check_load(sys.argv[2])
    else:
        print(__doc__); sys.exit(2)
