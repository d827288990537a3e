using System;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Regularization;

/// <summary>
/// Dropout: in training the mask (read off the input gradient: dx = dout ⊙ mask) is 0 or 1/(1 − p), drops about a
/// fraction p, is the same for the same seed, new for each Loss unless KeepDropoutMasks; in inference the layer is the
/// identity. DropoutOnlyNet is [Input(100)] [Dropout(0.3)] [MeanSquaredError].
/// </summary>
public class DropoutTests
{
    private const int Rows = 100, Width = 100;
    private const double P = 0.3;

    private static float[] Input(int rows, int seed = 1) => BatchNormReference.Random(rows * Width, seed, scale: 1, offset: 0.1);

    /// <summary>The mask of the latest training Loss: dx for dout = 1.</summary>
    private static float[] Mask(DropoutOnlyNet net, int rows)
    {
        var ones = new float[rows * Width];
        Array.Fill(ones, 1f);
        var dx = new float[rows * Width];
        net.Backward(ones, dx);
        return dx;
    }

    [Fact]
    public void Dropout_in_training_drops_a_fraction_p_and_scales_the_rest_by_1_over_1_minus_p()
    {
        var net = new DropoutOnlyNet(batchCapacity: Rows, seed: 5);
        float[] x = Input(Rows);
        var t = new float[Rows * Width];
        float loss = net.Loss(x, t);
        float[] mask = Mask(net, Rows);
        int dropped = 0;
        float kept = (float)(1 / (1 - P));
        double expectedLoss = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            Assert.True(mask[i] == 0f || mask[i] == kept, $"mask[{i}] = {mask[i]}");
            if (mask[i] == 0f) dropped++;
            double y = (double)x[i] * mask[i];
            expectedLoss += y * y;
        }
        expectedLoss /= mask.Length;
        // 10,000 draws: the fraction's standard deviation is √(0.3·0.7/10⁴) ≈ 0.0046; ±0.02 is over 4 of them.
        Assert.InRange(dropped / (double)mask.Length, P - 0.02, P + 0.02);
        // The loss is that of y = x ⊙ mask: the forward pass used the same mask as the backward pass.
        Assert.Equal(expectedLoss, loss, 4);

        // dx = dout ⊙ mask for any dout.
        float[] dout = BatchNormReference.Random(Rows * Width, seed: 9);
        var dx = new float[Rows * Width];
        net.Backward(dout, dx);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(dout[i] * mask[i], dx[i]);
    }

    [Fact]
    public void Dropout_masks_come_from_the_seed_and_are_new_each_Loss_unless_kept()
    {
        float[] x = Input(10);
        var t = new float[10 * Width];
        var a = new DropoutOnlyNet(batchCapacity: 10, seed: 7);
        var b = new DropoutOnlyNet(batchCapacity: 10, seed: 7);
        var c = new DropoutOnlyNet(batchCapacity: 10, seed: 8);
        a.Loss(x, t); b.Loss(x, t); c.Loss(x, t);
        float[] first = Mask(a, 10);
        Assert.Equal(first, Mask(b, 10));        // same seed, same masks
        Assert.NotEqual(first, Mask(c, 10));     // another seed, others

        a.Loss(x, t);
        float[] second = Mask(a, 10);
        Assert.NotEqual(first, second);          // a new mask each Loss

        a.KeepDropoutMasks = true;
        a.Loss(x, t);
        Assert.Equal(second, Mask(a, 10));       // kept
        a.Loss(x.AsSpan(0, 5 * Width), t.AsSpan(0, 5 * Width));
        float[] smaller = Mask(a, 5);            // another batch size draws anew
        Assert.NotEqual(second.AsSpan(0, 5 * Width).ToArray(), smaller);
        a.Loss(x.AsSpan(0, 5 * Width), t.AsSpan(0, 5 * Width));
        Assert.Equal(smaller, Mask(a, 5));
    }

    [Fact]
    public void Dropout_in_inference_is_the_identity()
    {
        var net = new DropoutOnlyNet(batchCapacity: 4, seed: 1);
        float[] x = Input(4);
        var output = new float[4 * Width];
        net.Forward(x, output);
        Assert.Equal(x, output);
        float[] dout = BatchNormReference.Random(4 * Width, seed: 3);
        var dx = new float[4 * Width];
        net.Backward(dout, dx);
        Assert.Equal(dout, dx);

        var workspace = new DropoutOnlyNet.Workspace(4);
        Array.Clear(output);
        net.Forward(x, output, workspace);
        Assert.Equal(x, output);

        // Loss with Training off: the identity too, so the loss is Σ x² / (N·n) exactly as the reference says.
        net.Training = false;
        float loss = net.Loss(x, new float[4 * Width]);
        double expected = 0;
        foreach (float v in x) expected += (double)v * v;
        Assert.Equal(expected / x.Length, loss, 5);
        Assert.Equal(dout, Backward(net, dout));
    }

    private static float[] Backward(DropoutOnlyNet net, float[] dout)
    {
        var dx = new float[dout.Length];
        net.Backward(dout, dx);
        return dx;
    }

    [Theory]
    [InlineData(-0.1, "-0.1")]
    [InlineData(1.0, "1")]
    [InlineData(double.NaN, "NaN")]
    public void Dropout_kernel_rejects_a_ratio_out_of_range(double p, string shown)
    {
        var random = new Random64(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => StaticNet.Kernels.Dropout.DrawMask(new float[4], (float)p, ref random));
        Assert.Equal("p", e.ParamName);
        Assert.Contains(shown == "NaN" ? "NaN" : shown, e.Message);
    }
}
