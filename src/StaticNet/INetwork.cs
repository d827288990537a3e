using System;

namespace StaticNet;

/// <summary>
/// What every generated network is. The runtime helpers (optimizers, gradient check, training,
/// serialization) are generic over <c>TNet : INetwork</c>; they make one interface call per batch,
/// and all the work is inside the generated methods.
/// </summary>
public interface INetwork
{
    /// <summary>Floats per input row.</summary>
    int InputSize { get; }

    /// <summary>Floats per output row.</summary>
    int OutputSize { get; }

    /// <summary>Number of trainable parameters (the length of <see cref="Parameters"/>).</summary>
    int ParameterCount { get; }

    /// <summary>The largest batch the network's buffers were allocated for.</summary>
    int BatchCapacity { get; }

    /// <summary>
    /// The declared architecture on one line, e.g. <c>Input(784) Dense(100) ReLU Dense(10) SoftmaxCrossEntropy</c>.
    /// Two networks with the same architecture have the same parameter layout.
    /// </summary>
    string Architecture { get; }

    /// <summary>All parameters in one contiguous block: each Dense layer's weights <c>[in, out]</c> row-major, then its bias.</summary>
    Span<float> Parameters { get; }

    /// <summary>dLoss/dParameters, laid out as <see cref="Parameters"/>; overwritten by each backward pass.</summary>
    Span<float> Gradients { get; }

    /// <summary>The named blocks of <see cref="Parameters"/> (e.g. <c>W1</c>, <c>b1</c>), in order.</summary>
    ReadOnlySpan<ParameterBlock> ParameterBlocks { get; }

    /// <summary>
    /// What the network keeps besides its trained parameters (PyTorch's buffers): the running mean and variance of
    /// each BatchNorm layer, which inference uses and a training <c>Loss</c> updates. Saved and loaded with the
    /// parameters by <see cref="NetworkFile"/>; optimizers do not touch it. Empty for a network without BatchNorm
    /// (the default, for networks written by hand).
    /// </summary>
    Span<float> State => Span<float>.Empty;

    /// <summary>
    /// Whether <c>Loss</c> runs the training form of Dropout and BatchNorm (on by default in generated networks);
    /// <c>Forward</c> always runs the inference form. A network without such layers computes the same either way, and
    /// the default (for networks written by hand) ignores the value and reads false.
    /// </summary>
    bool Training { get => false; set { } }

    /// <summary>Runs the network on <c>input.Length / InputSize</c> rows.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// Propagates <paramref name="outputGradient"/> (dL/d output of the latest <see cref="Forward"/>)
    /// back through the network, writing dL/dParameters into <see cref="Gradients"/> and dL/d input
    /// into <paramref name="inputGradient"/> (pass an empty span to skip it).
    /// </summary>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);
}

/// <summary>A network that ends in a loss layer.</summary>
public interface ILossNetwork : INetwork
{
    /// <summary>Forward pass plus the loss against <paramref name="targets"/> (one row of <c>OutputSize</c> per input row); keeps what <see cref="Backward()"/> needs.</summary>
    float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets);

    /// <summary>After <see cref="Loss"/>: writes dLoss/dParameters into <see cref="INetwork.Gradients"/> (overwriting).</summary>
    void Backward();

    /// <summary>
    /// After <see cref="Loss"/>: the backward pass with a plain SGD step fused in, <c>θ ← θ − lr·dLoss/dθ</c>
    /// for every parameter, each layer's update made by the kernel that computes its gradient, so the
    /// weights are read and written once instead of the gradients being stored and read again.
    /// <see cref="INetwork.Gradients"/> is not written. Equal, up to rounding, to <see cref="Backward()"/>
    /// followed by <c>new Sgd(learningRate).Step(Parameters, Gradients)</c>.
    /// </summary>
    void BackwardSgd(float learningRate);
}

/// <summary>What a block of parameters is.</summary>
public enum ParameterKind
{
    /// <summary>A weight matrix.</summary>
    Weights,
    /// <summary>A bias vector.</summary>
    Bias,
    /// <summary>BatchNorm's scale γ (<c>gamma{n}</c>, one per feature or channel, initially 1): not a weight, so weight decay leaves it.</summary>
    Scale,
    /// <summary>BatchNorm's shift β (<c>beta{n}</c>, one per feature or channel, initially 0), the counterpart of a bias.</summary>
    Shift,
    /// <summary>
    /// Not a parameter: BatchNorm's running mean (<c>RunningMean{n}</c>), a block of <see cref="INetwork.State"/>. Only
    /// <c>SafeTensorsNetwork.Describe</c> lists such blocks (PyTorch's <c>running_mean</c> buffer); their offset is into State.
    /// </summary>
    RunningMean,
    /// <summary>Not a parameter: BatchNorm's running variance (<c>RunningVar{n}</c>), a block of <see cref="INetwork.State"/> (PyTorch's <c>running_var</c>).</summary>
    RunningVariance,
    /// <summary>
    /// Not a parameter and not kept by StaticNet: PyTorch's <c>num_batches_tracked</c> counter of a BatchNorm (an int64 scalar,
    /// of length 0 here), listed by <c>SafeTensorsNetwork.Describe</c> because a state_dict holds it.
    /// </summary>
    BatchCounter,
}

/// <summary>A named block of a network's parameters, e.g. <c>W1</c> of layer <c>Dense1</c>.</summary>
/// <param name="Name">The block's name in the generated code (<c>W1</c>, <c>b1</c>).</param>
/// <param name="Layer">The layer it belongs to (<c>Dense1</c>).</param>
/// <param name="Kind">Weights or bias.</param>
/// <param name="Offset">Where the block starts in <see cref="INetwork.Parameters"/>.</param>
/// <param name="Length">How many floats it holds.</param>
/// <param name="Rows">Rows of the block (inputs of the layer; 1 for a bias; a Conv2D weight's filters).</param>
/// <param name="Columns">Columns of the block (outputs of the layer; a Conv2D weight's channels·kernel·kernel).</param>
public readonly record struct ParameterBlock(string Name, string Layer, ParameterKind Kind, int Offset, int Length, int Rows, int Columns)
{
    private readonly ParameterShape _shape;

    /// <summary>
    /// The block's shape as its layer reads it: <c>[Columns]</c> for a bias, <c>[Rows, Columns]</c> for a Dense
    /// weight, <c>[filters, channels, kernel, kernel]</c> for a Conv2D weight (whose <see cref="Rows"/> and
    /// <see cref="Columns"/> are that seen as a matrix, <c>[filters, channels·kernel·kernel]</c>).
    /// </summary>
    public ParameterShape Shape
    {
        get => _shape.Rank != 0 ? _shape : Kind == ParameterKind.Bias ? new ParameterShape(Columns) : new ParameterShape(Rows, Columns);
        init => _shape = value;
    }
}
