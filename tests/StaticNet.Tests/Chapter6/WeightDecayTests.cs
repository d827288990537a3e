using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Chapter6;

/// <summary>
/// L2 weight decay as the book defines it: Loss adds 0.5·λ·ΣW² (weights only), Backward adds λ·W to each dW (biases
/// untouched), BackwardSgd steps W − lr·(dW + λ·W); checked against a naive double reference and central differences.
/// </summary>
public class WeightDecayTests
{
    private const int Batch = 5;

    /// <summary>A network whose biases are far from 0, so that decaying them by mistake would show.</summary>
    private static WeightDecayNet Net()
    {
        var net = new WeightDecayNet(batchCapacity: Batch, seed: 3);
        foreach (ParameterBlock b in net.ParameterBlocks)
            if (b.Kind == ParameterKind.Bias)
                Naive.Gaussian(b.Length, seed: 100 + b.Offset).CopyTo(net.Parameters.Slice(b.Offset, b.Length));
        return net;
    }

    private static readonly float[] s_x = Naive.Gaussian(Batch * WeightDecayNet.InputSize, seed: 1);
    private static readonly int[] s_labels = { 0, 2, 1, 1, 0 };

    /// <summary>0.5·λ·ΣW² over the weight blocks, in double, from the parameters.</summary>
    private static double Penalty(INetwork net, double lambda)
    {
        double squares = 0;
        foreach (ParameterBlock b in net.ParameterBlocks)
        {
            if (b.Kind != ParameterKind.Weights) continue;
            foreach (float w in net.Parameters.Slice(b.Offset, b.Length)) squares += (double)w * w;
        }
        return 0.5 * lambda * squares;
    }

    [Fact]
    public void WeightDecay_adds_half_lambda_times_the_sum_of_squared_weights_to_the_loss()
    {
        WeightDecayNet net = Net();
        float plain = net.Loss(s_x, s_labels);
        net.WeightDecay = 0.1f;
        float decayed = net.Loss(s_x, s_labels);
        double expected = Penalty(net, 0.1);
        Assert.True(expected > 0.05, "the penalty is large enough to see: " + expected);
        Assert.Equal(plain + expected, decayed, 5);
        // The biases are not in it: with them the penalty would be larger by 0.05·Σb².
        double withBiases = 0;
        foreach (float p in net.Parameters) withBiases += 0.05 * p * p;
        Assert.True(Math.Abs(plain + withBiases - decayed) > 1e-2, "biases are not decayed");
    }

    [Fact]
    public void WeightDecay_adds_lambda_W_to_the_weight_gradients_and_leaves_the_bias_gradients()
    {
        WeightDecayNet net = Net();
        net.Loss(s_x, s_labels);
        net.Backward();
        float[] plain = net.Gradients.ToArray();
        net.WeightDecay = 0.25f;
        net.Loss(s_x, s_labels);
        net.Backward();
        float[] decayed = net.Gradients.ToArray();
        float[] parameters = net.Parameters.ToArray();
        foreach (ParameterBlock b in net.ParameterBlocks)
            for (int i = b.Offset; i < b.Offset + b.Length; i++)
            {
                double expected = plain[i] + (b.Kind == ParameterKind.Weights ? 0.25 * parameters[i] : 0);
                Assert.True(Math.Abs(decayed[i] - expected) <= 1e-6, $"{b.Name}[{i - b.Offset}]: {decayed[i]}, expected {expected}");
            }
    }

    [Fact]
    public void WeightDecay_passes_the_gradient_check()
    {
        WeightDecayNet net = Net();
        net.WeightDecay = 0.1f;
        var targets = new float[Batch * WeightDecayNet.OutputSize];
        for (int r = 0; r < Batch; r++) targets[r * 3 + s_labels[r]] = 1;
        GradientCheckResult result = GradientCheck.Run(net, s_x, targets);
        Assert.True(result.Passed(1e-2), result.ToString());
        Assert.Equal(WeightDecayNet.ParameterCount, result.TotalChecked);
    }

