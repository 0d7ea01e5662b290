#!/usr/bin/env bash
# One complete GPU run, on the GPU machine (CUDA toolkit and PyTorch, no .NET), meant to fit in 5 minutes.
# Prepare here with
#   ./build.sh gpu-pack          # self-contained tests/CLI/bench -> .gpu/crema-gpu.tgz (ignored by git)
# then run there from the repository root, carrying .gpu:
#   bash tools/gpu/run.sh        # logs and tables under $OUT (default ./gpu-out); the summary and one table last
# Steps, each under its own timeout:
#   1. build libcrema.so with CMake against that machine's CUDA (its cuBLAS differs from ours);
#   2. `crema info`, `device_query`, `time --engine gpu` and `check` on examples/mlp;
#   3. the GPU tests (CREMA_GPU_TESTS=gpu, the default; `all` adds the CPU tests, which CI runs anyway; 0 skips);
#   4. compute-sanitizer memcheck and racecheck over the kernel tests on small shapes (CREMA_GPU_SANITIZE=1, the
#      default; 0 skips);
#   5. the benchmarks and their PyTorch peers in the same call (CREMA_GPU_BENCH=1, the default; 0 skips):
#      CREMA_GPU_BENCH_SUITES picks from "softmax train blas" (default "softmax train");
#   6. with CREMA_GPU_PROFILE=1 (not by default): Nsight Compute over the softmax ops and a training step, Nsight
#      Systems over 20 training steps, reports under $OUT;
#   7. the summary, then the softmax table (op, shape, ours, GB/s, x floor, best PyTorch, x PyTorch) and the
#      training table (images/s against PyTorch, host synchronisations per step).
# CREMA_GPU_TEST_FILTER narrows step 3 (a Microsoft.Testing.Platform --filter expression). Never change the
# card's settings.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
PACK=${CREMA_GPU_PACK:-$ROOT/.gpu/crema-gpu.tgz}
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }
summary=()
note() { summary+=("$*"); echo "==> $*"; }

gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
gpu=${gpu:-"none visible (nvidia-smi missing or failed)"}
note "card: $gpu"
note "nvcc: $(nvcc --version 2>/dev/null | tail -1)"

# 1. Native library, built here for this card.
if cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${CREMA_CUDA_ARCHITECTURES:-native}" \
     > "$OUT/native-build.log" 2>&1 && cmake --build build/gpu -j "$(nproc)" >> "$OUT/native-build.log" 2>&1; then
  note "native build: ok ($(elapsed))"
else
  tail -40 "$OUT/native-build.log"
  note "native build: FAILED (see native-build.log)"
  printf '%s\n' "${summary[@]}"
  exit 1
fi

# 1b. The self-contained publish, with the library beside the executables.
if [ ! -f "$PACK" ]; then
  note "no $PACK: run ./build.sh gpu-pack here and carry .gpu"
  printf '%s\n' "${summary[@]}"
  exit 1
fi
work=$(mktemp -d)
tar xzf "$PACK" -C "$work"
cp build/gpu/libcrema.so "$work/pub/"
PUB=$work/pub

# 2. What the library sees.
"$PUB/Crema.Cli" info --engine gpu > "$OUT/info.txt" 2>&1
note "crema info --engine gpu: exit $? ($(grep -m1 -E '^\s+\[0\]' "$OUT/info.txt" | xargs))"
# The tools on the example net: the card's properties, the per-layer GPU times, and CPU against GPU.
"$PUB/Crema.Cli" device_query > "$OUT/device_query.txt" 2>&1
note "crema device_query: exit $? ($(grep -m1 '^name ' "$OUT/device_query.txt" | xargs))"
"$PUB/Crema.Cli" time --model examples/mlp/mlp.prototxt --engine gpu --iterations 200 > "$OUT/time-mlp.txt" 2>&1
note "crema time --engine gpu (mlp): exit $? ($(grep -m1 '^forward-backward ' "$OUT/time-mlp.txt" | xargs) ms)"
for dtype in float32 float64; do
  "$PUB/Crema.Cli" check --model examples/mlp/mlp.prototxt --dtype "$dtype" > "$OUT/check-mlp-$dtype.txt" 2>&1
  note "crema check (mlp, $dtype): exit $? ($(grep -m1 -E '^(PASS|FAIL):' "$OUT/check-mlp-$dtype.txt" | cut -c1-120))"
