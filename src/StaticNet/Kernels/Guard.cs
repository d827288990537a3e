using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace StaticNet.Kernels;

/// <summary>The argument checks of generated networks, with their messages; throws only on the failure path, so checking allocates nothing.</summary>
public static class Guard
{
    /// <summary>The number of rows in an input of <paramref name="length"/> floats, or an <see cref="ArgumentException"/> saying what was expected.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Rows(int length, int rowSize, int capacity, string name)
    {
        int rows = length / rowSize;
        if (rows < 1 || rows > capacity || rows * rowSize != length) ThrowRows(length, rowSize, capacity, name);
        return rows;
    }

    /// <summary>An <see cref="ArgumentException"/> unless <paramref name="length"/> is <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length(int length, int expected, string name)
    {
        if (length != expected) ThrowLength(length, expected, name);
    }

    /// <summary>An <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ <paramref name="batchCapacity"/> ≤ <paramref name="max"/>.</summary>
    public static void BatchCapacity(int batchCapacity, int max)
    {
        if (batchCapacity < 1 || batchCapacity > max)
            throw new ArgumentOutOfRangeException(nameof(batchCapacity), batchCapacity, $"Expected a batch capacity from 1 to {max}.");
    }

    /// <summary>
    /// The one rule for every learning rate (the optimizers, their setters, the training loop and the
    /// generated <c>BackwardSgd</c>): an <see cref="ArgumentOutOfRangeException"/> naming
    /// <paramref name="name"/> unless <paramref name="learningRate"/> is finite and greater than 0
    /// (so 0, negative numbers, NaN and infinities are rejected). Allocates nothing when it passes.
    /// </summary>
    /// <param name="learningRate">The value to check.</param>
    /// <param name="name">The parameter or property it came from, for the exception.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LearningRate(float learningRate, string name = "learningRate")
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) ThrowLearningRate(learningRate, name);
    }

    /// <summary>Throws: <c>Backward()</c> was called without a <c>Loss</c> first.</summary>
    [DoesNotReturn]
    public static void LossFirst() =>
        throw new InvalidOperationException("Backward() needs a loss to differentiate: call Loss(input, targets) first, then Backward(). (After Forward, use Backward(outputGradient, inputGradient).)");

    /// <summary>Throws: <c>Backward(outputGradient, inputGradient)</c> was called before any forward pass.</summary>
    [DoesNotReturn]
    public static void ForwardFirst() =>
        throw new InvalidOperationException("Backward(outputGradient, inputGradient) needs a forward pass first: call Forward or Loss.");

    [DoesNotReturn]
    private static void ThrowLearningRate(float learningRate, string name) =>
        throw new ArgumentOutOfRangeException(name, learningRate, $"Expected {name} to be a finite number greater than 0; got {learningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");

    [DoesNotReturn]
    private static void ThrowRows(int length, int rowSize, int capacity, string name) =>
        throw new ArgumentException(
            $"Expected {name} to hold whole rows of {rowSize} floats, 1 to {capacity} of them (the batch capacity): a length of {rowSize}, {2 * rowSize}, ... up to {(long)capacity * rowSize}; got {length}.", name);

    [DoesNotReturn]
    private static void ThrowLength(int length, int expected, string name) =>
        throw new ArgumentException($"Expected {name} to hold {expected} values for this batch; got {length}.", name);
}
