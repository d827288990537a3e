using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The convolution kernels against a naive double-precision convolution written here from the
/// definition (7 nested loops, zero padding by bounds checks, no im2col), at every vector width the
/// machine has; the naive gradients against central differences of <c>L = Σ dout ⊙ y</c>.
/// </summary>
public class Conv2DTests
{
    /// <summary>One convolution: batch, channels, height, width, filters, kernel, stride, padding.</summary>
    public readonly record struct Case(int N, int C, int H, int W, int F, int K, int S, int P)
    {
        public int OH => (H + 2 * P - K) / S + 1;
        public int OW => (W + 2 * P - K) / S + 1;
        public override string ToString() => $"N{N} C{C} {H}x{W} F{F} K{K} S{S} P{P}";
    }

    /// <summary>
    /// Kernel 1, 2, 3, 5 × stride 1, 2, 3 × padding 0, 1, 2, each with an odd and an even image
    /// (height ≠ width, so a swapped axis shows), 1 to 3 channels, batch 1 or 3, 1 to 5 filters;
    /// plus the book's SimpleConvNet layer (1×28×28, 30 filters of 5×5), whose 576 output pixels fill
    /// whole register tiles.
    /// </summary>
    public static IEnumerable<object[]> Cases()
    {
        int index = 0;
        foreach (int k in new[] { 1, 2, 3, 5 })
        foreach (int s in new[] { 1, 2, 3 })
        foreach (int p in new[] { 0, 1, 2 })
        foreach (bool odd in new[] { true, false })
        {
            // The smallest height ≥ 5 (odd or even as asked) that the stride divides; the width 2..4 more.
            int h = Fit(Math.Max(5, k), k, s, p, odd), w = Fit(h + 2, k, s, p, !odd);
            int c = 1 + index % 3, n = index % 2 == 0 ? 1 : 3, f = 1 + index % 5;
            index++;
            yield return new object[] { new Case(n, c, h, w, f, k, s, p) };
        }
        yield return new object[] { new Case(2, 1, 28, 28, 30, 5, 1, 0) };
        yield return new object[] { new Case(3, 3, 12, 10, 7, 3, 1, 1) };
        // Stride 1, no padding, output rows of 16 and 8 pixels, 16 or more samples: the weight gradient read straight from x
        // (16-pixel steps where OH·OW allows, else 8), over 2 and 3 blocks of 8 samples (the last partial), with filters and
        // kernel rows that leave partial tiles (7 = 5 + 2, 6 = 5 + 1, K = 7 = 5 + 2).
        yield return new object[] { new Case(16, 3, 18, 18, 7, 3, 1, 0) };
        yield return new object[] { new Case(19, 2, 15, 14, 6, 7, 1, 0) };
        yield return new object[] { new Case(17, 1, 28, 28, 30, 5, 1, 0) };
        // Kernels larger than the image: windows that hang over both edges, some pixels only padding.
        yield return new object[] { new Case(2, 2, 2, 3, 3, 5, 1, 2) };
        yield return new object[] { new Case(1, 1, 1, 1, 2, 5, 1, 2) };
    }

    /// <summary>
    /// The smallest size from <paramref name="from"/> that the stride divides, odd or even as asked where the
    /// stride allows it (stride 2 fixes the parity of size − k).
    /// </summary>
    private static int Fit(int from, int k, int s, int p, bool odd)
    {
        for (int size = from; size < from + 2 * s; size++)
            if (size % 2 == (odd ? 1 : 0) && size + 2 * p >= k && (size + 2 * p - k) % s == 0) return size;
        for (int size = from; ; size++)
            if (size + 2 * p >= k && (size + 2 * p - k) % s == 0) return size;
    }