    [Fact]
    public void WeightDecay_in_BackwardSgd_steps_W_minus_lr_times_dW_plus_lambda_W()
    {
        const float lr = 0.3f, lambda = 0.2f;
        WeightDecayNet reference = Net(), fused = Net();
        reference.WeightDecay = lambda;
        fused.WeightDecay = lambda;
        reference.Loss(s_x, s_labels);
        reference.Backward(); // dW with λ·W in it
        var expected = new double[WeightDecayNet.ParameterCount];
        for (int i = 0; i < expected.Length; i++) expected[i] = reference.Parameters[i] - (double)lr * reference.Gradients[i];
        fused.Loss(s_x, s_labels);
        fused.BackwardSgd(lr);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(fused.Parameters[i] - expected[i]) <= 1e-6, $"parameter {i}: {fused.Parameters[i]}, expected {expected[i]}");
    }

    [Fact]
    public void WeightDecay_in_a_convolution_s_BackwardSgd_steps_as_Backward_then_SGD()
    {
        const float lr = 0.1f, lambda = 0.5f;
        var x = Naive.Gaussian(3 * WeightDecayConvNet.InputSize, seed: 9);
        var t = Naive.Gaussian(3 * WeightDecayConvNet.OutputSize, seed: 10);
        WeightDecayConvNet reference = new(batchCapacity: 3, seed: 2), fused = new(batchCapacity: 3, seed: 2);
        reference.WeightDecay = lambda;
        fused.WeightDecay = lambda;
        reference.Loss(x, t);
        reference.Backward();
        float[] before = reference.Parameters.ToArray(), gradients = reference.Gradients.ToArray();
        fused.Loss(x, t);
        fused.BackwardSgd(lr);
        foreach (ParameterBlock b in fused.ParameterBlocks)
            for (int i = b.Offset; i < b.Offset + b.Length; i++)
            {
                double expected = before[i] - (double)lr * gradients[i];
                Assert.True(Math.Abs(fused.Parameters[i] - expected) <= 1e-6, $"{b.Name}[{i - b.Offset}]: {fused.Parameters[i]}, expected {expected}");
            }
        // And the gradient Backward made has the decay in it, for the convolution's weights as well.
        GradientCheckResult check = GradientCheck.Run(new WeightDecayConvNet(batchCapacity: 3, seed: 2) { WeightDecay = lambda }, x, t);
        Assert.True(check.Passed(1e-2), check.ToString());
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void WeightDecay_rejects_a_negative_or_non_finite_lambda_and_keeps_the_old_one(float lambda)
    {
        var net = new WeightDecayNet { WeightDecay = 0.1f };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.WeightDecay = lambda);
        Assert.Equal("WeightDecay", e.ParamName);
        Assert.Equal(0.1f, net.WeightDecay);
        net.WeightDecay = 0; // 0 turns it off
        Assert.Equal(0f, net.WeightDecay);
    }

    [Fact]
    public void WeightDecay_leaves_BatchNorms_gamma_and_beta_as_BackwardSgd_does()
    {
        // γ and β are ParameterKind.Scale and Shift: Loss and Backward() did decay γ (as a weight block named W2) while
        // BackwardSgd did not, so the two ways to step disagreed.
        var net = new BatchNormSmoothNet(batchCapacity: 4, seed: 5);
        float[] x = Naive.Gaussian(4 * BatchNormSmoothNet.InputSize, seed: 6);
        int[] labels = { 0, 1, 2, 1 };
        Naive.Gaussian(6, seed: 7).CopyTo(net.gamma2); // γ far from 0, so decaying it would show
        float plain = net.Loss(x, labels);
        net.Backward();
        float[] plainGradients = net.Gradients.ToArray();

        net.WeightDecay = 0.2f;
        float decayed = net.Loss(x, labels);
        net.Backward();

        Assert.True(Math.Abs(decayed - (plain + Penalty(net, 0.2))) <= 1e-5, $"loss {decayed}, expected {plain + Penalty(net, 0.2)} (weights only)");
        foreach (ParameterBlock b in net.ParameterBlocks)
            for (int i = b.Offset; i < b.Offset + b.Length; i++)
            {
                double expected = plainGradients[i] + (b.Kind == ParameterKind.Weights ? 0.2 * net.Parameters[i] : 0);
                Assert.True(Math.Abs(net.Gradients[i] - expected) <= 1e-6, $"{b.Name}[{i - b.Offset}] ({b.Kind}): {net.Gradients[i]}, expected {expected}");
            }

        // And Backward() + SGD is the step BackwardSgd takes.
        var viaBackward = new BatchNormSmoothNet(batchCapacity: 4, seed: 5) { WeightDecay = 0.2f };
        var fused = new BatchNormSmoothNet(batchCapacity: 4, seed: 5) { WeightDecay = 0.2f };
        net.Parameters.CopyTo(viaBackward.Parameters);
        net.Parameters.CopyTo(fused.Parameters);
        viaBackward.Loss(x, labels);
        viaBackward.Backward();
        new Sgd(0.5f).Step(viaBackward.Parameters, viaBackward.Gradients);
        fused.Loss(x, labels);
        fused.BackwardSgd(0.5f);
        for (int i = 0; i < BatchNormSmoothNet.ParameterCount; i++)
            Assert.True(Math.Abs(viaBackward.Parameters[i] - fused.Parameters[i]) <= 1e-5, $"parameter {i}: {viaBackward.Parameters[i]} against {fused.Parameters[i]}");
    }
}
