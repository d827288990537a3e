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

/// <summary>
/// The book's SimpleConvNet at a small size: nn.Sequential(Conv2d(1, 4, 3), ReLU(), MaxPool2d(2), Flatten(),
/// Linear(64, 12), ReLU(), Linear(12, 3)) with CrossEntropyLoss (names 0.*, 4.*, 6.*).
/// </summary>
[Network] [Input(1, 10, 10)] [Conv2D(4, 3)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(12)] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class TorchSimpleConv;

/// <summary>
/// nn.Sequential(Conv2d(2, 3, 3, stride=2, padding=1), Tanh(), AvgPool2d(2, stride=1), Flatten(), Linear(27, 4))
/// with MSELoss: stride, padding and an overlapping average pool.
/// </summary>
[Network] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class TorchStridedConv;

/// <summary>
/// Two convolutions, held as <c>self.model</c> (names <c>model.0.weight</c>, <c>model.2.weight</c>, <c>model.5.weight</c>):
/// nn.Sequential(Conv2d(3, 4, 3, padding=1), ReLU(), Conv2d(4, 2, 3, stride=2), Sigmoid(), Flatten(), Linear(18, 3),
/// Softmax(dim=1)) with MSELoss.
/// </summary>
[Network] [Input(3, 7, 7)] [Conv2D(4, 3, Padding = 1)] [ReLU] [Conv2D(2, 3, Stride = 2)] [Sigmoid] [Flatten] [Dense(3)] [Softmax] [MeanSquaredError]
public partial class TorchTwoConvPrefixed;
