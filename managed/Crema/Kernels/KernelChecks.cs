using System.Runtime.CompilerServices;
using Crema.Cuda;

namespace Crema.Kernels;

/// <summary>
/// Argument checks of the element-count launchers (ReLU, EuclideanLoss): they run before any device memory is touched,
/// so bad arguments throw the same way with or without a GPU. The shape-based launchers use
/// <see cref="SoftmaxKernels.CheckShape{T}"/> and its span checks.
/// </summary>
internal static class KernelChecks
{
    /// <summary>
    /// An element count: not negative, and <paramref name="count"/> elements of T have a 64-bit byte count.
    /// </summary>
    internal static unsafe void CheckCount<T>(long count, [CallerArgumentExpression(nameof(count))] string name = "")
        where T : unmanaged
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(name, count, $"{name} must not be negative, got {count}");
        }

        if (count > long.MaxValue / sizeof(T))
        {
            throw new ArgumentOutOfRangeException(name, count,
                $"{name} {count} has more elements of {typeof(T).Name} than a 64-bit byte count holds");
        }
    }

    /// <summary>A span that must have exactly <paramref name="expected"/> elements; returns its context.</summary>
    internal static CudaContext CheckSpan<TElement>(DeviceSpan<TElement> span, long expected, string what,
        [CallerArgumentExpression(nameof(span))] string name = "")
        where TElement : unmanaged
    {
        if (span.Buffer is null)
        {
            throw new ArgumentException($"{name} is a default DeviceSpan with no buffer", name);
        }

        if (span.Length != expected)
        {
            throw new ArgumentException($"{name} has {span.Length} elements, expected {expected} ({what})", name);
        }

        return span.Context;
    }

    /// <summary>True for float, false for double; any other T is refused, naming the op.</summary>
    internal static bool IsFloat<T>(string op)
    {
        if (typeof(T) == typeof(float))
        {
            return true;
        }

        if (typeof(T) == typeof(double))
        {
            return false;
        }

        throw new NotSupportedException($"the {op} kernels support float and double, not {typeof(T).Name}");
    }
}
