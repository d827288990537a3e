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
}
