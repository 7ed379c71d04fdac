#!/usr/bin/env python3
"""Reference constants for Tests/EvaluationTests (SemiSeg Evaluation module).

Run:  /tmp/torchref/bin/python scripts/reference/eval_reference.py \
          > Tests/EvaluationTests/Fixtures/eval_reference.json
Needs numpy, scipy, medpy (checked with numpy 2.4.6, scipy 1.17.1, medpy 0.5.2).

Masks are stored as run-lengths over the row-major flat index: [start0, len0, start1, len1, ...].
Shapes and spacings are in array-axis order ([D, H, W] or [H, W]); spacing in mm.
A metric that medpy refuses (RuntimeError on an empty mask) is stored as null.
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy import ndimage, stats
import medpy
from medpy.metric import binary as mb


def runs(mask):
    flat = np.asarray(mask, dtype=bool).ravel()
    out = []
    i, n = 0, flat.size
    idx = np.flatnonzero(flat)
    if idx.size == 0:
        return out
    # split contiguous index groups
    breaks = np.flatnonzero(np.diff(idx) != 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    for s, e in zip(starts, ends):
        out += [int(s), int(e - s + 1)]
    return out


def blob(rng, shape, sigma, thresh):
    noise = rng.standard_normal(shape)
    sm = ndimage.gaussian_filter(noise, sigma)
    sm = (sm - sm.mean()) / (sm.std() + 1e-12)
    return sm > thresh


def fnum(v):
    """float, with NaN (numpy 0/0) written as null so the JSON stays standard."""
    v = float(v)
    return None if np.isnan(v) else v


def safe(f, *a, **k):
    try:
        return fnum(f(*a, **k))
    except RuntimeError:
        return None


def binary_entry(name, pred, ref, spacing):
    pred = pred.astype(bool)
    ref = ref.astype(bool)
    tp = int(np.count_nonzero(pred & ref))
    fp = int(np.count_nonzero(pred & ~ref))
    fn = int(np.count_nonzero(~pred & ref))
    tn = int(pred.size - tp - fp - fn)
    asd_pr = safe(mb.asd, pred, ref, voxelspacing=spacing)
    asd_rp = safe(mb.asd, ref, pred, voxelspacing=spacing)
    e = {
        "name": name,
        "shape": list(pred.shape),
        "spacing": list(map(float, spacing)),
        "pred": runs(pred),
        "ref": runs(ref),
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        # medpy returns 1.0 for both-empty dc/jc and 0.0 for 0/0 precision/recall; SemiSeg maps those to null.
        "dc": fnum(mb.dc(pred, ref)),
        "jc": fnum(mb.jc(pred, ref)),
        "precision": fnum(mb.precision(pred, ref)),
        "recall": fnum(mb.recall(pred, ref)),
        "hd95": safe(mb.hd95, pred, ref, voxelspacing=spacing),
        # medpy 0.5 assd: mean over the pooled surface distances of both directions.
        "assd_pooled": safe(mb.assd, pred, ref, voxelspacing=spacing),
        # medpy <= 0.4 assd (SSL4MIS papers): mean of the two directed average surface distances.
        "assd": None if asd_pr is None or asd_rp is None else 0.5 * (asd_pr + asd_rp),
        "asd_pred_to_ref": asd_pr,
        "asd_ref_to_pred": asd_rp,
    }
    return e


def binary_cases():
    rng = np.random.default_rng(20261122)
    out = []
    configs3d = [
        ((20, 24, 28), (2.5, 0.8, 0.7), 2.0),
        ((16, 16, 16), (1.0, 1.0, 1.0), 1.5),
        ((12, 30, 18), (3.0, 0.6, 1.1), 2.5),
        ((20, 24, 28), (2.5, 0.8, 0.7), 3.0),
    ]
    for k, (shape, sp, sigma) in enumerate(configs3d):
        ref = blob(rng, shape, sigma, 0.5)
        # prediction: a perturbed version (same field + extra noise) so the masks overlap partially
        pred = blob(rng, shape, sigma, 0.8) | (ref & (rng.random(shape) > 0.1))
        pred = ndimage.binary_opening(pred) if k % 2 == 0 else pred
        out.append(binary_entry(f"blob3d_{k}", pred, ref, sp))
        out.append(binary_entry(f"blob3d_{k}_unrelated", blob(rng, shape, sigma, 1.0), ref, sp))
    configs2d = [((40, 50), (0.9, 1.3), 2.0), ((64, 64), (1.0, 1.0), 3.0), ((33, 17), (0.5, 2.0), 1.5)]
    for k, (shape, sp, sigma) in enumerate(configs2d):
        ref = blob(rng, shape, sigma, 0.3)
        pred = blob(rng, shape, sigma, 0.6) | (ref & (rng.random(shape) > 0.2))
        out.append(binary_entry(f"blob2d_{k}", pred, ref, sp))
    shape, sp = (20, 24, 28), (2.5, 0.8, 0.7)
    ref = blob(rng, shape, 2.0, 0.5)
    empty = np.zeros(shape, bool)
    one = np.zeros(shape, bool); one[7, 3, 20] = True
    one2 = np.zeros(shape, bool); one2[0, 23, 0] = True
    full = np.ones(shape, bool)
    out.append(binary_entry("empty_pred", empty, ref, sp))
    out.append(binary_entry("empty_ref", ref, empty, sp))
    out.append(binary_entry("both_empty", empty, empty, sp))
    out.append(binary_entry("single_voxel_pred", one, ref, sp))
    out.append(binary_entry("single_voxel_both", one, one2, sp))
    out.append(binary_entry("single_voxel_same", one, one, sp))
    out.append(binary_entry("full_vs_blob", full, ref, sp))
    s2, sp2 = (40, 50), (0.9, 1.3)
    r2 = blob(rng, s2, 2.0, 0.3)
    e2 = np.zeros(s2, bool)
    p2 = np.zeros(s2, bool); p2[0, 0] = True
    out.append(binary_entry("empty_pred_2d", e2, r2, sp2))
    out.append(binary_entry("single_pixel_corner_2d", p2, r2, sp2))
    return out


def wilcoxon_cases():
    rng = np.random.default_rng(7)
    samples = []
    samples.append(("n8_exact", rng.normal(0.8, 0.05, 8), rng.normal(0.78, 0.05, 8)))
    samples.append(("n20_exact", rng.normal(0.8, 0.05, 20), rng.normal(0.77, 0.05, 20)))
    samples.append(("n25_exact", rng.normal(0, 1, 25), rng.normal(0.3, 1, 25)))
    samples.append(("n40_noties", rng.normal(0, 1, 40), rng.normal(0.2, 1, 40)))
    samples.append(("n60_noties", rng.normal(0, 1, 60), rng.normal(0.25, 1, 60)))
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], float)
    y = np.array([1, 1, 2, 5, 3, 8, 5, 5, 4, 12, 9, 9], float)
    samples.append(("n12_ties_zeros", x, y))  # zeros and tied |d|
    a = np.round(rng.normal(0, 2, 30)); b = np.round(rng.normal(0.5, 2, 30))
    samples.append(("n30_ties_zeros", a, b))
    a = np.round(rng.normal(0, 2, 80)); b = np.round(rng.normal(0.4, 2, 80))
    samples.append(("n80_ties_zeros", a, b))
    a = np.round(rng.normal(0, 3, 10)); b = np.round(rng.normal(1, 3, 10))
    samples.append(("n10_ties", a, b))
    samples.append(("n6_all_positive", np.array([5., 6, 7, 8, 9, 10]), np.array([1., 2, 3, 4, 5, 6.5])))
    out = []
    for name, x, y in samples:
        e = {"name": name, "x": [float(v) for v in x], "y": [float(v) for v in y]}
        for method in ["auto", "exact", "asymptotic"]:
            d = x - y
            if method == "exact" and (np.any(d == 0) or len(np.unique(np.abs(d))) != len(d)):
                continue
            r = stats.wilcoxon(x, y, method=method)
            e[method] = {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}
        out.append(e)
    return out


def semantic_cases():
    """Confusion-matrix summary as in the FCN/DeepLab `label_accuracy_score` (all pixels of all cases)."""
    rng = np.random.default_rng(3)
    C = 3
    cases = []
    hist = np.zeros((C, C), np.int64)  # rows = ground truth, cols = prediction
    for k in range(3):
        shape = (30, 40)
        gt = np.zeros(shape, np.uint8)
        gt[blob(rng, shape, 3.0, 0.0)] = 1
        gt[blob(rng, shape, 2.0, 1.0)] = 2
        pred = gt.copy()
        noise = rng.random(shape)
        pred[noise < 0.15] = rng.integers(0, C, size=int((noise < 0.15).sum()))
        hist += np.bincount(C * gt.ravel().astype(int) + pred.ravel(), minlength=C * C).reshape(C, C)
        cases.append({"shape": list(shape), "gt": gt.ravel().tolist(), "pred": pred.ravel().tolist()})
    diag = np.diag(hist).astype(float)
    acc = diag.sum() / hist.sum()
    acc_cls = diag / hist.sum(axis=1)
    iu = diag / (hist.sum(axis=1) + hist.sum(axis=0) - diag)
    dice = 2 * diag / (hist.sum(axis=1) + hist.sum(axis=0))
    freq = hist.sum(axis=1) / hist.sum()
    fwiou = (freq[freq > 0] * iu[freq > 0]).sum()
    return {
        "classes": C, "cases": cases, "confusion": hist.tolist(),
        "overall_accuracy": float(acc), "mean_accuracy": float(np.nanmean(acc_cls)),
        "mean_iou": float(np.nanmean(iu)), "mean_dice": float(np.nanmean(dice)),
        "frequency_weighted_iou": float(fwiou),
        "iou": iu.tolist(), "dice": dice.tolist(),
    }


def main():
    warnings.simplefilter("ignore", RuntimeWarning)  # numpy 0/0 in medpy dc/precision/recall
    doc = {
        "generator": "scripts/reference/eval_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "medpy": getattr(medpy, "__version__", "?")},
        "binary": binary_cases(),
        "wilcoxon": wilcoxon_cases(),
        "semantic": semantic_cases(),
    }
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
