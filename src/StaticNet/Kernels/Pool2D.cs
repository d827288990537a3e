using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    /// and is what <see cref="MaxBackward"/> reads.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax,
        int batch, int channels, int height, int width, int poolSize, int stride)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(x, batch * g.InputSize, nameof(x));
        Check.Length(y, batch * g.OutputSize, nameof(y));
        if (argmax.Length < batch * g.OutputSize)
            throw new ArgumentException($"Expected at least {batch * g.OutputSize} ints, got {argmax.Length}.", nameof(argmax));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref int ar = ref MemoryMarshal.GetReference(argmax);
        int planes = batch * channels, o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int origin = plane * g.Height * g.Width;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++, o++)
                {
                    int corner = origin + oh * stride * g.Width + ow * stride;
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
                    Unsafe.Add(ref ar, o) = best;
                }
            }
        }
    }

    /// <summary>
    /// Max pooling backward: <c>dx = 0</c>, then <c>dx[argmax[o]] += dout[o]</c> for every output o: each gradient goes
    /// to the input that was the maximum (summed where overlapping windows chose the same input).
    /// <paramref name="argmax"/> is what <see cref="MaxForward"/> wrote for this batch.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> dout, ReadOnlySpan<int> argmax, Span<float> dx,
        int batch, int channels, int height, int width, int poolSize, int stride)
    {
        var g = new Geometry(batch, channels, height, width, poolSize, stride);
        Check.Length(dout, batch * g.OutputSize, nameof(dout));
        Check.Length(dx, batch * g.InputSize, nameof(dx));
        if (argmax.Length < batch * g.OutputSize)
            throw new ArgumentException($"Expected at least {batch * g.OutputSize} ints, got {argmax.Length}.", nameof(argmax));
        dx.Clear();
        for (int o = 0; o < dout.Length; o++)
            dx[argmax[o]] += dout[o]; // bounds-checked: an index that did not come from MaxForward cannot write outside dx
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
