#!/usr/bin/env python3
"""The softmax benchmarks of Crema.Bench (category "softmax") in PyTorch, as the peer to compare with.

Same cases, shapes, inputs and traffic model as bench/Crema.Bench/Softmax (SoftmaxCases.cs):
  loss_fwd      F.cross_entropy(x, y, ignore_index=-1), loss only            4*M*C bytes (read the logits)
  loss_fwd_bwd  the same, then loss.backward() into x.grad (set to None      8*M*C bytes (read the logits,
                first, as optimizer.zero_grad() does)                                     write the gradient)
  softmax_fwd   torch.softmax(x, dim=1)                                      8*M*C bytes (read x, write y)
The class axis is 1; M = positions (all other axes), C = classes. Logits are uniform in [-1, -0.25] U [0.25, 1];
labels uniform in [0, C) with 10% set to -1, the ignore label (-1 is never a class; 255 would be one at C = 1000).
The mean over non-ignored positions is Caffe's VALID normalization, which the Crema benchmarks use.

On CUDA, loss_fwd_bwd also runs under torch.compile (default mode, dynamic=False, one compile per case); a failed
compile is reported, not fatal. torch 1.13 (Debian's python3-torch) has no torch.compile: it is skipped with a note.

Timing: each sample runs --inner ops (chosen so a sample takes about 10 ms on CUDA, 30 ms on the CPU, unless given)
and waits once: CUDA events around the batch on the GPU, time.perf_counter on the CPU; the table shows the median
over samples divided by the ops per sample. Warm-up first. CPU threads: 2 unless --threads says otherwise.

  /usr/bin/python3 bench/peer/torch_softmax.py --device cpu --quick
  /usr/bin/python3 bench/peer/torch_softmax.py --device cpu --json torch_softmax_cpu.json
  python3 bench/peer/torch_softmax.py --device cuda --json "$OUT/torch_softmax_cuda.json"
"""

import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

from peer_timing import cpu_model, time_op

IGNORE_INDEX = -1
IGNORED_FRACTION = 0.1

# (cuda shape, cpu shape) per case; class axis 1. Keep in step with SoftmaxCases.cs.
CASES = {
    "imagenet": ((32768, 1000), (4096, 1000)),
    "vocab32k": ((8192, 32000), (512, 32000)),
    "seg21": ((16, 21, 512, 512), (4, 21, 256, 256)),
    "smallK10": ((4194304, 10), (1048576, 10)),
}
OPS = ["loss_fwd", "loss_fwd_bwd", "softmax_fwd"]
BYTES_PER_ELEMENT = {"loss_fwd": 4, "loss_fwd_bwd": 8, "softmax_fwd": 8}


def shape_of(case, device_type):
    cuda_shape, cpu_shape = CASES[case]
    return cuda_shape if device_type == "cuda" else cpu_shape


def elements(shape):
    count = 1
    for dimension in shape:
        count *= dimension
    return count


def make_inputs(shape, device, seed=1):
    """Logits uniform in [-1, -0.25] U [0.25, 1] and labels in [0, C) with 10% set to IGNORE_INDEX."""
    generator = torch.Generator(device=device).manual_seed(seed)
    magnitude = 0.25 + 0.75 * torch.rand(shape, generator=generator, device=device)
    sign = torch.randint(0, 2, shape, generator=generator, device=device).float() * 2 - 1
    x = magnitude * sign
    del magnitude, sign
    label_shape = (shape[0],) + tuple(shape[2:])
    y = torch.randint(0, shape[1], label_shape, generator=generator, device=device)
    ignored = torch.rand(label_shape, generator=generator, device=device) < IGNORED_FRACTION
    y[ignored] = IGNORE_INDEX
    return x, y


def loss_of(x, y):
    return F.cross_entropy(x, y, ignore_index=IGNORE_INDEX)


