using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using StaticNet.Kernels;

namespace StaticNet.Benchmarks;

/// <summary>
/// Where splitting a stage in two starts to pay: <c>Partition.MinWorkPerPart</c>, the least work a part is given,
/// measured rather than guessed. Networks of one width n at batch 32 and 64, <c>DegreeOfParallelism = 2</c> in both
/// columns; the baseline keeps every stage on the calling thread (the floor raised out of reach), the other splits every
/// stage in two (the floor at 1 multiply-add). Inference is <c>Input(n) Dense(n) ReLU</c> (n + n² multiply-adds a row,
/// as the plans count them); the training step is <c>Loss</c> + <c>BackwardSgd</c> of <c>Input(n) Dense(n) ReLU Dense(n)
/// MeanSquaredError</c>. The ratio is split over whole: under 1, splitting pays at that size.
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --no-verify --job short --filter *PartitionFloorBenchmarks*</code>
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class PartitionFloorBenchmarks
{
    private INetwork _forward = null!;
    private ILossNetwork _step = null!;
    private float[] _x = null!, _y = null!, _t = null!;

    [Params(32, 64, 96, 128)]
    public int Width { get; set; }

    [Params(32, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_forward, _step) = Width switch
        {
            32 => ((INetwork)new Floor32(Batch, seed: 1) { DegreeOfParallelism = 2 }, (ILossNetwork)new FloorStep32(Batch, seed: 1) { DegreeOfParallelism = 2 }),
            64 => (new Floor64(Batch, seed: 1) { DegreeOfParallelism = 2 }, new FloorStep64(Batch, seed: 1) { DegreeOfParallelism = 2 }),
            96 => (new Floor96(Batch, seed: 1) { DegreeOfParallelism = 2 }, new FloorStep96(Batch, seed: 1) { DegreeOfParallelism = 2 }),
            128 => (new Floor128(Batch, seed: 1) { DegreeOfParallelism = 2 }, new FloorStep128(Batch, seed: 1) { DegreeOfParallelism = 2 }),
            _ => throw new ArgumentOutOfRangeException(nameof(Width)),
        };
        var random = new Random(7);
        _x = new float[Batch * Width];
        _y = new float[Batch * Width];
        _t = new float[Batch * Width];
        for (int i = 0; i < _x.Length; i++) { _x[i] = (float)random.NextDouble(); _t[i] = (float)random.NextDouble(); }
        Console.WriteLine($"// {Width} wide, batch {Batch}: {(long)Batch * (Width + (long)Width * Width) / 2:N0} multiply-adds a part in the forward pass split in two");
    }

    [GlobalCleanup]
    public void Cleanup() => Partition.MinWork = Partition.MinWorkPerPart;

    [Benchmark(Baseline = true, Description = "whole, on the caller"), BenchmarkCategory("inference")]
    public void ForwardWhole() { Partition.MinWork = long.MaxValue; _forward.Forward(_x, _y); }

    [Benchmark(Description = "split in two"), BenchmarkCategory("inference")]
    public void ForwardSplit() { Partition.MinWork = 1; _forward.Forward(_x, _y); }

    [Benchmark(Baseline = true, Description = "whole, on the caller"), BenchmarkCategory("training step")]
    public void StepWhole() { Partition.MinWork = long.MaxValue; _step.Loss(_x, _t); _step.BackwardSgd(1e-6f); }

    [Benchmark(Description = "split in two"), BenchmarkCategory("training step")]
    public void StepSplit() { Partition.MinWork = 1; _step.Loss(_x, _t); _step.BackwardSgd(1e-6f); }
}

[Network, Input(32), Dense(32), ReLU] public partial class Floor32;
[Network, Input(64), Dense(64), ReLU] public partial class Floor64;
[Network, Input(96), Dense(96), ReLU] public partial class Floor96;
[Network, Input(128), Dense(128), ReLU] public partial class Floor128;
[Network, Input(32), Dense(32), ReLU, Dense(32), MeanSquaredError] public partial class FloorStep32;
[Network, Input(64), Dense(64), ReLU, Dense(64), MeanSquaredError] public partial class FloorStep64;
[Network, Input(96), Dense(96), ReLU, Dense(96), MeanSquaredError] public partial class FloorStep96;
[Network, Input(128), Dense(128), ReLU, Dense(128), MeanSquaredError] public partial class FloorStep128;
