using System;
using StaticNet;

namespace StaticNet.Benchmarks;

/// <summary>The reference network, declared with StaticNet's attributes; the generator writes the rest.</summary>
[Network]
[Input(784)]
[Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class ReferenceMlp;

/// <summary>
/// The generated <see cref="ReferenceMlp"/> behind the benchmarks' interface. A training step is
/// <c>Loss</c>, <c>Backward</c>, <c>Sgd.Step</c>, or with <c>fused</c>, <c>Loss</c> and <c>BackwardSgd</c>
/// (the SGD step made inside the weight-gradient kernels; no gradient stored). With <c>workspace</c>, inference is
/// <c>Forward(input, output, workspace)</c>, which reads the input where it lies: the plain <c>Forward</c> copies it,
/// as <c>Backward(outputGradient, inputGradient)</c> may follow and needs it. <c>degree</c> is its
/// <c>DegreeOfParallelism</c>.
/// </summary>
public sealed class StaticNetReference : IReferenceNet
{
    private readonly ReferenceMlp _net;
    private readonly Sgd _sgd = new(0.1f);
    private readonly bool _fused;
    // With a workspace, Forward is the form that reads the input where it lies (no copy kept for a backward pass).
    private readonly ReferenceMlp.Workspace? _workspace;

    public StaticNetReference(int capacity, bool fused = false, bool workspace = false, int degree = 1)
    {
        _net = new ReferenceMlp(capacity) { DegreeOfParallelism = degree };
        _fused = fused;
        _workspace = workspace ? new ReferenceMlp.Workspace(capacity) : null;
    }

    public int BatchCapacity => _net.BatchCapacity;

    // The generated layout is the canonical one: W1 [784,100], b1, W2 [100,10], b2.
    public void SetParameters(ReadOnlySpan<float> parameters) => parameters.CopyTo(_net.Parameters);

    public void GetParameters(Span<float> parameters) => _net.Parameters.CopyTo(parameters);

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_workspace is null) _net.Forward(x, y);
        else _net.Forward(x, y, _workspace);
    }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        float loss = _net.Loss(x, labels);
        if (_fused)
        {
            _net.BackwardSgd(lr);
            return loss;
        }
        _net.Backward();
        _sgd.LearningRate = lr;
        _sgd.Step(_net.Parameters, _net.Gradients);
        return loss;
    }
}
