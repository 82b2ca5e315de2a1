#!/usr/bin/env python3
"""The device's memory bandwidth as a 4 GiB device-to-device copy measures it (read + write, bytes/s): the
denominator of the weight-bytes floor of decode (check.sh family, quant_bench.sh). Run alone it prints TB/s."""
import torch


def copy_bandwidth():
    x = torch.empty(2**31, dtype=torch.float16, device="cuda")
    y = torch.empty_like(x)
    for _ in range(3):
        y.copy_(x)
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(10):
        y.copy_(x)
    e.record()
    e.synchronize()
    return 2 * x.nbytes * 10 / (s.elapsed_time(e) / 1e3)


if __name__ == "__main__":
    print(f"{copy_bandwidth() / 1e12:.3f} TB/s")
