using System;
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
/// <para>Register blocking: a tile of up to 4 rows × 13 vectors of C stays in registers while the k
/// loop streams one row of B (one load per vector) and one element of A per row (a broadcast). Each
/// element of C is summed in the same order whatever the tile, so results do not depend on the tiling.</para>
/// <para>The tile is as wide as the registers allow: with AVX-512 (32 vector registers) a row of up to
/// 6 vectors for 4 rows, 7 for 3 rows, 8 for 2 rows, so a layer of 100 outputs is one pass over the
/// weights, read row after row as they lie in memory. Without it (16 registers), 2 vectors for 4
/// rows. A single row (batch 1) takes up to 13 vectors either way. A panel whose width is not a
/// multiple of the vector ends with a vector that overlaps the one before it (same sums, stored
/// twice) rather than a scalar tail; only what is left under 4 columns is scalar. When what is left
/// is at most half a vector (100 = 6·16 + 4) and the product is large enough, those columns are
/// computed apart (<see cref="TailColumns{TW, TV}"/>), so no lanes are spent on them twice: on Zen 5
/// this made y = x·W1 (784 → 100) 11-12% faster at batch 32 and 100, dW1 7-8% at batch 100.</para>
/// <para>A product 9 to 15 columns wide (a classifier's outputs) is, with AVX-512, one 512-bit vector under a mask
/// (<see cref="Narrow"/>).</para>
/// </remarks>
internal static class Gemm
{
    /// <summary>
    /// <c>C = init + A·B</c>; with <paramref name="addToC"/>, <c>C += init + A·B</c>, the product summed on its own
    /// and then added to C (so small products added to large values, as an SGD step to its weights,
    /// lose no more than one rounding per block of k).
    /// </summary>
    public static void Run(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, bool addToC = false)
    {
        if (k == 1 && !hasBias && m > 1)
        {
            // An outer product (dW = xᵀ·dout, or its SGD step, at batch 1): see OuterProduct.
            if (Simd.Use512) OuterProduct<W512, Vector512<float>>(ref a, aRow, ref b, ref c, m, n, n, addToC);
            else if (Simd.Use256) OuterProduct<W256, Vector256<float>>(ref a, aRow, ref b, ref c, m, n, n, addToC);
            else OuterProduct<W128, Vector128<float>>(ref a, aRow, ref b, ref c, m, n, n, addToC);
            return;
        }
        if (Simd.Use512 && IsNarrow(n))
        {
            Narrow(ref a, aRow, aStep, ref b, n, ref c, n, ref bias, hasBias, m, n, k, addToC);
            return;
        }
        // The widest vectors first; what they leave (fewer columns than one vector) goes to the next width.
        int j = 0;
        if (Simd.Use512 && n - j >= 16) j = Columns<W512, Vector512<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (Simd.Use256 && n - j >= 8) j = Columns<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (n - j >= 4) j = Columns<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (j < n) Scalar(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
    }

    /// <summary>
    /// Columns <c>[from, to)</c> of <see cref="Run"/>'s C, each element the very bits the whole call gives it, and nothing
    /// else of C written: so threads that own blocks of columns (of a layer's outputs, or of its weights) compute the
    /// whole product between them exactly. <paramref name="n"/> is still the width of B and C (their row stride).
    /// The blocks must meet at multiples of <see cref="ColumnGranule"/> and leave the last one at least
    /// <see cref="ColumnGranule"/> · 2 columns wide (<see cref="Partition.Columns"/> makes such blocks): then every
    /// panel of the whole call, and its narrower vectors at the end, fall whole in one block or split at a vector.
    /// </summary>
    public static void RunColumns(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC = false,
        int ldb = 0, int ldc = 0)
    {
        if (Simd.Use512) RunColumnsUpTo<W512, Vector512<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC, ldb, ldc);
        else if (Simd.Use256) RunColumnsUpTo<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC, ldb, ldc);
        else RunColumnsUpTo<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, from, to, addToC, ldb, ldc);
    }

    /// <summary>
    /// <see cref="RunColumns"/> with vectors no wider than <typeparamref name="TW"/>: each block the very bits of
    /// <see cref="RunUpTo{TW, TV}"/> at that width, so a test can check every width the machine has.
    /// </summary>
    internal static void RunColumnsUpTo<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int from, int to, bool addToC = false,
        int ldb = 0, int ldc = 0)
        where TW : struct, IWidth<TV> where TV : struct
    {
        CheckColumns(n, from, to);
        if (ldb == 0) ldb = n;
        if (ldc == 0) ldc = n;
        if (ldb < n || ldc < n) throw new ArgumentOutOfRangeException(nameof(ldb), $"Expected rows of B and C at least {n} floats apart, got {ldb} and {ldc}.");
        if (from == to) return;
        if (k == 1 && !hasBias && m > 1)
        {
            // Each element one product (added to C once): the same bits in any grouping of the columns.
            OuterProduct<TW, TV>(ref a, aRow, ref Unsafe.Add(ref b, from), ref Unsafe.Add(ref c, from), m, to - from, ldc, addToC);
            return;
        }
        if (TW.Count >= 16 && IsNarrow(n))
        {
            // One block: n under 16 has no other place to split (blocks meet at multiples of 16).
            Narrow(ref a, aRow, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, m, n, k, addToC);
            return;
        }
        int j = 0;
        if (TW.Count >= 16 && n - j >= 16) j = Columns<W512, Vector512<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, ldb, ldc, j, addToC, from, to);
        if (TW.Count >= 8 && n - j >= 8) j = Columns<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, ldb, ldc, j, addToC, from, to);
        if (n - j >= 4) j = Columns<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, ldb, ldc, j, addToC, from, to);
        if (j < n && to > j) Scalar(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, ldb, ldc, Math.Max(j, from), addToC, to);
    }

    /// <summary>Where blocks of <see cref="RunColumns"/> may meet: a multiple of the widest vector.</summary>
    public const int ColumnGranule = 16;

    internal static void CheckColumns(int n, int from, int to)
    {
        bool fromOk = from == 0 || (from % ColumnGranule == 0 && n - from >= 2 * ColumnGranule);
        bool toOk = to == n || (to % ColumnGranule == 0 && n - to >= 2 * ColumnGranule);
        if (from < 0 || to > n || from > to || !fromOk || !toOk)
            throw new ArgumentOutOfRangeException(nameof(from),
                $"Expected columns [from, to) of [0, {n}) meeting other blocks at multiples of {ColumnGranule} at least {2 * ColumnGranule} before the end, got [{from}, {to}).");
    }

    /// <summary>For tests: the product with vectors of <typeparamref name="TW"/> only (n ≥ its width), whatever the machine prefers.</summary>
    internal static void RunWith<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int j = Columns<TW, TV>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j0: 0, addToC: false);
        if (j < n) Scalar(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC: false);
    }

    /// <summary>
    /// <see cref="Run"/> with vectors no wider than <typeparamref name="TW"/>: the same cascade (widest
    /// first, then narrower ones for what is left, then scalar), capped. Kernels written generic over
    /// the width call this, so that a test can run them at every width the machine has.
    /// </summary>
    internal static void RunUpTo<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, bool addToC = false)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (TW.Count >= 16 && IsNarrow(n))
        {
            Narrow(ref a, aRow, aStep, ref b, n, ref c, n, ref bias, hasBias, m, n, k, addToC);
            return;
        }
        int j = 0;
        if (TW.Count >= 16 && n - j >= 16) j = Columns<W512, Vector512<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (TW.Count >= 8 && n - j >= 8) j = Columns<W256, Vector256<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (n - j >= 4) j = Columns<W128, Vector128<float>>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
        if (j < n) Scalar(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, n, n, j, addToC);
    }

    /// <summary>
    /// Rows per tile and vectors per tile row, for <paramref name="m"/> rows of C, <paramref name="k"/> terms per sum and a panel that needs
    /// <paramref name="needed"/> vectors, of <paramref name="all"/> in the product: as many accumulators as the registers hold, 32 with AVX-512
    /// (<paramref name="use512"/>: its EVEX encoding gives every width 32 registers), 16 without. A single row (batch 1) takes up
    /// to 13 vectors, so a 100-wide layer is read in one pass even with 8-wide vectors. Over 4 rows, tiles are tall: with
    /// AVX-512, when the panel of B is too big for L1 and C small enough for L2, 8 rows × up to 3 vectors (<see cref="TallPanelBytes"/>,
    /// <see cref="TallOutputBytes"/>); without, 6 × 2 (<see cref="SplitInputBytes"/>); a single vector, 8 × 1 on both. Internal for the tests that pin these rules.
    /// </summary>
    internal static (int Rows, int Vectors) Shape(int needed, int all, int m, int k, int vectorBytes, bool use512)
    {
        if (m == 1) return (1, Math.Min(needed, 13));
        // A product over one or two steps of k (an outer product such as dW = xᵀ·dout at batch 1) reuses
        // little between rows of C. With 16 registers, one whole row of C per tile (one sequential pass
        // over each row of W) was measured faster than 4 × 2 tiles in 16-column panels (batch-1 training
        // step 23.3 to 16.5 µs on Zen 4 with AVX-512 hidden); with 32 registers the 3 × 7 tile already
        // reads whole rows, and one-row tiles were slower (more tile calls: 12.3 to 20.0 µs).
        if (!use512 && k <= 2) return (1, Math.Min(needed, 13));
        // One vector of columns (the 8 of Dense(10) at 256 bits, its last 2 apart; Dense(16) at 512): a 4 × 1 tile's 4
        // accumulators are 4 chains of dependent multiply-adds, where two FMA units of latency 4 need 8 to stay busy.
        // 8 × 1 keeps 8 on both register files. Measured on the Intel host, paired in one process, 8 × 1 over 4 × 1:
        // h1·W2 (100 → 10) 0.84-0.86 of the time at batch 32 and 100 with AVX-512, 0.82-0.87 without (6 × 1: 0.88-0.93);
        // dW2 = h1ᵀ·da2 0.83-0.84; 100 → 16 with AVX-512 0.73-0.80.
        if (m > 4 && needed == 1) return (8, 1);
        if (use512)
        {
            // Not for a product of 4 vectors in all, where the wide tile already holds 16 accumulators and the tall one would
            // split the panel in two 2-vector panels of 10 loads per 16 multiply-adds: 784 → 64 took 1.02-1.03 of the time in
            // tall tiles (Intel host, paired), where 784 → 16, 32, 48, 80, 112, 128 and 256 took 0.78, 0.83-0.88, 0.78-0.80,
            // 0.95-0.97, 0.80-0.84, 0.57-0.59 (against 2 × 8) and 0.90-0.96 at batch 32 and 100. The last 4 vectors of a wider
            // product do take tall tiles: for 784 → 112, 3 + 2 + 2 vectors took 0.94-0.985 of the time of 3 + a wide 4.
            if (m > 4 && all != 4 && (long)k * Math.Min(needed, 6) * vectorBytes > TallPanelBytes && (long)m * needed * vectorBytes <= TallOutputBytes)
                return (8, Even(needed, 3));
            if (m == 2 || needed == 8) return (2, Math.Min(needed, 8));
            return needed <= 6 ? (4, needed) : needed == 7 ? (3, 7) : (4, 6);
        }
        if (m == 2) return (2, Math.Min(needed, 4));
        // 6 × 2, the classic AVX2 tile: 12 accumulators (4 × 2 kept 8, fewer than two FMA units of latency 4 need) and each
        // load of B used for 6 rows. Measured with AVX-512 hidden on the Intel host, paired in one process, over the tiles
        // before: y = x·W1 0.94-0.96 of the time at batch 32 and 100, dW1 and the fused step 0.95-0.98, Forward 0.93-0.98;
        // 784 → 16 (against 4 × 2) 0.86-0.94 and 784 → 32 (against 2 × 4) 0.87-0.91, y and dW. Not at 3 vectors, whose
        // 3 × 3 tile is one panel where 6 × 2 would take two: 784 → 24 took 1.17-1.19. Nor at 4 vectors when A is large
        // (SplitInputBytes), which the two panels of 6 × 2 read twice where the one panel of 2 × 4 reads it once.
        if (m > 4 && needed >= 2 && needed != 3 && (needed != 4 || (long)m * k * sizeof(float) <= SplitInputBytes)) return (6, 2);
        return needed <= 2 ? (4, needed) : needed == 3 ? (3, 3) : needed == 4 ? (2, 4) : (4, 2);
    }

    /// <summary>Vectors per panel when <paramref name="needed"/> are taken in as few panels of at most <paramref name="most"/> as will do, as even as they can be (7 → 3, then 2 and 2).</summary>
    private static int Even(int needed, int most)
    {
        int panels = (needed + most - 1) / most;
        return (needed + panels - 1) / panels;
    }

    /// <summary>
    /// Columns <paramref name="j0"/> to n of C with vectors of <typeparamref name="TW"/> (n − j0 ≥ its
    /// width). Returns the first column not done: a last panel narrower than one vector is left to
    /// a narrower width, as overlapping the panel before it would add to C twice where it adds.
    /// With <paramref name="from"/> and <paramref name="to"/>, only the columns in <c>[from, to)</c> are written (see
    /// <see cref="RunColumns"/>): the panels, their k blocks and the return value stay those of the whole call, so
    /// each of those columns gets the very sums the whole call gives it.
    /// </summary>
    private static int Columns<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int ldb, int ldc, int j0, bool addToC,
        int from = 0, int to = int.MaxValue)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int w = TW.Count;
        // A panel ending in a few columns (100 = 6·16 + 4) would spend a whole vector on them, 12 of its
        // 16 lanes repeating the vector before it. Those columns go to a kernel of their own when one fits
        // A's layout, and the vectors here stop at a multiple of w.
        int end = n, tail = (n - j0) % w;
        if (tail != 0 && 2 * tail <= w && n - j0 > w && TailFits(aRow, aStep, m, k, tail))
        {
            if (to >= n) TailColumns<TW, TV>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, n, k, ldb, ldc, n - tail, addToC);
            end = n - tail;
        }
        int all = (end - j0 + w - 1) / w;
        for (int j = j0; j < end;)
        {
            int remaining = end - j;
            if (remaining < w) return j;
            (int rows, int vectors) = Shape((remaining + w - 1) / w, all, m, k, w * sizeof(float), Simd.Use512);
            bool lastPanel = vectors * w >= remaining;
            int width = lastPanel ? remaining : vectors * w;
            // Cache blocking: when several row tiles read the same panel of B and the whole panel would not
            // stay in L2, take k in equal blocks whose part of the panel does. Every block reloads and stores the
            // tiles of C, so a panel that fits is taken whole: dW = xᵀ·dout then passes over dW (C) once.
            int panelRow = vectors * w * sizeof(float);
            int blocks = m > rows ? Math.Max(1, (int)(((long)k * panelRow + BlockBytes - 1) / BlockBytes)) : 1;
            int block = (k + blocks - 1) / blocks;
            if (from <= j && j + width <= to)
            {
                Panel<TW, TV>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, k, ldb, ldc, j, rows, vectors, lastPanel ? remaining : 0, block, addToC);
            }
            else
            {
                // Part of the panel: its columns in [from, to), in panels of their own but summed in the whole panel's blocks.
                int start = Math.Max(j, from), stop = Math.Min(j + width, to);
                for (int q = start; q < stop;)
                {
                    int left = stop - q;
                    (int qRows, int qVectors) = Shape((left + w - 1) / w, all, m, k, w * sizeof(float), Simd.Use512);
                    bool qLast = qVectors * w >= left;
                    Panel<TW, TV>(ref a, aRow, aStep, ref b, ref c, ref bias, hasBias, m, k, ldb, ldc, q, qRows, qVectors, qLast ? left : 0, block, addToC);
                    q += qLast ? left : qVectors * w;
                }
            }
            j += width;
        }
        return n;
    }

    /// <summary>
    /// One panel: columns from <paramref name="j"/>, <paramref name="vectors"/> vectors wide, or, when
    /// <paramref name="lastWidth"/> is not 0, that many columns, the last vector ending there (overlapping the vector
    /// before it when the width is not a multiple of w); every row tile of it, k in blocks of <paramref name="block"/>.
    /// </summary>
    private static void Panel<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int k, int ldb, int ldc,
        int j, int rows, int vectors, int lastWidth, int block, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int w = TW.Count;
        nint last = lastWidth != 0 ? lastWidth - w : (vectors - 1) * w;
        ref float biasj = ref hasBias ? ref Unsafe.Add(ref bias, j) : ref bias;
        for (int p = 0; p < k; p += block)
        {
            int kc = Math.Min(block, k - p);
            ref float bp = ref Unsafe.Add(ref b, p * ldb + j);
            for (int r = 0; r < m; r += rows)
            {
                Tile<TW, TV>(Math.Min(rows, m - r), vectors, ref Unsafe.Add(ref a, r * aRow + p * aStep), aRow, aStep, ref bp, ldb,
                    ref Unsafe.Add(ref c, r * ldc + j), ldc, last, ref biasj, hasBias && p == 0, accumulate: p > 0 && !addToC, addToC, kc);
            }
        }
    }

    /// <summary>
    /// Over this many bytes of B's panel (as a 4 × 6 tile would read it), B no longer stays in L1 while the row tiles go by: each
    /// tile reads it from L2 again, and tall tiles (<see cref="TallTile{TW, TV, TR, TC}"/>, 8 rows × up to 3 vectors, the panels
    /// as even as they can be) read it half as often for the same 24 accumulators. Under it the wide tiles are faster: they write
    /// each row of C in one go. Measured on the Intel host (48 KiB L1, 2 MiB L2), paired in one process, tall over 4 × 6:
    /// y = x·W1 (a 301 KB panel) 0.93-0.95 of the time at batch 32 and 100; dW1 = xᵀ·da1 and the fused step 0.92-0.99 at
    /// batch 100 (a 38 KB panel of da1) but 1.07-1.15 at batch 32 (12 KB).
    /// </summary>
    private const int TallPanelBytes = 32 * 1024;

    /// <summary>
    /// Tall tiles pass over C once a panel, twice as many passes as the wide tiles make; over this many bytes of C, the passes
    /// after the first no longer find it in L2 (half of the 1 MiB of the Zen hosts). Measured on the Intel host for the fused
    /// step of SimpleConvNet's Dense(100), W += xᵀ·(−lr·da) with W 4320 × 100 (1.7 MB), at batch 100: tall tiles took 1.06-1.19
    /// of the time of wide ones, where for the 784 × 100 W1 (313 KB) they took 0.92-0.99.
    /// </summary>
    private const int TallOutputBytes = 512 * 1024;

    /// <summary>
    /// Without AVX-512, a product of 4 vectors (32 columns at 256 bits) takes 6 × 2 tiles, in two panels that each read all
    /// of A, only while A is at most this many bytes, so that the second pass finds it in L2; over it, one panel of 2 × 4.
    /// Measured on the Intel host with AVX-512 hidden, paired in one process, 6 × 2 over 2 × 4: y = x·W (784 → 32) took
    /// 0.91-0.95 of the time at 100 rows (A 313 KB) and 0.95-0.98 at 1000 (3.1 MB) but 1.12 at 4000 (12.5 MB); for 4320
    /// inputs, the fused step W += xᵀ·step 0.87-0.88 at batch 32 (A 553 KB), where dW = xᵀ·dout at batch 100 (1.7 MB) took 1.04.
    /// 1 MiB is under the 3.1 MB whose small gain it gives up, to keep clear of the loss that grows past it.
    /// </summary>
    private const int SplitInputBytes = 1024 * 1024;

    /// <summary>Whether <see cref="TailColumns{TW, TV}"/> takes the last <paramref name="tail"/> columns for this layout and shape (see there).</summary>
    private static bool TailFits(int aRow, int aStep, int m, int k, int tail) =>
        // A transposed: over fewer than 16 steps of k (dW at a small batch) the writes down the columns cost more than
        // the lanes saved. A row-major: copying B's columns costs about as much as the wasted lanes of 3 rows
        // (measured at k = 784, n = 100), and over fewer than TailDotSteps the sums across each dot product's lanes
        // cost more than the lanes saved.
        aRow == 1 ? k >= 16 : aStep == 1 && m >= 4 && k >= TailDotSteps && tail * k <= TailCopyLimit;

    /// <summary>
    /// The fewest steps of k for which a row-major product takes its last columns as dot products. Measured on the Intel
    /// host, paired in one process, the overlapping vector over the dot products for n = 100 (its last 4 columns) at
    /// batch 32 and 100: k = 10 (dx = dout·W2ᵀ of a 100 → 10 layer) 0.72-0.81 of the time, 32 0.78-0.80, 64 0.93-0.94,
    /// 100 0.89, 128 0.93-0.94; 160 1.00-1.03; 200 1.11, 784 1.17. Without AVX-512, at k = 10: 0.75-0.79.
    /// </summary>
    private const int TailDotSteps = 160;

    /// <summary>The most floats of B's last columns that <see cref="TailColumns{TW, TV}"/> copies to the stack (32 KiB).</summary>
    private const int TailCopyLimit = 8 * 1024;

    /// <summary>
    /// Columns <paramref name="jt"/> to n of C (fewer than half a vector) without the lanes an overlapping vector
    /// wastes, or false (nothing done) when A's layout has no such kernel:
    /// <list type="bullet">
    /// <item>A transposed (<paramref name="aRow"/> = 1, as in <c>dW = xᵀ·dout</c>): a column of A is contiguous, so
    /// vectors run down the rows of C, one accumulator per tail column (<see cref="ColumnTile{TW, TV, TR, TQ}"/>).
    /// Each element is summed in the order of <see cref="Tile{TW, TV, TR, TC}"/>, p = 0, 1, ..., with one
    /// fused multiply-add per term, so these columns get the very sums the vectors would have given them.</item>
    /// <item>A row-major (<paramref name="aStep"/> = 1, as in <c>y = x·W + b</c>): each element is the dot product of
    /// a row of A with a column of B; the tail columns of B are copied once, as rows, to the stack, and
    /// <see cref="RunTransposedBUpTo{TW, TV}"/> takes the products, 64 rows of C at a time.</item>
    /// </list>
    /// A transposed A over fewer than 16 steps of k, and a row-major A of fewer than 4 rows or over fewer than
    /// <see cref="TailDotSteps"/>, are left to the overlapping vector (false), where the copies, the column writes and the
    /// sums across lanes would cost more than they save. So the
    /// last columns of a row-major product round differently (the dot products sum in another order) in a
    /// call of 1 to 3 rows than in a call of 4 or more; a caller that splits rows between threads keeps this
    /// bit-exact by giving no thread fewer than 4 rows of a product it would otherwise run whole.
    /// </summary>
    [SkipLocalsInit]
    private static bool TailColumns<TW, TV>(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int ldb, int ldc, int jt, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int tail = n - jt, w = TW.Count;
        ref float bt0 = ref Unsafe.Add(ref b, jt);
        ref float biast = ref hasBias ? ref Unsafe.Add(ref bias, jt) : ref bias;
        Span<float> lanes = stackalloc float[16];
        ref float lane = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(lanes);
        if (!TailFits(aRow, aStep, m, k, tail)) return false;
        if (aRow == 1)
        {
            int i = 0;
            for (; i + 2 * w <= m; i += 2 * w)
                ColumnTile<TW, TV>(2, tail, ref Unsafe.Add(ref a, i), aStep, ref bt0, ldb, ref Unsafe.Add(ref c, i * ldc + jt), ldc, ref biast, hasBias, addToC, k, ref lane);
            for (; i + w <= m; i += w)
                ColumnTile<TW, TV>(1, tail, ref Unsafe.Add(ref a, i), aStep, ref bt0, ldb, ref Unsafe.Add(ref c, i * ldc + jt), ldc, ref biast, hasBias, addToC, k, ref lane);
            for (; i < m; i++)
                for (int q = 0; q < tail; q++)
                {
                    float sum = hasBias ? Unsafe.Add(ref biast, q) : 0f;
                    for (int p = 0; p < k; p++)
                        sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i + p * aStep), Unsafe.Add(ref bt0, p * ldb + q), sum);
                    ref float cij = ref Unsafe.Add(ref c, i * ldc + jt + q);
                    cij = addToC ? cij + sum : sum;
                }
            return true;
        }
        // Bᵀ's last rows: bt[q, p] = B[p, jt + q].
        Span<float> bt = stackalloc float[tail * k];
        ref float btr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(bt);
        int p0 = 0;
        if (tail == 4 && System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            // Four columns: 4 × 4 blocks transposed in registers.
            for (; p0 + 4 <= k; p0 += 4)
            {
                ref float bp = ref Unsafe.Add(ref bt0, p0 * ldb);
                Vector128<float> r0 = Vector128.LoadUnsafe(ref bp), r1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref bp, ldb));
                Vector128<float> r2 = Vector128.LoadUnsafe(ref Unsafe.Add(ref bp, 2 * ldb)), r3 = Vector128.LoadUnsafe(ref Unsafe.Add(ref bp, 3 * ldb));
                Vector128<float> t0 = System.Runtime.Intrinsics.X86.Sse.UnpackLow(r0, r1), t1 = System.Runtime.Intrinsics.X86.Sse.UnpackHigh(r0, r1);
                Vector128<float> t2 = System.Runtime.Intrinsics.X86.Sse.UnpackLow(r2, r3), t3 = System.Runtime.Intrinsics.X86.Sse.UnpackHigh(r2, r3);
                System.Runtime.Intrinsics.X86.Sse.MoveLowToHigh(t0, t2).StoreUnsafe(ref Unsafe.Add(ref btr, p0));
                System.Runtime.Intrinsics.X86.Sse.MoveHighToLow(t2, t0).StoreUnsafe(ref Unsafe.Add(ref btr, k + p0));
                System.Runtime.Intrinsics.X86.Sse.MoveLowToHigh(t1, t3).StoreUnsafe(ref Unsafe.Add(ref btr, 2 * k + p0));
                System.Runtime.Intrinsics.X86.Sse.MoveHighToLow(t3, t1).StoreUnsafe(ref Unsafe.Add(ref btr, 3 * k + p0));
            }
        }
        for (int p = p0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bt0, p * ldb);
            for (int q = 0; q < tail; q++) Unsafe.Add(ref btr, q * k + p) = Unsafe.Add(ref bp, q);
        }
        const int Chunk = 64;
        Span<float> products = stackalloc float[Chunk * 8];
        ref float pr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(products);
        for (int i = 0; i < m; i += Chunk)
        {
            int rows = Math.Min(Chunk, m - i);
            RunTransposedBUpTo<TW, TV>(ref Unsafe.Add(ref a, i * aRow), aRow, ref btr, k, ref pr, rows, tail, k);
            for (int r = 0; r < rows; r++)
            {
                ref float cr = ref Unsafe.Add(ref c, (i + r) * ldc + jt);
                for (int q = 0; q < tail; q++)
                {
                    float v = Unsafe.Add(ref pr, r * tail + q) + (hasBias ? Unsafe.Add(ref biast, q) : 0f);
                    Unsafe.Add(ref cr, q) = addToC ? Unsafe.Add(ref cr, q) + v : v;
                }
            }
        }
        return true;
    }

    /// <summary>Picks the column tile compiled for this shape (1 or 2 vectors of rows × 1 to 8 columns).</summary>
    private static void ColumnTile<TW, TV>(int rowVectors, int columns, ref float a, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, bool addToC, int k, ref float lanes)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (rowVectors == 2)
        {
            switch (columns)
            {
                case 1: ColumnTile<TW, TV, Count2, Count1>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 2: ColumnTile<TW, TV, Count2, Count2>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 3: ColumnTile<TW, TV, Count2, Count3>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 4: ColumnTile<TW, TV, Count2, Count4>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 5: ColumnTile<TW, TV, Count2, Count5>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 6: ColumnTile<TW, TV, Count2, Count6>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                case 7: ColumnTile<TW, TV, Count2, Count7>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
                default: ColumnTile<TW, TV, Count2, Count8>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            }
            return;
        }
        switch (columns)
        {
            case 1: ColumnTile<TW, TV, Count1, Count1>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 2: ColumnTile<TW, TV, Count1, Count2>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 3: ColumnTile<TW, TV, Count1, Count3>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 4: ColumnTile<TW, TV, Count1, Count4>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 5: ColumnTile<TW, TV, Count1, Count5>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 6: ColumnTile<TW, TV, Count1, Count6>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            case 7: ColumnTile<TW, TV, Count1, Count7>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
            default: ColumnTile<TW, TV, Count1, Count8>(ref a, aStep, ref b, ldb, ref c, ldc, ref bias, hasBias, addToC, k, ref lanes); break;
        }
    }

    /// <summary>
    /// <typeparamref name="TR"/> vectors of rows (1 or 2) × <typeparamref name="TQ"/> columns (1 to 8) of C for A
    /// transposed (<c>A[i, p] = a[i + p·aStep]</c>): per step of k, one load of A per vector of rows, one broadcast
    /// of B per column, one multiply-add per accumulator. The sums are then written down their columns.
    /// </summary>
    /// <remarks>Written out longhand, like <see cref="Tile{TW, TV, TR, TC}"/>: every accumulator a named local.</remarks>
    [SkipLocalsInit]
    private static void ColumnTile<TW, TV, TR, TQ>(ref float a, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, bool addToC, int k, ref float lanes)
        where TW : struct, IWidth<TV> where TV : struct where TR : struct, ICount where TQ : struct, ICount
    {
        nint w = TW.Count;
        int rows = TR.Value, columns = TQ.Value;
        TV i0 = hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 0)) : TW.Zero;
        TV i1 = columns > 1 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 1)) : TW.Zero;
        TV i2 = columns > 2 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 2)) : TW.Zero;
        TV i3 = columns > 3 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 3)) : TW.Zero;
        TV i4 = columns > 4 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 4)) : TW.Zero;
        TV i5 = columns > 5 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 5)) : TW.Zero;
        TV i6 = columns > 6 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 6)) : TW.Zero;
        TV i7 = columns > 7 && hasBias ? TW.Broadcast(Unsafe.Add(ref bias, 7)) : TW.Zero;
        TV s00 = i0, s01 = i1, s02 = i2, s03 = i3, s04 = i4, s05 = i5, s06 = i6, s07 = i7;
        TV s10 = i0, s11 = i1, s12 = i2, s13 = i3, s14 = i4, s15 = i5, s16 = i6, s17 = i7;
        for (nint p = 0; p < k; p++)
        {
            ref float ap = ref Unsafe.Add(ref a, p * aStep);
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            TV x0 = TW.Load(ref ap, 0);
            TV x1 = rows > 1 ? TW.Load(ref ap, w) : default;
            { TV y = TW.Broadcast(Unsafe.Add(ref bp, 0)); s00 = TW.MultiplyAdd(x0, y, s00); if (rows > 1) s10 = TW.MultiplyAdd(x1, y, s10); }
            if (columns > 1) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 1)); s01 = TW.MultiplyAdd(x0, y, s01); if (rows > 1) s11 = TW.MultiplyAdd(x1, y, s11); }
            if (columns > 2) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 2)); s02 = TW.MultiplyAdd(x0, y, s02); if (rows > 1) s12 = TW.MultiplyAdd(x1, y, s12); }
            if (columns > 3) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 3)); s03 = TW.MultiplyAdd(x0, y, s03); if (rows > 1) s13 = TW.MultiplyAdd(x1, y, s13); }
            if (columns > 4) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 4)); s04 = TW.MultiplyAdd(x0, y, s04); if (rows > 1) s14 = TW.MultiplyAdd(x1, y, s14); }
            if (columns > 5) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 5)); s05 = TW.MultiplyAdd(x0, y, s05); if (rows > 1) s15 = TW.MultiplyAdd(x1, y, s15); }
            if (columns > 6) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 6)); s06 = TW.MultiplyAdd(x0, y, s06); if (rows > 1) s16 = TW.MultiplyAdd(x1, y, s16); }
            if (columns > 7) { TV y = TW.Broadcast(Unsafe.Add(ref bp, 7)); s07 = TW.MultiplyAdd(x0, y, s07); if (rows > 1) s17 = TW.MultiplyAdd(x1, y, s17); }
        }
        WriteColumn<TW, TV>(s00, ref c, ldc, addToC, ref lanes);
        if (columns > 1) WriteColumn<TW, TV>(s01, ref Unsafe.Add(ref c, 1), ldc, addToC, ref lanes);
        if (columns > 2) WriteColumn<TW, TV>(s02, ref Unsafe.Add(ref c, 2), ldc, addToC, ref lanes);
        if (columns > 3) WriteColumn<TW, TV>(s03, ref Unsafe.Add(ref c, 3), ldc, addToC, ref lanes);
        if (columns > 4) WriteColumn<TW, TV>(s04, ref Unsafe.Add(ref c, 4), ldc, addToC, ref lanes);
        if (columns > 5) WriteColumn<TW, TV>(s05, ref Unsafe.Add(ref c, 5), ldc, addToC, ref lanes);
        if (columns > 6) WriteColumn<TW, TV>(s06, ref Unsafe.Add(ref c, 6), ldc, addToC, ref lanes);
        if (columns > 7) WriteColumn<TW, TV>(s07, ref Unsafe.Add(ref c, 7), ldc, addToC, ref lanes);
        if (rows > 1)
        {
            ref float c1 = ref Unsafe.Add(ref c, w * ldc);
            WriteColumn<TW, TV>(s10, ref c1, ldc, addToC, ref lanes);
            if (columns > 1) WriteColumn<TW, TV>(s11, ref Unsafe.Add(ref c1, 1), ldc, addToC, ref lanes);
            if (columns > 2) WriteColumn<TW, TV>(s12, ref Unsafe.Add(ref c1, 2), ldc, addToC, ref lanes);
            if (columns > 3) WriteColumn<TW, TV>(s13, ref Unsafe.Add(ref c1, 3), ldc, addToC, ref lanes);
            if (columns > 4) WriteColumn<TW, TV>(s14, ref Unsafe.Add(ref c1, 4), ldc, addToC, ref lanes);
            if (columns > 5) WriteColumn<TW, TV>(s15, ref Unsafe.Add(ref c1, 5), ldc, addToC, ref lanes);
            if (columns > 6) WriteColumn<TW, TV>(s16, ref Unsafe.Add(ref c1, 6), ldc, addToC, ref lanes);
            if (columns > 7) WriteColumn<TW, TV>(s17, ref Unsafe.Add(ref c1, 7), ldc, addToC, ref lanes);
        }
    }

    /// <summary>Writes (or with <paramref name="addToC"/> adds) the lanes of <paramref name="v"/> down a column of C, <paramref name="ldc"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteColumn<TW, TV>(TV v, ref float c, nint ldc, bool addToC, ref float lanes)
        where TW : struct, IWidth<TV> where TV : struct
    {
        TW.Store(v, ref lanes, 0);
        for (nint l = 0; l < TW.Count; l++)
        {
            ref float cl = ref Unsafe.Add(ref c, l * ldc);
            cl = addToC ? cl + Unsafe.Add(ref lanes, l) : Unsafe.Add(ref lanes, l);
        }
    }

    /// <summary>
    /// The bytes of a panel of B that one block of k may use, to stay in L2 beside A and C. Measured on Zen 5
    /// (48 KiB L1, 1 MiB L2) for y = x·W1 at batch 32 and 100 (k = 784, a 301 KB panel): blocks of 24 KiB
    /// (L1-sized, the earlier choice, measured on Zen 4 against 8 KiB) 5-7% slower than one block, 160 and
    /// 320 KiB within noise of one block; for dW1 at batch 100 one pass over dW1 and two within noise.
    /// </summary>
    private const int BlockBytes = 256 * 1024;

    /// <summary>Picks the tile compiled for this shape.</summary>
    private static void Tile<TW, TV>(int rows, int vectors, ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (rows > 4)
        {
            TallTile<TW, TV>(rows, vectors, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k);
            return;
        }
        switch (vectors)
        {
            case 1: Tile<TW, TV, Count1>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 2: Tile<TW, TV, Count2>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 3: Tile<TW, TV, Count3>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 4: Tile<TW, TV, Count4>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 5: Tile<TW, TV, Count5>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 6: Tile<TW, TV, Count6>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 7: Tile<TW, TV, Count7>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 8: Tile<TW, TV, Count8>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 9: Tile<TW, TV, Count9>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 10: Tile<TW, TV, Count10>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 11: Tile<TW, TV, Count11>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 12: Tile<TW, TV, Count12>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            default: Tile<TW, TV, Count13>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
        }
    }

    private static void Tile<TW, TV, TC>(int rows, ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct where TC : struct, ICount
    {
        switch (rows)
        {
            case 1: Tile<TW, TV, Count1, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 2: Tile<TW, TV, Count2, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 3: Tile<TW, TV, Count3, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            default: Tile<TW, TV, Count4, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
        }
    }

    /// <summary>
    /// One register tile: <typeparamref name="TR"/> rows (1 to 4) × <typeparamref name="TC"/> vectors (1 to 13) of C,
    /// summed over all k. Both counts are type arguments, so the JIT compiles one copy per shape
    /// with the unused accumulators and their branches removed. The last vector starts at column
    /// <paramref name="last"/>, which may overlap the one before it: overlapping lanes compute the
    /// same sums, so a row whose width is not a multiple of the vector needs no scalar tail.
    /// </summary>
    /// <remarks>Written out longhand on purpose: every accumulator is a named local the JIT can keep in a register.</remarks>
    [SkipLocalsInit]
    private static void Tile<TW, TV, TR, TC>(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct where TR : struct, ICount where TC : struct, ICount
    {
        nint w = TW.Count;
        int rows = TR.Value, vectors = TC.Value;
        // Where each vector of the tile starts: v·w, except the last, which starts at `last`.
        nint o0 = vectors == 1 ? last : 0 * w;
        nint o1 = vectors == 2 ? last : 1 * w;
        nint o2 = vectors == 3 ? last : 2 * w;
        nint o3 = vectors == 4 ? last : 3 * w;
        nint o4 = vectors == 5 ? last : 4 * w;
        nint o5 = vectors == 6 ? last : 5 * w;
        nint o6 = vectors == 7 ? last : 6 * w;
        nint o7 = vectors == 8 ? last : 7 * w;
        nint o8 = vectors == 9 ? last : 8 * w;
        nint o9 = vectors == 10 ? last : 9 * w;
        nint o10 = vectors == 11 ? last : 10 * w;
        nint o11 = vectors == 12 ? last : 11 * w;
        nint o12 = vectors == 13 ? last : 12 * w;
        TV i0 = vectors > 0 && hasBias && !accumulate ? TW.Load(ref bias, o0) : TW.Zero;
        TV i1 = vectors > 1 && hasBias && !accumulate ? TW.Load(ref bias, o1) : TW.Zero;
        TV i2 = vectors > 2 && hasBias && !accumulate ? TW.Load(ref bias, o2) : TW.Zero;
        TV i3 = vectors > 3 && hasBias && !accumulate ? TW.Load(ref bias, o3) : TW.Zero;
        TV i4 = vectors > 4 && hasBias && !accumulate ? TW.Load(ref bias, o4) : TW.Zero;
        TV i5 = vectors > 5 && hasBias && !accumulate ? TW.Load(ref bias, o5) : TW.Zero;
        TV i6 = vectors > 6 && hasBias && !accumulate ? TW.Load(ref bias, o6) : TW.Zero;
        TV i7 = vectors > 7 && hasBias && !accumulate ? TW.Load(ref bias, o7) : TW.Zero;
        TV i8 = vectors > 8 && hasBias && !accumulate ? TW.Load(ref bias, o8) : TW.Zero;
        TV i9 = vectors > 9 && hasBias && !accumulate ? TW.Load(ref bias, o9) : TW.Zero;
        TV i10 = vectors > 10 && hasBias && !accumulate ? TW.Load(ref bias, o10) : TW.Zero;
        TV i11 = vectors > 11 && hasBias && !accumulate ? TW.Load(ref bias, o11) : TW.Zero;
        TV i12 = vectors > 12 && hasBias && !accumulate ? TW.Load(ref bias, o12) : TW.Zero;
        TV c00 = i0, c01 = i1, c02 = i2, c03 = i3, c04 = i4, c05 = i5, c06 = i6, c07 = i7, c08 = i8, c09 = i9, c010 = i10, c011 = i11, c012 = i12;
        TV c10 = i0, c11 = i1, c12 = i2, c13 = i3, c14 = i4, c15 = i5, c16 = i6, c17 = i7, c18 = i8, c19 = i9, c110 = i10, c111 = i11, c112 = i12;
        TV c20 = i0, c21 = i1, c22 = i2, c23 = i3, c24 = i4, c25 = i5, c26 = i6, c27 = i7, c28 = i8, c29 = i9, c210 = i10, c211 = i11, c212 = i12;
        TV c30 = i0, c31 = i1, c32 = i2, c33 = i3, c34 = i4, c35 = i5, c36 = i6, c37 = i7, c38 = i8, c39 = i9, c310 = i10, c311 = i11, c312 = i12;
        if (accumulate)
        {
            // A later block of k: carry on from the sums stored so far (the same order of additions as in one pass).
            {
                ref float cr = ref Unsafe.Add(ref c, 0 * ldc);
                c00 = TW.Load(ref cr, o0);
                if (vectors > 1) c01 = TW.Load(ref cr, o1);
                if (vectors > 2) c02 = TW.Load(ref cr, o2);
                if (vectors > 3) c03 = TW.Load(ref cr, o3);
                if (vectors > 4) c04 = TW.Load(ref cr, o4);
                if (vectors > 5) c05 = TW.Load(ref cr, o5);
                if (vectors > 6) c06 = TW.Load(ref cr, o6);
                if (vectors > 7) c07 = TW.Load(ref cr, o7);
                if (vectors > 8) c08 = TW.Load(ref cr, o8);
                if (vectors > 9) c09 = TW.Load(ref cr, o9);
                if (vectors > 10) c010 = TW.Load(ref cr, o10);
                if (vectors > 11) c011 = TW.Load(ref cr, o11);
                if (vectors > 12) c012 = TW.Load(ref cr, o12);
            }
            if (rows > 1) {
                ref float cr = ref Unsafe.Add(ref c, 1 * ldc);
                c10 = TW.Load(ref cr, o0);
                if (vectors > 1) c11 = TW.Load(ref cr, o1);
                if (vectors > 2) c12 = TW.Load(ref cr, o2);
                if (vectors > 3) c13 = TW.Load(ref cr, o3);
                if (vectors > 4) c14 = TW.Load(ref cr, o4);
                if (vectors > 5) c15 = TW.Load(ref cr, o5);
                if (vectors > 6) c16 = TW.Load(ref cr, o6);
                if (vectors > 7) c17 = TW.Load(ref cr, o7);
                if (vectors > 8) c18 = TW.Load(ref cr, o8);
                if (vectors > 9) c19 = TW.Load(ref cr, o9);
                if (vectors > 10) c110 = TW.Load(ref cr, o10);
                if (vectors > 11) c111 = TW.Load(ref cr, o11);
                if (vectors > 12) c112 = TW.Load(ref cr, o12);
            }
            if (rows > 2) {
                ref float cr = ref Unsafe.Add(ref c, 2 * ldc);
                c20 = TW.Load(ref cr, o0);
                if (vectors > 1) c21 = TW.Load(ref cr, o1);
                if (vectors > 2) c22 = TW.Load(ref cr, o2);
                if (vectors > 3) c23 = TW.Load(ref cr, o3);
                if (vectors > 4) c24 = TW.Load(ref cr, o4);
                if (vectors > 5) c25 = TW.Load(ref cr, o5);
                if (vectors > 6) c26 = TW.Load(ref cr, o6);
                if (vectors > 7) c27 = TW.Load(ref cr, o7);
                if (vectors > 8) c28 = TW.Load(ref cr, o8);
                if (vectors > 9) c29 = TW.Load(ref cr, o9);
                if (vectors > 10) c210 = TW.Load(ref cr, o10);
                if (vectors > 11) c211 = TW.Load(ref cr, o11);
                if (vectors > 12) c212 = TW.Load(ref cr, o12);
            }
            if (rows > 3) {
                ref float cr = ref Unsafe.Add(ref c, 3 * ldc);
                c30 = TW.Load(ref cr, o0);
                if (vectors > 1) c31 = TW.Load(ref cr, o1);
                if (vectors > 2) c32 = TW.Load(ref cr, o2);
                if (vectors > 3) c33 = TW.Load(ref cr, o3);
                if (vectors > 4) c34 = TW.Load(ref cr, o4);
                if (vectors > 5) c35 = TW.Load(ref cr, o5);
                if (vectors > 6) c36 = TW.Load(ref cr, o6);
                if (vectors > 7) c37 = TW.Load(ref cr, o7);
                if (vectors > 8) c38 = TW.Load(ref cr, o8);
                if (vectors > 9) c39 = TW.Load(ref cr, o9);
                if (vectors > 10) c310 = TW.Load(ref cr, o10);
                if (vectors > 11) c311 = TW.Load(ref cr, o11);
                if (vectors > 12) c312 = TW.Load(ref cr, o12);
            }
        }
        // Rows past the tile alias row 0, so no reference points outside the arrays.
        ref float a1 = ref rows > 1 ? ref Unsafe.Add(ref a, aRow) : ref a;
        ref float a2 = ref rows > 2 ? ref Unsafe.Add(ref a, 2 * aRow) : ref a;
        ref float a3 = ref rows > 3 ? ref Unsafe.Add(ref a, 3 * aRow) : ref a;
        for (nint p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            if (rows == 1)
            {
                // One row: each load of B is used once, inside its multiply-add, so no register holds it.
                TV x = TW.Broadcast(Unsafe.Add(ref a, p * aStep));
                c00 = TW.MultiplyAdd(x, TW.Load(ref bp, o0), c00);
                if (vectors > 1) c01 = TW.MultiplyAdd(x, TW.Load(ref bp, o1), c01);
                if (vectors > 2) c02 = TW.MultiplyAdd(x, TW.Load(ref bp, o2), c02);
                if (vectors > 3) c03 = TW.MultiplyAdd(x, TW.Load(ref bp, o3), c03);
                if (vectors > 4) c04 = TW.MultiplyAdd(x, TW.Load(ref bp, o4), c04);
                if (vectors > 5) c05 = TW.MultiplyAdd(x, TW.Load(ref bp, o5), c05);
                if (vectors > 6) c06 = TW.MultiplyAdd(x, TW.Load(ref bp, o6), c06);
                if (vectors > 7) c07 = TW.MultiplyAdd(x, TW.Load(ref bp, o7), c07);
                if (vectors > 8) c08 = TW.MultiplyAdd(x, TW.Load(ref bp, o8), c08);
                if (vectors > 9) c09 = TW.MultiplyAdd(x, TW.Load(ref bp, o9), c09);
                if (vectors > 10) c010 = TW.MultiplyAdd(x, TW.Load(ref bp, o10), c010);
                if (vectors > 11) c011 = TW.MultiplyAdd(x, TW.Load(ref bp, o11), c011);
                if (vectors > 12) c012 = TW.MultiplyAdd(x, TW.Load(ref bp, o12), c012);
                continue;
            }
            TV b0 = TW.Load(ref bp, o0);
            TV b1 = vectors > 1 ? TW.Load(ref bp, o1) : default;
            TV b2 = vectors > 2 ? TW.Load(ref bp, o2) : default;
            TV b3 = vectors > 3 ? TW.Load(ref bp, o3) : default;
            TV b4 = vectors > 4 ? TW.Load(ref bp, o4) : default;
            TV b5 = vectors > 5 ? TW.Load(ref bp, o5) : default;
            TV b6 = vectors > 6 ? TW.Load(ref bp, o6) : default;
            TV b7 = vectors > 7 ? TW.Load(ref bp, o7) : default;
            TV b8 = vectors > 8 ? TW.Load(ref bp, o8) : default;
            TV b9 = vectors > 9 ? TW.Load(ref bp, o9) : default;
            TV b10 = vectors > 10 ? TW.Load(ref bp, o10) : default;
            TV b11 = vectors > 11 ? TW.Load(ref bp, o11) : default;
            TV b12 = vectors > 12 ? TW.Load(ref bp, o12) : default;
            nint ap = p * aStep;
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a, ap));
                c00 = TW.MultiplyAdd(x, b0, c00);
                if (vectors > 1) c01 = TW.MultiplyAdd(x, b1, c01);
                if (vectors > 2) c02 = TW.MultiplyAdd(x, b2, c02);
                if (vectors > 3) c03 = TW.MultiplyAdd(x, b3, c03);
                if (vectors > 4) c04 = TW.MultiplyAdd(x, b4, c04);
                if (vectors > 5) c05 = TW.MultiplyAdd(x, b5, c05);
                if (vectors > 6) c06 = TW.MultiplyAdd(x, b6, c06);
                if (vectors > 7) c07 = TW.MultiplyAdd(x, b7, c07);
                if (vectors > 8) c08 = TW.MultiplyAdd(x, b8, c08);
                if (vectors > 9) c09 = TW.MultiplyAdd(x, b9, c09);
                if (vectors > 10) c010 = TW.MultiplyAdd(x, b10, c010);
                if (vectors > 11) c011 = TW.MultiplyAdd(x, b11, c011);
                if (vectors > 12) c012 = TW.MultiplyAdd(x, b12, c012);
            }
            if (rows > 1) {
                TV x = TW.Broadcast(Unsafe.Add(ref a1, ap));
                c10 = TW.MultiplyAdd(x, b0, c10);
                if (vectors > 1) c11 = TW.MultiplyAdd(x, b1, c11);
                if (vectors > 2) c12 = TW.MultiplyAdd(x, b2, c12);
                if (vectors > 3) c13 = TW.MultiplyAdd(x, b3, c13);
                if (vectors > 4) c14 = TW.MultiplyAdd(x, b4, c14);
                if (vectors > 5) c15 = TW.MultiplyAdd(x, b5, c15);
                if (vectors > 6) c16 = TW.MultiplyAdd(x, b6, c16);
                if (vectors > 7) c17 = TW.MultiplyAdd(x, b7, c17);
                if (vectors > 8) c18 = TW.MultiplyAdd(x, b8, c18);
                if (vectors > 9) c19 = TW.MultiplyAdd(x, b9, c19);
                if (vectors > 10) c110 = TW.MultiplyAdd(x, b10, c110);
                if (vectors > 11) c111 = TW.MultiplyAdd(x, b11, c111);
                if (vectors > 12) c112 = TW.MultiplyAdd(x, b12, c112);
            }
            if (rows > 2) {
                TV x = TW.Broadcast(Unsafe.Add(ref a2, ap));
                c20 = TW.MultiplyAdd(x, b0, c20);
                if (vectors > 1) c21 = TW.MultiplyAdd(x, b1, c21);
                if (vectors > 2) c22 = TW.MultiplyAdd(x, b2, c22);
                if (vectors > 3) c23 = TW.MultiplyAdd(x, b3, c23);
                if (vectors > 4) c24 = TW.MultiplyAdd(x, b4, c24);
                if (vectors > 5) c25 = TW.MultiplyAdd(x, b5, c25);
                if (vectors > 6) c26 = TW.MultiplyAdd(x, b6, c26);
                if (vectors > 7) c27 = TW.MultiplyAdd(x, b7, c27);
                if (vectors > 8) c28 = TW.MultiplyAdd(x, b8, c28);
                if (vectors > 9) c29 = TW.MultiplyAdd(x, b9, c29);
                if (vectors > 10) c210 = TW.MultiplyAdd(x, b10, c210);
                if (vectors > 11) c211 = TW.MultiplyAdd(x, b11, c211);
                if (vectors > 12) c212 = TW.MultiplyAdd(x, b12, c212);
            }
            if (rows > 3) {
                TV x = TW.Broadcast(Unsafe.Add(ref a3, ap));
                c30 = TW.MultiplyAdd(x, b0, c30);
                if (vectors > 1) c31 = TW.MultiplyAdd(x, b1, c31);
                if (vectors > 2) c32 = TW.MultiplyAdd(x, b2, c32);
                if (vectors > 3) c33 = TW.MultiplyAdd(x, b3, c33);
                if (vectors > 4) c34 = TW.MultiplyAdd(x, b4, c34);
                if (vectors > 5) c35 = TW.MultiplyAdd(x, b5, c35);
                if (vectors > 6) c36 = TW.MultiplyAdd(x, b6, c36);
                if (vectors > 7) c37 = TW.MultiplyAdd(x, b7, c37);
                if (vectors > 8) c38 = TW.MultiplyAdd(x, b8, c38);
                if (vectors > 9) c39 = TW.MultiplyAdd(x, b9, c39);
                if (vectors > 10) c310 = TW.MultiplyAdd(x, b10, c310);
                if (vectors > 11) c311 = TW.MultiplyAdd(x, b11, c311);
                if (vectors > 12) c312 = TW.MultiplyAdd(x, b12, c312);
            }
        }
        {
            ref float cr = ref Unsafe.Add(ref c, 0 * ldc);
            if (addToC)
            {
                // C += the tile: every load of the row before any store, as the last vector may overlap another.
                c00 = TW.Add(TW.Load(ref cr, o0), c00);
                if (vectors > 1) c01 = TW.Add(TW.Load(ref cr, o1), c01);
                if (vectors > 2) c02 = TW.Add(TW.Load(ref cr, o2), c02);
                if (vectors > 3) c03 = TW.Add(TW.Load(ref cr, o3), c03);
                if (vectors > 4) c04 = TW.Add(TW.Load(ref cr, o4), c04);
                if (vectors > 5) c05 = TW.Add(TW.Load(ref cr, o5), c05);
                if (vectors > 6) c06 = TW.Add(TW.Load(ref cr, o6), c06);
                if (vectors > 7) c07 = TW.Add(TW.Load(ref cr, o7), c07);
                if (vectors > 8) c08 = TW.Add(TW.Load(ref cr, o8), c08);
                if (vectors > 9) c09 = TW.Add(TW.Load(ref cr, o9), c09);
                if (vectors > 10) c010 = TW.Add(TW.Load(ref cr, o10), c010);
                if (vectors > 11) c011 = TW.Add(TW.Load(ref cr, o11), c011);
                if (vectors > 12) c012 = TW.Add(TW.Load(ref cr, o12), c012);
            }
            TW.Store(c00, ref cr, o0);
            if (vectors > 1) TW.Store(c01, ref cr, o1);
            if (vectors > 2) TW.Store(c02, ref cr, o2);
            if (vectors > 3) TW.Store(c03, ref cr, o3);
            if (vectors > 4) TW.Store(c04, ref cr, o4);
            if (vectors > 5) TW.Store(c05, ref cr, o5);
            if (vectors > 6) TW.Store(c06, ref cr, o6);
            if (vectors > 7) TW.Store(c07, ref cr, o7);
            if (vectors > 8) TW.Store(c08, ref cr, o8);
            if (vectors > 9) TW.Store(c09, ref cr, o9);
            if (vectors > 10) TW.Store(c010, ref cr, o10);
            if (vectors > 11) TW.Store(c011, ref cr, o11);
            if (vectors > 12) TW.Store(c012, ref cr, o12);
        }
        if (rows > 1) {
            ref float cr = ref Unsafe.Add(ref c, 1 * ldc);
            if (addToC)
            {
                // C += the tile: every load of the row before any store, as the last vector may overlap another.
                c10 = TW.Add(TW.Load(ref cr, o0), c10);
                if (vectors > 1) c11 = TW.Add(TW.Load(ref cr, o1), c11);
                if (vectors > 2) c12 = TW.Add(TW.Load(ref cr, o2), c12);
                if (vectors > 3) c13 = TW.Add(TW.Load(ref cr, o3), c13);
                if (vectors > 4) c14 = TW.Add(TW.Load(ref cr, o4), c14);
                if (vectors > 5) c15 = TW.Add(TW.Load(ref cr, o5), c15);
                if (vectors > 6) c16 = TW.Add(TW.Load(ref cr, o6), c16);
                if (vectors > 7) c17 = TW.Add(TW.Load(ref cr, o7), c17);
                if (vectors > 8) c18 = TW.Add(TW.Load(ref cr, o8), c18);
                if (vectors > 9) c19 = TW.Add(TW.Load(ref cr, o9), c19);
                if (vectors > 10) c110 = TW.Add(TW.Load(ref cr, o10), c110);
                if (vectors > 11) c111 = TW.Add(TW.Load(ref cr, o11), c111);
                if (vectors > 12) c112 = TW.Add(TW.Load(ref cr, o12), c112);
            }
            TW.Store(c10, ref cr, o0);
            if (vectors > 1) TW.Store(c11, ref cr, o1);
            if (vectors > 2) TW.Store(c12, ref cr, o2);
            if (vectors > 3) TW.Store(c13, ref cr, o3);
            if (vectors > 4) TW.Store(c14, ref cr, o4);
            if (vectors > 5) TW.Store(c15, ref cr, o5);
            if (vectors > 6) TW.Store(c16, ref cr, o6);
            if (vectors > 7) TW.Store(c17, ref cr, o7);
            if (vectors > 8) TW.Store(c18, ref cr, o8);
            if (vectors > 9) TW.Store(c19, ref cr, o9);
            if (vectors > 10) TW.Store(c110, ref cr, o10);
            if (vectors > 11) TW.Store(c111, ref cr, o11);
            if (vectors > 12) TW.Store(c112, ref cr, o12);
        }
        if (rows > 2) {
            ref float cr = ref Unsafe.Add(ref c, 2 * ldc);
            if (addToC)
            {
                // C += the tile: every load of the row before any store, as the last vector may overlap another.
                c20 = TW.Add(TW.Load(ref cr, o0), c20);
                if (vectors > 1) c21 = TW.Add(TW.Load(ref cr, o1), c21);
                if (vectors > 2) c22 = TW.Add(TW.Load(ref cr, o2), c22);
                if (vectors > 3) c23 = TW.Add(TW.Load(ref cr, o3), c23);
                if (vectors > 4) c24 = TW.Add(TW.Load(ref cr, o4), c24);
                if (vectors > 5) c25 = TW.Add(TW.Load(ref cr, o5), c25);
                if (vectors > 6) c26 = TW.Add(TW.Load(ref cr, o6), c26);
                if (vectors > 7) c27 = TW.Add(TW.Load(ref cr, o7), c27);
                if (vectors > 8) c28 = TW.Add(TW.Load(ref cr, o8), c28);
                if (vectors > 9) c29 = TW.Add(TW.Load(ref cr, o9), c29);
                if (vectors > 10) c210 = TW.Add(TW.Load(ref cr, o10), c210);
                if (vectors > 11) c211 = TW.Add(TW.Load(ref cr, o11), c211);
                if (vectors > 12) c212 = TW.Add(TW.Load(ref cr, o12), c212);
            }
            TW.Store(c20, ref cr, o0);
            if (vectors > 1) TW.Store(c21, ref cr, o1);
            if (vectors > 2) TW.Store(c22, ref cr, o2);
            if (vectors > 3) TW.Store(c23, ref cr, o3);
            if (vectors > 4) TW.Store(c24, ref cr, o4);
            if (vectors > 5) TW.Store(c25, ref cr, o5);
            if (vectors > 6) TW.Store(c26, ref cr, o6);
            if (vectors > 7) TW.Store(c27, ref cr, o7);
            if (vectors > 8) TW.Store(c28, ref cr, o8);
            if (vectors > 9) TW.Store(c29, ref cr, o9);
            if (vectors > 10) TW.Store(c210, ref cr, o10);
            if (vectors > 11) TW.Store(c211, ref cr, o11);
            if (vectors > 12) TW.Store(c212, ref cr, o12);
        }
        if (rows > 3) {
            ref float cr = ref Unsafe.Add(ref c, 3 * ldc);
            if (addToC)
            {
                // C += the tile: every load of the row before any store, as the last vector may overlap another.
                c30 = TW.Add(TW.Load(ref cr, o0), c30);
                if (vectors > 1) c31 = TW.Add(TW.Load(ref cr, o1), c31);
                if (vectors > 2) c32 = TW.Add(TW.Load(ref cr, o2), c32);
                if (vectors > 3) c33 = TW.Add(TW.Load(ref cr, o3), c33);
                if (vectors > 4) c34 = TW.Add(TW.Load(ref cr, o4), c34);
                if (vectors > 5) c35 = TW.Add(TW.Load(ref cr, o5), c35);
                if (vectors > 6) c36 = TW.Add(TW.Load(ref cr, o6), c36);
                if (vectors > 7) c37 = TW.Add(TW.Load(ref cr, o7), c37);
                if (vectors > 8) c38 = TW.Add(TW.Load(ref cr, o8), c38);
                if (vectors > 9) c39 = TW.Add(TW.Load(ref cr, o9), c39);
                if (vectors > 10) c310 = TW.Add(TW.Load(ref cr, o10), c310);
                if (vectors > 11) c311 = TW.Add(TW.Load(ref cr, o11), c311);
                if (vectors > 12) c312 = TW.Add(TW.Load(ref cr, o12), c312);
            }
            TW.Store(c30, ref cr, o0);
            if (vectors > 1) TW.Store(c31, ref cr, o1);
            if (vectors > 2) TW.Store(c32, ref cr, o2);
            if (vectors > 3) TW.Store(c33, ref cr, o3);
            if (vectors > 4) TW.Store(c34, ref cr, o4);
            if (vectors > 5) TW.Store(c35, ref cr, o5);
            if (vectors > 6) TW.Store(c36, ref cr, o6);
            if (vectors > 7) TW.Store(c37, ref cr, o7);
            if (vectors > 8) TW.Store(c38, ref cr, o8);
            if (vectors > 9) TW.Store(c39, ref cr, o9);
            if (vectors > 10) TW.Store(c310, ref cr, o10);
            if (vectors > 11) TW.Store(c311, ref cr, o11);
            if (vectors > 12) TW.Store(c312, ref cr, o12);
        }
    }

    /// <summary>Picks the tall tile compiled for this shape: 5 to 8 rows, 1 to 3 vectors.</summary>
    private static void TallTile<TW, TV>(int rows, int vectors, ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct
    {
        switch (vectors)
        {
            case 1: TallTile<TW, TV, Count1>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 2: TallTile<TW, TV, Count2>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            default: TallTile<TW, TV, Count3>(rows, ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
        }
    }

    private static void TallTile<TW, TV, TC>(int rows, ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct where TC : struct, ICount
    {
        switch (rows)
        {
            case 5: TallTile<TW, TV, Count5, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 6: TallTile<TW, TV, Count6, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            case 7: TallTile<TW, TV, Count7, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
            default: TallTile<TW, TV, Count8, TC>(ref a, aRow, aStep, ref b, ldb, ref c, ldc, last, ref bias, hasBias, accumulate, addToC, k); break;
        }
    }

    /// <summary>
    /// A tall register tile: <typeparamref name="TR"/> rows (5 to 8) × <typeparamref name="TC"/> vectors (1 to 3) of C, summed over all k,
    /// each element in the order of <see cref="Tile{TW, TV, TR, TC}"/> (so the same bits). With AVX-512, 8 × 3: the same 24
    /// accumulators as a 4 × 6 tile, but each vector of B loaded for 8 rows of A instead of 4, so a pass over the rows of C reads B
    /// half as often: the panel of B comes from L2 for every tile, and on the Intel host of BENCHMARKS.md halving that read made
    /// y = x·W1 5-7% faster. With 16 registers, 6 × 2 (see <see cref="Shape"/>).
    /// </summary>
    /// <remarks>Written out longhand, like <see cref="Tile{TW, TV, TR, TC}"/>: every accumulator a named local.</remarks>
    [SkipLocalsInit]
    private static void TallTile<TW, TV, TR, TC>(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, nint last, ref float bias, bool hasBias, bool accumulate, bool addToC, int k)
        where TW : struct, IWidth<TV> where TV : struct where TR : struct, ICount where TC : struct, ICount
    {
        nint w = TW.Count;
        int rows = TR.Value, vectors = TC.Value;
        nint o0 = vectors == 1 ? last : 0 * w;
        nint o1 = vectors == 2 ? last : 1 * w;
        nint o2 = vectors == 3 ? last : 2 * w;
        TV i0 = hasBias && !accumulate ? TW.Load(ref bias, o0) : TW.Zero;
        TV i1 = vectors > 1 && hasBias && !accumulate ? TW.Load(ref bias, o1) : TW.Zero;
        TV i2 = vectors > 2 && hasBias && !accumulate ? TW.Load(ref bias, o2) : TW.Zero;
        TV c00 = i0, c01 = i1, c02 = i2;
        TV c10 = i0, c11 = i1, c12 = i2;
        TV c20 = i0, c21 = i1, c22 = i2;
        TV c30 = i0, c31 = i1, c32 = i2;
        TV c40 = i0, c41 = i1, c42 = i2;
        TV c50 = i0, c51 = i1, c52 = i2;
        TV c60 = i0, c61 = i1, c62 = i2;
        TV c70 = i0, c71 = i1, c72 = i2;
        if (accumulate)
        {
            // A later block of k: carry on from the sums stored so far (the same order of additions as in one pass).
            {
                ref float cr = ref Unsafe.Add(ref c, 0 * ldc);
                c00 = TW.Load(ref cr, o0);
                if (vectors > 1) c01 = TW.Load(ref cr, o1);
                if (vectors > 2) c02 = TW.Load(ref cr, o2);
            }
            {
                ref float cr = ref Unsafe.Add(ref c, 1 * ldc);
                c10 = TW.Load(ref cr, o0);
                if (vectors > 1) c11 = TW.Load(ref cr, o1);
                if (vectors > 2) c12 = TW.Load(ref cr, o2);
            }
            {
                ref float cr = ref Unsafe.Add(ref c, 2 * ldc);
                c20 = TW.Load(ref cr, o0);
                if (vectors > 1) c21 = TW.Load(ref cr, o1);
                if (vectors > 2) c22 = TW.Load(ref cr, o2);
            }
            {
                ref float cr = ref Unsafe.Add(ref c, 3 * ldc);
                c30 = TW.Load(ref cr, o0);
                if (vectors > 1) c31 = TW.Load(ref cr, o1);
                if (vectors > 2) c32 = TW.Load(ref cr, o2);
            }
            {
                ref float cr = ref Unsafe.Add(ref c, 4 * ldc);
                c40 = TW.Load(ref cr, o0);
                if (vectors > 1) c41 = TW.Load(ref cr, o1);
                if (vectors > 2) c42 = TW.Load(ref cr, o2);
            }
            if (rows > 5) {
                ref float cr = ref Unsafe.Add(ref c, 5 * ldc);
                c50 = TW.Load(ref cr, o0);
                if (vectors > 1) c51 = TW.Load(ref cr, o1);
                if (vectors > 2) c52 = TW.Load(ref cr, o2);
            }
            if (rows > 6) {
                ref float cr = ref Unsafe.Add(ref c, 6 * ldc);
                c60 = TW.Load(ref cr, o0);
                if (vectors > 1) c61 = TW.Load(ref cr, o1);
                if (vectors > 2) c62 = TW.Load(ref cr, o2);
            }
            if (rows > 7) {
                ref float cr = ref Unsafe.Add(ref c, 7 * ldc);
                c70 = TW.Load(ref cr, o0);
                if (vectors > 1) c71 = TW.Load(ref cr, o1);
                if (vectors > 2) c72 = TW.Load(ref cr, o2);
            }
        }
        // Rows past the tile alias row 4, so no reference points outside the arrays.
        ref float a1 = ref Unsafe.Add(ref a, 1 * aRow);
        ref float a2 = ref Unsafe.Add(ref a, 2 * aRow);
        ref float a3 = ref Unsafe.Add(ref a, 3 * aRow);
        ref float a4 = ref Unsafe.Add(ref a, 4 * aRow);
        ref float a5 = ref rows > 5 ? ref Unsafe.Add(ref a, 5 * aRow) : ref a4;
        ref float a6 = ref rows > 6 ? ref Unsafe.Add(ref a, 6 * aRow) : ref a4;
        ref float a7 = ref rows > 7 ? ref Unsafe.Add(ref a, 7 * aRow) : ref a4;
        for (nint p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            TV b0 = TW.Load(ref bp, o0);
            TV b1 = vectors > 1 ? TW.Load(ref bp, o1) : default;
            TV b2 = vectors > 2 ? TW.Load(ref bp, o2) : default;
            nint ap = p * aStep;
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a, ap));
                c00 = TW.MultiplyAdd(x, b0, c00);
                if (vectors > 1) c01 = TW.MultiplyAdd(x, b1, c01);
                if (vectors > 2) c02 = TW.MultiplyAdd(x, b2, c02);
            }
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a1, ap));
                c10 = TW.MultiplyAdd(x, b0, c10);
                if (vectors > 1) c11 = TW.MultiplyAdd(x, b1, c11);
                if (vectors > 2) c12 = TW.MultiplyAdd(x, b2, c12);
            }
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a2, ap));
                c20 = TW.MultiplyAdd(x, b0, c20);
                if (vectors > 1) c21 = TW.MultiplyAdd(x, b1, c21);
                if (vectors > 2) c22 = TW.MultiplyAdd(x, b2, c22);
            }
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a3, ap));
                c30 = TW.MultiplyAdd(x, b0, c30);
                if (vectors > 1) c31 = TW.MultiplyAdd(x, b1, c31);
                if (vectors > 2) c32 = TW.MultiplyAdd(x, b2, c32);
            }
            {
                TV x = TW.Broadcast(Unsafe.Add(ref a4, ap));
                c40 = TW.MultiplyAdd(x, b0, c40);
                if (vectors > 1) c41 = TW.MultiplyAdd(x, b1, c41);
                if (vectors > 2) c42 = TW.MultiplyAdd(x, b2, c42);
            }
            if (rows > 5) {
                TV x = TW.Broadcast(Unsafe.Add(ref a5, ap));
                c50 = TW.MultiplyAdd(x, b0, c50);
                if (vectors > 1) c51 = TW.MultiplyAdd(x, b1, c51);
                if (vectors > 2) c52 = TW.MultiplyAdd(x, b2, c52);
            }
            if (rows > 6) {
                TV x = TW.Broadcast(Unsafe.Add(ref a6, ap));
                c60 = TW.MultiplyAdd(x, b0, c60);
                if (vectors > 1) c61 = TW.MultiplyAdd(x, b1, c61);
                if (vectors > 2) c62 = TW.MultiplyAdd(x, b2, c62);
            }
            if (rows > 7) {
                TV x = TW.Broadcast(Unsafe.Add(ref a7, ap));
                c70 = TW.MultiplyAdd(x, b0, c70);
                if (vectors > 1) c71 = TW.MultiplyAdd(x, b1, c71);
                if (vectors > 2) c72 = TW.MultiplyAdd(x, b2, c72);
            }
        }
        StoreRow<TW, TV>(ref Unsafe.Add(ref c, 0 * ldc), vectors, o0, o1, o2, c00, c01, c02, addToC);
        StoreRow<TW, TV>(ref Unsafe.Add(ref c, 1 * ldc), vectors, o0, o1, o2, c10, c11, c12, addToC);
        StoreRow<TW, TV>(ref Unsafe.Add(ref c, 2 * ldc), vectors, o0, o1, o2, c20, c21, c22, addToC);
        StoreRow<TW, TV>(ref Unsafe.Add(ref c, 3 * ldc), vectors, o0, o1, o2, c30, c31, c32, addToC);
        StoreRow<TW, TV>(ref Unsafe.Add(ref c, 4 * ldc), vectors, o0, o1, o2, c40, c41, c42, addToC);
        if (rows > 5) StoreRow<TW, TV>(ref Unsafe.Add(ref c, 5 * ldc), vectors, o0, o1, o2, c50, c51, c52, addToC);
        if (rows > 6) StoreRow<TW, TV>(ref Unsafe.Add(ref c, 6 * ldc), vectors, o0, o1, o2, c60, c61, c62, addToC);
        if (rows > 7) StoreRow<TW, TV>(ref Unsafe.Add(ref c, 7 * ldc), vectors, o0, o1, o2, c70, c71, c72, addToC);
    }

    /// <summary>A row of a tall tile into C (added to it with <paramref name="addToC"/>): every load of the row before any store, as the last vector may overlap another.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TW, TV>(ref float cr, int vectors, nint o0, nint o1, nint o2, TV c0, TV c1, TV c2, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (addToC)
        {
            c0 = TW.Add(TW.Load(ref cr, o0), c0);
            if (vectors > 1) c1 = TW.Add(TW.Load(ref cr, o1), c1);
            if (vectors > 2) c2 = TW.Add(TW.Load(ref cr, o2), c2);
        }
        TW.Store(c0, ref cr, o0);
        if (vectors > 1) TW.Store(c1, ref cr, o1);
        if (vectors > 2) TW.Store(c2, ref cr, o2);
    }

    /// <summary>
    /// <c>C = a ⊗ b</c> (or <c>C += a ⊗ b</c>) for one step of k: row r of C is <c>a[r·aRow]·b</c>. B's row is held in
    /// registers, up to 8 vectors of <typeparamref name="TW"/> a panel, and the rows of C go by in one sequential pass,
    /// each row's columns written out straight (no loop over them), the few columns after the last whole vector with
    /// narrower vectors and scalars (no lane added twice). The same bits as the tiles give (each term x·b rounded once,
    /// then added to C once). Measured on Zen 5 for the batch-1 SGD step of a 784 × 100 layer (313 KB of W read and
    /// written once): 5.0 µs through 3 × 7 tiles, 3.9 µs as a loop over each row's vectors (whose exit, once a row, is
    /// about 2 ns), 2.3 µs written out.
    /// </summary>
    private static void OuterProduct<TW, TV>(ref float a, int aRow, ref float b, ref float c, int m, int n, int ldc, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int w = TW.Count;
        for (int j = 0; j < n;)
        {
            int vectors = Math.Min(8, (n - j) / w);
            int tail = vectors < 8 ? n - j - vectors * w : 0; // the last panel takes the columns after its vectors
            switch (vectors)
            {
                case 0: OuterPanel<TW, TV, Count0>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 1: OuterPanel<TW, TV, Count1>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 2: OuterPanel<TW, TV, Count2>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 3: OuterPanel<TW, TV, Count3>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 4: OuterPanel<TW, TV, Count4>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 5: OuterPanel<TW, TV, Count5>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 6: OuterPanel<TW, TV, Count6>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                case 7: OuterPanel<TW, TV, Count7>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
                default: OuterPanel<TW, TV, Count8>(ref a, aRow, ref b, ref c, m, ldc, j, tail, addToC); break;
            }
            j += vectors * w + tail;
        }
    }

    /// <summary>Columns <c>[j, j + TC·w + tail)</c> of <see cref="OuterProduct{TW, TV}"/>, every row.</summary>
    private static void OuterPanel<TW, TV, TC>(ref float a, int aRow, ref float b, ref float c, int m, int ldc, int j, int tail, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct where TC : struct, ICount
    {
        int vectors = TC.Value;
        nint w = TW.Count;
        ref float bj = ref Unsafe.Add(ref b, j);
        TV b0 = vectors > 0 ? TW.Load(ref bj, 0 * w) : default;
        TV b1 = vectors > 1 ? TW.Load(ref bj, 1 * w) : default;
        TV b2 = vectors > 2 ? TW.Load(ref bj, 2 * w) : default;
        TV b3 = vectors > 3 ? TW.Load(ref bj, 3 * w) : default;
        TV b4 = vectors > 4 ? TW.Load(ref bj, 4 * w) : default;
        TV b5 = vectors > 5 ? TW.Load(ref bj, 5 * w) : default;
        TV b6 = vectors > 6 ? TW.Load(ref bj, 6 * w) : default;
        TV b7 = vectors > 7 ? TW.Load(ref bj, 7 * w) : default;
        ref float bTail = ref Unsafe.Add(ref bj, vectors * w);
        for (int r = 0; r < m; r++)
        {
            float xs = Unsafe.Add(ref a, r * aRow);
            TV x = TW.Broadcast(xs);
            ref float cr = ref Unsafe.Add(ref c, r * ldc + j);
            if (addToC)
            {
                if (vectors > 0) TW.Store(TW.Add(TW.Load(ref cr, 0 * w), TW.Multiply(x, b0)), ref cr, 0 * w);
                if (vectors > 1) TW.Store(TW.Add(TW.Load(ref cr, 1 * w), TW.Multiply(x, b1)), ref cr, 1 * w);
                if (vectors > 2) TW.Store(TW.Add(TW.Load(ref cr, 2 * w), TW.Multiply(x, b2)), ref cr, 2 * w);
                if (vectors > 3) TW.Store(TW.Add(TW.Load(ref cr, 3 * w), TW.Multiply(x, b3)), ref cr, 3 * w);
                if (vectors > 4) TW.Store(TW.Add(TW.Load(ref cr, 4 * w), TW.Multiply(x, b4)), ref cr, 4 * w);
                if (vectors > 5) TW.Store(TW.Add(TW.Load(ref cr, 5 * w), TW.Multiply(x, b5)), ref cr, 5 * w);
                if (vectors > 6) TW.Store(TW.Add(TW.Load(ref cr, 6 * w), TW.Multiply(x, b6)), ref cr, 6 * w);
                if (vectors > 7) TW.Store(TW.Add(TW.Load(ref cr, 7 * w), TW.Multiply(x, b7)), ref cr, 7 * w);
            }
            else
            {
                if (vectors > 0) TW.Store(TW.Multiply(x, b0), ref cr, 0 * w);
                if (vectors > 1) TW.Store(TW.Multiply(x, b1), ref cr, 1 * w);
                if (vectors > 2) TW.Store(TW.Multiply(x, b2), ref cr, 2 * w);
                if (vectors > 3) TW.Store(TW.Multiply(x, b3), ref cr, 3 * w);
                if (vectors > 4) TW.Store(TW.Multiply(x, b4), ref cr, 4 * w);
                if (vectors > 5) TW.Store(TW.Multiply(x, b5), ref cr, 5 * w);
                if (vectors > 6) TW.Store(TW.Multiply(x, b6), ref cr, 6 * w);
                if (vectors > 7) TW.Store(TW.Multiply(x, b7), ref cr, 7 * w);
            }
            if (tail > 0) OuterTail(xs, ref bTail, ref Unsafe.Add(ref cr, vectors * w), tail, addToC);
        }
    }

    /// <summary>The last columns of a row of <see cref="OuterProduct{TW, TV}"/>, fewer than one vector: 8 and 4 wide, then scalars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OuterTail(float x, ref float b, ref float c, int count, bool addToC)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && count - j >= 8)
        {
            var p = Vector256.Multiply(Vector256.Create(x), Vector256.LoadUnsafe(ref b));
            (addToC ? Vector256.Add(Vector256.LoadUnsafe(ref c), p) : p).StoreUnsafe(ref c);
            j = 8;
        }
        if (Vector128.IsHardwareAccelerated && count - j >= 4)
        {
            var p = Vector128.Multiply(Vector128.Create(x), Vector128.LoadUnsafe(ref b, (nuint)j));
            (addToC ? Vector128.Add(Vector128.LoadUnsafe(ref c, (nuint)j), p) : p).StoreUnsafe(ref c, (nuint)j);
            j += 4;
        }
        for (; j < count; j++)
        {
            float p = x * Unsafe.Add(ref b, j);
            Unsafe.Add(ref c, j) = addToC ? Unsafe.Add(ref c, j) + p : p;
        }
    }

    /// <summary>
    /// Whether C's <paramref name="n"/> columns go to <see cref="Narrow"/> with AVX-512: 9 to 15, more than one 256-bit
    /// vector and less than one 512-bit one (a classifier's 10 outputs). Not on .NET 8, which has no masked loads and
    /// stores to write it with: there, such a product stays as it was.
    /// </summary>
    private static bool IsNarrow(int n) =>
