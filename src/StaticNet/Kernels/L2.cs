using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNet.Kernels;

/// <summary>
/// L2 weight decay as the book defines it (ch. 6.4.2): the loss gains <c>0.5·λ·ΣW²</c> over every weight (not the
/// biases), so each weight's gradient gains <c>λ·W</c>. Called by generated code (its <c>WeightDecay</c> property);
/// public so that generated code in other assemblies can call it. Every loop is SIMD over the block.
/// </summary>
public static class L2
{
    /// <summary><c>ΣW²</c>, with vector partial sums (the caller multiplies by <c>0.5·λ</c>).</summary>
    public static double SumOfSquares(ReadOnlySpan<float> W)
    {
        ref float wr = ref MemoryMarshal.GetReference(W);
        int n = W.Length, i = 0;
        double total = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            // Partial sums of at most 4096 elements each are added in double, so a large block loses no precision.
            while (i + width <= n)
            {
                Vector<float> s = Vector<float>.Zero;
                for (int end = Math.Min(n - width, i + 4096); i <= end; i += width)
                {
                    Vector<float> v = Vector.LoadUnsafe(ref wr, (nuint)i);
                    s += v * v;
                }
                total += Vector.Sum(s);
            }
        }
        for (; i < n; i++) total += (double)W[i] * W[i];
        return total;
    }

    /// <summary>Weight decay backward: <c>dW += λ·W</c>.</summary>
    public static void AddGradient(ReadOnlySpan<float> W, Span<float> dW, float lambda)
    {
        Check.Length(dW, W.Length, nameof(dW));
        ref float wr = ref MemoryMarshal.GetReference(W);
        ref float gr = ref MemoryMarshal.GetReference(dW);
        int n = W.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var l = new Vector<float>(lambda);
            for (int width = Vector<float>.Count; i + width <= n; i += width)
                (Vector.LoadUnsafe(ref gr, (nuint)i) + l * Vector.LoadUnsafe(ref wr, (nuint)i)).StoreUnsafe(ref gr, (nuint)i);
        }
        for (; i < n; i++) dW[i] += lambda * W[i];
    }

    /// <summary>
    /// The decay part of an SGD step, <c>W ← (1 − lr·λ)·W</c>: with the gradient part <c>W ← W − lr·dW</c> made after it,
    /// the step is exactly <c>W ← W − lr·(dW + λ·W)</c>, the gradient of the decayed loss.
    /// </summary>
    public static void Shrink(Span<float> W, float factor)
    {
        ref float wr = ref MemoryMarshal.GetReference(W);
        int n = W.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var f = new Vector<float>(factor);
            for (int width = Vector<float>.Count; i + width <= n; i += width)
                (Vector.LoadUnsafe(ref wr, (nuint)i) * f).StoreUnsafe(ref wr, (nuint)i);
        }
        for (; i < n; i++) W[i] *= factor;
    }
}
