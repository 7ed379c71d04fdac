"""Times one training step (forward + cross-entropy + backward + Adam 1e-3) and one inference pass (eval, no grad) of a
zoo network's PyTorch reference module (zoo_reference.py; zoo_deeplab.py, zoo_dilated_fcn.py, zoo_segnet.py), wall
clock and process CPU clock, median of REPS after a warm-up; the counterpart of `semiseg bench --net NAME --dims D --base B --input SHAPE --json`.
Usage: python zoo_timed.py NET DIMS BASE N,C,SPATIAL... THREADS [REPS]   prints one JSON line.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    net, nd, base, shape, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(v) for v in sys.argv[4].split(",")], int(sys.argv[5])
    reps = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    import torch
    from zoo_reference import build
    from torch_unet_timed import time_step_and_inference
    from zoo_deeplab import DeepLabV3, DeepLabV3Plus
    from zoo_dilated_fcn import DilatedFCN
    from zoo_segnet import SegNet
    zoo_b = {"deeplabv3": DeepLabV3, "deeplabv3plus": DeepLabV3Plus, "dilated-fcn": DilatedFCN, "segnet": SegNet}
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = zoo_b[net](nd, cin=shape[1], classes=2, base=base) if net in zoo_b else build(net, nd, base, 4, shape[1], 2)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(*shape); y = torch.randint(0, 2, [shape[0]] + shape[2:])

    t_step, t_infer = time_step_and_inference(m, opt, x, y, reps)
    print(json.dumps({"net": net, "dims": nd, "threads": torch.get_num_threads(), "train_step_s": t_step[0], "infer_s": t_infer[0],
                      "train_cpu_s": t_step[1], "infer_cpu_s": t_infer[1],
                      "params": sum(p.numel() for p in m.parameters())}), flush=True)


if __name__ == "__main__":
    main()
