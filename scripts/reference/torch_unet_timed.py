"""The PyTorch reference step of torch_unet_step.py (its UNet, input, loss, Adam, warm-up and median of 3), timed by
both the wall clock and the process CPU clock (user + system, all threads).

CPU seconds barely move when other processes load the machine, so they complement the wall-clock ratio on a shared
machine (note: PyTorch's OpenMP workers spin while waiting, which CPU time counts).
Usage: python torch_unet_timed.py TORCH_REF NET THREADS   (NET: unet3d-s8 or unet2d-s16); prints one JSON line.
"""
import json, statistics, sys, time


def time_step_and_inference(m, opt, x, y, reps=3):
    """(wall, CPU) medians of `reps` training steps (cross-entropy, `opt`) and `reps` inference passes (eval, no grad),
    each after one warm-up; CPU = process time, user + system, all threads."""
    import torch, torch.nn.functional as F

    def step():
        opt.zero_grad(); loss = F.cross_entropy(m(x), y); loss.backward(); opt.step()

    def timed(f):
        w, c = time.perf_counter(), time.process_time()
        f()
        return time.perf_counter() - w, time.process_time() - c

    step()
    tr = [timed(step) for _ in range(reps)]
    m.eval()
    with torch.no_grad():
        m(x)
        inf = [timed(lambda: m(x)) for _ in range(reps)]
    med = lambda rows, i: round(statistics.median(r[i] for r in rows), 4)
    return (med(tr, 0), med(tr, 1)), (med(inf, 0), med(inf, 1))


def main():
    ref, net, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, ref)
    import torch, torch.nn.functional as F
    import torch_unet_step as t
    torch.set_num_threads(threads)
    nd, base, shape = {"unet3d-s8": (3, 8, (1, 1, 64, 128, 128)), "unet2d-s16": (2, 16, (8, 1, 256, 256))}[net]
    torch.manual_seed(0)
    m = t.UNet(nd, base); opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(*shape); y = torch.randint(0, 2, (shape[0],) + shape[2:])

    t_step, t_infer = time_step_and_inference(m, opt, x, y)
    print(json.dumps({"net": net, "threads": torch.get_num_threads(), "train_step_s": t_step[0], "infer_s": t_infer[0],
                      "train_cpu_s": t_step[1], "infer_cpu_s": t_infer[1],
                      "params": sum(p.numel() for p in m.parameters())}), flush=True)


if __name__ == "__main__":
    main()
