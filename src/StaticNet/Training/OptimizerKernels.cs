using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// One optimizer's update of one element, written once for every SIMD width (<see cref="Vector"/>) and
/// once for the scalar tail (<see cref="Scalar"/>), with the same operations in the same order, so that an
/// element's result does not depend on whether it fell in a vector or in the tail. The update reads the
/// gradient <c>g</c> and updates the parameter <c>p</c> and up to two state values <c>s</c> and <c>r</c>
/// (an optimizer with one state buffer passes it twice and ignores <c>r</c>).
/// </summary>
internal interface IUpdate
{
    void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct;
    void Scalar(ref float p, float g, ref float s, ref float r);
}

/// <summary>Runs an <see cref="IUpdate"/> over a whole parameter block: widest vectors first, then narrower, then a scalar tail.</summary>
internal static class Update
{
    public static void Run<TOp>(TOp op, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> s, Span<float> r)
        where TOp : struct, IUpdate
    {
        // The callers check the lengths; these keep the unchecked loop below safe whatever they do.
        if (gradients.Length != parameters.Length || s.Length != parameters.Length || r.Length != parameters.Length)
            ThrowLengths();
        ref float pr = ref MemoryMarshal.GetReference(parameters);
        ref float gr = ref MemoryMarshal.GetReference(gradients);
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float rr = ref MemoryMarshal.GetReference(r);
        nint n = parameters.Length, i = 0;
        if (Simd.Use512) i = Loop<TOp, W512, Vector512<float>>(ref op, ref pr, ref gr, ref sr, ref rr, i, n);
        if (Simd.Use256) i = Loop<TOp, W256, Vector256<float>>(ref op, ref pr, ref gr, ref sr, ref rr, i, n);
        i = Loop<TOp, W128, Vector128<float>>(ref op, ref pr, ref gr, ref sr, ref rr, i, n);
        for (; i < n; i++)
            op.Scalar(ref Unsafe.Add(ref pr, i), Unsafe.Add(ref gr, i), ref Unsafe.Add(ref sr, i), ref Unsafe.Add(ref rr, i));
    }

    private static nint Loop<TOp, TW, TV>(ref TOp op, ref float p, ref float g, ref float s, ref float r, nint i, nint n)
        where TOp : struct, IUpdate where TW : struct, IWidth<TV> where TV : struct
    {
        for (; i + TW.Count <= n; i += TW.Count)
            op.Vector<TW, TV>(ref p, ref g, ref s, ref r, i);
        return i;
    }

    [DoesNotReturn]
    private static void ThrowLengths() => throw new ArgumentException("The parameters, gradients and optimizer state must have the same length.");
}

/// <summary>The few operations the updates need beyond <see cref="IWidth{TV}"/>, kept here so that the kernels' shared width types are not touched.</summary>
internal static class OptimizerMath
{
    /// <summary>√x lane by lane, for the three vector types (the <c>typeof</c> tests are constants to the JIT; <c>Unsafe.As</c> does not box).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sqrt<TV>(TV x) where TV : struct
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            Vector512<float> y = Vector512.Sqrt(Unsafe.As<TV, Vector512<float>>(ref x));
            return Unsafe.As<Vector512<float>, TV>(ref y);
        }
        if (typeof(TV) == typeof(Vector256<float>))
        {
            Vector256<float> y = Vector256.Sqrt(Unsafe.As<TV, Vector256<float>>(ref x));
            return Unsafe.As<Vector256<float>, TV>(ref y);
        }
        Vector128<float> z = Vector128.Sqrt(Unsafe.As<TV, Vector128<float>>(ref x));
        return Unsafe.As<Vector128<float>, TV>(ref z);
    }

    /// <summary><c>a * b + c</c>, fused exactly when the vector kernels' <c>MultiplyAdd</c> is (see <see cref="W128"/>), so the tail rounds as the vectors do.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
}

