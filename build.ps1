#!/usr/bin/env pwsh
# Crema's entry point for PowerShell 7 (Windows, Linux, macOS); the same verbs as build.sh:
#   ./build.ps1            build everything (the native library only when nvcc is found; otherwise CPU-only)
#   ./build.ps1 test       build, run all tests, end with "N passed, N failed, N skipped"
#   ./build.ps1 pack       NuGet packages in artifacts/packages/: Crema (library + native library) and Crema.Tool (crema)
#   ./build.ps1 pack-test  pack, then install both into a fresh project (tools/pack/smoke-test.sh; Linux, needs bash)
#   ./build.ps1 gpu-pack   self-contained publish of the tests, CLI and benchmarks for the GPU machine (.gpu/crema-gpu.tgz)
#   ./build.ps1 info       build and run `crema info` (version, engine, GPU devices or why there are none)
#   ./build.ps1 train      the main job: trains examples/fashion_mnist on the GPU when there is one, else the CPU
#                          (the data: Debian's dataset-fashion-mnist, or CREMA_DATA / --data DIR elsewhere)
#   ./build.ps1 clean      remove build outputs
# Environment: CREMA_REQUIRE_NATIVE=1 fails when the native library cannot be built (CI sets it; pack defaults to it);
# CREMA_CUDA_ARCHITECTURES overrides the CUDA architectures (e.g. 90); CONFIGURATION (default Release).
param(
    [string]$Verb = 'build',
    [Parameter(ValueFromRemainingArguments)] $Rest
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Set-Location -LiteralPath $PSScriptRoot

$Configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { 'Release' }
$NativeBuild = 'build/native'
$NativeOut = 'artifacts/native'
$TestLogDir = 'artifacts/test-results'
$PackagesOut = 'artifacts/packages'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
# Arguments after the verb, passed on to the test runner or the CLI.
$RestArgs = @(if ($null -ne $Rest) { $Rest | ForEach-Object { "$_" } })
# A first argument that looks like a parameter (-h, --help, -x) is not bound to $Verb; treat it as the verb,
# as build.sh does.
if (-not $PSBoundParameters.ContainsKey('Verb') -and $RestArgs.Count -gt 0) {
    $Verb = $RestArgs[0]
    $RestArgs = @($RestArgs | Select-Object -Skip 1)
}

function Write-Log([string]$Message) { Write-Host "==> $Message" }

function Write-Stderr([string]$Message) { [Console]::Error.WriteLine($Message) }

# Raised for expected failures; the top level prints "error: <message>" and exits 1.
class CremaBuildException : System.Exception {
    CremaBuildException([string]$message) : base($message) {}
}

function Stop-Build([string]$Message) { throw [CremaBuildException]::new($Message) }

function Assert-ExitCode([string]$What) {
    if ($LASTEXITCODE -ne 0) { Stop-Build "$What failed (exit code $LASTEXITCODE)" }
}

function Test-Command([string]$Name) {
    $null -ne (Get-Command $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1)
}

function Find-Nvcc {
    $command = Get-Command nvcc -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { return $command.Source }
    $candidates = @('/usr/local/cuda/bin/nvcc', '/usr/lib/nvidia-cuda-toolkit/bin/nvcc')
    if ($env:CUDA_PATH) { $candidates += Join-Path $env:CUDA_PATH 'bin' 'nvcc.exe' }
    foreach ($candidate in $candidates) {
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    return $null
}

function Build-Native {
    $nvcc = Find-Nvcc
    if (-not $nvcc) {
        if ($env:CREMA_REQUIRE_NATIVE -eq '1') {
            Stop-Build 'nvcc not found and CREMA_REQUIRE_NATIVE=1 (install the CUDA toolkit: see README)'
        }
        Write-Log 'nvcc not found: building CPU-only (the GPU engine and GPU tests will be unavailable)'
        return
    }

    $cmakeArgs = @('-S', '.', '-B', $NativeBuild, '-DCMAKE_BUILD_TYPE=Release', "-DCMAKE_CUDA_COMPILER=$nvcc")
    # nvcc 11.x rejects g++ 12 (Debian 12's default); clang++-14 is a host compiler it accepts.
    $versionText = (& $nvcc --version | ForEach-Object { "$_" }) -join "`n"
    Assert-ExitCode "$nvcc --version"
    $cudaMajor = if ($versionText -match 'release (\d+)\.') { $Matches[1] } else { '' }
    $cudaMajorNumber = if ($cudaMajor) { [int]$cudaMajor } else { 0 }
    if (-not $env:CUDAHOSTCXX -and $cudaMajorNumber -lt 12 -and (Test-Command 'clang++-14')) {
        $cmakeArgs += '-DCMAKE_CUDA_HOST_COMPILER=clang++-14'
    }
    if ($env:CREMA_CUDA_ARCHITECTURES) {
        $cmakeArgs += "-DCMAKE_CUDA_ARCHITECTURES=$($env:CREMA_CUDA_ARCHITECTURES)"
    }

    Write-Log "native library: cmake with $nvcc (CUDA $cudaMajor)"
    $configureLog = "$NativeBuild.configure.log"
    $eap = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & cmake @cmakeArgs *> $configureLog
        $configureCode = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $eap
    }
    if ($configureCode -ne 0) {
        New-Item -ItemType Directory -Force -Path build | Out-Null
        if (Test-Path -LiteralPath $configureLog) { Get-Content -LiteralPath $configureLog | ForEach-Object { Write-Stderr $_ } }
        Stop-Build "native library: cmake configure failed (exit code $configureCode); log: $configureLog"
    }

    $buildArgs = @('--build', $NativeBuild, '-j', "$([Environment]::ProcessorCount)")
    # Visual Studio generators are multi-config: pick the configuration at build time.
    if ($IsWindows) { $buildArgs += @('--config', 'Release') }
    & cmake @buildArgs
    Assert-ExitCode 'native library: cmake --build'

    New-Item -ItemType Directory -Force -Path $NativeOut | Out-Null
    if ($IsWindows) {
        $library = @("$NativeBuild/Release/crema.dll", "$NativeBuild/crema.dll") |
            Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
        if (-not $library) { Stop-Build "native library: crema.dll not found under $NativeBuild/Release or $NativeBuild" }
        Copy-Item -LiteralPath $library -Destination "$NativeOut/crema.dll" -Force
        Write-Log "native library: $NativeOut/crema.dll"
    } else {
        $library = "$NativeBuild/libcrema.so"
        if (-not (Test-Path -LiteralPath $library -PathType Leaf)) { Stop-Build "native library: $library not found after the build" }
        Copy-Item -LiteralPath $library -Destination "$NativeOut/" -Force
        Write-Log "native library: $NativeOut/libcrema.so"
    }
}

function Build-Managed {
    Write-Log "managed: dotnet build Crema.slnx -c $Configuration"
    & dotnet build Crema.slnx -c $Configuration -nologo -v quiet -clp:NoSummary
    Assert-ExitCode 'managed: dotnet build'
}

function Build-All {
    New-Item -ItemType Directory -Force -Path build | Out-Null
    Build-Native
    Build-Managed
}

# The script's exit code; functions set it instead of returning it, because native commands' output
# inside a function would otherwise become part of the function's return value.
$script:ExitCode = 0

# Sets $script:ExitCode: 0 when every test passed, 1 otherwise.
function Invoke-Tests([string[]]$RunnerArgs) {
    Build-All
    New-Item -ItemType Directory -Force -Path $TestLogDir | Out-Null
    $exeName = if ($IsWindows) { 'Crema.Tests.exe' } else { 'Crema.Tests' }
    $exe = "tests/Crema.Tests/bin/$Configuration/net10.0/$exeName"
    $logFile = "$TestLogDir/tests.log"
    Write-Log "tests: $exe"
    if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) { Stop-Build "test executable not found: $exe" }
    $eap = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        # "./" so that a relative path is run as a file, not looked up on PATH.
        & "./$exe" --output Detailed --no-ansi --no-progress @RunnerArgs *> $logFile
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $eap
    }
    Write-TestSummary $logFile $code
}

