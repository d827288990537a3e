using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace StaticNet.Benchmarks;

/// <summary>
/// DegreeOfParallelism: one thread against two, side by side in one run, for the reference 784-100-10 network and the
/// book's SimpleConvNet; inference (<c>Forward</c>) and a fused training step (<c>Loss</c> + <c>BackwardSgd</c>). The
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

    [Benchmark(Baseline = true, Description = "ConvNet 1 thread"), BenchmarkCategory("ConvNet inference")]
    public void ConvInference1() => _conv1.Forward(_images, _y);

    [Benchmark(Description = "ConvNet 2 threads"), BenchmarkCategory("ConvNet inference")]
    public void ConvInference2() => _conv2.Forward(_images, _y);

    [Benchmark(Baseline = true, Description = "ConvNet 1 thread"), BenchmarkCategory("ConvNet training step")]
    public void ConvTraining1() { _conv1.Loss(_images, _labels); _conv1.BackwardSgd(1e-4f); }

    [Benchmark(Description = "ConvNet 2 threads"), BenchmarkCategory("ConvNet training step")]
    public void ConvTraining2() { _conv2.Loss(_images, _labels); _conv2.BackwardSgd(1e-4f); }
}
