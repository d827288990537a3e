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

    /// <summary>Throws: <c>Backward()</c> was called without a <c>Loss</c> first, or the parameters were handed out since.</summary>
    [DoesNotReturn]
    public static void LossFirst(bool parametersTaken) =>
        throw new InvalidOperationException(parametersTaken
            ? "Backward() needs the activations of a Loss at the current weights, but the parameters were handed out (Parameters or a weight view such as W1) since the latest Loss, so they may have changed: call Loss(input, targets) again, then Backward(). (An optimizer steps after Backward, not between Loss and Backward.)"
            : "Backward() needs a loss to differentiate: call Loss(input, targets) first, then Backward(). (After Forward, use Backward(outputGradient, inputGradient).)");

    /// <summary>Throws: <c>Backward(outputGradient, inputGradient)</c> was called before any forward pass, or the parameters were handed out since.</summary>
    [DoesNotReturn]
    public static void ForwardFirst(bool parametersTaken) =>
        throw new InvalidOperationException(parametersTaken
            ? "Backward(outputGradient, inputGradient) needs the activations of a forward pass at the current weights, but the parameters were handed out (Parameters or a weight view such as W1) since, so they may have changed: call Forward or Loss again first."
            : "Backward(outputGradient, inputGradient) needs a forward pass first: call Forward or Loss.");

    /// <summary>Throws: a second call came in while one was running on the same instance, from another thread.</summary>
    [DoesNotReturn]
    public static void Concurrent() =>
        throw new InvalidOperationException(
            "This network is already running a call on another thread. One instance is not thread-safe: give each thread its own instance, or share one set of weights through the generated Workspace (Forward(input, output, workspace)).");

    /// <summary>
    /// An <see cref="ArgumentException"/> unless every row of <paramref name="targets"/> (rows of <paramref name="width"/>)
    /// is a probability distribution: entries ≥ 0 (and finite) summing to 1 within 1e-3. Cross-entropy against anything
    /// else is not a loss: an all-zero row gives a loss of 0 with gradients that are not 0.
    /// </summary>
    public static void Distributions(ReadOnlySpan<float> targets, int width, string name)
    {
        for (int row = 0; row * width < targets.Length; row++)
        {
            ReadOnlySpan<float> t = targets.Slice(row * width, width);
            double sum = 0;
            for (int j = 0; j < t.Length; j++)
            {
                if (!(t[j] >= 0) || float.IsPositiveInfinity(t[j]))
                    throw new ArgumentException($"Expected each row of {name} to be a distribution (entries from 0 to 1 summing to 1); row {row} has {t[j]} at column {j}.", name);
                sum += t[j];
            }
            if (Math.Abs(sum - 1) > 1e-3)
                throw new ArgumentException($"Expected each row of {name} to be a distribution (entries from 0 to 1 summing to 1); row {row} sums to {sum}. (For class indices use Loss(input, labels).)", name);
        }
    }

    /// <summary>
    /// An <see cref="ArgumentException"/> unless every entry of <paramref name="targets"/> (rows of <paramref name="width"/>)
    /// is a probability, from 0 to 1: binary cross-entropy against anything else is not a loss (it has no minimum).
    /// </summary>
    public static void Probabilities(ReadOnlySpan<float> targets, int width, string name)
    {
        for (int i = 0; i < targets.Length; i++)
            if (!(targets[i] >= 0 && targets[i] <= 1))
                throw new ArgumentException($"Expected each entry of {name} to be a probability from 0 to 1; row {i / width} has {targets[i]} at column {i % width}.", name);
    }

    /// <summary>An <see cref="ArgumentOutOfRangeException"/> unless the L2 weight decay λ is finite and 0 or more.</summary>
    public static void WeightDecay(float lambda, string name = "WeightDecay")
    {
        if (!(lambda >= 0) || float.IsPositiveInfinity(lambda))
            throw new ArgumentOutOfRangeException(name, lambda, "Expected a weight decay λ that is finite and 0 or more (0 turns it off; the book's ch. 6 uses 0.1).");
    }

    /// <summary>An <see cref="ArgumentException"/> naming the first entry of <paramref name="values"/> that is NaN or infinite.</summary>
    public static void Finite(ReadOnlySpan<float> values, string name)
    {
        int i = FirstNotFinite(values);
        if (i >= 0)
            throw new ArgumentException($"Expected {name} to hold finite values; {name}[{i}] is {values[i]} (row {i}, counting from 0, is found by dividing by the row size).", name);
    }

    /// <summary>An <see cref="ArithmeticException"/> when the loss is NaN or infinite.</summary>
    public static void FiniteLoss(float loss)
    {
        if (!float.IsFinite(loss))
            throw new ArithmeticException($"The loss is {loss}: the weights or the inputs have reached values the network cannot compute with (too large a learning rate is the usual cause).");
    }

    /// <summary>An <see cref="ArithmeticException"/> naming the first gradient that is NaN or infinite.</summary>
    public static void FiniteGradients(ReadOnlySpan<float> gradients)
    {
        int i = FirstNotFinite(gradients);
        if (i >= 0)
            throw new ArithmeticException($"A gradient is not finite: entry {i} is {gradients[i]}.");
    }

    private static int FirstNotFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

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
