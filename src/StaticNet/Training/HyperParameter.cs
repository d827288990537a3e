using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using StaticNet.Kernels;

namespace StaticNet;

/// <summary>
/// The rules for the optimizers' hyper-parameters, shared by their constructors, their setters and
/// <c>Optimizer.Load</c>. Each throws <see cref="ArgumentOutOfRangeException"/>
/// naming the hyper-parameter and the range it must be in. Learning rates go through
/// <see cref="Guard.LearningRate(float, string)"/>.
/// </summary>
internal static class HyperParameter
{
    /// <summary>A decay or momentum coefficient: finite, in [0, 1). (1 would never forget; above 1 diverges.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Coefficient(float value, string name)
    {
        if (!(value >= 0 && value < 1)) Throw(name, value, "a number in [0, 1), i.e. at least 0 and less than 1");
    }

    /// <summary>A term added to a denominator: finite and greater than 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Epsilon(float value, string name)
    {
        if (!(value > 0) || !float.IsFinite(value)) Throw(name, value, "a finite number greater than 0");
    }

    /// <summary>A weight decay: finite and at least 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NonNegative(float value, string name)
    {
        if (!(value >= 0) || !float.IsFinite(value)) Throw(name, value, "a finite number of at least 0");
    }

    /// <summary>A parameter count: at least 0.</summary>
    public static void Count(int value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"Expected {name} to be at least 0 (the network's ParameterCount); got {value}.");
    }

    [DoesNotReturn]
    private static void Throw(string name, float value, string expected) =>
        throw new ArgumentOutOfRangeException(name, value, $"Expected {name} to be {expected}; got {value.ToString(CultureInfo.InvariantCulture)}.");
}
