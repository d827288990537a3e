using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace StaticNet.Benchmarks;

/// <summary>
/// Entry point. Every argument that is not one of the flags below goes to BenchmarkDotNet's
/// <see cref="BenchmarkSwitcher"/> (e.g. <c>--job short</c>, <c>--filter *Inference*</c>,
/// <c>--inProcess</c>); without a <c>--filter</c>, every benchmark runs.
/// <code>
/// dotnet run -c Release --project tests/StaticNet.Benchmarks -- --verify       check the numbers
/// dotnet run -c Release --project tests/StaticNet.Benchmarks -- --limits       measure the limits only
/// dotnet run -c Release --project tests/StaticNet.Benchmarks -- --quick        smoke run (~1 min)
/// dotnet run -c Release --project tests/StaticNet.Benchmarks -- --job short    short table
/// dotnet run -c Release --project tests/StaticNet.Benchmarks                   full table
/// </code>
/// Flags: <c>--verify</c> (only verify; exit 1 on a mismatch), <c>--limits</c> (only measure the
/// machine limits), <c>--quick</c> (a very short in-process job), <c>--no-verify</c> (skip the
/// verification that otherwise runs before any benchmark), <c>--vector256</c> (hide AVX-512 from
/// the benchmark processes: <c>DOTNET_EnableAVX512=0</c>, for the Vector256-only figures),
/// <c>--prefer256</c> / <c>--prefer512</c> (<c>DOTNET_PreferredVectorBitWidth</c>: decides
/// <c>Vector512.IsHardwareAccelerated</c>, and so the width TensorPrimitives uses, while
/// <c>Avx512F.IsSupported</c> stays true; .NET 10 on this Zen 4 already reports 512-bit as
/// accelerated, on Intel parts that down-clock under AVX-512 it reports false unless 512 is set).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var rest = new List<string>(args);
        bool verifyOnly = Take(rest, "--verify");
        bool limitsOnly = Take(rest, "--limits");
        bool quick = Take(rest, "--quick");
        bool noVerify = Take(rest, "--no-verify");
        bool vector256 = Take(rest, "--vector256");
        bool prefer256 = Take(rest, "--prefer256");
        bool prefer512 = Take(rest, "--prefer512");

        Console.WriteLine($"StaticNet.Benchmarks on {MachineLimits.DescribeCpu()}");
        if (verifyOnly)
        {
            int mlp = Verification.Run();
            return SimpleConvNetVerification.Run() | mlp;
        }

        if (!limitsOnly && !noVerify && Verification.Run() != 0)
        {
            Console.WriteLine("Not benchmarking implementations that compute wrong numbers (--no-verify to override).");
            return 1;
        }

        MachineLimitValues before = MachineLimits.Measure();
        MachineLimits.Print(before, "Machine limits (before the benchmarks):");
        if (limitsOnly)
        {
            return 0;
        }

        // The benchmark processes inherit this process's environment. An in-process job cannot
        // change the JIT's view of the CPU, so these flags make --quick run out of process.
        if (vector256)
        {
            // HOOK (Vector256-only figures): hiding AVX-512 makes Avx512F.IsSupported false, so
            // width checks on it (which the JIT folds to constants) select the Vector256 path. If
            // the StaticNet runtime gets its own switch to force 256-bit, set it here as well (or
            // instead), and keep --vector256 as the way to produce the Vector256 column.
            // (.NET 10's knob; the .NET 8/9 name DOTNET_EnableAVX512F no longer has an effect.)
            Environment.SetEnvironmentVariable("DOTNET_EnableAVX512", "0");
        }

        if (prefer256 || prefer512)
        {
            Environment.SetEnvironmentVariable("DOTNET_PreferredVectorBitWidth", prefer512 ? "512" : "256");
        }

        IConfig config = DefaultConfig.Instance;
        if (quick)
        {
            config = config.AddJob(QuickJob(inProcess: !vector256 && !prefer256 && !prefer512));
        }

        if (!rest.Any(a => a is "--filter" or "-f"))
        {
            rest.Add("--filter");
            rest.Add("*");
        }

        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config).ToArray();

        MachineLimitValues after = MachineLimits.Measure();
        MachineLimits.Print(after, "Machine limits (after the benchmarks):");
        MachineLimitValues limits = MachineLimitValues.Max(before, after);
        if (vector256 || prefer256 || prefer512)
        {
            Console.WriteLine();
            Console.WriteLine("Benchmarks ran with " + (vector256 ? "DOTNET_EnableAVX512=0 (AVX-512 hidden: the Vector256-only figures) " : string.Empty)
                + (prefer256 || prefer512 ? $"DOTNET_PreferredVectorBitWidth={(prefer512 ? 512 : 256)}" : string.Empty) + "; the limits did not.");
        }

        MachineLimits.PrintTable(summaries, limits, Verification.MeasureThreadAllocations());
        ConvBenchmarks.PrintTable(summaries, limits);
        SimpleConvNetBenchmarks.PrintTable(summaries, limits);

        bool failed = summaries.Length == 0
            || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }

    /// <summary>
    /// The smoke-run job: one launch, 2 warm-up and 3 measured iterations of ~100 ms each. Enough to
    /// see that everything runs and roughly how fast, not to publish.
    /// </summary>
    private static Job QuickJob(bool inProcess)
    {
        Job job = Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(3)
            .WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithId("Quick");
        return inProcess ? job.WithToolchain(InProcessEmitToolchain.Instance) : job;
    }

    private static bool Take(List<string> args, string flag)
    {
        int removed = args.RemoveAll(a => string.Equals(a, flag, StringComparison.OrdinalIgnoreCase));
        return removed > 0;
    }
}
