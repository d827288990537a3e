using StaticNet;

// Networks of the ch. 6 toolkit's tests: initialisers, weight decay, LeakyReLU, SigmoidCrossEntropy.
namespace StaticNet.Tests.Networks;

/// <summary>Every Init on Dense, each against the automatic choice it overrides: He before Tanh, Xavier before ReLU,
/// Normal with a given and the default std, and Auto (Xavier: no ReLU follows).</summary>
[Network] [Input(500)]
[Dense(400, Init = Init.He)] [Tanh]
[Dense(300, Init = Init.Xavier)] [ReLU]
[Dense(200, Init = Init.Normal, Std = 0.05f)]
[Dense(100, Init = Init.Normal)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class InitDenseNet;

/// <summary>Init on Conv2D, whose fan-in is C·K·K (3·5·5 = 75, then 16·3·3 = 144); the last Dense is Auto before ReLU: He.</summary>
[Network] [Input(3, 12, 12)]
[Conv2D(16, 5, Init = Init.Xavier)] [ReLU]
[Conv2D(32, 3, Init = Init.Normal, Std = 0.1f)] [Flatten]
[Dense(64)] [ReLU]
[Dense(2)] [MeanSquaredError]
public partial class InitConvNet;

/// <summary>Init before LeakyReLU: Auto gives He with the leaky gain (the slope is large, so it differs from plain He by
/// 1/√1.25), an explicit He stays plain He, and Auto on a Conv2D before LeakyReLU takes the gain too.</summary>
[Network] [Input(400)]
[Dense(200)] [LeakyReLU(0.5f)]
[Dense(100, Init = Init.He)] [LeakyReLU(0.5f)]
[Dense(1)] [MeanSquaredError]
public partial class InitLeakyNet;

[Network] [Input(4, 10, 10)] [Conv2D(40, 5)] [LeakyReLU(0.2f)] [Flatten] [Dense(1)] [MeanSquaredError]
public partial class InitLeakyConvNet;

/// <summary>Smooth (Tanh), for weight decay against central differences and a naive reference.</summary>
[Network(Reference = true)] [Input(6)] [Dense(5)] [Tanh] [Dense(4)] [Tanh] [Dense(3)] [SoftmaxCrossEntropy]
public partial class WeightDecayNet;

/// <summary>Weight decay through a convolution's fused SGD step.</summary>
[Network(Reference = true)] [Input(2, 5, 5)] [Conv2D(3, 3)] [Tanh] [Flatten] [Dense(2)] [MeanSquaredError]
public partial class WeightDecayConvNet;

/// <summary>LeakyReLU between Dense layers, with a slope large enough to see.</summary>
[Network(Reference = true)] [Input(5)] [Dense(7)] [LeakyReLU(0.1f)] [Dense(6)] [LeakyReLU] [Dense(3)] [MeanSquaredError]
public partial class LeakyReLUNet;

/// <summary>Three independent yes/no outputs on logits.</summary>
[Network(Reference = true)] [Input(4)] [Dense(6)] [Tanh] [Dense(3)] [SigmoidCrossEntropy]
public partial class SigmoidCrossEntropyNet;

/// <summary>Every new layer at once, for the allocation test: LeakyReLU, SigmoidCrossEntropy, Init, and weight decay at run time.</summary>
[Network(Reference = true)] [Input(64)] [Dense(32, Init = Init.He)] [LeakyReLU(0.02f)] [Dense(16, Init = Init.Normal, Std = 0.1f)] [LeakyReLU] [Dense(1)] [SigmoidCrossEntropy]
public partial class Chapter6EveryLayerNet;
