using System;
using System.Linq;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// The Affine kernels called directly, against naive double-precision loops: dx = dout·Wᵀ (a small W, transposed
/// on the stack, and a large one, as dot products of rows at a batch of up to 7, else through the two transposes), and the fused SGD step W ← W − lr·xᵀ·dout,
/// b ← b − lr·Σ dout, at batch-like sizes with odd widths.
/// </summary>
public class AffineTests
{
    private static float[] Fill(Random64 random, int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();

    [Theory]
    [InlineData(1, 100, 10)]
    [InlineData(2, 100, 10)]
    [InlineData(54, 100, 10)]
    [InlineData(55, 100, 10)]
    [InlineData(100, 100, 10)]
    [InlineData(7, 33, 5)]
    [InlineData(3, 1, 1)]
    [InlineData(1, 784, 100)]   // large W, up to 7 rows: dot products of rows (with AVX-512, 6 whole vectors and an overlapping last one)
    [InlineData(2, 784, 100)]
    [InlineData(3, 4320, 100)]  // SimpleConvNet's Dense(100)
    [InlineData(5, 784, 100)]
    [InlineData(7, 90, 100)]    // the last batch of dot products: a tile of 5 rows and one of 2
    [InlineData(6, 3000, 3)]    // rows shorter than a vector: scalar dot products
    [InlineData(4, 400, 33)]
    [InlineData(8, 784, 100)]   // large W from 8 rows: the two transposes
    [InlineData(9, 784, 100)]
    [InlineData(32, 90, 100)]   // 9,000 weights: just over the stack limit
    [InlineData(1, 100, 1)]     // batch 1, at most 16 outputs: a dot product per row of W, the last rows scalar
    [InlineData(1, 5, 3)]
    [InlineData(1, 1, 16)]
    [InlineData(1, 40, 15)]
    [InlineData(1, 40, 16)]
    [InlineData(1, 40, 17)]
    public void BackwardInput_matches_a_naive_product(int batch, int inputs, int outputs)
    {
        var random = new Random64(batch * 7 + inputs * 13 + outputs);
        float[] dout = Fill(random, batch * outputs), W = Fill(random, inputs * outputs);
        float[] dx = new float[batch * inputs];
        float[] scratch = new float[batch * (inputs + outputs)];
        Affine.BackwardInput(dout, W, dx, scratch, batch, inputs, outputs);
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < inputs; i++)
            {
                double s = 0, size = 0;
                for (int j = 0; j < outputs; j++)
                {
                    double term = (double)dout[r * outputs + j] * W[i * outputs + j];
                    s += term;
                    size += Math.Abs(term);
                }
                Assert.True(Math.Abs(dx[r * inputs + i] - s) <= 1e-5 * (1 + size), $"dx[{r}, {i}] = {dx[r * inputs + i]}, expected {s}");
            }
    }

    [Fact]
    public void The_batches_of_dot_products_are_never_split_between_threads()
    {
        // BackwardInput's kernel depends on the batch, and so do the bits of dx. A split batch's parts hold a granule of
        // rows or more (ParallelTests), so while every batch of dot products is under a granule, a part takes the
        // kernel its whole batch takes, and dx is the same at every degree of parallelism.
        Assert.True(Affine.MaxDotRowsBatch < Partition.Granule);
        for (int rows = 1; rows <= Affine.MaxDotRowsBatch; rows++) Assert.Equal(1, Partition.Parts(8, rows, 1_000_000_000));
    }

    [Fact]
    public void BackwardInput_at_batch_1_reads_nothing_of_the_next_row_of_W()
    {
        // 10 outputs: a row's 16-lane vector covers 6 weights of the next row. An infinite weight there must give
        // an infinite or NaN dx only where it belongs (its own row), not 0 · ∞ = NaN in the row before.
        const int inputs = 8, outputs = 10;
        float[] W = new float[inputs * outputs], dout = new float[outputs], dx = new float[inputs];
        for (int i = 0; i < W.Length; i++) W[i] = 0.5f;
        for (int j = 0; j < outputs; j++) dout[j] = 1f;
        W[3 * outputs] = float.PositiveInfinity; // row 3's first weight
        Affine.BackwardInput(dout, W, dx, new float[inputs + outputs], 1, inputs, outputs);
        for (int i = 0; i < inputs; i++)
            if (i == 3) Assert.True(float.IsPositiveInfinity(dx[i]));
            else Assert.Equal(5f, dx[i]);
    }

