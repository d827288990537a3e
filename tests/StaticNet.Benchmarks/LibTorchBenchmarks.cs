using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace StaticNet.Benchmarks;

/// <summary>
/// The reference network (784-100-10) and the book's SimpleConvNet in libtorch beside the generated StaticNet networks,
/// on the same weights, at batch 1, 32 and 100, with one thread and with two: inference (StaticNet's <c>Forward</c>,
/// libtorch's forward under <c>InferenceMode</c> into the caller's array) and one SGD training step (StaticNet's
/// <c>Loss</c> + <c>BackwardSgd</c>; libtorch's <c>zero_grad</c>, forward, <c>cross_entropy</c>, <c>backward</c>,
/// <c>SGD::step</c>). With two threads
/// StaticNet has <c>DegreeOfParallelism = 2</c> and libtorch <c>at::set_num_threads(2)</c>, its default on two cores.
/// Setup checks that both give the same probabilities and the same weights after a step (1e-5) before anything is
/// measured; the libtorch peer is <c>LibTorch/snet_torch.cpp</c>, built by <c>LibTorch/build.sh</c>.
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --job short --filter '*LibTorch*'</code>
/// </summary>
/// <remarks>
/// Debian's libtorch (PyTorch 1.13.1) does its matrix products in the system BLAS. With the OpenMP build of OpenBLAS
/// 0.3.21, which does not know Zen 5 and falls back to its Haswell (AVX2) kernels, <see cref="Config"/> asks for its
/// AVX-512 kernels (<c>OPENBLAS_CORETYPE=SKYLAKEX</c>) where the CPU has AVX-512: measured on the Zen 5 host, the
/// batch-100 product of the first layer took 98 µs with them against 147 µs without. libtorch's own kernels (ReLU,
/// softmax, the loss) use AVX-512 too (<c>ATEN_CPU_CAPABILITY=avx512</c>). The Allocated column sees only managed
/// memory: libtorch's tensors are native.
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
[MedianColumn]
public class LibTorchBenchmarks
{
    private ReferenceMlp? _mlp;
    private BenchSimpleConvNet? _conv;
    private LibTorchNet _torch = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private int[][] _labels = null!;
    private int _step;

    /// <summary><c>MLP</c> (784-100-10) or <c>SimpleConvNet</c>.</summary>
    [Params("MLP", "SimpleConvNet")]
    public string Network { get; set; } = "MLP";

    [Params(1, 32, 100)]
    public int Batch { get; set; }

    /// <summary>StaticNet's <c>DegreeOfParallelism</c> and libtorch's intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = ReferenceData.CreateInputs(NetworkBenchmarks.Seed + 1, Batch); // 784 pixels a row: a 1×28×28 image for the conv net
        _y = new float[Batch * RefShape.Output];
        // As NetworkBenchmarks: the steps take turns over four sets of labels, so that training does not converge on one
        // batch (where the gradients shrink towards subnormal numbers).
        _labels = new int[NetworkBenchmarks.LabelSets][];
        for (int s = 0; s < _labels.Length; s++) _labels[s] = ReferenceData.CreateLabels(NetworkBenchmarks.Seed + 2 + s, Batch);
        float[] parameters;
        if (Network == "MLP")
        {
            parameters = ReferenceData.CreateParameters(NetworkBenchmarks.Seed);
            _mlp = new ReferenceMlp(Batch) { DegreeOfParallelism = Threads };
            parameters.CopyTo(_mlp.Parameters);
            _torch = new LibTorchNet(Batch, Threads, LibTorchNetwork.Mlp);
        }
        else
        {
            parameters = SimpleConvNetVerification.CreateParameters(NetworkBenchmarks.Seed);
            _conv = new BenchSimpleConvNet(Batch) { DegreeOfParallelism = Threads };
            parameters.CopyTo(_conv.Parameters);
            _torch = new LibTorchNet(Batch, Threads, LibTorchNetwork.SimpleConvNet);
        }
        _torch.SetParameters(parameters);
        Console.WriteLine($"// libtorch, OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE")}, ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY")}:");
        foreach (string line in LibTorchNet.Configuration.Split('\n'))
        {
            if (line.Length > 0 && !line.Contains("Build settings")) Console.WriteLine("//   " + line.Trim()); // the build's compiler flags are a page long
        }

        // The same numbers, or nothing is measured: the probabilities, then the weights after one step.
        var expected = new float[_y.Length];
        Inference_StaticNet();
        _y.CopyTo(expected);
        _torch.Forward(_x, _y);
        Compare("probabilities", expected, _y);
        TrainingStep_StaticNet();
        _step = 0; // the same labels for both
        TrainingStep_LibTorch();
        _step = 0;
        var torchParameters = new float[parameters.Length];
        _torch.GetParameters(torchParameters);
        Compare("weights after a step", (_mlp is not null ? _mlp.Parameters : _conv!.Parameters).ToArray(), torchParameters);
    }

    [GlobalCleanup]
    public void Cleanup() => _torch.Dispose();

    [Benchmark(Baseline = true, Description = "StaticNet")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_StaticNet()
    {
        if (_mlp is not null) _mlp.Forward(_x, _y);
        else _conv!.Forward(_x, _y);
    }

    [Benchmark(Description = "libtorch")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_LibTorch() => _torch.Forward(_x, _y);

    [Benchmark(Baseline = true, Description = "StaticNet (fused SGD)")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_StaticNet()
    {
        int[] labels = NextLabels();
        if (_mlp is not null)
        {
            float loss = _mlp.Loss(_x, labels);
            _mlp.BackwardSgd(NetworkBenchmarks.LearningRate);
            return loss;
        }
        float convLoss = _conv!.Loss(_x, labels);
        _conv.BackwardSgd(NetworkBenchmarks.LearningRate);
        return convLoss;
    }

    [Benchmark(Description = "libtorch")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_LibTorch() => _torch.TrainStep(_x, NextLabels(), NetworkBenchmarks.LearningRate);

    private int[] NextLabels() => _labels[_step++ & (NetworkBenchmarks.LabelSets - 1)];

    private static void Compare(string what, float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-5f))
                throw new InvalidOperationException($"libtorch gives {actual[i]} for {what}[{i}], StaticNet {expected[i]}: not benchmarking different numbers.");
        }
    }

    /// <summary>libtorch's BLAS and kernels at their widest on a CPU with AVX-512 (see the remarks of the class).</summary>
    public sealed class Config : ManualConfig
    {
        public Config()
        {
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
                AddJob(Job.Default.WithEnvironmentVariables(
                    new EnvironmentVariable("OPENBLAS_CORETYPE", "SKYLAKEX"),
                    new EnvironmentVariable("ATEN_CPU_CAPABILITY", "avx512")).AsMutator());
        }
    }
}
