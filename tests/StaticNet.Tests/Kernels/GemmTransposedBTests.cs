using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// <c>C (+)= A·Bᵀ</c> (the dot-product kernel behind a convolution's dW) and the width-capped <c>A·B</c>
/// cascade, at every vector width this machine can run, against naive double-precision loops. Shapes hit
/// every tile (1-5 rows × 1-5 columns, several tiles, partial edge tiles) and every k: under 4 (scalar),
/// multiples of each width, and remainders that take the masked last vector.
/// </summary>
public class GemmTransposedBTests
{
    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 1, 2, 3, 4, 5, 9, 30 }
        from n in new[] { 1, 2, 3, 4, 7, 25 }
        from k in new[] { 1, 3, 4, 5, 8, 13, 16, 17, 31, 100, 576 }
        select new object[] { m, n, k };

    private delegate void Kernel(ref float a, int lda, ref float b, int ldb, ref float c, int m, int n, int k, bool addToC);

    private static List<(string Name, Kernel Run)> Widths()
    {
        var widths = new List<(string, Kernel)> { ("128", Gemm.RunTransposedBUpTo<W128, Vector128<float>>) };
        if (Vector256.IsHardwareAccelerated) widths.Add(("256", Gemm.RunTransposedBUpTo<W256, Vector256<float>>));
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) widths.Add(("512", Gemm.RunTransposedBUpTo<W512, Vector512<float>>));
        widths.Add(("dispatch", Gemm.RunTransposedB));
        return widths;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_times_B_transposed_matches_a_naive_product_at_every_width(int m, int n, int k)
    {
        var random = new Random64(m * 10007 + n * 101 + k);
        // Rows padded beyond k (lda, ldb > k) with values that must not be read into any sum.
        int lda = k + 3, ldb = k + 5;
        float[] a = Fill(ref random, m * lda), b = Fill(ref random, n * ldb);
        for (int i = 0; i < m; i++) for (int p = k; p < lda; p++) a[i * lda + p] = float.NaN;
        for (int j = 0; j < n; j++) for (int p = k; p < ldb; p++) b[j * ldb + p] = float.NaN;
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * lda + p] * b[j * ldb + p];
                expected[i * n + j] = s;
            }
        double scale = Math.Sqrt(k);
        foreach (var (name, run) in Widths())
        {
            var c = new float[m * n + 1];
            c[^1] = 12345f; // a guard after C
            run(ref a[0], lda, ref b[0], ldb, ref c[0], m, n, k, false);
            for (int i = 0; i < m * n; i++)
                Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-5 * scale * (1 + Math.Abs(expected[i])),
                    $"width {name}: C[{i / n}, {i % n}] = {c[i]}, expected {expected[i]}");
            Assert.Equal(12345f, c[^1]);

            float[] initial = Fill(ref random, m * n), added = (float[])initial.Clone();
            run(ref a[0], lda, ref b[0], ldb, ref added[0], m, n, k, true);
            for (int i = 0; i < m * n; i++)
            {
                double want = initial[i] + expected[i];
                Assert.True(Math.Abs(added[i] - want) <= 1e-5 * scale * (1 + Math.Abs(want)),
                    $"width {name}, addToC: C[{i / n}, {i % n}] = {added[i]}, expected {want}");
            }
        }
    }

    [Theory]
    [InlineData(30, 576, 25)]
    [InlineData(25, 9, 30)]
    [InlineData(7, 21, 3)]
    [InlineData(5, 3, 8)]
    public void Capped_cascade_matches_a_naive_product_at_every_width(int m, int n, int k)
    {
        var random = new Random64(m + 31 * n + 977 * k);
        float[] a = Fill(ref random, m * k), b = Fill(ref random, k * n), initial = Fill(ref random, m * n);
        var widths = new List<(string, Action<float[]>)>
        {
            ("128", c => Gemm.RunUpTo<W128, Vector128<float>>(ref a[0], k, 1, ref b[0], ref c[0], ref c[0], false, m, n, k, addToC: true)),
        };
        if (Vector256.IsHardwareAccelerated)
            widths.Add(("256", c => Gemm.RunUpTo<W256, Vector256<float>>(ref a[0], k, 1, ref b[0], ref c[0], ref c[0], false, m, n, k, addToC: true)));
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            widths.Add(("512", c => Gemm.RunUpTo<W512, Vector512<float>>(ref a[0], k, 1, ref b[0], ref c[0], ref c[0], false, m, n, k, addToC: true)));
        foreach (var (name, run) in widths)
        {
            float[] c = (float[])initial.Clone();
            run(c);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = initial[i * n + j];
                    for (int p = 0; p < k; p++) want += (double)a[i * k + p] * b[p * n + j];
                    Assert.True(Math.Abs(c[i * n + j] - want) <= 1e-4 * (1 + Math.Abs(want)), $"width {name}: C[{i}, {j}] = {c[i * n + j]}, expected {want}");
                }
        }
    }

    private static float[] Fill(ref Random64 random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)random.NextGaussian();
        return values;
    }
}
