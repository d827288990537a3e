using System;
using System.Numerics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace StaticNet.Benchmarks;

/// <summary>
/// DegreeOfParallelism: one thread against two, side by side in one run, for the reference 784-100-10 network and the
/// book's SimpleConvNet; inference (<c>Forward</c>), a fused training step (<c>Loss</c> + <c>BackwardSgd</c>) and, for the
/// MLP, the same step without the update (<c>Loss</c> + <c>Backward</c>). The
/// ratio column of each pair is the time with two threads over the time with one: 0.55 is a speedup of 1.8x. Both
/// instances start from the same weights and, by design, compute the same bits (ParallelTests asserts it).
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --no-verify --filter *ParallelBenchmarks*</code>
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class ParallelBenchmarks
{
    private ReferenceMlp _mlp1 = null!, _mlp2 = null!;
    private BenchSimpleConvNet _conv1 = null!, _conv2 = null!;
    private float[] _x = null!, _y = null!, _images = null!;
    private int[] _labels = null!;

    [Params(1, 32, 100)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _mlp1 = new ReferenceMlp(Batch, seed: 1);
        _mlp2 = new ReferenceMlp(Batch, seed: 1) { DegreeOfParallelism = 2 };
        _conv1 = new BenchSimpleConvNet(Batch, seed: 1);
        _conv2 = new BenchSimpleConvNet(Batch, seed: 1) { DegreeOfParallelism = 2 };
        var random = new Random(7);
        _x = new float[Batch * ReferenceMlp.InputSize];
        _images = new float[Batch * BenchSimpleConvNet.InputSize];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)random.NextDouble();
        for (int i = 0; i < _images.Length; i++) _images[i] = (float)random.NextDouble();
        _y = new float[Batch * 10];
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = random.Next(10);
    }

    [Benchmark(Baseline = true, Description = "MLP 1 thread"), BenchmarkCategory("MLP inference")]
    public void MlpInference1() => _mlp1.Forward(_x, _y);

    [Benchmark(Description = "MLP 2 threads"), BenchmarkCategory("MLP inference")]
    public void MlpInference2() => _mlp2.Forward(_x, _y);

    [Benchmark(Baseline = true, Description = "MLP 1 thread"), BenchmarkCategory("MLP training step")]
    public void MlpTraining1() { _mlp1.Loss(_x, _labels); _mlp1.BackwardSgd(1e-4f); }

    [Benchmark(Description = "MLP 2 threads"), BenchmarkCategory("MLP training step")]
    public void MlpTraining2() { _mlp2.Loss(_x, _labels); _mlp2.BackwardSgd(1e-4f); }

    // The same step without the update: Backward writes Gradients, not Parameters, so the next Forward finds every
    // weight where it was (see SharedWeightsBenchmarks for what a written half costs the other core).
    [Benchmark(Baseline = true, Description = "MLP 1 thread"), BenchmarkCategory("MLP Loss + Backward (no step)")]
    public void MlpBackward1() { _mlp1.Loss(_x, _labels); _mlp1.Backward(); }

    [Benchmark(Description = "MLP 2 threads"), BenchmarkCategory("MLP Loss + Backward (no step)")]
    public void MlpBackward2() { _mlp2.Loss(_x, _labels); _mlp2.Backward(); }

    [Benchmark(Baseline = true, Description = "ConvNet 1 thread"), BenchmarkCategory("ConvNet inference")]
    public void ConvInference1() => _conv1.Forward(_images, _y);

    [Benchmark(Description = "ConvNet 2 threads"), BenchmarkCategory("ConvNet inference")]
    public void ConvInference2() => _conv2.Forward(_images, _y);

    [Benchmark(Baseline = true, Description = "ConvNet 1 thread"), BenchmarkCategory("ConvNet training step")]
    public void ConvTraining1() { _conv1.Loss(_images, _labels); _conv1.BackwardSgd(1e-4f); }

    [Benchmark(Description = "ConvNet 2 threads"), BenchmarkCategory("ConvNet training step")]
    public void ConvTraining2() { _conv2.Loss(_images, _labels); _conv2.BackwardSgd(1e-4f); }
}

/// <summary>
/// What a parallel SGD step costs the next parallel <c>Forward</c>, on a block the size of the MLP's W1 (78,400 floats,
/// 313 KB), with <c>WorkerTeam.Shared</c> and two parts, as the generated stages use it: each part writes its half
/// (the parameter stage's split by rows of W), then each part reads the whole block (the forward pass's split by rows
/// of the batch, where every part reads all of W). The half written by the other core is in that core's cache, modified,
/// and has to move. The baseline reads the whole block twice with no write between; "own half" is the control in which
/// each part reads only what it wrote. The cost of the move is the first pair's time less the sum of its two stages.
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --no-verify --job short --filter *SharedWeightsBenchmarks*</code>
/// </summary>
public class SharedWeightsBenchmarks : StaticNet.Kernels.IPartitioned
{
    private const int Length = 78_400;
    private const int WriteHalf = 0, ReadWhole = 1, ReadOwnHalf = 2;
    private readonly float[] _block = new float[Length];
    private readonly float[] _sums = new float[2 * 16]; // one per part, a cache line apart

    [GlobalSetup]
    public void Setup()
    {
        StaticNet.Kernels.WorkerTeam.EnsureDegree(2);
        for (int i = 0; i < Length; i++) _block[i] = i % 7;
    }

    [Benchmark(Baseline = true, Description = "read whole, read whole")]
    public void ReadTwice() { Run(ReadWhole); Run(ReadWhole); }

    [Benchmark(Description = "write halves")]
    public void WriteHalves() => Run(WriteHalf);

    [Benchmark(Description = "write halves, read whole")]
    public void WriteThenReadWhole() { Run(WriteHalf); Run(ReadWhole); }

    [Benchmark(Description = "write halves, read own half")]
    public void WriteThenReadOwn() { Run(WriteHalf); Run(ReadOwnHalf); }

    private void Run(int stage) => StaticNet.Kernels.WorkerTeam.Shared.Run(this, stage, 2);

    void StaticNet.Kernels.IPartitioned.RunPart(int stage, int part, int parts, ReadOnlySpan<float> input, Span<float> output)
    {
        Span<float> half = _block.AsSpan(part * (Length / 2), Length / 2);
        if (stage == WriteHalf)
            for (int i = 0; i + Vector<float>.Count <= half.Length; i += Vector<float>.Count)
                (new Vector<float>(half.Slice(i)) * 1f).CopyTo(half.Slice(i)); // writes every line, changes no value
        else
            _sums[part * 16] += Sum(stage == ReadWhole ? _block : half);
    }

    private static float Sum(ReadOnlySpan<float> s)
    {
        var sum = Vector<float>.Zero;
        for (int i = 0; i + Vector<float>.Count <= s.Length; i += Vector<float>.Count) sum += new Vector<float>(s.Slice(i));
        return Vector.Sum(sum);
    }
}
