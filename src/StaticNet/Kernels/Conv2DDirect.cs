using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNet.Kernels;

// The products of a stride-1, unpadded convolution read straight from x, with no im2col: row (c, i, j) of colᵀ, at the
// output pixels (oh, ow..ow+7), is x[c, oh + i, ow + j..ow + j + 7], eight contiguous floats of an input row. So a
// vector of 8 output pixels of one output row is one load from x, wherever the columns would have had it.
public static partial class Conv2D
{
    /// <summary>
    /// Whether <see cref="WeightGradientDirect{TW, TV}"/> takes this convolution: stride 1, no padding, output rows a whole number
    /// of 8-pixel vectors (SimpleConvNet's 24), and 8-wide vectors (the kernel is written for Vector256: 16-wide vectors
    /// would straddle output rows).
    /// </summary>
    /// <remarks>
    /// Measured on this machine's 512-bit FMA host for SimpleConvNet's layer (µs per sample, dW and db, im2col + the
    /// per-sample dot-product tile against this kernel with 16-pixel steps, side by side): batch 8, 7.2 against 5.6;
    /// batch 32, 8.3 against 5.6; batch 100, 9.8-16.4 against 5.8-6.0. With 8-pixel steps (Vector256) it was 8.2-8.5,
    /// no better than the columns: this host's 256-bit FMAs run at half the 512-bit rate.
    /// </remarks>
    internal static bool DirectApplies<TW, TV>(in Geometry g)
        where TW : struct, IWidth<TV> where TV : struct =>
        TW.Count >= 8 && Vector256.IsHardwareAccelerated && g.Stride == 1 && g.Padding == 0 && g.OutWidth % 8 == 0;

    /// <summary>Samples whose gradient a weight tile sums before it is reduced across lanes and added to dW (their dout stays in L2).</summary>
    private const int DirectSampleBlock = 8;

    /// <summary>
    /// <c>dW[f, (c, i, j)] = Σ_n Σ_{oh, ow} dout[n, f, oh, ow]·x[n, c, oh + i, ow + j]</c> (<c>dW = doutᵀ·col</c> summed over
    /// the batch), reading col from x, written as <c>dW = scale·sum</c>, or added, <c>dW += scale·sum</c>, with
    /// <paramref name="add"/> (the fused SGD step: <c>W += −lr·sum</c>). Tiles of 5 filters × 5 neighbouring weights of one
    /// kernel row, <c>(c, i, j..j+4)</c>, so that the tile's five loads of x are one address plus 0 to 4 floats (3 × 3 with
    /// 16 registers); one vector accumulator per weight, summed over blocks of <see cref="DirectSampleBlock"/> samples and
    /// reduced across lanes once per block, where the per-sample dot-product tile reduced every sample.
    /// </summary>
    /// <remarks>
    /// <paramref name="db"/> gets <c>Σ dout</c> over the batch and the pixels of each filter (unscaled, overwritten), summed
    /// per block while the block's dout is still in L2: a separate pass would read dout from memory once more (6.9 MB at
    /// batch 100 for SimpleConvNet's layer).
    /// </remarks>
    internal static void WeightGradientDirect<TW, TV>(ref float x, ref float dout, ref float dw, Span<float> db, int batch, in Geometry g, float scale, bool add)
        where TW : struct, IWidth<TV> where TV : struct
    {
        // 16 pixels per step where the widths allow it: two 8-pixel pieces of output rows, half the instructions per
        // multiply-add of 8-wide steps (measured: see the remarks of WeightTile).
        if (TW.Count >= 16 && g.Pixels % 16 == 0)
            WeightGradientWith<W512, Vector512<float>>(ref x, ref dout, ref dw, db, batch, in g, scale, add);
        else
            WeightGradientWith<W256, Vector256<float>>(ref x, ref dout, ref dw, db, batch, in g, scale, add);
    }

