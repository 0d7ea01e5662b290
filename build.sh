#!/usr/bin/env bash
# Crema's entry point on Linux/macOS. Verbs:
#   ./build.sh            build everything (the native library only when nvcc is found; otherwise CPU-only)
#   ./build.sh test       build, run all tests, end with "N passed, N failed, N skipped"
#   ./build.sh pack       NuGet packages in artifacts/packages/: Crema (library + native library) and Crema.Tool (crema)
#   ./build.sh pack-test  pack, then install both from artifacts/packages/ into a fresh project (tools/pack/smoke-test.sh)
#   ./build.sh gpu-pack   self-contained publish of the tests, CLI and benchmarks for the GPU machine (.gpu/crema-gpu.tgz)
#   ./build.sh info       build and run `crema info` (version, engine, GPU devices or why there are none)
#   ./build.sh train      the main job: trains the Fashion-MNIST MLP (examples/fashion_mnist) on the GPU when
#                         there is one, else the CPU; installs dataset-fashion-mnist where apt works
#   ./build.sh clean      remove build outputs
# Environment: CREMA_REQUIRE_NATIVE=1 fails when the native library cannot be built (CI sets it; pack defaults to it);
# CREMA_CUDA_ARCHITECTURES overrides the CUDA architectures (e.g. 90); CONFIGURATION (default Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONFIGURATION=${CONFIGURATION:-Release}
NATIVE_BUILD=build/native
NATIVE_OUT=artifacts/native
TEST_LOG_DIR=artifacts/test-results
PACKAGES_OUT=artifacts/packages
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '==> %s\n' "$*"; }

find_nvcc() {
  if command -v nvcc >/dev/null 2>&1; then command -v nvcc; return; fi
  for candidate in /usr/local/cuda/bin/nvcc /usr/lib/nvidia-cuda-toolkit/bin/nvcc; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
}

build_native() {
  local nvcc
  nvcc=$(find_nvcc || true)
  if [ -z "$nvcc" ]; then
    if [ "${CREMA_REQUIRE_NATIVE:-0}" = 1 ]; then
      echo "error: nvcc not found and CREMA_REQUIRE_NATIVE=1 (install the CUDA toolkit: see README)" >&2
      exit 1
    fi
    log "nvcc not found: building CPU-only (the GPU engine and GPU tests will be unavailable)"
    return
  fi

  local args=(-S . -B "$NATIVE_BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc")
  # nvcc 11.x rejects g++ 12 (Debian 12's default); clang++-14 is a host compiler it accepts.
  local cuda_major
  cuda_major=$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
  if [ -z "${CUDAHOSTCXX:-}" ] && [ "${cuda_major:-0}" -lt 12 ] && command -v clang++-14 >/dev/null 2>&1; then
    args+=(-DCMAKE_CUDA_HOST_COMPILER=clang++-14)
  fi
  if [ -n "${CREMA_CUDA_ARCHITECTURES:-}" ]; then
    args+=(-DCMAKE_CUDA_ARCHITECTURES="$CREMA_CUDA_ARCHITECTURES")
  fi

  log "native library: cmake with $nvcc (CUDA $cuda_major)"
  cmake "${args[@]}" > "$NATIVE_BUILD.configure.log" 2>&1 || { mkdir -p build; cat "$NATIVE_BUILD.configure.log" >&2; exit 1; }
  cmake --build "$NATIVE_BUILD" -j "$(nproc 2>/dev/null || echo 2)"
  mkdir -p "$NATIVE_OUT"
  cp "$NATIVE_BUILD/libcrema.so" "$NATIVE_OUT/"
  log "native library: $NATIVE_OUT/libcrema.so"
}

build_managed() {
  log "managed: dotnet build Crema.slnx -c $CONFIGURATION"
  dotnet build Crema.slnx -c "$CONFIGURATION" -nologo -v quiet -clp:NoSummary
}

build_all() {
  mkdir -p build
  build_native
  build_managed
}

run_tests() {
  build_all
  mkdir -p "$TEST_LOG_DIR"
  local exe=tests/Crema.Tests/bin/$CONFIGURATION/net10.0/Crema.Tests
  local log_file=$TEST_LOG_DIR/tests.log
  log "tests: $exe"
  set +e
  "$exe" --output Detailed --no-ansi --no-progress "$@" > "$log_file" 2>&1
  local code=$?
  set -e
  tools/test-summary.sh "$log_file" "$code"
}

