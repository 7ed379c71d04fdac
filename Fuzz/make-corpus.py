#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: small valid NIfTI files and MSD dataset.json inputs (Python stdlib only).

    python3 Fuzz/make-corpus.py            # rewrites Fuzz/corpus/nifti/ and Fuzz/corpus/msd/
    python3 Fuzz/make-corpus.py --review-regressions   # rewrites Fuzz/regressions/*/review-* (see README there)

Fuzz/corpus/nifti/: NIfTI-1 and NIfTI-2, every datatype SemiSeg reads (uint8 int8 int16 uint16 int32 uint32
int64 uint64 float32 float64), 1D/2D/3D/4D (and a 5D file whose 5th dim is 1), little- and big-endian,
sform / qform / pixdim-only geometry, scl_slope/scl_inter, a header extension, NaN voxels; as .nii and
.nii.gz (the NIfTI harness treats an input starting with 1f 8b as a .nii.gz file).
Fuzz/corpus/msd/: dataset.json variants (MSD and nnU-Net v2 keys, both label styles, test as strings or
objects, no training list), each followed by a NUL byte and a label map for the harness's case `fuzz`
(4x4x4, same grid as its fixed image: spacing 0.8 x 0.8 x 2.5 mm, origin (-10, 5, 3)).
The output is deterministic (gzip mtime 0), so re-running it leaves git clean.
"""
import gzip
import io
import json
import math
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {  # name: (code, bitpix, struct format)
    "uint8": (2, 8, "B"), "int16": (4, 16, "h"), "int32": (8, 32, "i"), "float32": (16, 32, "f"),
    "float64": (64, 64, "d"), "int8": (256, 8, "b"), "uint16": (512, 16, "H"), "uint32": (768, 32, "I"),
    "int64": (1024, 64, "q"), "uint64": (1280, 64, "Q"),
}


def quaternion(spacing, flip_x=False):
    """(b, c, d, qfac) for an axis-aligned grid; flip_x is a 180-degree turn about z (LPS-like)."""
    return (0.0, 0.0, 1.0, 1.0) if flip_x else (0.0, 0.0, 0.0, 1.0)


def values(dtype, n):
    code, bitpix, fmt = DTYPES[dtype]
    if fmt in "fd":
        return [(-1) ** i * (i * 1.5 - 3.25) for i in range(n)]
    lo = {"B": 0, "H": 0, "I": 0, "Q": 0}.get(fmt, -5)
    return [lo + (i * 7) % 11 for i in range(n)]


def nifti(version, dtype, dims, *, endian="<", sform=True, qform=True, slope=0.0, inter=0.0,
          spacing=(0.8, 0.9, 2.5), origin=(-10.0, 5.0, 3.0), extension=None, data=None, flip_x=False, srow=None):
    """Bytes of a single-file NIfTI-1 (n+1) or NIfTI-2 (n+2) image. dims: [nx, ny, ...] (1 to 7 entries)."""
    code, bitpix, fmt = DTYPES[dtype]
    nvox = 1
    for d in dims:
        nvox *= d
    data = values(dtype, nvox) if data is None else data
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    pixdim = [1.0, *spacing, 1.0, 1.0, 1.0, 1.0]
    b, c, d, qfac = quaternion(spacing, flip_x)
    pixdim[0] = qfac
    sx = -spacing[0] if flip_x else spacing[0]
    sy = -spacing[1] if flip_x else spacing[1]
    srow = srow or [[sx, 0, 0, origin[0]], [0, sy, 0, origin[1]], [0, 0, spacing[2], origin[2]]]
    ext = b""
    if extension is not None:
        body = extension + b"\0" * (-(len(extension) + 8) % 16)
        ext = struct.pack(endian + "ii", len(body) + 8, 6) + body  # ecode 6: comment
    ext_flag = bytes([1 if ext else 0, 0, 0, 0])
    e = endian
    if version == 1:
        vox_offset = 352 + len(ext)
        h = bytearray(348)
        struct.pack_into(e + "i", h, 0, 348)
        struct.pack_into(e + "8h", h, 40, *dim)
        struct.pack_into(e + "hh", h, 70, code, bitpix)
        struct.pack_into(e + "8f", h, 76, *pixdim)
        struct.pack_into(e + "f", h, 108, vox_offset)
        struct.pack_into(e + "ff", h, 112, slope, inter)
        h[123] = 2 | 8  # xyzt_units: mm, s
        struct.pack_into(e + "hh", h, 252, 1 if qform else 0, 1 if sform else 0)
        struct.pack_into(e + "6f", h, 256, b, c, d, *origin)
        for k in range(3):
            struct.pack_into(e + "4f", h, 280 + 16 * k, *srow[k])
        h[344:348] = b"n+1\0"
    else:
        vox_offset = 544 + len(ext)
        h = bytearray(540)
        struct.pack_into(e + "i", h, 0, 540)
        h[4:12] = b"n+2\0\r\n\x1a\n"
        struct.pack_into(e + "hh", h, 12, code, bitpix)
        struct.pack_into(e + "8q", h, 16, *dim)
        struct.pack_into(e + "8d", h, 104, *pixdim)
        struct.pack_into(e + "q", h, 168, vox_offset)
        struct.pack_into(e + "dd", h, 176, slope, inter)
        struct.pack_into(e + "ii", h, 344, 1 if qform else 0, 1 if sform else 0)
        struct.pack_into(e + "6d", h, 352, b, c, d, *origin)
        for k in range(3):
            struct.pack_into(e + "4d", h, 400 + 32 * k, *srow[k])
        struct.pack_into(e + "i", h, 500, 2 | 8)
    body = struct.pack(e + str(nvox) + fmt, *data)
    return bytes(h) + ext_flag + ext + body


def gz(raw):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0, filename="") as f:
        f.write(raw)
    return out.getvalue()


def write(folder, name, raw):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(raw)


def nifti_corpus(folder):
    for dtype in DTYPES:
        write(folder, f"n1-{dtype}-3d.nii", nifti(1, dtype, [3, 2, 2]))
    for dtype in ("uint8", "int16", "float32", "float64", "uint64"):
        write(folder, f"n2-{dtype}-3d.nii", nifti(2, dtype, [3, 2, 2]))
    write(folder, "n1-uint8-1d.nii", nifti(1, "uint8", [5]))
    write(folder, "n1-int16-2d.nii", nifti(1, "int16", [4, 3]))
    write(folder, "n1-float32-4d.nii", nifti(1, "float32", [2, 2, 2, 3]))
    write(folder, "n1-int16-5d.nii", nifti(1, "int16", [2, 2, 1, 2, 1]))
    write(folder, "n2-float32-4d.nii", nifti(2, "float32", [2, 3, 2, 2]))
    write(folder, "n1-int16-bigendian.nii", nifti(1, "int16", [3, 2, 2], endian=">"))
    write(folder, "n2-float64-bigendian.nii", nifti(2, "float64", [2, 2, 2], endian=">"))
    write(folder, "n1-int16-scaled.nii", nifti(1, "int16", [3, 2, 2], slope=0.5, inter=-1024.0))
    write(folder, "n2-uint16-scaled.nii", nifti(2, "uint16", [3, 2, 2], slope=2.0, inter=10.0))
    write(folder, "n1-uint8-qform-only-lps.nii", nifti(1, "uint8", [3, 2, 2], sform=False, flip_x=True))
    write(folder, "n1-uint8-pixdim-only.nii", nifti(1, "uint8", [3, 2, 2], sform=False, qform=False))
    write(folder, "n1-uint8-sform-lps.nii", nifti(1, "uint8", [3, 2, 2], qform=False, flip_x=True))
    write(folder, "n1-float32-extension.nii", nifti(1, "float32", [2, 2, 2], extension=b"semiseg fuzz seed"))
    write(folder, "n2-int16-extension.nii", nifti(2, "int16", [2, 2, 2], extension=b"semiseg fuzz seed"))
    nan = [math.nan, 1.0, math.inf, -2.0, 0.5, -math.inf, 3.0, 4.0]
    write(folder, "n1-float32-nan.nii", nifti(1, "float32", [2, 2, 2], data=nan))
    write(folder, "n1-float64-nan.nii.gz", gz(nifti(1, "float64", [2, 2, 2], data=nan)))
    write(folder, "n1-uint8-3d.nii.gz", gz(nifti(1, "uint8", [4, 4, 2])))
    write(folder, "n1-int16-4d.nii.gz", gz(nifti(1, "int16", [2, 2, 2, 2])))
    write(folder, "n2-float32-3d.nii.gz", gz(nifti(2, "float32", [3, 3, 2])))
    write(folder, "n2-int8-2d.nii.gz", gz(nifti(2, "int8", [4, 4])))


# The harness's fixed image imagesTr/fuzz.nii: 4x4x4, sform = diag(0.8, 0.8, 2.5), origin (-10, 5, 3).
FUZZ_GRID = dict(spacing=(0.8, 0.8, 2.5), origin=(-10.0, 5.0, 3.0))


def msd_corpus(folder):
    label = nifti(1, "uint8", [4, 4, 4], data=[i % 3 for i in range(64)], **FUZZ_GRID)
    training = [{"image": "./imagesTr/case_a.nii.gz", "label": "./labelsTr/case_a.nii.gz"},
                {"image": "./imagesTr/fuzz.nii", "label": "./labelsTr/fuzz.nii"}]
    base = {"name": "Fuzz", "tensorImageSize": "3D", "modality": {"0": "CT"},
            "labels": {"0": "background", "1": "organ", "2": "lesion"},
            "numTraining": 2, "numTest": 1, "training": training, "test": ["./imagesTs/case_c.nii.gz"]}
    seeds = {
        "msd-valid": base,
        "nnunet-v2": {"channel_names": {"0": "CT"}, "labels": {"background": 0, "organ": 1, "lesion": 2},
                      "training": training, "test": [{"image": "imagesTs/case_c.nii.gz"}]},
        "two-channels": dict(base, tensorImageSize="4D", modality={"0": "FLAIR", "1": "T1w"},
                             training=[{"image": "imagesTr/case_b.nii", "label": "labelsTr/case_b.nii"}]),
        "no-training-list": {"labels": {"0": "background", "1": "organ", "2": "lesion"}},
        "mismatch": dict(base, training=training + [{"image": "imagesTr/case_mis.nii", "label": "labelsTr/case_mis.nii"}]),
        "undeclared-label": dict(base, labels={"0": "background"}),
        "resource-fork": dict(base, training=training + [{"image": "imagesTr/._case_d.nii.gz", "label": "labelsTr/x.nii.gz"}]),
    }
    for name, js in seeds.items():
        write(folder, name, json.dumps(js, indent=1).encode() + b"\0" + label)
    write(folder, "label-float32", json.dumps(base).encode() + b"\0"
          + nifti(1, "float32", [4, 4, 4], data=[float(i % 2) for i in range(64)], **FUZZ_GRID))
    write(folder, "label-missing", json.dumps(base).encode())


def base_training():
    return [{"image": "imagesTr/fuzz.nii", "label": "labelsTr/fuzz.nii"}]


def review_regressions(nifti_folder, msd_folder):
    """Inputs for problems found by reading the code rather than by the fuzzer (Fuzz/regressions/*/review-*)."""
    shear = [[1.0, 1.0, 0, 0], [1.0, 0, 0, 0], [0, 0, 1.0, 0]]  # invertible, but column 2 has no free world axis
    write(nifti_folder, "review-sheared-sform.nii", nifti(1, "float32", [3, 2, 2], srow=shear))
    nan = [[math.nan, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]]
    write(nifti_folder, "review-nan-sform.nii", nifti(1, "int16", [3, 2, 2], srow=nan, flip_x=True))
    zero = [[0.0] * 4 for _ in range(3)]
    write(nifti_folder, "review-zero-sform.nii", nifti(1, "uint8", [3, 2, 2], srow=zero, qform=False))
    # Seen in a fuzz log ("** convert NIFTI-2 hdr2nim: bad version 0" on stderr); input rebuilt by hand.
    bad_version = bytearray(nifti(2, "int16", [3, 2, 2]))
    bad_version[7] = ord("X")
    write(nifti_folder, "stderr-libnifti-bad-version.nii", bytes(bad_version))
    dev = {"labels": {"0": "background", "1": "organ"},
           "training": [{"image": "/dev/zero", "label": "/dev/zero.nii"}, {"image": "imagesTr/fuzz.nii", "label": "imagesTr"}]}
    write(msd_folder, "review-device-paths", json.dumps(dev).encode())
    fraction = {"labels": {"0": "background", "organ": 1.5, "lesion": 1e300}, "training": base_training()}
    write(msd_folder, "review-label-value-not-integer", json.dumps(fraction).encode())
    huge = nifti(1, "float32", [4, 4, 4], data=[1e30 if i == 5 else float(i % 2) for i in range(64)], **FUZZ_GRID)
    base = {"labels": {"0": "background", "1": "organ"}, "training": [{"image": "imagesTr/fuzz.nii", "label": "labelsTr/fuzz.nii"}]}
    write(msd_folder, "review-huge-label-value", json.dumps(base).encode() + b"\0" + huge)
    # safetensors: 4e15 x 1000 int64 elements fit an Int, their byte count (x 8) does not: trapped before the fix.
    st_folder = os.path.join(HERE, "regressions", "safetensors")
    os.makedirs(st_folder, exist_ok=True)
    write(st_folder, "review-byte-count-overflow", safetensors_file({"a": ("I64", [4000000000000000, 1000], b"")}))
    # split.json / compare.json: empty files, read with Data(contentsOf:) like the config file whose empty input the
    # config fuzzer found leaking (regressions/config/leak-foundation-empty-file-*).
    for target in ("split", "compare"):
        folder = os.path.join(HERE, "regressions", target)
        os.makedirs(folder, exist_ok=True)
        write(folder, "review-empty-file", b"")


def safetensors_file(tensors, metadata=None, pad=True):
    """A safetensors file: {name: (dtype, shape, raw bytes)} in sorted order, header padded to 8 bytes."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    js = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    while pad and len(js) % 8:
        js += b" "
    return struct.pack("<Q", len(js)) + js + data


def with_digest(tensors, metadata):
    """As SemiSeg writes checkpoints: SHA-256 of the file with the digest's own 64 hex characters as '0's."""
    import hashlib
    meta = dict(metadata, sha256="0" * 64)
    raw = safetensors_file(tensors, meta)
    digest = hashlib.sha256(raw).hexdigest()
    return raw.replace(b'"sha256":"' + b"0" * 64 + b'"', b'"sha256":"' + digest.encode() + b'"', 1)


def safetensors_corpus(folder):
    f32 = lambda *v: struct.pack("<%df" % len(v), *v)
    i64 = lambda *v: struct.pack("<%dq" % len(v), *v)
    w = {"conv.weight": ("F32", [2, 1, 3], f32(*[0.5 * i - 1 for i in range(6)])), "bn.num_batches_tracked": ("I64", [], i64(7)),
         "empty": ("F32", [0, 4], b""), "bias": ("F32", [2], f32(float("nan"), float("inf")))}
    write(folder, "weights.safetensors", safetensors_file(w))
    write(folder, "metadata.safetensors", safetensors_file(w, {"format": "pt", "producer": "torch"}))
    write(folder, "unpadded.safetensors", safetensors_file({"x": ("F32", [1], f32(3.0))}, pad=False))
    write(folder, "no-tensors.safetensors", safetensors_file({}, {"k": "v"}))
    state = json.dumps({"epochsDone": 2, "globalStep": 8, "stopped": False}, separators=(",", ":"))
    write(folder, "checkpoint-digest.safetensors",
          with_digest({"model.w": ("F32", [2, 2], f32(1, 2, 3, 4)), "model.n": ("I64", [1], i64(3))},
                      {"format": "semiseg-checkpoint-2", "semiseg_trainer_state": state}))


def config_corpus(folder):
    base = {"data": "/data/Task09_Spleen", "out": "runs/x"}
    variants = {
        "minimal.json": base,
        "full.json": dict(base, labeled=4, validation=2, test_count=4, resize=[32, 64, 64], spacing=[1.5, 1.5, 3.0],
                          normalization="window", hu_window=[-160, 240], model="unet3d", base=8, depth=3, norm="instance",
                          upsampling="transposed", classes=3, strategy="uda", strategy_options={"weight": "0.5"},
                          epochs=10, iterations_per_epoch=20, batch_size=2, unlabeled_batch_size=2, patch=[16, 32, 32],
                          foreground_oversampling=0.33, loss="dice-ce", optimizer="sgd", learning_rate=0.01,
                          weight_decay=3e-5, momentum=0.99, schedule="poly", augmentation="standard", validate_every=2,
                          window_step=0.5, mirror_tta=True, seed=3, non_finite="skip"),
        "camel.json": dict(base, iterationsPerEpoch=5, batchSize=1, model="unet2d", patch=[1, 64, 64], schedule="cosine-restarts",
                           cycleEpochs=2, stepEvery=3, stepGamma=0.5),
        "augmentation-settings.json": dict(base, augmentation_settings={"rotation": 15, "scale": [0.9, 1.1], "flip": [True, False, False]}),
        "unknown-key.json": dict(base, learning_rat=0.1),
        "bad-value.json": dict(base, model="unet4d", epochs=0),
    }
    for name, v in variants.items():
        write(folder, name, json.dumps(v, indent=1).encode())
    # YAML (the harness reads an input not starting with '{' as config.yaml).
    write(folder, "minimal.yaml", b"data: /data/Task09_Spleen\nout: runs/x\n")
    write(folder, "full.yaml", b"data: d\nout: o\nmodel: unet2d\npatch: [1, 64, 64]\nstrategy: uda\nstrategy_options:\n  weight: 0.5\n"
          b"learning_rate: 1.0e-3\nseed: 7\nhu_window:\n  - -160\n  - 240\nnormalization: window\n# comment\nmirror_tta: yes\n")
    write(folder, "bad.yaml", b"data: d\nout: o\nepochs: [1\n")


def split_corpus(folder):
    write(folder, "split.json", json.dumps({"seed": 0, "labeled": ["case_001.nii.gz", "case_002.nii.gz"], "unlabeled": ["case_003.nii.gz"],
                                            "validation": ["case_004.nii.gz"], "test": ["case_005.nii.gz"]}, indent=2).encode())
    write(folder, "overlap.json", json.dumps({"seed": 1, "labeled": ["a"], "unlabeled": ["a"], "validation": [], "test": []}).encode())
    write(folder, "no-labeled.json", json.dumps({"seed": 1, "labeled": [], "unlabeled": ["a"], "validation": [], "test": []}).encode())


def compare_corpus(folder):
    base = {"data": "/data/Task09_Spleen", "out": "cmp", "model": "unet2d", "epochs": 2, "iterationsPerEpoch": 3}
    write(folder, "compare.json", json.dumps({"strategies": ["supervised", "uda"], "seeds": [0, 1],
                                              "strategy_options": {"uda": {"weight": "0.5"}}, "base": base}, indent=2).encode())
    write(folder, "unknown-strategy.json", json.dumps({"strategies": ["supervised", "nope"], "seeds": [0],
                                                       "strategy_options": {}, "base": base}).encode())
    write(folder, "duplicate-seeds.json", json.dumps({"strategies": ["supervised"], "seeds": [3, 3],
                                                      "strategy_options": {}, "base": base}).encode())


def main():
    if sys.argv[1:] == ["--review-regressions"]:
        review_regressions(os.path.join(HERE, "regressions", "nifti"), os.path.join(HERE, "regressions", "msd"))
        print("make-corpus: wrote Fuzz/regressions/*/review-*")
        return 0
    root = os.path.join(HERE, "corpus")
    for target, make in (("nifti", nifti_corpus), ("msd", msd_corpus), ("safetensors", safetensors_corpus),
                         ("config", config_corpus), ("split", split_corpus), ("compare", compare_corpus)):
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        make(folder)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(root) for f in fs)
    count = sum(len(fs) for _, _, fs in os.walk(root))
    print(f"make-corpus: {count} files, {total} bytes under {root}")


if __name__ == "__main__":
    sys.exit(main())