    /// <summary><see cref="WeightGradientDirect{TW, TV}"/> in steps of exactly <typeparamref name="TW"/>'s width (8 or 16 pixels).</summary>
    private static void WeightGradientWith<TW, TV>(ref float x, ref float dout, ref float dw, Span<float> db, int batch, in Geometry g, float scale, bool add)
        where TW : struct, IWidth<TV> where TV : struct
    {
        int filters = g.Filters, patch = g.Patch, K = g.Kernel, plane = g.Height * g.Width;
        int tile = Avx512F.IsSupported ? 5 : 3;
        for (int n0 = 0; n0 < batch; n0 += DirectSampleBlock)
        {
            int samples = Math.Min(DirectSampleBlock, batch - n0);
            ref float xs = ref Unsafe.Add(ref x, n0 * g.InputSize);
            ref float ds = ref Unsafe.Add(ref dout, n0 * g.OutputSize);
            for (int f = 0; f < filters; f += tile)
            {
                int rows = Math.Min(tile, filters - f);
                for (int c = 0; c < g.Channels; c++)
                    for (int i = 0; i < K; i++)
                        for (int j = 0; j < K; j += tile)
                        {
                            WeightTile<TW, TV>(rows, Math.Min(tile, K - j), ref Unsafe.Add(ref ds, f * g.Pixels), ref Unsafe.Add(ref xs, c * plane + i * g.Width + j),
                                ref Unsafe.Add(ref dw, f * patch + (c * K + i) * K + j), patch, samples, in g, scale, add || n0 > 0);
                        }
                for (int r = f; r < f + rows; r++)
                {
                    float sum = 0;
                    for (int n = 0; n < samples; n++)
                        sum += Sum<TW, TV>(ref Unsafe.Add(ref ds, n * g.OutputSize + r * g.Pixels), g.Pixels);
                    db[r] = n0 > 0 ? db[r] + sum : sum;
                }
            }
        }
    }