# The NuGet packages. A package without the native library would install and then have no GPU engine, so pack needs
# nvcc unless CREMA_REQUIRE_NATIVE=0 says a CPU-only package is wanted.
pack() {
  mkdir -p build
  CREMA_REQUIRE_NATIVE=${CREMA_REQUIRE_NATIVE:-1} build_native
  if [ ! -f "$NATIVE_OUT/libcrema.so" ]; then
    log "warning: $NATIVE_OUT/libcrema.so does not exist: the packages will be CPU-only"
  fi
  rm -f "$PACKAGES_OUT"/Crema.*.nupkg
  for project in managed/Crema/Crema.csproj managed/Crema.Cli/Crema.Cli.csproj; do
    log "dotnet pack $project -c $CONFIGURATION -o $PACKAGES_OUT"
    dotnet pack "$project" -c "$CONFIGURATION" -o "$PACKAGES_OUT" -nologo -v quiet -clp:NoSummary
  done
  local package
  for package in "$PACKAGES_OUT"/Crema.*.nupkg; do
    log "$package ($(du -h "$package" | cut -f1))"
  done
}

gpu_pack() {
  build_all
  local out=.gpu
  rm -rf "$out/pub" && mkdir -p "$out/pub"
  for project in tests/Crema.Tests/Crema.Tests.csproj managed/Crema.Cli/Crema.Cli.csproj bench/Crema.Bench/Crema.Bench.csproj; do
    [ -f "$project" ] || continue
    log "publish $project (self-contained linux-x64)"
    dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$out/pub" -nologo -v quiet -clp:NoSummary
  done
  # The GPU machine builds its own libcrema.so against its CUDA (tools/gpu/run.sh); do not ship ours.
  rm -f "$out/pub/libcrema.so"
  tar czf "$out/crema-gpu.tgz" -C "$out" pub
  rm -rf "$out/pub"
  log "$out/crema-gpu.tgz ($(du -h "$out/crema-gpu.tgz" | cut -f1)); run on the GPU machine: bash tools/gpu/run.sh"
}

run_cli() {
  build_all
  dotnet "managed/Crema.Cli/bin/$CONFIGURATION/net10.0/Crema.Cli.dll" "$@"
}

# The data: Debian's dataset-fashion-mnist, installed when missing and apt can (root, or sudo without a password).
ensure_fashion_mnist() {
  local dir=/usr/share/datasets/fashion-mnist
  [ -n "${CREMA_DATA:-}" ] && return 0
  [ -f "$dir/train-images-idx3-ubyte.gz" ] && return 0
  log "installing dataset-fashion-mnist (the Fashion-MNIST IDX files, into $dir)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if ! { $sudo apt-get install -y -q --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1 ||
         { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1; }; }; then
    log "could not install dataset-fashion-mnist; install it (sudo apt install dataset-fashion-mnist) or set CREMA_DATA to a folder with the IDX files"
  fi
}

# ./build.sh train [crema train options]: the example on the GPU when one is usable, else the CPU.
train() {
  ensure_fashion_mnist
  build_all
  local cli="managed/Crema.Cli/bin/$CONFIGURATION/net10.0/Crema.Cli.dll" engine=cpu
  if dotnet "$cli" info --engine gpu >/dev/null 2>&1; then engine=gpu; fi
  log "training examples/fashion_mnist on the ${engine^^} (crema train --solver examples/fashion_mnist/solver.prototxt --engine $engine)"
  dotnet "$cli" train --solver examples/fashion_mnist/solver.prototxt --engine "$engine" "$@"
}

verb=${1:-build}
[ $# -gt 0 ] && shift
case "$verb" in
  build) build_all ;;
  test) run_tests "$@" ;;
  pack) pack ;;
  pack-test) pack; tools/pack/smoke-test.sh ;;
  gpu-pack) gpu_pack ;;
  info) run_cli info "$@" ;;
  train) train "$@" ;;
  clean) rm -rf build artifacts .gpu; dotnet clean Crema.slnx -nologo -v quiet >/dev/null 2>&1 || true ;;
  help|-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *) echo "unknown verb '$verb' (expected build, test, pack, pack-test, gpu-pack, info, train, clean or help)" >&2; exit 2 ;;
esac
