#!/usr/bin/env bash
# The MLP training step side by side: Crema.Bench's MlpTrainStep on one engine (BenchmarkDotNet, in-process, synthetic
# data already where the engine computes), the PyTorch peer on the same device (torch_train_mlp.py --synthetic), then
# bench/report_train.py's table, printed last.
#   bench/run_train_synthetic.sh [cpu|gpu] [--quick]    default cpu; here about 30 s once built (--quick: about 15 s)
# Environment: OUT (default artifacts/bench-train-<engine>); PYTHON (default /usr/bin/python3 for cpu, which has
# Debian's torch, python3 for gpu); THREADS (PyTorch CPU threads, default nproc); COMPILE_BUDGET (seconds of
# torch.compile for the peer, default 120 on gpu, none on cpu); CREMA_BENCH (a published Crema.Bench executable to run
# instead of `dotnet run`, as on the GPU machine, which has no .NET SDK); PEER_BLAS_DIR (cpu only, optional: a folder
# with another libblas.so.3, e.g. an unpacked libopenblas0-pthread, for a second peer run through LD_LIBRARY_PATH, as
# bench/run_gemm_cpu.sh does; nothing is installed). The load average is printed before and after: other work on the
# machine skews both sides.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
engine=cpu
quick=
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) engine=$arg ;;
  esac
done
case "$engine" in
  cpu) method=Cpu device=cpu default_python=/usr/bin/python3 default_budget= ;;
  gpu) method=Gpu device=cuda default_python=python3 default_budget=120 ;;
  *) echo "usage: $0 [cpu|gpu] [--quick]" >&2; exit 2 ;;
esac
OUT=${OUT:-artifacts/bench-train-$engine}
PYTHON=${PYTHON:-$default_python}
THREADS=${THREADS:-$(nproc)}
COMPILE_BUDGET=${COMPILE_BUDGET:-$default_budget}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bdn_job=(--job short --warmupCount 3 --iterationCount 10 --iterationTime 250)
peer_args=()
if [ -n "$quick" ]; then
  bdn_job=(--job short --warmupCount 1 --iterationCount 3 --iterationTime 100)
  peer_args=(--quick)
fi
[ -n "$COMPILE_BUDGET" ] && peer_args+=(--compile-budget "$COMPILE_BUDGET")
[ "$device" = cpu ] && peer_args+=(--threads "$THREADS")
if [ -n "${CREMA_BENCH:-}" ]; then
  bench=("$CREMA_BENCH")
else
  bench=(dotnet run -c Release --project bench/Crema.Bench --)
fi

# A failed step does not stop the others (device time is scarce): the report lists what is missing, and the script
# exits 1 at the end.
status=0
rm -rf "$OUT/bdn" "$OUT/torch_train_$device.json" "$OUT/torch_train_${device}_blas.json"
mkdir -p "$OUT"
echo "==> $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p'); load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "==> Crema (BenchmarkDotNet, in-process, MlpTrainStep.$method): $OUT/bench-train-$engine.log"
"${bench[@]}" --inprocess --filter "*MlpTrainStep*$method*" "${bdn_job[@]}" \
  --join --exporters json --artifacts "$OUT/bdn" > "$OUT/bench-train-$engine.log" 2>&1 \
  || { tail -30 "$OUT/bench-train-$engine.log"; echo "Crema.Bench failed (log above)"; status=1; }
grep -E '^(CPU|GPU)|MlpTrainStep\..* warm-up:' "$OUT/bench-train-$engine.log" || true

echo "==> PyTorch peer ($PYTHON, $device): $OUT/torch_train_$device.txt"
"$PYTHON" bench/peer/torch_train_mlp.py --synthetic --device "$device" --batches 64,256 "${peer_args[@]}" \
  --json "$OUT/torch_train_$device.json" > "$OUT/torch_train_$device.txt" 2>&1 \
  || { cat "$OUT/torch_train_$device.txt"; echo "PyTorch peer failed"; status=1; }
peers=(--peer "$OUT/torch_train_$device.json")
if [ -n "${PEER_BLAS_DIR:-}" ] && [ "$device" = cpu ]; then
  echo "==> PyTorch peer with libblas.so.3 from $PEER_BLAS_DIR: $OUT/torch_train_${device}_blas.txt"
  # OMP_WAIT_POLICY=passive: torch's OpenMP workers otherwise spin after each parallel op and take the cores from
  # OpenBLAS's own threads (one pair of runs here, on a shared machine: batch 256 at 12,760 images/s without, 27,351 with).
  LD_LIBRARY_PATH="$PEER_BLAS_DIR" OPENBLAS_NUM_THREADS="$THREADS" OMP_WAIT_POLICY=passive \
    "$PYTHON" bench/peer/torch_train_mlp.py --synthetic \
    --device cpu --batches 64,256 "${peer_args[@]}" --variant "$(basename "$PEER_BLAS_DIR")" \
    --json "$OUT/torch_train_${device}_blas.json" > "$OUT/torch_train_${device}_blas.txt" 2>&1 \
    || { cat "$OUT/torch_train_${device}_blas.txt"; echo "PyTorch peer ($PEER_BLAS_DIR) failed"; status=1; }
  peers+=(--peer "$OUT/torch_train_${device}_blas.json")
fi
echo "==> load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 bench/report_train.py --artifacts "$OUT/bdn" "${peers[@]}" --out "$OUT/train-report-$engine.md"
exit $status