# Last value captured by $Pattern's first group over the log's lines, or $null when no line matches.
function Get-LastCapture([string[]]$Lines, [string]$Pattern) {
    $value = $null
    foreach ($line in $Lines) {
        if ($line -match $Pattern) { $value = $Matches[1] }
    }
    return $value
}

# Prints failures and skip reasons from the runner's log, then the closing line "N passed, N failed, N skipped".
function Write-TestSummary([string]$LogFile, [int]$Code) {
    $lines = @(if (Test-Path -LiteralPath $LogFile) { Get-Content -LiteralPath $LogFile })
    foreach ($line in $lines) {
        if ($line -cmatch '^(failed|error) ') { Write-Host "  $line" }
    }
    $reasons = [ordered]@{}
    $anySkipped = $false
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -cmatch '^skipped ') {
            $anySkipped = $true
            if ($i + 1 -lt $lines.Count) {
                $i++
                $reason = $lines[$i] -replace '^ +', ''
                if ($reasons.Contains($reason)) { $reasons[$reason]++ } else { $reasons[$reason] = 1 }
            }
        }
    }
    if ($anySkipped) {
        Write-Host 'Skipped tests, by reason:'
        $reasons.GetEnumerator() |
            Sort-Object -Property @{ Expression = { $_.Value }; Descending = $true }, @{ Expression = { $_.Key }; Descending = $true } |
            ForEach-Object { Write-Host ('  {0,4}  {1}' -f $_.Value, $_.Key) }
    }
    $total = Get-LastCapture $lines '^ *total: ([0-9]*)'
    $passed = Get-LastCapture $lines '^ *succeeded: ([0-9]*)'
    $failed = Get-LastCapture $lines '^ *failed: ([0-9]*)'
    $skipped = Get-LastCapture $lines '^ *skipped: ([0-9]*)'
    if (-not $total) {
        $lines | Select-Object -Last 40 | ForEach-Object { Write-Stderr $_ }
        Write-Stderr "error: the test runner produced no summary (exit code $Code); log: $LogFile"
        Write-Host '0 passed, 1 failed, 0 skipped'
        $script:ExitCode = 1
        return
    }
    if (-not $passed) { $passed = '0' }
    if (-not $failed) { $failed = '0' }
    if (-not $skipped) { $skipped = '0' }
    Write-Host "log: $LogFile"
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    $script:ExitCode = if ($failed -eq '0' -and $Code -eq 0) { 0 } else { 1 }
}

