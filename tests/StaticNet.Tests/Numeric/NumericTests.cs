using System;
using System.Collections.Generic;
using System.Linq;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Numeric;

/// <summary>
/// The generated networks against the naive double-precision <see cref="ReferenceNet"/>, and the
/// reference itself against central differences, so that neither can be wrong in the same way.
/// </summary>
public class NumericTests
{
    private const int Capacity = 5;

    public static readonly Dictionary<string, Func<INetwork>> Networks = new()
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
    };

    public static IEnumerable<object[]> AllCases() =>
        from name in Networks.Keys from batch in new[] { 1, 3, Capacity } select new object[] { name, batch };

    public static IEnumerable<object[]> LossCases() =>
        from c in AllCases() where Networks[(string)c[0]]() is ILossNetwork select c;

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
        if (!net.Architecture.EndsWith("SoftmaxCrossEntropy")) return Random(batch * net.OutputSize, seed);
        var t = new float[batch * net.OutputSize];
        var r = new Random64(seed);
        for (int row = 0; row < batch; row++) t[row * net.OutputSize + r.NextInt32(net.OutputSize)] = 1;
        return t;
    }

    private static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-3;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= tolerance * scale,
                $"{what}[{i}]: got {actual[i]:G9}, expected {expected[i]:G9} (error {error:E2} > {tolerance:E0} × scale {scale:G3})");
        }
    }

    private static void AssertGradientsClose(INetwork net, double[] expected, double tolerance)
    {
        foreach (ParameterBlock block in net.ParameterBlocks)
            AssertClose(net.Gradients.Slice(block.Offset, block.Length), expected.AsSpan(block.Offset, block.Length), tolerance, "d" + block.Name);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Forward_matches_the_reference(string name, int batch)
    {
        INetwork net = Networks[name]();
        var reference = new ReferenceNet(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: batch);
        var output = new float[batch * net.OutputSize];

        net.Forward(input, output);

        AssertClose(output, reference.Forward(input, lossForm: false).Acts[^1], 1e-5, "output");
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss_and_Backward_match_the_reference(string name, int batch)
    {
        var net = (ILossNetwork)Networks[name]();
        var reference = new ReferenceNet(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 100 + batch);
        float[] targets = Targets(net, batch, seed: 200 + batch);
        net.Gradients.Fill(float.NaN); // Backward must overwrite every gradient

        float loss = net.Loss(input, targets);
        net.Backward();

        ReferenceNet.Pass pass = reference.Forward(input, lossForm: true);
        double expectedLoss = reference.Loss(pass, targets);
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {loss} vs reference {expectedLoss}");
        AssertGradientsClose(net, reference.Backward(pass, targets, default).Gradients, 1e-4);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Backward_from_an_output_gradient_matches_the_reference(string name, int batch)
    {
        INetwork net = Networks[name]();
        var reference = new ReferenceNet(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 300 + batch);
        float[] outputGradient = Random(batch * net.OutputSize, seed: 400 + batch);
        var output = new float[batch * net.OutputSize];
        var inputGradient = new float[batch * net.InputSize];
        net.Gradients.Fill(float.NaN);

        net.Forward(input, output);
        net.Backward(outputGradient, inputGradient);

        (double[] gradients, double[] expectedInputGradient) = reference.Backward(reference.Forward(input, lossForm: false), default, outputGradient);
        AssertGradientsClose(net, gradients, 1e-4);
        AssertClose(inputGradient, expectedInputGradient, 1e-4, "inputGradient");
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void The_reference_backward_matches_central_differences_in_double(string name, int batch)
    {
        INetwork net = Networks[name]();
        var reference = new ReferenceNet(net.Architecture, net.Parameters);
        float[] input = Random(batch * net.InputSize, seed: 500 + batch);
        float[] targets = Targets(net, batch, seed: 600 + batch);
        double[] analytic = reference.Backward(reference.Forward(input, true), targets, default).Gradients;
        const double h = 1e-6;
        foreach (ParameterBlock block in net.ParameterBlocks)
        {
            int count = Math.Min(block.Length, 20);
            for (int s = 0; s < count; s++)
            {
                int i = block.Offset + s * block.Length / count;
                double saved = reference.Parameters[i];
                reference.Parameters[i] = saved + h;
                double plus = reference.Loss(reference.Forward(input, true), targets);
                reference.Parameters[i] = saved - h;
                double minus = reference.Loss(reference.Forward(input, true), targets);
                reference.Parameters[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                    $"{block.Name}[{i - block.Offset}]: backprop {analytic[i]:G9}, central difference {numeric:G9}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void GradientCheck_of_the_generated_network_passes(string name, int batch)
    {
        var net = (ILossNetwork)Networks[name]();
        float[] input = Random(batch * net.InputSize, seed: 700 + batch);
        float[] targets = Targets(net, batch, seed: 800 + batch);
        GradientCheckResult result = GradientCheck.Run(net, input, targets, step: 1e-2f, maxPerBlock: 30);
        Assert.Equal(net.ParameterBlocks.Length, result.Blocks.Count);
        Assert.True(result.MaxRelativeError < 1e-2, result.ToString());
        Assert.All(result.Blocks, b => Assert.True(b.Checked >= b.Kinks, "most sampled points are smooth: " + result));
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void BackwardSgd_makes_the_step_of_Backward_then_Sgd(string name, int batch)
    {
        var fused = (ILossNetwork)Networks[name]();
        var separate = (ILossNetwork)Networks[name]();
        float[] input = Random(batch * fused.InputSize, seed: 900 + batch);
        float[] targets = Targets(fused, batch, seed: 1000 + batch);
        float[] before = fused.Parameters.ToArray();
        const float lr = 0.05f;

        fused.Loss(input, targets);
        fused.BackwardSgd(lr);
        separate.Loss(input, targets);
        separate.Backward();
        new Sgd(lr).Step(separate.Parameters, separate.Gradients);

        // Compare the steps taken, relative to the largest step in each block.
        foreach (ParameterBlock block in fused.ParameterBlocks)
        {
            var expectedStep = new double[block.Length];
            var actualStep = new float[block.Length];
            for (int i = 0; i < block.Length; i++)
            {
                expectedStep[i] = (double)separate.Parameters[block.Offset + i] - before[block.Offset + i];
                actualStep[i] = fused.Parameters[block.Offset + i] - before[block.Offset + i];
            }
            AssertClose(actualStep, expectedStep, 1e-4, "step of " + block.Name);
        }
        Assert.Throws<InvalidOperationException>(() => fused.Backward()); // the kept activations belong to the old weights
    }

    [Fact]
    public void Loss_with_labels_equals_loss_with_one_hot_targets()
    {
        var a = new Net784x100x10Sce(3, seed: 1);
        var b = new Net784x100x10Sce(3, seed: 1);
        float[] input = Random(3 * 784, seed: 2);
        int[] labels = { 7, 0, 9 };
        var oneHot = new float[30];
        for (int r = 0; r < 3; r++) oneHot[r * 10 + labels[r]] = 1;

        float la = a.Loss(input, labels);
        float lb = b.Loss(input, oneHot);
        a.Backward();
        b.Backward();

        Assert.Equal(lb, la);
        Assert.Equal(b.Gradients.ToArray(), a.Gradients.ToArray());
    }

    [Fact]
    public void Same_seed_gives_same_weights_and_different_seeds_do_not()
    {
        Assert.Equal(new TwoLayerNet(1, seed: 5).Parameters.ToArray(), new TwoLayerNet(1, seed: 5).Parameters.ToArray());
        Assert.NotEqual(new TwoLayerNet(1, seed: 5).Parameters.ToArray(), new TwoLayerNet(1, seed: 6).Parameters.ToArray());
    }

    [Fact]
    public void Initialisation_is_He_before_ReLU_and_Xavier_otherwise_with_zero_biases()
    {
        var relu = new Net784x100x10Sce(1, seed: 3);   // Dense1 feeds ReLU: std sqrt(2/784); Dense2 feeds the loss: sqrt(1/100)
        Assert.InRange(StandardDeviation(relu.W1), 0.95 * Math.Sqrt(2.0 / 784), 1.05 * Math.Sqrt(2.0 / 784));
        Assert.InRange(StandardDeviation(relu.W2), 0.85 * Math.Sqrt(1.0 / 100), 1.15 * Math.Sqrt(1.0 / 100));
        Assert.All(relu.b1.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(relu.b2.ToArray(), b => Assert.Equal(0f, b));
        var sigmoid = new TwoLayerNet(1, seed: 3);
        Assert.InRange(StandardDeviation(sigmoid.W1), 0.95 * Math.Sqrt(1.0 / 784), 1.05 * Math.Sqrt(1.0 / 784));
    }

    private static double StandardDeviation(ReadOnlySpan<float> values)
    {
        double mean = 0, sq = 0;
        foreach (float v in values) mean += v;
        mean /= values.Length;
        foreach (float v in values) sq += (v - mean) * (v - mean);
        return Math.Sqrt(sq / values.Length);
    }
}
