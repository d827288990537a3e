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
    /// Whether <see cref="WeightGradientDirect"/> takes this convolution: stride 1, no padding, output rows a whole number
    /// of 8-pixel vectors (SimpleConvNet's 24), and 8-wide vectors (the kernel is written for Vector256: 16-wide vectors
    /// would straddle output rows).
    /// </summary>
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
    internal static void WeightGradientDirect(ref float x, ref float dout, ref float dw, Span<float> db, int batch, in Geometry g, float scale, bool add)
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
                            WeightTile(rows, Math.Min(tile, K - j), ref Unsafe.Add(ref ds, f * g.Pixels), ref Unsafe.Add(ref xs, c * plane + i * g.Width + j),
                                ref Unsafe.Add(ref dw, f * patch + (c * K + i) * K + j), patch, samples, in g, scale, add || n0 > 0);
                        }
                for (int r = f; r < f + rows; r++)
                {
                    float sum = 0;
                    for (int n = 0; n < samples; n++)
                        sum += Sum<W256, Vector256<float>>(ref Unsafe.Add(ref ds, n * g.OutputSize + r * g.Pixels), g.Pixels);
                    db[r] = n0 > 0 ? db[r] + sum : sum;
                }
            }
        }
    }

    private static void WeightTile(int rows, int columns, ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
    {
        switch (columns)
        {
            case 1: WeightTile<Count1>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 2: WeightTile<Count2>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 3: WeightTile<Count3>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 4: WeightTile<Count4>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            default: WeightTile<Count5>(rows, ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
        }
    }

    private static void WeightTile<TQ>(int rows, ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
        where TQ : struct, ICount
    {
        switch (rows)
        {
            case 1: WeightTile<Count1, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 2: WeightTile<Count2, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 3: WeightTile<Count3, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            case 4: WeightTile<Count4, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
            default: WeightTile<Count5, TQ>(ref dout, ref x, ref dw, ldw, samples, in g, scale, add); break;
        }
    }

    /// <summary>
    /// One tile of dW: <typeparamref name="TR"/> filters (1 to 5) × <typeparamref name="TQ"/> neighbouring weights of a kernel
    /// row (1 to 5), over <paramref name="samples"/> samples: per 8 pixels, one load of dout per filter, one of x per weight
    /// (x at the pixels shifted by 0 to 4), one multiply-add per weight and filter.
    /// </summary>
    /// <remarks>Written out longhand: every accumulator a named local the JIT keeps in a register.</remarks>
    [SkipLocalsInit]
    private static void WeightTile<TR, TQ>(ref float dout, ref float x, ref float dw, nint ldw, int samples, in Geometry g, float scale, bool add)
        where TR : struct, ICount where TQ : struct, ICount
    {
        int rows = TR.Value, columns = TQ.Value;
        nint pixels = g.Pixels, inputSize = g.InputSize, outputSize = g.OutputSize, width = g.Width, OW = g.OutWidth;
        int OH = g.OutHeight;
        // Rows of dout past the tile repeat row 0, so no address points outside dout.
        nint r1 = rows > 1 ? pixels : 0, r2 = rows > 2 ? 2 * pixels : 0, r3 = rows > 3 ? 3 * pixels : 0, r4 = rows > 4 ? 4 * pixels : 0;
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default, s14 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s23 = default, s24 = default;
        Vector256<float> s30 = default, s31 = default, s32 = default, s33 = default, s34 = default;
        Vector256<float> s40 = default, s41 = default, s42 = default, s43 = default, s44 = default;
        for (int n = 0; n < samples; n++)
        {
            ref float dn = ref Unsafe.Add(ref dout, n * outputSize);
            ref float xn = ref Unsafe.Add(ref x, n * inputSize);
            for (int oh = 0; oh < OH; oh++)
            {
                ref float dp = ref Unsafe.Add(ref dn, oh * OW);
                ref float xp = ref Unsafe.Add(ref xn, oh * width);
                for (nint ow = 0; ow < OW; ow += 8)
                {
                    Vector256<float> a0 = W256.Load(ref dp, ow);
                    Vector256<float> a1 = rows > 1 ? W256.Load(ref dp, r1 + ow) : default;
                    Vector256<float> a2 = rows > 2 ? W256.Load(ref dp, r2 + ow) : default;
                    Vector256<float> a3 = rows > 3 ? W256.Load(ref dp, r3 + ow) : default;
                    Vector256<float> a4 = rows > 4 ? W256.Load(ref dp, r4 + ow) : default;
                    ref float xa = ref Unsafe.Add(ref xp, ow);
                    {
                        Vector256<float> b = W256.Load(ref xa, 0);
                        s00 = W256.MultiplyAdd(a0, b, s00);
                        if (rows > 1) s10 = W256.MultiplyAdd(a1, b, s10);
                        if (rows > 2) s20 = W256.MultiplyAdd(a2, b, s20);
                        if (rows > 3) s30 = W256.MultiplyAdd(a3, b, s30);
                        if (rows > 4) s40 = W256.MultiplyAdd(a4, b, s40);
                    }
                    if (columns > 1)
                    {
                        Vector256<float> b = W256.Load(ref xa, 1);
                        s01 = W256.MultiplyAdd(a0, b, s01);
                        if (rows > 1) s11 = W256.MultiplyAdd(a1, b, s11);
                        if (rows > 2) s21 = W256.MultiplyAdd(a2, b, s21);
                        if (rows > 3) s31 = W256.MultiplyAdd(a3, b, s31);
                        if (rows > 4) s41 = W256.MultiplyAdd(a4, b, s41);
                    }
                    if (columns > 2)
                    {
                        Vector256<float> b = W256.Load(ref xa, 2);
                        s02 = W256.MultiplyAdd(a0, b, s02);
                        if (rows > 1) s12 = W256.MultiplyAdd(a1, b, s12);
                        if (rows > 2) s22 = W256.MultiplyAdd(a2, b, s22);
                        if (rows > 3) s32 = W256.MultiplyAdd(a3, b, s32);
                        if (rows > 4) s42 = W256.MultiplyAdd(a4, b, s42);
                    }
                    if (columns > 3)
                    {
                        Vector256<float> b = W256.Load(ref xa, 3);
                        s03 = W256.MultiplyAdd(a0, b, s03);
                        if (rows > 1) s13 = W256.MultiplyAdd(a1, b, s13);
                        if (rows > 2) s23 = W256.MultiplyAdd(a2, b, s23);
                        if (rows > 3) s33 = W256.MultiplyAdd(a3, b, s33);
                        if (rows > 4) s43 = W256.MultiplyAdd(a4, b, s43);
                    }
                    if (columns > 4)
                    {
                        Vector256<float> b = W256.Load(ref xa, 4);
                        s04 = W256.MultiplyAdd(a0, b, s04);
                        if (rows > 1) s14 = W256.MultiplyAdd(a1, b, s14);
                        if (rows > 2) s24 = W256.MultiplyAdd(a2, b, s24);
                        if (rows > 3) s34 = W256.MultiplyAdd(a3, b, s34);
                        if (rows > 4) s44 = W256.MultiplyAdd(a4, b, s44);
                    }
                }
            }
        }
        StoreSums(columns, ref dw, scale, add, s00, s01, s02, s03, s04);
        if (rows > 1) StoreSums(columns, ref Unsafe.Add(ref dw, ldw), scale, add, s10, s11, s12, s13, s14);
        if (rows > 2) StoreSums(columns, ref Unsafe.Add(ref dw, 2 * ldw), scale, add, s20, s21, s22, s23, s24);
        if (rows > 3) StoreSums(columns, ref Unsafe.Add(ref dw, 3 * ldw), scale, add, s30, s31, s32, s33, s34);
        if (rows > 4) StoreSums(columns, ref Unsafe.Add(ref dw, 4 * ldw), scale, add, s40, s41, s42, s43, s44);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums(int columns, ref float dw, float scale, bool add, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2,
        Vector256<float> s3, Vector256<float> s4)
    {
        Unsafe.Add(ref dw, 0) = add ? Unsafe.Add(ref dw, 0) + scale * W256.Sum(s0) : scale * W256.Sum(s0);
        if (columns > 1) Unsafe.Add(ref dw, 1) = add ? Unsafe.Add(ref dw, 1) + scale * W256.Sum(s1) : scale * W256.Sum(s1);
        if (columns > 2) Unsafe.Add(ref dw, 2) = add ? Unsafe.Add(ref dw, 2) + scale * W256.Sum(s2) : scale * W256.Sum(s2);
        if (columns > 3) Unsafe.Add(ref dw, 3) = add ? Unsafe.Add(ref dw, 3) + scale * W256.Sum(s3) : scale * W256.Sum(s3);
        if (columns > 4) Unsafe.Add(ref dw, 4) = add ? Unsafe.Add(ref dw, 4) + scale * W256.Sum(s4) : scale * W256.Sum(s4);
    }
}
