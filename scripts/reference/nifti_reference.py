#!/usr/bin/env python3
"""NIfTI reference values computed by nibabel, for SemiSeg's MedIO conformance tests.

    nifti_reference.py fixtures OUTDIR   copy nibabel's own test images into OUTDIR, write one file per
                                         datatype (and scaled / 2D / NIfTI-2 variants) with nibabel, and
                                         write OUTDIR/expected.json with what nibabel reads from each.
    nifti_reference.py describe FILE     print nibabel's view of FILE as one JSON object.

The JSON per file: shape, spacing (first three zooms), affine (nibabel's img.affine), datatype (on-disk
numpy name), min, max, mean, sum of the scaled values, and for small images all values (x fastest).
"""
import json
import os
import shutil
import sys

import nibabel as nib
import numpy as np

NIBABEL_FILES = ["anatomical.nii", "example4d.nii.gz", "example_nifti2.nii.gz", "standard.nii.gz",
                 "functional.nii", "reoriented_anat_moved.nii"]


def describe(path):
    img = nib.load(path)
    data = np.asarray(img.dataobj, dtype=np.float64)  # applies scl_slope / scl_inter like get_fdata
    out = {
        "shape": [int(s) for s in img.shape],
        "spacing": [float(z) for z in img.header.get_zooms()[:3]],
        "affine": [[float(v) for v in row] for row in img.affine],
        "datatype": str(img.get_data_dtype().newbyteorder("=")),
        "min": float(data.min()), "max": float(data.max()), "mean": float(data.mean()),
        "sum": float(data.sum()),
        "qform_code": int(img.header["qform_code"]), "sform_code": int(img.header["sform_code"]),
        "version": 2 if isinstance(img, nib.Nifti2Image) else 1,
    }
    # as_closest_canonical (RAS voxel order): shape, affine and an order-sensitive checksum of channel 0
    out["axcodes"] = "".join(nib.aff2axcodes(img.affine))
    if len(img.shape) >= 3:
        canon = nib.as_closest_canonical(img)
        cdata = np.asarray(canon.dataobj, dtype=np.float64)
        c0 = cdata if cdata.ndim == 3 else cdata.reshape(cdata.shape[:3] + (-1,))[..., 0]
        i, j, k = np.meshgrid(*[np.arange(n) for n in c0.shape], indexing="ij")
        out["canonical"] = {"shape": [int(s) for s in canon.shape],
                            "affine": [[float(v) for v in row] for row in canon.affine],
                            "weighted_sum": float((c0 * (i + 2 * j + 3 * k)).sum())}
    if data.size <= 4096:
        out["values"] = [float(v) for v in data.flatten(order="F")]  # x fastest, as SemiSeg stores voxels
    return out


def make_fixtures(outdir):
    os.makedirs(outdir, exist_ok=True)
    src = os.path.join(os.path.dirname(nib.__file__), "tests", "data")
    names = []
    for name in NIBABEL_FILES:
        shutil.copyfile(os.path.join(src, name), os.path.join(outdir, name))
        names.append(name)
    rng = np.random.default_rng(0)
    affine = np.array([[0.0, -1.5, 0.1, 20.0], [2.0, 0.0, 0.0, -30.0], [0.0, 0.2, 3.0, 5.0], [0, 0, 0, 1]])
    for dt in ["uint8", "int8", "int16", "uint16", "int32", "float32", "float64"]:
        info = np.iinfo(dt) if dt.startswith(("u", "i")) else None
        lo, hi = (max(info.min, -1000), min(info.max, 1000)) if info else (-1000, 1000)
        data = rng.uniform(lo, hi, size=(5, 4, 3)).astype(dt)
        img = nib.Nifti1Image(data, affine)
        img.header.set_data_dtype(dt)
        name = f"dtype_{dt}.nii.gz"
        nib.save(img, os.path.join(outdir, name))
        names.append(name)
    # int16 with scl_slope / scl_inter (CT style) and a qform-only file
    data = rng.integers(-1024, 2000, size=(6, 5, 4)).astype(np.int16)
    img = nib.Nifti1Image(data, affine)
    img.header.set_slope_inter(0.5, -100.0)
    nib.save(img, os.path.join(outdir, "scaled_int16.nii"))
    names.append("scaled_int16.nii")
    img = nib.Nifti1Image(rng.normal(size=(4, 3, 2)).astype(np.float32), affine)
    img.set_sform(None, code=0)
    img.set_qform(affine, code=1)
    nib.save(img, os.path.join(outdir, "qform_only.nii.gz"))
    names.append("qform_only.nii.gz")
    img = nib.Nifti1Image(rng.normal(size=(4, 3, 2)).astype(np.float32), affine)
    img.set_sform(None, code=0)
    img.set_qform(None, code=0)
    nib.save(img, os.path.join(outdir, "pixdim_only.nii"))
    names.append("pixdim_only.nii")
    img = nib.Nifti1Image(rng.integers(0, 3, size=(7, 6, 1)).astype(np.uint8), np.diag([0.7, 0.7, 1.0, 1.0]))
    nib.save(img, os.path.join(outdir, "slice2d.nii.gz"))
    names.append("slice2d.nii.gz")
    img = nib.Nifti2Image(rng.normal(size=(4, 3, 2, 2)).astype(np.float64), affine)
    nib.save(img, os.path.join(outdir, "nifti2_float64_4d.nii"))
    names.append("nifti2_float64_4d.nii")
    img = nib.Nifti1Image(rng.integers(0, 200, size=(7, 6)).astype(np.int16), np.diag([0.5, 0.6, 1.0, 1.0]))
    nib.save(img, os.path.join(outdir, "ndim2.nii"))  # a true 2D file: dim[0] = 2
    names.append("ndim2.nii")
    permuted = np.array([[0.0, 0.0, -2.0, 30.0], [1.5, 0.0, 0.0, -20.0], [0.0, -3.0, 0.0, 10.0], [0, 0, 0, 1]])
    img = nib.Nifti1Image(rng.normal(size=(5, 4, 3)).astype(np.float32), permuted)
    nib.save(img, os.path.join(outdir, "permuted.nii.gz"))
    names.append("permuted.nii.gz")
    expected = {name: describe(os.path.join(outdir, name)) for name in names}
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        make_fixtures(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "describe":
        print(json.dumps(describe(sys.argv[2])))
    else:
        sys.exit(__doc__)