def make_op(op, x, y, compiled_loss=None):
    """The op as a closure over its inputs, made once."""
    if op == "loss_fwd":
        return lambda: loss_of(x, y)
    if op == "softmax_fwd":
        return lambda: torch.softmax(x, dim=1)
    if op == "loss_fwd_bwd":
        xg = x.detach().requires_grad_(True)
        loss_fn = compiled_loss or loss_of

        def step():
            xg.grad = None
            loss_fn(xg, y).backward()

        return step
    raise ValueError(op)




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--quick", action="store_true", help="few samples and little warm-up, to check it works")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    parser.add_argument("--samples", type=int, default=None, help="timed samples per op (default cuda 20, cpu 10, quick 3)")
    parser.add_argument("--inner", type=int, default=None, help="ops per sample (default: about 10 ms cuda / 30 ms cpu)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads, torch.set_num_threads (default 2)")
    parser.add_argument("--compile", dest="compile", action="store_true", default=None,
                        help="also time torch.compile fwd+bwd (default: on for cuda, off for cpu)")
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    parser.add_argument("--compile-budget", type=float, default=None,
                        help="seconds after which no further case is compiled (the rest are noted as skipped)")
    parser.add_argument("--variant", default=None,
                        help="a name for how this run differs (e.g. the allocator settings); the report keeps it apart")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file (after every case)")
    args = parser.parse_args()

    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch_softmax: CUDA requested but torch.cuda.is_available() is false", file=sys.stderr)
        return 2
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    for name in cases:
        if name not in CASES:
            parser.error(f"unknown case {name!r}")
    for op in ops:
        if op not in OPS:
            parser.error(f"unknown op {op!r}")

    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if not cuda:
        torch.set_num_threads(args.threads)
    samples = args.samples or (3 if args.quick else (20 if cuda else 10))
    warmup = 2 if args.quick else 5
    target_ms = 10.0 if cuda else 30.0
    want_compile = cuda if args.compile is None else args.compile
    notes = []
    if want_compile and not hasattr(torch, "compile"):
        notes.append(f"torch.compile skipped: not in torch {torch.__version__}")
        want_compile = False
    if cuda:
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{cpu_model()}, {torch.get_num_threads()} thread(s)"
    print(f"torch {torch.__version__} on {where}; float32; ignore_index {IGNORE_INDEX} on "
          f"{IGNORED_FRACTION:.0%} of labels; median of {samples} samples" + (f"; variant: {args.variant}" if args.variant else ""))

    result = {
        "peer": "torch_softmax",
        "torch": torch.__version__,
        "device": device.type,
        "device_name": where,
        "threads": None if cuda else torch.get_num_threads(),
        "ignore_index": IGNORE_INDEX,
        "ignored_fraction": IGNORED_FRACTION,
        "samples": samples,
        "variant": args.variant,
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "notes": notes,
        "rows": [],
    }
    rows = result["rows"]

    def save():
        # After every case, so a run cut short by a timeout still leaves what it measured.
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)

    def run(case, op, mode, x, y):
        shape = list(x.shape)
        row = {"case": case, "shape": shape, "op": op, "mode": mode, "ms": None}
        try:
            compiled = None
            if mode == "compiled":
                torch._dynamo.reset()  # one static compile per case, not an automatic-dynamic recompile
                compiled = torch.compile(loss_of, dynamic=False)
            begin = time.perf_counter()
            ms, inner = time_op(make_op(op, x, y, compiled), device, samples, warmup, args.inner, target_ms)
            row.update(ms=ms, inner=inner, gbps=BYTES_PER_ELEMENT[op] * elements(shape) / (ms * 1e6),
                       seconds=round(time.perf_counter() - begin, 2))
        except Exception as e:  # noqa: BLE001 - a failed compile is a result to report, not a crash
            text = str(e).strip()
            row["error"] = f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:300]
            print(f"torch_softmax: {case} {op} {mode} failed: {row['error']}", file=sys.stderr)
        rows.append(row)

    # Eager first for every case, then the compiles (slow, tens of seconds each on a cold machine), so a time
    # limit cuts compiled rows, not eager ones.
    compile_cases = []
    for case in cases:
        x, y = make_inputs(shape_of(case, device.type), device)
        notes.append(f"{case}: eager loss {float(loss_of(x, y)):.4f}")
        for op in ops:
            run(case, op, "eager", x, y)
        if want_compile and "loss_fwd_bwd" in ops:
            compile_cases.append(case)
        del x, y
        if cuda:
            torch.cuda.empty_cache()
        save()
    compile_started = time.perf_counter()
    for case in compile_cases:
        if args.compile_budget and time.perf_counter() - compile_started > args.compile_budget:
            notes.append(f"torch.compile {case}: skipped, past --compile-budget {args.compile_budget:g} s")
            continue
        x, y = make_inputs(shape_of(case, device.type), device)
        run(case, "loss_fwd_bwd", "compiled", x, y)
        del x, y
        if cuda:
            torch.cuda.empty_cache()
        save()
    rows.sort(key=lambda r: (cases.index(r["case"]), ops.index(r["op"]), r["mode"] != "eager"))
    save()

    print(f"| {'case':<9} | {'shape':<18} | {'op':<12} | {'mode':<8} | {'ms':>9} | {'GB/s':>8} |")
    print(f"|{'-' * 11}|{'-' * 20}|{'-' * 14}|{'-' * 10}|{'-' * 10}:|{'-' * 9}:|")
    for r in rows:
        shape = "x".join(str(d) for d in r["shape"])
        if r["ms"] is None:
            print(f"| {r['case']:<9} | {shape:<18} | {r['op']:<12} | {r['mode']:<8} | {'failed':>9} | {'-':>8} |")
        else:
            print(f"| {r['case']:<9} | {shape:<18} | {r['op']:<12} | {r['mode']:<8} | {r['ms']:>9.4f} | {r['gbps']:>8.1f} |")
    for note in notes:
        print(f"note: {note}")

    return 0


if __name__ == "__main__":
    sys.exit(main())
