#!/usr/bin/env python3
"""Side-by-side table of Crema's MLP training step (Crema.Bench MlpTrainStep) and the PyTorch peer
(bench/peer/torch_train_mlp.py --synthetic), one markdown table with a row per engine and batch size.

Reads, from one BenchmarkDotNet run of Crema.Bench (run with `--exporters json`):
  ARTIFACTS/results/*.json          BenchmarkDotNet's JSON export (statistics of one step, in ns)
  ARTIFACTS/host-syncs/*.json       written by MlpTrainStep's setup: host synchronisations over its warm-up steps
  ARTIFACTS/crema-bench-info.json   written by Crema.Bench at start: the CPU and GPU it ran on
and one or more JSON files from torch_train_mlp.py --synthetic --json (device cpu or cuda).

Columns: ours ms/step = BenchmarkDotNet's mean time of one step; ours images/s = batch / that (as the images/s
column of BenchmarkDotNet's table); syncs/step = host waits for the device per step (GPU only; expected 0); best
PyTorch images/s = the faster of eager and torch.compile (median sample), and which; x PyTorch = ours images/s /
best PyTorch images/s (above 1: we are faster); target: GPU >= 1.5x PyTorch and 0 syncs/step, CPU >= 1.0x PyTorch.
Rows or files that are missing are listed under the table. Plain python3, no extra packages.

  python3 bench/report_train.py --artifacts artifacts/bench-train-cpu/bdn --peer artifacts/bench-train-cpu/torch_train_cpu.json
  python3 bench/report_train.py --artifacts "$OUT/bdn-train" --peer "$OUT/torch_train_cuda.json"
"""

import argparse
import glob
import json
import os
import sys

NAMESPACE = "Crema.Bench.Train"
TYPE = "MlpTrainStep"
# BenchmarkDotNet method -> (label, peer device, x PyTorch target)
ENGINES = {"Gpu": ("GPU", "cuda", 1.5), "Cpu": ("CPU", "cpu", 1.0)}


def load_bdn(artifacts):
    """{(method, batch): mean ns of one step}, the newest result per row when several exports are present."""
    files = sorted(glob.glob(os.path.join(artifacts, "results", "*.json")), key=os.path.getmtime)
    results = {}
    for path in files:
        with open(path) as f:
            data = json.load(f)
        for bench in data.get("Benchmarks", []):
            if bench.get("Namespace") != NAMESPACE or bench.get("Type") != TYPE:
                continue
            params = dict(p.split("=", 1) for p in (bench.get("Parameters") or "").split("&") if "=" in p)
            if "Batch" not in params:
                continue
            stats = bench.get("Statistics") or {}
            results[(bench.get("Method"), int(params["Batch"]))] = stats.get("Mean")  # None when it failed
    return results


def load_syncs(artifacts):
    """{(method, batch): the setup's host-sync record}."""
    records = {}
    for path in glob.glob(os.path.join(artifacts, "host-syncs", f"{TYPE}.*.json")):
        with open(path) as f:
            record = json.load(f)
        records[(record["method"], int(record["batch"]))] = record
    return records


def load_peers(paths, problems):
    """{device: the first peer json of that device, with "index" {batch: {mode: row}} over every file of the device}:
    a file run with --variant V adds its rows as mode "eager, V" (and "compiled, V"), so they stay apart."""
    peers = {}
    for path in paths:
        if not os.path.exists(path):
            problems.append(f"PyTorch results {path} are missing (did the peer fail or time out?)")
            continue
        with open(path) as f:
            data = json.load(f)
        if data.get("mode") != "synthetic":
            problems.append(f"{path} is not from torch_train_mlp.py --synthetic: ignored")
            continue
        peer = peers.setdefault(data["device"], dict(data, index={}, runs=[]))
        variant = data.get("variant")
        blas = ", ".join(os.path.basename(b) for b in data.get("blas") or [])
        peer["runs"].append((variant or "as is") + (f" ({blas})" if blas else ""))
        for row in data.get("rows", []):
            mode = f"{row['mode']}, {variant}" if variant else row["mode"]
            peer["index"].setdefault(int(row["batch"]), {})[mode] = row
    return peers


def fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3g}"


def best_torch(peer, batch):
    """(images/s, mode) of the faster timed PyTorch mode, or (None, why not)."""
    if peer is None:
        return None, "no peer run"
    modes = peer["index"].get(batch, {})
    timed = [(row["images_per_s"], mode) for mode, row in modes.items() if row.get("images_per_s")]
    if not timed:
        return None, "failed" if modes else "not run"
    return max(timed)


