using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;
using Xunit;

namespace StaticNet.Tests.Kernels;

/// <summary>
/// One step of k (dW = xᵀ·dout and its SGD step at batch 1) goes to <c>Gemm</c>'s outer-product loop, not to the
/// register tiles: it must give the tiles' very bits (each term rounded once, then added to C once), with A
/// transposed or row-major, overwriting C or adding to it, at every column count around the vector widths.
/// </summary>
public class GemmOuterProductTests
{
    public static IEnumerable<object[]> Shapes() =>
        from m in new[] { 2, 3, 5, 100, 784 }
        from n in new[] { 1, 3, 4, 7, 8, 10, 15, 16, 17, 20, 31, 100, 127, 128, 129, 130, 200, 300 }
        select new object[] { m, n };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void One_step_of_k_gives_the_bits_of_the_tiles(int m, int n)
    {
        var random = new Random64(m * 1000 + n);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextGaussian()).ToArray();
        float[] a = Fill(m), b = Fill(n), start = Fill(m * n);
        foreach (bool addToC in new[] { false, true })
            foreach (int aRow in new[] { 1, 3 }) // x as a column (dW = xᵀ·dout), or every third float of a longer row
            {
                float[] stretched = new float[m * aRow];
                for (int r = 0; r < m; r++) stretched[r * aRow] = a[r];
                float[] fast = (float[])start.Clone(), tiles = (float[])start.Clone();
                Gemm.Run(ref stretched[0], aRow, 1, ref b[0], ref fast[0], ref b[0], hasBias: false, m, n, k: 1, addToC);
                RunTiles(stretched, aRow, b, tiles, m, n, addToC);
                for (int i = 0; i < fast.Length; i++)
                {
                    // And against the arithmetic itself: x·b rounded, then added (or stored).
                    float expected = addToC ? start[i] + a[i / n] * b[i % n] : a[i / n] * b[i % n];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(fast[i]),
                        $"C[{i / n}, {i % n}] (addToC {addToC}, aRow {aRow}): {fast[i]:R}, expected {expected:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(tiles[i]) == BitConverter.SingleToInt32Bits(fast[i]),
                        $"C[{i / n}, {i % n}] (addToC {addToC}, aRow {aRow}): {fast[i]:R}, the tiles give {tiles[i]:R}");
                }
            }
    }

    // The tile path (RunUpTo has no outer-product branch), at the widest width the machine has.
    private static void RunTiles(float[] a, int aRow, float[] b, float[] c, int m, int n, bool addToC)
    {
        if (Vector512.IsHardwareAccelerated) Gemm.RunUpTo<W512, Vector512<float>>(ref a[0], aRow, 1, ref b[0], ref c[0], ref b[0], false, m, n, 1, addToC);
        else if (Vector256.IsHardwareAccelerated) Gemm.RunUpTo<W256, Vector256<float>>(ref a[0], aRow, 1, ref b[0], ref c[0], ref b[0], false, m, n, 1, addToC);
        else Gemm.RunUpTo<W128, Vector128<float>>(ref a[0], aRow, 1, ref b[0], ref c[0], ref b[0], false, m, n, 1, addToC);
    }
}
