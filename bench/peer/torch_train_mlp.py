#!/usr/bin/env python3
"""PyTorch peer of `crema train` on examples/fashion_mnist: the same MLP (784-512-256-10, ReLU), batch size, SGD
settings (lr, momentum, L2 weight decay, step policy) and data (Debian's dataset-fashion-mnist IDX files, pixels
scaled by 1/256, shuffled every epoch), timed the same way: images per second over the training iterations (data
loading included, the test passes excluded). Prints one JSON line and, with --table, a short summary.

With --synthetic it is the peer of Crema.Bench's MlpTrainStep instead: per batch size (--batches), one batch of
pixels uniform in [0, 1) and labels 0..9 made once on the device from a fixed seed, then training steps on it
(zero_grad, forward, cross-entropy, backward, SGD with momentum and weight decay, StepLR): no data loading, no loss
read back, no test pass (the dataset is not needed). Warm-up steps first (at least --warmup and --warmup-seconds);
then --samples samples, each --steps steps between two waits for the device (torch.cuda.synchronize on cuda, so a
sample ends when the device is done), timed with time.perf_counter; ms/step is the median sample / steps. With
--compile-budget S it also times the step with model and loss under torch.compile (dynamic=False, one compile per
batch after torch._dynamo.reset(); the optimizer stays eager), in the default mode and, on cuda, in
"reduce-overhead" mode (CUDA graphs: what launch-bound small batches call for): the compile (the first step) is timed
apart and excluded, warm-up as eager; compiles start after every eager row and not once S seconds of compiling are
spent. torch without torch.compile (Debian's 1.13) gets the compiled rows skipped with the reason. TF32 off on cuda.

Run it with the Python that has torch (Debian's python3-torch here: /usr/bin/python3; PyTorch 2.11 with CUDA on the
GPU machine):
    /usr/bin/python3 bench/peer/torch_train_mlp.py --iterations 938 --device cpu --threads 2
    /usr/bin/python3 bench/peer/torch_train_mlp.py --synthetic --device cpu --threads 2 --json torch_train_cpu.json
    python3 bench/peer/torch_train_mlp.py --synthetic --device cuda --compile-budget 120 --json torch_train_cuda.json
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

try:
    import numpy as np
except ImportError:  # only the real-data mode needs numpy; --synthetic runs where torch is installed without it
    np = None
import torch


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("CREMA_DATA", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--iterations", type=int, default=938, help="training iterations (938 = one epoch at batch 64)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.02)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0005)
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--stepsize", type=int, default=7504)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    p.add_argument("--seed", type=int, default=1701)
    p.add_argument("--table", action="store_true")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    synthetic = p.add_argument_group("--synthetic (the peer of Crema.Bench's MlpTrainStep)")
    synthetic.add_argument("--synthetic", action="store_true", help="one synthetic batch made on the device, no dataset")
    synthetic.add_argument("--batches", default=None, help="comma-separated batch sizes (default 64,256)")
    synthetic.add_argument("--warmup", type=int, default=20, help="warm-up steps at least (default 20)")
    synthetic.add_argument("--warmup-seconds", type=float, default=0.5, help="warm-up time at least (default 0.5)")
    synthetic.add_argument("--samples", type=int, default=None, help="timed samples (default cuda 20, cpu 10, quick 3)")
    synthetic.add_argument("--steps", type=int, default=None,
                           help="steps per sample (default 20 as MlpTrainStep on cuda; on the cpu as many as fit "
                                "in about 0.3 s, at most 20)")
    synthetic.add_argument("--compile-budget", type=float, default=None,
                           help="also time a torch.compile'd step; no compile starts after this many seconds of them")
    synthetic.add_argument("--quick", action="store_true", help="few samples and a short warm-up, to check it works")
    synthetic.add_argument("--variant", default=None,
                           help="a label for how this run differs (e.g. which BLAS); the report keeps its rows apart")
    a = p.parse_args()
    if a.synthetic:
        return run_synthetic(a)
    if a.batches is not None or a.compile_budget is not None:
        p.error("--batches and --compile-budget need --synthetic")

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        # Crema's sgemm is plain FP32; keep PyTorch off TF32 for a like-for-like comparison.
        torch.backends.cuda.matmul.allow_tf32 = False

    x_train = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
    y_train = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    x_test = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784)
    y_test = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)

    model = build_mlp(dev, a.seed)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=a.stepsize, gamma=a.gamma)
    loss_fn = torch.nn.CrossEntropyLoss()

    order = rng.permutation(len(x_train))
    pos = 0
    losses = []
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for it in range(a.iterations):
        if pos + a.batch > len(order):
            order = rng.permutation(len(x_train))
            pos = 0
        idx = order[pos : pos + a.batch]
        pos += a.batch
        xb = torch.from_numpy(x_train[idx].astype(np.float32) * (1.0 / 256)).to(dev, non_blocking=True)
        yb = torch.from_numpy(y_train[idx]).to(dev, non_blocking=True)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
        if it % 100 == 0:
            losses.append(loss.item())  # as crema train reads the loss on display iterations only
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start

    with torch.no_grad():
        correct = 0
        for i in range(0, len(x_test), 100):
            xb = torch.from_numpy(x_test[i : i + 100].astype(np.float32) * (1.0 / 256)).to(dev)
            correct += (model(xb).argmax(1).cpu().numpy() == y_test[i : i + 100]).sum()
    result = {
        "peer": f"pytorch {torch.__version__}",
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "iterations": a.iterations,
        "batch": a.batch,
        "seconds": seconds,
        "images_per_s": a.iterations * a.batch / seconds,
        "last_loss": losses[-1] if losses else None,
        "test_accuracy": correct / len(x_test),
    }
    print(json.dumps(result))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    if a.table:
        print(f"PyTorch {torch.__version__} ({dev}, {result['threads']} threads): {a.iterations} iterations of "
              f"{a.batch} in {seconds:.2f} s = {result['images_per_s']:.0f} images/s; "
              f"test accuracy {result['test_accuracy']:.4f}", file=sys.stderr)


def build_mlp(dev, seed):
    """The MLP as in the real-data mode (PyTorch's default weight init, zero biases), from a fixed seed."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10)).to(dev)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.zeros_(layer.bias)
    return model


def synthetic_batch(batch, dev, seed):
    """Pixels uniform in [0, 1) and labels 0..9, made on the device, so no step copies from the host."""
    generator = torch.Generator(device=dev).manual_seed(seed + batch)
    x = torch.rand((batch, 784), generator=generator, device=dev)
    y = torch.randint(0, 10, (batch,), generator=generator, device=dev)
    return x, y


def train_step(a, dev, x, y, compile_mode):
    """A closure that runs one training step (nothing read back) and returns its loss tensor. compile_mode: None
    (eager), "default" or "reduce-overhead" (torch.compile's CUDA-graph mode, what a PyTorch user reaches for when
    launch overhead dominates, as at batch 64)."""
    model = build_mlp(dev, a.seed)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=a.stepsize, gamma=a.gamma)
    loss_fn = torch.nn.CrossEntropyLoss()

    def forward_loss(inputs, labels):
        return loss_fn(model(inputs), labels)

    if compile_mode:
        torch._dynamo.reset()  # one static compile per batch, not an automatic-dynamic recompile
        forward_loss = torch.compile(forward_loss, dynamic=False, mode=compile_mode)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = forward_loss(x, y)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    return step


