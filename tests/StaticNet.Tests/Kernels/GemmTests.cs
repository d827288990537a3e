using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The matrix-product kernel at every vector width this machine can run, against a naive loop, over
/// shapes that hit every tile (1-8 rows, 1-8 vectors, several panels, overlapping last vectors, several blocks of k).
/// The numeric tests cover the width the machine prefers; these cover the others too.
/// </summary>
public class GemmTests
{
    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 14 } // over 4 rows, tall tiles of 5 to 8 rows (AVX-512), then a short one
        from n in new[] { 4, 5, 8, 13, 16, 17, 31, 33, 100, 112, 129, 140, 200 }
        from k in new[] { 1, 3, 10, 45, 130, 1400 } // 1400 takes two blocks of k where several row tiles share a panel (cache blocking)
        select new object[] { m, n, k };

    private delegate void Kernel(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_width_matches_a_naive_product(int m, int n, int k)
    {
        var widths = new List<(string, int, Kernel)> { ("128", 4, Gemm.RunWith<W128, Vector128<float>>) };
        if (Vector256.IsHardwareAccelerated) widths.Add(("256", 8, Gemm.RunWith<W256, Vector256<float>>));
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) widths.Add(("512", 16, Gemm.RunWith<W512, Vector512<float>>));
        widths.Add(("dispatch", 1, (ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k) => Gemm.Run(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k)));

        var random = new Random64(m * 1000 + n * 10 + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n);

        foreach (bool transposedA in new[] { false, true })
        foreach (bool hasBias in new[] { false, true })
        {
            // A as [m, k] row-major, or as the transpose of a [k, m] matrix (as in dW = xᵀ·dout).
            int aRow = transposedA ? 1 : k, aStep = transposedA ? m : 1;
            var expected = new double[m * n];
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++)
                {
                    double s = hasBias ? bias[j] : 0;
                    for (int p = 0; p < k; p++) s += (double)a[r * aRow + p * aStep] * b[p * n + j];
                    expected[r * n + j] = s;
                }
            foreach (var (name, width, kernel) in widths)
            {
                if (n < width) continue;
                var c = new float[m * n + 1];
                c[^1] = 12345f; // a guard after C: the kernel must not write past it
                kernel(ref a[0], aRow, aStep, ref b[0], ref c[0], ref hasBias ? ref bias[0] : ref Unsafe.NullRef<float>(), hasBias, m, n, k);
                for (int i = 0; i < m * n; i++)
                    Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                        $"width {name}, transposedA {transposedA}, bias {hasBias}: C[{i / n}, {i % n}] = {c[i]}, expected {expected[i]}");
                Assert.Equal(12345f, c[^1]);
            }

            // C += A·B onto existing values (the fused SGD step adds the product to the weights).
            float[] initial = Fill(m * n), added = (float[])initial.Clone();
            Gemm.Run(ref a[0], aRow, aStep, ref b[0], ref added[0], ref hasBias ? ref bias[0] : ref Unsafe.NullRef<float>(), hasBias, m, n, k, addToC: true);
            for (int i = 0; i < m * n; i++)
            {
                double product = expected[i]; // bias + A·B
                Assert.True(Math.Abs(added[i] - (initial[i] + product)) <= 1e-4 * (1 + Math.Abs(initial[i] + product)),
                    $"addToC, transposedA {transposedA}: C[{i / n}, {i % n}] = {added[i]}, expected {initial[i] + product}");
            }
        }
    }
}
