using StaticNet;

// Networks the numeric tests compile and check. Between them they use every layer kind, sizes that
// are and are not multiples of every vector width (1, 3, 7, 8, 17, 33, 100, 784), activations
// before the first Dense and back to back, and networks without a loss layer.
namespace StaticNet.Tests.Networks;

[Network(Reference = true)] [Input(1)] [Dense(3)] [ReLU] [Dense(1)] [MeanSquaredError]
public partial class Net1x3x1Mse;

[Network(Reference = true)] [Input(3)] [Dense(7)] [Sigmoid] [Dense(8)] [SoftmaxCrossEntropy]
public partial class Net3x7x8Sce;

[Network(Reference = true)] [Input(7)] [Dense(17)] [Tanh] [Dense(3)] [SoftmaxCrossEntropy]
public partial class Net7x17x3Sce;

[Network(Reference = true)] [Input(8)] [Dense(33)] [ReLU] [Dense(8)] [Softmax]
public partial class Net8x33x8Softmax;

[Network(Reference = true)] [Input(17)] [Dense(33)] [Sigmoid] [Dense(7)] [MeanSquaredError]
public partial class Net17x33x7Mse;

[Network(Reference = true)] [Input(33)] [Dense(100)] [Tanh] [Dense(17)] [SoftmaxCrossEntropy]
public partial class Net33x100x17Sce;

[Network(Reference = true)] [Input(100)] [Dense(784)] [ReLU] [Dense(8)] [MeanSquaredError]
public partial class Net100x784x8Mse;

[Network(Reference = true)] [Input(784)] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class Net784x100x10Sce;

[Network(Reference = true)] [Input(5)] [Dense(9)] [ReLU] [Dense(9)] [Tanh] [Dense(9)] [Sigmoid] [Dense(4)] [Softmax] [MeanSquaredError]
public partial class DeepNet;

[Network(Reference = true)] [Input(6)] [Tanh] [Dense(5)] [ReLU] [Sigmoid] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ActivationFirstNet;

[Network(Reference = true)] [Input(7)] [Dense(5)] [Tanh]
public partial class NoLossNet;

[Network(Reference = true)] [Input(4)] [SoftmaxCrossEntropy]
public partial class LossOnlyNet;

[Network(Reference = true)] [Input(9)] [Dense(1)]
public partial class LinearNet;
