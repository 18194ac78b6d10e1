#!/usr/bin/python3
"""Times the learning path's upscaler training step in PyTorch, to set next
to `cargo bench -p vgforge-train --bench train_step`.

Same model (bilinear x2, conv 3->32->32->3, 11,011 parameters), batch 64 of
16x16 -> 32x32, MSE, AdamW lr 1e-3. Prints one JSON object with median
milliseconds per full step (forward+backward+AdamW) and per forward (+MSE).
Run with Debian's python3-torch: /usr/bin/python3 tools/bench/torch_step.py
[threads] [timed steps] [warm-up steps]
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallUpscaler(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 3, 3, padding=1))

    def forward(self, x):
        return self.body(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SmallUpscaler()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x_hr = torch.rand(64, 3, 32, 32)
    x = F.interpolate(x_hr, scale_factor=0.5, mode="bilinear", align_corners=False)

    def step():
        opt.zero_grad()
        loss = F.mse_loss(model(x), x_hr)
        loss.backward()
        opt.step()

    def forward():
        F.mse_loss(model(x), x_hr)

    out = {"impl": f"torch {torch.__version__}", "threads": threads, "steps": steps,
           "parameters": sum(p.numel() for p in model.parameters())}
    for name, fn in [("step", step), ("forward", forward)]:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1e3)
        out[f"{name}_ms_median"] = round(statistics.median(times), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