    [Theory]
    [InlineData(1, 784, 100)]
    [InlineData(2, 784, 100)]
    [InlineData(54, 784, 100)]
    [InlineData(55, 784, 100)]
    [InlineData(100, 784, 100)]
    [InlineData(100, 100, 10)]
    [InlineData(17, 9, 3)]
    public void SgdStep_matches_a_naive_step(int batch, int inputs, int outputs)
    {
        var random = new Random64(batch * 5 + inputs * 3 + outputs);
        float[] x = Fill(random, batch * inputs), dout = Fill(random, batch * outputs);
        float[] W = Fill(random, inputs * outputs), b = Fill(random, outputs);
        float[] W0 = (float[])W.Clone(), b0 = (float[])b.Clone();
        float[] scratch = new float[batch * (inputs + outputs)];
        const float lr = 0.05f;
        Affine.SgdStep(x, dout, W, b, scratch, lr, batch, inputs, outputs);
        for (int i = 0; i < inputs; i++)
            for (int j = 0; j < outputs; j++)
            {
                double g = 0, size = Math.Abs(W0[i * outputs + j]);
                for (int r = 0; r < batch; r++) g += (double)x[r * inputs + i] * dout[r * outputs + j];
                for (int r = 0; r < batch; r++) size += lr * Math.Abs((double)x[r * inputs + i] * dout[r * outputs + j]);
                double expected = W0[i * outputs + j] - lr * g;
                Assert.True(Math.Abs(W[i * outputs + j] - expected) <= 1e-5 * (1 + size), $"W[{i}, {j}] = {W[i * outputs + j]}, expected {expected}");
            }
        for (int j = 0; j < outputs; j++)
        {
            double g = 0, size = Math.Abs(b0[j]);
            for (int r = 0; r < batch; r++) { g += dout[r * outputs + j]; size += lr * Math.Abs(dout[r * outputs + j]); }
            double expected = b0[j] - lr * g;
            Assert.True(Math.Abs(b[j] - expected) <= 1e-5 * (1 + size), $"b[{j}] = {b[j]}, expected {expected}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(37)]
    [InlineData(1000)]
    public void Scale_multiplies_every_element(int n)
    {
        var random = new Random64(n);
        float[] x = Fill(random, n), y = new float[n];
        Elementwise.Scale(x, -0.3f, y);
        for (int i = 0; i < n; i++) Assert.Equal(-0.3f * x[i], y[i]);
    }
    /// <summary>
    /// db = Σ dout and the SGD step's bias sums: each column summed from 0 down the rows in order, as a scalar loop sums
    /// it, so bit for bit whatever vectors the kernel holds the columns in (four 512-bit ones, then narrower, then scalar).
    /// </summary>
    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(32, 10)]
    [InlineData(7, 15)]
    [InlineData(5, 17)]
    [InlineData(9, 63)]
    [InlineData(4, 64)]
    [InlineData(6, 65)]
    [InlineData(32, 100)]
    [InlineData(100, 100)]
    [InlineData(11, 129)]
    public void ColumnSums_add_each_column_in_the_order_of_the_rows(int rows, int columns)
    {
        var random = new Random64(rows * 31 + columns);
        // Magnitudes from 1e-3 to 1e3, so that another order of the additions would round differently.
        float[] m = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextGaussian() * Math.Pow(10, random.NextDouble() * 6 - 3))).ToArray();
        float[] sums = Enumerable.Repeat(float.NaN, columns).ToArray();
        Affine.ColumnSums(m, sums, rows, columns);
        for (int j = 0; j < columns; j++)
        {
            float expected = 0;
            for (int r = 0; r < rows; r++) expected += m[r * columns + j];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(sums[j]), $"column {j}: {sums[j]}, expected {expected}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(100, 10)]
    [InlineData(10, 100)]
    [InlineData(7, 3)]
    [InlineData(3, 7)]
    [InlineData(32, 784)]
    [InlineData(784, 33)]
    public void Transpose_moves_every_element_and_nothing_past_the_matrix(int rows, int columns)
    {
        var random = new Random64(rows * 17 + columns);
        float[] m = Fill(random, rows * columns);
        float[] t = Enumerable.Repeat(12345f, rows * columns + 3).ToArray();
        Affine.Transpose(m, t, rows, columns);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                Assert.Equal(m[i * columns + j], t[j * rows + i]);
        Assert.All(t.Skip(rows * columns), v => Assert.Equal(12345f, v));
    }
}