#if NET9_0_OR_GREATER
        n > 8 && n < 16;
#else
        false;
#endif

#if NET9_0_OR_GREATER
    /// <summary>
    /// All of C when its <paramref name="n"/> columns (9 to 15) fit one 512-bit vector: each row of B loaded and each row
    /// of C stored under a mask of its n lanes, so nothing outside the rows is touched, in tiles of 8 rows (8
    /// accumulators, as <see cref="Shape"/> gives a single vector), the last with the rows left. Each element is
    /// <c>init</c> plus its terms p = 0, 1, ..., k − 1, one fused multiply-add each, whatever the tile, so a call over
    /// part of the rows (a thread's) gives those rows the whole call's bits. Otherwise those columns would be one 256-bit
    /// vector and, for the 1 to 7 left over, an overlapping vector or a dot-product kernel. Measured on the Intel host,
    /// paired in one process with <c>DOTNET_TieredCompilation=0</c>, against that: h1·W2 (100 → 10) 0.74 of the time at
    /// batch 1, 0.70-0.91 at 2 to 4, 0.57-0.69 at 6 to 100; dW2 = h1ᵀ·da2 0.43-0.70 from batch 2.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void Narrow(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, int m, int n, int k, bool addToC)
    {
        Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();
        fixed (float* pa = &a, pb = &b, pc = &c, pbias = &bias)
        {
            Vector512<float> init = hasBias ? System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(pbias, mask, Vector512<float>.Zero) : Vector512<float>.Zero;
            for (int i = 0; i < m; i += 8)
                NarrowTile(Math.Min(8, m - i), pa + i * aRow, aRow, aStep, pb, ldb, pc + i * ldc, ldc, init, mask, k, addToC);
        }
    }

    /// <summary>Picks the narrow tile compiled for this many rows (1 to 8).</summary>
    private static unsafe void NarrowTile(int rows, float* a, nint aRow, nint aStep, float* b, nint ldb, float* c, nint ldc, Vector512<float> init, Vector512<float> mask, int k, bool addToC)
    {
        switch (rows)
        {
            case 1: NarrowTile<Count1>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 2: NarrowTile<Count2>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 3: NarrowTile<Count3>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 4: NarrowTile<Count4>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 5: NarrowTile<Count5>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 6: NarrowTile<Count6>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            case 7: NarrowTile<Count7>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
            default: NarrowTile<Count8>(a, aRow, aStep, b, ldb, c, ldc, init, mask, k, addToC); break;
        }
    }

    /// <summary>
    /// <typeparamref name="TR"/> rows (1 to 8) of <see cref="Narrow"/>: per step of k, one masked load of B, one broadcast
    /// of A and one multiply-add per row. The row count is a type argument, so the unused chains are compiled away.
    /// </summary>
    /// <remarks>Written out longhand, like <see cref="Tile{TW, TV, TR, TC}"/>: every accumulator a named local.</remarks>
    [SkipLocalsInit]
    private static unsafe void NarrowTile<TR>(float* a, nint aRow, nint aStep, float* b, nint ldb, float* c, nint ldc, Vector512<float> init, Vector512<float> mask, int k, bool addToC)
        where TR : struct, ICount
    {
        int rows = TR.Value;
        Vector512<float> s0 = init, s1 = init, s2 = init, s3 = init, s4 = init, s5 = init, s6 = init, s7 = init;
        float* a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow, a4 = a + 4 * aRow, a5 = a + 5 * aRow, a6 = a + 6 * aRow, a7 = a + 7 * aRow;
        for (nint p = 0; p < k; p++)
        {
            Vector512<float> y = System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(b + p * ldb, mask, Vector512<float>.Zero);
            nint o = p * aStep;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o]), y, s0);
            if (rows > 1) s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[o]), y, s1);
            if (rows > 2) s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[o]), y, s2);
            if (rows > 3) s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[o]), y, s3);
            if (rows > 4) s4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[o]), y, s4);
            if (rows > 5) s5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[o]), y, s5);
            if (rows > 6) s6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[o]), y, s6);
            if (rows > 7) s7 = Vector512.FusedMultiplyAdd(Vector512.Create(a7[o]), y, s7);
        }
        NarrowStore(c, s0, mask, addToC);
        if (rows > 1) NarrowStore(c + ldc, s1, mask, addToC);
        if (rows > 2) NarrowStore(c + 2 * ldc, s2, mask, addToC);
        if (rows > 3) NarrowStore(c + 3 * ldc, s3, mask, addToC);
        if (rows > 4) NarrowStore(c + 4 * ldc, s4, mask, addToC);
        if (rows > 5) NarrowStore(c + 5 * ldc, s5, mask, addToC);
        if (rows > 6) NarrowStore(c + 6 * ldc, s6, mask, addToC);
        if (rows > 7) NarrowStore(c + 7 * ldc, s7, mask, addToC);
    }

    /// <summary>Writes (or with <paramref name="addToC"/> adds) the lanes of <paramref name="v"/> under <paramref name="mask"/> to a row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void NarrowStore(float* c, Vector512<float> v, Vector512<float> mask, bool addToC)
    {
        if (addToC) v = System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(c, mask, Vector512<float>.Zero) + v;
        System.Runtime.Intrinsics.X86.Avx512F.MaskStore(c, mask, v);
    }
