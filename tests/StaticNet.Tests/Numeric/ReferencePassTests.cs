using System;
using System.Collections.Generic;
using System.Linq;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Numeric;

/// <summary>
/// The generated reference pass ([Network(Reference = true)]) as an oracle: the fast pass of every numeric test
/// network against it (through <see cref="ReferenceCheck"/>), and the reference itself against the test's own
/// naive <see cref="ReferenceNet"/> and against central differences, so that the oracle is proven, not assumed.
/// </summary>
public class ReferencePassTests
{
    private const int Capacity = 5;

    /// <summary>Every network of the numeric tests (NumericTests, GradientCheckTests, HardeningTests, the conv tests) and the conv networks of this file.</summary>
    public static readonly Dictionary<string, Func<IReferenceNetwork>> Networks = new()
    {
        ["Net1x3x1Mse"] = () => new Net1x3x1Mse(Capacity, seed: 1),
        ["Net3x7x8Sce"] = () => new Net3x7x8Sce(Capacity, seed: 2),
        ["Net7x17x3Sce"] = () => new Net7x17x3Sce(Capacity, seed: 3),
        ["Net8x33x8Softmax"] = () => new Net8x33x8Softmax(Capacity, seed: 4),
        ["Net17x33x7Mse"] = () => new Net17x33x7Mse(Capacity, seed: 5),
        ["Net33x100x17Sce"] = () => new Net33x100x17Sce(Capacity, seed: 6),
        ["Net100x784x8Mse"] = () => new Net100x784x8Mse(Capacity, seed: 7),
        ["Net784x100x10Sce"] = () => new Net784x100x10Sce(Capacity, seed: 8),
        ["TwoLayerNet"] = () => new TwoLayerNet(Capacity, seed: 9),
        ["DeepNet"] = () => new DeepNet(Capacity, seed: 10),
        ["ActivationFirstNet"] = () => new ActivationFirstNet(Capacity, seed: 11),
        ["NoLossNet"] = () => new NoLossNet(Capacity, seed: 12),
        ["LossOnlyNet"] = () => new LossOnlyNet(Capacity, seed: 13),
        ["LinearNet"] = () => new LinearNet(Capacity, seed: 14),
        ["GcTanhNet"] = () => new GcTanhNet(Capacity, seed: 15),
        ["GcSigmoidNet"] = () => new GcSigmoidNet(Capacity, seed: 16),
        ["GcReluNet"] = () => new GcReluNet(Capacity, seed: 17),
        ["HardenSceNet"] = () => new HardenSceNet(Capacity, seed: 18),
        ["HardenMseNet"] = () => new HardenMseNet(Capacity, seed: 19),
        ["SimpleConvNet"] = () => new SimpleConvNet(Capacity, seed: 20),
        ["StridedConvNet"] = () => new StridedConvNet(Capacity, seed: 21),
        ["RefPaddedMaxPoolNet"] = () => new RefPaddedMaxPoolNet(Capacity, seed: 22),
        ["RefOverlappingMaxPoolNet"] = () => new RefOverlappingMaxPoolNet(Capacity, seed: 23),
        ["RefConvNoLossNet"] = () => new RefConvNoLossNet(Capacity, seed: 24),
        ["RefPoolFirstNet"] = () => new RefPoolFirstNet(Capacity, seed: 25),
        ["RefFlattenFirstNet"] = () => new RefFlattenFirstNet(Capacity, seed: 26),
        ["RefConvFirstNoLossNet"] = () => new RefConvFirstNoLossNet(Capacity, seed: 27),
        ["LeakyReLUNet"] = () => new LeakyReLUNet(Capacity, seed: 28),
        ["SigmoidCrossEntropyNet"] = () => new SigmoidCrossEntropyNet(Capacity, seed: 29),
        ["Chapter6EveryLayerNet"] = () => new Chapter6EveryLayerNet(Capacity, seed: 30),
        // The conv networks of ConvNumericTests and ConvShapeTests.
        ["ConvK1Net"] = () => new ConvK1Net(Capacity, seed: 31),
        ["ConvChainNet"] = () => new ConvChainNet(Capacity, seed: 32),
        ["ConvStride3Net"] = () => new ConvStride3Net(Capacity, seed: 33),
        ["PoolFirstNet"] = () => new PoolFirstNet(Capacity, seed: 34),
        ["ConvOnlyNet"] = () => new ConvOnlyNet(Capacity, seed: 35),
        // The Dropout and BatchNorm networks of the Regularization tests: both forms of each, after Dense and after Conv2D.
        ["BatchNormDropoutNet"] = () => new BatchNormDropoutNet(Capacity, seed: 36),
        ["BatchNormOnlyNet"] = () => new BatchNormOnlyNet(Capacity, seed: 37),
        ["BatchNormConvNet"] = () => new BatchNormConvNet(Capacity, seed: 38),
        ["BatchNorm2DOnlyNet"] = () => new BatchNorm2DOnlyNet(Capacity, seed: 39),
        ["DropoutNet"] = () => new DropoutNet(Capacity, seed: 40),
        ["BatchNormSmoothNet"] = () => new BatchNormSmoothNet(Capacity, seed: 41),
        ["DropoutOnlyNet"] = () => new DropoutOnlyNet(Capacity, seed: 42),
        ["BatchNormNoLossNet"] = () => new BatchNormNoLossNet(Capacity, seed: 43),
        // The weight decay networks of WeightDecayTests (with WeightDecay off here; on in the tests below).
        ["WeightDecayNet"] = () => new WeightDecayNet(Capacity, seed: 44),
        ["WeightDecayConvNet"] = () => new WeightDecayConvNet(Capacity, seed: 45),
    };

