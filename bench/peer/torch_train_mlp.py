#!/usr/bin/env python3
"""PyTorch peer of `crema train` on examples/fashion_mnist: the same MLP (784-512-256-10, ReLU), batch size, SGD
settings (lr, momentum, L2 weight decay, step policy) and data (Debian's dataset-fashion-mnist IDX files, pixels
scaled by 1/256, shuffled every epoch), timed the same way: images per second over the training iterations (data
loading included, the test passes excluded). Prints one JSON line and, with --table, a short summary.

Run it with the Python that has torch (Debian's python3-torch here: /usr/bin/python3; PyTorch 2.11 with CUDA on the
GPU machine):
    /usr/bin/python3 bench/peer/torch_train_mlp.py --iterations 938 --device cpu --threads 2
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
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
    a = p.parse_args()

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

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10)).to(dev)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.zeros_(layer.bias)
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
    if a.table:
        print(f"PyTorch {torch.__version__} ({dev}, {result['threads']} threads): {a.iterations} iterations of "
              f"{a.batch} in {seconds:.2f} s = {result['images_per_s']:.0f} images/s; "
              f"test accuracy {result['test_accuracy']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