def mark(ok):
    return "?" if ok is None else ("✓" if ok else "✗")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", default="BenchmarkDotNet.Artifacts",
                        help="BenchmarkDotNet's artifacts folder of the Crema.Bench run (default ./BenchmarkDotNet.Artifacts)")
    parser.add_argument("--peer", action="append", default=[],
                        help="a torch_train_mlp.py --synthetic --json file (repeatable: one per device)")
    parser.add_argument("--out", default=None, help="also write the markdown to this file")
    args = parser.parse_args()

    problems = []
    info = {}
    info_path = os.path.join(args.artifacts, "crema-bench-info.json")
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
    else:
        problems.append(f"{info_path} is missing (written by Crema.Bench at start): no machine names")
    results = load_bdn(args.artifacts)
    if not results:
        problems.append(f"no {TYPE} rows in {args.artifacts}/results/*.json (run Crema.Bench with --exporters json)")
    syncs = load_syncs(args.artifacts)
    peers = load_peers(args.peer, problems)

    lines = [f"## MLP training step: Crema vs PyTorch (Crema run {info.get('written', '?')[:19]})", ""]
    cpu = info.get("cpu") or {}
    gpu = info.get("gpu") or {}
    machines = [f"CPU: {cpu.get('model', '?')}, {cpu.get('logicalCores', '?')} logical cores"]
    if gpu:
        machines.append(f"GPU: {gpu.get('name', '?')}")
    lines.append("Crema: " + "; ".join(machines) + ".")
    for device, peer in peers.items():
        lines.append(f"PyTorch {peer['torch']} ({device}): {peer['device_name']}; median of "
                     f"{peer.get('samples', '?')} samples; runs: {'; '.join(peer['runs'])}.")
        if device == "cuda" and gpu.get("name") and gpu["name"] not in peer["device_name"]:
            problems.append(f"PyTorch ran on {peer['device_name']}, Crema on {gpu['name']}: not the same card")
        problems.extend(f"PyTorch {device}: {note}" for note in peer.get("notes", []))
        for batch, modes in sorted(peer["index"].items()):
            problems.extend(f"PyTorch {device} batch {batch} {mode} failed: {row['error']}"
                            for mode, row in modes.items() if row.get("error"))
    lines.append("")
    lines.append("| engine / device | batch | ours ms/step | ours images/s | syncs/step | best PyTorch images/s | "
                 "× PyTorch | target |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")

    met = total = 0
    for method, (label, device, need) in ENGINES.items():
        peer = peers.get(device)
        batches = sorted({b for (m, b) in results if m == method} | (set(peer["index"]) if peer else set()))
        if not batches:
            continue
        if peer is None:
            problems.append(f"no PyTorch results for {device} (pass its --json file with --peer)")
        for batch in batches:
            key = (method, batch)
            ns = results.get(key)
            if key not in results:
                problems.append(f"Crema {label} batch {batch}: not in the BenchmarkDotNet results")
            elif ns is None:
                problems.append(f"Crema {label} batch {batch}: the benchmark failed (no statistics)")
            ours_ms = ns / 1e6 if ns else None
            ours_rate = batch * 1e3 / ours_ms if ours_ms else None
            record = syncs.get(key)
            per_step = None
            if method == "Gpu":
                if record is None:
                    if key in results:
                        problems.append(f"Crema {label} batch {batch}: no host-sync record in {args.artifacts}/host-syncs")
                elif record.get("hostSyncs") is not None:
                    per_step = record["hostSyncs"] / record["steps"]
            sync_text = "-" if method != "Gpu" else (f"{per_step:.2f}".rstrip("0").rstrip(".") if per_step is not None else "?")
            torch_rate, mode = best_torch(peer, batch)
            if peer is not None and torch_rate is None:
                problems.append(f"PyTorch {device} batch {batch}: {mode}")
            ratio = ours_rate / torch_rate if ours_rate and torch_rate else None
            checks = [(f"≥{need:g}× PyTorch", None if ratio is None else ratio >= need)]
            if method == "Gpu":
                checks.append(("0 syncs/step", None if per_step is None else per_step == 0))
            cells = []
            for text, ok in checks:
                total += 1
                met += ok is True
                cells.append(f"{text} {mark(ok)}")
            torch_text = f"{fmt(torch_rate)} ({mode})" if torch_rate else f"- ({mode})"
            lines.append(f"| {label} ({device}) | {batch} | {fmt(ours_ms) if ours_ms else '-'} | {fmt(ours_rate)} | "
                         f"{sync_text} | {torch_text} | {fmt(ratio)} | {'; '.join(cells)} |")
    lines.append("")
    lines.append(f"Targets met: {met} of {total}.")
    for problem in problems:
        lines.append(f"- missing or note: {problem}")
    text = "\n".join(lines).rstrip() + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    # The table is still written with what there is; the exit status says whether anything was missing.
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
