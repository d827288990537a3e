using StaticNet;

// Small networks for the gradient check's own tests (tests/StaticNet.Tests/Training/GradientCheckTests.cs).
namespace StaticNet.Tests.Networks;

/// <summary>Smooth everywhere (Tanh only): the check must never skip a parameter as a kink.</summary>
[Network(Reference = true)] [Input(4)] [Dense(8)] [Tanh] [Dense(8)] [Tanh] [Dense(3)] [MeanSquaredError]
public partial class GcTanhNet;

/// <summary>Smooth everywhere (Sigmoid only).</summary>
[Network(Reference = true)] [Input(4)] [Dense(8)] [Sigmoid] [Dense(3)] [MeanSquaredError]
public partial class GcSigmoidNet;

/// <summary>One input, three ReLU units: small enough to put a ReLU input exactly where the test wants it.</summary>
[Network(Reference = true)] [Input(1)] [Dense(3)] [ReLU] [Dense(1)] [MeanSquaredError]
public partial class GcReluNet;
