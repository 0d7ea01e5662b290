#!/usr/bin/env bash
# crema train against its PyTorch peer on examples/fashion_mnist: the same MLP, batch, SGD settings and data, the
# same number of training iterations (no test passes, no snapshots), images/s side by side from one run.
#   bench/run_train_cpu.sh [iterations] [engine]     # defaults: 938 (one epoch at batch 64), cpu
# PyTorch: /usr/bin/python3 (Debian's python3-torch) with 2 threads on the CPU; PYTHON=... to use another.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
iterations=${1:-938}
engine=${2:-cpu}
python=${PYTHON:-/usr/bin/python3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

./build.sh build >/dev/null
# The example's solver without the test nets and snapshots, stopping after $iterations.
grep -v -E '^(test_iter|test_interval|snapshot|max_iter)' examples/fashion_mnist/solver.prototxt > "$out/solver.prototxt"
printf 'max_iter: %s\nsnapshot_after_train: false\n' "$iterations" >> "$out/solver.prototxt"
dotnet managed/Crema.Cli/bin/Release/net10.0/Crema.Cli.dll train --solver "$out/solver.prototxt" --engine "$engine" > "$out/crema.log"
ours=$(grep -E 'images/s +│' "$out/crema.log" | grep -oE '[0-9]+' | tail -1)
seconds=$(grep -E '│ time ' "$out/crema.log" | grep -oE '[0-9.]+ s' | grep -oE '[0-9.]+')

device=cpu; [ "$engine" = gpu ] && device=cuda
peer_json=$("$python" bench/peer/torch_train_mlp.py --iterations "$iterations" --device "$device" --threads "$(nproc)")
peer=$(printf '%s' "$peer_json" | "$python" -c 'import json,sys; print(round(json.load(sys.stdin)["images_per_s"]))')
peer_seconds=$(printf '%s' "$peer_json" | "$python" -c 'import json,sys; print(round(json.load(sys.stdin)["seconds"], 2))')
peer_name=$(printf '%s' "$peer_json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["peer"])')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)

echo "examples/fashion_mnist MLP 784-512-256-10, batch 64, $iterations iterations, $(date -u +%Y-%m-%d), $cpu, $(nproc) cores"
printf '| %-28s | %10s | %10s |\n' "trainer" "seconds" "images/s"
printf '| %-28s | %10s | %10s |\n' "crema train ($engine)" "$seconds" "$ours"
printf '| %-28s | %10s | %10s |\n' "$peer_name ($device)" "$peer_seconds" "$peer"
"$python" -c "print('ours / PyTorch: %.2fx' % ($ours / $peer))"
