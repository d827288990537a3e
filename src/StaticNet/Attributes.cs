using System;

namespace StaticNet;

// The attributes a user writes on a partial class. The layer order is the attribute order.
// They are read by the source generator only; at run time they are inert metadata.

/// <summary>Marks a <c>partial class</c> as a network: the StaticNet generator writes its
/// <c>Forward</c>, <c>Backward</c>, <c>Loss</c> and parameter storage from the layer attributes that follow.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// Also generate the network's reference pass, in a second file beside the fast one:
    /// <c>ReferenceForward</c>, <c>ReferenceLoss</c> and <c>ReferenceBackward</c>, written out as the plain loops of the
    /// book's formulas for exactly this network's sizes, in double precision, with no kernel calls. The class then
    /// implements <see cref="IReferenceNetwork"/> (and <see cref="IReferenceLossNetwork"/> when it ends in a loss layer),
    /// so that <see cref="ReferenceCheck"/> can compare the two passes. Off by default.
    /// </summary>
    public bool Reference { get; set; }
}

/// <summary>The network's input: a given number of floats per row, or an image of channels × height × width
/// (a row is then C·H·W floats in CHW order). Exactly one, first.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input of <paramref name="size"/> floats per row.</summary>
    public InputAttribute(int size) => Size = size;

    /// <summary>Declares an image input of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>
    /// floats per row, channel by channel, each channel row by row (CHW).</summary>
    public InputAttribute(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
        Size = channels * height * width;
    }

    /// <summary>Floats per input row.</summary>
    public int Size { get; }

    /// <summary>Channels of an image input; 0 for a vector input.</summary>
    public int Channels { get; }

    /// <summary>Height of an image input; 0 for a vector input.</summary>
    public int Height { get; }

    /// <summary>Width of an image input; 0 for a vector input.</summary>
    public int Width { get; }
}

/// <summary>A 2-D convolution (the book's Convolution, PyTorch's Conv2d) over a (C, H, W) input:
/// <c>y[f, oh, ow] = b[f] + Σ W[f, c, i, j]·x[c, oh·Stride + i − Padding, ow·Stride + j − Padding]</c>, with
/// <c>W [filters, C, kernelSize, kernelSize]</c> row-major then <c>b [filters]</c>; the output is
/// (filters, (H + 2·Padding − kernelSize)/Stride + 1, (W + 2·Padding − kernelSize)/Stride + 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    /// <summary>Declares a convolution with <paramref name="filters"/> square kernels of <paramref name="kernelSize"/>.</summary>
    public Conv2DAttribute(int filters, int kernelSize)
    {
        Filters = filters;
        KernelSize = kernelSize;
    }

    /// <summary>Output channels: the number of filters.</summary>
    public int Filters { get; }

    /// <summary>The side of each square kernel.</summary>
    public int KernelSize { get; }

    /// <summary>The step between two windows, both ways; 1 by default.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input; 0 by default.</summary>
    public int Padding { get; set; }
}

/// <summary>Max pooling over square windows of a (C, H, W) input, channel by channel, without padding.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    private int? _stride;

    /// <summary>Declares max pooling over windows of <paramref name="size"/> × <paramref name="size"/>.</summary>
    public MaxPool2DAttribute(int size) => Size = size;

    /// <summary>The side of each window.</summary>
    public int Size { get; }

    /// <summary>The step between two windows, both ways; the window's size by default.</summary>
    public int Stride { get => _stride ?? Size; set => _stride = value; }
}

/// <summary>Average pooling over square windows of a (C, H, W) input, channel by channel, without padding.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : Attribute
{
    private int? _stride;

    /// <summary>Declares average pooling over windows of <paramref name="size"/> × <paramref name="size"/>.</summary>
    public AvgPool2DAttribute(int size) => Size = size;

    /// <summary>The side of each window.</summary>
    public int Size { get; }

    /// <summary>The step between two windows, both ways; the window's size by default.</summary>
    public int Stride { get => _stride ?? Size; set => _stride = value; }
}

/// <summary>Turns a (C, H, W) input into a vector of C·H·W floats in CHW order: the data is unchanged (no copy),
/// only its shape. Needed between a convolution or pooling layer and a Dense layer.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : Attribute
{
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