done

# 3. The tests: the GPU ones by default (CI runs the CPU ones on every push); CREMA_GPU_TESTS=all runs all of
#    them, 0 none.
tests_mode=${CREMA_GPU_TESTS:-gpu}
test_ok=0
if [ "$tests_mode" != 0 ]; then
  filter=()
  if [ -n "${CREMA_GPU_TEST_FILTER:-}" ]; then
    filter=(--filter "$CREMA_GPU_TEST_FILTER")
  elif [ "$tests_mode" = gpu ]; then
    filter=(--filter "TestCategory=GPU")
  fi
  (cd "$PUB" && timeout "${CREMA_TEST_TIMEOUT:-240}" ./Crema.Tests --output Detailed --no-ansi --no-progress "${filter[@]}" > "$OUT/tests.log" 2>&1)
  test_code=$?
  test_summary=$(tools/test-summary.sh "$OUT/tests.log" "$test_code")
  test_ok=$?
  echo "$test_summary" > "$OUT/test-summary.txt"
  gpu_skips=$(echo "$test_summary" | awk '/GPU unavailable/ {n += $1} END {print n + 0}')
  note "tests ($tests_mode${CREMA_GPU_TEST_FILTER:+, filtered}; exit $test_code; $(elapsed)): $(echo "$test_summary" | tail -1); GPU-unavailable skips: $gpu_skips"
else
  test_summary="tests skipped (CREMA_GPU_TESTS=0)"
  note "$test_summary"
fi

# 4. compute-sanitizer over the kernel tests on small shapes: every CUDA kernel of kernels/ in each of its regimes,
#    aligned and unaligned spans, float (double runs the same code paths). The large-tensor and benchmark-shape
#    tests and cuBLAS's gemm/gemv are left out: under the sanitizer they would take minutes. API errors are not
#    reported, because one test provokes an out-of-memory error on purpose.
memcheck_filter='TestCategory=GPU&FullyQualifiedName!~Double&FullyQualifiedName!~Gemm&FullyQualifiedName!~Gemv&(FullyQualifiedName~Fused_MatchesReferenceAndTheSeparateCallsBitwise|FullyQualifiedName~UnalignedSpans|FullyQualifiedName~OneInvalidLabel_IsFoundWherever|FullyQualifiedName~ReLUKernelTests|FullyQualifiedName~SgdKernelTests|FullyQualifiedName~EuclideanLossKernelTests|FullyQualifiedName~AccuracyKernelTests|FullyQualifiedName~GpuMathParityTests)'
# racecheck: the kernels that share memory between threads (the reductions' trees, the tile regime's staging).
racecheck_filter='TestCategory=GPU&FullyQualifiedName!~Double&(FullyQualifiedName~Fused_MatchesReferenceAndTheSeparateCallsBitwise|FullyQualifiedName~Forward_MatchesReference|FullyQualifiedName~EuclideanLossKernelTests|FullyQualifiedName~AccuracyKernelTests|FullyQualifiedName~Reductions_AreBitwise|FullyQualifiedName~Sumsq|FullyQualifiedName~Dot_)'
# A CUDA tool on PATH or in /usr/local/cuda/bin, or nothing.
cuda_tool() { command -v "$1" || ls "/usr/local/cuda/bin/$1" 2>/dev/null || true; }
sanitizer=$(cuda_tool compute-sanitizer)
sanitize() { # tool filter
  local tool=$1 filter=$2
  (cd "$PUB" && timeout "${CREMA_SANITIZE_TIMEOUT:-100}" "$sanitizer" --tool "$tool" --report-api-errors no --error-exitcode 99 \
     ./Crema.Tests --output Detailed --no-ansi --no-progress --filter "$filter" > "$OUT/$tool.log" 2>&1)
  local code=$? verdict
  case $code in
    0) verdict=clean ;;
    99) verdict="ERRORS FOUND" ;;
    124) verdict="TIMED OUT" ;;
    *) verdict="exit $code" ;;
  esac
  note "$tool: $verdict; $(grep -m1 -E '(ERROR|RACECHECK) SUMMARY' "$OUT/$tool.log" || echo "no summary: $(grep -m1 -v '^=* *COMPUTE-SANITIZER$' "$OUT/$tool.log" | cut -c1-100)"); tests: $(grep -q '^ *total:' "$OUT/$tool.log" && tools/test-summary.sh "$OUT/$tool.log" "$code" | tail -1 || echo 'no test summary') ($(elapsed))"
}
if [ "${CREMA_GPU_SANITIZE:-1}" = 1 ]; then
  if [ -n "$sanitizer" ]; then
    sanitize memcheck "$memcheck_filter"
    sanitize racecheck "$racecheck_filter"
  else
    note "compute-sanitizer: NOT FOUND on this machine (PATH, /usr/local/cuda/bin); the sanitizer step did not run"
  fi
