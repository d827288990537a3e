using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// <see cref="Gemm.RunColumns"/> and the Affine kernels built on it: blocks of columns that threads could own give,
/// between them, the whole product's very bits (panels cut in the middle, the tail columns, the k blocks of a long
/// sum, the outer product of batch 1), and write nothing outside their block.
/// </summary>
public class GemmColumnsTests
{
    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 1, 2, 3, 4, 16, 33, 100 }
        from n in new[] { 10, 64, 90, 100, 103, 130, 200 } // 10: one block, a masked 512-bit vector
        from k in new[] { 1, 10, 16, 100, 784 }
        select new object[] { m, n, k };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Blocks_of_columns_give_the_whole_products_bits(int m, int n, int k) => CheckBlocks(m, n, k);

    /// <summary>Sums long enough (k of 1,000 over a 96-wide panel) that the whole call takes k in two blocks.</summary>
    [Theory]
    [InlineData(16, 100, 1000)]
    [InlineData(784, 100, 700)]
    [InlineData(20, 200, 1500)]
    public void Blocks_of_columns_keep_the_k_blocks_of_the_whole_call(int m, int n, int k) => CheckBlocks(m, n, k);

    private delegate void Whole(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, bool addToC);

    private delegate void Block(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC);

    /// <summary>
    /// The machine's own cascade (<see cref="Gemm.Run"/> against <see cref="Gemm.RunColumns"/>), then the cascades capped at
    /// 256 and 128 bits, which an AVX2-only or a 128-bit machine runs: their panels are narrower, so their blocks meet
    /// the granules elsewhere in a panel.
    /// </summary>
    private static IEnumerable<(string Width, Whole Whole, Block Block)> Widths()
    {
        yield return ("dispatch",
            (ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, bool addToC) =>
                Gemm.Run(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, addToC),
            (ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC) =>
                Gemm.RunColumns(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC));
        if (Vector256.IsHardwareAccelerated)
            yield return ("256", Gemm.RunUpTo<W256, Vector256<float>>,
                (ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC) =>
                    Gemm.RunColumnsUpTo<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC));
        yield return ("128", Gemm.RunUpTo<W128, Vector128<float>>,
            (ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC) =>
                Gemm.RunColumnsUpTo<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC));
    }

    private static void CheckBlocks(int m, int n, int k)
    {
        var random = new Random64(m * 1_000_003 + n * 1009 + k);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n), initial = Fill(m * n);
        foreach ((string width, Whole run, Block runColumns) in Widths())
        foreach (bool transposedA in new[] { false, true })
        foreach (bool hasBias in new[] { false, true })
        foreach (bool addToC in new[] { false, true })
        {
            int aRow = transposedA ? 1 : k, aStep = transposedA ? m : 1;
            ref float biasRef = ref hasBias ? ref bias[0] : ref Unsafe.NullRef<float>();
            float[] whole = (float[])initial.Clone();
            run(ref a[0], aRow, aStep, ref b[0], ref whole[0], ref biasRef, hasBias, m, n, k, addToC);
            for (int parts = 1; parts <= Partition.ColumnParts(4, n); parts++)
            {
                float[] split = (float[])initial.Clone();
                for (int part = parts - 1; part >= 0; part--) // in reverse: no block may lean on another's columns
                {
                    (int from, int to) = Partition.Columns(n, part, parts);
                    float[] alone = (float[])initial.Clone();
                    runColumns(ref a[0], aRow, aStep, ref b[0], ref alone[0], ref biasRef, hasBias, m, n, k, from, to, addToC);
                    runColumns(ref a[0], aRow, aStep, ref b[0], ref split[0], ref biasRef, hasBias, m, n, k, from, to, addToC);
                    for (int r = 0; r < m; r++)
                        for (int j = 0; j < n; j++)
                        {
                            float expected = j >= from && j < to ? whole[r * n + j] : initial[r * n + j];
                            if (BitConverter.SingleToInt32Bits(alone[r * n + j]) != BitConverter.SingleToInt32Bits(expected))
                                Assert.Fail($"width {width}, transposedA {transposedA}, bias {hasBias}, addToC {addToC}, block [{from}, {to}) of {parts}: " +
                                    $"C[{r}, {j}] = {alone[r * n + j]:R}, expected {expected:R}");
                        }
                }
                Assert.Equal(whole, split);
            }
        }
    }

    /// <summary>
    /// With rows of B and C further apart than the width (a layer's rows padded to whole cache lines), each block still
    /// gets the packed whole call's bits, and the padding is neither read into C nor written.
    /// </summary>
    [Theory]
    [InlineData(32, 100, 784, 112, 112)]
    [InlineData(100, 100, 784, 112, 105)]
    [InlineData(784, 100, 32, 112, 112)]
    [InlineData(1, 100, 784, 128, 112)]
    [InlineData(784, 100, 1, 112, 112)]
    [InlineData(33, 90, 16, 96, 91)]
    public void Blocks_with_row_strides_give_the_packed_products_bits(int m, int n, int k, int ldb, int ldc)
    {
        var random = new Random64(m + 7 * n + 13 * k + ldb + ldc);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m * k), b = Fill(k * n), bias = Fill(n), initial = Fill(m * n);
        float[] bPadded = Enumerable.Repeat(float.NaN, k * ldb).ToArray(); // NaN padding: any read of it shows
        for (int p = 0; p < k; p++) Array.Copy(b, p * n, bPadded, p * ldb, n);
        foreach (bool transposedA in new[] { false, true })
        foreach (bool addToC in new[] { false, true })
        {
            int aRow = transposedA ? 1 : k, aStep = transposedA ? m : 1;
            bool hasBias = !transposedA;
            ref float biasRef = ref hasBias ? ref bias[0] : ref Unsafe.NullRef<float>();
            float[] whole = (float[])initial.Clone();
            Gemm.Run(ref a[0], aRow, aStep, ref b[0], ref whole[0], ref biasRef, hasBias, m, n, k, addToC);
            float[] padded = Enumerable.Repeat(-7f, m * ldc).ToArray();
            for (int r = 0; r < m; r++) Array.Copy(initial, r * n, padded, r * ldc, n);
            int parts = Partition.ColumnParts(3, n);
            for (int part = 0; part < parts; part++)
            {
                (int from, int to) = Partition.Columns(n, part, parts);
                Gemm.RunColumns(ref a[0], aRow, aStep, ref bPadded[0], ref padded[0], ref biasRef, hasBias, m, n, k, from, to, addToC, ldb, ldc);
            }
            for (int r = 0; r < m; r++)
                for (int j = 0; j < ldc; j++)
                {
                    float expected = j < n ? whole[r * n + j] : -7f;
                    if (BitConverter.SingleToInt32Bits(padded[r * ldc + j]) != BitConverter.SingleToInt32Bits(expected))
                        Assert.Fail($"transposedA {transposedA}, addToC {addToC}: C[{r}, {j}] = {padded[r * ldc + j]:R}, expected {expected:R}");
                }
        }
    }

    [Theory]
    [InlineData(100, 2)]
    [InlineData(100, 3)]
    [InlineData(64, 2)]
    [InlineData(1000, 4)]
    public void Blocks_are_16_column_granules_that_cover_the_row(int n, int parts)
    {
        Assert.True(Partition.ColumnParts(parts, n) >= parts);
        int next = 0;
        for (int part = 0; part < parts; part++)
        {
            (int from, int to) = Partition.Columns(n, part, parts);
            Assert.Equal(next, from);
            Assert.Equal(0, from % Gemm.ColumnGranule);
            Assert.True(to - from >= 2 * Gemm.ColumnGranule, $"block [{from}, {to})");
            next = to;
        }
        Assert.Equal(n, next);
    }

    [Fact]
    public void Too_few_columns_stay_one_block_and_bad_blocks_are_refused()
    {
        Assert.Equal(1, Partition.ColumnParts(2, 63)); // under two granules a block
        Assert.Equal(2, Partition.ColumnParts(2, 64));
        Assert.Equal(1, Partition.ColumnParts(1, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partition.Columns(63, 0, 2));
        float[] a = new float[4 * 8], b = new float[8 * 100], c = new float[4 * 100];
        // Not at a granule, and a last block of 20 columns.
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.RunColumns(ref a[0], 8, 1, ref b[0], ref c[0], ref Unsafe.NullRef<float>(), false, 4, 100, 8, 0, 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.RunColumns(ref a[0], 8, 1, ref b[0], ref c[0], ref Unsafe.NullRef<float>(), false, 4, 100, 8, 80, 100));
    }

    [Theory]
    [InlineData(1, 784, 100, 0f)]
    [InlineData(32, 784, 100, 0f)]
    [InlineData(100, 784, 100, 0.01f)]
    [InlineData(37, 70, 130, 0.01f)]
    [InlineData(32, 100, 10, 0f)] // a small W: the column form of BackwardInput
    [InlineData(1, 100, 10, 0f)]
    public void Affine_column_kernels_match_the_whole_calls(int batch, int inputs, int outputs, float weightDecay)
    {
        var random = new Random64(batch + inputs + outputs);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] x = Fill(batch * inputs), W = Fill(inputs * outputs), b = Fill(outputs), dout = Fill(batch * outputs);
        const float lr = 0.1f;

        float[] y = new float[batch * outputs], dW = new float[W.Length], db = new float[outputs];
        float[] W1 = (float[])W.Clone(), b1 = (float[])b.Clone(), step = (float[])dout.Clone();
        Affine.Forward(x, W, b, y, batch, inputs, outputs);
        Affine.BackwardWeights(x, dout, dW, db, batch, inputs, outputs);
        Affine.ScaleStep(step, lr);
        Affine.SgdStepRows(x, step, W1, b1, lr, weightDecay, batch, inputs, outputs, 0, inputs);

        int parts = Partition.ColumnParts(3, outputs); // 1 for 10 outputs: the whole calls, through the column kernels
        float[] ys = new float[y.Length], dWs = new float[dW.Length], dbs = new float[db.Length];
        float[] Ws = (float[])W.Clone(), bs = (float[])b.Clone();
        for (int part = 0; part < parts; part++)
        {
            (int from, int to) = Partition.Columns(outputs, part, parts);
            Affine.ForwardColumns(x, W, b, ys, batch, inputs, outputs, from, to);
            Affine.BackwardWeightColumns(x, dout, dWs, dbs, batch, inputs, outputs, from, to);
            Affine.SgdStepColumns(x, step, Ws, bs, lr, weightDecay, batch, inputs, outputs, from, to);
        }
        float[] dx = new float[x.Length], dxs = new float[x.Length], scratch = new float[batch * (2 * inputs + outputs)];
        Affine.BackwardInput(dout, W, dx, scratch, batch, inputs, outputs);
        int inputParts = Partition.ColumnParts(3, inputs);
        Assert.True(parts > 1 || inputParts > 1); // the premise: something is split
        for (int part = 0; part < inputParts; part++)
        {
            (int from, int to) = Partition.Columns(inputs, part, inputParts);
            Affine.BackwardInputColumns(dout, W, dxs, scratch, batch, inputs, outputs, from, to);
        }
        Assert.Equal(dx, dxs);
        Assert.Equal(y, ys);
        Assert.Equal(dW, dWs);
        Assert.Equal(db, dbs);
        Assert.Equal(W1, Ws);
        Assert.Equal(b1, bs);
    }
}
