using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Reports;

namespace StaticNet.Benchmarks;

/// <summary>Single-thread limits of this machine, measured by <see cref="MachineLimits.Measure"/>.</summary>
/// <param name="Fma512">FMA peak with explicit Vector512 code, GFLOP/s (0 when AVX-512F is absent).</param>
/// <param name="Fma256">FMA peak with Vector256 code, GFLOP/s (0 when FMA3 is absent).</param>
/// <param name="L2Read512">L2 read bandwidth with 512-bit loads, GB/s (10^9 bytes/s).</param>
/// <param name="L2Read256">L2 read bandwidth with 256-bit loads, GB/s.</param>
public readonly record struct MachineLimitValues(double Fma512, double Fma256, double L2Read512, double L2Read256)
{
    /// <summary>The compute limit: the better of the two widths (what the hardware can do).</summary>
    public double FmaPeakGflops => Math.Max(Fma512, Fma256);

    /// <summary>The L2 read limit: the better of the two widths.</summary>
    public double L2GBps => Math.Max(L2Read512, L2Read256);

    /// <summary>Element-wise best of two measurements (e.g. before and after the benchmarks).</summary>
    public static MachineLimitValues Max(MachineLimitValues a, MachineLimitValues b) => new(
        Math.Max(a.Fma512, b.Fma512), Math.Max(a.Fma256, b.Fma256),
        Math.Max(a.L2Read512, b.L2Read512), Math.Max(a.L2Read256, b.L2Read256));
}

/// <summary>
/// Measures this machine's single-thread FMA peak and L2 read bandwidth, computes the time bound of
/// each benchmarked operation from them, and prints the results as a percentage of that bound.
/// </summary>
/// <remarks>
/// Each kernel runs for about <see cref="SampleMilliseconds"/> ms, <see cref="Samples"/> times; the
/// best sample is the limit (the machine is shared, so interference only ever makes a sample
/// slower). Program measures before and after the benchmarks and keeps the better of each value,
/// and prints the load average so that a table measured on a busy machine can be recognised.
/// </remarks>
public static unsafe class MachineLimits
{
    public const int Samples = 50;
    public const double SampleMilliseconds = 2;

    /// <summary>The L2 working set: 307 KiB, the size of W1 (784·100 floats = 306.25 KiB), rounded up.</summary>
    public const int L2WorkingSetBytes = 307 * 1024;

    // ---- the bound of each operation -------------------------------------------------------------

    /// <summary>Floating-point operations of inference: the two matrix products, 2·N·(784·100 + 100·10).</summary>
    public static double InferenceFlops(int batch) =>
        2.0 * batch * (RefShape.Input * RefShape.Hidden + RefShape.Hidden * RefShape.Output);

    /// <summary>
    /// Floating-point operations of a training step: the forward products, dX of layer 2
    /// (2·N·100·10), dW of both layers (2·N·(784·100 + 100·10)), no dX for layer 1 (the input
    /// gradient is not needed), and the SGD update (one FMA, 2 flops, per parameter). About twice
    /// the forward products; element-wise work (bias, ReLU, softmax) is left out as negligible.
    /// </summary>
    public static double TrainingFlops(int batch) =>
        InferenceFlops(batch)                                      // forward
        + 2.0 * batch * RefShape.Hidden * RefShape.Output          // dX2 = dz·W2ᵀ
        + InferenceFlops(batch)                                    // dW1 = xᵀ·dh1, dW2 = h1ᵀ·dz
        + 2.0 * RefShape.ParameterCount;                           // p -= lr·g

    /// <summary>
    /// Bytes of parameters that must pass between L2 and the core: inference reads every weight once
    /// (318,040 bytes); a training step reads them in the forward pass and reads and writes them in
    /// the update (3x, assuming the gradient is fused into the update and never stored). Writes are
    /// charged at the read bandwidth, which makes the bound optimistic (lower), never unfair.
    /// </summary>
    public static double WeightStreamBytes(string operation) =>
        operation == Operations.TrainingStep ? 3.0 * RefShape.ParameterBytes : RefShape.ParameterBytes;

