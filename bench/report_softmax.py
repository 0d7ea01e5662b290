#!/usr/bin/env python3
"""Side-by-side table of Crema's softmax benchmarks and the PyTorch peer, one markdown table per device.

Reads, from one BenchmarkDotNet run of Crema.Bench (run with `--exporters json`):
  ARTIFACTS/results/*.json          BenchmarkDotNet's JSON export (per-op statistics in ns)
  ARTIFACTS/crema-bench-info.json   written by Crema.Bench at start: copy bandwidths and the softmax shapes
and one or more JSON files from bench/peer/torch_softmax.py --json (device cpu or cuda).

Columns: ours = median of BenchmarkDotNet's measured iterations (time of one op); GB/s = bytes of the SPEC §7
model / ours (forward 4*M*C, fwd+bwd, fused and softmax 8*M*C); x floor = ours / (bytes / copy bandwidth of that
engine, measured at the start of the same run); best PyTorch = the faster of eager and torch.compile for the op
(loss fwd and softmax fwd: eager only); x PyTorch = PyTorch ms / ours ms (above 1: we are faster). The targets are
ANCHORS.md's. Plain python3, no extra packages.

  python3 bench/report_softmax.py --artifacts BenchmarkDotNet.Artifacts --peer torch_softmax_cpu.json
  python3 bench/report_softmax.py --artifacts "$OUT/bdn-softmax" --peer "$OUT/torch_softmax_cuda.json"
"""

import argparse
import glob
import json
import os
import sys

CASE_ORDER = ["imagenet", "vocab32k", "seg21", "smallK10"]
ENGINES = {"Gpu": "cuda", "Cpu": "cpu"}  # BenchmarkDotNet method -> peer device

# Benchmark class -> (label, bytes per logit, peer op, floor target on the GPU, x PyTorch target on the GPU, wide/K10)
OPS = {
    "SoftmaxLossForward": ("loss fwd", 4, "loss_fwd", 1.2, None),
    "SoftmaxLossForwardBackward": ("loss fwd+bwd", 8, "loss_fwd_bwd", 1.6, (1.4, 20.0)),
    "SoftmaxLossFused": ("loss fused", 8, "loss_fwd_bwd", 1.25, (1.8, 20.0)),
    "SoftmaxForward": ("softmax fwd", 8, "softmax_fwd", 1.25, None),
}
LOSS_OPS = {"SoftmaxLossForward", "SoftmaxLossForwardBackward", "SoftmaxLossFused"}


def load_bdn(artifacts):
    """{(engine, type, case): median ns}, the newest result per benchmark when several exports are present."""
    files = sorted(glob.glob(os.path.join(artifacts, "results", "*.json")), key=os.path.getmtime)
    if not files:
        raise SystemExit(f"report_softmax: no BenchmarkDotNet JSON in {artifacts}/results (run with --exporters json)")
    results = {}
    for path in files:
        with open(path) as f:
            data = json.load(f)
        for bench in data.get("Benchmarks", []):
            if bench.get("Namespace") != "Crema.Bench.Softmax" or bench.get("Type") not in OPS:
                continue
            stats = bench.get("Statistics") or {}
            params = dict(p.split("=", 1) for p in (bench.get("Parameters") or "").split("&") if "=" in p)
            key = (bench.get("Method"), bench["Type"], params.get("Case"))
            results[key] = stats.get("Median")  # None when the benchmark failed
    return results


def load_peers(paths):
    """{device: the first peer json of that device}, with "index" {(case, op): {mode: row}} over every file of the
    device: a file run with --variant V adds its rows as mode "eager, V" (the best of all is "best PyTorch")."""
    peers = {}
    for path in paths:
        if not os.path.exists(path):
            print(f"report_softmax: peer results {path} are missing (did the peer fail?)", file=sys.stderr)
            continue
        with open(path) as f:
            data = json.load(f)
        peer = peers.setdefault(data["device"], dict(data, index={}, variants=[]))
        variant = data.get("variant")
        peer["variants"].append(variant)
        for row in data.get("rows", []):
            mode = f"{row['mode']}, {variant}" if variant else row["mode"]
            peer["index"].setdefault((row["case"], row["op"]), {})[mode] = row
    return peers


def shape_elements(shape):
    count = 1
    for dimension in shape:
        count *= dimension
    return count


def fmt(value, digits=3):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:#.{digits}g}" if value < 1 else f"{value:.2f}"


def best_torch(peer, case, op):
    """(ms, mode) of the faster successful PyTorch mode, or (None, reason)."""
    if peer is None:
        return None, "no peer run"
    modes = peer["index"].get((case, op), {})
    timed = [(row["ms"], mode) for mode, row in modes.items() if row.get("ms")]
    if not timed:
        return None, "failed" if modes else "not run"
    return min(timed)


def targets(engine, type_name, case, floor_ratio, torch_ratio):
    """The ANCHORS.md targets for the row, each as 'text ✓/✗' (or '?' when a number is missing)."""
    checks = []

    def check(text, ok):
        checks.append((text, ok))

    label, _, _, floor_target, torch_target = OPS[type_name]
    if engine == "Gpu":
        check(f"≤{floor_target}× floor", None if floor_ratio is None else floor_ratio <= floor_target)
        if torch_target is not None:
            need = torch_target[1] if case == "smallK10" else torch_target[0]
            check(f"≥{need:g}× PyTorch", None if torch_ratio is None else torch_ratio >= need)
    elif type_name in LOSS_OPS:
        check("≥1× PyTorch", None if torch_ratio is None else torch_ratio >= 1.0)
    return checks


