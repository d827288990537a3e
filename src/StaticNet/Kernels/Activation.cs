using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>
/// The activation layers, forward and backward, as the book derives them (ch. 5.5). Every backward
/// pass needs only the layer's output <c>y</c> and the incoming gradient <c>dout</c>.
/// Called by generated code; public so that generated code in other assemblies can call it.
/// </summary>
public static class Activation
{
    /// <summary>ReLU forward: <c>y = max(0, x)</c>.</summary>
    public static void ReluForward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Map<Relu>(x, y);

    /// <summary>ReLU backward: <c>dx = dout</c> where <c>y &gt; 0</c> (that is, where <c>x &gt; 0</c>), else 0.</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dout, Span<float> dx) => Elementwise.Map<ReluGrad>(y, dout, dx);

    /// <summary>Sigmoid forward: <c>y = 1 / (1 + exp(-x))</c>.</summary>
    public static void SigmoidForward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Map<Sigmoid>(x, y);

    /// <summary>Sigmoid backward: <c>dx = dout * y * (1 - y)</c>.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dout, Span<float> dx) => Elementwise.Map<SigmoidGrad>(y, dout, dx);

    /// <summary>Tanh forward: <c>y = tanh(x)</c>.</summary>
    public static void TanhForward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Map<Tanh>(x, y);

    /// <summary>Tanh backward: <c>dx = dout * (1 - y²)</c>.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dout, Span<float> dx) => Elementwise.Map<TanhGrad>(y, dout, dx);

    /// <summary>Softmax forward over each row of <c>x [rows, n]</c>: <c>y = exp(x - max x) / Σ exp(x - max x)</c>.</summary>
    public static void SoftmaxForward(ReadOnlySpan<float> x, Span<float> y, int rows, int n)
    {
        ExpShiftedRows(x, y, rows, n);
        for (int r = 0; r < rows; r++)
        {
            Span<float> yr = y.Slice(r * n, n);
            Scale(yr, 1f / Elementwise.Sum(yr));
        }
    }

