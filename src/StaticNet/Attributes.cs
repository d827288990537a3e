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

/// <summary>
/// Inverted dropout, as PyTorch's <c>nn.Dropout</c>: in training (<c>Loss</c> with <c>Training</c> on) each value is
/// dropped (set to 0) with probability <see cref="Ratio"/> and the kept ones are scaled by <c>1 / (1 − ratio)</c>, so
/// that the expected output equals the input; in inference (<c>Forward</c>, or <c>Loss</c> with <c>Training</c> off) the
/// layer is the identity. The book's <c>common/layers.py</c> <c>Dropout</c> does not scale in training and multiplies
/// by <c>(1 − ratio)</c> at test time instead: the same expectation, scaled at the other end, so its weights are not
/// interchangeable with these. The masks come from a generator seeded from the network's constructor seed.
/// Any shape (a vector, or a (C, H, W) image after a convolution).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares a dropout layer that drops each value with probability <paramref name="ratio"/>, in [0, 1).</summary>
    public DropoutAttribute(double ratio) => Ratio = ratio;

    /// <summary>The probability that a value is dropped in training, in [0, 1) (the book's <c>dropout_ratio</c>, PyTorch's <c>p</c>).</summary>
    public double Ratio { get; }
}

/// <summary>
/// Batch normalisation (the book's ch. 6.3), with PyTorch's conventions: after a Dense layer each feature is normalised
/// over the batch (<c>nn.BatchNorm1d</c>); after a convolution each channel is normalised over the batch and every
/// position (<c>nn.BatchNorm2d</c>; the book's <c>BatchNormalization</c> instead flattens a (C, H, W) input and
/// normalises each of the C·H·W values on its own). <c>y = γ·x̂ + β</c> with <c>x̂ = (x − μ) / √(σ² + ε)</c>; γ starts at
/// 1 and β at 0, both trained (in <c>Parameters</c> as <c>gamma{n}</c> and <c>beta{n}</c>). In training μ and σ² are the
/// batch's mean and (biased) variance, and the running mean and variance (in <c>State</c>, saved with the weights) move
/// towards them: <c>running = (1 − Momentum)·running + Momentum·batch</c>, the running variance from the unbiased
/// batch variance (PyTorch's rule; the book's <c>momentum = 0.9</c> weighs the old value, so it is PyTorch's 0.1). In
/// inference the running statistics are used.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>How far one training batch moves the running statistics, in [0, 1]; 0.1 by default, as PyTorch.</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Added to the variance before the square root, positive; 1e-5 by default, as PyTorch (the book adds <c>10e-7</c>, i.e. 1e-6).</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>A gated recurrent unit over a sequence, as PyTorch's <c>nn.GRU</c> (gates r, z, n):
/// <c>r = σ(W_ir·x + b_ir + W_hr·h₋₁ + b_hr)</c>, <c>z = σ(W_iz·x + b_iz + W_hz·h₋₁ + b_hz)</c>,
/// <c>n = tanh(W_in·x + b_in + r ⊙ (W_hn·h₋₁ + b_hn))</c>, <c>h = (1 − z) ⊙ n + z ⊙ h₋₁</c>, with
/// <c>W_ih [3·hidden, in]</c>, <c>W_hh [3·hidden, hidden]</c>, <c>b_ih</c>, <c>b_hh [3·hidden]</c> in that order in the parameters,
/// laid out as PyTorch's <c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>. Its output at each time step
/// is <c>h</c>. Right after the input or another recurrent layer; the layers after it apply at every time step.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GRUAttribute : Attribute
{
    /// <summary>Declares a GRU with a hidden state of <paramref name="hiddenSize"/> floats.</summary>
    public GRUAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>Floats in the hidden state: the layer's output per time step.</summary>
    public int HiddenSize { get; }
}

/// <summary>A long short-term memory layer over a sequence, as PyTorch's <c>nn.LSTM</c> (gates i, f, g, o):
/// <c>i, f, o = σ(W_i·x + b_i + W_h·h₋₁ + b_h)</c>, <c>g = tanh(…)</c>, <c>c = f ⊙ c₋₁ + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>,
/// with <c>W_ih [4·hidden, in]</c>, <c>W_hh [4·hidden, hidden]</c>, <c>b_ih</c>, <c>b_hh [4·hidden]</c> in that order in the parameters,
/// laid out as PyTorch's. Its output at each time step is <c>h</c>. Right after the input or another recurrent layer;
/// the layers after it apply at every time step.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LSTMAttribute : Attribute
{
    /// <summary>Declares an LSTM with hidden and cell states of <paramref name="hiddenSize"/> floats.</summary>
    public LSTMAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>Floats in the hidden state (and in the cell state): the layer's output per time step.</summary>
    public int HiddenSize { get; }
}

/// <summary>How a layer's weights are drawn by the generated constructor (from its seed): normal with mean 0 and a
/// standard deviation that depends on the layer's fan-in (inputs for Dense, C·K·K for Conv2D). Biases start at 0.
/// The book compares these in ch. 6.2.</summary>
public enum Init
{
    /// <summary>The default: <see cref="He"/> when the next layer is ReLU; when it is LeakyReLU with slope <c>a</c>, He with the
    /// leaky gain, std = sqrt(2 / ((1 + a²)·fanIn)) (PyTorch's <c>kaiming_normal_</c> with that <c>a</c>); <see cref="Xavier"/> otherwise.</summary>
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
