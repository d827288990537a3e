using StaticNet;

// Networks that match small PyTorch nn.Sequential models, for the safetensors interop tests
// (Interop/SafeTensors; the PyTorch side is Interop/SafeTensors/pytorch/make_reference.py).
namespace StaticNet.Tests.Networks;

/// <summary>nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) with CrossEntropyLoss.</summary>
[Network] [Input(4)] [Dense(8)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class TorchMlp4x8x3;

/// <summary>nn.Sequential(Linear(5, 6), Tanh(), Linear(6, 4), Sigmoid(), Linear(4, 2)) with MSELoss.</summary>
[Network] [Input(5)] [Dense(6)] [Tanh] [Dense(4)] [Sigmoid] [Dense(2)] [MeanSquaredError]
public partial class TorchMlp5x6x4x2;

/// <summary>
/// nn.Sequential(Tanh(), Linear(6, 5), ReLU(), Sigmoid(), Linear(5, 3), Softmax(dim=1)) held as
/// <c>self.model</c> (names <c>model.1.weight</c>, ...), with MSELoss: activations first and back to back.
/// </summary>
[Network] [Input(6)] [Tanh] [Dense(5)] [ReLU] [Sigmoid] [Dense(3)] [Softmax] [MeanSquaredError]
public partial class TorchPrefixed6x5x3;
