using StaticNet;

// Conv networks for the reference pass's tests (Numeric/ReferencePassTests.cs): padding with max pooling, overlapping
// windows, a pool and a Flatten right after the input (their input gradient is the caller's), and no loss layer.
namespace StaticNet.Tests.Networks;

[Network(Reference = true)] [Input(2, 6, 6)] [Conv2D(3, 3, Padding = 1)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(3)] [SoftmaxCrossEntropy]
public partial class RefPaddedMaxPoolNet;

[Network(Reference = true)] [Input(1, 5, 5)] [Conv2D(2, 2)] [Sigmoid] [MaxPool2D(2, Stride = 1)] [Flatten] [Dense(2)] [MeanSquaredError]
public partial class RefOverlappingMaxPoolNet;

[Network(Reference = true)] [Input(3, 5, 5)] [Conv2D(4, 3, Stride = 2, Padding = 2)] [Tanh] [AvgPool2D(2, Stride = 1)] [Flatten] [Dense(3)] [Tanh]
public partial class RefConvNoLossNet;

[Network(Reference = true)] [Input(2, 4, 4)] [AvgPool2D(2)] [Flatten] [Dense(3)] [SoftmaxCrossEntropy]
public partial class RefPoolFirstNet;

[Network(Reference = true)] [Input(1, 4, 6)] [Flatten] [Dense(2)] [MeanSquaredError]
public partial class RefFlattenFirstNet;

[Network(Reference = true)] [Input(2, 5, 5)] [Conv2D(2, 3, Padding = 1)] [Flatten] [Dense(2)]
public partial class RefConvFirstNoLossNet;
