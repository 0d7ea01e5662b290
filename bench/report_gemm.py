#!/usr/bin/env python3
"""Side-by-side table of Crema's MlpGemm benchmarks (CPU) and one or more runs of the PyTorch peer.

Reads BenchmarkDotNet's JSON export of one Crema.Bench run (`--exporters json`, ARTIFACTS/results/*.json) and JSON
files from bench/peer/torch_gemm.py --json. Columns: ours = median of BenchmarkDotNet's measured iterations (one
op); GFLOP/s = 2 M N K / time; per peer run its median and "x" = peer time / ours (above 1: we are faster).
Plain python3, no extra packages.

  python3 bench/report_gemm.py --artifacts artifacts/bench-gemm-cpu/bdn --peer artifacts/bench-gemm-cpu/torch_gemm_cpu.json
"""

import argparse
import glob
import json
import os
import sys


def load_bdn(artifacts, method):
    """{case: median ns} for MlpGemm.<method>, the newest result per case when several exports are present."""
    files = sorted(glob.glob(os.path.join(artifacts, "results", "*.json")), key=os.path.getmtime)
    if not files:
        raise SystemExit(f"report_gemm: no BenchmarkDotNet JSON in {artifacts}/results (run with --exporters json)")
    results = {}
    for path in files:
        with open(path) as f:
            data = json.load(f)
        for bench in data.get("Benchmarks", []):
            if bench.get("Type") != "MlpGemm" or bench.get("Method") != method:
                continue
            params = dict(p.split("=", 1) for p in (bench.get("Parameters") or "").split("&") if "=" in p)
            results[params.get("Case")] = (bench.get("Statistics") or {}).get("Median")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", required=True, help="BenchmarkDotNet artifacts folder of the Crema.Bench run")
    parser.add_argument("--peer", action="append", default=[], help="torch_gemm.py --json output (repeatable)")
    parser.add_argument("--method", default="Cpu", help="MlpGemm method to report (default Cpu)")
    parser.add_argument("--out", default=None, help="also write the table to this markdown file")
    args = parser.parse_args()

    ours = load_bdn(args.artifacts, args.method)
    peers = []
    for path in args.peer:
        if not os.path.exists(path):
            print(f"report_gemm: peer results {path} are missing (did the peer fail?)", file=sys.stderr)
            continue
        with open(path) as f:
            peer = json.load(f)
        label = "PyTorch " + peer["torch"].split("a")[0] + (f" ({peer['variant']})" if peer.get("variant") else "")
        peers.append((label, {row["case"]: row for row in peer["rows"]}, peer))
    if not peers:
        print("report_gemm: no peer results; the table has our numbers only", file=sys.stderr)

    # Case order and shapes come from the first peer (the same table as GemmCases.cs), else from our results.
    order = list(peers[0][1]) if peers else list(ours)
    header = ["case", "op", "M×N×K", "β", "ours µs", "ours GFLOP/s"]
    for label, _, _ in peers:
        header += [f"{label} µs", "GFLOP/s", "× it"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < 4 else "---:" for i in range(len(header))) + "|"]
    for case in order:
        shape_row = next((p[1][case] for p in peers if case in p[1]), None)
        ns = ours.get(case)
        cells = [case]
        if shape_row:
            m, n, k = shape_row["m"], shape_row["n"], shape_row["k"]
            cells += [shape_row["transposes"], f"{m}×{n}×{k}", f"{shape_row['beta']:g}"]
            flops = 2.0 * m * n * k
        else:
            cells += ["-", "-", "-"]
            flops = None
        cells += [f"{ns / 1e3:.1f}" if ns else "failed", f"{flops / ns:.1f}" if ns and flops else "-"]
        for _, rows, _ in peers:
            row = rows.get(case)
            if row is None:
                cells += ["-", "-", "-"]
                continue
            cells += [f"{row['ms'] * 1e3:.1f}", f"{row['gflops']:.1f}",
                      f"{row['ms'] * 1e6 / ns:.2f}" if ns else "-"]
        lines.append("| " + " | ".join(cells) + " |")

    notes = [f"- {label}: {peer['where']}; BLAS {', '.join(peer.get('blas') or ['unknown'])}" for label, _, peer in peers]
    text = "\n".join(lines + [""] + notes) + "\n"
    print(text, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
