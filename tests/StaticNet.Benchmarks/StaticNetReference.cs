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
/// (the SGD step made inside the weight-gradient kernels; no gradient stored).
/// </summary>
public sealed class StaticNetReference : IReferenceNet
{
    private readonly ReferenceMlp _net;
    private readonly Sgd _sgd = new(0.1f);
    private readonly bool _fused;

    public StaticNetReference(int capacity, bool fused = false)
    {
        _net = new ReferenceMlp(capacity);
        _fused = fused;
    }

    public int BatchCapacity => _net.BatchCapacity;

    // The generated layout is the canonical one: W1 [784,100], b1, W2 [100,10], b2.
    public void SetParameters(ReadOnlySpan<float> parameters) => parameters.CopyTo(_net.Parameters);

    public void GetParameters(Span<float> parameters) => _net.Parameters.CopyTo(parameters);

    public void Forward(ReadOnlySpan<float> x, Span<float> y) => _net.Forward(x, y);

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
