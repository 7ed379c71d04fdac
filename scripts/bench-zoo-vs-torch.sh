#!/usr/bin/env bash
# Ratio of SemiSeg's zoo networks to their PyTorch reference modules (scripts/reference/zoo_reference.py) on this
# machine: one training step (forward + cross-entropy + backward + Adam) and one inference pass, same network, width,
# input and thread count, measured alternately ROUNDS times so machine load hits both; medians and ours / PyTorch.
#
#   scripts/bench-zoo-vs-torch.sh [NET:DIMS ...]      default: vnet:2 vnet:3 attention-unet:2 attention-unet:3 unetpp:2 unetpp:3
#                                                     deeplabv3:2 deeplabv3:3 deeplabv3plus:2 deeplabv3plus:3 dilated-fcn:2
#                                                     dilated-fcn:3 segnet:2 segnet:3
#   ROUNDS=3 THREADS=2 SEMISEG=.build/release/semiseg TORCH_PY=/tmp/torchref/bin/python scripts/bench-zoo-vs-torch.sh
#   INPUT2D=4,1,128,128 BASE2D=16 INPUT3D=1,1,32,64,64 BASE3D=8 (depth 4, batch norm, 2 classes; DeepLab runs a batch
#   of 1 at 2: its image pooling gives one value per channel, which PyTorch's BatchNorm cannot train on)
#
# Not part of `make test`: it needs PyTorch (python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch
# numpy safetensors) and exits 0 with a message when it is missing. Prints one line per network and a JSON line each.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
SEMISEG=${SEMISEG:-.build/release/semiseg}
TORCH_PY=${TORCH_PY:-/tmp/torchref/bin/python}
INPUT2D=${INPUT2D:-4,1,128,128}
INPUT3D=${INPUT3D:-1,1,32,64,64}
BASE2D=${BASE2D:-16}
BASE3D=${BASE3D:-8}
NETS=("$@")
[ ${#NETS[@]} -gt 0 ] || NETS=(vnet:2 vnet:3 attention-unet:2 attention-unet:3 unetpp:2 unetpp:3 deeplabv3:2 deeplabv3:3
                               deeplabv3plus:2 deeplabv3plus:3 dilated-fcn:2 dilated-fcn:3 segnet:2 segnet:3)

if [ ! -x "$TORCH_PY" ] || ! "$TORCH_PY" -c "import torch, safetensors" 2>/dev/null; then
    echo "bench-zoo-vs-torch: skipped: no PyTorch + safetensors at $TORCH_PY"
    exit 0
fi
if [ ! -x "$SEMISEG" ]; then
    echo "error: $SEMISEG: not built (make release)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }  # ours: "k":v, json.dumps: "k": v

for item in "${NETS[@]}"; do
    net=${item%%:*}; dims=${item##*:}
    if [ "$dims" = 2 ]; then input=$INPUT2D; base=$BASE2D; else input=$INPUT3D; base=$BASE3D; fi
    # DeepLab's image-pooling branch normalises a 1x1(x1) map: at batch 1 that is one value per channel, which
    # PyTorch's BatchNorm refuses to train on (it stopped the whole run); such inputs run at batch 2 (said below).
    if [[ $net == deeplab* ]] && [ "${input%%,*}" = 1 ]; then
        input="2,${input#*,}"
        echo "$net ${dims}D: batch 1 -> 2 (PyTorch's BatchNorm cannot train on the 1x1 image-pooling map of one sample)" >&2
    fi
    : >"$tmp/ours.txt"; : >"$tmp/torch.txt"
    for _ in $(seq 1 "$ROUNDS"); do
        "$SEMISEG" bench --json --net "$net" --dims "$dims" --base "$base" --input "$input" --threads "$THREADS" --reps "$REPS" >>"$tmp/ours.txt"
        "$TORCH_PY" scripts/reference/zoo_timed.py "$net" "$dims" "$base" "$input" "$THREADS" "$REPS" >>"$tmp/torch.txt"
    done
    ot=$(field train_step_s <"$tmp/ours.txt" | median); oi=$(field infer_s <"$tmp/ours.txt" | median)
    tt=$(field train_step_s <"$tmp/torch.txt" | median); ti=$(field infer_s <"$tmp/torch.txt" | median)
    op=$(field params <"$tmp/ours.txt" | head -1); tp=$(field params <"$tmp/torch.txt" | head -1)
    rt=$(awk -v a="$ot" -v b="$tt" 'BEGIN {printf "%.2f", a / b}'); ri=$(awk -v a="$oi" -v b="$ti" 'BEGIN {printf "%.2f", a / b}')
    printf '%-16s %dD base %-3s input %-14s train step %.3f s vs PyTorch %.3f s (ratio %s)  inference %.3f s vs %.3f s (ratio %s)  params %s / %s\n' \
        "$net" "$dims" "$base" "$input" "$ot" "$tt" "$rt" "$oi" "$ti" "$ri" "$op" "$tp"
    printf '{"net":"%s","dims":%d,"base":%d,"input":"%s","threads":%d,"train_step_s":%s,"torch_train_step_s":%s,"train_ratio":%s,"infer_s":%s,"torch_infer_s":%s,"infer_ratio":%s,"params":%s}\n' \
        "$net" "$dims" "$base" "$input" "$THREADS" "$ot" "$tt" "$rt" "$oi" "$ti" "$ri" "$op"
done
