using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace StaticNet.Benchmarks;

/// <summary>
/// Inference and one SGD training step of the reference network (see <see cref="RefShape"/>) for
/// each implementation, at batch 1, 32 and 100. Grouped by operation, each group with the
/// TensorPrimitives implementation as its baseline, so the Ratio column compares against it.
/// </summary>
/// <remarks>
/// <para>Adding an implementation (the StaticNet generated network is the one to come):</para>
/// <list type="number">
/// <item>a class implementing <see cref="IReferenceNet"/> (for StaticNet, a thin adapter whose
/// SetParameters/GetParameters convert to the canonical layout and whose TrainStep is
/// <c>Loss</c> + <c>Backward()</c> + the SGD step);</item>
/// <item>one line in <see cref="ReferenceNets.All"/>, so <c>--verify</c> checks its numbers and its
/// zero allocation;</item>
/// <item>a field, one line in <see cref="Setup"/>, and the two methods marked HOOK below.</item>
/// </list>
/// <para>The fields have the concrete types, so calls are direct (no interface dispatch in the
/// measured code). A StaticNet method may equally call the generated class directly rather than
/// through its adapter.</para>
/// <para>Training steps update the weights on every call. The input batch is fixed (so it stays in
/// cache, as a real input batch would), and the labels cycle through <see cref="LabelSets"/>
/// different random sets: the network cannot fit contradicting labels, so its probabilities never
/// saturate and no gradient drifts into subnormal numbers however many steps are run.</para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class NetworkBenchmarks
{
    public const int Seed = 42;
    public const float LearningRate = 0.01f;
    public const int LabelSets = 4;

    private TensorPrimitivesNet _tensorPrimitives = null!;
    private BookPortNet _bookPort = null!;
    private StaticNetReference _staticNet = null!;
    private StaticNetReference _staticNetFused = null!;
    private StaticNetReference _staticNetWorkspace = null!;
    // Vector256-only figures: when the generated kernels can be forced to 256-bit (a constructor
    // option, or a switch the JIT treats as a constant), add a second field here, e.g.
    //   private StaticNetReference _staticNet256 = null!;   // new StaticNetReference(Batch, force256: true)
    // with its own pair of methods below ("StaticNet (Vector256)"). Without such an option, run the
    // whole suite a second time with AVX-512 hidden from the runtime (Program's --vector256 flag
    // sets DOTNET_EnableAVX512=0, the .NET 10 name; .NET 8/9's DOTNET_EnableAVX512F is ignored),
    // which turns Avx512F.IsSupported false and so selects the 256-bit path of every width check
    // (TensorPrimitives goes 256-bit too).

    private float[] _x = null!;
    private float[] _y = null!;
    private int[][] _labels = null!;
    private int _step;

    [Params(1, 32, 100)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        float[] parameters = ReferenceData.CreateParameters(Seed);
        _x = ReferenceData.CreateInputs(Seed + 1, Batch);
        _y = new float[Batch * RefShape.Output];
        _labels = new int[LabelSets][];
        for (int s = 0; s < LabelSets; s++)
        {
            _labels[s] = ReferenceData.CreateLabels(Seed + 2 + s, Batch);
        }

        _tensorPrimitives = new TensorPrimitivesNet(Batch);
        _tensorPrimitives.SetParameters(parameters);
        _bookPort = new BookPortNet();
        _bookPort.SetParameters(parameters);
        _staticNet = new StaticNetReference(Batch);
        _staticNet.SetParameters(parameters);
        _staticNetFused = new StaticNetReference(Batch, fused: true);
        _staticNetFused.SetParameters(parameters);
        _staticNetWorkspace = new StaticNetReference(Batch, workspace: true);
        _staticNetWorkspace.SetParameters(parameters);
    }

    private int[] NextLabels() => _labels[_step++ & (LabelSets - 1)];

    // ---- Inference: x (Batch × 784) → softmax probabilities (Batch × 10) ----

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_TensorPrimitives() => _tensorPrimitives.Forward(_x, _y);

    [Benchmark(Description = "BookPort")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_BookPort() => _bookPort.Forward(_x, _y);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_StaticNet() => _staticNet.Forward(_x, _y);

    // Forward(input, output, workspace): reads the input where it lies; the plain Forward keeps a copy of it
    // because Backward(outputGradient, inputGradient) may follow.
    [Benchmark(Description = "StaticNet (Workspace)")]
    [BenchmarkCategory(Operations.Inference)]
    public void Inference_StaticNetWorkspace() => _staticNetWorkspace.Forward(_x, _y);

    // ---- Training step: forward + mean cross-entropy + backward + SGD (p -= lr·g) ----

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_TensorPrimitives() => _tensorPrimitives.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "BookPort")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_BookPort() => _bookPort.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_StaticNet() => _staticNet.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "StaticNet (fused SGD)")]
    [BenchmarkCategory(Operations.TrainingStep)]
    public float TrainingStep_StaticNetFused() => _staticNetFused.TrainStep(_x, NextLabels(), LearningRate);
}