#else
    private static void Narrow(ref float a, nint aRow, nint aStep, ref float b, nint ldb, ref float c, nint ldc, ref float bias, bool hasBias, int m, int n, int k, bool addToC) =>
        throw new PlatformNotSupportedException();
#endif

    /// <summary>Columns <paramref name="j0"/> to n (or to <paramref name="j1"/>), fewer than 4: plain loops.</summary>
    private static void Scalar(ref float a, int aRow, int aStep, ref float b, ref float c, ref float bias, bool hasBias, int m, int n, int k, int ldb, int ldc, int j0, bool addToC, int j1 = int.MaxValue)
    {
        int end = Math.Min(n, j1);
        for (int r = 0; r < m; r++)
        {
            ref float ar = ref Unsafe.Add(ref a, r * aRow);
            for (int j = j0; j < end; j++)
            {
                float sum = hasBias ? Unsafe.Add(ref bias, j) : 0f;
                for (int p = 0; p < k; p++)
                    sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref ar, p * aStep), Unsafe.Add(ref b, p * ldb + j), sum);
                Unsafe.Add(ref c, r * ldc + j) = addToC ? Unsafe.Add(ref c, r * ldc + j) + sum : sum;
            }
        }
    }

    // ---- C = A·Bᵀ: dot products of rows ---------------------------------------------------------

    /// <summary>
    /// <c>C = A·Bᵀ</c>; with <paramref name="addToC"/>, <c>C += A·Bᵀ</c> (the product summed on its own, then added).
    /// <c>C[i, j] = Σ_p A[i, p]·B[j, p]</c> for <c>A [m, k]</c> with rows <paramref name="lda"/> floats apart,
    /// <c>B [n, k]</c> with rows <paramref name="ldb"/> apart and <c>C [m, n]</c> row-major: every element is the
    /// dot product of two contiguous rows. This is the shape of a convolution's weight gradient
    /// <c>dW = dout·col</c> per sample (<c>dout [F, OH·OW]</c>, <c>colᵀ [C·K·K, OH·OW]</c>), where k, the output
    /// pixels, is long and m and n (filters, C·K·K) are short: <see cref="Run"/> would have to transpose B first.
    /// It is also a dense layer's <c>dx = dout·Wᵀ</c> at a batch of a few rows (<see cref="Affine.BackwardInput"/>).
    /// </summary>
    /// <remarks>
    /// Register blocking: a tile of up to 5 rows of A × 5 rows of B (3 × 3 with 16 registers) keeps one vector
    /// accumulator per element of C while k streams through, one load per row and vector step and one
    /// multiply-add per element; each accumulator is summed across its lanes once, at the end. When k is not
    /// a multiple of the vector, the last step loads the vector that ends at k and zeroes (in A) the lanes
    /// already summed, so nothing is read outside the rows and no scalar tail is needed.
    /// </remarks>
    internal static void RunTransposedB(ref float a, int lda, ref float b, int ldb, ref float c, int m, int n, int k, bool addToC = false)
    {
        if (Simd.Use512) RunTransposedBUpTo<W512, Vector512<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
        else if (Simd.Use256) RunTransposedBUpTo<W256, Vector256<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
        else RunTransposedBUpTo<W128, Vector128<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
    }

    /// <summary><see cref="RunTransposedB"/> with vectors no wider than <typeparamref name="TW"/> (narrower ones when k is shorter than one, scalar under 4).</summary>
    internal static void RunTransposedBUpTo<TW, TV>(ref float a, int lda, ref float b, int ldb, ref float c, int m, int n, int k, bool addToC = false)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (TW.Count >= 16 && k >= 16) Dots<W512, Vector512<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
        else if (TW.Count >= 8 && k >= 8) Dots<W256, Vector256<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
        else if (k >= 4) Dots<W128, Vector128<float>>(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
        else DotsScalar(ref a, lda, ref b, ldb, ref c, m, n, k, addToC);
    }

    /// <summary>For the tail of a row: 16 zeros then 16 ones; a vector loaded from it at 16 − w + r has ones in its last r lanes.</summary>
    private static readonly float[] TailMask =
    {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    };

    /// <summary>All of C in tiles (k ≥ the width of <typeparamref name="TW"/>): rows of A outside, so a tile's rows of A stay in L1 while the rows of B pass.</summary>
    private static void Dots<TW, TV>(ref float a, int lda, ref float b, int ldb, ref float c, int m, int n, int k, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        // 5 × 5 = 25 accumulators + 5 rows of A + 1 of B in 32 registers; 3 × 3 + 3 + 1 in 16.
        int tileRows = Simd.Use512 ? 5 : 3, tileColumns = Simd.Use512 ? 5 : 3;
        ref float mask = ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(TailMask), 16 - TW.Count + k % TW.Count);
        for (int i = 0; i < m; i += tileRows)
        {
            int rows = Math.Min(tileRows, m - i);
            for (int j = 0; j < n; j += tileColumns)
            {
                DotTile<TW, TV>(rows, Math.Min(tileColumns, n - j), ref Unsafe.Add(ref a, i * lda), lda, ref Unsafe.Add(ref b, j * ldb), ldb,
                    ref Unsafe.Add(ref c, i * n + j), n, k, ref mask, addToC);
            }
        }
    }

    /// <summary>Picks the tile compiled for this shape.</summary>
    private static void DotTile<TW, TV>(int rows, int columns, ref float a, nint lda, ref float b, nint ldb, ref float c, nint ldc, int k, ref float mask, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct
    {
        switch (columns)
        {
            case 1: DotTile<TW, TV, Count1>(rows, ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 2: DotTile<TW, TV, Count2>(rows, ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 3: DotTile<TW, TV, Count3>(rows, ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 4: DotTile<TW, TV, Count4>(rows, ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            default: DotTile<TW, TV, Count5>(rows, ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
        }
    }

    private static void DotTile<TW, TV, TQ>(int rows, ref float a, nint lda, ref float b, nint ldb, ref float c, nint ldc, int k, ref float mask, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct where TQ : struct, ICount
    {
        switch (rows)
        {
            case 1: DotTile<TW, TV, Count1, TQ>(ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 2: DotTile<TW, TV, Count2, TQ>(ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 3: DotTile<TW, TV, Count3, TQ>(ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            case 4: DotTile<TW, TV, Count4, TQ>(ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
            default: DotTile<TW, TV, Count5, TQ>(ref a, lda, ref b, ldb, ref c, ldc, k, ref mask, addToC); break;
        }
    }

    /// <summary>
    /// One register tile of <c>C = A·Bᵀ</c>: <typeparamref name="TR"/> rows of A (1 to 5) × <typeparamref name="TQ"/> rows
    /// of B (1 to 5), one vector accumulator per element of C, summed over all k (k ≥ the width). Both counts are type
    /// arguments, so the unused accumulators and their branches are compiled away.
    /// </summary>
    /// <remarks>Generated longhand (every accumulator a named local the JIT can keep in a register).</remarks>
    [SkipLocalsInit]
    private static void DotTile<TW, TV, TR, TQ>(ref float a, nint lda, ref float b, nint ldb, ref float c, nint ldc, int k, ref float mask, bool addToC)
        where TW : struct, IWidth<TV> where TV : struct where TR : struct, ICount where TQ : struct, ICount
    {
        nint w = TW.Count;
        int rows = TR.Value, columns = TQ.Value;
        // Rows past the tile alias row 0, so no reference points outside the arrays.
        ref float a1 = ref rows > 1 ? ref Unsafe.Add(ref a, 1 * lda) : ref a;
        ref float a2 = ref rows > 2 ? ref Unsafe.Add(ref a, 2 * lda) : ref a;
        ref float a3 = ref rows > 3 ? ref Unsafe.Add(ref a, 3 * lda) : ref a;
        ref float a4 = ref rows > 4 ? ref Unsafe.Add(ref a, 4 * lda) : ref a;
        ref float b1 = ref columns > 1 ? ref Unsafe.Add(ref b, 1 * ldb) : ref b;
        ref float b2 = ref columns > 2 ? ref Unsafe.Add(ref b, 2 * ldb) : ref b;
        ref float b3 = ref columns > 3 ? ref Unsafe.Add(ref b, 3 * ldb) : ref b;
        ref float b4 = ref columns > 4 ? ref Unsafe.Add(ref b, 4 * ldb) : ref b;
        TV s00 = TW.Zero, s01 = TW.Zero, s02 = TW.Zero, s03 = TW.Zero, s04 = TW.Zero, s10 = TW.Zero, s11 = TW.Zero, s12 = TW.Zero, s13 = TW.Zero, s14 = TW.Zero, s20 = TW.Zero, s21 = TW.Zero, s22 = TW.Zero, s23 = TW.Zero, s24 = TW.Zero, s30 = TW.Zero, s31 = TW.Zero, s32 = TW.Zero, s33 = TW.Zero, s34 = TW.Zero, s40 = TW.Zero, s41 = TW.Zero, s42 = TW.Zero, s43 = TW.Zero, s44 = TW.Zero;
        nint end = k;
        for (nint p = 0; p < end; p += w)
        {
            // The last step takes the vector that ends at k; its lanes before p were summed already and are zeroed in A.
            bool tail = p > end - w;
            nint q = tail ? end - w : p;
            TV x0 = TW.Load(ref a, q);
            TV x1 = rows > 1 ? TW.Load(ref a1, q) : default;
            TV x2 = rows > 2 ? TW.Load(ref a2, q) : default;
            TV x3 = rows > 3 ? TW.Load(ref a3, q) : default;
            TV x4 = rows > 4 ? TW.Load(ref a4, q) : default;
            if (tail)
            {
                TV keep = TW.Load(ref mask, 0);
                x0 = TW.WherePositive(keep, x0);
                if (rows > 1) x1 = TW.WherePositive(keep, x1);
                if (rows > 2) x2 = TW.WherePositive(keep, x2);
                if (rows > 3) x3 = TW.WherePositive(keep, x3);
                if (rows > 4) x4 = TW.WherePositive(keep, x4);
            }
            {
                TV y = TW.Load(ref b, q);
                s00 = TW.MultiplyAdd(x0, y, s00);
                if (rows > 1) s10 = TW.MultiplyAdd(x1, y, s10);
                if (rows > 2) s20 = TW.MultiplyAdd(x2, y, s20);
                if (rows > 3) s30 = TW.MultiplyAdd(x3, y, s30);
                if (rows > 4) s40 = TW.MultiplyAdd(x4, y, s40);
            }
            if (columns > 1)
            {
                TV y = TW.Load(ref b1, q);
                s01 = TW.MultiplyAdd(x0, y, s01);
                if (rows > 1) s11 = TW.MultiplyAdd(x1, y, s11);
                if (rows > 2) s21 = TW.MultiplyAdd(x2, y, s21);
                if (rows > 3) s31 = TW.MultiplyAdd(x3, y, s31);
                if (rows > 4) s41 = TW.MultiplyAdd(x4, y, s41);
            }
            if (columns > 2)
            {
                TV y = TW.Load(ref b2, q);
                s02 = TW.MultiplyAdd(x0, y, s02);
                if (rows > 1) s12 = TW.MultiplyAdd(x1, y, s12);
                if (rows > 2) s22 = TW.MultiplyAdd(x2, y, s22);
                if (rows > 3) s32 = TW.MultiplyAdd(x3, y, s32);
                if (rows > 4) s42 = TW.MultiplyAdd(x4, y, s42);
            }
            if (columns > 3)
            {
                TV y = TW.Load(ref b3, q);
                s03 = TW.MultiplyAdd(x0, y, s03);
                if (rows > 1) s13 = TW.MultiplyAdd(x1, y, s13);
                if (rows > 2) s23 = TW.MultiplyAdd(x2, y, s23);
                if (rows > 3) s33 = TW.MultiplyAdd(x3, y, s33);
                if (rows > 4) s43 = TW.MultiplyAdd(x4, y, s43);
            }
            if (columns > 4)
            {
                TV y = TW.Load(ref b4, q);
                s04 = TW.MultiplyAdd(x0, y, s04);
                if (rows > 1) s14 = TW.MultiplyAdd(x1, y, s14);
                if (rows > 2) s24 = TW.MultiplyAdd(x2, y, s24);
                if (rows > 3) s34 = TW.MultiplyAdd(x3, y, s34);
                if (rows > 4) s44 = TW.MultiplyAdd(x4, y, s44);
            }
        }
        {
            ref float cr = ref Unsafe.Add(ref c, 0 * ldc);
            Unsafe.Add(ref cr, 0) = addToC ? Unsafe.Add(ref cr, 0) + TW.Sum(s00) : TW.Sum(s00);
            if (columns > 1) Unsafe.Add(ref cr, 1) = addToC ? Unsafe.Add(ref cr, 1) + TW.Sum(s01) : TW.Sum(s01);
            if (columns > 2) Unsafe.Add(ref cr, 2) = addToC ? Unsafe.Add(ref cr, 2) + TW.Sum(s02) : TW.Sum(s02);
            if (columns > 3) Unsafe.Add(ref cr, 3) = addToC ? Unsafe.Add(ref cr, 3) + TW.Sum(s03) : TW.Sum(s03);
            if (columns > 4) Unsafe.Add(ref cr, 4) = addToC ? Unsafe.Add(ref cr, 4) + TW.Sum(s04) : TW.Sum(s04);
        }
        if (rows > 1)
        {
            ref float cr = ref Unsafe.Add(ref c, 1 * ldc);
            Unsafe.Add(ref cr, 0) = addToC ? Unsafe.Add(ref cr, 0) + TW.Sum(s10) : TW.Sum(s10);
            if (columns > 1) Unsafe.Add(ref cr, 1) = addToC ? Unsafe.Add(ref cr, 1) + TW.Sum(s11) : TW.Sum(s11);
            if (columns > 2) Unsafe.Add(ref cr, 2) = addToC ? Unsafe.Add(ref cr, 2) + TW.Sum(s12) : TW.Sum(s12);
            if (columns > 3) Unsafe.Add(ref cr, 3) = addToC ? Unsafe.Add(ref cr, 3) + TW.Sum(s13) : TW.Sum(s13);
            if (columns > 4) Unsafe.Add(ref cr, 4) = addToC ? Unsafe.Add(ref cr, 4) + TW.Sum(s14) : TW.Sum(s14);
        }
        if (rows > 2)
        {
            ref float cr = ref Unsafe.Add(ref c, 2 * ldc);
            Unsafe.Add(ref cr, 0) = addToC ? Unsafe.Add(ref cr, 0) + TW.Sum(s20) : TW.Sum(s20);
            if (columns > 1) Unsafe.Add(ref cr, 1) = addToC ? Unsafe.Add(ref cr, 1) + TW.Sum(s21) : TW.Sum(s21);
            if (columns > 2) Unsafe.Add(ref cr, 2) = addToC ? Unsafe.Add(ref cr, 2) + TW.Sum(s22) : TW.Sum(s22);
            if (columns > 3) Unsafe.Add(ref cr, 3) = addToC ? Unsafe.Add(ref cr, 3) + TW.Sum(s23) : TW.Sum(s23);
            if (columns > 4) Unsafe.Add(ref cr, 4) = addToC ? Unsafe.Add(ref cr, 4) + TW.Sum(s24) : TW.Sum(s24);
        }
        if (rows > 3)
        {
            ref float cr = ref Unsafe.Add(ref c, 3 * ldc);
            Unsafe.Add(ref cr, 0) = addToC ? Unsafe.Add(ref cr, 0) + TW.Sum(s30) : TW.Sum(s30);
            if (columns > 1) Unsafe.Add(ref cr, 1) = addToC ? Unsafe.Add(ref cr, 1) + TW.Sum(s31) : TW.Sum(s31);
            if (columns > 2) Unsafe.Add(ref cr, 2) = addToC ? Unsafe.Add(ref cr, 2) + TW.Sum(s32) : TW.Sum(s32);
            if (columns > 3) Unsafe.Add(ref cr, 3) = addToC ? Unsafe.Add(ref cr, 3) + TW.Sum(s33) : TW.Sum(s33);
            if (columns > 4) Unsafe.Add(ref cr, 4) = addToC ? Unsafe.Add(ref cr, 4) + TW.Sum(s34) : TW.Sum(s34);
        }
        if (rows > 4)
        {
            ref float cr = ref Unsafe.Add(ref c, 4 * ldc);
            Unsafe.Add(ref cr, 0) = addToC ? Unsafe.Add(ref cr, 0) + TW.Sum(s40) : TW.Sum(s40);
            if (columns > 1) Unsafe.Add(ref cr, 1) = addToC ? Unsafe.Add(ref cr, 1) + TW.Sum(s41) : TW.Sum(s41);
            if (columns > 2) Unsafe.Add(ref cr, 2) = addToC ? Unsafe.Add(ref cr, 2) + TW.Sum(s42) : TW.Sum(s42);
            if (columns > 3) Unsafe.Add(ref cr, 3) = addToC ? Unsafe.Add(ref cr, 3) + TW.Sum(s43) : TW.Sum(s43);
            if (columns > 4) Unsafe.Add(ref cr, 4) = addToC ? Unsafe.Add(ref cr, 4) + TW.Sum(s44) : TW.Sum(s44);
        }
    }

    /// <summary><c>C (+)= A·Bᵀ</c> with k under 4: plain loops.</summary>
    private static void DotsScalar(ref float a, int lda, ref float b, int ldb, ref float c, int m, int n, int k, bool addToC)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                    sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i * lda + p), Unsafe.Add(ref b, j * ldb + p), sum);
                ref float cij = ref Unsafe.Add(ref c, i * n + j);
                cij = addToC ? cij + sum : sum;
            }
    }
}

/// <summary>A small count known when the JIT compiles a generic method, so branches on it fold away.</summary>
internal interface ICount
{
    static abstract int Value { get; }
}

internal readonly struct Count0 : ICount { public static int Value => 0; }
internal readonly struct Count1 : ICount { public static int Value => 1; }
internal readonly struct Count2 : ICount { public static int Value => 2; }
internal readonly struct Count3 : ICount { public static int Value => 3; }
internal readonly struct Count4 : ICount { public static int Value => 4; }
internal readonly struct Count5 : ICount { public static int Value => 5; }
internal readonly struct Count6 : ICount { public static int Value => 6; }
internal readonly struct Count7 : ICount { public static int Value => 7; }
internal readonly struct Count8 : ICount { public static int Value => 8; }
internal readonly struct Count9 : ICount { public static int Value => 9; }
internal readonly struct Count10 : ICount { public static int Value => 10; }
internal readonly struct Count11 : ICount { public static int Value => 11; }
internal readonly struct Count12 : ICount { public static int Value => 12; }
internal readonly struct Count13 : ICount { public static int Value => 13; }
