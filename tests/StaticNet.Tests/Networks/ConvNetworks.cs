using StaticNet;

// Conv networks the generator must compile and the numeric tests check: the book's SimpleConvNet, and small ones that
// between them take kernels 1 to 5, strides 1 to 3, padding 0 to 2, 1 to 3 input channels, odd and even sizes, max
// pooling with a stride other than its window, average pooling, conv after conv, and a pool on the input.
namespace StaticNet.Tests.Networks;

[Network(Reference = true)] [Input(1, 28, 28)] [Conv2D(30, 5)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class SimpleConvNet;

[Network(Reference = true)] [Input(2, 7, 7)] [Conv2D(3, 3, Stride = 2, Padding = 1)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(4)] [MeanSquaredError]
public partial class StridedConvNet;

// Kernel 1 on an odd-by-even image; max pooling with stride 1 (overlapping windows).
[Network(Reference = true)] [Input(3, 6, 5)] [Conv2D(4, 1)] [Sigmoid] [MaxPool2D(2, Stride = 1)] [Flatten] [Dense(3)] [SoftmaxCrossEntropy]
public partial class ConvK1Net;

// Conv after conv: padding 2 (larger than the image's border needs), then kernel 2 at stride 2, then a 3-window max pool at stride 2.
[Network(Reference = true)] [Input(2, 8, 8)] [Conv2D(3, 3, Padding = 2)] [Tanh] [Conv2D(2, 2, Stride = 2)] [ReLU] [MaxPool2D(3, Stride = 2)] [Flatten] [Dense(5)] [SoftmaxCrossEntropy]
public partial class ConvChainNet;

// Kernel 4 at stride 3 with padding 1 on an odd image, then average pooling with its default stride.
[Network(Reference = true)] [Input(1, 11, 11)] [Conv2D(2, 4, Stride = 3, Padding = 1)] [Sigmoid] [AvgPool2D(2)] [Flatten] [Dense(2)] [MeanSquaredError]
public partial class ConvStride3Net;

// A pool on the input (its input gradient is computed only when asked for), then a conv whose output is 1×1.
[Network(Reference = true)] [Input(2, 6, 6)] [MaxPool2D(2)] [Conv2D(3, 3)] [Tanh] [Flatten] [Dense(2)] [MeanSquaredError]
public partial class PoolFirstNet;

// No loss layer: the output is an image, and the input gradient comes straight out of the convolution.
[Network(Reference = true)] [Input(2, 5, 5)] [Conv2D(2, 3, Padding = 1)]
public partial class ConvOnlyNet;