    /// <summary>Softmax backward over each row: <c>dx = y * (dout - Σ dout * y)</c>.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dout, Span<float> dx, int rows, int n)
    {
        Check.Length(y, rows * n, nameof(y));
        Check.Length(dout, rows * n, nameof(dout));
        Check.Length(dx, rows * n, nameof(dx));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> yr = y.Slice(r * n, n), gr = dout.Slice(r * n, n);
            Span<float> dr = dx.Slice(r * n, n);
            float dot = 0;
            for (int j = 0; j < n; j++) dot += gr[j] * yr[j];
            for (int j = 0; j < n; j++) dr[j] = yr[j] * (gr[j] - dot);
        }
    }

    /// <summary>
    /// LeakyReLU forward: <c>y = x</c> where <c>x &gt; 0</c>, else <c>slope·x</c>; for <c>0 &lt; slope &lt; 1</c> that is
    /// <c>y = max(x, slope·x)</c>, one vector max per block.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slope"/> is not in (0, 1).</exception>
    public static void LeakyReluForward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        CheckSlope(slope);
        Check.Length(y, x.Length, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var s = new System.Numerics.Vector<float>(slope);
            int width = System.Numerics.Vector<float>.Count;
            for (; i + width <= n; i += width)
            {
                var v = System.Numerics.Vector.LoadUnsafe(ref xr, (nuint)i);
                System.Numerics.Vector.Max(v, v * s).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            Unsafe.Add(ref yr, i) = v > 0 ? v : slope * v;
        }
    }

    /// <summary>
    /// LeakyReLU backward: <c>dx = dout</c> where <c>y &gt; 0</c> (exactly where <c>x &gt; 0</c>, the slope being positive),
    /// else <c>slope·dout</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slope"/> is not in (0, 1).</exception>
    public static void LeakyReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dout, Span<float> dx, float slope)
    {
        CheckSlope(slope);
        Check.Length(dout, y.Length, nameof(dout));
        Check.Length(dx, y.Length, nameof(dx));
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float gr = ref MemoryMarshal.GetReference(dout);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int n = y.Length, i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var s = new System.Numerics.Vector<float>(slope);
            int width = System.Numerics.Vector<float>.Count;
            for (; i + width <= n; i += width)
            {
                var g = System.Numerics.Vector.LoadUnsafe(ref gr, (nuint)i);
                var positive = System.Numerics.Vector.GreaterThan(System.Numerics.Vector.LoadUnsafe(ref yr, (nuint)i), System.Numerics.Vector<float>.Zero);
                System.Numerics.Vector.ConditionalSelect(positive, g, g * s).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float g = Unsafe.Add(ref gr, i);
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref yr, i) > 0 ? g : slope * g;
        }
    }

    private static void CheckSlope(float slope)
    {
        if (!(slope > 0 && slope < 1))
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "Expected a LeakyReLU slope greater than 0 and less than 1.");
    }

    /// <summary>
    /// <c>y = exp(x - max x)</c>, row by row: the shifts row by row, then one vectorised exp over the
    /// whole batch, so short rows (10 classes) do not fall to a scalar tail each.
    /// </summary>
    internal static void ExpShiftedRows(ReadOnlySpan<float> x, Span<float> y, int rows, int n)
    {
        Check.Length(x, rows * n, nameof(x));
        Check.Length(y, rows * n, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * n, n);
            Span<float> yr = y.Slice(r * n, n);
            Elementwise.SubtractScalar(xr, Elementwise.Max(xr), yr);
        }
        Elementwise.Map<Exp>(y, y);
    }

    internal static void Scale(Span<float> y, float scale) => Elementwise.Scale(y, scale, y);

    private readonly struct Exp : IUnary
    {
        public static TV Invoke<TW, TV>(TV x) where TW : struct, IWidth<TV> where TV : struct => TW.Exp(x);
        public static float Invoke(float x) => MathF.Exp(x);
    }

    private readonly struct Relu : IUnary
    {
        public static TV Invoke<TW, TV>(TV x) where TW : struct, IWidth<TV> where TV : struct => TW.Max(x, TW.Zero);
        public static float Invoke(float x) => x > 0 ? x : 0f;
    }

    private readonly struct ReluGrad : IBinary
    {
        public static TV Invoke<TW, TV>(TV y, TV dout) where TW : struct, IWidth<TV> where TV : struct => TW.WherePositive(y, dout);
        public static float Invoke(float y, float dout) => y > 0 ? dout : 0f;
    }

    private readonly struct Sigmoid : IUnary
    {
        public static TV Invoke<TW, TV>(TV x) where TW : struct, IWidth<TV> where TV : struct =>
            TW.Divide(TW.One, TW.Add(TW.One, TW.Exp(TW.Subtract(TW.Zero, x))));
        public static float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    }

    private readonly struct SigmoidGrad : IBinary
    {
        public static TV Invoke<TW, TV>(TV y, TV dout) where TW : struct, IWidth<TV> where TV : struct =>
            TW.Multiply(dout, TW.Multiply(y, TW.Subtract(TW.One, y)));
        public static float Invoke(float y, float dout) => dout * (y * (1f - y));
    }

    private readonly struct Tanh : IUnary
    {
        // tanh x = 1 - 2 / (exp(2x) + 1): exact at both ends (exp overflowing to +inf gives 1, underflowing to 0 gives -1).
        public static TV Invoke<TW, TV>(TV x) where TW : struct, IWidth<TV> where TV : struct
        {
            TV two = TW.Add(TW.One, TW.One);
            return TW.Subtract(TW.One, TW.Divide(two, TW.Add(TW.Exp(TW.Multiply(two, x)), TW.One)));
        }
        public static float Invoke(float x) => MathF.Tanh(x);
    }

    private readonly struct TanhGrad : IBinary
    {
        public static TV Invoke<TW, TV>(TV y, TV dout) where TW : struct, IWidth<TV> where TV : struct =>
            TW.Multiply(dout, TW.Subtract(TW.One, TW.Multiply(y, y)));
        public static float Invoke(float y, float dout) => dout * (1f - y * y);
    }
}