    /// <summary>
    /// The bound in nanoseconds: the larger of the compute time at the FMA peak and the time to
    /// stream the weights at the L2 bandwidth. (At batch 1 the stream is the larger; from batch 32
    /// the compute is.)
    /// </summary>
    public static double BoundNanoseconds(string operation, int batch, MachineLimitValues limits)
    {
        double flops = operation == Operations.TrainingStep ? TrainingFlops(batch) : InferenceFlops(batch);
        double computeNs = flops / limits.FmaPeakGflops;              // GFLOP/s = flop/ns
        double streamNs = WeightStreamBytes(operation) / limits.L2GBps; // GB/s = byte/ns
        return Math.Max(computeNs, streamNs);
    }

    // ---- measurement ------------------------------------------------------------------------------

    public static MachineLimitValues Measure()
    {
        double fma512 = Avx512F.IsSupported ? MeasureFma512() : 0;
        double fma256 = Fma.IsSupported ? MeasureFma256() : 0;

        nuint bytes = L2WorkingSetBytes;
        float* buffer = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        try
        {
            int count = L2WorkingSetBytes / sizeof(float);
            for (int i = 0; i < count; i++)
            {
                buffer[i] = 1e-3f * (i & 1023);
            }

            double l2512 = Avx512F.IsSupported ? MeasureRead512(buffer, count) : 0;
            double l2256 = Avx.IsSupported ? MeasureRead256(buffer, count) : 0;
            return new MachineLimitValues(fma512, fma256, l2512, l2256);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    public static string DescribeCpu() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}, " +
            $"Avx512F.IsSupported={Avx512F.IsSupported}, Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}, " +
            $"Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}, Vector<float>.Count={Vector<float>.Count}");