    private static void WeightTile<TW, TV>(int rows, int columns, ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
        where TW : struct, IWidth<TV> where TV : struct
    {
        switch (columns)
        {
            case 1: WeightTile<TW, TV, Count1>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 2: WeightTile<TW, TV, Count2>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 3: WeightTile<TW, TV, Count3>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 4: WeightTile<TW, TV, Count4>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            default: WeightTile<TW, TV, Count5>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
        }
    }

    private static void WeightTile<TW, TV, TQ>(int rows, ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
        where TW : struct, IWidth<TV> where TV : struct where TQ : struct, ICount
    {
        switch (rows)
        {
            case 1: WeightTile<TW, TV, Count1, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 2: WeightTile<TW, TV, Count2, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 3: WeightTile<TW, TV, Count3, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 4: WeightTile<TW, TV, Count4, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            default: WeightTile<TW, TV, Count5, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
        }
    }

    /// <summary>
    /// One tile of dW: <typeparamref name="TR"/> filters (1 to 5) × <typeparamref name="TQ"/> neighbouring weights of a kernel
    /// row (1 to 5), over <paramref name="samples"/> samples: per step of 8 or 16 pixels, one load of dout per filter, one
    /// of x per weight (x at the pixels shifted by 0 to 4), one multiply-add per weight and filter.
    /// </summary>
    /// <remarks>
    /// <para>The pixels are taken in 8-pixel pieces of output rows (OW is a multiple of 8), one piece per 8-wide step or two
    /// per 16-wide step: dout's pixels are contiguous, so its 16 are one load; x's two pieces lie in different input
    /// rows, so its vector is two 8-float loads. The sum over pixels does not care how they are paired.</para>
    /// <para>Written out longhand: every accumulator a named local the JIT keeps in a register.</para>
    /// </remarks>
    [SkipLocalsInit]
    private static void WeightTile<TW, TV, TR, TQ>(ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
        where TW : struct, IWidth<TV> where TV : struct where TR : struct, ICount where TQ : struct, ICount
    {
        int rows = TR.Value, columns = TQ.Value;
        nint pixels = g.Pixels, inputSize = g.InputSize, outputSize = g.OutputSize, skip = g.Width - g.OutWidth, OW = g.OutWidth, w = TW.Count;
        // Rows of dout past the tile repeat row 0, so no address points outside dout.
        nint r1 = rows > 1 ? pixels : 0, r2 = rows > 2 ? 2 * pixels : 0, r3 = rows > 3 ? 3 * pixels : 0, r4 = rows > 4 ? 4 * pixels : 0;
        TV s00 = TW.Zero, s01 = TW.Zero, s02 = TW.Zero, s03 = TW.Zero, s04 = TW.Zero;
        TV s10 = TW.Zero, s11 = TW.Zero, s12 = TW.Zero, s13 = TW.Zero, s14 = TW.Zero;
        TV s20 = TW.Zero, s21 = TW.Zero, s22 = TW.Zero, s23 = TW.Zero, s24 = TW.Zero;
        TV s30 = TW.Zero, s31 = TW.Zero, s32 = TW.Zero, s33 = TW.Zero, s34 = TW.Zero;
        TV s40 = TW.Zero, s41 = TW.Zero, s42 = TW.Zero, s43 = TW.Zero, s44 = TW.Zero;
        for (int n = 0; n < samples; n++)
        {
            ref float dn = ref Unsafe.Add(ref dout, n * outputSize);
            ref float xn = ref Unsafe.Add(ref x, n * inputSize);
            // Where in x the next 8-pixel piece starts (oh·W + ow), and its column ow.
            nint at = 0, column = 0;
            for (nint p = 0; p < pixels; p += w)
            {
                TV a0 = TW.Load(ref dn, p);
                TV a1 = rows > 1 ? TW.Load(ref dn, r1 + p) : default;
                TV a2 = rows > 2 ? TW.Load(ref dn, r2 + p) : default;
                TV a3 = rows > 3 ? TW.Load(ref dn, r3 + p) : default;
                TV a4 = rows > 4 ? TW.Load(ref dn, r4 + p) : default;
                ref float lo = ref Unsafe.Add(ref xn, at);
                Next(ref at, ref column, OW, skip);
                ref float hi = ref Unsafe.Add(ref xn, at);
                if (w > 8) Next(ref at, ref column, OW, skip);
                {
                    TV b = Shifted<TW, TV>(ref lo, ref hi, 0);
                    s00 = TW.MultiplyAdd(a0, b, s00);
                    if (rows > 1) s10 = TW.MultiplyAdd(a1, b, s10);
                    if (rows > 2) s20 = TW.MultiplyAdd(a2, b, s20);
                    if (rows > 3) s30 = TW.MultiplyAdd(a3, b, s30);
                    if (rows > 4) s40 = TW.MultiplyAdd(a4, b, s40);
                }
                if (columns > 1)
                {
                    TV b = Shifted<TW, TV>(ref lo, ref hi, 1);
                    s01 = TW.MultiplyAdd(a0, b, s01);
                    if (rows > 1) s11 = TW.MultiplyAdd(a1, b, s11);
                    if (rows > 2) s21 = TW.MultiplyAdd(a2, b, s21);
                    if (rows > 3) s31 = TW.MultiplyAdd(a3, b, s31);
                    if (rows > 4) s41 = TW.MultiplyAdd(a4, b, s41);
                }
                if (columns > 2)
                {
                    TV b = Shifted<TW, TV>(ref lo, ref hi, 2);
                    s02 = TW.MultiplyAdd(a0, b, s02);
                    if (rows > 1) s12 = TW.MultiplyAdd(a1, b, s12);
                    if (rows > 2) s22 = TW.MultiplyAdd(a2, b, s22);
                    if (rows > 3) s32 = TW.MultiplyAdd(a3, b, s32);
                    if (rows > 4) s42 = TW.MultiplyAdd(a4, b, s42);
                }
                if (columns > 3)
                {
                    TV b = Shifted<TW, TV>(ref lo, ref hi, 3);
                    s03 = TW.MultiplyAdd(a0, b, s03);
                    if (rows > 1) s13 = TW.MultiplyAdd(a1, b, s13);
                    if (rows > 2) s23 = TW.MultiplyAdd(a2, b, s23);
                    if (rows > 3) s33 = TW.MultiplyAdd(a3, b, s33);
                    if (rows > 4) s43 = TW.MultiplyAdd(a4, b, s43);
                }
                if (columns > 4)
                {
                    TV b = Shifted<TW, TV>(ref lo, ref hi, 4);
                    s04 = TW.MultiplyAdd(a0, b, s04);
                    if (rows > 1) s14 = TW.MultiplyAdd(a1, b, s14);
                    if (rows > 2) s24 = TW.MultiplyAdd(a2, b, s24);
                    if (rows > 3) s34 = TW.MultiplyAdd(a3, b, s34);
                    if (rows > 4) s44 = TW.MultiplyAdd(a4, b, s44);
                }
            }
        }
        StoreSums<TW, TV>(columns, ref dw, scale, add, s00, s01, s02, s03, s04);
        if (rows > 1) StoreSums<TW, TV>(columns, ref Unsafe.Add(ref dw, ldw), scale, add, s10, s11, s12, s13, s14);
        if (rows > 2) StoreSums<TW, TV>(columns, ref Unsafe.Add(ref dw, 2 * ldw), scale, add, s20, s21, s22, s23, s24);
        if (rows > 3) StoreSums<TW, TV>(columns, ref Unsafe.Add(ref dw, 3 * ldw), scale, add, s30, s31, s32, s33, s34);
        if (rows > 4) StoreSums<TW, TV>(columns, ref Unsafe.Add(ref dw, 4 * ldw), scale, add, s40, s41, s42, s43, s44);
    }

    /// <summary>The next 8-pixel piece: 8 columns on, or the start of the next output row (W − OW further in x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Next(ref nint at, ref nint column, nint OW, nint skip)
    {
        at += 8;
        column += 8;
        if (column == OW)
        {
            column = 0;
            at += skip;
        }
    }

    /// <summary>x at the step's pixels shifted by <paramref name="shift"/>: 8 floats from <paramref name="lo"/>, and for 16-wide steps 8 more from <paramref name="hi"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Shifted<TW, TV>(ref float lo, ref float hi, nint shift)
        where TW : struct, IWidth<TV> where TV : struct
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            // One load and one insert: Vector512.Create(lower, upper) compiled to a stack temporary and two inserts, and the
            // extra register it needed spilled accumulators (DOTNET_JitDisasm).
            Vector512<float> v = Vector256.LoadUnsafe(ref lo, (nuint)shift).ToVector512Unsafe().WithUpper(Vector256.LoadUnsafe(ref hi, (nuint)shift));
            return Unsafe.As<Vector512<float>, TV>(ref v);
        }
        return TW.Load(ref lo, shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums<TW, TV>(int columns, ref float dw, float scale, bool add, TV s0, TV s1, TV s2, TV s3, TV s4)
        where TW : struct, IWidth<TV> where TV : struct
    {
        Unsafe.Add(ref dw, 0) = add ? Unsafe.Add(ref dw, 0) + scale * TW.Sum(s0) : scale * TW.Sum(s0);
        if (columns > 1) Unsafe.Add(ref dw, 1) = add ? Unsafe.Add(ref dw, 1) + scale * TW.Sum(s1) : scale * TW.Sum(s1);
        if (columns > 2) Unsafe.Add(ref dw, 2) = add ? Unsafe.Add(ref dw, 2) + scale * TW.Sum(s2) : scale * TW.Sum(s2);
        if (columns > 3) Unsafe.Add(ref dw, 3) = add ? Unsafe.Add(ref dw, 3) + scale * TW.Sum(s3) : scale * TW.Sum(s3);
        if (columns > 4) Unsafe.Add(ref dw, 4) = add ? Unsafe.Add(ref dw, 4) + scale * TW.Sum(s4) : scale * TW.Sum(s4);
    }
}