def table(engine, results, info, peer):
    device = ENGINES[engine]
    engine_key = "gpu" if engine == "Gpu" else "cpu"
    shapes = {c["name"]: c[engine_key] for c in info.get("softmax", {}).get("cases", [])}
    machine = info.get(engine_key) or {}
    copy_gbps = machine.get("copyGBps")
    lines = []
    title = machine.get("name") or machine.get("model") or engine_key.upper()
    if engine == "Cpu":
        title += f", {machine.get('logicalCores', '?')} logical cores"
    bw = f"{copy_gbps:,.0f} GB/s" if copy_gbps and copy_gbps >= 100 else (f"{copy_gbps:.1f} GB/s" if copy_gbps else "not measured")
    lines.append(f"### {engine_key.upper()}: {title}")
    lines.append("")
    if peer is not None:
        runs = ", ".join(v or "as is" for v in peer["variants"])
        lines.append(f"Copy bandwidth (floor): {bw}. PyTorch {peer['torch']} on {peer['device_name']} (runs: {runs}).")
        lines.extend(f"PyTorch note: {n}" for n in peer.get("notes", []) if "loss" not in n)
        for (case, op), modes in peer["index"].items():
            lines.extend(f"PyTorch {case} {op} {mode} failed: {row['error']}"
                         for mode, row in modes.items() if row.get("error"))
        if engine == "Gpu" and machine.get("name") and machine["name"] not in peer["device_name"]:
            lines.append(f"WARNING: PyTorch ran on {peer['device_name']}, Crema on {machine['name']}: not the same card.")
    else:
        lines.append(f"Copy bandwidth (floor): {bw}. No PyTorch peer results for {device}.")
    lines.append("")
    lines.append("| case | shape | op | ours ms | GB/s | × floor | best PyTorch ms | × PyTorch | targets |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---|")
    met = total = 0
    mismatches = []
    for case in CASE_ORDER:
        shape = shapes.get(case)
        for type_name, (label, per_element, peer_op, _, _) in OPS.items():
            key = (engine, type_name, case)
            if key not in results:
                continue
            ns = results[key]
            ours_ms = ns / 1e6 if ns else None
            elements = shape_elements(shape) if shape else None
            gbps = per_element * elements / ns if ns and elements else None
            floor_ratio = ns / (per_element * elements / copy_gbps) if ns and elements and copy_gbps else None
            torch_ms, mode = best_torch(peer, case, peer_op)
            if peer is not None and shape:
                peer_rows = peer["index"].get((case, peer_op), {})
                for row in peer_rows.values():
                    if list(row["shape"]) != list(shape):
                        mismatches.append(f"{case} {peer_op}: PyTorch ran {row['shape']}, ours {shape}")
            torch_ratio = torch_ms / ours_ms if torch_ms and ours_ms else None
            checks = targets(engine, type_name, case, floor_ratio, torch_ratio)
            marks = []
            for text, ok in checks:
                total += 1
                met += ok is True
                marks.append(f"{text} {'✓' if ok else ('?' if ok is None else '✗')}")
            torch_text = f"{fmt(torch_ms)} ({mode})" if torch_ms else f"- ({mode})"
            shape_text = "×".join(str(d) for d in shape) if shape else "?"
            lines.append(f"| {case} | {shape_text} | {label} | {fmt(ours_ms) if ns else 'failed'} | {fmt(gbps)} | "
                         f"{fmt(floor_ratio)} | {torch_text} | {fmt(torch_ratio)} | {'; '.join(marks) or '-'} |")
    lines.append("")
    lines.append(f"Targets met ({engine_key.upper()}): {met} of {total}.")
    for m in sorted(set(mismatches)):
        lines.append(f"WARNING shape mismatch: {m}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", default="BenchmarkDotNet.Artifacts",
                        help="BenchmarkDotNet's artifacts folder of the Crema.Bench run (default ./BenchmarkDotNet.Artifacts)")
    parser.add_argument("--peer", action="append", default=[], help="a torch_softmax.py --json file (repeatable)")
    parser.add_argument("--out", default=None, help="also write the markdown to this file")
    args = parser.parse_args()

    info_path = os.path.join(args.artifacts, "crema-bench-info.json")
    if not os.path.exists(info_path):
        print(f"report_softmax: {info_path} is missing (written by Crema.Bench at start)", file=sys.stderr)
        return 2
    with open(info_path) as f:
        info = json.load(f)
    results = load_bdn(args.artifacts)
    peers = load_peers(args.peer)

    lines = [f"## Softmax benchmarks: Crema vs PyTorch (Crema run {info.get('written', '?')[:19]})", ""]
    engines = [e for e in ("Gpu", "Cpu") if any(k[0] == e for k in results)]
    if not engines:
        lines.append("No softmax rows in the BenchmarkDotNet results.")
    for engine in engines:
        lines.extend(table(engine, results, info, peers.get(ENGINES[engine])))
        lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
