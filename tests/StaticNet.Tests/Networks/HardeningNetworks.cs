using StaticNet;

// Networks for HardeningTests: small enough for central differences over every input, sizes that are
// not multiples of a vector width.
namespace StaticNet.Tests.Networks;

[Network(Reference = true)] [Input(3)] [Dense(5)] [Tanh] [Dense(4)] [SoftmaxCrossEntropy]
public partial class HardenSceNet;

[Network(Reference = true)] [Input(3)] [Dense(5)] [Tanh] [Dense(2)] [MeanSquaredError]
public partial class HardenMseNet;