    public static void Print(MachineLimitValues v, string title)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(title);
        Console.WriteLine(string.Format(ci, "  FMA peak, 1 thread:  {0,7:F1} GFLOP/s with Vector512, {1,7:F1} GFLOP/s with Vector256 (512/256 = {2:F2})",
            v.Fma512, v.Fma256, v.Fma256 > 0 ? v.Fma512 / v.Fma256 : 0));
        Console.WriteLine(string.Format(ci, "  L2 read, {0} KiB:    {1,7:F1} GB/s with 512-bit loads, {2,7:F1} GB/s with 256-bit loads",
            L2WorkingSetBytes / 1024, v.L2Read512, v.L2Read256));
        Console.WriteLine(string.Format(ci, "  limits used:          {0,7:F1} GFLOP/s, {1,7:F1} GB/s", v.FmaPeakGflops, v.L2GBps));
        Console.WriteLine($"  load average:         {LoadAverage()} (this machine has {Environment.ProcessorCount} logical cores; other work skews every figure)");
        foreach (string op in new[] { Operations.Inference, Operations.TrainingStep })
        {
            foreach (int batch in new[] { 1, 32, 100 })
            {
                double flops = op == Operations.TrainingStep ? TrainingFlops(batch) : InferenceFlops(batch);
                Console.WriteLine(string.Format(ci,
                    "  bound {0,-12} batch {1,3}: {2,9:F2} us  (compute {3,9:F2} us for {4,8:F3} MFLOP; weights {5,7:F2} us for {6:F0} KB)",
                    op, batch, BoundNanoseconds(op, batch, v) / 1e3,
                    flops / v.FmaPeakGflops / 1e3, flops / 1e6,
                    WeightStreamBytes(op) / v.L2GBps / 1e3, WeightStreamBytes(op) / 1e3));
            }
        }
    }

    /// <summary>
    /// Calibrates the repeat count <c>n</c> so that one run of <paramref name="kernel"/> takes about
    /// <see cref="SampleMilliseconds"/>, then returns the best rate (units of work per ns, i.e. G/s)
    /// over <see cref="Samples"/> runs. Short samples and many of them: on a shared machine a
    /// sample that the scheduler interrupts is simply not the best one.
    /// </summary>
    private static double Best(Func<long, float> kernel, double workPerRepeat)
    {
        long n = 16;
        while (Time(kernel, n) * 1e3 < SampleMilliseconds)
        {
            n *= 2;
        }

        double best = 0;
        for (int i = 0; i < Samples; i++)
        {
            best = Math.Max(best, workPerRepeat * n / Time(kernel, n) / 1e9);
        }

        return best;
    }

    private static double Time(Func<long, float> kernel, long n)
    {
        long start = Stopwatch.GetTimestamp();
        Sink(kernel(n));
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // FMA: 12 independent accumulator chains, so the loop is bound by FMA throughput, not by its
    // latency (4 cycles × 2 pipes needs at least 8 chains in flight). acc = acc·m + c with m just
    // under 1 converges to c/(1-m): no overflow, no subnormals.
    private const int FmaChains = 12;

    private static double MeasureFma512() => Best(Fma512, FmaChains * Vector512<float>.Count * 2.0);

    private static double MeasureFma256() => Best(Fma256, FmaChains * Vector256<float>.Count * 2.0);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(long iterations)
    {
        Vector512<float> m = Vector512.Create(0.99999994f), c = Vector512.Create(1e-6f);
        Vector512<float> a0 = Vector512.Create(0.10f), a1 = Vector512.Create(0.11f), a2 = Vector512.Create(0.12f);
        Vector512<float> a3 = Vector512.Create(0.13f), a4 = Vector512.Create(0.14f), a5 = Vector512.Create(0.15f);
        Vector512<float> a6 = Vector512.Create(0.16f), a7 = Vector512.Create(0.17f), a8 = Vector512.Create(0.18f);
        Vector512<float> a9 = Vector512.Create(0.19f), a10 = Vector512.Create(0.20f), a11 = Vector512.Create(0.21f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c);
            a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
            a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
            a4 = Avx512F.FusedMultiplyAdd(a4, m, c);
            a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c);
            a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
            a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
            a10 = Avx512F.FusedMultiplyAdd(a10, m, c);
            a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }

        Vector512<float> s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector512.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(long iterations)
    {
        Vector256<float> m = Vector256.Create(0.99999994f), c = Vector256.Create(1e-6f);
        Vector256<float> a0 = Vector256.Create(0.10f), a1 = Vector256.Create(0.11f), a2 = Vector256.Create(0.12f);
        Vector256<float> a3 = Vector256.Create(0.13f), a4 = Vector256.Create(0.14f), a5 = Vector256.Create(0.15f);
        Vector256<float> a6 = Vector256.Create(0.16f), a7 = Vector256.Create(0.17f), a8 = Vector256.Create(0.18f);
        Vector256<float> a9 = Vector256.Create(0.19f), a10 = Vector256.Create(0.20f), a11 = Vector256.Create(0.21f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c);
            a1 = Fma.MultiplyAdd(a1, m, c);
            a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c);
            a4 = Fma.MultiplyAdd(a4, m, c);
            a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c);
            a7 = Fma.MultiplyAdd(a7, m, c);
            a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c);
            a10 = Fma.MultiplyAdd(a10, m, c);
            a11 = Fma.MultiplyAdd(a11, m, c);
        }

        Vector256<float> s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(s);
    }

    // L2 read: sum the 307 KiB buffer with vector loads, 8 accumulators, again and again. It is too
    // big for L1 (32 KiB here) and small enough for L2, so after the first pass every load is an L2 hit.
    private static double MeasureRead512(float* p, int count) =>
        Best(passes => Read512(p, count, passes), (double)count * sizeof(float));

    private static double MeasureRead256(float* p, int count) =>
        Best(passes => Read256(p, count, passes), (double)count * sizeof(float));

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read512(float* p, int count, long passes)
    {
        const int Step = 8 * 16; // 8 vectors of 16 floats = 512 bytes per iteration
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
        int end = count - count % Step;
        for (long pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i < end; i += Step)
            {
                float* q = p + i;
                s0 += Vector512.LoadAligned(q);
                s1 += Vector512.LoadAligned(q + 16);
                s2 += Vector512.LoadAligned(q + 32);
                s3 += Vector512.LoadAligned(q + 48);
                s4 += Vector512.LoadAligned(q + 64);
                s5 += Vector512.LoadAligned(q + 80);
                s6 += Vector512.LoadAligned(q + 96);
                s7 += Vector512.LoadAligned(q + 112);
            }
        }

        return Vector512.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read256(float* p, int count, long passes)
    {
        const int Step = 8 * 8; // 8 vectors of 8 floats = 256 bytes per iteration
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
        int end = count - count % Step;
        for (long pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i < end; i += Step)
            {
                float* q = p + i;
                s0 += Vector256.LoadAligned(q);
                s1 += Vector256.LoadAligned(q + 8);
                s2 += Vector256.LoadAligned(q + 16);
                s3 += Vector256.LoadAligned(q + 24);
                s4 += Vector256.LoadAligned(q + 32);
                s5 += Vector256.LoadAligned(q + 40);
                s6 += Vector256.LoadAligned(q + 48);
                s7 += Vector256.LoadAligned(q + 56);
            }
        }

        return Vector256.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }

    private static float s_sink;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float value) => s_sink += value;

    // ---- the %-of-limit table ---------------------------------------------------------------------

    /// <summary>
    /// Prints operation, batch, implementation, median, bound, % of limit and allocated bytes for every
    /// network benchmark in <paramref name="summaries"/>. % of limit = bound / median. Allocations: the
    /// BenchmarkDotNet figure (every thread of the benchmark process, per operation) and the exact
    /// bytes allocated on the calling thread by one warm call (<paramref name="exactAllocations"/>,
    /// keyed by the benchmark's description = the <see cref="ReferenceNets"/> name).
    /// </summary>
    public static void PrintTable(IEnumerable<Summary> summaries, MachineLimitValues limits,
        IReadOnlyDictionary<(string Implementation, string Operation, int Batch), long> exactAllocations)
    {
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<(string Op, int Batch, string Impl, string Job, double MedianNs, double MinNs, double BoundNs, long? Alloc)>();
        foreach (Summary summary in summaries)
        {
            foreach (BenchmarkReport report in summary.Reports)
            {
                var bc = report.BenchmarkCase;
                string? op = bc.Descriptor.Categories.FirstOrDefault(c => c is Operations.Inference or Operations.TrainingStep);
                object? batchValue = bc.Parameters.Items.FirstOrDefault(p => p.Name == nameof(NetworkBenchmarks.Batch))?.Value;
                if (op is null || batchValue is not int batch || report.ResultStatistics is null)
                {
                    continue;
                }

                long? alloc = report.GcStats.GetBytesAllocatedPerOperation(bc);
                rows.Add((op, batch, bc.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), bc.Job.ResolvedId,
                    report.ResultStatistics.Median, report.ResultStatistics.Min, BoundNanoseconds(op, batch, limits), alloc));
            }
        }

        if (rows.Count == 0)
        {
            Console.WriteLine("No network benchmark results to relate to the machine limits.");
            return;
        }

        bool manyJobs = rows.Select(r => r.Job).Distinct().Count() > 1;
        Console.WriteLine();
        Console.WriteLine(string.Format(ci, "% of limit = bound / median; limits: FMA {0:F1} GFLOP/s, L2 read {1:F1} GB/s (one thread); load average {2}.",
            limits.FmaPeakGflops, limits.L2GBps, LoadAverage()));
        Console.WriteLine();
        string jobHeader = manyJobs ? " job |" : string.Empty;
        string jobRule = manyJobs ? " --- |" : string.Empty;
        // The best iteration beside the median: the limits are best-of-50 samples (interference only ever makes a
        // sample slower), so on a loaded machine the best iteration is the figure measured the same way.
        Console.WriteLine($"| operation | batch | implementation |{jobHeader} median | best | bound | % of limit | % of limit, best | allocated | allocated, exact |");
        Console.WriteLine($"| --- | ---: | --- |{jobRule} ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows.OrderBy(r => r.Op == Operations.Inference ? 0 : 1).ThenBy(r => r.Batch)
                     .ThenBy(r => r.Impl, StringComparer.Ordinal).ThenBy(r => r.Job, StringComparer.Ordinal))
        {
            string job = manyJobs ? $" {r.Job} |" : string.Empty;
            string exact = exactAllocations.TryGetValue((r.Impl, r.Op, r.Batch), out long e) ? e.ToString("N0", ci) + " B" : "?";
            Console.WriteLine(string.Format(ci, "| {0} | {1} | {2} |{3} {4} | {5} | {6} | {7:F1}% | {8:F1}% | {9} | {10} |",
                r.Op, r.Batch, r.Impl, job, FormatTime(r.MedianNs), FormatTime(r.MinNs), FormatTime(r.BoundNs),
                100.0 * r.BoundNs / r.MedianNs, 100.0 * r.BoundNs / r.MinNs, r.Alloc is long a ? a.ToString("N0", ci) + " B" : "?", exact));
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), or "unknown".</summary>
    public static string LoadAverage()
    {
        try
        {
            string[] parts = System.IO.File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" / ", parts.Take(3));
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    public static string FormatTime(double ns) => ns switch
    {
        < 1e3 => ns.ToString("F1", CultureInfo.InvariantCulture) + " ns",
        < 1e6 => (ns / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " us",
        _ => (ns / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " ms",
    };
}

/// <summary>The benchmark categories, which are also the operation names in the tables.</summary>
public static class Operations
{
    public const string Inference = "Inference";
    public const string TrainingStep = "TrainingStep";
}
