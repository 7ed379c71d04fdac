#!/usr/bin/env bash
# Ratio of SemiSeg's benchmark U-Net step to the PyTorch CPU reference, measured in one go so machine load hits both.
#
#   scripts/bench-vs-torch.sh [NET ...]        NET: unet2d-s16 (default), unet3d-s8, unet3d-s8-sliding
#   ROUNDS=3 THREADS=2 SEMISEG=.build/release/semiseg TORCH_PY=/tmp/torchref/bin/python scripts/bench-vs-torch.sh
#   SLIDING=96,384,384 scripts/bench-vs-torch.sh unet3d-s8-sliding
#
# Runs, ROUNDS times alternately, `semiseg bench --json --net NET` and the reference network of
# ../shared/bench/torch_unet_step.py (each in its own process under /usr/bin/time -f %M for the peak RSS), then
# prints the median train step, inference and peak RSS of each and the ratios ours / PyTorch (lower is better), plus
# the CPU seconds (user + system, all threads) of the train step and the inference pass, which a loaded machine barely
# changes (the PyTorch side runs scripts/reference/torch_unet_timed.py: torch_unet_step.py's network and step, both clocks).
# unet3d-s8-sliding compares `semiseg bench --net unet3d-s8 --sliding $SLIDING` (Gaussian sliding window, patch
# 64x128x128, overlap 0.5) with MONAI's sliding_window_inference on the same network (scripts/reference/monai_sliding.py).
# Not part of `make test`: it needs PyTorch and MONAI (python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install
# torch numpy monai) and exits 0 with a message when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
SEMISEG=${SEMISEG:-.build/release/semiseg}
TORCH_PY=${TORCH_PY:-/tmp/torchref/bin/python}
TORCH_REF=${TORCH_REF:-../shared/bench}
SLIDING=${SLIDING:-96,384,384}
NETS=("$@")
[ ${#NETS[@]} -gt 0 ] || NETS=(unet2d-s16)

if [ ! -x "$TORCH_PY" ] || ! "$TORCH_PY" -c "import torch" 2>/dev/null; then
    echo "bench-vs-torch: skipped: no PyTorch at $TORCH_PY (python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch numpy)"
    exit 0
fi
if [ ! -f "$TORCH_REF/torch_unet_step.py" ]; then
    echo "bench-vs-torch: skipped: no $TORCH_REF/torch_unet_step.py (set TORCH_REF to the folder holding it)"
    exit 0
fi
if [ ! -x "$SEMISEG" ]; then
    echo "error: $SEMISEG: not built (make release)" >&2
    exit 1
fi
if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time: missing (apt-get install time)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for net in "${NETS[@]}"; do
    case "$net" in
        unet3d-s8 | unet2d-s16) ;;
        unet3d-s8-sliding)
            if ! "$TORCH_PY" -c "import monai" 2>/dev/null; then
                echo "bench-vs-torch: $net skipped: no MONAI at $TORCH_PY ($TORCH_PY -m pip install monai)"
                continue
            fi ;;
        *) echo "error: $net: unknown network (unet3d-s8, unet2d-s16 or unet3d-s8-sliding)" >&2; exit 1 ;;
    esac
    : >"$tmp/ours.txt"; : >"$tmp/torch.txt"
    for r in $(seq 1 "$ROUNDS"); do
        if [ "$net" = unet3d-s8-sliding ]; then
            /usr/bin/time -f "RSS_KB %M" -o "$tmp/time" "$SEMISEG" bench --json --net unet3d-s8 --sliding "$SLIDING" --reps 1 \
                --threads "$THREADS" >"$tmp/out"
        else
            /usr/bin/time -f "RSS_KB %M" -o "$tmp/time" "$SEMISEG" bench --json --net "$net" --threads "$THREADS" >"$tmp/out"
        fi
        echo "$(grep '^{' "$tmp/out") $(cat "$tmp/time")" >>"$tmp/ours.txt"
        if [ "$net" = unet3d-s8-sliding ]; then
            /usr/bin/time -f "RSS_KB %M" -o "$tmp/time" "$TORCH_PY" scripts/reference/monai_sliding.py --torch-ref "$TORCH_REF" \
                --volume "$SLIDING" --threads "$THREADS" >"$tmp/out"
        else
            /usr/bin/time -f "RSS_KB %M" -o "$tmp/time" "$TORCH_PY" scripts/reference/torch_unet_timed.py "$TORCH_REF" "$net" \
                "$THREADS" >"$tmp/out"
        fi
        echo "$(grep '^{' "$tmp/out") $(cat "$tmp/time")" >>"$tmp/torch.txt"
        echo "round $r: ours $(tail -1 "$tmp/ours.txt")"
        echo "round $r: torch $(tail -1 "$tmp/torch.txt")"
    done
    python3 - "$net" "$tmp/ours.txt" "$tmp/torch.txt" <<'EOF'
import json, statistics, sys
net, ours_path, torch_path = sys.argv[1:4]
def load(path):
    rows = []
    for line in open(path):
        js, _, rss = line.rpartition(" RSS_KB ")
        d = json.loads(js)
        d["rss_mb"] = int(rss) / 1024
        rows.append(d)
    keys = ("train_step_s", "infer_s", "train_cpu_s", "infer_cpu_s", "rss_mb")
    return {k: statistics.median(r[k] for r in rows) for k in keys if k in rows[0]}
o, t = load(ours_path), load(torch_path)
print(f"{net}: medians over {sum(1 for _ in open(ours_path))} alternating rounds" + (" (reference: MONAI)" if "sliding" in net else ""))
for k, label in (("train_step_s", "train step s"), ("infer_s", "inference s"), ("train_cpu_s", "train CPU s"),
                 ("infer_cpu_s", "infer CPU s"), ("rss_mb", "peak RSS MB")):
    if k in o and k in t:
        print(f"  {label:13s} ours {o[k]:9.3f}  torch {t[k]:9.3f}  ratio {o[k] / t[k]:.2f}x")
EOF
done