/// <summary>Momentum (the book's): <c>v ← α·v − lr·g; p ← p + v</c>.</summary>
internal readonly struct MomentumUpdate(float alpha, float negativeRate) : IUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct
    {
        TV v = TW.MultiplyAdd(TW.Broadcast(alpha), TW.Load(ref s, i), TW.Multiply(TW.Broadcast(negativeRate), TW.Load(ref g, i)));
        TW.Store(v, ref s, i);
        TW.Store(TW.Add(TW.Load(ref p, i), v), ref p, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(ref float p, float g, ref float s, ref float r)
    {
        float v = OptimizerMath.MultiplyAdd(alpha, s, negativeRate * g);
        s = v;
        p += v;
    }
}

/// <summary>Nesterov momentum: <c>v ← α·v − lr·g; p ← p + α·v − lr·g</c> (with the new v).</summary>
internal readonly struct NesterovUpdate(float alpha, float negativeRate) : IUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct
    {
        TV a = TW.Broadcast(alpha);
        TV step = TW.Multiply(TW.Broadcast(negativeRate), TW.Load(ref g, i));
        TV v = TW.MultiplyAdd(a, TW.Load(ref s, i), step);
        TW.Store(v, ref s, i);
        TW.Store(TW.Add(TW.Load(ref p, i), TW.MultiplyAdd(a, v, step)), ref p, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(ref float p, float g, ref float s, ref float r)
    {
        float step = negativeRate * g;
        float v = OptimizerMath.MultiplyAdd(alpha, s, step);
        s = v;
        p += OptimizerMath.MultiplyAdd(alpha, v, step);
    }
}

/// <summary>AdaGrad: <c>h ← h + g²; p ← p − lr·g / (√h + ε)</c>.</summary>
internal readonly struct AdaGradUpdate(float negativeRate, float epsilon) : IUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct
    {
        TV gv = TW.Load(ref g, i);
        TV h = TW.MultiplyAdd(gv, gv, TW.Load(ref s, i));
        TW.Store(h, ref s, i);
        TV scaled = TW.Divide(gv, TW.Add(OptimizerMath.Sqrt(h), TW.Broadcast(epsilon)));
        TW.Store(TW.MultiplyAdd(TW.Broadcast(negativeRate), scaled, TW.Load(ref p, i)), ref p, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(ref float p, float g, ref float s, ref float r)
    {
        float h = OptimizerMath.MultiplyAdd(g, g, s);
        s = h;
        p = OptimizerMath.MultiplyAdd(negativeRate, g / (MathF.Sqrt(h) + epsilon), p);
    }
}

/// <summary>RMSProp: <c>h ← ρ·h + (1 − ρ)·g²; p ← p − lr·g / (√h + ε)</c>.</summary>
internal readonly struct RmsPropUpdate(float rho, float negativeRate, float epsilon) : IUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct
    {
        TV gv = TW.Load(ref g, i);
        TV h = TW.MultiplyAdd(TW.Broadcast(rho), TW.Load(ref s, i), TW.Multiply(TW.Broadcast(1f - rho), TW.Multiply(gv, gv)));
        TW.Store(h, ref s, i);
        TV scaled = TW.Divide(gv, TW.Add(OptimizerMath.Sqrt(h), TW.Broadcast(epsilon)));
        TW.Store(TW.MultiplyAdd(TW.Broadcast(negativeRate), scaled, TW.Load(ref p, i)), ref p, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(ref float p, float g, ref float s, ref float r)
    {
        float h = OptimizerMath.MultiplyAdd(rho, s, (1f - rho) * (g * g));
        s = h;
        p = OptimizerMath.MultiplyAdd(negativeRate, g / (MathF.Sqrt(h) + epsilon), p);
    }
}

/// <summary>
/// Adam and AdamW: <c>m ← m + (1 − β1)(g − m); v ← β2·v + (1 − β2)·g²;
/// p ← (p − lr·λ·p) − (lr / c1)·m / (√v / √c2 + ε)</c>, where <c>c1 = 1 − β1ᵗ</c>, <c>c2 = 1 − β2ᵗ</c> and
/// λ is AdamW's weight decay (0 for Adam). <c>p − lr·λ·p</c> is one fused multiply-add, so that a small
/// <c>lr·λ</c> is not lost to rounding <c>1 − lr·λ</c> to float.
/// </summary>
internal readonly struct AdamUpdate(float beta1, float beta2, float negativeStep, float inverseSqrtCorrection2, float epsilon, float negativeDecay) : IUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Vector<TW, TV>(ref float p, ref float g, ref float s, ref float r, nint i) where TW : struct, IWidth<TV> where TV : struct
    {
        TV gv = TW.Load(ref g, i);
        TV m = TW.Load(ref s, i);
        m = TW.MultiplyAdd(TW.Broadcast(1f - beta1), TW.Subtract(gv, m), m);
        TV v = TW.MultiplyAdd(TW.Broadcast(beta2), TW.Load(ref r, i), TW.Multiply(TW.Broadcast(1f - beta2), TW.Multiply(gv, gv)));
        TW.Store(m, ref s, i);
        TW.Store(v, ref r, i);
        TV denominator = TW.MultiplyAdd(OptimizerMath.Sqrt(v), TW.Broadcast(inverseSqrtCorrection2), TW.Broadcast(epsilon));
        TV pv = TW.Load(ref p, i);
        TV decayed = TW.MultiplyAdd(TW.Broadcast(negativeDecay), pv, pv);
        TW.Store(TW.MultiplyAdd(TW.Broadcast(negativeStep), TW.Divide(m, denominator), decayed), ref p, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(ref float p, float g, ref float s, ref float r)
    {
        float m = OptimizerMath.MultiplyAdd(1f - beta1, g - s, s);
        float v = OptimizerMath.MultiplyAdd(beta2, r, (1f - beta2) * (g * g));
        s = m;
        r = v;
        float denominator = OptimizerMath.MultiplyAdd(MathF.Sqrt(v), inverseSqrtCorrection2, epsilon);
        p = OptimizerMath.MultiplyAdd(negativeStep, m / denominator, OptimizerMath.MultiplyAdd(negativeDecay, p, p));
    }
}
