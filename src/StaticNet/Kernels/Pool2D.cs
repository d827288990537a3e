using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// Max and average pooling (the book's <c>Pooling</c>, ch. 7.4; PyTorch's <c>MaxPool2d</c> and
/// <c>AvgPool2d</c> without padding), channel by channel over NCHW batches:
/// <code>
/// max:  y[n, c, oh, ow] = max over the window of x[n, c, oh·S + i, ow·S + j]   (0 ≤ i, j &lt; size)
///       dx[argmax] += dout                                                     (the rest of dx is 0)
/// avg:  y[n, c, oh, ow] = Σ over the window / size²
///       dx[window] += dout / size²
/// </code>
/// with <c>OH = (H − size)/S + 1</c>, <c>OW = (W − size)/S + 1</c>. Where windows overlap (stride &lt; size), a
/// pixel gets the sum of what every window routes to it. Called by generated code with constant sizes;
/// public so that generated code in other assemblies can call it, not meant to be called by hand.
/// </summary>
public static class Pool2D
{
    /// <summary>
    /// The output size along one axis, <c>(size − poolSize)/stride + 1</c>; an <see cref="ArgumentOutOfRangeException"/>
    /// for a pool size or stride under 1, a window larger than the input, or a stride that does not divide
    /// <c>size − poolSize</c>.
    /// </summary>
    public static int OutputSize(int size, int poolSize, int stride)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "Expected an input size of at least 1.");
        if (poolSize < 1) throw new ArgumentOutOfRangeException(nameof(poolSize), poolSize, "Expected a pool size of at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "Expected a stride of at least 1.");
        if (poolSize > size) throw new ArgumentOutOfRangeException(nameof(poolSize), poolSize, $"The window ({poolSize}) is larger than the input ({size}).");
        if ((size - poolSize) % stride != 0)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The stride ({stride}) does not divide size − pool size = {size} − {poolSize} = {size - poolSize}.");
        return (size - poolSize) / stride + 1;
    }

    /// <summary>
    /// The ints of the <c>argmax</c> workspace of <see cref="MaxForward"/> for <paramref name="batch"/> samples: one per
    /// output, <c>N·C·OH·OW</c>. Allocate it once for the batch capacity.
    /// </summary>
    public static int ArgmaxLength(int batch, int channels, int height, int width, int poolSize, int stride)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        long length = (long)batch * g.OutputSize;
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The argmax would need {length} ints, more than an array holds.");
        return (int)length;
    }

    /// <summary>
    /// Max pooling: <c>y</c> = the maximum of each window, and <c>argmax</c> = where it is, as an index into
    /// <paramref name="x"/>; on ties the first maximum in row-major window order (as the book's
    /// <c>np.argmax</c>). Both overwritten; <paramref name="argmax"/> holds <see cref="ArgmaxLength"/> ints (or more)
    /// and is what <see cref="MaxBackward"/> reads. On a part of a batch whose first float lies at <paramref name="origin"/>
    /// in the whole, the indices written are the whole's, so that any split of the batch between threads, or none, reads
    /// them back alike.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax,
        int batch, int channels, int height, int width, int poolSize, int stride, int origin = 0)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(y, batch * g.OutputSize, nameof(y));
        if (argmax.Length < batch * g.OutputSize)
            throw new ArgumentException($"Expected at least {batch * g.OutputSize} ints, got {argmax.Length}.", nameof(argmax));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref int ar = ref MemoryMarshal.GetReference(argmax);
        if (poolSize == 2 && stride == 2 && Vector256.IsHardwareAccelerated)
        {
            MaxForward2x2(ref xr, ref yr, ref ar, batch * channels, in g, origin);
            return;
        }
        int planes = batch * channels, o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, o++)
                {
                    int corner = planeStart + oh * stride * g.Width + ow * stride;
                    int best = corner;
                    float max = Unsafe.Add(ref xr, corner);
                    for (int i = 0; i < poolSize; i++)
                    {
                        int start = corner + i * g.Width;
                        for (int j = 0; j < poolSize; j++)
                        {
                            float v = Unsafe.Add(ref xr, start + j);
                            // Strictly greater: the first maximum in row-major order wins a tie.
                            if (v > max) { max = v; best = start + j; }
                        }
                    }
                    Unsafe.Add(ref yr, o) = max;
                    Unsafe.Add(ref ar, o) = origin + best;
                }
            }
        }
    }

    /// <summary>
    /// Max pooling backward: <c>dx = 0</c>, then <c>dx[argmax[o]] += dout[o]</c> for every output o: each gradient goes
    /// to the input that was the maximum (summed where overlapping windows chose the same input).
    /// <paramref name="argmax"/> is what <see cref="MaxForward"/> wrote for this batch; <paramref name="origin"/> the one it was given.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> dout, ReadOnlySpan<int> argmax, Span<float> dx,
        int batch, int channels, int height, int width, int poolSize, int stride, int origin = 0)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(dx, batch * g.InputSize, nameof(dx));
        if (argmax.Length < batch * g.OutputSize)
            throw new ArgumentException($"Expected at least {batch * g.OutputSize} ints, got {argmax.Length}.", nameof(argmax));
        if (poolSize == 2 && stride == 2 && Vector256.IsHardwareAccelerated)
        {
            MaxBackward2x2(ref MemoryMarshal.GetReference(dout), ref MemoryMarshal.GetReference(argmax), ref MemoryMarshal.GetReference(dx), batch * channels, in g, origin);
            return;
        }
        dx.Clear();
        for (int o = 0; o < dout.Length; o++)
            dx[argmax[o] - origin] += dout[o]; // bounds-checked: an index that did not come from MaxForward cannot write outside dx
    }

    /// <summary>
    /// <see cref="MaxForward"/> for 2×2 windows at stride 2 (the book's and most networks' pooling), four windows at a
    /// time and without a branch per element (the scalar loop mispredicts about every other comparison on real data):
    /// the 8 inputs of a window row are split into even and odd columns, each row keeps the odd one where it is
    /// strictly greater, then the second row wins where its maximum is strictly greater, which is the first maximum
    /// in row-major order, as the scalar loop (and NaN compares false both ways, as there).
    /// </summary>
    private static void MaxForward2x2(ref float x, ref float y, ref int argmax, int planes, in Geometry g, int origin)
    {
        int width = g.Width, OH = g.OutHeight, OW = g.OutWidth, planeSize = g.Height * g.Width, o = 0;
        Vector128<int> lanes = Vector128.Create(0, 2, 4, 6);
        Vector256<int> split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < OH; oh++)
            {
                int r0 = plane * planeSize + 2 * oh * width, r1 = r0 + width, ow = 0;
                // 2·(ow + 4) ≤ 2·OW ≤ width: the 8 floats of each row lie inside it.
                for (; ow + 4 <= OW; ow += 4, o += 4)
                {
                    Vector256<float> v0 = Vector256.Shuffle(Vector256.LoadUnsafe(ref x, (nuint)(r0 + 2 * ow)), split);
                    Vector256<float> v1 = Vector256.Shuffle(Vector256.LoadUnsafe(ref x, (nuint)(r1 + 2 * ow)), split);
                    Vector128<float> e0 = v0.GetLower(), o0 = v0.GetUpper(), e1 = v1.GetLower(), o1 = v1.GetUpper();
                    Vector128<float> s0 = Vector128.GreaterThan(o0, e0), s1 = Vector128.GreaterThan(o1, e1);
                    Vector128<float> m0 = Vector128.ConditionalSelect(s0, o0, e0), m1 = Vector128.ConditionalSelect(s1, o1, e1);
                    Vector128<float> second = Vector128.GreaterThan(m1, m0);
                    Vector128<int> corner = Vector128.Create(origin + r0 + 2 * ow) + lanes;
                    // A true lane is −1: subtracting it adds the 1 of the odd column.
                    Vector128<int> i0 = corner - s0.AsInt32(), i1 = corner + Vector128.Create(width) - s1.AsInt32();
                    Vector128.ConditionalSelect(second, m1, m0).StoreUnsafe(ref y, (nuint)o);
                    Vector128.ConditionalSelect(second.AsInt32(), i1, i0).StoreUnsafe(ref argmax, (nuint)o);
                }
                for (; ow < OW; ow++, o++)
                {
                    int c0 = r0 + 2 * ow, c1 = c0 + width;
                    float a = Unsafe.Add(ref x, c0), b = Unsafe.Add(ref x, c0 + 1), c = Unsafe.Add(ref x, c1), d = Unsafe.Add(ref x, c1 + 1);
                    int i0 = origin + (b > a ? c0 + 1 : c0), i1 = origin + (d > c ? c1 + 1 : c1);
                    float m0 = b > a ? b : a, m1 = d > c ? d : c;
                    Unsafe.Add(ref y, o) = m1 > m0 ? m1 : m0;
                    Unsafe.Add(ref argmax, o) = m1 > m0 ? i1 : i0;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxBackward"/> for 2×2 windows at stride 2: the windows tile the input exactly (H and W are even), so
    /// each input is written once, <c>dout</c> where it is its window's argmax and 0 elsewhere, with no clearing pass and
    /// no indexed store (an index that did not come from <see cref="MaxForward"/> only loses its gradient).
    /// </summary>
    private static void MaxBackward2x2(ref float dout, ref int argmax, ref float dx, int planes, in Geometry g, int origin)
    {
        int width = g.Width, OH = g.OutHeight, OW = g.OutWidth, planeSize = g.Height * g.Width, o = 0;
        Vector128<int> lanes = Vector128.Create(0, 2, 4, 6);
        Vector256<int> merge = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        for (int plane = 0; plane < planes; plane++)
        {
            for (int oh = 0; oh < OH; oh++)
            {
                int r0 = plane * planeSize + 2 * oh * width, r1 = r0 + width, ow = 0;
                for (; ow + 4 <= OW; ow += 4, o += 4)
                {
                    Vector128<float> d = Vector128.LoadUnsafe(ref dout, (nuint)o);
                    Vector128<int> at = Vector128.LoadUnsafe(ref argmax, (nuint)o) - Vector128.Create(origin);
                    Vector128<int> e0 = Vector128.Create(r0 + 2 * ow) + lanes, e1 = e0 + Vector128.Create(width);
                    Vector128<int> one = Vector128<int>.One;
                    Vector128<float> de0 = Vector128.ConditionalSelect(Vector128.Equals(at, e0).AsSingle(), d, Vector128<float>.Zero);
                    Vector128<float> do0 = Vector128.ConditionalSelect(Vector128.Equals(at, e0 + one).AsSingle(), d, Vector128<float>.Zero);
                    Vector128<float> de1 = Vector128.ConditionalSelect(Vector128.Equals(at, e1).AsSingle(), d, Vector128<float>.Zero);
                    Vector128<float> do1 = Vector128.ConditionalSelect(Vector128.Equals(at, e1 + one).AsSingle(), d, Vector128<float>.Zero);
                    // Even and odd columns back into row order.
                    Vector256.Shuffle(Vector256.Create(de0, do0), merge).StoreUnsafe(ref dx, (nuint)(r0 + 2 * ow));
                    Vector256.Shuffle(Vector256.Create(de1, do1), merge).StoreUnsafe(ref dx, (nuint)(r1 + 2 * ow));
                }
                for (; ow < OW; ow++, o++)
                {
                    int c0 = r0 + 2 * ow, c1 = c0 + width, at = Unsafe.Add(ref argmax, o) - origin;
                    float d = Unsafe.Add(ref dout, o);
                    Unsafe.Add(ref dx, c0) = at == c0 ? d : 0f;
                    Unsafe.Add(ref dx, c0 + 1) = at == c0 + 1 ? d : 0f;
                    Unsafe.Add(ref dx, c1) = at == c1 ? d : 0f;
                    Unsafe.Add(ref dx, c1 + 1) = at == c1 + 1 ? d : 0f;
                }
            }
        }
    }

    /// <summary>Average pooling: <c>y</c> = the mean of each window, overwritten.</summary>
    public static void AvgForward(ReadOnlySpan<float> x, Span<float> y,
        int batch, int channels, int height, int width, int poolSize, int stride)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(y, batch * g.OutputSize, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        float scale = 1f / (poolSize * poolSize);
        int planes = batch * channels, o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int origin = plane * g.Height * g.Width;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, o++)
                {
                    int corner = origin + oh * stride * g.Width + ow * stride;
                    float sum = 0;
                    for (int i = 0; i < poolSize; i++)
                    {
                        ref float r = ref Unsafe.Add(ref xr, corner + i * g.Width);
                        for (int j = 0; j < poolSize; j++) sum += Unsafe.Add(ref r, j);
                    }
                    Unsafe.Add(ref yr, o) = sum * scale;
                }
            }
        }
    }

    /// <summary>
    /// Average pooling backward: <c>dx = 0</c>, then every pixel of each window gets <c>dout / size²</c> added
    /// (pixels in several windows get the sum).
    /// </summary>
    public static void AvgBackward(ReadOnlySpan<float> dout, Span<float> dx,
        int batch, int channels, int height, int width, int poolSize, int stride)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(dx, batch * g.InputSize, nameof(dx));
        dx.Clear();
        ref float dr = ref MemoryMarshal.GetReference(dout);
        ref float xr = ref MemoryMarshal.GetReference(dx);
        float scale = 1f / (poolSize * poolSize);
        int planes = batch * channels, o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int origin = plane * g.Height * g.Width;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, o++)
                {
                    int corner = origin + oh * stride * g.Width + ow * stride;
                    float share = Unsafe.Add(ref dr, o) * scale;
                    for (int i = 0; i < poolSize; i++)
                    {
                        ref float r = ref Unsafe.Add(ref xr, corner + i * g.Width);
                        for (int j = 0; j < poolSize; j++) Unsafe.Add(ref r, j) += share;
                    }
                }
            }
        }
    }

    /// <summary>The sizes of one pooling layer, checked.</summary>
    private readonly struct Geometry
    {
        public readonly int Channels, Height, Width, OutHeight, OutWidth;

        public Geometry(int batch, int channels, int height, int width, int poolSize, int stride)
        {
            if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Expected a batch of at least 1.");
            if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Expected at least 1 channel.");
            OutHeight = OutputSize(height, poolSize, stride);
            OutWidth = OutputSize(width, poolSize, stride);
            Channels = channels; Height = height; Width = width;
        }

        public int InputSize => Channels * Height * Width;
        public int OutputSize => Channels * OutHeight * OutWidth;
    }
}
