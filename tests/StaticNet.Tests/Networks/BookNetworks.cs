using StaticNet;

namespace StaticNet.Tests.Networks;

/// <summary>The book's ch. 5 network.</summary>
[Network]
[Input(784)]
[Dense(50)] [Sigmoid]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class TwoLayerNet;
