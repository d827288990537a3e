using StaticNet;

namespace Samples.Mnist;

// The two networks of this sample. Each declaration is all a user writes: the StaticNet source
// generator turns the attributes (in order: the layers from input to loss) into the rest of the
// partial class, with Forward, Loss, Backward, the parameters and their gradients. Build the
// project and read the result under obj/<Configuration>/net10.0/generated/ (see README.md).

/// <summary>
/// The default network: the ReLU <c>TwoLayerNet</c> of "Deep Learning from Scratch" ch. 5 with 100
/// hidden units instead of 50 (784 → 100 → 10, about 79,500 parameters). The generated
/// constructor initialises W1 with He and W2 with Xavier; biases start at zero.
/// </summary>
[Network]
[Input(784)]
[Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public sealed partial class MnistNet;

/// <summary>
/// The book's own <c>TwoLayerNet</c> of ch. 4: 784 → 50 → 10 with sigmoid (ch. 5 rebuilds it with ReLU). Chosen with
/// <c>--network book</c>, which also re-initialises the weights as the book does (normal, standard
/// deviation 0.01) and trains with SGD, learning rate 0.1, batches of 100.
/// </summary>
[Network]
[Input(784)]
[Dense(50)] [Sigmoid]
[Dense(10)] [SoftmaxCrossEntropy]
public sealed partial class TwoLayerNet;

/// <summary>
/// The book's <c>SimpleConvNet</c> of ch. 7: a convolution of 30 filters of 5×5 (1×28×28 → 30×24×24), ReLU, 2×2 max
/// pooling (→ 30×12×12), then 4320 → 100 → 10 (about 434,000 parameters). Chosen with <c>--network convnet</c>, which
/// trains it as the book's <c>ch07/train_convnet.py</c> does: Adam, learning rate 0.001, batches of 100. The generated
/// constructor initialises the conv and the first Dense layer with He (both are followed by ReLU) and the last with Xavier.
/// </summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(30, 5)] [ReLU]
[MaxPool2D(2)]
[Flatten]
[Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public sealed partial class SimpleConvNet;
