using System;

namespace StaticNet;

// The attributes a user writes on a partial class. The layer order is the attribute order.
// They are read by the source generator only; at run time they are inert metadata.

/// <summary>Marks a <c>partial class</c> as a network: the StaticNet generator writes its
/// <c>Forward</c>, <c>Backward</c>, <c>Loss</c> and parameter storage from the layer attributes that follow.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
}

/// <summary>The network's input: a given number of floats per row. Exactly one, first.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input of <paramref name="size"/> floats per row.</summary>
    public InputAttribute(int size) => Size = size;

    /// <summary>Floats per input row.</summary>
    public int Size { get; }
}

/// <summary>A fully connected (Affine) layer: <c>y = x·W + b</c> with <c>W</c> of shape <c>[inputs, units]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a dense layer with <paramref name="units"/> outputs.</summary>
    public DenseAttribute(int units) => Units = units;

    /// <summary>Outputs of the layer.</summary>
    public int Units { get; }
}

/// <summary>Rectified linear unit: <c>y = max(0, x)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : Attribute
{
}

/// <summary>Logistic sigmoid: <c>y = 1 / (1 + exp(-x))</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : Attribute
{
}

/// <summary>Hyperbolic tangent: <c>y = tanh(x)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : Attribute
{
}

/// <summary>Softmax over each row: <c>y = exp(x) / Σ exp(x)</c>. For classification training use
/// <see cref="SoftmaxCrossEntropyAttribute"/> instead, which includes the softmax.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : Attribute
{
}

/// <summary>Loss layer: softmax then cross-entropy against class labels or one-hot targets
/// (the book's SoftmaxWithLoss). <c>Forward</c> outputs the probabilities. Last layer only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxCrossEntropyAttribute : Attribute
{
}

/// <summary>Loss layer: mean over all elements of <c>(y - t)²</c>. <c>Forward</c> outputs <c>y</c> unchanged. Last layer only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MeanSquaredErrorAttribute : Attribute
{
}
