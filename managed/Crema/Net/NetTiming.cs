using System.Diagnostics;
using System.Numerics;
using Crema.Blas;
using Crema.Cuda;

namespace Crema.Net;

/// <summary>One layer's average times over the timed iterations.</summary>
/// <param name="Name">The layer's name.</param>
/// <param name="Type">The layer's type.</param>
/// <param name="ForwardMs">Average forward time in milliseconds.</param>
/// <param name="BackwardMs">Average backward time in milliseconds (about 0 for a layer that needs no backward pass).</param>
public sealed record LayerTiming(string Name, string Type, double ForwardMs, double BackwardMs);

/// <summary>What <see cref="NetTiming.Time{T}"/> measured.</summary>
/// <param name="Engine">The engine the net ran on.</param>
/// <param name="Iterations">The number of timed forward-backward iterations (after one warm-up pass).</param>
/// <param name="WarmUpLoss">The loss of the warm-up forward pass.</param>
/// <param name="Layers">Every layer, in forward order.</param>
/// <param name="ForwardMs">Average time of a whole forward pass.</param>
/// <param name="BackwardMs">Average time of a whole backward pass.</param>
/// <param name="ForwardBackwardMs">Average time of an iteration (forward then backward).</param>
/// <param name="TotalMs">Time of all timed iterations together (on the GPU, from the first iteration's start to the
/// last one's end, including the pauses where a batch of events was read when there was more than one batch).</param>
public sealed record NetTimingReport(
    ComputeEngine Engine,
    int Iterations,
    double WarmUpLoss,
    IReadOnlyList<LayerTiming> Layers,
    double ForwardMs,
    double BackwardMs,
    double ForwardBackwardMs,
    double TotalMs);

/// <summary>
/// Caffe's <c>caffe time</c>: one warm-up forward and backward pass, then timed forward-backward iterations, with the
/// time of each layer's forward and backward pass taken through the net's
/// <see cref="Net{T}.BeforeForward"/>/<see cref="Net{T}.AfterForward"/>/<see cref="Net{T}.BeforeBackward"/>/<see cref="Net{T}.AfterBackward"/>
/// callbacks. On the CPU engine the times are <see cref="Stopwatch"/> wall times. On the GPU engine they are device
/// times between CUDA events recorded on the context's stream around each layer: nothing waits for the device during
/// an iteration (the loss stays on the device, <see cref="Net{T}.ForwardDeferred"/>), and the events are read after
/// the run (or after each batch of iterations when a run would need more than <see cref="MaxEvents"/> events).
/// Host work a layer does without the device (a data layer's fill) is timed on the GPU only where the device waited
/// for it.
/// </summary>
public static class NetTiming
{
    /// <summary>The most CUDA events one run keeps alive; longer runs read them back in batches between iterations.</summary>
    public const int MaxEvents = 8192;

    /// <summary>Times <paramref name="iterations"/> forward-backward iterations of <paramref name="net"/> on the current engine.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterations"/> is less than 1.</exception>
    public static NetTimingReport Time<T>(Net<T> net, int iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);