fi

# 5. Benchmarks and their PyTorch peers, in this call so the ratios compare like with like.
#    softmax: the four GPU shapes in-process (BenchmarkDotNet short job), the peer eager and torch.compile
#      (within --compile-budget), bench/report_softmax.py's table;
#    train: the MLP training step on synthetic data already on the card, batch 64 and 256, the peer eager and
#      compiled, bench/report_train.py's table (images/s, host synchronisations per step);
#    blas: the BLAS-like ops and their peer (not in the default run).
suites=" ${CREMA_GPU_BENCH_SUITES:-softmax train} "
if [ "${CREMA_GPU_BENCH:-1}" = 1 ] && [ -x "$PUB/Crema.Bench" ]; then
  if [[ $suites == *" softmax "* ]]; then
    rm -rf "$OUT/bdn-softmax" "$OUT/softmax-report.md"
    (cd "$PUB" && timeout "${CREMA_SOFTMAX_BENCH_TIMEOUT:-150}" ./Crema.Bench --inprocess --filter '*Softmax*Gpu*' \
       --job short --warmupCount 2 --iterationCount 5 --iterationTime 100 --join --exporters json \
       --artifacts "$OUT/bdn-softmax" > "$OUT/bench-softmax.log" 2>&1)
    note "softmax bench: exit $? ($(elapsed))"
    timeout "${CREMA_SOFTMAX_PEER_TIMEOUT:-150}" python3 bench/peer/torch_softmax.py --device cuda \
      --compile-budget "${CREMA_SOFTMAX_COMPILE_BUDGET:-90}" --json "$OUT/torch_softmax_cuda.json" > "$OUT/torch_softmax.txt" 2>&1
    note "torch softmax peer: exit $? ($(elapsed))"
    python3 bench/report_softmax.py --artifacts "$OUT/bdn-softmax" --peer "$OUT/torch_softmax_cuda.json" \
      --out "$OUT/softmax-report.md" > "$OUT/softmax-report.log" 2>&1
    note "softmax report: exit $?"
  fi
  if [[ $suites == *" train "* ]]; then
    rm -rf "$OUT/bdn-train" "$OUT/train-report.md"
    (cd "$PUB" && timeout "${CREMA_TRAIN_BENCH_TIMEOUT:-90}" ./Crema.Bench --inprocess --filter '*MlpTrainStep*Gpu*' \
       --job short --warmupCount 2 --iterationCount 5 --iterationTime 100 --join --exporters json \
       --artifacts "$OUT/bdn-train" > "$OUT/bench-train.log" 2>&1)
    note "training-step bench: exit $? ($(elapsed))"
    timeout "${CREMA_TRAIN_PEER_TIMEOUT:-120}" python3 bench/peer/torch_train_mlp.py --synthetic --device cuda \
      --batches 64,256 --compile-budget "${CREMA_TRAIN_COMPILE_BUDGET:-60}" --json "$OUT/torch_train_cuda.json" \
      > "$OUT/torch_train.txt" 2>&1
    note "torch training peer: exit $? ($(elapsed))"
    python3 bench/report_train.py --artifacts "$OUT/bdn-train" --peer "$OUT/torch_train_cuda.json" \
      --out "$OUT/train-report.md" > "$OUT/train-report.log" 2>&1
    note "training report: exit $?"
  fi
  if [[ $suites == *" blas "* ]]; then
    (cd "$PUB" && timeout "${CREMA_BENCH_TIMEOUT:-200}" ./Crema.Bench --inprocess --filter '*Blas*Gpu*' --job short --join > "$OUT/bench.log" 2>&1)
    note "blas bench: exit $? ($(elapsed))"
    timeout 120 python3 bench/peer/torch_blas.py --device cuda > "$OUT/torch_blas.txt" 2>&1
    note "torch blas peer: exit $? ($(elapsed))"
  fi
