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

// BatchNorm and recurrent networks of make_reference.py (MODELS_V2): BatchNorm1d/2d with running statistics, and the
// recurrent module SafeTensorsNetwork maps to (rnn = nn.GRU/nn.LSTM or a ModuleList of them, head = Linear or Sequential).

/// <summary>nn.Sequential(Linear(5, 6), BatchNorm1d(6), ReLU(), Linear(6, 3)) with CrossEntropyLoss (names 0.*, 1.*, 3.*).</summary>
[Network] [Input(5)] [Dense(6)] [BatchNorm] [ReLU] [Dense(3)] [SoftmaxCrossEntropy]
public partial class TorchBatchNormMlp;

/// <summary>nn.Sequential(Linear(4, 5), BatchNorm1d(5, eps=1e-3, momentum=0.2), Tanh(), Linear(5, 2)) with MSELoss.</summary>
[Network] [Input(4)] [Dense(5)] [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)] [Tanh] [Dense(2)] [MeanSquaredError]
public partial class TorchBatchNormEpsMlp;

/// <summary>nn.Sequential(Conv2d(2, 3, 3), BatchNorm2d(3), ReLU(), MaxPool2d(2), Flatten(), Linear(12, 4)) with MSELoss.</summary>
[Network] [Input(2, 6, 6)] [Conv2D(3, 3)] [BatchNorm] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class TorchBatchNormConv;

/// <summary>rnn = nn.GRU(3, 5, num_layers=2, batch_first=True), head = nn.Linear(5, 2), MSELoss.</summary>
[Network] [Input(3)] [GRU(5)] [GRU(5)] [Dense(2)] [MeanSquaredError]
public partial class TorchGruStack;

/// <summary>rnn = nn.LSTM(2, 4, num_layers=2, batch_first=True), head = nn.Linear(4, 2), MSELoss.</summary>
[Network] [Input(2)] [LSTM(4)] [LSTM(4)] [Dense(2)] [MeanSquaredError]
public partial class TorchLstmStack;

/// <summary>rnn = ModuleList(LSTM(2, 6), LSTM(6, 4)), head = Sequential(Linear(4, 3), ReLU(), Linear(3, 2)), CrossEntropyLoss per step.</summary>
[Network] [Input(2)] [LSTM(6)] [LSTM(4)] [Dense(3)] [ReLU] [Dense(2)] [SoftmaxCrossEntropy]
public partial class TorchLstmMixed;

/// <summary>rnn = ModuleList(GRU(3, 4), LSTM(4, 3)), head = nn.Linear(3, 2), MSELoss.</summary>
[Network] [Input(3)] [GRU(4)] [LSTM(3)] [Dense(2)] [MeanSquaredError]
public partial class TorchGruLstm;
