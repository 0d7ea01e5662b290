#!/usr/bin/env bash
# The CPU gemm side by side, here: Crema's CpuMath.Gemm on the MLP's shapes (BenchmarkDotNet, class MlpGemm), the
# PyTorch peer on the same shapes (Debian's python3-torch, 2 threads), then one markdown table, printed last.
#   bench/run_gemm_cpu.sh            about 2 minutes on 2 cores
#   bench/run_gemm_cpu.sh --quick    fewer iterations (to check it works; noisier)
# Environment: OUT (default artifacts/bench-gemm-cpu), THREADS (PyTorch threads, default 2), PYTHON (default
# /usr/bin/python3, which has Debian's torch), PEER_BLAS_DIR (optional: a folder with another libblas.so.3, e.g. an
# unpacked libopenblas0-pthread, for a second peer run through LD_LIBRARY_PATH; nothing is installed).
# Timings on a busy machine mean little: the load is printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-artifacts/bench-gemm-cpu}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bdn_job=(--job short --warmupCount 3 --iterationCount 15 --iterationTime 200)
peer_args=(--samples 15)
if [ "${1:-}" = --quick ]; then
  bdn_job=(--job short --warmupCount 1 --iterationCount 3 --iterationTime 100)
  peer_args=(--samples 3 --target-ms 10)
fi

rm -rf "$OUT/bdn"
mkdir -p "$OUT"
echo "==> load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "==> Crema (BenchmarkDotNet, in-process): $OUT/bench-gemm-cpu.log"
dotnet run -c Release --project bench/Crema.Bench -- --inprocess --filter '*MlpGemm*Cpu*' "${bdn_job[@]}" \
  --join --exporters json --artifacts "$OUT/bdn" > "$OUT/bench-gemm-cpu.log" 2>&1 \
  || { tail -30 "$OUT/bench-gemm-cpu.log"; echo "Crema.Bench failed (log above)"; exit 1; }

echo "==> PyTorch peer ($THREADS threads): $OUT/torch_gemm_cpu.txt"
peers=(--peer "$OUT/torch_gemm_cpu.json")
"$PYTHON" bench/peer/torch_gemm.py --device cpu --threads "$THREADS" "${peer_args[@]}" \
  --json "$OUT/torch_gemm_cpu.json" > "$OUT/torch_gemm_cpu.txt" 2>&1 \
  || { cat "$OUT/torch_gemm_cpu.txt"; echo "PyTorch peer failed"; exit 1; }
if [ -n "${PEER_BLAS_DIR:-}" ]; then
  echo "==> PyTorch peer with libblas.so.3 from $PEER_BLAS_DIR: $OUT/torch_gemm_cpu_blas.txt"
  LD_LIBRARY_PATH="$PEER_BLAS_DIR" OPENBLAS_NUM_THREADS="$THREADS" "$PYTHON" bench/peer/torch_gemm.py --device cpu \
    --threads "$THREADS" "${peer_args[@]}" --variant "$(basename "$PEER_BLAS_DIR")" \
    --json "$OUT/torch_gemm_cpu_blas.json" > "$OUT/torch_gemm_cpu_blas.txt" 2>&1 \
    || { cat "$OUT/torch_gemm_cpu_blas.txt"; echo "PyTorch peer ($PEER_BLAS_DIR) failed"; exit 1; }
  peers+=(--peer "$OUT/torch_gemm_cpu_blas.json")
fi
echo "==> load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 bench/report_gemm.py --artifacts "$OUT/bdn" "${peers[@]}" --out "$OUT/gemm-report-cpu.md"
