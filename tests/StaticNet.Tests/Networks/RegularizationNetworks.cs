using StaticNet;

// Networks with Dropout and BatchNorm: the tests of the training and inference modes, the layers' numbers against a
// double-precision reference, gradient checks, running statistics and their save and load.
namespace StaticNet.Tests.Networks;

/// <summary>Dense → BatchNorm (per feature) → ReLU → Dropout → Dense, a classifier: every new piece at once.</summary>
[Network(Reference = true)] [Input(6)] [Dense(5)] [BatchNorm] [ReLU] [Dropout(0.3)] [Dense(3)] [SoftmaxCrossEntropy]
public partial class BatchNormDropoutNet;

/// <summary>Just a BatchNorm on the input, with a loss that passes values through: the layer alone, against the reference.</summary>
[Network(Reference = true)] [Input(7)] [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)] [MeanSquaredError]
public partial class BatchNormOnlyNet;

/// <summary>A convolution, then BatchNorm per channel (BatchNorm2d), then Dropout on the image.</summary>
[Network(Reference = true)] [Input(2, 5, 5)] [Conv2D(3, 3)] [BatchNorm] [Tanh] [Dropout(0.25)] [Flatten] [Dense(4)] [SoftmaxCrossEntropy]
public partial class BatchNormConvNet;

/// <summary>A BatchNorm after a convolution alone: per channel over N·H·W, against the reference.</summary>
[Network(Reference = true)] [Input(3, 4, 4)] [BatchNorm] [MeanSquaredError]
public partial class BatchNorm2DOnlyNet;

/// <summary>Dropout alone, between two Dense layers.</summary>
[Network(Reference = true)] [Input(4)] [Dense(50)] [Dropout(0.5)] [Dense(2)] [MeanSquaredError]
public partial class DropoutNet;

/// <summary>Smooth everywhere (Tanh, no ReLU) with BatchNorm twice, for central differences.</summary>
[Network(Reference = true)] [Input(5)] [Dense(6)] [BatchNorm] [Tanh] [Dense(4)] [BatchNorm] [Sigmoid] [Dense(3)] [SoftmaxCrossEntropy]
public partial class BatchNormSmoothNet;

/// <summary>Dropout right on the input: Backward(1, dx) reads the mask off, dx = mask.</summary>
[Network(Reference = true)] [Input(100)] [Dropout(0.3)] [MeanSquaredError]
public partial class DropoutOnlyNet;

/// <summary>No loss layer: nothing runs the training form, Forward and Backward(outputGradient, …) are the inference form's.</summary>
[Network(Reference = true)] [Input(4)] [Dense(3)] [BatchNorm] [Dropout(0.5)]
public partial class BatchNormNoLossNet;
