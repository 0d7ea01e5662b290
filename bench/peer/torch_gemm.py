#!/usr/bin/env python3
"""The gemms of Crema.Bench's MlpGemm class in PyTorch, as the peer to compare with.

Same cases as bench/Crema.Bench/Blas/GemmCases.cs: one training step of the MLP 784-512-256-10 at batch 128 with
InnerProduct's layouts (weights N x K), plus a square 512. C = op(A) op(B) + beta C on row-major tensors, op() a
transposed view where the case says T, so PyTorch hands the transpose to its BLAS as Crema's caller does:
  beta = 0   torch.mm(opA, opB, out=C)      (forward y = x W^T, data gradient dx = dy W)
  beta = 1   C.addmm_(opA, opB)             (weight gradient dW += dy^T x, accumulated as Caffe does)
GFLOP/s = 2 M N K / time. Timing: perf_counter (CPU) or CUDA events around batches of ops, median of samples.

  /usr/bin/python3 bench/peer/torch_gemm.py --threads 2
  /usr/bin/python3 bench/peer/torch_gemm.py --threads 2 --json artifacts/bench-gemm-cpu/torch_gemm_cpu.json
"""

import argparse
import json
import sys

import torch

import peer_timing
from peer_timing import cpu_model, loaded_blas, random_tensor

BATCH = 128

# name, transA, transB, M, N, K, beta: as GemmCases.All.
CASES = [
    ("fc1.fwd", "N", "T", BATCH, 512, 784, 0.0),
    ("fc2.fwd", "N", "T", BATCH, 256, 512, 0.0),
    ("fc3.fwd", "N", "T", BATCH, 10, 256, 0.0),
    ("fc1.dW", "T", "N", 512, 784, BATCH, 1.0),
    ("fc2.dW", "T", "N", 256, 512, BATCH, 1.0),
    ("fc3.dW", "T", "N", 10, 256, BATCH, 1.0),
    ("fc2.dx", "N", "N", BATCH, 512, 256, 0.0),
    ("fc3.dx", "N", "N", BATCH, 256, 10, 0.0),
    ("square512", "N", "N", 512, 512, 512, 0.0),
]


def make_op(case, device, dtype):
    """The case as a closure over its tensors, made once (like [GlobalSetup])."""
    _, ta, tb, m, n, k, beta = case
    a = random_tensor((k, m) if ta == "T" else (m, k), 1, device, dtype)
    b = random_tensor((n, k) if tb == "T" else (k, n), 2, device, dtype)
    c = random_tensor((m, n), 3, device, dtype)
    op_a = a.t() if ta == "T" else a
    op_b = b.t() if tb == "T" else b
    if beta == 0:
        return lambda: torch.mm(op_a, op_b, out=c)
    return lambda: c.addmm_(op_a, op_b)






def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    parser.add_argument("--samples", type=int, default=15, help="timed samples per case (default 15)")
    parser.add_argument("--target-ms", type=float, default=20.0, help="length of one timed sample (default 20 ms)")
    parser.add_argument("--cases", default=None, help="comma-separated subset of case names")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--variant", default=None, help="a label for this run in the report (e.g. which BLAS)")
    args = parser.parse_args()

    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch_gemm: CUDA requested but torch.cuda.is_available() is false", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # Crema's sgemm is plain FP32
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{cpu_model()}, {torch.get_num_threads()} thread(s)"
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if wanted is None or c[0] in wanted]
    print(f"torch {torch.__version__} on {where}; {args.dtype}; median of {args.samples} samples of ~{args.target_ms:g} ms")
    print(f"BLAS: {', '.join(loaded_blas()) or 'none found'}")

    rows = []
    for case in cases:
        name, ta, tb, m, n, k, beta = case
        fn = make_op(case, device, dtype)
        ms, inner = peer_timing.time_op(fn, device, args.samples, warmup=10, target_ms=args.target_ms)
        gflops = 2.0 * m * n * k / (ms * 1e6)
        rows.append({"case": name, "transposes": ta + tb, "m": m, "n": n, "k": k, "beta": beta, "ms": ms,
                     "gflops": gflops, "ops_per_sample": inner})
        del fn

    print(f"| {'case':<10} | {'op':<2} | {'M x N x K':>14} | {'beta':>4} | {'us':>9} | {'GFLOP/s':>8} |")
    print(f"|{'-' * 12}|{'-' * 4}|{'-' * 15}:|{'-' * 5}:|{'-' * 10}:|{'-' * 9}:|")
    for r in rows:
        shape = f"{r['m']}x{r['n']}x{r['k']}"
        print(f"| {r['case']:<10} | {r['transposes']:<2} | {shape:>14} | {r['beta']:>4g} | {r['ms'] * 1e3:>9.1f} | {r['gflops']:>8.2f} |")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": args.device, "where": where, "torch": torch.__version__, "dtype": args.dtype,
                       "threads": torch.get_num_threads(), "variant": args.variant, "blas": loaded_blas(),
                       "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
