using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.ML.OnnxRuntime;
using StaticNet.Onnx;

namespace StaticNet.Benchmarks;

/// <summary>The book's SimpleConvNet (ch. 7), the convolutional peer of the reference MLP.</summary>
[Network] [Input(1, 28, 28)] [Conv2D(30, 5)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class OrtPeerSimpleConvNet;

/// <summary>
/// Inference of the reference network (784-100-10, softmax) and of the book's SimpleConvNet
/// (1×28×28, Conv2D(30, 5), ReLU, MaxPool2D(2), Dense(100), ReLU, Dense(10), softmax) in ONNX Runtime
/// beside the generated StaticNet network, at batch 1, 32 and 100. The ONNX model is the StaticNet
/// network exported with <see cref="OnnxFile.Export{TNet}(TNet, int)"/>, so both run the same weights;
/// setup checks that they give the same probabilities (1e-5) before anything is measured.
/// </summary>
/// <remarks>
/// <para>ONNX Runtime runs with all graph optimisations, once with one intra-op thread (the same work
/// budget as StaticNet, which is single-threaded) and once with its default thread count (one per
/// core). Each call goes through an <see cref="OrtIoBinding"/> whose input and output are bound once to
/// tensors over pinned managed arrays, the lowest-overhead way to call it from .NET: no per-call
/// <c>OrtValue</c>, name lookup or output allocation on the managed side.</para>
/// <para>Run only these with <c>--filter '*OnnxRuntime*'</c>. The Allocated column counts managed
/// bytes on every thread; ONNX Runtime's native allocations are not seen by it.</para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class OnnxRuntimeBenchmarks
{
    private ReferenceMlp? _mlp;
    private OrtPeerSimpleConvNet? _conv;
    private OrtSession _ortOneThread = null!;
    private OrtSession _ortDefault = null!;
    private float[] _x = null!;
    private float[] _y = null!;

    /// <summary><c>MLP</c> (784-100-10) or <c>SimpleConvNet</c>.</summary>
    [Params("MLP", "SimpleConvNet")]
    public string Network { get; set; } = "MLP";

    [Params(1, 32, 100)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = ReferenceData.CreateInputs(NetworkBenchmarks.Seed + 1, Batch); // 784 pixels per row: a 1×28×28 image for the conv net
        _y = new float[Batch * RefShape.Output];
        byte[] model;
        long[] inputShape;
        if (Network == "MLP")
        {
            _mlp = new ReferenceMlp(Batch);
            ReferenceData.CreateParameters(NetworkBenchmarks.Seed).CopyTo(_mlp.Parameters);
            model = OnnxFile.Export(_mlp);
            inputShape = [Batch, RefShape.Input];
            _mlp.Forward(_x, _y);
        }
        else
        {
            _conv = new OrtPeerSimpleConvNet(Batch, seed: NetworkBenchmarks.Seed); // He-initialised weights
            model = OnnxFile.Export(_conv);
            inputShape = [Batch, 1, 28, 28];
            _conv.Forward(_x, _y);
        }
        _ortOneThread = new OrtSession(model, inputShape, RefShape.Output, intraOpThreads: 1, _x);
        _ortDefault = new OrtSession(model, inputShape, RefShape.Output, intraOpThreads: 0, _x);
        _ortOneThread.Check(_y, "1 thread");
        _ortDefault.Check(_y, "default threads");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortOneThread.Dispose();
        _ortDefault.Dispose();
    }

    [Benchmark(Baseline = true, Description = "StaticNet")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_StaticNet()
    {
        if (_mlp is not null) _mlp.Forward(_x, _y);
        else _conv!.Forward(_x, _y);
    }

    [Benchmark(Description = "ONNX Runtime (1 thread)")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_OnnxRuntimeOneThread() => _ortOneThread.Run();

    [Benchmark(Description = "ONNX Runtime (default threads)")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_OnnxRuntimeDefaultThreads() => _ortDefault.Run();

    /// <summary>An inference session with its input and output bound once.</summary>
    private sealed class OrtSession : IDisposable
    {
        private readonly SessionOptions _options;
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly OrtValue _input;
        private readonly OrtValue _output;
        private readonly OrtIoBinding _binding;
        private readonly float[] _result;

        public OrtSession(byte[] model, long[] inputShape, int outputSize, int intraOpThreads, float[] input)
        {
            int batch = (int)inputShape[0];
            _options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            if (intraOpThreads > 0)
                _options.IntraOpNumThreads = intraOpThreads; // 0 (not set) = ONNX Runtime's default, one per core
            _session = new InferenceSession(model, _options);
            _result = new float[batch * outputSize];
            _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
            _output = OrtValue.CreateTensorValueFromMemory(_result, [batch, outputSize]);
            _binding = _session.CreateIoBinding();
            _binding.BindInput("input", _input);
            _binding.BindOutput("output", _output);
        }

        public void Run() => _session.RunWithBinding(_runOptions, _binding);

        /// <summary>Runs once and compares with StaticNet's <paramref name="expected"/>; throws if any probability differs by more than 1e-5.</summary>
        public void Check(float[] expected, string what)
        {
            Run();
            for (int i = 0; i < expected.Length; i++)
            {
                if (!(Math.Abs(expected[i] - _result[i]) <= 1e-5f))
                    throw new InvalidOperationException($"ONNX Runtime ({what}) gives {_result[i]} for output {i}, StaticNet {expected[i]}: not benchmarking different numbers.");
            }
        }

        public void Dispose()
        {
            _binding.Dispose();
            _input.Dispose();
            _output.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
            _options.Dispose();
        }
    }
}