# The NuGet packages. A package without the native library would install and then have no GPU engine, so pack needs
# nvcc unless CREMA_REQUIRE_NATIVE=0 says a CPU-only package is wanted. Crema.csproj packs whichever of
# artifacts/native/libcrema.so and crema.dll exist (runtimes/linux-x64/native/, runtimes/win-x64/native/).
function Invoke-Pack {
    New-Item -ItemType Directory -Force -Path build | Out-Null
    $requireNative = $env:CREMA_REQUIRE_NATIVE
    if (-not $requireNative) { $env:CREMA_REQUIRE_NATIVE = '1' }
    try {
        Build-Native
    } finally {
        $env:CREMA_REQUIRE_NATIVE = $requireNative
    }
    $native = if ($IsWindows) { "$NativeOut/crema.dll" } else { "$NativeOut/libcrema.so" }
    if (-not (Test-Path -LiteralPath $native -PathType Leaf)) {
        Write-Log "warning: $native does not exist: the packages will be CPU-only"
    }
    if (Test-Path -LiteralPath $PackagesOut) {
        Get-ChildItem -LiteralPath $PackagesOut -Filter 'Crema.*.nupkg' | Remove-Item -Force
    }
    foreach ($project in @('managed/Crema/Crema.csproj', 'managed/Crema.Cli/Crema.Cli.csproj')) {
        Write-Log "dotnet pack $project -c $Configuration -o $PackagesOut"
        & dotnet pack $project -c $Configuration -o $PackagesOut -nologo -v quiet -clp:NoSummary
        Assert-ExitCode "dotnet pack $project"
    }
    foreach ($package in Get-ChildItem -LiteralPath $PackagesOut -Filter 'Crema.*.nupkg') {
        Write-Log ('{0}/{1} ({2:0.0}M)' -f $PackagesOut, $package.Name, ($package.Length / 1MB))
    }
}

# Sets $script:ExitCode to the smoke test's exit code.
function Invoke-PackTest {
    Invoke-Pack
    if ($IsWindows -or -not (Test-Command 'bash')) {
        Stop-Build 'the package smoke test (tools/pack/smoke-test.sh) needs bash on Linux; the packages are in artifacts/packages'
    }
    & bash tools/pack/smoke-test.sh
    $script:ExitCode = $LASTEXITCODE
}

