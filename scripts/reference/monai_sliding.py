"""Reference for `semiseg bench --net unet3d-s8 --sliding D,H,W`: MONAI's Gaussian sliding-window inference on PyTorch CPU.

The network is the benchmark 3D U-Net of torch_unet_step.py (imported from the folder given by --torch-ref, the one
scripts/bench-vs-torch.sh uses: base 8, depth 4, BatchNorm, nearest x2 + conv3 upsampling, 2 classes), in eval mode
with seed-0 weights. A random volume [1, 1, D, H, W] goes through monai.inferers.sliding_window_inference with
roi_size 64x128x128, overlap 0.5, mode "gaussian" (sigma_scale 0.125), sw_batch_size 1, then a softmax over classes
(as semiseg accumulates probabilities). One warm-up patch first, then the median of --reps timed passes.

Usage: python monai_sliding.py --torch-ref ../shared/bench --volume 96,384,384 [--threads 2] [--reps 1]
Prints one JSON line {"net": "unet3d-s8-sliding", "volume": [...], "infer_s": ..., "peak_rss_mb": ...}.
"""
import argparse, json, resource, statistics, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch-ref", required=True, help="folder holding torch_unet_step.py")
    ap.add_argument("--volume", default="96,384,384")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    sys.path.insert(0, a.torch_ref)
    import torch
    from monai.inferers import sliding_window_inference
    import torch_unet_step as ref

    torch.set_num_threads(a.threads)
    vol = [int(v) for v in a.volume.split(",")]
    torch.manual_seed(0)
    m = ref.UNet(3, 8).eval()
    x = torch.randn(1, 1, *vol)
    roi = (64, 128, 128)
    times, cpu = [], []
    with torch.no_grad():
        m(torch.randn(1, 1, *roi))
        for _ in range(a.reps):
            t, c = time.perf_counter(), time.process_time()
            out = sliding_window_inference(x, roi_size=roi, sw_batch_size=1, predictor=m, overlap=0.5, mode="gaussian",
                                           sigma_scale=0.125)
            probs = torch.softmax(out, dim=1)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            assert tuple(probs.shape) == (1, 2, *vol), probs.shape
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"net": "unet3d-s8-sliding", "volume": vol, "threads": torch.get_num_threads(),
                      "infer_s": round(statistics.median(times), 4), "infer_cpu_s": round(statistics.median(cpu), 4), "peak_rss_mb": round(rss, 1)}), flush=True)


if __name__ == "__main__":
    main()