    private delegate void ForwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> b, Span<float> y, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding);

    private delegate void BackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> W, ReadOnlySpan<float> dout, Span<float> dW, Span<float> db, Span<float> dx, Span<float> columns,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding);

    /// <summary>Every width this machine can run, each through the same code the public entry dispatches to, and the public entry itself.</summary>
    private static List<(string Name, ForwardKernel Forward, BackwardKernel Backward)> Widths()
    {
        var widths = new List<(string, ForwardKernel, BackwardKernel)>
        {
            ("128", Conv2D.Forward<W128, Vector128<float>>, Conv2D.Backward<W128, Vector128<float>>),
        };
        if (Vector256.IsHardwareAccelerated) widths.Add(("256", Conv2D.Forward<W256, Vector256<float>>, Conv2D.Backward<W256, Vector256<float>>));
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) widths.Add(("512", Conv2D.Forward<W512, Vector512<float>>, Conv2D.Backward<W512, Vector512<float>>));
        widths.Add(("dispatch", Conv2D.Forward, Conv2D.Backward));
        return widths;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_a_naive_double_precision_convolution_at_every_width(Case q)
    {
        var random = new Random64(q.GetHashCode());
        float[] x = Gaussian(ref random, q.N * q.C * q.H * q.W);
        float[] W = Gaussian(ref random, q.F * q.C * q.K * q.K);
        float[] b = Gaussian(ref random, q.F);
        float[] dout = Gaussian(ref random, q.N * q.F * q.OH * q.OW);

        (double[] y, double[] yBound) = Naive.Forward(q, x, W, b);
        (double[] dW, double[] dWBound, double[] db, double[] dbBound, double[] dx, double[] dxBound) = Naive.Backward(q, x, W, dout);

        int columnsLength = Conv2D.ColumnsLength(q.C, q.H, q.W, q.K, q.S, q.P);
        Assert.Equal(q.C * q.K * q.K * q.OH * q.OW, columnsLength);
        int wideLength = Conv2D.ColumnsLength(q.C, q.H, q.W, q.F, q.K, q.S, q.P);
        Assert.Equal((q.C * q.K * q.K + 1) * (q.OH * q.OW + q.F), wideLength);
        foreach (var (name, forward, backward) in Widths())
        {
            // Outputs and workspace start as garbage: everything must be overwritten, nothing assumed zero.
            float[] columns = Enumerable.Repeat(float.NaN, columnsLength).ToArray();
            float[] yGot = Enumerable.Repeat(7f, y.Length).ToArray();
            forward(x, W, b, yGot, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            AssertClose(y, yBound, yGot, $"{q}, width {name}: y");

            // With room for [colᵀ; 1] and [W | b] the bias is a term of the product: the same y.
            float[] wide = Enumerable.Repeat(float.NaN, wideLength).ToArray();
            float[] yWide = Enumerable.Repeat(7f, y.Length).ToArray();
            forward(x, W, b, yWide, wide, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            AssertClose(y, yBound, yWide, $"{q}, width {name}: y with the bias folded in");

            float[] dWGot = Enumerable.Repeat(7f, dW.Length).ToArray(), dbGot = Enumerable.Repeat(7f, db.Length).ToArray();
            float[] dxGot = Enumerable.Repeat(7f, dx.Length).ToArray();
            Array.Fill(columns, float.NaN);
            backward(x, W, dout, dWGot, dbGot, dxGot, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            AssertClose(dW, dWBound, dWGot, $"{q}, width {name}: dW");
            AssertClose(db, dbBound, dbGot, $"{q}, width {name}: db");
            AssertClose(dx, dxBound, dxGot, $"{q}, width {name}: dx");

            // Without dx: the same dW and db (the columns are rebuilt from x whichever way).
            float[] dWOnly = new float[dW.Length], dbOnly = new float[db.Length];
            backward(x, W, dout, dWOnly, dbOnly, Span<float>.Empty, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Assert.Equal(dWGot, dWOnly);
            Assert.Equal(dbGot, dbOnly);
        }
    }

    private delegate void SgdKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> W, Span<float> b, Span<float> dx, Span<float> columns, float learningRate,
        int batch, int channels, int height, int width, int filters, int kernelSize, int stride, int padding);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgdStep_is_the_naive_step_and_dx_at_every_width(Case q)
    {
        const float lr = 0.1f;
        var random = new Random64(q.GetHashCode() + 1);
        float[] x = Gaussian(ref random, q.N * q.C * q.H * q.W);
        float[] W = Gaussian(ref random, q.F * q.C * q.K * q.K);
        float[] b = Gaussian(ref random, q.F);
        float[] dout = Gaussian(ref random, q.N * q.F * q.OH * q.OW);
        (double[] dW, double[] dWBound, double[] db, double[] dbBound, double[] dx, double[] dxBound) = Naive.Backward(q, x, W, dout);
        double[] WAfter = W.Select((w, i) => w - lr * dW[i]).ToArray(), bAfter = b.Select((v, i) => v - lr * db[i]).ToArray();
        // The bound of the step: the gradient's, times lr, plus W's own rounding when it is added.
        double[] WBound = W.Select((w, i) => lr * dWBound[i] + 4 * Math.Abs(w) + 1e-6).ToArray(), bBound = b.Select((v, i) => lr * dbBound[i] + 4 * Math.Abs(v) + 1e-6).ToArray();

        var widths = new List<(string, SgdKernel)> { ("128", Conv2D.SgdStep<W128, Vector128<float>>) };
        if (Vector256.IsHardwareAccelerated) widths.Add(("256", Conv2D.SgdStep<W256, Vector256<float>>));
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) widths.Add(("512", Conv2D.SgdStep<W512, Vector512<float>>));
        widths.Add(("dispatch", Conv2D.SgdStep));
        foreach (var (name, step) in widths)
        {
            float[] columns = Enumerable.Repeat(float.NaN, Conv2D.ColumnsLength(q.C, q.H, q.W, q.K, q.S, q.P)).ToArray();
            float[] WGot = (float[])W.Clone(), bGot = (float[])b.Clone(), dxGot = Enumerable.Repeat(7f, dx.Length).ToArray();
            step(x, dout, WGot, bGot, dxGot, columns, lr, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            AssertClose(WAfter, WBound, WGot, $"{q}, width {name}: W after the step");
            AssertClose(bAfter, bBound, bGot, $"{q}, width {name}: b after the step");
            AssertClose(dx, dxBound, dxGot, $"{q}, width {name}: dx (with W before the step)");

            float[] WOnly = (float[])W.Clone(), bOnly = (float[])b.Clone();
            step(x, dout, WOnly, bOnly, Span<float>.Empty, columns, lr, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Assert.Equal(WGot, WOnly);
            Assert.Equal(bGot, bOnly);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.SgdStep(x, dout, W, b, Span<float>.Empty, new float[Conv2D.ColumnsLength(q.C, q.H, q.W, q.K, q.S, q.P)], -1f,
            q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P));
    }

    /// <summary>
    /// The naive gradients (and the kernel's) against central differences of <c>L(x, W, b) = Σ dout ⊙ y</c>
    /// computed with the naive double-precision forward. L is linear in each input, so the differences are
    /// exact up to rounding: any wrong index in the backward loops shows. Covers overlapping windows
    /// (stride &lt; kernel), padding, strides that skip pixels, several channels and samples.
    /// </summary>
    [Theory]
    [InlineData(2, 2, 5, 6, 3, 3, 1, 1)]
    [InlineData(2, 3, 7, 5, 2, 3, 2, 1)]
    [InlineData(1, 2, 7, 10, 2, 5, 3, 2)]
    [InlineData(3, 1, 6, 7, 4, 2, 1, 0)]
    [InlineData(2, 2, 4, 4, 2, 1, 3, 0)]
    [InlineData(1, 1, 5, 5, 1, 3, 2, 2)]
    [InlineData(2, 2, 2, 3, 3, 5, 1, 2)]
    public void Gradients_match_central_differences(int n, int c, int h, int w, int f, int k, int s, int p)
    {
        var q = new Case(n, c, h, w, f, k, s, p);
        var random = new Random64(q.GetHashCode());
        float[] x = Gaussian(ref random, n * c * h * w), W = Gaussian(ref random, f * c * k * k), b = Gaussian(ref random, f);
        float[] dout = Gaussian(ref random, n * f * q.OH * q.OW);
        (double[] dW, _, double[] db, _, double[] dx, _) = Naive.Backward(q, x, W, dout);

        float[] dWGot = new float[dW.Length], dbGot = new float[db.Length], dxGot = new float[dx.Length];
        Conv2D.Backward(x, W, dout, dWGot, dbGot, dxGot, new float[Conv2D.ColumnsLength(c, h, w, k, s, p)], n, c, h, w, f, k, s, p);

        double Loss(double[] xd, double[] Wd, double[] bd)
        {
            double[] y = Naive.Forward(q, xd, Wd, bd);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += dout[i] * y[i];
            return sum;
        }
        double[] xs = x.Select(v => (double)v).ToArray(), Ws = W.Select(v => (double)v).ToArray(), bs = b.Select(v => (double)v).ToArray();
        void Compare(double[] theta, double[] analytic, float[] kernel, string name)
        {
            const double h = 1e-3;
            for (int i = 0; i < theta.Length; i++)
            {
                double saved = theta[i];
                theta[i] = saved + h; double plus = Loss(xs, Ws, bs);
                theta[i] = saved - h; double minus = Loss(xs, Ws, bs);
                theta[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(analytic[i] - numeric) <= 1e-8 * (1 + Math.Abs(numeric)), $"{q}: naive {name}[{i}] = {analytic[i]}, central difference {numeric}");
                Assert.True(Math.Abs(kernel[i] - numeric) <= 1e-4 * (1 + Math.Abs(numeric)), $"{q}: kernel {name}[{i}] = {kernel[i]}, central difference {numeric}");
            }
        }
        Compare(Ws, dW, dWGot, "dW");
        Compare(bs, db, dbGot, "db");
        Compare(xs, dx, dxGot, "dx");
    }

    [Fact]
    public void Forward_and_backward_allocate_nothing()
    {
        var q = new Case(4, 1, 28, 28, 30, 5, 1, 0);
        float[] x = new float[q.N * q.C * q.H * q.W], W = new float[q.F * q.C * q.K * q.K], b = new float[q.F];
        float[] y = new float[q.N * q.F * q.OH * q.OW], dW = new float[W.Length], db = new float[q.F], dx = new float[x.Length];
        float[] columns = new float[Conv2D.ColumnsLength(q.C, q.H, q.W, q.K, q.S, q.P)];
        float[] wide = new float[Conv2D.ColumnsLength(q.C, q.H, q.W, q.F, q.K, q.S, q.P)];
        void Everything()
        {
            Conv2D.Forward(x, W, b, y, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Conv2D.Forward(x, W, b, y, wide, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Conv2D.Backward(x, W, y, dW, db, dx, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Conv2D.Backward(x, W, y, dW, db, Span<float>.Empty, columns, q.N, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Conv2D.Forward(x.AsSpan(0, 2 * 784), W, b, y.AsSpan(0, 2 * q.F * 576), columns, 2, q.C, q.H, q.W, q.F, q.K, q.S, q.P);
            Conv2D.Forward(dx.AsSpan(0, 3 * 7 * 9), W.AsSpan(0, 2 * 3 * 9), b.AsSpan(0, 2), y.AsSpan(0, 2 * 4 * 5), columns, 1, 3, 7, 9, 2, 3, 2, 1);
        }
        Everything(); // warm up: JIT, static constructors
        Assert.Equal(0, Allocations.Least(Everything));
    }

    [Fact]
    public void Wrong_sizes_name_what_was_expected()
    {
        float[] x = new float[2 * 3 * 8 * 8], W = new float[4 * 3 * 9], b = new float[4], y = new float[2 * 4 * 8 * 8];
        float[] columns = new float[Conv2D.ColumnsLength(3, 8, 8, 3, 1, 1)];
        Assert.Equal(3 * 9 * 64, columns.Length);

        var e = Assert.Throws<ArgumentException>(() => Conv2D.Forward(x.AsSpan(1), W, b, y, columns, 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("384", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2D.Forward(x, W, b, y.AsSpan(1), columns, 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("y", e.ParamName);
        Assert.Contains("512", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2D.Forward(x, W, b, y, columns.AsSpan(1), 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("columns", e.ParamName);
        Assert.Contains("1728", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2D.Forward(x, W.AsSpan(1), b, y, columns, 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("W", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Conv2D.Backward(x, W, y, W, b, x.AsSpan(2), columns, 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("dx", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Conv2D.Backward(x, W, y, W, b.AsSpan(1), x, columns, 2, 3, 8, 8, 4, 3, 1, 1));
        Assert.Equal("db", e.ParamName);

        var r = Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.OutputSize(8, 3, 2, 0)); // 8 − 3 = 5, not a multiple of 2
        Assert.Equal("stride", r.ParamName);
        Assert.Contains("5", r.Message);
        Assert.Equal("kernelSize", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.OutputSize(3, 6, 1, 1)).ParamName);
        Assert.Equal("kernelSize", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.OutputSize(3, 0, 1, 0)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.OutputSize(3, 1, 0, 0)).ParamName);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.OutputSize(3, 1, 1, -1)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(x, W, b, y, columns, 2, 3, 8, 8, 4, 3, 2, 1)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2D.Forward(x, W, b, y, columns, 0, 3, 8, 8, 4, 3, 1, 1)).ParamName);
        Assert.Equal(5, Conv2D.OutputSize(9, 3, 2, 1));
        Assert.Equal(24, Conv2D.OutputSize(28, 5, 1, 0));
    }

    private static void AssertClose(double[] expected, double[] bound, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // bound = Σ |terms| of the sum: float rounding is a small multiple of it.
            double tolerance = 1e-5 * bound[i] + 1e-6;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}[{i}] = {actual[i]}, expected {expected[i]} (±{tolerance:G3})");
        }
    }

    private static float[] Gaussian(ref Random64 random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)random.NextGaussian();
        return values;
    }

    /// <summary>Convolution from its definition, in double, with the sum of absolute terms of every output as a rounding bound.</summary>
    internal static class Naive
    {
        public static (double[] Y, double[] Bound) Forward(Case q, float[] x, float[] W, float[] b)
        {
            var y = new double[q.N * q.F * q.OH * q.OW];
            var bound = new double[y.Length];
            for (int n = 0; n < q.N; n++)
            for (int f = 0; f < q.F; f++)
            for (int oh = 0; oh < q.OH; oh++)
            for (int ow = 0; ow < q.OW; ow++)
            {
                double sum = b[f], abs = Math.Abs(b[f]);
                for (int c = 0; c < q.C; c++)
                for (int i = 0; i < q.K; i++)
                for (int j = 0; j < q.K; j++)
                {
                    int ih = oh * q.S + i - q.P, iw = ow * q.S + j - q.P;
                    if (ih < 0 || ih >= q.H || iw < 0 || iw >= q.W) continue; // zero padding
                    double term = (double)W[((f * q.C + c) * q.K + i) * q.K + j] * x[((n * q.C + c) * q.H + ih) * q.W + iw];
                    sum += term;
                    abs += Math.Abs(term);
                }
                int o = ((n * q.F + f) * q.OH + oh) * q.OW + ow;
                y[o] = sum;
                bound[o] = abs;
            }
            return (y, bound);
        }

        /// <summary>The same in double inputs, for central differences.</summary>
        public static double[] Forward(Case q, double[] x, double[] W, double[] b)
        {
            var y = new double[q.N * q.F * q.OH * q.OW];
            for (int n = 0; n < q.N; n++)
            for (int f = 0; f < q.F; f++)
            for (int oh = 0; oh < q.OH; oh++)
            for (int ow = 0; ow < q.OW; ow++)
            {
                double sum = b[f];
                for (int c = 0; c < q.C; c++)
                for (int i = 0; i < q.K; i++)
                for (int j = 0; j < q.K; j++)
                {
                    int ih = oh * q.S + i - q.P, iw = ow * q.S + j - q.P;
                    if (ih < 0 || ih >= q.H || iw < 0 || iw >= q.W) continue;
                    sum += W[((f * q.C + c) * q.K + i) * q.K + j] * x[((n * q.C + c) * q.H + ih) * q.W + iw];
                }
                y[((n * q.F + f) * q.OH + oh) * q.OW + ow] = sum;
            }
            return y;
        }

        /// <summary>
        /// dW[f, c, i, j] = Σ dout[n, f, oh, ow]·x[n, c, oh·S + i − P, ow·S + j − P], db[f] = Σ dout[n, f, ·, ·],
        /// dx[n, c, ih, iw] = Σ over the windows that contain (ih, iw) of W·dout: each output's contribution
        /// scattered back along the same loops as the forward sum.
        /// </summary>
        public static (double[] dW, double[] dWBound, double[] db, double[] dbBound, double[] dx, double[] dxBound) Backward(Case q, float[] x, float[] W, float[] dout)
        {
            var dW = new double[W.Length]; var dWBound = new double[W.Length];
            var db = new double[q.F]; var dbBound = new double[q.F];
            var dx = new double[x.Length]; var dxBound = new double[x.Length];
            for (int n = 0; n < q.N; n++)
            for (int f = 0; f < q.F; f++)
            for (int oh = 0; oh < q.OH; oh++)
            for (int ow = 0; ow < q.OW; ow++)
            {
                double g = dout[((n * q.F + f) * q.OH + oh) * q.OW + ow];
                db[f] += g;
                dbBound[f] += Math.Abs(g);
                for (int c = 0; c < q.C; c++)
                for (int i = 0; i < q.K; i++)
                for (int j = 0; j < q.K; j++)
                {
                    int ih = oh * q.S + i - q.P, iw = ow * q.S + j - q.P;
                    if (ih < 0 || ih >= q.H || iw < 0 || iw >= q.W) continue;
                    int wi = ((f * q.C + c) * q.K + i) * q.K + j, xi = ((n * q.C + c) * q.H + ih) * q.W + iw;
                    dW[wi] += g * x[xi];
                    dWBound[wi] += Math.Abs(g * x[xi]);
                    dx[xi] += g * W[wi];
                    dxBound[xi] += Math.Abs(g * W[wi]);
                }
            }
            return (dW, dWBound, db, dbBound, dx, dxBound);
        }
    }
}
