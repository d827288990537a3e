using StaticNet;

namespace StaticNet.Tests.Parallel;

// The networks of the parallel tests: every layer kind of a feed-forward network, in the places where the split
// between threads could go wrong (a convolution whose input gradient is needed, pooling that remembers indices,
// the batch-wide layers between stages of rows, each loss).

[Network] [Input(784)] [Dense(100)] [ReLU] [Dense(10)] [SoftmaxCrossEntropy]
public partial class ParallelMlp;

[Network] [Input(1, 12, 12)] [Conv2D(6, 3)] [ReLU] [MaxPool2D(2)] [Flatten] [Dense(20)] [Sigmoid] [Dense(5)] [SoftmaxCrossEntropy]
public partial class ParallelConvNet;

[Network] [Input(2, 9, 9)] [Conv2D(3, 3, Padding = 1)] [Tanh] [Conv2D(4, 3, Stride = 2)] [LeakyReLU(0.1f)] [MaxPool2D(3, Stride = 1)] [AvgPool2D(2)] [Flatten] [Dense(7)] [MeanSquaredError]
public partial class ParallelConvChain;

[Network] [Input(33)] [Dense(40)] [BatchNorm] [ReLU] [Dropout(0.3)] [Dense(24)] [Tanh] [Dense(6)] [SoftmaxCrossEntropy]
public partial class ParallelBatchNormMlp;

[Network] [Input(2, 6, 6)] [Conv2D(5, 3)] [BatchNorm] [ReLU] [Dropout(0.2)] [MaxPool2D(2)] [Flatten] [Dense(4)] [Softmax] [MeanSquaredError]
public partial class ParallelBatchNormConv;

[Network] [Input(20)] [Dropout(0.25)] [Dense(30)] [LeakyReLU] [Dense(3)] [SigmoidCrossEntropy]
public partial class ParallelDropoutFirst;

[Network] [Input(17)] [Dense(19)] [Tanh] [Dense(5)]
public partial class ParallelNoLoss;
