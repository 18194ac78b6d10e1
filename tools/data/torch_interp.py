#!/usr/bin/python3
"""Writes fixtures/train/torch_interp.json: PyTorch's bilinear interpolation
on a fixed 1x2x6x8 input, as the oracle for vgforge-train's upscaler pairs
(x0.5, align_corners=False) and bilinear upsample layer (x2, both
align_corners settings). Run with Debian's python3-torch:
/usr/bin/python3 tools/data/torch_interp.py fixtures/train/torch_interp.json
"""
import json
import sys

import torch
import torch.nn.functional as F

x = torch.tensor([((i * 37) % 255) / 255.0 for i in range(2 * 6 * 8)], dtype=torch.float32).reshape(1, 2, 6, 8)
out = {
    "torch": torch.__version__,
    "shape": list(x.shape),
    "input": x.flatten().tolist(),
    "down_half": F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False).flatten().tolist(),
    "up2": F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False).flatten().tolist(),
    "up2_align": F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True).flatten().tolist(),
    "up2_nearest": F.interpolate(x, scale_factor=2.0, mode="nearest").flatten().tolist(),
}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
    f.write("\n")
