"""Checkerboard artifacts of transposed-convolution upsampling against resize-convolution (nearest x2 + conv3), as
Odena, Dumoulin & Olah (2016) describe: the foreground probability of one test case from two runs that differ only in
`--upsampling`, drawn side by side (docs/images/checkerboard.png), and a number for each: the share of the map's
spectral power (mean removed) at the Nyquist frequencies of a stride-2 grid (rows/columns H/2, W/2 of the 2D FFT), and
the mean 2x2 alternation |p[i,j] - p[i+1,j] - p[i,j+1] + p[i+1,j+1]|.

Usage: python checkerboard_figure.py PRED_TRANSPOSED PRED_RESIZE CASE OUT.png   (PRED_*: `semiseg predict --probabilities`
output folders; CASE: file name under probabilities/). Needs numpy, nibabel, matplotlib (.venv-test).
"""
import sys
import numpy as np
import nibabel as nib
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load(folder, case):
    p = np.asarray(nib.load(f"{folder}/probabilities/{case}").dataobj, dtype=np.float64)
    p = p.reshape(p.shape[0], p.shape[1], -1)  # x, y, (z * classes) for 2D data
    return p[:, :, -1].T  # foreground probability of a 2-class run, rows = y


def nyquist_share(p):
    q = p - p.mean()
    f = np.abs(np.fft.fft2(q)) ** 2
    h, w = q.shape
    nyq = f[h // 2, :].sum() + f[:, w // 2].sum() - f[h // 2, w // 2]
    return nyq / max(f.sum(), 1e-30)


def alternation(p):
    """Mean |p[i,j] - p[i+1,j] - p[i,j+1] + p[i+1,j+1]| over the map: the 2x2 checkerboard component."""
    d = p[:-1, :-1] - p[1:, :-1] - p[:-1, 1:] + p[1:, 1:]
    return float(np.abs(d).mean())


def main():
    a_dir, b_dir, case, out = sys.argv[1:5]
    a, b = load(a_dir, case), load(b_dir, case)
    rows = []
    for name, p in (("transposed conv", a), ("nearest x2 + conv3", b)):
        rows.append((name, nyquist_share(p), alternation(p)))
        print(f"{name}: Nyquist power share {rows[-1][1]:.4f}, 2x2 alternation {rows[-1][2]:.2e}")
    fig, ax = plt.subplots(2, 2, figsize=(8, 8))
    h, w = a.shape
    crop = (slice(h // 4, h // 4 + h // 4), slice(w // 4, w // 4 + w // 4))
    for col, (p, (name, share, alt)) in enumerate(zip((a, b), rows)):
        ax[0, col].imshow(p, cmap="magma", vmin=0, vmax=1)
        ax[0, col].set_title(f"{name}\nNyquist share {share:.3f}, alternation {alt:.1e}", fontsize=9)
        z = p[crop]
        ax[1, col].imshow(z, cmap="magma", vmin=z.min(), vmax=max(z.max(), z.min() + 1e-6), interpolation="nearest")
        ax[1, col].set_title("zoom (contrast stretched)", fontsize=9)
        for r in (0, 1): ax[r, col].axis("off")
    fig.suptitle(f"foreground probability, {case}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    print("wrote", out)


if __name__ == "__main__":
    main()
