#!/usr/bin/env python3
"""The ops of Crema.Bench's Blas category in PyTorch, as the peer to compare with.

Same ops, sizes and traffic model as bench/Crema.Bench (Traffic.cs):
  axpy   y = alpha x + y          3n elements moved, 2n flops
  asum   sum |x[i]|               n  elements,       n  flops
  sumsq  sum x[i]^2               n  elements,       2n flops
  dot    sum x[i] y[i]            2n elements,       2n flops
  gemm   C = A B + C (M=N=K=n)    4n^2 elements,     2n^3 flops
Reductions leave their result on the device (no read-back), as the Crema GPU benchmarks do.

Timing: each sample queues --inner ops and waits once (CUDA events around the batch on the GPU, perf_counter on
the CPU); the table shows the median over samples divided by --inner, i.e. the time of one op.

  python3 bench/peer/torch_blas.py --device cpu --quick
  python3 bench/peer/torch_blas.py --device cuda --csv "$OUT/torch_blas.csv"
"""

import argparse
import csv
import sys

import torch

import peer_timing
from peer_timing import random_tensor

VECTOR_SIZES = [1 << 20, 1 << 24]
GEMM_SIZES = [256, 1024]
QUICK_VECTOR_SIZES = [1 << 16, 1 << 20]
QUICK_GEMM_SIZES = [64, 256]


def bytes_moved(op, n, element_bytes):
    elements = {"axpy": 3 * n, "asum": n, "sumsq": n, "dot": 2 * n, "gemm": 4 * n * n}[op]
    return elements * element_bytes


def flops(op, n):
    return {"axpy": 2 * n, "asum": n, "sumsq": 2 * n, "dot": 2 * n, "gemm": 2 * n**3}[op]


def make_op(op, n, device, dtype):
    """The op as a closure over its inputs, made once (like [GlobalSetup])."""
    if op == "gemm":
        a, b, c = (random_tensor((n, n), seed, device, dtype) for seed in (1, 2, 3))
        return lambda: c.addmm_(a, b)  # beta = 1: C is read and written, as the traffic model says
    x = random_tensor((n,), 1, device, dtype)
    y = random_tensor((n,), 2, device, dtype)
    if op == "axpy":
        return lambda: y.add_(x, alpha=1e-4)
    if op == "asum":
        return lambda: torch.linalg.vector_norm(x, 1)
    if op == "sumsq":
        return lambda: torch.dot(x, x)
    if op == "dot":
        return lambda: torch.dot(x, y)
    raise ValueError(op)


def time_op(fn, device, inner, samples, warmup):
    """Median milliseconds of one op."""
    return peer_timing.time_op(fn, device, samples, warmup, inner=inner)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--quick", action="store_true", help="small sizes and few samples, to check it works")
    parser.add_argument("--ops", default="axpy,asum,sumsq,dot,gemm", help="comma-separated subset")
    parser.add_argument("--inner", type=int, default=10, help="ops per timed sample (default 10)")
    parser.add_argument("--samples", type=int, default=None, help="timed samples per op (default 25, quick 5)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    args = parser.parse_args()

    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch_blas: CUDA requested but torch.cuda.is_available() is false", file=sys.stderr)
        return 2

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    element_bytes = torch.tensor([], dtype=dtype).element_size()
    samples = args.samples or (5 if args.quick else 25)
    vector_sizes = QUICK_VECTOR_SIZES if args.quick else VECTOR_SIZES
    gemm_sizes = QUICK_GEMM_SIZES if args.quick else GEMM_SIZES
    ops = [op.strip() for op in args.ops.split(",") if op.strip()]

    if device.type == "cuda":
        # Crema's sgemm is plain FP32 cuBLAS; keep PyTorch from using TF32 tensor cores (not a like-for-like).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        where = torch.cuda.get_device_name(device)
    else:
        where = f"CPU, {torch.get_num_threads()} thread(s)"
    print(f"torch {torch.__version__} on {where}; {args.dtype}; median of {samples} samples of {args.inner} ops")

    rows = []
    for op in ops:
        for n in gemm_sizes if op == "gemm" else vector_sizes:
            fn = make_op(op, n, device, dtype)
            ms = time_op(fn, device, args.inner, samples, warmup=max(3, args.inner))
            gbps = bytes_moved(op, n, element_bytes) / (ms * 1e6)
            gflops = flops(op, n) / (ms * 1e6)
            rows.append((op, n, ms, gbps, gflops))
            del fn
            if device.type == "cuda":
                torch.cuda.empty_cache()

    header = ("op", "n", "ms", "GB/s", "GFLOP/s")
    print(f"| {header[0]:<6} | {header[1]:>9} | {header[2]:>10} | {header[3]:>8} | {header[4]:>9} |")
    print(f"|{'-' * 8}|{'-' * 10}:|{'-' * 11}:|{'-' * 9}:|{'-' * 10}:|")
    for op, n, ms, gbps, gflops in rows:
        print(f"| {op:<6} | {n:>9} | {ms:>10.4f} | {gbps:>8.1f} | {gflops:>9.1f} |")

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["op", "n", "ms", "GBps", "GFLOPs", "device", "dtype", "torch"])
            for op, n, ms, gbps, gflops in rows:
                writer.writerow([op, n, f"{ms:.6f}", f"{gbps:.3f}", f"{gflops:.3f}", where, args.dtype, torch.__version__])
    return 0


if __name__ == "__main__":
    sys.exit(main())
