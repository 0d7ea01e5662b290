"""Timing shared by the PyTorch peer scripts: CUDA events on the GPU, perf_counter on the CPU, median of samples."""
import statistics
import time

import torch


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_op(fn, device, samples, warmup, inner=None, target_ms=None):
    """(median milliseconds of one op, ops per sample)."""
    cuda = device.type == "cuda"
    for _ in range(warmup):
        fn()
    synchronize(device)
    if inner is None:
        begin = time.perf_counter()
        fn()
        synchronize(device)
        one_ms = (time.perf_counter() - begin) * 1e3
        inner = max(1, min(100, int(target_ms / max(one_ms, 1e-3))))
    times = []
    for _ in range(samples):
        if cuda:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(inner):
                fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / inner)
        else:
            begin = time.perf_counter()
            for _ in range(inner):
                fn()
            times.append((time.perf_counter() - begin) * 1e3 / inner)
    return statistics.median(times), inner
