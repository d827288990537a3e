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
        from n in new[] { 4, 5, 8, 10, 13, 16, 17, 31, 33, 100, 112, 129, 140, 200 } // 10 and 13: one masked 512-bit vector
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

    /// <summary>
    /// A product 9 to 15 columns wide (a classifier's outputs) with AVX-512 sums each element in one order whatever rows
    /// the call has, so threads that split the batch between them, in any parts, give the whole call's bits; and it
    /// writes nothing past its rows of C. Without AVX-512 a row-major product's last columns are dot products from 4 rows
    /// and 160 steps of k up, so there the parts have 4 rows or more (as <see cref="Partition"/> makes them).
    /// </summary>
    [Theory]
    [InlineData(10, 100)]
    [InlineData(9, 37)]
    [InlineData(15, 784)]
    public void A_narrow_product_gives_each_row_the_same_bits_in_any_split_of_the_rows(int n, int k)
    {
        const int m = 37;
        var random = new Random64(n * 1000 + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n), initial = Fill(m * n + 1);
        foreach (bool addToC in new[] { false, true })
        {
            float[] whole = (float[])initial.Clone();
            Gemm.Run(ref a[0], k, 1, ref b[0], ref whole[0], ref bias[0], true, m, n, k, addToC);
            int[][] splits = Simd.MaxVectorBits >= 512
                ? new[] { new[] { 1, 3, 4, 11, 20, 36 }, new[] { 8, 16, 24, 32 }, new[] { 5 } }
                : new[] { new[] { 4, 11, 20, 33 }, new[] { 8, 16, 24, 32 }, new[] { 5 } };
            foreach (int[] cuts in splits)
            {
                float[] parts = (float[])initial.Clone();
                int start = 0;
                foreach (int end in cuts.Append(m))
                {
                    Gemm.Run(ref a[start * k], k, 1, ref b[0], ref parts[start * n], ref bias[0], true, end - start, n, k, addToC);
                    start = end;
                }
                for (int i = 0; i < m * n; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(parts[i]),
                        $"addToC {addToC}, cuts {string.Join(",", cuts)}: C[{i / n}, {i % n}] = {parts[i]}, the whole call gave {whole[i]}");
                Assert.Equal(initial[^1], parts[^1]);
            }
            Assert.Equal(initial[^1], whole[^1]);
        }
    }
}