        // Warm-up: allocates and copies what the first pass needs, so the timed iterations measure steady state.
        double warmUpLoss = double.CreateChecked(net.Forward());
        net.Backward();
        return Engine.Current == ComputeEngine.Gpu
            ? TimeOnGpu(net, iterations, warmUpLoss)
            : TimeOnCpu(net, iterations, warmUpLoss);
    }

    private static NetTimingReport TimeOnCpu<T>(Net<T> net, int iterations, double warmUpLoss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int layers = net.Layers.Count;
        var forward = new long[layers];
        var backward = new long[layers];
        var started = new long[layers];
        long forwardPass = 0, backwardPass = 0;
        Action<int> beforeForward = i => started[i] = Stopwatch.GetTimestamp();
        Action<int> afterForward = i => forward[i] += Stopwatch.GetTimestamp() - started[i];
        Action<int> beforeBackward = i => started[i] = Stopwatch.GetTimestamp();
        Action<int> afterBackward = i => backward[i] += Stopwatch.GetTimestamp() - started[i];

        long runStart;
        long runEnd;
        using (Attach(net, beforeForward, afterForward, beforeBackward, afterBackward))
        {
            runStart = Stopwatch.GetTimestamp();
            for (int n = 0; n < iterations; n++)
            {
                long t0 = Stopwatch.GetTimestamp();
                net.Forward();
                long t1 = Stopwatch.GetTimestamp();
                net.Backward();
                long t2 = Stopwatch.GetTimestamp();
                forwardPass += t1 - t0;
                backwardPass += t2 - t1;
            }

            runEnd = Stopwatch.GetTimestamp();
        }

        double perIteration(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / iterations;
        var timings = new List<LayerTiming>(layers);
        for (int i = 0; i < layers; i++)
        {
            timings.Add(new LayerTiming(net.LayerNames[i], net.Layers[i].Type, perIteration(forward[i]), perIteration(backward[i])));
        }

        return new NetTimingReport(
            ComputeEngine.Cpu,
            iterations,
            warmUpLoss,
            timings,
            perIteration(forwardPass),
            perIteration(backwardPass),
            perIteration(forwardPass + backwardPass),
            (runEnd - runStart) * 1000.0 / Stopwatch.Frequency);
    }

    private static NetTimingReport TimeOnGpu<T>(Net<T> net, int iterations, double warmUpLoss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Engine.GpuContext;
        var stream = context.Stream;
        int layers = net.Layers.Count;

        // Per iteration: a start and an end event around each layer's forward and backward pass, and three around
        // the passes (iteration start, forward done, backward done). Events are reused batch after batch.
        int perIteration = (4 * layers) + 3;
        int batch = Math.Clamp(MaxEvents / perIteration, 1, iterations);
        var events = new CudaEvent[batch * perIteration];
        using var runStart = new CudaEvent(context.Device);
        using var runEnd = new CudaEvent(context.Device);
        using var lossSum = context.Allocate<T>(1);
        GpuMath.Set(T.Zero, lossSum.Span);
        var forward = new double[layers];
        var backward = new double[layers];
        double forwardPass = 0, backwardPass = 0;
        try
        {
            for (int e = 0; e < events.Length; e++)
            {
                events[e] = new CudaEvent(context.Device);
            }

            // The slot of the iteration being queued, within the batch.
            int slot = 0;
            CudaEvent At(int index) => events[(slot * perIteration) + index];
            Action<int> beforeForward = i => At(4 * i).Record(stream);
            Action<int> afterForward = i => At((4 * i) + 1).Record(stream);
            Action<int> beforeBackward = i => At((4 * i) + 2).Record(stream);
            Action<int> afterBackward = i => At((4 * i) + 3).Record(stream);

            using (Attach(net, beforeForward, afterForward, beforeBackward, afterBackward))
            {
                context.Synchronize();
                runStart.Record(stream);
                for (int n = 0; n < iterations; n++)
                {
                    slot = n % batch;
                    int passes = 4 * layers;
                    At(passes).Record(stream);
                    net.ForwardDeferred(lossSum.Span);
                    At(passes + 1).Record(stream);
                    net.Backward();
                    At(passes + 2).Record(stream);
                    if (n == iterations - 1)
                    {
                        runEnd.Record(stream);
                    }

                    if (slot == batch - 1 || n == iterations - 1)
                    {
                        // Between iterations (outside every timed interval): read the batch's events.
                        for (int s = 0; s <= slot; s++)
                        {
                            int b = s * perIteration;
                            for (int i = 0; i < layers; i++)
                            {
                                forward[i] += CudaEvent.ElapsedMilliseconds(events[b + (4 * i)], events[b + (4 * i) + 1]);
                                backward[i] += CudaEvent.ElapsedMilliseconds(events[b + (4 * i) + 2], events[b + (4 * i) + 3]);
                            }

                            forwardPass += CudaEvent.ElapsedMilliseconds(events[b + passes], events[b + passes + 1]);
                            backwardPass += CudaEvent.ElapsedMilliseconds(events[b + passes + 1], events[b + passes + 2]);
                        }
                    }
                }
            }

            double total = CudaEvent.ElapsedMilliseconds(runStart, runEnd);

            // An invalid label recorded on the device during the run is an error, as in a forward pass that reads the loss.
            net.ThrowIfDeviceErrors();
            var timings = new List<LayerTiming>(layers);
            for (int i = 0; i < layers; i++)
            {
                timings.Add(new LayerTiming(net.LayerNames[i], net.Layers[i].Type, forward[i] / iterations, backward[i] / iterations));
            }

            return new NetTimingReport(
                ComputeEngine.Gpu,
                iterations,
                warmUpLoss,
                timings,
                forwardPass / iterations,
                backwardPass / iterations,
                (forwardPass + backwardPass) / iterations,
                total);
        }
        finally
        {
            foreach (var e in events)
            {
                e?.Dispose();
            }
        }
    }

    // Adds the callbacks to the net and removes them again when disposed.
    private static Callbacks<T> Attach<T>(Net<T> net, Action<int> beforeForward, Action<int> afterForward, Action<int> beforeBackward, Action<int> afterBackward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        net.BeforeForward.Add(beforeForward);
        net.AfterForward.Add(afterForward);
        net.BeforeBackward.Add(beforeBackward);
        net.AfterBackward.Add(afterBackward);
        return new Callbacks<T>(net, beforeForward, afterForward, beforeBackward, afterBackward);
    }

    private sealed class Callbacks<T>(Net<T> net, Action<int> beforeForward, Action<int> afterForward, Action<int> beforeBackward, Action<int> afterBackward)
        : IDisposable
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Dispose()
        {
            net.BeforeForward.Remove(beforeForward);
            net.AfterForward.Remove(afterForward);
            net.BeforeBackward.Remove(beforeBackward);
            net.AfterBackward.Remove(afterBackward);
        }
    }
}
