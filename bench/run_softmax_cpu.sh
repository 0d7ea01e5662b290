#!/usr/bin/env bash
# The CPU side by side, here: Crema's managed softmax path (BenchmarkDotNet, category softmax, CPU shapes), the
# PyTorch peer on the same shapes (Debian's python3-torch, 2 threads), then one markdown table, printed last.
#   bench/run_softmax_cpu.sh            about 3-4 minutes on 2 cores
#   bench/run_softmax_cpu.sh --quick    fewer iterations, about 1 minute (to check it works; noisier)
# Environment: OUT (default artifacts/bench-softmax-cpu), THREADS (PyTorch threads, default 2), PYTHON (default
# /usr/bin/python3, which has Debian's torch). Timings on a busy machine mean little: the load is printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-artifacts/bench-softmax-cpu}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bdn_job=(--job short --warmupCount 3 --iterationCount 10 --iterationTime 250)
peer_args=()
if [ "${1:-}" = --quick ]; then
  bdn_job=(--job short --warmupCount 1 --iterationCount 3 --iterationTime 100)
  peer_args=(--quick)
fi

rm -rf "$OUT/bdn"
mkdir -p "$OUT"
echo "==> load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "==> Crema (BenchmarkDotNet, in-process): $OUT/bench-softmax-cpu.log"
dotnet run -c Release --project bench/Crema.Bench -- --inprocess --filter '*Softmax*Cpu*' "${bdn_job[@]}" \
  --join --exporters json --artifacts "$OUT/bdn" > "$OUT/bench-softmax-cpu.log" 2>&1 \
  || { tail -30 "$OUT/bench-softmax-cpu.log"; echo "Crema.Bench failed (log above)"; exit 1; }
grep -E '^(CPU|GPU)' "$OUT/bench-softmax-cpu.log" || true

# The peer twice: as PyTorch runs by default, and with glibc's allocator told to keep freed memory (PyTorch's CPU
# allocator frees each op's output, glibc returns blocks over 32 MB to the kernel, and the next op page-faults them
# in again, which is slow in this VM). The report takes the faster of the two per op and says which.
echo "==> PyTorch peer ($THREADS threads): $OUT/torch_softmax_cpu.txt, $OUT/torch_softmax_cpu_malloc.txt"
"$PYTHON" bench/peer/torch_softmax.py --device cpu --threads "$THREADS" "${peer_args[@]}" \
  --json "$OUT/torch_softmax_cpu.json" > "$OUT/torch_softmax_cpu.txt" 2>&1 \
  || { cat "$OUT/torch_softmax_cpu.txt"; echo "PyTorch peer failed"; exit 1; }
MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=268435456 \
  "$PYTHON" bench/peer/torch_softmax.py --device cpu --threads "$THREADS" "${peer_args[@]}" --variant "malloc kept" \
  --json "$OUT/torch_softmax_cpu_malloc.json" > "$OUT/torch_softmax_cpu_malloc.txt" 2>&1 \
  || { cat "$OUT/torch_softmax_cpu_malloc.txt"; echo "PyTorch peer (malloc kept) failed"; exit 1; }
echo "==> load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 bench/report_softmax.py --artifacts "$OUT/bdn" --peer "$OUT/torch_softmax_cpu.json" \
  --peer "$OUT/torch_softmax_cpu_malloc.json" --out "$OUT/softmax-report-cpu.md"
