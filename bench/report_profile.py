#!/usr/bin/env python3
"""Summarises an Nsight Compute profile of `Crema.Bench --profile` for tuning: one Markdown row per kernel launch, in
launch order, with what says where a kernel stands against the memory floor and why.

    ncu --clock-control none --profile-from-start off --print-units base \
        --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
        --metrics dram__bytes_read.sum,dram__bytes_write.sum --csv --page raw --log-file ncu.csv \
        ./Crema.Bench --profile softmax train --steps 1 --batches 64 > ranges.txt
    python3 bench/report_profile.py --ncu ncu.csv --ranges ranges.txt --out profile-report.md

Columns: the kernel (namespaces dropped), grid × block, registers per thread, duration, DRAM bytes read + written and
the rate they were moved at, DRAM and SM throughput as % of peak, achieved / theoretical occupancy, and the two
largest warp stall reasons (cycles per issued instruction). The ranges file (Crema.Bench's own output) is printed
first: each range's kernels follow the previous range's, in order. Columns ncu did not produce print as "-".
"""
import argparse
import csv
import re
import sys

# Raw metric names (ncu --page raw), looked up by exact name; none is required.
DURATION = "gpu__time_duration.sum"
BYTES_READ = "dram__bytes_read.sum"
BYTES_WRITE = "dram__bytes_write.sum"
DRAM_PCT = "dram__throughput.avg.pct_of_peak_sustained_elapsed"
SM_PCT = "sm__throughput.avg.pct_of_peak_sustained_elapsed"
ACHIEVED = "sm__warps_active.avg.pct_of_peak_sustained_active"
THEORETICAL = "sm__maximum_warps_per_active_cycle_pct"
REGISTERS = "launch__registers_per_thread"
GRID = "launch__grid_size"
BLOCK = "launch__block_size"
STALL = re.compile(r"^smsp__average_warps_issue_stalled_(\w+?)_per_issue_active\.ratio$")


def read_rows(path):
    """The CSV's rows as dicts, the header found wherever it starts (ncu may log lines before it); the units row
    that follows the header (empty ID) is dropped."""
    with open(path, newline="", errors="replace") as f:
        lines = f.read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        return []
    rows = list(csv.DictReader(lines[start:]))
    return [r for r in rows if (r.get("ID") or "").strip().isdigit()]


def number(text):
    if text is None:
        return None
    text = text.strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def short_name(name):
    """The kernel's name without namespaces or parameter lists, template arguments kept: what tells the regimes
    apart (softmax_loss_row_kernel<float, 4, 8, true, false>)."""
    name = name.strip().replace("(anonymous namespace)::", "")
    name = re.sub(r"\([^()]*\)$", "", name)  # the parameter list
    name = re.sub(r"^void ", "", name)
    name = re.sub(r"\b[A-Za-z_]\w*::", "", name)
    return name if len(name) <= 70 else name[:67] + "..."


def fmt(value, digits=3):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def summarise(rows):
    lines = ["| # | kernel | grid × block | regs | µs | DRAM MB | GB/s | DRAM % | SM % | occupancy % | top stalls |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        ns = number(r.get(DURATION))
        read, write = number(r.get(BYTES_READ)), number(r.get(BYTES_WRITE))
        moved = read + write if read is not None and write is not None else None
        rate = moved / ns if moved is not None and ns else None  # bytes per ns = GB/s
        grid = r.get(GRID) or r.get("Grid Size") or "-"
        block = r.get(BLOCK) or r.get("Block Size") or "-"
        achieved, theoretical = number(r.get(ACHIEVED)), number(r.get(THEORETICAL))
        stalls = sorted(((number(v), STALL.match(k).group(1)) for k, v in r.items()
                         if k and STALL.match(k) and number(v) is not None), reverse=True)
        stall_text = ", ".join(f"{name} {value:.2g}" for value, name in stalls[:2]) or "-"
        lines.append(
            f"| {r['ID']} | `{short_name(r.get('Kernel Name', '?'))}` | {grid} × {block} | {fmt(number(r.get(REGISTERS)))} | "
            f"{fmt(ns / 1e3 if ns else None)} | {fmt(moved / 1e6 if moved is not None else None)} | {fmt(rate)} | "
            f"{fmt(number(r.get(DRAM_PCT)))} | {fmt(number(r.get(SM_PCT)))} | {fmt(achieved)} / {fmt(theoretical)} | "
            f"{stall_text} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ncu", required=True, help="ncu --csv --page raw output (its --log-file)")
    p.add_argument("--ranges", help="Crema.Bench --profile's standard output (the ranges, in order)")
    p.add_argument("--out", help="also write the report here")
    a = p.parse_args()

    out = ["## Nsight Compute profile of `Crema.Bench --profile`", ""]
    if a.ranges:
        with open(a.ranges, errors="replace") as f:
            ranges = [line.rstrip() for line in f if line.startswith("profile")]
        out += ["Ranges (each range's kernels follow the previous range's):", ""]
        out += [f"- {line}" for line in ranges] + [""]
    rows = read_rows(a.ncu)
    status = 0
    if rows:
        out += summarise(rows)
        missing = [m for m in (DURATION, BYTES_READ, DRAM_PCT, ACHIEVED) if m not in rows[0]]
        if missing:
            out += ["", f"Not in the profile: {', '.join(missing)}."]
    else:
        out += [f"No kernel rows in {a.ncu}: did ncu run and write CSV (--csv --page raw --log-file)?"]
        status = 1
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
