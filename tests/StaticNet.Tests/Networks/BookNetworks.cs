using StaticNet;

namespace StaticNet.Tests.Networks;

/// <summary>The book's ch. 4 network, <c>TwoLayerNet</c> with sigmoid (ch. 5's uses ReLU).</summary>
[Network(Reference = true)]
[Input(784)]
[Dense(50)] [Sigmoid]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class TwoLayerNet;
