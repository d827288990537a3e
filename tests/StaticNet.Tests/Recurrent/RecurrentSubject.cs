using System;
using StaticNet.Tests.Networks;

namespace StaticNet.Tests.Recurrent;

/// <summary>A layer of <see cref="RecurrentReference"/>: a GRU or LSTM of <c>Size</c> units, a Dense of <c>Size</c> outputs, or an activation.</summary>
public readonly record struct RefLayer(string Kind, int Size = 0)
{
    public static RefLayer Gru(int h) => new("gru", h);
    public static RefLayer Lstm(int h) => new("lstm", h);
    public static RefLayer Dense(int units) => new("dense", units);
    public static readonly RefLayer Relu = new("relu");
}

/// <summary>
/// One generated recurrent network behind delegates, so that one test runs on every declared network, with the
/// description of it that the double-precision reference reads.
/// </summary>
public sealed class RecurrentSubject
{
    public delegate Span<float> SpanGetter();
    public delegate void ForwardFn(ReadOnlySpan<float> input, Span<float> output, int steps);
    public delegate float LossFn(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int steps);
    public delegate void BackwardFn(Span<float> inputGradient);
    public delegate void StepFn(ReadOnlySpan<float> x, Span<float> y);

    public required string Name { get; init; }
    public required int InputSize { get; init; }
    public required int OutputSize { get; init; }
    public required RefLayer[] Layers { get; init; }
    /// <summary>"mse", "sce" or null.</summary>
    public required string? LossKind { get; init; }
    public required SpanGetter Parameters { get; init; }
    public required SpanGetter Gradients { get; init; }
    public required ForwardFn Forward { get; init; }
    public LossFn? Loss { get; init; }
    public LossFn? LossAtLastStep { get; init; }
    public BackwardFn? Backward { get; init; }
    public required StepFn Step { get; init; }
    public required Action ResetState { get; init; }
    public required INetwork Network { get; init; }

    public override string ToString() => Name;

    public static RecurrentSubject Create(string name, int maxSteps, int batchCapacity, int seed = 1) => name switch
    {
        nameof(GruNet) => Of(new GruNet(maxSteps, batchCapacity, seed), name, GruNet.InputSize, GruNet.OutputSize, "mse",
            RefLayer.Gru(11), RefLayer.Dense(2)),
        nameof(LstmNet) => Of(new LstmNet(maxSteps, batchCapacity, seed), name, LstmNet.InputSize, LstmNet.OutputSize, "mse",
            RefLayer.Lstm(10), RefLayer.Dense(2)),
        nameof(GruStackNet) => Of(new GruStackNet(maxSteps, batchCapacity, seed), name, GruStackNet.InputSize, GruStackNet.OutputSize, "mse",
            RefLayer.Gru(9), RefLayer.Gru(5), RefLayer.Dense(1)),
        nameof(LstmStackNet) => Of(new LstmStackNet(maxSteps, batchCapacity, seed), name, LstmStackNet.InputSize, LstmStackNet.OutputSize, "mse",
            RefLayer.Lstm(6), RefLayer.Lstm(9), RefLayer.Dense(1)),
        nameof(GruClassifierNet) => Of(new GruClassifierNet(maxSteps, batchCapacity, seed), name, GruClassifierNet.InputSize, GruClassifierNet.OutputSize, "sce",
            RefLayer.Gru(7), RefLayer.Dense(6), RefLayer.Relu, RefLayer.Dense(3)),
        nameof(AudioGruNet) => Of(new AudioGruNet(maxSteps, batchCapacity, seed), name, AudioGruNet.InputSize, AudioGruNet.OutputSize, "mse",
            RefLayer.Gru(16), RefLayer.Dense(1)),
        nameof(BareGruNet) => Bare(new BareGruNet(maxSteps, batchCapacity, seed)),
        _ => throw new ArgumentException("No such network: " + name),
    };

    // The generated classes share no interface for their sequence methods, so each is wrapped by hand.
    private static RecurrentSubject Of(GruNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Of(LstmNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Of(GruStackNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Of(LstmStackNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Of(GruClassifierNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Of(AudioGruNet n, string name, int i, int o, string loss, params RefLayer[] layers) => new()
    {
        Name = name, InputSize = i, OutputSize = o, Layers = layers, LossKind = loss, Network = n,
        Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward, Loss = n.Loss,
        LossAtLastStep = n.LossAtLastStep, Backward = n.Backward, Step = n.Step, ResetState = n.ResetState,
    };

    private static RecurrentSubject Bare(BareGruNet n) => new()
    {
        Name = nameof(BareGruNet), InputSize = BareGruNet.InputSize, OutputSize = BareGruNet.OutputSize, Layers = new[] { RefLayer.Gru(3) },
        LossKind = null, Network = n, Parameters = () => n.Parameters, Gradients = () => n.Gradients, Forward = n.Forward,
        Step = n.Step, ResetState = n.ResetState,
    };
}
