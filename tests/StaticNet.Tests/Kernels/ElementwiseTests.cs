using System;
using System.Linq;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>The small element-wise helpers behind softmax, at every length around the vector widths.</summary>
public class ElementwiseTests
{
    [Fact]
    public void Max_and_SubtractScalar_match_plain_loops_at_every_length()
    {
        var random = new Random64(11);
        for (int n = 1; n <= 41; n++)
            for (int where = 0; where < n; where++)
            {
                float[] x = Enumerable.Range(0, n).Select(_ => (float)random.NextGaussian()).ToArray();
                x[where] = 10f + where; // the maximum, at every position (the overlapping last vector must see it)
                Assert.Equal(10f + where, Elementwise.Max(x));
                float[] y = new float[n];
                Elementwise.SubtractScalar(x, 0.75f, y);
                for (int i = 0; i < n; i++) Assert.Equal(x[i] - 0.75f, y[i]);
            }
    }
    [Fact]
    public void SoftmaxCrossEntropyBackward_rounds_every_element_as_a_plain_loop_at_every_length()
    {
        var random = new Random64(13);
        for (int batch = 1; batch <= 3; batch++)
            for (int n = 1; n <= 41; n++)
            {
                int count = batch * n;
                float[] y = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
                float[] t = Enumerable.Range(0, count).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f).ToArray();
                float[] dx = Enumerable.Repeat(float.NaN, count + 1).ToArray();
                Loss.SoftmaxCrossEntropyBackward(y, t, dx.AsSpan(0, count), batch);
                float scale = 1f / batch;
                for (int i = 0; i < count; i++)
                    Assert.True(BitConverter.SingleToInt32Bits((y[i] - t[i]) * scale) == BitConverter.SingleToInt32Bits(dx[i]), $"batch {batch}, n {n}, element {i}: {dx[i]}");
                Assert.True(float.IsNaN(dx[count]), "wrote past the gradient");
            }
    }

    /// <summary>
    /// The loss by rows, as the parts of a split Loss compute it (each part's rows on granule boundaries, then the mean in
    /// row order): the softmax and the loss are the very bits of the whole call, and the loss is -Σ t·log softmax
    /// computed in double from the logits.
    /// </summary>
    [Theory]
    [InlineData(16, 10)] [InlineData(37, 10)] [InlineData(50, 3)] [InlineData(100, 10)] [InlineData(100, 17)] [InlineData(64, 1)]
    public void SoftmaxCrossEntropy_by_rows_in_any_split_is_the_whole_batch_bit_for_bit(int batch, int n)
    {
        var random = new Random64(batch * 100 + n);
        float[] a = Enumerable.Range(0, batch * n).Select(_ => (float)(4 * random.NextGaussian())).ToArray();
        float[] t = new float[batch * n];
        for (int r = 0; r < batch; r++)
        {
            if (r % 3 == 2) { for (int j = 0; j < n; j++) t[r * n + j] = 1f / n; } // a soft target
            else t[r * n + (int)(random.NextDouble() * n)] = 1f;
        }
        float[] y = new float[batch * n];
        float whole = Loss.SoftmaxCrossEntropy(a, t, y, batch, n);

        double expected = 0;
        for (int r = 0; r < batch; r++)
        {
            double max = Enumerable.Range(0, n).Max(j => (double)a[r * n + j]);
            double log = max + Math.Log(Enumerable.Range(0, n).Sum(j => Math.Exp(a[r * n + j] - max)));
            for (int j = 0; j < n; j++) expected += t[r * n + j] * (log - a[r * n + j]);
        }
        Assert.Equal(expected / batch, whole, 1e-5 * Math.Max(1, Math.Abs(expected / batch)));

        for (int parts = 1; parts <= 3; parts++)
        {
            float[] yParts = Enumerable.Repeat(float.NaN, batch * n).ToArray();
            double[] rowLoss = Enumerable.Repeat(double.NaN, batch).ToArray();
            for (int part = 0; part < parts; part++)
            {
                var (start, end) = Partition.Rows(batch, part, parts);
                int rows = end - start;
                Loss.SoftmaxCrossEntropyRows(a.AsSpan(start * n, rows * n), t.AsSpan(start * n, rows * n), yParts.AsSpan(start * n, rows * n),
                    rowLoss.AsSpan(start, rows), rows, n);
            }
            float mean = Loss.MeanOfRows(rowLoss);
            Assert.True(BitConverter.SingleToInt32Bits(whole) == BitConverter.SingleToInt32Bits(mean), $"{parts} parts: {mean:R}, whole batch: {whole:R}");
            for (int i = 0; i < y.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(yParts[i]), $"{parts} parts, y[{i}]: {yParts[i]:R}, whole batch: {y[i]:R}");
        }
        Assert.Throws<ArgumentException>(() => Loss.SoftmaxCrossEntropyRows(a, t, y, new double[batch - 1], batch, n));
    }
}
