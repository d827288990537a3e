using System;

namespace StaticNet;

/// <summary>Weight initialisers. The generated constructor calls the one each layer's <c>Init</c> names
/// (<c>[Dense(100, Init = Init.He)]</c>, <see cref="Init"/>); with <see cref="Init.Auto"/>, the default, it uses
/// <see cref="He(Span{float}, int, ref Random64)"/> for a layer followed by ReLU,
/// <see cref="He(Span{float}, int, float, ref Random64)"/> with the slope of a LeakyReLU that follows, and
/// <see cref="Xavier"/> otherwise. Call these on a layer's weights (e.g. <c>net.W1</c>) to draw them again.</summary>
public static class Initializers
{
    /// <summary>Normal with standard deviation <c>sqrt(2 / fanIn)</c> (He et al. 2015), for ReLU layers.</summary>
    public static void He(Span<float> weights, int fanIn, ref Random64 random) =>
        Normal(weights, (float)Math.Sqrt(2.0 / fanIn), ref random);

    /// <summary>
    /// Normal with standard deviation <c>sqrt(2 / ((1 + a²)·fanIn))</c>, <c>a</c> = <paramref name="negativeSlope"/>: He et al.'s
    /// rule for a leaky rectifier, for LeakyReLU layers; PyTorch's <c>kaiming_normal_(w, a=negativeSlope)</c> (its gain
    /// <c>sqrt(2 / (1 + a²))</c> for <c>leaky_relu</c> over <c>sqrt(fanIn)</c>; <c>kaiming_uniform_</c> draws the same variance from a
    /// uniform). A slope of 0 is plain He.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is negative, NaN or infinite, or <paramref name="fanIn"/> is not positive.</exception>
    public static void He(Span<float> weights, int fanIn, float negativeSlope, ref Random64 random)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), fanIn, "The fan-in must be positive.");
        if (!(negativeSlope >= 0) || float.IsInfinity(negativeSlope))
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be finite and zero or more.");
        Normal(weights, (float)Math.Sqrt(2.0 / ((1.0 + (double)negativeSlope * negativeSlope) * fanIn)), ref random);
    }

    /// <summary>Normal with standard deviation <c>sqrt(1 / fanIn)</c> ("Xavier", as in the book), for sigmoid and tanh layers.</summary>
    public static void Xavier(Span<float> weights, int fanIn, ref Random64 random) =>
        Normal(weights, (float)Math.Sqrt(1.0 / fanIn), ref random);

    /// <summary>Normal with the given standard deviation (the book's TwoLayerNet uses 0.01).</summary>
    public static void Normal(Span<float> weights, float standardDeviation, ref Random64 random)
    {
        if (standardDeviation < 0 || float.IsNaN(standardDeviation))
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "Must be zero or more.");
        for (int i = 0; i < weights.Length; i++)
            weights[i] = (float)(random.NextGaussian() * standardDeviation);
    }
}
