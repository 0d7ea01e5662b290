#!/usr/bin/env bash
# Smoke test of the NuGet packages that `./build.sh pack` writes to artifacts/packages/ (run by ./build.sh pack-test
# and CI). In a temporary folder outside the repository, with a fresh NuGet package cache (so a package packed again
# under the same version is never served stale from ~/.nuget/packages):
#   1. a new net10.0 console app, `dotnet add package Crema --version X` from artifacts/packages/ (dependencies from
#      the machine's usual NuGet sources), a Program.cs that trains DummyData -> InnerProduct -> SoftmaxWithLoss for
#      one SgdSolver step on the CPU engine; `dotnet run` must print a finite loss. Then `dotnet publish -r linux-x64`
#      and the published app again.
#   2. `dotnet tool install --tool-path T Crema.Tool --version X --add-source artifacts/packages`, then `T/crema info`
#      must exit 0 and name the native library it loaded.
# When artifacts/native/libcrema.so exists (the packages were made with it), the app and the tool must load the
# library from where the package put it: bin/.../runtimes/linux-x64/native/ after `dotnet run`, next to the app after
# `dotnet publish -r linux-x64`, and the tool's own folder. No GPU is needed: the step runs on the CPU engine.
# Environment: CREMA_SMOKE_KEEP=1 keeps the temporary folder (its path is printed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset CREMA_NATIVE_LIBRARY