fi

# 6. Profiles for tuning (CREMA_GPU_PROFILE=1; not in the default run): Nsight Compute over each softmax op at each
#    shape and one training step at batch 64 (bench/report_profile.py: per kernel, DRAM bytes and rate, % of peak,
#    occupancy, top stall reasons), and Nsight Systems over 20 training steps at batch 64 (the kernels and the CUDA
#    API calls of those steps: launches per step, and any host wait inside them). Reports under $OUT, not printed.
if [ "${CREMA_GPU_PROFILE:-0}" = 1 ]; then
  ncu=$(cuda_tool ncu)
  if [ -n "$ncu" ]; then
    (cd "$PUB" && timeout "${CREMA_NCU_TIMEOUT:-240}" "$ncu" --clock-control none --profile-from-start off --print-units base \
       --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
       --metrics dram__bytes_read.sum,dram__bytes_write.sum --csv --page raw --log-file "$OUT/ncu.csv" \
       ./Crema.Bench --profile softmax train --steps 1 --batches 64 > "$OUT/ncu-ranges.txt" 2>&1)
    note "ncu: exit $? ($(elapsed))"
    python3 bench/report_profile.py --ncu "$OUT/ncu.csv" --ranges "$OUT/ncu-ranges.txt" --out "$OUT/profile-report.md" \
      > /dev/null 2> "$OUT/profile-report.log"
    note "ncu report: exit $? ($OUT/profile-report.md)"
  else
    note "ncu: NOT FOUND (PATH, /usr/local/cuda/bin); no kernel profile"
  fi
  nsys=$(cuda_tool nsys)
  if [ -n "$nsys" ]; then
    (cd "$PUB" && timeout "${CREMA_NSYS_TIMEOUT:-120}" "$nsys" profile --capture-range=cudaProfilerApi --trace=cuda \
       --sample=none --cpuctxsw=none --force-overwrite=true -o "$OUT/train-step" \
       ./Crema.Bench --profile train --batches 64 --steps 20 > "$OUT/nsys.log" 2>&1)
    note "nsys: exit $? ($(elapsed))"
    "$nsys" stats --report cuda_api_sum --report cuda_gpu_kern_sum "$OUT/train-step.nsys-rep" > "$OUT/train-step-stats.txt" 2>&1
    note "nsys stats: exit $? ($OUT/train-step-stats.txt: API calls and kernels of 20 steps)"
  else
    note "nsys: NOT FOUND (PATH, /usr/local/cuda/bin); no timeline"
  fi
fi

rm -rf "$work"
total_s=$(( $(date +%s) - started ))
[ "$total_s" -gt 300 ] && note "the whole run took ${total_s}s, over the 5-minute budget: narrow it (see the top of this script)"
echo
echo "================ summary ================"
echo "$test_summary" | grep -E '^(  failed|  error|Skipped|  +[0-9]+ )' | head -30
if [ -f "$OUT/bench.log" ]; then
  echo "--- Crema GPU BLAS benchmarks (bench.log) ---"
  grep -E '^\|' "$OUT/bench.log" | grep -vE '^\|[-: |]+\|$' | head -16
  grep -E '^(\||torch)' "$OUT/torch_blas.txt" 2>/dev/null | head -16
fi
printf '%s\n' "${summary[@]}"
for report in softmax train; do
  if [ -f "$OUT/$report-report.md" ]; then
    echo
    cat "$OUT/$report-report.md"
  elif [ -f "$OUT/$report-report.log" ]; then
    echo "--- $report report failed ---"
    tail -5 "$OUT/$report-report.log"
    tail -15 "$OUT/bench-$report.log" 2>/dev/null
  fi
done
[ "$test_ok" = 0 ]
