using System;
using StaticNet.Kernels;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Chapter6;

/// <summary>
/// SigmoidCrossEntropy (PyTorch's BCEWithLogitsLoss, mean over N·outputs): the loss against the definition
/// −t·log σ − (1 − t)·log(1 − σ) in double, finite for extreme logits, its backward (σ − t)/(N·outputs), Forward's
/// probabilities, central differences, and targets outside [0, 1] rejected.
/// </summary>
public class SigmoidCrossEntropyTests
{
    [Fact]
    public void SigmoidCrossEntropy_kernel_matches_the_definition_in_double()
    {
        foreach (int n in new[] { 1, 3, 8, 37, 100 })
        {
            float[] a = Naive.Uniform(n, seed: n, -8, 8);
            float[] t = Naive.Uniform(n, seed: 50 + n, 0, 1);
            if (n > 2) { t[0] = 0; t[1] = 1; }
            var y = new float[n];
            var dx = new float[n];
            float loss = Loss.SigmoidCrossEntropy(a, t, y);
            Loss.SigmoidCrossEntropyBackward(y, t, dx);
            double expected = 0;
            for (int i = 0; i < n; i++) expected += Naive.BinaryCrossEntropy(Naive.Sigmoid(a[i]), t[i]);
            expected /= n;
            Assert.True(Math.Abs(loss - expected) <= 1e-6 * Math.Max(1, expected), $"n = {n}: loss {loss}, expected {expected}");
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(y[i] - Naive.Sigmoid(a[i])) <= 1e-6, $"y[{i}] = {y[i]}");
                double g = (Naive.Sigmoid(a[i]) - t[i]) / n;
                Assert.True(Math.Abs(dx[i] - g) <= 1e-7, $"n = {n}: dx[{i}] = {dx[i]}, expected {g}");
            }
        }
    }

    [Fact]
    public void SigmoidCrossEntropy_stays_finite_and_exact_for_extreme_logits()
    {
        // σ(±100) rounds to 1 or 0 in float, so log σ and log(1 − σ) would be −∞; the stable form gives the true losses:
        // 100 (a = 100, t = 0), 100 (a = −100, t = 1), log(1 + e^−30) ≈ 9.36e-14 twice, and log 2 at a = 0.
        float[] a = { 100, -100, 30, -30, 0 };
        float[] t = { 0, 1, 1, 0, 0.5f };
        var y = new float[5];
        float loss = Loss.SigmoidCrossEntropy(a, t, y);
        double expected = (100 + 100 + 2 * Math.Log(1 + Math.Exp(-30)) + Math.Log(2)) / 5;
        Assert.Equal(expected, loss, 5);
        Assert.Equal(1f, y[0]);
        Assert.True(y[1] >= 0 && y[1] < 1e-40f, "σ(−100) ≈ 3.7e-44: " + y[1]);
    }

    [Fact]
    public void SigmoidCrossEntropy_network_loss_forward_and_gradients_match_the_references()
    {
        const int batch = 5;
        var net = new SigmoidCrossEntropyNet(batchCapacity: batch, seed: 12);
        float[] x = Naive.Gaussian(batch * SigmoidCrossEntropyNet.InputSize, seed: 13);
        float[] t = Naive.Uniform(batch * SigmoidCrossEntropyNet.OutputSize, seed: 14, 0, 1);
        t[0] = 0; t[1] = 1; // the labels' ends too

        double[] logits = Naive.Dense(Naive.Map(Naive.Dense(Naive.ToDouble(x), net.W1, net.b1, batch, 4, 6), Math.Tanh), net.W2, net.b2, batch, 6, 3);
        double expected = 0;
        for (int i = 0; i < logits.Length; i++) expected += Naive.BinaryCrossEntropy(Naive.Sigmoid(logits[i]), t[i]);
        expected /= batch * 3; // mean over N·outputs, PyTorch's reduction='mean'

        Assert.Equal(expected, net.Loss(x, t), 5);
        var probabilities = new float[batch * 3];
        net.Forward(x, probabilities);
        for (int i = 0; i < logits.Length; i++)
            Assert.True(Math.Abs(probabilities[i] - Naive.Sigmoid(logits[i])) <= 1e-6, $"Forward[{i}] = {probabilities[i]}, expected σ = {Naive.Sigmoid(logits[i])}");

        GradientCheckResult result = GradientCheck.Run(net, x, t);
        Assert.True(result.Passed(1e-2), result.ToString());
        Assert.Equal(SigmoidCrossEntropyNet.ParameterCount, result.TotalChecked);
    }

    [Fact]
    public void SigmoidCrossEntropy_batch_of_one_equals_the_mean_over_its_outputs()
    {
        var net = new SigmoidCrossEntropyNet(batchCapacity: 3, seed: 1);
        float[] x = Naive.Gaussian(3 * 4, seed: 3);
        float[] t = Naive.Uniform(3 * 3, seed: 4, 0, 1);
        float whole = net.Loss(x, t);
        double rows = 0;
        for (int r = 0; r < 3; r++) rows += net.Loss(x.AsSpan(r * 4, 4), t.AsSpan(r * 3, 3));
        Assert.Equal(rows / 3, whole, 5);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.01f)]
    [InlineData(float.NaN)]
    public void SigmoidCrossEntropy_rejects_targets_outside_0_to_1(float bad)
    {
        var net = new SigmoidCrossEntropyNet(batchCapacity: 2);
        var x = new float[8];
        float[] t = { 0, 1, 0.5f, 0.2f, 0.9f, 1 }; // rows need not sum to 1: each output is its own yes/no
        net.Loss(x, t);
        t[4] = bad;
        var e = Assert.Throws<ArgumentException>(() => net.Loss(x, t));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("row 1", e.Message);
        Assert.Contains("column 1", e.Message);
    }
}
