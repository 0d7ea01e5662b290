using BenchmarkDotNet.Running;
using Crema.Blas;

namespace Crema.Bench.Blas;

/// <summary>
/// One gemm problem of <see cref="MlpGemm"/>: C (M × N) = op(A) op(B) + Beta·C, row-major floats, as
/// <see cref="CpuMath.Gemm{T}"/> takes it. A is M × K (K × M when transposed), B is K × N (N × K when transposed).
/// </summary>
public sealed record GemmCase(string Name, Transpose TransA, Transpose TransB, int M, int N, int K, float Beta, string What)
{
    /// <summary>2·M·N·K (the Beta·C term left out, as BLAS conventions do).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Bytes read plus written, each element once: A, B, and C written (also read when Beta ≠ 0).</summary>
    public long BytesMoved => sizeof(float) * (((long)M * K) + ((long)K * N) + ((long)M * N * (Beta == 0 ? 1 : 2)));

    /// <summary>"NT" for op(A) = A, op(B) = Bᵀ, and so on.</summary>
    public string Transposes => $"{Letter(TransA)}{Letter(TransB)}";

    private static char Letter(Transpose t) => t == Transpose.NoTrans ? 'N' : 'T';
}

/// <summary>
/// The gemms of one training step of the MLP 784-512-256-10 at batch 128 (InnerProduct layers, weights N × K), as
/// InnerProductLayer calls them, plus a square 512 reference. The PyTorch peer (bench/peer/torch_gemm.py) has the same
/// table. fc1's data gradient is absent: nothing propagates down to the input images.
/// </summary>
public static class GemmCases
{
    /// <summary>The batch size of the MLP cases.</summary>
    public const int Batch = 128;

    /// <summary>Every case, in table order.</summary>
    public static IReadOnlyList<GemmCase> All { get; } =
    [
        // Forward y = x·Wᵀ: m = batch, n = outputs, k = inputs; beta = 0.
        new("fc1.fwd", Transpose.NoTrans, Transpose.Trans, Batch, 512, 784, 0, "forward 784 → 512: y = x·Wᵀ"),
        new("fc2.fwd", Transpose.NoTrans, Transpose.Trans, Batch, 256, 512, 0, "forward 512 → 256"),
        new("fc3.fwd", Transpose.NoTrans, Transpose.Trans, Batch, 10, 256, 0, "forward 256 → 10"),

        // Weight gradient dW += dyᵀ·x: m = outputs, n = inputs, k = batch; beta = 1 (Caffe accumulates).
        new("fc1.dW", Transpose.Trans, Transpose.NoTrans, 512, 784, Batch, 1, "weight gradient 784 → 512: dW += dyᵀ·x"),
        new("fc2.dW", Transpose.Trans, Transpose.NoTrans, 256, 512, Batch, 1, "weight gradient 512 → 256"),
        new("fc3.dW", Transpose.Trans, Transpose.NoTrans, 10, 256, Batch, 1, "weight gradient 256 → 10"),

        // Data gradient dx = dy·W: m = batch, n = inputs, k = outputs; beta = 0.
        new("fc2.dx", Transpose.NoTrans, Transpose.NoTrans, Batch, 512, 256, 0, "data gradient 512 → 256: dx = dy·W"),
        new("fc3.dx", Transpose.NoTrans, Transpose.NoTrans, Batch, 256, 10, 0, "data gradient 256 → 10"),

        new("square512", Transpose.NoTrans, Transpose.NoTrans, 512, 512, 512, 0, "square reference"),
    ];

    /// <summary>The case names, for <c>[ParamsSource]</c>.</summary>
    public static IEnumerable<string> Names => All.Select(c => c.Name);

    /// <summary>The case called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown case.</exception>
    public static GemmCase Get(string name) =>
        All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"unknown gemm case '{name}' (known: {string.Join(", ", Names)})", nameof(name));
}

/// <summary>The traffic model of <see cref="MlpGemm"/>: bytes and flops of the row's <c>Case</c> parameter.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GemmTrafficAttribute : Attribute, ITrafficModel
{
    /// <summary>The name of the benchmark parameter that holds the case name.</summary>
    public const string CaseParameter = "Case";

    /// <inheritdoc/>
    public double? BytesMoved(BenchmarkCase benchmarkCase) => CaseOf(benchmarkCase)?.BytesMoved;

    /// <inheritdoc/>
    public double? Flops(BenchmarkCase benchmarkCase) => CaseOf(benchmarkCase)?.Flops;

    private static GemmCase? CaseOf(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == CaseParameter)?.Value is string name
            ? GemmCases.Get(name)
            : null;
}