started=$(date +%s)
log() { printf '==> [%3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "smoke test FAILED: $*" >&2; exit 1; }

packages=$(pwd)/artifacts/packages
version=$(dotnet msbuild managed/Crema/Crema.csproj -getProperty:Version)
rid=linux-x64
for id in Crema Crema.Tool; do
  [ -f "$packages/$id.$version.nupkg" ] || fail "$packages/$id.$version.nupkg not found (run ./build.sh pack first)"
done
expect_native=0
[ -f artifacts/native/libcrema.so ] && expect_native=1

work=$(mktemp -d "${TMPDIR:-/tmp}/crema-pack-smoke.XXXXXX")
cleanup() {
  if [ "${CREMA_SMOKE_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export NUGET_PACKAGES=$work/nuget-packages
log "packages $packages (version $version), temporary folder $work"

# The package restored must be the one in artifacts/packages/, not one from another feed with the same id and
# version: NuGet keeps a copy of the .nupkg it extracted (DIR/<id, lower case>.<version>.nupkg).
check_origin() { # check_origin ID DIR
  local id=$1 dir=$2
  local copy=$dir/${id,,}.$version.nupkg
  [ -f "$copy" ] || fail "$id $version was not restored (no $copy)"
  cmp -s "$copy" "$packages/$id.$version.nupkg" ||
    fail "$id $version was restored from a package other than $packages/$id.$version.nupkg"
}

# 1. A consuming app.
app=$work/app
mkdir -p "$app"
cat > "$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<!-- artifacts/packages/, added to the sources the machine already has (user-level NuGet.Config). -->
<configuration>
  <packageSources>
    <add key="crema-local" value="$packages" />
  </packageSources>
</configuration>
EOF
cat > "$app/SmokeApp.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
</Project>
EOF
cat > "$app/Program.cs" <<'EOF'
using System.Globalization;
using Crema;
using Crema.Cuda;
using Crema.Parameters;
using Crema.Solvers;

Engine.UseCpu();
var solverParam = SolverParameter.Parse("""
    base_lr: 0.1
    lr_policy: "fixed"
    max_iter: 1
    random_seed: 1701
    net_param {
      name: "smoke"
      layer {
        name: "data" type: "DummyData" top: "data" top: "label"
        dummy_data_param {
          data_filler { type: "gaussian" std: 1 } shape { dim: 8 dim: 4 }
          data_filler { type: "constant" value: 1 } shape { dim: 8 }
        }
      }
      layer {
        name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 3 weight_filler { type: "xavier" } }
      }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    }
    """);
using var solver = new SgdSolver<float>(solverParam);
solver.Step(1);
float loss = solver.SmoothedLoss;
Console.WriteLine($"engine: {Engine.Current}");
Console.WriteLine($"iterations: {solver.Iter}");
Console.WriteLine($"loss: {loss.ToString("R", CultureInfo.InvariantCulture)}");
Console.WriteLine($"native library: {CudaRuntime.Probe().LibraryPath ?? "not loaded"}");
return float.IsFinite(loss) ? 0 : 1;
EOF

log "dotnet add package Crema --version $version"
(cd "$app" && dotnet add package Crema --version "$version") > "$work/add-package.log" 2>&1 ||
  { cat "$work/add-package.log" >&2; fail "dotnet add package Crema --version $version"; }
check_origin Crema "$NUGET_PACKAGES/crema/$version"
restored=$NUGET_PACKAGES/crema/$version
if [ "$expect_native" = 1 ] && [ ! -f "$restored/runtimes/$rid/native/libcrema.so" ]; then
  fail "the Crema package has no runtimes/$rid/native/libcrema.so"
fi

# check_app OUTPUT EXPECTED_LIBRARY: a finite loss after one CPU step, and the library from where it should be.
check_app() {
  local output=$1 expected=$2
  printf '%s\n' "$output" | sed 's/^/    /'
  local loss
  loss=$(printf '%s\n' "$output" | sed -n 's/^loss: //p')
  [ -n "$loss" ] || fail "the app printed no loss"
  case "$loss" in *[Nn]a[Nn]*|*[Ii]nfinity*|*∞*) fail "the loss is not finite: $loss" ;; esac
  printf '%s\n' "$output" | grep -qx 'engine: Cpu' || fail "the app did not run on the CPU engine"
  printf '%s\n' "$output" | grep -qx 'iterations: 1' || fail "the solver did not make one step"
  if [ "$expect_native" = 1 ]; then
    printf '%s\n' "$output" | grep -qxF "native library: $expected" ||
      fail "the native library was not loaded from $expected"
  fi
}

log "dotnet run (dotnet build layout: the library under bin/Release/net10.0/runtimes/$rid/native/)"
output=$(cd "$app" && dotnet run -c Release 2>&1) || { printf '%s\n' "$output" >&2; fail "dotnet run"; }
check_app "$output" "$app/bin/Release/net10.0/runtimes/$rid/native/libcrema.so"

log "dotnet publish -r $rid (the library next to the app)"
(cd "$app" && dotnet publish -c Release -r "$rid" --self-contained false -o "$app/publish") > "$work/publish.log" 2>&1 ||
  { cat "$work/publish.log" >&2; fail "dotnet publish -r $rid"; }
output=$("$app/publish/SmokeApp" 2>&1) || { printf '%s\n' "$output" >&2; fail "the published app"; }
check_app "$output" "$app/publish/libcrema.so"

# 2. The tool, from a folder without a nuget.config of its own (the machine's sources plus --add-source).
tools=$work/tools
log "dotnet tool install --tool-path $tools Crema.Tool --version $version --add-source $packages"
(cd "$work" && dotnet tool install --tool-path "$tools" Crema.Tool --version "$version" --add-source "$packages") \
  > "$work/tool-install.log" 2>&1 || { cat "$work/tool-install.log" >&2; fail "dotnet tool install Crema.Tool"; }
sed 's/^/    /' "$work/tool-install.log"
[ -x "$tools/crema" ] || fail "the tool install made no $tools/crema"
check_origin Crema.Tool "$tools/.store/crema.tool/$version/crema.tool/$version"

log "$tools/crema info"
set +e
output=$("$tools/crema" info 2>&1)
code=$?
set -e
printf '%s\n' "$output" | sed 's/^/    /'
[ "$code" = 0 ] || fail "crema info exited with $code"
library=$(printf '%s\n' "$output" | sed -n 's/^ *native library *//p')
[ -n "$library" ] || fail "crema info printed no native library line"
if [ "$expect_native" = 1 ]; then
  case "$library" in
    *"($tools/"*"/libcrema.so)") ;;
    *) fail "crema info did not load the tool's own libcrema.so: $library" ;;
  esac
else
  echo "note: artifacts/native/libcrema.so does not exist, so the packages were made CPU-only (native library: $library)"
fi

log "smoke test passed (Crema $version, Crema.Tool $version)"
