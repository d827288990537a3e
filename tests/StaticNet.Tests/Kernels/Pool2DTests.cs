using System;
using System.Collections.Generic;
using System.Linq;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// Max and average pooling against naive double-precision loops written here (windows scanned in
/// row-major order, the first maximum kept, as <c>np.argmax</c>), and their gradients against central
/// differences of <c>L = Σ dout ⊙ y</c>; overlapping windows (stride &lt; size) and not, odd and even sizes.
/// </summary>
public class Pool2DTests
{
    public static IEnumerable<object[]> Cases() =>
        new (int N, int C, int H, int W, int Size, int Stride)[]
        {
            (1, 1, 4, 4, 2, 2), (3, 2, 6, 8, 2, 2), (2, 3, 9, 6, 3, 3), (2, 30, 24, 24, 2, 2), (2, 3, 10, 14, 2, 2), // not overlapping
            (1, 2, 5, 7, 1, 1), (2, 1, 7, 5, 1, 2),                                              // size 1
            (2, 2, 5, 6, 2, 1), (1, 3, 7, 9, 3, 2), (3, 1, 8, 8, 3, 1), (1, 2, 9, 6, 3, 3),      // overlapping, and not
            (2, 1, 6, 6, 6, 1), (1, 2, 10, 7, 4, 3),                                             // one window; gaps between windows
        }.Select(c => new object[] { c.N, c.C, c.H, c.W, c.Size, c.Stride });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Max_pooling_matches_a_naive_reference(int n, int c, int h, int w, int size, int stride)
    {
        int oh = (h - size) / stride + 1, ow = (w - size) / stride + 1;
        var random = new Random64(n + 10 * c + 100 * h + 1000 * w + 10000 * size + 100000 * stride);
        // Few distinct values (multiples of 1/4 in [-1, 1]): most windows have ties, so the tie rule is tested.
        float[] x = Enumerable.Range(0, n * c * h * w).Select(_ => random.NextInt32(9) / 4f - 1f).ToArray();
        float[] dout = Gaussian(ref random, n * c * oh * ow);

        // Reference: scan each window row by row, keep the first of the largest.
        var yRef = new double[n * c * oh * ow];
        var argRef = new int[yRef.Length];
        var dxRef = new double[x.Length];
        for (int p = 0; p < n * c; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int o = (p * oh + i) * ow + j, best = -1;
            for (int a = 0; a < size; a++)
            for (int b = 0; b < size; b++)
            {
                int xi = (p * h + i * stride + a) * w + j * stride + b;
                if (best < 0 || x[xi] > x[best]) best = xi;
            }
            yRef[o] = x[best];
            argRef[o] = best;
            dxRef[best] += dout[o];
        }

        Assert.Equal(yRef.Length, Pool2D.ArgmaxLength(n, c, h, w, size, stride));
        float[] y = Enumerable.Repeat(7f, yRef.Length).ToArray(), dx = Enumerable.Repeat(7f, x.Length).ToArray();
        int[] argmax = Enumerable.Repeat(-1, yRef.Length).ToArray();
        Pool2D.MaxForward(x, y, argmax, n, c, h, w, size, stride);
        for (int o = 0; o < y.Length; o++)
        {
            Assert.Equal(yRef[o], y[o]);
            Assert.Equal(argRef[o], argmax[o]);
        }
        Pool2D.MaxBackward(dout, argmax, dx, n, c, h, w, size, stride);
        for (int i = 0; i < dx.Length; i++)
            Assert.True(Math.Abs(dx[i] - dxRef[i]) <= 1e-6 * (1 + Math.Abs(dxRef[i])), $"dx[{i}] = {dx[i]}, expected {dxRef[i]}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Average_pooling_matches_a_naive_reference(int n, int c, int h, int w, int size, int stride)
    {
        int oh = (h - size) / stride + 1, ow = (w - size) / stride + 1;
        var random = new Random64(7 + n + 10 * c + 100 * h + 1000 * w + 10000 * size + 100000 * stride);
        float[] x = Gaussian(ref random, n * c * h * w), dout = Gaussian(ref random, n * c * oh * ow);
        var yRef = new double[n * c * oh * ow];
        var dxRef = new double[x.Length];
        for (int p = 0; p < n * c; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int o = (p * oh + i) * ow + j;
            for (int a = 0; a < size; a++)
            for (int b = 0; b < size; b++)
            {
                int xi = (p * h + i * stride + a) * w + j * stride + b;
                yRef[o] += (double)x[xi] / (size * size);
                dxRef[xi] += (double)dout[o] / (size * size);
            }
        }

        float[] y = Enumerable.Repeat(7f, yRef.Length).ToArray(), dx = Enumerable.Repeat(7f, x.Length).ToArray();
        Pool2D.AvgForward(x, y, n, c, h, w, size, stride);
        for (int o = 0; o < y.Length; o++)
            Assert.True(Math.Abs(y[o] - yRef[o]) <= 1e-6 * (1 + Math.Abs(yRef[o])), $"y[{o}] = {y[o]}, expected {yRef[o]}");
        Pool2D.AvgBackward(dout, dx, n, c, h, w, size, stride);
        for (int i = 0; i < dx.Length; i++)
            Assert.True(Math.Abs(dx[i] - dxRef[i]) <= 1e-6 * (1 + Math.Abs(dxRef[i])), $"dx[{i}] = {dx[i]}, expected {dxRef[i]}");
    }

    /// <summary>
    /// dx of both poolings against central differences of <c>L(x) = Σ dout ⊙ pool(x)</c>, with the pooling
    /// itself written here in double (max: distinct values at least 1e-3 apart, so a step of 1e-5 never
    /// changes which input is the maximum; avg: linear, so exact).
    /// </summary>
    [Theory]
    [InlineData(2, 2, 5, 6, 2, 1)]
    [InlineData(1, 3, 7, 9, 3, 2)]
    [InlineData(2, 2, 6, 8, 2, 2)]
    [InlineData(1, 1, 8, 8, 3, 1)]
    public void Gradients_match_central_differences(int n, int c, int h, int w, int size, int stride)
    {
        int oh = (h - size) / stride + 1, ow = (w - size) / stride + 1;
        var random = new Random64(size * 31 + stride);
        // A shuffled ramp: every value distinct, 1e-3 apart.
        int[] order = Enumerable.Range(0, n * c * h * w).ToArray();
        random.Shuffle<int>(order);
        float[] x = order.Select(v => v * 1e-3f).ToArray();
        float[] dout = Gaussian(ref random, n * c * oh * ow);

        double Loss(double[] xd, bool max)
        {
            double sum = 0;
            for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                double pooled = max ? double.NegativeInfinity : 0;
                for (int a = 0; a < size; a++)
                for (int b = 0; b < size; b++)
                {
                    double v = xd[(p * h + i * stride + a) * w + j * stride + b];
                    pooled = max ? Math.Max(pooled, v) : pooled + v / (size * size);
                }
                sum += dout[(p * oh + i) * ow + j] * pooled;
            }
            return sum;
        }

        float[] y = new float[n * c * oh * ow], dxMax = new float[x.Length], dxAvg = new float[x.Length];
        int[] argmax = new int[y.Length];
        Pool2D.MaxForward(x, y, argmax, n, c, h, w, size, stride);
        Pool2D.MaxBackward(dout, argmax, dxMax, n, c, h, w, size, stride);
        Pool2D.AvgBackward(dout, dxAvg, n, c, h, w, size, stride);
        double[] xs = x.Select(v => (double)v).ToArray();
        const double step = 1e-5;
        for (int i = 0; i < xs.Length; i++)
        {
            double saved = xs[i];
            foreach (bool max in new[] { true, false })
            {
                xs[i] = saved + step; double plus = Loss(xs, max);
                xs[i] = saved - step; double minus = Loss(xs, max);
                xs[i] = saved;
                double numeric = (plus - minus) / (2 * step);
                float kernel = max ? dxMax[i] : dxAvg[i];
                Assert.True(Math.Abs(kernel - numeric) <= 1e-4 * (1 + Math.Abs(numeric)), $"{(max ? "max" : "avg")} dx[{i}] = {kernel}, central difference {numeric}");
            }
        }
    }

    [Fact]
    public void Pooling_allocates_nothing()
    {
        float[] x = new float[4 * 30 * 24 * 24], y = new float[4 * 30 * 12 * 12], dx = new float[x.Length];
        int[] argmax = new int[Pool2D.ArgmaxLength(4, 30, 24, 24, 2, 2)];
        for (int i = 0; i < x.Length; i++) x[i] = (i * 7919 % 101) / 101f;
        void Everything()
        {
            Pool2D.MaxForward(x, y, argmax, 4, 30, 24, 24, 2, 2);
            Pool2D.MaxBackward(y, argmax, dx, 4, 30, 24, 24, 2, 2);
            Pool2D.AvgForward(x, y, 4, 30, 24, 24, 2, 2);
            Pool2D.AvgBackward(y, dx, 4, 30, 24, 24, 2, 2);
        }
        Everything();
        Assert.Equal(0, Allocations.Least(Everything));
    }

    [Fact]
    public void Wrong_sizes_name_what_was_expected()
    {
        float[] x = new float[2 * 3 * 6 * 6], y = new float[2 * 3 * 3 * 3];
        int[] argmax = new int[y.Length];
        var e = Assert.Throws<ArgumentException>(() => Pool2D.MaxForward(x.AsSpan(1), y, argmax, 2, 3, 6, 6, 2, 2));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("216", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool2D.MaxForward(x, y, argmax.AsSpan(1), 2, 3, 6, 6, 2, 2));
        Assert.Equal("argmax", e.ParamName);
        Assert.Contains("54", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pool2D.AvgBackward(y, x.AsSpan(3), 2, 3, 6, 6, 2, 2));
        Assert.Equal("dx", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Pool2D.MaxBackward(y.AsSpan(1), argmax, x, 2, 3, 6, 6, 2, 2));
        Assert.Equal("dout", e.ParamName);

        var r = Assert.Throws<ArgumentOutOfRangeException>(() => Pool2D.OutputSize(7, 2, 2)); // 7 − 2 = 5, odd
        Assert.Equal("stride", r.ParamName);
        Assert.Equal("poolSize", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2D.OutputSize(3, 4, 1)).ParamName);
        Assert.Equal("poolSize", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2D.OutputSize(3, 0, 1)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2D.OutputSize(3, 1, 0)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2D.AvgForward(x, y, 2, 3, 6, 6, 3, 2)).ParamName);
        Assert.Equal(12, Pool2D.OutputSize(24, 2, 2));
        Assert.Equal(3, Pool2D.OutputSize(7, 3, 2));
    }

    private static float[] Gaussian(ref Random64 random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)random.NextGaussian();
        return values;
    }
}
