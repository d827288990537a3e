namespace StaticNet.Tests.Generator;

// The conv networks' snapshots, in a file of their own so that other layers' cases do not collide with them.
public partial class SnapshotTests
{
    [Xunit.Fact]
    public void SimpleConvNet() => VerifyNetwork("""
        using StaticNet;
        namespace Book;

        [Network]
        [Input(1, 28, 28)]
        [Conv2D(30, 5)] [ReLU]
        [MaxPool2D(2)]
        [Flatten]
        [Dense(100)] [ReLU]
        [Dense(10)] [SoftmaxCrossEntropy]
        public partial class SimpleConvNet;
        """);

    [Xunit.Fact]
    public void StridedPaddedAvgPoolConvNet() => VerifyNetwork("""
        using StaticNet;
        namespace Layers;

        [Network]
        [Input(3, 9, 9)]
        [Conv2D(4, 3, Stride = 2, Padding = 1)] [Tanh]
        [Conv2D(2, 2)] [ReLU]
        [AvgPool2D(2, Stride = 1)]
        [Flatten]
        [Dense(5)] [MeanSquaredError]
        public partial class StridedConvNet;
        """);
}
