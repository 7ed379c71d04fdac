"""Reference readers for the tracking tests (Tests/CLITests/TrackingCLITests.swift), run with .venv-test/bin/python.

  tensorboard LOGDIR          -> JSON {"scalars": {tag: [[step, value], ...]}, "images": {tag: [[step, w, h, png_ok], ...]}}
                                 read by TensorBoard's own EventAccumulator (tensorboard.backend.event_processing).
  gif FILE                    -> JSON {"frames": n, "size": [w, h]} decoded by Pillow; also writes FILE's first
                                 frame as FILE.frame0.png.
  state-dict FILE KEYS NAME   -> JSON {"ok": bool, "problems": [...], "count": n}: FILE (safetensors, numpy) holds
                                 exactly the names, shapes and dtypes of NAME in KEYS (unet_reference_keys.json).
  odd-dataset OUT H W N       -> an MSD-layout 2D dataset of N training + 2 test slices of H x W voxels (discs on
                                 noise, int16 image, uint8 label, shape (W, H, 1) in NIfTI x, y, z order).
  nan-nifti OUT               -> a float32 NIfTI with 153 NaN, 2 +Inf and 1 -Inf voxels; prints numpy's finite
                                 min/max/mean and the counts as JSON.
"""
import io, json, os, sys
import numpy as np


def tensorboard(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from PIL import Image
    acc = EventAccumulator(logdir, size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {}, "images": {}}
    for t in tags["scalars"]:
        out["scalars"][t] = [[e.step, e.value] for e in acc.Scalars(t)]
    for t in tags["images"]:
        rows = []
        for e in acc.Images(t):
            im = Image.open(io.BytesIO(e.encoded_image_string))
            im.load()
            rows.append([e.step, e.width, e.height, list(im.size) == [e.width, e.height]])
        out["images"][t] = rows
    print(json.dumps(out))


def gif(path):
    from PIL import Image
    im = Image.open(path)
    n = 0
    size = list(im.size)
    first = im.convert("RGB")
    first.save(path + ".frame0.png")
    try:
        while True:
            n += 1
            im.seek(im.tell() + 1)
    except EOFError:
        pass
    print(json.dumps({"frames": n, "size": size, "format": im.format}))


def state_dict(path, keys, name):
    from safetensors.numpy import load_file
    sd = load_file(path)
    ref = json.load(open(keys))[name]["state"]
    problems = []
    want = {k: (tuple(s), d) for k, s, d in ref}
    for k, (shape, dtype) in want.items():
        if k not in sd:
            problems.append(f"missing {k}")
        elif tuple(sd[k].shape) != shape or str(sd[k].dtype) != dtype:
            problems.append(f"{k}: {sd[k].shape} {sd[k].dtype} vs {shape} {dtype}")
    problems += [f"unexpected {k}" for k in sd if k not in want]
    print(json.dumps({"ok": not problems, "problems": problems, "count": len(sd)}))


def odd_dataset(out, h, w, n):
    import nibabel as nib
    rng = np.random.default_rng(0)
    os.makedirs(out, exist_ok=True)
    for d in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"]:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    names = [f"odd_{i:03d}.nii.gz" for i in range(n + 2)]
    yy, xx = np.mgrid[0:h, 0:w]
    for i, name in enumerate(names):
        cy, cx, r = rng.uniform(0.3 * h, 0.7 * h), rng.uniform(0.3 * w, 0.7 * w), rng.uniform(0.1, 0.2) * min(h, w)
        lab = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r).astype(np.uint8)
        img = (200 * lab + rng.normal(0, 40, size=(h, w)) - 100).astype(np.int16)
        split = "Tr" if i < n else "Ts"
        aff = np.diag([0.8, 0.8, 1.0, 1.0])
        # NIfTI order (x = column, y = row, z = 1).
        nib.save(nib.Nifti1Image(img.T[:, :, None], aff), os.path.join(out, f"images{split}", name))
        nib.save(nib.Nifti1Image(lab.T[:, :, None], aff), os.path.join(out, f"labels{split}", name))
    ds = {"name": "OddSize", "description": "discs on noise, odd slice size", "tensorImageSize": "3D",
          "modality": {"0": "MRI"}, "labels": {"0": "background", "1": "disc"}, "numTraining": n, "numTest": 2,
          "training": [{"image": f"./imagesTr/{x}", "label": f"./labelsTr/{x}"} for x in names[:n]],
          "test": [f"./imagesTs/{x}" for x in names[n:]]}
    json.dump(ds, open(os.path.join(out, "dataset.json"), "w"), indent=1)


def nan_nifti(out):
    import nibabel as nib
    rng = np.random.default_rng(1)
    a = rng.normal(50, 10, size=(20, 16, 4)).astype(np.float32)
    flat = a.reshape(-1)
    idx = rng.permutation(flat.size)
    flat[idx[:153]] = np.nan
    flat[idx[153:155]] = np.inf
    flat[idx[155]] = -np.inf
    nib.save(nib.Nifti1Image(a, np.eye(4)), out)
    fin = a[np.isfinite(a)]
    print(json.dumps({"min": float(fin.min()), "max": float(fin.max()), "mean": float(fin.astype(np.float64).mean()),
                      "nan_count": int(np.isnan(a).sum()), "inf_count": int(np.isinf(a).sum())}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tensorboard": tensorboard(*args)
    elif cmd == "gif": gif(*args)
    elif cmd == "state-dict": state_dict(*args)
    elif cmd == "odd-dataset": odd_dataset(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "nan-nifti": nan_nifti(*args)
    else: print(__doc__); sys.exit(2)
