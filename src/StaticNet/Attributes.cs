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

    /// <summary>How the constructor draws the weights (fan-in C·K·K); <see cref="Init.Auto"/> by default. Biases start at 0.</summary>
    public Init Init { get; set; }

    /// <summary>The standard deviation of <see cref="Init.Normal"/> (the book's 0.01 by default); only with <c>Init = Init.Normal</c>.</summary>
    public float Std { get; set; } = 0.01f;
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

    /// <summary>How the constructor draws the weights (fan-in = inputs); <see cref="Init.Auto"/> by default. Biases start at 0.</summary>
    public Init Init { get; set; }

    /// <summary>The standard deviation of <see cref="Init.Normal"/> (the book's 0.01 by default); only with <c>Init = Init.Normal</c>.</summary>
    public float Std { get; set; } = 0.01f;
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

/// <summary>How a layer's weights are drawn by the generated constructor (from its seed): normal with mean 0 and a
/// standard deviation that depends on the layer's fan-in (inputs for Dense, C·K·K for Conv2D). Biases start at 0.
/// The book compares these in ch. 6.2.</summary>
public enum Init
{
    /// <summary>The default: <see cref="He"/> when the next layer is ReLU, <see cref="Xavier"/> otherwise.</summary>
    Auto = 0,

    /// <summary>std = sqrt(2 / fanIn) (He et al. 2015; the book's "He", for ReLU).</summary>
    He = 1,

    /// <summary>std = sqrt(1 / fanIn) (the book's "Xavier", for sigmoid and tanh; Glorot's paper also counts fan-out).</summary>
    Xavier = 2,

    /// <summary>std = the layer's <c>Std</c> (the book's <c>weight_init_std = 0.01</c> by default), whatever the fan-in.</summary>
    Normal = 3,
}

/// <summary>Leaky rectified linear unit (PyTorch's LeakyReLU): <c>y = x</c> where <c>x &gt; 0</c>, else <c>slope·x</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReLUAttribute : Attribute
{
    /// <summary>Declares a leaky ReLU with the given <paramref name="slope"/> for negative inputs (PyTorch's default 0.01), in (0, 1).</summary>
    public LeakyReLUAttribute(float slope = 0.01f) => Slope = slope;

    /// <summary>The slope for negative inputs, greater than 0 and less than 1.</summary>
    public float Slope { get; }
}

/// <summary>Loss layer: sigmoid then binary cross-entropy against targets in [0, 1] (PyTorch's BCEWithLogitsLoss), computed
/// from the logits <c>a</c> as <c>max(a, 0) − a·t + log(1 + exp(−|a|))</c> and averaged over every element of the batch
/// (N·outputs, PyTorch's default <c>reduction='mean'</c>). <c>Forward</c> outputs the probabilities <c>σ(a)</c>. Last layer only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidCrossEntropyAttribute : Attribute
{
}
