using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// An optimizer: updates parameters from their gradients, allocating nothing per step.
/// State (momentum, squared-gradient averages) is allocated once, at construction.
/// </summary>
public interface IOptimizer
{
    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> (same length).</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}

/// <summary>Extensions that step a whole network.</summary>
public static class OptimizerExtensions
{
    /// <summary>One update of <c>network.Parameters</c> from <c>network.Gradients</c>.</summary>
    public static void Step<TOptimizer, TNet>(this TOptimizer optimizer, TNet network)
        where TOptimizer : IOptimizer where TNet : INetwork =>
        optimizer.Step(network.Parameters, network.Gradients);
}

/// <summary>Stochastic gradient descent: <c>W ← W - lr · dW</c> (the book's <c>SGD</c>).</summary>
public sealed class Sgd : IOptimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Sgd(float learningRate = 0.01f)
    {
        Check.Positive(learningRate, nameof(learningRate));
        LearningRate = learningRate;
    }

    /// <summary>The step size; may be changed between steps (for a schedule).</summary>
    public float LearningRate { get; set; }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Check.SameLength(parameters, gradients);
        Vectors.AddScaled(parameters, gradients, -LearningRate);
    }
}

/// <summary>SGD with momentum: <c>v ← αv - lr · dW; W ← W + v</c> (the book's <c>Momentum</c>).</summary>
public sealed class Momentum : IOptimizer
{
    private readonly float[] _velocity;

    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    public Momentum(int parameterCount, float learningRate = 0.01f, float momentum = 0.9f)
    {
        Check.Positive(learningRate, nameof(learningRate));
        _velocity = new float[parameterCount];
        LearningRate = learningRate;
        Coefficient = momentum;
    }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>The momentum coefficient α.</summary>
    public float Coefficient { get; set; }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Check.SameLength(parameters, gradients);
        Check.StateLength(_velocity.Length, parameters.Length);
        Span<float> v = _velocity;
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = Coefficient * v[i] - LearningRate * gradients[i];
            parameters[i] += v[i];
        }
    }
}

/// <summary>Adam (Kingma and Ba 2015), with bias correction, as the book's <c>Adam</c>.</summary>
public sealed class Adam : IOptimizer
{
    private readonly float[] _m, _v;
    private int _t;

    /// <summary>Creates the optimizer for a network of <paramref name="parameterCount"/> parameters.</summary>
    public Adam(int parameterCount, float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        Check.Positive(learningRate, nameof(learningRate));
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }
    /// <summary>Decay of the first-moment average.</summary>
    public float Beta1 { get; }
    /// <summary>Decay of the second-moment average.</summary>
    public float Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Check.SameLength(parameters, gradients);
        Check.StateLength(_m.Length, parameters.Length);
        _t++;
        float correction1 = 1f - MathF.Pow(Beta1, _t), correction2 = 1f - MathF.Pow(Beta2, _t);
        float step = LearningRate * MathF.Sqrt(correction2) / correction1;
        Span<float> m = _m, v = _v;
        for (int i = 0; i < m.Length; i++)
        {
            float g = gradients[i];
            m[i] += (1f - Beta1) * (g - m[i]);
            v[i] += (1f - Beta2) * (g * g - v[i]);
            parameters[i] -= step * m[i] / (MathF.Sqrt(v[i]) + Epsilon);
        }
    }
}

internal static class Vectors
{
    /// <summary><c>y += a · x</c>, with ordinary stores: unlike TensorPrimitives on spans over 256 KB, no
    /// non-temporal stores, which would push the weights out of cache before the next forward pass.</summary>
    public static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = y.Length, i = 0;
        if (Simd.Use512)
        {
            Vector512<float> av = Vector512.Create(a);
            for (; i + 16 <= n; i += 16)
                W512.MultiplyAdd(av, Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Simd.Use256)
        {
            Vector256<float> av = Vector256.Create(a);
            for (; i + 8 <= n; i += 8)
                W256.MultiplyAdd(av, Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = MathF.FusedMultiplyAdd(a, Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }
}