# The compiled rows' names and their torch.compile modes, timed in this order while --compile-budget lasts.
COMPILE_MODES = {"compiled": "default", "compiled, CUDA graphs": "reduce-overhead"}


def synchronize(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def time_steps(step, dev, a, samples):
    """Warm-up, then samples of `steps` steps between two waits: (median ms per step, steps per sample, warm-up
    steps, last loss)."""
    warmup = 3 if a.quick else a.warmup
    warmup_seconds = 0.1 if a.quick else a.warmup_seconds
    done = 0
    begin = time.perf_counter()
    while done < warmup or time.perf_counter() - begin < warmup_seconds:
        step()
        done += 1
        if done % 20 == 0:
            synchronize(dev)  # keep the queue short, so the warm-up time is the device's
    synchronize(dev)
    steps = a.steps
    if steps is None:
        if dev.type == "cuda":
            steps = 20  # as MlpTrainStep.StepsPerInvoke: one wait per 20 steps
        else:
            one = time.perf_counter()
            step()
            steps = max(1, min(20, round(0.3 / max(time.perf_counter() - one, 1e-6))))
    times = []
    loss = None
    for _ in range(samples):
        synchronize(dev)
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        synchronize(dev)
        times.append((time.perf_counter() - start) * 1e3 / steps)
    return statistics.median(times), steps, done, float(loss)


def run_synthetic(a):
    from peer_timing import cpu_model, loaded_blas  # here, so the real-data mode needs nothing beside this file

    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print("torch_train_mlp: CUDA requested but torch.cuda.is_available() is false", file=sys.stderr)
        return 2
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if cuda:
        # Crema's sgemm is plain FP32; keep PyTorch off TF32 for a like-for-like comparison.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    batches = [int(b) for b in (a.batches or "64,256").split(",") if b.strip()]
    samples = a.samples or (3 if a.quick else (20 if cuda else 10))
    where = torch.cuda.get_device_name(dev) if cuda else f"{cpu_model()}, {torch.get_num_threads()} thread(s)"
    print(f"torch {torch.__version__} on {where}; synthetic batches {batches}; median of {samples} samples"
          + (f"; variant: {a.variant}" if a.variant else ""), file=sys.stderr)
    notes = []
    result = {
        "peer": "torch_train_mlp",
        "mode": "synthetic",
        "torch": torch.__version__,
        "device": dev.type,
        "device_name": where,
        "threads": None if cuda else torch.get_num_threads(),
        "tf32": False if cuda else None,
        "samples": samples,
        "variant": a.variant,
        "blas": None if cuda else loaded_blas(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "notes": notes,
        "rows": [],
    }
    rows = result["rows"]

    def save():
        # After every row, so a run cut short by a timeout still leaves what it measured.
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=2)

    def run(batch, mode):
        row = {"batch": batch, "mode": mode, "ms_per_step": None, "images_per_s": None}
        try:
            x, y = synthetic_batch(batch, dev, a.seed)
            step = train_step(a, dev, x, y, compile_mode=COMPILE_MODES.get(mode))
            if mode in COMPILE_MODES:
                begin = time.perf_counter()
                step()  # compiles the forward and, at backward, the backward graph
                synchronize(dev)
                row["compile_s"] = round(time.perf_counter() - begin, 2)
            ms, steps, warmup, loss = time_steps(step, dev, a, samples)
            row.update(ms_per_step=ms, images_per_s=batch * 1e3 / ms, steps_per_sample=steps, samples=samples,
                       warmup_steps=warmup, loss=loss)
        except Exception as e:  # noqa: BLE001 - a failed compile is a result to report, not a crash
            text = str(e).strip()
            row["error"] = f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:300]
            print(f"torch_train_mlp: batch {batch} {mode} failed: {row['error']}", file=sys.stderr)
        rows.append(row)
        save()

    # Eager for every batch first, then the compiles (tens of seconds each on a cold machine), so the budget or a
    # time limit cuts compiled rows, not eager ones.
    for batch in batches:
        run(batch, "eager")
    if a.compile_budget is not None:
        if not hasattr(torch, "compile"):
            reason = f"torch.compile skipped: not in torch {torch.__version__}"
            notes.append(reason)
            rows.extend({"batch": batch, "mode": mode, "skipped": reason} for mode in COMPILE_MODES for batch in batches)
        else:
            compile_started = time.perf_counter()
            # CUDA graphs only where there is a device to capture on.
            modes = [m for m in COMPILE_MODES if cuda or COMPILE_MODES[m] != "reduce-overhead"]
            for mode in modes:
                for batch in batches:
                    spent = time.perf_counter() - compile_started
                    if spent > a.compile_budget:
                        reason = f"skipped: {spent:.0f} s of compiling spent, past --compile-budget {a.compile_budget:g} s"
                        notes.append(f"torch.compile ({mode}) batch {batch}: {reason}")
                        rows.append({"batch": batch, "mode": mode, "skipped": reason})
                        continue
                    run(batch, mode)
    save()

    print(f"| {'batch':>5} | {'mode':<21} | {'ms/step':>9} | {'images/s':>10} | note |")
    print(f"|{'-' * 6}:|{'-' * 23}|{'-' * 10}:|{'-' * 11}:|------|")
    for r in rows:
        if r.get("ms_per_step"):
            note = f"compile {r['compile_s']} s" if "compile_s" in r else ""
            print(f"| {r['batch']:>5} | {r['mode']:<21} | {r['ms_per_step']:>9.4f} | {r['images_per_s']:>10,.0f} | {note} |")
        else:
            print(f"| {r['batch']:>5} | {r['mode']:<21} | {'-':>9} | {'-':>10} | {r.get('error') or r.get('skipped')} |")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
