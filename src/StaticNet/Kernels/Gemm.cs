using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// The one matrix-product kernel behind every Affine step:
/// <c>C[m, n] = init + A·B</c>, where <c>A[r, p] = a[r * aRow + p * aStep]</c> (so A may be a
/// transposed view, as in <c>dW = xᵀ·dout</c>), <c>B</c> is <c>[k, n]</c> row-major and <c>C</c>
/// is <c>[m, n]</c> row-major; <c>init</c> is the bias row (broadcast to every row) or zero.
/// </summary>
/// <remarks>
/// Register blocking: 4 rows × 2 vectors of C stay in 8 registers while the k loop streams one row of
/// B (2 loads) and 4 elements of A (4 broadcasts) per step, for 8 fused multiply-adds. Columns are
/// taken with the widest vectors first, then narrower ones, then scalars for what is left.
/// </remarks>
internal static class Gemm
{
    public static void Run(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k)
    {
        int j = 0;
        if (Simd.Use512) j = Columns<W512, Vector512<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, j);
        if (Simd.Use256) j = Columns<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, j);
        j = Columns<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, j);
        for (; j < n; j++)
            ScalarColumn(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, j);
    }

    /// <summary>Computes the columns from <paramref name="j"/> on that fill whole vectors; returns the first column not done.</summary>
    private static int Columns<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int j)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int w = TW.Count;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            int r = 0;
            for (; r + 4 <= m; r += 4)
                Block4x2<TW, TV>(ref Unsafe.Add(ref a, r * aRow), aRow, aStep, ref Unsafe.Add(ref b, j), n, ref Unsafe.Add(ref c, r * n + j), n, ref Unsafe.Add(ref bias, hasBias ? j : 0), hasBias, k);
            for (; r < m; r++)
                Block1x2<TW, TV>(ref Unsafe.Add(ref a, r * aRow), aStep, ref Unsafe.Add(ref b, j), n, ref Unsafe.Add(ref c, r * n + j), ref Unsafe.Add(ref bias, hasBias ? j : 0), hasBias, k);
        }
        for (; j + w <= n; j += w)
        {
            int r = 0;
            for (; r + 4 <= m; r += 4)
                Block4x1<TW, TV>(ref Unsafe.Add(ref a, r * aRow), aRow, aStep, ref Unsafe.Add(ref b, j), n, ref Unsafe.Add(ref c, r * n + j), n, ref Unsafe.Add(ref bias, hasBias ? j : 0), hasBias, k);
            for (; r < m; r++)
                Block1x1<TW, TV>(ref Unsafe.Add(ref a, r * aRow), aStep, ref Unsafe.Add(ref b, j), n, ref Unsafe.Add(ref c, r * n + j), ref Unsafe.Add(ref bias, hasBias ? j : 0), hasBias, k);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Init<TW, TV>(ref float bias, nint offset, bool hasBias) where TW : struct, IWidth<TV> where TV : struct =>
        hasBias ? TW.Load(ref bias, offset) : TW.Zero;

    private static void Block4x2<TW, TV>(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count;
        TV c00 = Init<TW, TV>(ref bias, 0, hasBias), c01 = Init<TW, TV>(ref bias, w, hasBias);
        TV c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        ref float a1 = ref Unsafe.Add(ref a, aRow);
        ref float a2 = ref Unsafe.Add(ref a, 2 * aRow);
        ref float a3 = ref Unsafe.Add(ref a, 3 * aRow);
        for (nint p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            TV b0 = TW.Load(ref bp, 0), b1 = TW.Load(ref bp, w);
            nint ap = p * aStep;
            TV x = TW.Broadcast(Unsafe.Add(ref a, ap));
            c00 = TW.MultiplyAdd(x, b0, c00); c01 = TW.MultiplyAdd(x, b1, c01);
            x = TW.Broadcast(Unsafe.Add(ref a1, ap));
            c10 = TW.MultiplyAdd(x, b0, c10); c11 = TW.MultiplyAdd(x, b1, c11);
            x = TW.Broadcast(Unsafe.Add(ref a2, ap));
            c20 = TW.MultiplyAdd(x, b0, c20); c21 = TW.MultiplyAdd(x, b1, c21);
            x = TW.Broadcast(Unsafe.Add(ref a3, ap));
            c30 = TW.MultiplyAdd(x, b0, c30); c31 = TW.MultiplyAdd(x, b1, c31);
        }
        TW.Store(c00, ref c, 0); TW.Store(c01, ref c, w);
        TW.Store(c10, ref c, ldc); TW.Store(c11, ref c, ldc + w);
        TW.Store(c20, ref c, 2 * ldc); TW.Store(c21, ref c, 2 * ldc + w);
        TW.Store(c30, ref c, 3 * ldc); TW.Store(c31, ref c, 3 * ldc + w);
    }

    private static void Block1x2<TW, TV>(ref float a, nint aStep, ref float b, nint ldb, ref float c, ref float bias, bool hasBias, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        nint w = TW.Count;
        // Two partial sums per column vector, so consecutive fused multiply-adds do not wait on each other.
        TV c0 = Init<TW, TV>(ref bias, 0, hasBias), c1 = Init<TW, TV>(ref bias, w, hasBias);
        TV d0 = TW.Zero, d1 = TW.Zero;
        nint p = 0;
        for (; p + 1 < k; p += 2)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            TV x = TW.Broadcast(Unsafe.Add(ref a, p * aStep));
            c0 = TW.MultiplyAdd(x, TW.Load(ref bp, 0), c0); c1 = TW.MultiplyAdd(x, TW.Load(ref bp, w), c1);
            TV y = TW.Broadcast(Unsafe.Add(ref a, (p + 1) * aStep));
            d0 = TW.MultiplyAdd(y, TW.Load(ref bp, ldb), d0); d1 = TW.MultiplyAdd(y, TW.Load(ref bp, ldb + w), d1);
        }
        if (p < k)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            TV x = TW.Broadcast(Unsafe.Add(ref a, p * aStep));
            c0 = TW.MultiplyAdd(x, TW.Load(ref bp, 0), c0); c1 = TW.MultiplyAdd(x, TW.Load(ref bp, w), c1);
        }
        TW.Store(TW.Add(c0, d0), ref c, 0); TW.Store(TW.Add(c1, d1), ref c, w);
    }

    private static void Block4x1<TW, TV>(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        TV c0 = Init<TW, TV>(ref bias, 0, hasBias), c1 = c0, c2 = c0, c3 = c0;
        ref float a1 = ref Unsafe.Add(ref a, aRow);
        ref float a2 = ref Unsafe.Add(ref a, 2 * aRow);
        ref float a3 = ref Unsafe.Add(ref a, 3 * aRow);
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TW.Load(ref b, p * ldb);
            nint ap = p * aStep;
            c0 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a, ap)), b0, c0);
            c1 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a1, ap)), b0, c1);
            c2 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a2, ap)), b0, c2);
            c3 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a3, ap)), b0, c3);
        }
        TW.Store(c0, ref c, 0); TW.Store(c1, ref c, ldc); TW.Store(c2, ref c, 2 * ldc); TW.Store(c3, ref c, 3 * ldc);
    }

    private static void Block1x1<TW, TV>(ref float a, nint aStep, ref float b, nint ldb, ref float c, ref float bias, bool hasBias, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        TV c0 = Init<TW, TV>(ref bias, 0, hasBias), d0 = TW.Zero;
        nint p = 0;
        for (; p + 1 < k; p += 2)
        {
            c0 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a, p * aStep)), TW.Load(ref b, p * ldb), c0);
            d0 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a, (p + 1) * aStep)), TW.Load(ref b, (p + 1) * ldb), d0);
        }
        if (p < k)
            c0 = TW.MultiplyAdd(TW.Broadcast(Unsafe.Add(ref a, p * aStep)), TW.Load(ref b, p * ldb), c0);
        TW.Store(TW.Add(c0, d0), ref c, 0);
    }

    private static void ScalarColumn(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int j)
    {
        for (int r = 0; r < m; r++)
        {
            float sum = hasBias ? Unsafe.Add(ref bias, j) : 0f;
            ref float ar = ref Unsafe.Add(ref a, r * aRow);
            for (int p = 0; p < k; p++)
                sum = System.MathF.FusedMultiplyAdd(Unsafe.Add(ref ar, p * aStep), Unsafe.Add(ref b, p * n + j), sum);
            Unsafe.Add(ref c, r * n + j) = sum;
        }
    }
}
