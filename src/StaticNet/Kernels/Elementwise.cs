using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNet.Kernels;

/// <summary>An element-wise function, written once for every SIMD width and for scalars.</summary>
internal interface IUnary
{
    static abstract TV Invoke<TW, TV>(TV x) where TW : struct, IWidth<TV> where TV : struct;
    static abstract float Invoke(float x);
}

/// <summary>An element-wise function of two inputs.</summary>
internal interface IBinary
{
    static abstract TV Invoke<TW, TV>(TV x, TV y) where TW : struct, IWidth<TV> where TV : struct;
    static abstract float Invoke(float x, float y);
}

/// <summary>Runs element-wise functions over spans with the widest vectors, then a scalar tail.</summary>
internal static class Elementwise
{
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnary
    {
        Check.Length(y, x.Length, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Simd.Use512) i = Map<TOp, W512, Vector512<float>>(ref xr, ref yr, i, n);
        if (Simd.Use256) i = Map<TOp, W256, Vector256<float>>(ref xr, ref yr, i, n);
        i = Map<TOp, W128, Vector128<float>>(ref xr, ref yr, i, n);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref xr, i));
    }

    private static int Map<TOp, TW, TV>(ref float x, ref float y, int i, int n)
        where TOp : struct, IUnary where TW : struct, IWidth<TV> where TV : struct
    {
        for (; i + TW.Count <= n; i += TW.Count)
            TW.Store(TOp.Invoke<TW, TV>(TW.Load(ref x, i)), ref y, i);
        return i;
    }

    public static void Map<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) where TOp : struct, IBinary
    {
        Check.Length(y, x.Length, nameof(y));
        Check.Length(z, x.Length, nameof(z));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float zr = ref MemoryMarshal.GetReference(z);
        int n = x.Length, i = 0;
        if (Simd.Use512) i = Map<TOp, W512, Vector512<float>>(ref xr, ref yr, ref zr, i, n);
        if (Simd.Use256) i = Map<TOp, W256, Vector256<float>>(ref xr, ref yr, ref zr, i, n);
        i = Map<TOp, W128, Vector128<float>>(ref xr, ref yr, ref zr, i, n);
        for (; i < n; i++) Unsafe.Add(ref zr, i) = TOp.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }

    private static int Map<TOp, TW, TV>(ref float x, ref float y, ref float z, int i, int n)
        where TOp : struct, IBinary where TW : struct, IWidth<TV> where TV : struct
    {
        for (; i + TW.Count <= n; i += TW.Count)
            TW.Store(TOp.Invoke<TW, TV>(TW.Load(ref x, i), TW.Load(ref y, i)), ref z, i);
        return i;
    }

    /// <summary><c>y = scale·x</c>.</summary>
    public static void Scale(ReadOnlySpan<float> x, float scale, Span<float> y)
    {
        Check.Length(y, x.Length, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Simd.Use512)
            for (var s = Vector512.Create(scale); i + 16 <= n; i += 16) (Vector512.LoadUnsafe(ref xr, (nuint)i) * s).StoreUnsafe(ref yr, (nuint)i);
        if (Simd.Use256)
            for (var s = Vector256.Create(scale); i + 8 <= n; i += 8) (Vector256.LoadUnsafe(ref xr, (nuint)i) * s).StoreUnsafe(ref yr, (nuint)i);
        for (var s = Vector128.Create(scale); i + 4 <= n; i += 4) (Vector128.LoadUnsafe(ref xr, (nuint)i) * s).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = scale * Unsafe.Add(ref xr, i);
    }

    /// <summary><c>sum += x</c>.</summary>
    public static void AddInPlace(Span<float> sum, ReadOnlySpan<float> x) => Map<AddOp>(sum, x, sum);

    /// <summary>Σ x, with vector partial sums.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float total = 0;
        if (Simd.Use256)
        {
            Vector256<float> s = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) s += Vector256.LoadUnsafe(ref xr, (nuint)i);
            total = Vector256.Sum(s);
        }
        for (; i < n; i++) total += Unsafe.Add(ref xr, i);
        return total;
    }

    /// <summary>max x (x not empty). With 8 or more elements, 8-wide vectors, the last one overlapping the one
    /// before it (a maximum does not mind an element counted twice), so a row of 10 classes is two vector steps.</summary>
    public static float Max(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (Simd.Use256 && n >= 8)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            Vector256<float> v = Vector256.LoadUnsafe(ref xr);
            for (int i = 8; i < n; i += 8)
                v = Vector256.Max(v, Vector256.LoadUnsafe(ref xr, (nuint)Math.Min(i, n - 8)));
            return W256.MaxAcross(v);
        }
        float m = x[0];
        for (int i = 1; i < n; i++) m = MathF.Max(m, x[i]);
        return m;
    }

    /// <summary><c>y = x − s</c>.</summary>
    public static void SubtractScalar(ReadOnlySpan<float> x, float s, Span<float> y)
    {
        Check.Length(y, x.Length, nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Simd.Use256)
            for (var v = Vector256.Create(s); i + 8 <= n; i += 8) (Vector256.LoadUnsafe(ref xr, (nuint)i) - v).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Unsafe.Add(ref xr, i) - s;
    }

    private readonly struct AddOp : IBinary
    {
        public static TV Invoke<TW, TV>(TV x, TV y) where TW : struct, IWidth<TV> where TV : struct => TW.Add(x, y);
        public static float Invoke(float x, float y) => x + y;
    }
}
