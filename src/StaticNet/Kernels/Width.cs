using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNet.Kernels;

/// <summary>
/// One SIMD width. The kernels are written once, generic over the width; the JIT compiles one
/// copy per width with every call inlined, so <c>TW.MultiplyAdd</c> is a single instruction.
/// </summary>
internal interface IWidth<TV> where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV One { get; }
    static abstract TV Load(ref float source, nint offset);
    static abstract void Store(TV value, ref float destination, nint offset);
    static abstract TV Broadcast(float value);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);
    /// <summary><c>a * b + c</c>, fused where the hardware can.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    /// <summary><c>mask &gt; 0 ? value : 0</c>, lane by lane.</summary>
    static abstract TV WherePositive(TV mask, TV value);
    static abstract TV Exp(TV x);
    static abstract float Sum(TV v);
    static abstract float MaxAcross(TV v);
}

internal readonly struct W512 : IWidth<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    public static Vector512<float> One => Vector512<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WherePositive(Vector512<float> mask, Vector512<float> value) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(mask, Vector512<float>.Zero), value, Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector512.Exp(x);
#else
        return Vector512.Create(W256.Exp(x.GetLower()), W256.Exp(x.GetUpper()));
#endif
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> v) => W256.MaxAcross(Vector256.Max(v.GetLower(), v.GetUpper()));
}

internal readonly struct W256 : IWidth<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    public static Vector256<float> One => Vector256<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WherePositive(Vector256<float> mask, Vector256<float> value) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(mask, Vector256<float>.Zero), value, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector256.Exp(x);
#else
        return Vector256.Create(W128.Exp(x.GetLower()), W128.Exp(x.GetUpper()));
#endif
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> v) => W128.MaxAcross(Vector128.Max(v.GetLower(), v.GetUpper()));
}

internal readonly struct W128 : IWidth<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    public static Vector128<float> One => Vector128<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source, nint offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WherePositive(Vector128<float> mask, Vector128<float> value) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(mask, Vector128<float>.Zero), value, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector128.Exp(x);
#else
        return Vector128.Create(MathF.Exp(x[0]), MathF.Exp(x[1]), MathF.Exp(x[2]), MathF.Exp(x[3]));
#endif
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> v) => MathF.Max(MathF.Max(v[0], v[1]), MathF.Max(v[2], v[3]));
}

/// <summary>Which SIMD width the kernels use on this machine.</summary>
public static class Simd
{
    /// <summary>
    /// The widest vector the kernels use, in bits: 512 where the CPU has AVX-512F (even when .NET
    /// reports <c>Vector512.IsHardwareAccelerated</c> as false, as it does on some CPU families:
    /// explicit 512-bit code still runs at full width there), else 256 or 128.
    /// Set the environment variable <c>STATICNET_MAX_VECTOR_BITS</c> to 256 or 128 before start-up to
    /// cap it (for comparison). The value is read once; the JIT treats it as a constant.
    /// </summary>
    public static readonly int MaxVectorBits = Choose();

    internal static readonly bool Use512 = MaxVectorBits >= 512;
    internal static readonly bool Use256 = MaxVectorBits >= 256;

    private static int Choose()
    {
        int hardware = Avx512F.IsSupported ? 512
            : Vector256.IsHardwareAccelerated ? 256
            : 128;
        string? cap = Environment.GetEnvironmentVariable("STATICNET_MAX_VECTOR_BITS");
        if (cap is not null && int.TryParse(cap, out int bits) && bits < hardware)
            return bits >= 256 ? 256 : 128;
        return hardware;
    }
}
