using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Training;

/// <summary>GradientCheck: it finds kinks only where a ReLU input is near 0, checks every sampled parameter of a
/// smooth network, fails a wrong gradient and a block where nothing was checked, and its no-loss form agrees with
/// the loss form.</summary>
public class GradientCheckTests
{
    private const double Tolerance = 1e-2;

    private static float[] Gaussian(int n, long seed, double scale = 1)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextGaussian() * scale);
        return v;
    }

    /// <summary>Trains <paramref name="net"/> with SGD on fixed random data, so its weights are no longer the initial ones.</summary>
    private static (float[] X, float[] T) Train<TNet>(TNet net, int batch, int steps) where TNet : ILossNetwork
    {
        float[] x = Gaussian(batch * net.InputSize, seed: 11);
        float[] t = Gaussian(batch * net.OutputSize, seed: 12, scale: 0.5);
        var sgd = new Sgd(0.1f);
        float first = net.Loss(x, t), last = first;
        for (int s = 0; s < steps; s++)
        {
            last = net.Loss(x, t);
            net.Backward();
            sgd.Step(net.Parameters, net.Gradients);
        }
        Assert.True(last < 0.9f * first, $"training lowered the loss: {first} -> {last}");
        return (x, t);
    }

    private static void AssertEverySampleChecked(INetwork net, GradientCheckResult result, int maxPerBlock)
    {
        ReadOnlySpan<ParameterBlock> blocks = net.ParameterBlocks;
        Assert.Equal(blocks.Length, result.Blocks.Count);
        int total = 0;
        for (int b = 0; b < blocks.Length; b++)
        {
            int expected = Math.Min(blocks[b].Length, maxPerBlock);
            Assert.True(result.Blocks[b].Kinks == 0, "a smooth network has no kinks:\n" + result);
            Assert.Equal(expected, result.Blocks[b].Checked);
            total += expected;
        }
        Assert.Equal(total, result.TotalChecked);
        Assert.True(result.Passed(Tolerance), result.ToString());
        Assert.DoesNotContain("NOT CHECKED", result.ToString());
    }

    [Fact]
    public void A_trained_Tanh_network_has_no_kinks_and_every_sample_is_checked()
    {
        var net = new GcTanhNet(batchCapacity: 8, seed: 3);
        (float[] x, float[] t) = Train(net, batch: 8, steps: 300);
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-2f, maxPerBlock: 20);
        AssertEverySampleChecked(net, result, 20);
    }

    [Fact]
    public void A_trained_Sigmoid_network_has_no_kinks_and_every_sample_is_checked()
    {
        var net = new GcSigmoidNet(batchCapacity: 8, seed: 4);
        (float[] x, float[] t) = Train(net, batch: 8, steps: 300);
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-2f, maxPerBlock: 50);
        AssertEverySampleChecked(net, result, 50);
    }

    [Fact]
    public void A_network_without_a_loss_is_checked_through_its_output_gradient()
    {
        var net = new NoLossNet(batchCapacity: 3, seed: 5);
        float[] x = Gaussian(3 * NoLossNet.InputSize, seed: 21);
        float[] g = Gaussian(3 * NoLossNet.OutputSize, seed: 22);
        GradientCheckResult result = GradientCheck.RunWithOutputGradient(net, x, g);
        AssertEverySampleChecked(net, result, 50);
    }

    /// <summary>
    /// Pre-activation of unit 0 is W1[0]·1 + b1[0] = 0.003, within the step h = 0.01 of ReLU's kink: moving W1[0]
    /// or b1[0] by ±h crosses it. 0.003 is 0.3 h, where the one-sided slopes' disagreement halves from h to h/2
    /// just as curvature's would, so only the third step (h/4 does not reach the kink) tells them apart.
    /// </summary>
    [Theory]
    [InlineData(0.003f)]
    [InlineData(0.0005f)]
    [InlineData(-0.002f)]
    public void A_ReLU_input_near_zero_is_found_as_a_kink_and_nothing_else_is(float preActivation)
    {
        var net = new GcReluNet(batchCapacity: 1);
        float[] p = { 0.5f, 0.5f, -0.5f, preActivation - 0.5f, 0.2f, 0.1f, 1f, 1f, 1f, 0f }; // W1, b1, W2, b2
        p.CopyTo(net.Parameters);
        float[] x = { 1f }, t = { 0f };
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-2f);

        Assert.Equal(new[] { "W1", "b1", "W2", "b2" }, Array.ConvertAll(new GradientCheckBlock[] { result.Blocks[0], result.Blocks[1], result.Blocks[2], result.Blocks[3] }, b => b.Block));
        Assert.Equal(1, result.Blocks[0].Kinks); // W1[0]
        Assert.Equal(1, result.Blocks[1].Kinks); // b1[0]
        Assert.Equal(0, result.Blocks[2].Kinks); // the loss is smooth in W2 and b2
        Assert.Equal(0, result.Blocks[3].Kinks);
        Assert.Equal(2 + 2 + 3 + 1, result.TotalChecked);
        Assert.True(result.Passed(Tolerance), result.ToString());
    }

    [Fact]
    public void A_ReLU_network_away_from_its_kinks_has_none()
    {
        var net = new GcReluNet(batchCapacity: 1);
        float[] p = { 0.5f, 0.5f, -0.5f, -0.2f, 0.2f, 0.1f, 1f, 1f, 1f, 0f }; // pre-activations 0.3, 0.7, -0.4
        p.CopyTo(net.Parameters);
        GradientCheckResult result = GradientCheck.Run(net, new float[] { 1f }, new float[] { 0f });
        Assert.Equal(10, result.TotalChecked);
        Assert.True(result.Passed(Tolerance), result.ToString());
    }

    [Fact]
    public void A_block_whose_every_sample_is_a_kink_is_NOT_CHECKED_and_fails()
    {
        var net = new GcReluNet(batchCapacity: 1);
        float[] p = { 0.5f, 0.5f, -0.5f, -0.499f, 0.2f, 0.1f, 1f, 1f, 1f, 0f };
        p.CopyTo(net.Parameters);
        // One sample per block: W1[0] and b1[0], both at the kink.
        GradientCheckResult result = GradientCheck.Run(net, new float[] { 1f }, new float[] { 0f }, maxPerBlock: 1);
        Assert.Equal(0, result.Blocks[0].Checked);
        Assert.Equal(0, result.Blocks[1].Checked);
        Assert.Equal(2, result.TotalChecked);
        Assert.True(result.MaxRelativeError < Tolerance, result.ToString()); // the errors alone would look like a pass
        Assert.False(result.Passed(Tolerance));
        string table = result.ToString();
        Assert.Contains("W1", table);
        Assert.Equal(2, table.Split("NOT CHECKED").Length - 1);
    }

    [Fact]
    public void An_empty_result_and_a_block_with_nothing_checked_fail()
    {
        var empty = new GradientCheckResult(Array.Empty<GradientCheckBlock>());
        Assert.False(empty.Passed(1));
        Assert.Equal(0, empty.TotalChecked);
        var unchecked0 = new GradientCheckResult(new[] { new GradientCheckBlock("Dense1", "W1", 5, 0, 1e-6, 1e-5), new GradientCheckBlock("Dense1", "b1", 0, 0, 0, 0) });
        Assert.False(unchecked0.Passed(1));
        Assert.Equal(5, unchecked0.TotalChecked);
        Assert.Contains("b1", unchecked0.ToString().Split('\n')[2]);
        Assert.Contains("NOT CHECKED", unchecked0.ToString().Split('\n')[2]);
        Assert.DoesNotContain("NOT CHECKED", unchecked0.ToString().Split('\n')[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => unchecked0.Passed(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => unchecked0.Passed(double.NaN));
    }

    [Fact]
    public void A_wrong_gradient_through_the_output_gradient_fails()
    {
        var wrong = new ThreeTimesGradientNet();
        GradientCheckResult result = GradientCheck.RunWithOutputGradient(wrong, new float[] { 1, 2, -1, 0.5f }, new float[] { 0.7f, -0.3f });
        Assert.Equal(2, result.TotalChecked);
        Assert.False(result.Passed(Tolerance));
        Assert.InRange(result.MaxRelativeError, 0.6, 0.7); // |3g - g| / 3g = 2/3
    }

    [Fact]
    public void The_no_loss_form_agrees_with_the_loss_form_on_MeanSquaredError()
    {
        const int batch = 5;
        var net = new GcTanhNet(batchCapacity: batch, seed: 8);
        (float[] x, float[] t) = Train(net, batch, steps: 50);

        GradientCheckResult byLoss = GradientCheck.Run(net, x, t, maxPerBlock: 20);
        float[] lossGradient = net.Gradients.ToArray();

        // MeanSquaredError is the mean over all N·size elements of (y - t)², so dL/dy = 2(y - t)/(N·size).
        float[] y = new float[batch * GcTanhNet.OutputSize];
        net.Forward(x, y);
        float[] g = new float[y.Length];
        for (int k = 0; k < y.Length; k++) g[k] = (float)(2.0 * ((double)y[k] - t[k]) / y.Length);
        GradientCheckResult byOutput = GradientCheck.RunWithOutputGradient(net, x, g, maxPerBlock: 20);
        float[] outputGradient = net.Gradients.ToArray();

        Assert.True(byLoss.Passed(Tolerance), byLoss.ToString());
        Assert.True(byOutput.Passed(Tolerance), byOutput.ToString());
        Assert.Equal(byLoss.TotalChecked, byOutput.TotalChecked);
        double scale = 0;
        foreach (float v in lossGradient) scale = Math.Max(scale, Math.Abs(v));
        Assert.True(scale > 1e-4, "the gradient is not trivially zero");
        for (int i = 0; i < lossGradient.Length; i++)
            Assert.True(Math.Abs(lossGradient[i] - outputGradient[i]) <= 1e-5 * scale, $"parameter {i}: {lossGradient[i]} vs {outputGradient[i]}");
        for (int b = 0; b < byLoss.Blocks.Count; b++)
            Assert.True(Math.Abs(byLoss.Blocks[b].MaxAbsoluteError - byOutput.Blocks[b].MaxAbsoluteError) <= 1e-3 * scale + 1e-6, byLoss + "\n" + byOutput);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        var net = new NoLossNet(batchCapacity: 2);
        var e = Assert.Throws<ArgumentException>(() => GradientCheck.RunWithOutputGradient(net, new float[14], new float[5]));
        Assert.Equal("outputGradient", e.ParamName);
        Assert.Contains("10 values", e.Message);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => GradientCheck.RunWithOutputGradient(net, new float[8], new float[5])).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.RunWithOutputGradient(net, new float[7], new float[5], step: 0)).ParamName);
        Assert.Equal("maxPerBlock", Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.RunWithOutputGradient(net, new float[7], new float[5], maxPerBlock: 0)).ParamName);
    }

    [Theory]
    [InlineData("Input(4) Dense(8) Tanh Dense(3) MeanSquaredError", false)]
    [InlineData("Input(4) Dense(8) Sigmoid Dense(3) Softmax", false)]
    [InlineData("Input(1) Dense(3) ReLU Dense(1) MeanSquaredError", true)]
    [InlineData("Input(1) Dense(3) LeakyReLU(0.01) Dense(1)", true)]
    [InlineData("Input(1,8,8) Conv2D(4,3) MaxPool2D(2) Flatten Dense(2)", true)]
    public void Only_layers_with_kinks_make_kinks_possible(string architecture, bool expected) =>
        Assert.Equal(expected, GradientCheck.HasKinks(architecture));

    /// <summary>y = w · x per row, with a Backward that reports three times the true gradient.</summary>
    private sealed class ThreeTimesGradientNet : INetwork
    {
        private readonly float[] _w = { 0.5f, -0.25f }, _g = new float[2];
        private float[] _x = Array.Empty<float>();
        public int InputSize => 2;
        public int OutputSize => 1;
        public int ParameterCount => 2;
        public int BatchCapacity => 2;
        public string Architecture => "Input(2) Custom";
        public Span<float> Parameters => _w;
        public Span<float> Gradients => _g;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => new[] { new ParameterBlock("w", "Custom", ParameterKind.Weights, 0, 2, 2, 1) };
        public void Forward(ReadOnlySpan<float> input, Span<float> output)
        {
            _x = input.ToArray();
            for (int r = 0; r < output.Length; r++) output[r] = _w[0] * input[2 * r] + _w[1] * input[2 * r + 1];
        }
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
        {
            _g[0] = _g[1] = 0;
            for (int r = 0; r < outputGradient.Length; r++)
            {
                _g[0] += 3 * outputGradient[r] * _x[2 * r];
                _g[1] += 3 * outputGradient[r] * _x[2 * r + 1];
            }
        }
    }
}
