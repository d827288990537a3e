using System;
using StaticNet.Tests.Networks;
using Xunit;
using static StaticNet.Tests.Regularization.BatchNormReference;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// BatchNorm against the double-precision reference (BatchNormReference): the training forward pass (through the loss),
/// the running statistics over several batches of different sizes, the inference forward pass, and both backward
/// passes (dγ, dβ, dx), per feature after a vector and per channel over N·H·W after an image.
/// </summary>
public class BatchNormTests
{
    private const double Tolerance = 2e-4;

    [Fact]
    public void BatchNorm_per_feature_matches_the_reference_in_training_and_inference() =>
        Check(new BatchNormOnlyNet(batchCapacity: 6), channels: 7, spatial: 1, momentum: 0.2, epsilon: 1e-3, batches: new[] { 2, 6, 3, 5 });

    [Fact]
    public void BatchNorm_per_channel_after_an_image_matches_the_reference_in_training_and_inference() =>
        Check(new BatchNorm2DOnlyNet(batchCapacity: 4), channels: 3, spatial: 16, momentum: 0.1, epsilon: 1e-5, batches: new[] { 1, 4, 2 });

    private static void Check<TNet>(TNet net, int channels, int spatial, double momentum, double epsilon, int[] batches)
        where TNet : ILossNetwork
    {
        int c = channels, row = c * spatial;
        float[] gamma = Random(c, seed: 1, scale: 0.5, offset: 1);
        float[] beta = Random(c, seed: 2, scale: 0.5);
        Span<float> parameters = net.Parameters;
        Assert.Equal(2 * c, parameters.Length);
        Assert.Equal(2 * c, net.State.Length);
        for (int i = 0; i < c; i++)
        {
            Assert.Equal(1f, parameters[i]);          // γ starts at 1
            Assert.Equal(0f, parameters[c + i]);      // β at 0
            Assert.Equal(0f, net.State[i]);           // running mean at 0
            Assert.Equal(1f, net.State[c + i]);       // running variance at 1
        }
        gamma.CopyTo(parameters);
        beta.CopyTo(parameters.Slice(c));
        var runningMean = new double[c];
        var runningVariance = new double[c];
        Array.Fill(runningVariance, 1.0);
        Assert.True(net.Training);

        for (int k = 0; k < batches.Length; k++)
        {
            int n = batches[k], m = n * spatial;
            float[] x = Random(n * row, seed: 10 + k, scale: 2, offset: 0.7 * (k + 1));
            float[] t = Random(n * row, seed: 20 + k);

            // Training: the batch's statistics normalise, and the loss shows the output.
            float loss = net.Loss(x, t);
            var (mean, variance) = Statistics(x, n, c, spatial);
            double[] y = Forward(x, gamma, beta, mean, variance, epsilon, n, c, spatial);
            double expectedLoss = 0;
            for (int i = 0; i < y.Length; i++) expectedLoss += (y[i] - t[i]) * (y[i] - t[i]);
            expectedLoss /= y.Length;
            Assert.True(Math.Abs(loss - expectedLoss) <= Tolerance * (1 + expectedLoss), $"batch {n}: loss {loss}, expected {expectedLoss}");
            UpdateRunning(runningMean, runningVariance, mean, variance, momentum, m);
            AssertClose(runningMean, net.State.Slice(0, c), Tolerance, $"running mean after batch {k}");
            AssertClose(runningVariance, net.State.Slice(c, c), Tolerance, $"running variance after batch {k}");

            // Its backward pass, for an arbitrary output gradient.
            float[] dout = Random(n * row, seed: 30 + k);
            var dx = new float[n * row];
            net.Backward(dout, dx);
            var (rdx, rdgamma, rdbeta) = BackwardTraining(x, dout, gamma, epsilon, n, c, spatial);
            AssertClose(rdx, dx, Tolerance, $"training dx, batch {n}");
            AssertClose(rdgamma, net.Gradients.Slice(0, c), Tolerance, $"training dγ, batch {n}");
            AssertClose(rdbeta, net.Gradients.Slice(c, c), Tolerance, $"training dβ, batch {n}");

            // Inference: the running statistics normalise, and nothing changes them.
            float[] state = net.State.ToArray();
            var output = new float[n * row];
            net.Forward(x, output);
            AssertClose(Forward(x, gamma, beta, runningMean, runningVariance, epsilon, n, c, spatial), output, Tolerance, $"inference y, batch {n}");
            net.Backward(dout, dx);
            var (idx, idgamma, idbeta) = BackwardInference(x, dout, gamma, runningMean, runningVariance, epsilon, n, c, spatial);
            AssertClose(idx, dx, Tolerance, $"inference dx, batch {n}");
            AssertClose(idgamma, net.Gradients.Slice(0, c), Tolerance, $"inference dγ, batch {n}");
            AssertClose(idbeta, net.Gradients.Slice(c, c), Tolerance, $"inference dβ, batch {n}");
            Assert.Equal(state, net.State.ToArray());
        }
    }

