#!/usr/bin/env python3
"""Prints Pillow's view of a PNG as JSON: size [w, h], mode, and all pixels (row-major) for small images.

    check_png.py FILE
"""
import json
import sys

from PIL import Image

img = Image.open(sys.argv[1])
img.load()
out = {"size": list(img.size), "mode": img.mode}
if img.size[0] * img.size[1] <= 65536:
    px = list(img.getdata())
    out["pixels"] = [list(p) if isinstance(p, tuple) else [p] for p in px]
print(json.dumps(out))
