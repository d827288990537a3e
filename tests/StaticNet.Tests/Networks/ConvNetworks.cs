using StaticNet;

// Conv networks the generator must compile: the book's SimpleConvNet and a strided, padded variant with average pooling.
namespace StaticNet.Tests.Networks;

[Network(Reference = true)] [Input(1, 28, 28)] [Conv2D(30, 5)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class SimpleConvNet;

[Network(Reference = true)] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class StridedConvNet;