    [Fact]
    public void BatchNorm_running_statistics_follow_the_formula_over_many_training_steps()
    {
        // Momentum 0.2: after many batches the running mean is the weighted average of the batch means.
        var net = new BatchNormOnlyNet(batchCapacity: 8);
        var runningMean = new double[7];
        var runningVariance = new double[7];
        Array.Fill(runningVariance, 1.0);
        for (int k = 0; k < 40; k++)
        {
            float[] x = Random(8 * 7, seed: 100 + k, scale: 3, offset: 2);
            net.Loss(x, new float[8 * 7]);
            var (mean, variance) = Statistics(x, 8, 7, 1);
            UpdateRunning(runningMean, runningVariance, mean, variance, 0.2, 8);
        }
        AssertClose(runningMean, net.State.Slice(0, 7), 1e-4, "running mean after 40 batches");
        AssertClose(runningVariance, net.State.Slice(7, 7), 1e-4, "running variance after 40 batches");
        // The data's mean is 2 and variance 3² / 3 = 3: the running statistics are near them.
        for (int i = 0; i < 7; i++)
        {
            Assert.InRange(net.State[i], 1.5f, 2.5f);
            Assert.InRange(net.State[7 + i], 2f, 4f);
        }
    }

    [Fact]
    public void BatchNorm_in_training_rejects_a_single_row_and_inference_takes_it()
    {
        var net = new BatchNormOnlyNet(batchCapacity: 4);
        float[] x = Random(7, seed: 5);
        var e = Assert.Throws<ArgumentException>(() => net.Loss(x, new float[7]));
        Assert.Contains("at least 2 rows", e.Message);
        Assert.Equal("input", e.ParamName);
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 0 }, net.State.Slice(0, 7).ToArray()); // nothing moved
        net.Training = false;
        float loss = net.Loss(x, new float[7]);
        double expected = 0;
        for (int i = 0; i < 7; i++) expected += Math.Pow(x[i] / Math.Sqrt(1 + 1e-3), 2);
        Assert.Equal(expected / 7, loss, 4);
    }

    [Fact]
    public void BatchNorm_gradient_check_in_training_mode()
    {
        var net = new BatchNormSmoothNet(batchCapacity: 5, seed: 3);
        float[] x = Random(5 * 5, seed: 7, scale: 1.5);
        var t = new float[5 * 3];
        for (int i = 0; i < 5; i++) t[i * 3 + i % 3] = 1;
        Random(6, seed: 8, scale: 0.3, offset: 1).CopyTo(net.gamma2); // γ away from 1, β away from 0
        Random(6, seed: 9, scale: 0.3).CopyTo(net.beta2);
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-2f, maxPerBlock: 30);
        Assert.Equal(new[] { "W1", "b1", "gamma2", "beta2", "W3", "b3", "gamma4", "beta4", "W5", "b5" },
            Array.ConvertAll(System.Linq.Enumerable.ToArray(result.Blocks), b => b.Block));
        AssertPassedWithBiasesBeforeBatchNormFlat(net, result, "b1", "b3");
    }

    /// <summary>
    /// A bias right before a BatchNorm has no effect on the output (the normalisation subtracts every per-feature
    /// constant), so its true gradient is 0: the analytic one must be 0 to rounding, and its relative error (noise
    /// over noise) says nothing. Every other block must pass the gradient check.
    /// </summary>
    private static void AssertPassedWithBiasesBeforeBatchNormFlat(INetwork net, GradientCheckResult result, params string[] flat)
    {
        foreach (GradientCheckBlock block in result.Blocks)
        {
            if (Array.IndexOf(flat, block.Block) >= 0)
            {
                ParameterBlock b = System.Linq.Enumerable.First(net.ParameterBlocks.ToArray(), p => p.Name == block.Block);
                foreach (float g in net.Gradients.Slice(b.Offset, b.Length)) Assert.True(Math.Abs(g) < 1e-5, $"d{block.Block} = {g}, expected 0");
                Assert.True(block.MaxAbsoluteError < 1e-4, result.ToString());
            }
            else
            {
                Assert.True(block.Checked > 0 && block.RelativeError <= 1e-2, result.ToString());
            }
        }
    }

    [Fact]
    public void BatchNorm_gradient_check_after_a_convolution_with_dropout_masks_kept()
    {
        var net = new BatchNormConvNet(batchCapacity: 3, seed: 4) { KeepDropoutMasks = true };
        float[] x = Random(3 * 2 * 5 * 5, seed: 11);
        var t = new float[3 * 4];
        for (int i = 0; i < 3; i++) t[i * 4 + i] = 1;
        GradientCheckResult result = GradientCheck.Run(net, x, t, step: 1e-2f, maxPerBlock: 30);
        AssertPassedWithBiasesBeforeBatchNormFlat(net, result, "b1");
        // The masks were kept: some values of the (3, 3, 3) image were dropped in every Loss the check ran.
        Assert.True(net.KeepDropoutMasks);
    }

    [Fact]
    public void BatchNorm_parameters_are_named_views_of_kind_scale_and_shift()
    {
        var net = new BatchNormDropoutNet(batchCapacity: 2);
        ParameterBlock gamma = net.ParameterBlocks[2], beta = net.ParameterBlocks[3];
        Assert.Equal(("gamma2", "BatchNorm2", ParameterKind.Scale, 5), (gamma.Name, gamma.Layer, gamma.Kind, gamma.Length));
        Assert.Equal(("beta2", "BatchNorm2", ParameterKind.Shift, 5), (beta.Name, beta.Layer, beta.Kind, beta.Length));
        net.gamma2[1] = 3f;
        Assert.Equal(3f, net.Parameters[gamma.Offset + 1]);
        net.RunningVar2[4] = 2f;
        Assert.Equal(2f, net.State[5 + 4]);
        Assert.Equal(10, BatchNormDropoutNet.StateCount);
    }
}