    /// <summary>The networks with a BatchNorm per feature (after a vector): a training batch needs two rows at least.</summary>
    private static readonly HashSet<string> s_perFeatureBatchNorm = ["BatchNormDropoutNet", "BatchNormOnlyNet", "BatchNormSmoothNet"];

    /// <summary>The networks whose Loss has a training form (Dropout, BatchNorm), for the tests of both forms.</summary>
    public static IEnumerable<object[]> TrainingFormCases() =>
        from c in LossCases() where ((string)c[0]).Contains("BatchNorm") || ((string)c[0]).Contains("Dropout") select c;

    public static IEnumerable<object[]> AllCases() =>
        from name in Networks.Keys from batch in new[] { 1, 3, Capacity } select new object[] { name, batch };

    public static IEnumerable<object[]> LossCases() =>
        from c in AllCases() where Networks[(string)c[0]]() is IReferenceLossNetwork select c;

    /// <summary>The dense networks, which the test's own <see cref="ReferenceNet"/> reads (it knows no convolution).</summary>
    public static IEnumerable<object[]> DenseCases() =>
        from c in AllCases() where !Networks[(string)c[0]]().Architecture.Contains("Conv2D") && !Networks[(string)c[0]]().Architecture.Contains("Pool2D")
            && !Networks[(string)c[0]]().Architecture.Contains("Flatten") && !Networks[(string)c[0]]().Architecture.Contains("LeakyReLU")
            && !Networks[(string)c[0]]().Architecture.Contains("SigmoidCrossEntropy")
            && !Networks[(string)c[0]]().Architecture.Contains("BatchNorm") && !Networks[(string)c[0]]().Architecture.Contains("Dropout") select c;

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextGaussian() * scale);
        return v;
    }

    /// <summary>Targets for the network's loss: one-hot rows for cross-entropy, values otherwise.</summary>
    private static float[] Targets(INetwork net, int batch, int seed)
    {
        if (net.Architecture.EndsWith("SigmoidCrossEntropy"))
        {
            // Probabilities in [0, 1], not only 0 and 1: the loss is defined for any.
            var p = new float[batch * net.OutputSize];
            var rp = new Random64(seed);
            for (int i = 0; i < p.Length; i++) p[i] = rp.NextInt32(1001) / 1000f;
            return p;
        }
        if (!net.Architecture.EndsWith("SoftmaxCrossEntropy")) return Random(batch * net.OutputSize, seed);
        var t = new float[batch * net.OutputSize];
        var r = new Random64(seed);
        for (int row = 0; row < batch; row++) t[row * net.OutputSize + r.NextInt32(net.OutputSize)] = 1;
        return t;
    }

    // float32 against double: sums of up to 4,320 products, so a few 1e-6 relative; 1e-4 leaves room and still fails a wrong formula by far.
    private const double FastTolerance = 1e-4;

    /// <summary>
    /// The biases right before a BatchNorm: in training they have no effect on the loss (the normalisation subtracts every
    /// per-feature constant), so their true gradient is 0, both passes give rounding noise, and the relative difference of
    /// two noises says nothing (BatchNormTests treats them so in its gradient checks too).
    /// </summary>
    private static readonly Dictionary<string, string[]> s_biasesBeforeBatchNorm = new()
    {
        ["BatchNormDropoutNet"] = ["b1"],
        ["BatchNormConvNet"] = ["b1"],
        ["BatchNormSmoothNet"] = ["b1", "b3"],
    };

    private static string[] FlatBiases(string name, INetwork net) =>
        net.Training && s_biasesBeforeBatchNorm.TryGetValue(name, out string[]? flat) ? flat : [];

    /// <summary>Every entry within <see cref="FastTolerance"/>, but a bias before a training BatchNorm, which must be 0 to rounding on both sides.</summary>
    private static void AssertPassed(string name, INetwork net, ReferenceCheckResult result)
    {
        string[] flat = FlatBiases(name, net);
        foreach (ReferenceCheckEntry e in result.Entries)
        {
            if (flat.Contains(e.Name.Substring(1)))
                Assert.True(e.MaxAbsoluteDifference < 1e-6 && MaxAbs(Block(net, e.Name.Substring(1))) < 1e-6, $"{e.Name} should be 0 to rounding\n{result}");
            else
                Assert.True(e.RelativeDifference <= FastTolerance, $"{e.Name}\n{result}");
        }
    }

    private static ReadOnlySpan<float> Block(INetwork net, string name)
    {
        foreach (ParameterBlock b in net.ParameterBlocks)
            if (b.Name == name) return net.Gradients.Slice(b.Offset, b.Length);
        throw new ArgumentException(name);
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void ReferenceCheck_the_fast_loss_and_backward_match_the_reference(string name, int batch)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        float[] input = Random(batch * net.InputSize, seed: 100 + batch);
        float[] targets = Targets(net, batch, seed: 200 + batch);
        // A training BatchNorm per feature needs two rows: one row is checked in the inference form, as Loss takes it.
        if (batch == 1 && s_perFeatureBatchNorm.Contains(name)) net.Training = false;

        ReferenceCheckResult result = ReferenceCheck.Run(net, input, targets);

        AssertPassed(name, net, result);
        Assert.Equal(net.State.Length > 0, result.State is not null); // with BatchNorm the running statistics are compared too
        Assert.Equal(net.ParameterBlocks.Length, result.Blocks.Count);
        Assert.NotNull(result.Loss);
        Assert.Equal(batch * net.OutputSize, result.Output.Length);
        Assert.Equal(batch * net.InputSize, result.InputGradient.Length);
        // The comparison saw real numbers: a gradient that is all zero on both sides would pass vacuously.
        if (net.ParameterCount > 0) Assert.True(MaxAbs(net.Gradients) > 0, "the fast gradient is all zero");
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ReferenceCheck_the_fast_forward_and_backward_from_an_output_gradient_match_the_reference(string name, int batch)
    {
        IReferenceNetwork net = Networks[name]();
        float[] input = Random(batch * net.InputSize, seed: 300 + batch);
        float[] outputGradient = Random(batch * net.OutputSize, seed: 400 + batch);

        ReferenceCheckResult result = ReferenceCheck.RunWithOutputGradient(net, input, outputGradient);

        Assert.True(result.Passed(FastTolerance), result.ToString());
        Assert.Null(result.Loss);
        Assert.Equal(net.ParameterBlocks.Length, result.Blocks.Count);
    }

    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        double max = 0;
        foreach (float v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    // ---- the oracle itself ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Reference_pass_equals_the_tests_own_naive_double_network(string name, int batch)
    {
        IReferenceNetwork net = Networks[name]();
        var naive = new ReferenceNet(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 500 + batch);
        float[] outputGradient = Random(batch * net.OutputSize, seed: 600 + batch);
        var output = new double[batch * net.OutputSize];
        var gradients = new double[net.ParameterCount];
        var inputGradient = new double[batch * net.InputSize];

        net.ReferenceForward(input, output);
        net.ReferenceBackward(outputGradient, gradients, inputGradient);

        // Both are double and both are the book's formulas, written apart: they agree to rounding.
        ReferenceNet.Pass pass = naive.Forward(input, lossForm: false);
        AssertEqual(pass.Acts[^1], output, "output");
        (double[] expectedGradients, double[] expectedInputGradient) = naive.Backward(pass, default, outputGradient);
        AssertEqual(expectedGradients, gradients, "gradients");
        AssertEqual(expectedInputGradient, inputGradient, "inputGradient");

        if (net is IReferenceLossNetwork lossNet)
        {
            float[] targets = Targets(net, batch, seed: 700 + batch);
            double loss = lossNet.ReferenceLoss(input, targets);
            lossNet.ReferenceBackward(gradients, inputGradient);
            ReferenceNet.Pass lossPass = naive.Forward(input, lossForm: true);
            double expectedLoss = naive.Loss(lossPass, targets);
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-12 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {loss:G17}, naive {expectedLoss:G17}");
            (expectedGradients, _) = naive.Backward(lossPass, targets, default);
            AssertEqual(expectedGradients, gradients, "loss gradients");
        }
    }

    private static void AssertEqual(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-300;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 * scale, $"{what}[{i}]: reference {actual[i]:G17}, naive {expected[i]:G17}");
    }

    /// <summary>Networks that are smooth everywhere (no ReLU, no max pooling), so central differences need no kink detection.</summary>
    public static IEnumerable<object[]> SmoothCases() =>
        new[] { "Net3x7x8Sce", "Net7x17x3Sce", "HardenMseNet", "GcTanhNet", "StridedConvNet", "RefPoolFirstNet", "RefFlattenFirstNet", "SigmoidCrossEntropyNet",
                "ConvStride3Net", "BatchNormSmoothNet", "BatchNormOnlyNet", "BatchNorm2DOnlyNet", "BatchNormConvNet", "DropoutNet", "DropoutOnlyNet" }
            .Select(n => new object[] { n });

    /// <summary>Networks with kinks too (ReLU, max pooling, padding, overlapping windows): for <see cref="GradientCheck"/>, which skips kinks.</summary>
    public static IEnumerable<object[]> GradientCheckCases() =>
        SmoothCases().Where(c => Networks[(string)c[0]]().ParameterCount > 0).Concat(new[] { "DeepNet", "ActivationFirstNet", "SimpleConvNet", "RefPaddedMaxPoolNet", "RefOverlappingMaxPoolNet", "LeakyReLUNet",
                "ConvK1Net", "ConvChainNet", "PoolFirstNet", "BatchNormDropoutNet" }
            .Select(n => new object[] { n }));

    /// <summary>
    /// The reference's gradients of the loss, for parameters and inputs, against central differences of its own loss in
    /// double. The parameters and inputs are floats, so the step is what float can hold: the difference quotient divides
    /// by the step actually taken.
    /// </summary>
    [Theory]
    [MemberData(nameof(SmoothCases))]
    public void Reference_backward_matches_central_differences_of_the_reference_loss(string name)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        const int batch = 3;
        float[] input = Random(batch * net.InputSize, seed: 800);
        float[] targets = Targets(net, batch, seed: 900);
        var gradients = new double[net.ParameterCount];
        var inputGradient = new double[batch * net.InputSize];
        net.Loss(input, targets); // the fast training Loss draws the dropout masks every ReferenceLoss below drops with
        net.ReferenceLoss(input, targets);
        net.ReferenceBackward(gradients, inputGradient);

        // The step: 1e-3, but 1e-4 through a BatchNorm, whose normalisation over 3 rows curves the loss more (the
        // error of a central difference grows with the third derivative times the step squared).
        float h = name.Contains("BatchNorm") ? 1e-4f : 1e-3f;
        void Compare(string what, double analytic, Func<float, double> lossAt, float value)
        {
            float up = value + h, down = value - h;
            double numeric = (lossAt(up) - lossAt(down)) / ((double)up - down);
            Assert.True(Math.Abs(numeric - analytic) <= 1e-8 + 1e-5 * Math.Abs(numeric), $"{what}: backprop {analytic:G9}, central difference {numeric:G9}");
        }

        foreach (ParameterBlock block in net.ParameterBlocks)
        {
            int count = Math.Min(block.Length, 12);
            for (int s = 0; s < count; s++)
            {
                int i = block.Offset + s * block.Length / count;
                float saved = net.Parameters[i];
                Compare($"d{block.Name}[{i - block.Offset}]", gradients[i], v =>
                {
                    net.Parameters[i] = v;
                    double loss = net.ReferenceLoss(input, targets);
                    net.Parameters[i] = saved;
                    return loss;
                }, saved);
            }
        }
        int inputs = Math.Min(input.Length, 12);
        for (int s = 0; s < inputs; s++)
        {
            int k = s * input.Length / inputs;
            float saved = input[k];
            Compare($"inputGradient[{k}]", inputGradient[k], v =>
            {
                input[k] = v;
                double loss = net.ReferenceLoss(input, targets);
                input[k] = saved;
                return loss;
            }, saved);
        }
    }

    /// <summary>The reference pass seen by <see cref="GradientCheck"/>: its loss and its gradients, as an <see cref="ILossNetwork"/>.</summary>
    private sealed class ReferenceAsNetwork : ILossNetwork
    {
        private readonly IReferenceLossNetwork _net;
        private readonly float[] _gradients;
        private readonly double[] _reference;
        public ReferenceAsNetwork(IReferenceLossNetwork net) => (_net, _gradients, _reference) = (net, new float[net.ParameterCount], new double[net.ParameterCount]);
        public int InputSize => _net.InputSize;
        public int OutputSize => _net.OutputSize;
        public int ParameterCount => _net.ParameterCount;
        public int BatchCapacity => _net.BatchCapacity;
        public string Architecture => _net.Architecture;
        public Span<float> Parameters => _net.Parameters;
        public Span<float> Gradients => _gradients;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => _net.ParameterBlocks;
        public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets) => (float)_net.ReferenceLoss(input, targets);
        public void Backward()
        {
            _net.ReferenceBackward(_reference, Span<double>.Empty);
            for (int i = 0; i < _reference.Length; i++) _gradients[i] = (float)_reference[i];
        }
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => throw new NotSupportedException();
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => throw new NotSupportedException();
        public void BackwardSgd(float learningRate) => throw new NotSupportedException();
    }

    [Theory]
    [MemberData(nameof(GradientCheckCases))]
    public void Reference_backward_passes_GradientCheck(string name)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        // Two rows, but four with a BatchNorm: over two rows x̂ is ±1 whatever the input, which would leave little to check.
        int rows = name.Contains("BatchNorm") ? 4 : 2;
        float[] input = Random(rows * net.InputSize, seed: 1000);
        float[] targets = Targets(net, rows, seed: 1100);
        net.Loss(input, targets); // the dropout masks every ReferenceLoss of the check drops with

        // For a conv net a step of 1e-3, not the default 1e-2: a conv weight moves every window of the image, and at 1e-2 so
        // many max-pool winners change within the step that kinks are missed. The dense nets keep 1e-2: the loss the check
        // sees is rounded to float, which a smaller step would magnify in their small gradients.
        float step = net.Architecture.Contains("Conv2D") ? 1e-3f : 1e-2f;
        GradientCheckResult result = GradientCheck.Run(new ReferenceAsNetwork(net), input, targets, step, maxPerBlock: 20);

        string[] flat = FlatBiases(name, net);
        foreach (GradientCheckBlock block in result.Blocks)
            Assert.True(flat.Contains(block.Block) ? block.MaxAbsoluteError < 1e-4 : block.Checked > 0 && block.RelativeError <= 1e-2, result.ToString());
        Assert.NotEmpty(result.Blocks);
    }

    // ---- the check can fail, and the reference pass's own rules ----------------------------------

    /// <summary>A network whose reference backward is wrong in one block by a known amount.</summary>
    private sealed class WrongReference : IReferenceLossNetwork
    {
        private readonly Net3x7x8Sce _net = new(Capacity, seed: 2);
        public int InputSize => Net3x7x8Sce.InputSize;
        public int OutputSize => Net3x7x8Sce.OutputSize;
        public int ParameterCount => Net3x7x8Sce.ParameterCount;
        public int BatchCapacity => _net.BatchCapacity;
        public string Architecture => Net3x7x8Sce.Architecture;
        public Span<float> Parameters => _net.Parameters;
        public Span<float> Gradients => _net.Gradients;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => _net.ParameterBlocks;
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => _net.Forward(input, output);
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => _net.Backward(outputGradient, inputGradient);
        public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets) => _net.Loss(input, targets);
        public void Backward() => _net.Backward();
        public void Backward(Span<float> inputGradient) => _net.Backward(inputGradient);
        public void BackwardSgd(float learningRate) => _net.BackwardSgd(learningRate);
        public void ReferenceForward(ReadOnlySpan<float> input, Span<double> output) => _net.ReferenceForward(input, output);
        public double ReferenceLoss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets) => _net.ReferenceLoss(input, targets);
        public void ReferenceBackward(Span<double> gradients, Span<double> inputGradient)
        {
            _net.ReferenceBackward(gradients, inputGradient);
            ParameterBlock b2 = _net.ParameterBlocks[3];
            gradients[b2.Offset + 1] += 0.5; // db2[1] off by 0.5
        }
        public void ReferenceBackward(ReadOnlySpan<float> outputGradient, Span<double> gradients, Span<double> inputGradient) =>
            _net.ReferenceBackward(outputGradient, gradients, inputGradient);
    }

    [Fact]
    public void ReferenceCheck_fails_the_block_that_differs_and_only_that_one()
    {
        var net = new WrongReference();
        float[] input = Random(3 * net.InputSize, seed: 1);
        float[] targets = Targets(net, 3, seed: 2);

        ReferenceCheckResult result = ReferenceCheck.Run(net, input, targets);

        Assert.False(result.Passed(0.1), result.ToString());
        ReferenceCheckEntry db2 = Assert.Single(result.Entries, e => !(e.RelativeDifference <= FastTolerance));
        Assert.Equal(("Dense2", "db2"), (db2.Layer, db2.Name));
        Assert.InRange(db2.MaxAbsoluteDifference, 0.5 - 1e-5, 0.5 + 1e-5);
        Assert.Contains("db2", result.ToString());
    }

    [Fact]
    public void ReferenceCheck_rejects_bad_arguments_and_Passed_a_bad_tolerance()
    {
        var net = new Net3x7x8Sce(2, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ReferenceCheck.Run(net, new float[4], new float[8]));
        Assert.Contains("whole rows of 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => ReferenceCheck.Run(net, new float[6], new float[8]));
        Assert.Contains("16 values", e.Message);
        e = Assert.Throws<ArgumentException>(() => ReferenceCheck.RunWithOutputGradient(net, new float[3], new float[7]));
        Assert.Contains("8 values", e.Message);
        var t = new float[16];
        t[0] = t[8] = 1;
        ReferenceCheckResult result = ReferenceCheck.Run(net, Random(6, 3), t);
        Assert.Throws<ArgumentOutOfRangeException>(() => result.Passed(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => result.Passed(double.NaN));
    }

    [Fact]
    public void Reference_methods_check_their_spans_and_their_order()
    {
        var net = new TwoLayerNet(2, seed: 1);
        Assert.Throws<InvalidOperationException>(() => net.ReferenceBackward(new double[TwoLayerNet.ParameterCount], default));
        Assert.Throws<InvalidOperationException>(() => net.ReferenceBackward(new float[10], new double[TwoLayerNet.ParameterCount], default));
        var e = Assert.Throws<ArgumentException>(() => net.ReferenceForward(new float[784], new double[9]));
        Assert.Contains("10", e.Message);
        Assert.Throws<ArgumentException>(() => net.ReferenceForward(new float[3 * 784], new double[30])); // more rows than the capacity
        var t = new float[10];
        t[3] = 1;
        net.ReferenceForward(new float[784], new double[10]);
        Assert.Throws<InvalidOperationException>(() => net.ReferenceBackward(new double[TwoLayerNet.ParameterCount], default)); // a forward pass is not a loss
        net.ReferenceLoss(new float[784], t);
        e = Assert.Throws<ArgumentException>(() => net.ReferenceBackward(new double[TwoLayerNet.ParameterCount - 1], default));
        Assert.Contains(TwoLayerNet.ParameterCount.ToString(), e.Message);
        Assert.Throws<ArgumentException>(() => net.ReferenceBackward(new double[TwoLayerNet.ParameterCount], new double[783]));
        t[4] = 1; // not a distribution
        Assert.Throws<ArgumentException>(() => net.ReferenceLoss(new float[784], t));
    }

    [Fact]
    public void A_reference_pass_between_Loss_and_Backward_changes_nothing_the_fast_pass_computes()
    {
        var a = new SimpleConvNet(2, seed: 3);
        var b = new SimpleConvNet(2, seed: 3);
        float[] input = Random(2 * SimpleConvNet.InputSize, seed: 4);
        float[] targets = Targets(a, 2, seed: 5);

        float la = a.Loss(input, targets);
        a.ReferenceLoss(Random(2 * SimpleConvNet.InputSize, seed: 6), targets);
        a.ReferenceBackward(new double[SimpleConvNet.ParameterCount], new double[2 * SimpleConvNet.InputSize]);
        a.Backward();
        float lb = b.Loss(input, targets);
        b.Backward();

        Assert.Equal(lb, la);
        Assert.Equal(b.Gradients.ToArray(), a.Gradients.ToArray());
    }

    [Fact]
    public void Reference_pass_allocates_nothing_after_its_first_call()
    {
        var net = new RefPaddedMaxPoolNet(batchCapacity: 4, seed: 1);
        float[] input = Random(4 * RefPaddedMaxPoolNet.InputSize, seed: 2);
        float[] targets = Targets(net, 4, seed: 3);
        var output = new double[4 * RefPaddedMaxPoolNet.OutputSize];
        var outputGradient = Random(4 * RefPaddedMaxPoolNet.OutputSize, seed: 4);
        var gradients = new double[RefPaddedMaxPoolNet.ParameterCount];
        var inputGradient = new double[4 * RefPaddedMaxPoolNet.InputSize];

        void Everything()
        {
            net.ReferenceForward(input, output);
            net.ReferenceBackward(outputGradient, gradients, inputGradient);
            net.ReferenceLoss(input, targets);
            net.ReferenceBackward(gradients, Span<double>.Empty);
        }

        Everything(); // the first call allocates the reference tensors, once
        long allocated = Allocations.Least(() => { Everything(); Everything(); });

        Assert.Equal(0, allocated);
    }

    // ---- Dropout and BatchNorm: the two forms, the masks, the running statistics ------------------

    [Theory]
    [MemberData(nameof(TrainingFormCases))]
    public void ReferenceCheck_with_Training_off_compares_the_inference_forms(string name, int batch)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        net.Training = false;
        float[] input = Random(batch * net.InputSize, seed: 1200 + batch);
        float[] targets = Targets(net, batch, seed: 1300 + batch);
        MoveRunningStatistics(net);

        ReferenceCheckResult result = ReferenceCheck.Run(net, input, targets);

        Assert.True(result.Passed(FastTolerance), result.ToString()); // in inference a bias before BatchNorm does count
    }

    /// <summary>A few training steps of the fast pass, so that the running statistics are neither their initial 0 and 1 nor the latest batch's.</summary>
    private static void MoveRunningStatistics(IReferenceLossNetwork net)
    {
        bool training = net.Training;
        net.Training = true;
        for (int step = 0; step < 3; step++)
        {
            float[] input = Random(4 * net.InputSize, seed: 1400 + step, scale: 2f);
            net.Loss(input, Targets(net, 4, seed: 1500 + step));
        }
        net.Training = training;
    }

    [Theory]
    [InlineData("BatchNormSmoothNet")]
    [InlineData("BatchNormConvNet")]
    [InlineData("BatchNorm2DOnlyNet")]
    public void ReferenceCheck_compares_the_running_statistics_a_training_Loss_moves_and_leaves_State_as_it_was(string name)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        MoveRunningStatistics(net);
        float[] before = net.State.ToArray();
        float[] input = Random(3 * net.InputSize, seed: 1600, scale: 3f);

        ReferenceCheckResult result = ReferenceCheck.Run(net, input, Targets(net, 3, seed: 1700));

        AssertPassed(name, net, result);
        ReferenceCheckEntry state = Assert.IsType<ReferenceCheckEntry>(result.State);
        Assert.Equal(net.State.Length, state.Length);
        Assert.Equal(before, net.State.ToArray());
        // Not vacuous: the reference's running statistics moved away from the ones both passes started from.
        double moved = 0;
        for (int i = 0; i < before.Length; i++) moved = Math.Max(moved, Math.Abs(net.ReferenceState[i] - before[i]));
        Assert.True(moved > 1e-3, $"the running statistics moved by {moved} only");
    }

    [Fact]
    public void Reference_running_statistics_follow_PyTorchs_rule_from_the_State_they_start_from()
    {
        var net = new BatchNormOnlyNet(4, seed: 1); // [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)] on 7 features
        MoveRunningStatistics(net);
        float[] state = net.State.ToArray();
        float[] input = Random(4 * BatchNormOnlyNet.InputSize, seed: 2, scale: 2f);
        net.ReferenceLoss(input, new float[4 * BatchNormOnlyNet.OutputSize]);

        // Written apart from the generated code: mean and biased variance per feature, the running variance unbiased.
        for (int c = 0; c < 7; c++)
        {
            double mean = 0, squares = 0;
            for (int n = 0; n < 4; n++) mean += input[n * 7 + c];
            mean /= 4;
            for (int n = 0; n < 4; n++) squares += (input[n * 7 + c] - mean) * (input[n * 7 + c] - mean);
            double expectedMean = 0.8 * state[c] + 0.2 * mean, expectedVar = 0.8 * state[7 + c] + 0.2 * squares / 3;
            Assert.True(Math.Abs(net.ReferenceState[c] - expectedMean) <= 1e-12, $"running mean {c}: {net.ReferenceState[c]}, expected {expectedMean}");
            Assert.True(Math.Abs(net.ReferenceState[7 + c] - expectedVar) <= 1e-12, $"running var {c}: {net.ReferenceState[7 + c]}, expected {expectedVar}");
        }
        Assert.Equal(state, net.State.ToArray()); // the reference leaves State alone
    }

    [Fact]
    public void Reference_training_Loss_drops_what_the_fast_Loss_dropped_and_keeps_its_copy_of_the_mask()
    {
        var net = new DropoutOnlyNet(3, seed: 5); // [Input(100)] [Dropout(0.3)] [MeanSquaredError]: dx is 2(y − t)/(N·n) ⊙ mask
        float[] input = Random(3 * 100, seed: 6);
        float[] targets = Random(3 * 100, seed: 7);
        var fastInputGradient = new float[3 * 100];
        net.Loss(input, targets);
        net.Backward(fastInputGradient);

        var gradients = new double[0];
        var inputGradient = new double[3 * 100];
        net.ReferenceLoss(input, targets);
        net.Loss(Random(3 * 100, seed: 8), targets); // a new fast Loss draws new masks: the reference backward keeps its own copy
        net.ReferenceBackward(gradients, inputGradient);

        int dropped = 0;
        double scale = MaxAbs(fastInputGradient);
        for (int k = 0; k < inputGradient.Length; k++)
        {
            Assert.Equal(fastInputGradient[k] == 0, inputGradient[k] == 0);
            Assert.True(Math.Abs(inputGradient[k] - fastInputGradient[k]) <= 1e-5 * scale, $"dx[{k}]: reference {inputGradient[k]}, fast {fastInputGradient[k]}");
            if (inputGradient[k] == 0) dropped++;
        }
        Assert.InRange(dropped, 40, 140); // p = 0.3 of 300 values: 90 expected, and a mask of all ones would fail
    }

    [Fact]
    public void A_training_ReferenceLoss_needs_the_masks_of_a_fast_Loss_of_its_batch_size()
    {
        var net = new DropoutNet(4, seed: 1);
        float[] input = Random(3 * DropoutNet.InputSize, seed: 2);
        float[] targets = Random(3 * DropoutNet.OutputSize, seed: 3);

        var e = Assert.Throws<InvalidOperationException>(() => net.ReferenceLoss(input, targets));
        Assert.Contains("for 0 rows (0: none drawn yet), not 3", e.Message);
        net.Loss(Random(2 * DropoutNet.InputSize, seed: 4), Random(2 * DropoutNet.OutputSize, seed: 5));
        e = Assert.Throws<InvalidOperationException>(() => net.ReferenceLoss(input, targets));
        Assert.Contains("for 2 rows", e.Message);
        Assert.Contains("Run Loss on these 3 rows first", e.Message);

        net.Training = false; // the inference form drops nothing and needs no mask
        Assert.True(double.IsFinite(net.ReferenceLoss(input, targets)));
        net.Training = true;
        net.Loss(input, targets);
        Assert.True(double.IsFinite(net.ReferenceLoss(input, targets)));
    }

    [Fact]
    public void A_training_ReferenceLoss_of_one_row_through_a_BatchNorm_per_feature_throws_as_Loss_does()
    {
        var net = new BatchNormSmoothNet(2, seed: 1);
        float[] input = Random(BatchNormSmoothNet.InputSize, seed: 2);
        var targets = new float[BatchNormSmoothNet.OutputSize];
        targets[1] = 1;

        var fast = Assert.Throws<ArgumentException>(() => net.Loss(input, targets));
        var reference = Assert.Throws<ArgumentException>(() => net.ReferenceLoss(input, targets));
        Assert.Equal(fast.Message, reference.Message);
        Assert.Contains("at least 2 rows", reference.Message);
        net.Training = false;
        Assert.True(double.IsFinite(net.ReferenceLoss(input, targets)));
    }

    [Fact]
    public void Reference_pass_with_BatchNorm_and_Dropout_allocates_nothing_after_its_first_call()
    {
        var net = new BatchNormConvNet(batchCapacity: 4, seed: 1);
        float[] input = Random(4 * BatchNormConvNet.InputSize, seed: 2);
        float[] targets = Targets(net, 4, seed: 3);
        var output = new double[4 * BatchNormConvNet.OutputSize];
        float[] outputGradient = Random(4 * BatchNormConvNet.OutputSize, seed: 4);
        var gradients = new double[BatchNormConvNet.ParameterCount];
        var inputGradient = new double[4 * BatchNormConvNet.InputSize];
        net.Loss(input, targets); // the masks

        void Everything()
        {
            net.ReferenceForward(input, output);
            net.ReferenceBackward(outputGradient, gradients, inputGradient);
            net.ReferenceLoss(input, targets);
            net.ReferenceBackward(gradients, Span<double>.Empty);
            _ = net.ReferenceState.Length;
        }

        Everything();
        long allocated = Allocations.Least(() => { Everything(); Everything(); });

        Assert.Equal(0, allocated);
    }

    // ---- weight decay ----------------------------------------------------------------------------

    [Theory]
    [InlineData("WeightDecayNet")]
    [InlineData("WeightDecayConvNet")]
    [InlineData("BatchNormSmoothNet")]
    public void ReferenceCheck_with_weight_decay_on_compares_the_penalty_and_its_gradient(string name)
    {
        var net = (IReferenceLossNetwork)Networks[name]();
        var decay = (dynamic)net;
        float[] input = Random(3 * net.InputSize, seed: 1800);
        float[] targets = Targets(net, 3, seed: 1900);
        double plain = net.ReferenceLoss(input, targets);
        decay.WeightDecay = 0.3f;

        ReferenceCheckResult result = ReferenceCheck.Run(net, input, targets);

        AssertPassed(name, net, result);
        // The reference's penalty is 0.5·λ·ΣW² over the weight blocks only (not biases, not BatchNorm's γ), written here apart.
        double squares = 0;
        foreach (ParameterBlock b in net.ParameterBlocks)
            if (b.Kind == ParameterKind.Weights)
                foreach (float w in net.Parameters.Slice(b.Offset, b.Length)) squares += (double)w * w;
        double decayed = net.ReferenceLoss(input, targets);
        Assert.True(Math.Abs(decayed - plain - 0.5 * 0.3f * squares) <= 1e-12 * Math.Max(1, decayed), $"penalty {decayed - plain}, expected {0.5 * 0.3f * squares}");
        var gradients = new double[net.ParameterCount];
        net.ReferenceBackward(gradients, Span<double>.Empty);
        var plainGradients = new double[net.ParameterCount];
        decay.WeightDecay = 0f;
        net.ReferenceLoss(input, targets);
        net.ReferenceBackward(plainGradients, Span<double>.Empty);
        foreach (ParameterBlock b in net.ParameterBlocks)
            for (int i = b.Offset; i < b.Offset + b.Length; i++)
            {
                double expected = plainGradients[i] + (b.Kind == ParameterKind.Weights ? (double)0.3f * net.Parameters[i] : 0);
                Assert.True(Math.Abs(gradients[i] - expected) <= 1e-12, $"{b.Name}[{i - b.Offset}]: {gradients[i]}, expected {expected}");
            }
    }
}
