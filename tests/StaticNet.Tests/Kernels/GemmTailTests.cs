using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The last columns of a panel that is not a multiple of the vector (100 = 6·16 + 4), which the product
/// computes apart from the vectors: down the columns when A is transposed (dW = xᵀ·dout), as dot products
/// when A is row-major (y = x·W). Batch-like row counts (1, 2, 54, 55, 100) against a naive double product.
/// </summary>
public class GemmTailTests
{
    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 1, 2, 3, 4, 16, 33, 54, 55, 100 }
        from n in new[] { 17, 20, 100, 103 }
        from k in new[] { 1, 10, 16, 55, 100, 160, 784 } // from 160, a row-major A's last columns are dot products
        select new object[] { m, n, k };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tail_columns_match_a_naive_product(int m, int n, int k)
    {
        var random = new Random64(m * 100000 + n * 1000 + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n);
        foreach (bool transposedA in new[] { false, true })
        foreach (bool hasBias in new[] { false, true })
        foreach (bool addToC in new[] { false, true })
        {
            int aRow = transposedA ? 1 : k, aStep = transposedA ? m : 1;
            float[] initial = Fill(m * n);
            float[] c = new float[m * n + 1];
            if (addToC) initial.CopyTo(c, 0);
            c[^1] = 12345f; // a guard after C
            Gemm.Run(ref a[0], aRow, aStep, ref b[0], ref c[0], ref hasBias ? ref bias[0] : ref Unsafe.NullRef<float>(), hasBias, m, n, k, addToC);
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++)
                {
                    double s = hasBias ? bias[j] : 0, size = Math.Abs(s);
                    for (int p = 0; p < k; p++)
                    {
                        double term = (double)a[r * aRow + p * aStep] * b[p * n + j];
                        s += term;
                        size += Math.Abs(term);
                    }
                    if (addToC) { s += initial[r * n + j]; size += Math.Abs(initial[r * n + j]); }
                    float got = c[r * n + j];
                    Assert.True(Math.Abs(got - s) <= 1e-5 * (1 + size),
                        $"transposedA {transposedA}, bias {hasBias}, addToC {addToC}: C[{r}, {j}] = {got}, expected {s}");
                }
            Assert.Equal(12345f, c[^1]);
        }
    }

    /// <summary>
    /// With A transposed the tail columns are summed as every other column is: from the bias, p = 0, 1, ...,
    /// one fused multiply-add per term, so a row of dW is bit for bit the same however its columns are split.
    /// </summary>
    [Theory]
    [InlineData(100, 100, 32)]
    [InlineData(784, 100, 100)]
    [InlineData(55, 20, 54)]
    [InlineData(33, 103, 16)]
    public void Transposed_tail_columns_sum_in_the_order_of_the_vectors(int m, int n, int k)
    {
        var random = new Random64(m + n + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n);
        float[] c = new float[m * n];
        Gemm.Run(ref a[0], 1, m, ref b[0], ref c[0], ref bias[0], hasBias: true, m, n, k);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                float s = bias[j];
                for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(a[r + p * m], b[p * n + j], s);
                Assert.Equal(s, c[r * n + j]);
            }
    }

    /// <summary>
    /// With A row-major over fewer than 160 steps of k (as in Dense2's dx = da2·W2ᵀ, k = 10), the last columns take the
    /// overlapping vector, not dot products: every element is summed from the bias, p = 0, 1, ..., one fused multiply-add
    /// per term, bit for bit. From 160 steps on, the dot products sum in another order (the last case shows the test
    /// can tell them apart).
    /// </summary>
    [Theory]
    [InlineData(16, 100, 10, true)]
    [InlineData(33, 100, 159, true)]
    [InlineData(100, 20, 64, true)]
    [InlineData(33, 100, 400, false)]
    public void Row_major_tail_columns_under_160_steps_sum_in_the_order_of_the_vectors(int m, int n, int k, bool inOrder)
    {
        var random = new Random64(m * 7 + n * 3 + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n);
        float[] c = new float[m * n];
        Gemm.Run(ref a[0], k, 1, ref b[0], ref c[0], ref bias[0], hasBias: true, m, n, k);
        int differ = 0;
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                float s = bias[j];
                for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(a[r * k + p], b[p * n + j], s);
                if (inOrder) Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(c[r * n + j]), $"C[{r}, {j}] = {c[r * n + j]}, in order {s}");
                else if (BitConverter.SingleToInt32Bits(s) != BitConverter.SingleToInt32Bits(c[r * n + j])) differ++;
            }
        // With 128-bit vectors, 100 columns are whole vectors: there are no last columns to take apart.
        int w = Simd.MaxVectorBits / 32, tail = n % w;
        if (!inOrder && tail != 0 && 2 * tail <= w)
            Assert.True(differ > 0, "at k = 400 the last columns are dot products, which round otherwise somewhere");
    }
}