function Invoke-GpuPack {
    Build-All
    $out = '.gpu'
    $pub = "$out/pub"
    if (Test-Path -LiteralPath $pub) { Remove-Item -LiteralPath $pub -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $pub | Out-Null
    foreach ($project in @('tests/Crema.Tests/Crema.Tests.csproj', 'managed/Crema.Cli/Crema.Cli.csproj', 'bench/Crema.Bench/Crema.Bench.csproj')) {
        if (-not (Test-Path -LiteralPath $project -PathType Leaf)) { continue }
        Write-Log "publish $project (self-contained linux-x64)"
        & dotnet publish $project -c Release -r linux-x64 --self-contained -o $pub -nologo -v quiet -clp:NoSummary
        Assert-ExitCode "dotnet publish $project"
    }
    # The GPU machine builds its own libcrema.so against its CUDA (tools/gpu/run.sh); do not ship ours.
    Remove-Item -LiteralPath "$pub/libcrema.so" -Force -ErrorAction SilentlyContinue
    $archive = "$out/crema-gpu.tgz"
    & tar czf $archive -C $out pub
    Assert-ExitCode "tar czf $archive"
    Remove-Item -LiteralPath $pub -Recurse -Force
    $bytes = (Get-Item -LiteralPath $archive).Length
    $size = if ($bytes -ge 1GB) { '{0:0.0}G' -f ($bytes / 1GB) }
            elseif ($bytes -ge 1MB) { '{0:0.0}M' -f ($bytes / 1MB) }
            elseif ($bytes -ge 1KB) { '{0:0.0}K' -f ($bytes / 1KB) }
            else { "$bytes" }
    Write-Log "$archive ($size); run on the GPU machine: bash tools/gpu/run.sh"
}

# Sets $script:ExitCode to the CLI's exit code; -NoBuild when the caller has just built.
function Invoke-Cli([string[]]$CliArgs, [switch]$NoBuild) {
    if (-not $NoBuild) { Build-All }
    & dotnet "managed/Crema.Cli/bin/$Configuration/net10.0/Crema.Cli.dll" @CliArgs
    $script:ExitCode = $LASTEXITCODE
}

function Show-Help {
    # The comment block at the top of this file, from its second line, without the leading "# ".
    $lines = Get-Content -LiteralPath $PSCommandPath
    for ($i = 1; $i -lt $lines.Count -and $lines[$i].StartsWith('#'); $i++) {
        Write-Host ($lines[$i] -replace '^# ?', '')
    }
}

try {
    switch -CaseSensitive ($Verb) {
        'build' { Build-All; exit 0 }
        'test' { Invoke-Tests $RestArgs; exit $script:ExitCode }
        'pack' { Invoke-Pack; exit 0 }
        'pack-test' { Invoke-PackTest; exit $script:ExitCode }
        'gpu-pack' { Invoke-GpuPack; exit 0 }
        'info' { Invoke-Cli (@('info') + $RestArgs); exit $script:ExitCode }
        'train' {
            Build-All
            $engine = 'cpu'
            Invoke-Cli @('info', '--engine', 'gpu') -NoBuild *> $null
            if ($script:ExitCode -eq 0) { $engine = 'gpu' }
            Write-Log "training examples/fashion_mnist on the $($engine.ToUpperInvariant())"
            Invoke-Cli (@('train', '--solver', 'examples/fashion_mnist/solver.prototxt', '--engine', $engine) + $RestArgs) -NoBuild
            exit $script:ExitCode
        }
        'clean' {
            foreach ($dir in @('build', 'artifacts', '.gpu')) {
                if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
            }
            $ErrorActionPreference = 'Continue'
            try { & dotnet clean Crema.slnx -nologo -v quiet *> $null } catch { }
            exit 0
        }
        { @('help', '-h', '--help') -ccontains $_ } { Show-Help; exit 0 }
        default {
            Write-Stderr "unknown verb '$Verb' (expected build, test, pack, pack-test, gpu-pack, info, train, clean or help)"
            exit 2
        }
    }
} catch [CremaBuildException] {
    Write-Stderr "error: $($_.Exception.Message)"
    exit 1
}
