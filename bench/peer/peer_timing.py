"""Timing shared by the PyTorch peer scripts: CUDA events on the GPU, perf_counter on the CPU, median of samples;
and what the tables say about the machine: the CPU's name and the BLAS the process loaded."""
import platform
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


def random_tensor(shape, seed, device, dtype):
    """Uniform in [-1, -0.25] U [0.25, 1]: never zero, like the C# benchmarks' inputs."""
    generator = torch.Generator().manual_seed(seed)
    magnitude = 0.25 + 0.75 * torch.rand(shape, generator=generator, dtype=dtype)
    sign = torch.randint(0, 2, shape, generator=generator).to(dtype) * 2 - 1
    return (magnitude * sign).to(device)


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (as lscpu shows it), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def loaded_blas():
    """Paths of the BLAS libraries mapped into this process: Debian's torch calls whatever libblas.so.3 resolves to,
    so LD_LIBRARY_PATH can swap it, and the table should say which one ran."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return []
