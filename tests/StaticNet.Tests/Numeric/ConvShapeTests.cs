using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Numeric;

/// <summary>The generated conv networks' declared shapes against the book's arithmetic, worked out by hand here.</summary>
public class ConvShapeTests
{
    [Fact]
    public void SimpleConvNet_has_the_books_shapes_and_parameter_blocks()
    {
        // Conv: (1,28,28) → (30,24,24); pool 2 → (30,12,12) = 4320; Dense 4320→100→10.
        Assert.Equal(1 * 28 * 28, SimpleConvNet.InputSize);
        Assert.Equal(30 * 1 * 5 * 5 + 30 + 4320 * 100 + 100 + 100 * 10 + 10, SimpleConvNet.ParameterCount);
        Assert.Equal("Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten Dense(100) ReLU Dense(10) SoftmaxCrossEntropy", SimpleConvNet.Architecture);
        Assert.Contains("(N, 30, 24, 24)", SimpleConvNet.Summary);
        Assert.Contains("(N, 30, 12, 12)", SimpleConvNet.Summary);
        var net = new SimpleConvNet(2, seed: 1);
        ParameterBlock w1 = net.ParameterBlocks[0];
        Assert.Equal(("W1", 30, 25, 750), (w1.Name, w1.Rows, w1.Columns, w1.Length));
        // The 4-D shape as the book's W (FN, C, FH, FW) and PyTorch's Conv2d.weight; the matrix view above is what StaticNet.Onnx reads.
        Assert.Equal(new ParameterShape(30, 1, 5, 5), w1.Shape);
        Assert.Equal("[30, 1, 5, 5]", w1.Shape.ToString());
        Assert.Equal(w1.Length, w1.Shape.ElementCount);
        Assert.Equal(new ParameterShape(30), net.ParameterBlocks[1].Shape);
        Assert.Equal(new ParameterShape(4320, 100), net.ParameterBlocks[2].Shape);
        Assert.Equal(30, net.b1.Length);
        Assert.Equal(4320 * 100, net.W2.Length);
    }

    [Fact]
    public void StridedConvNet_output_size_follows_stride_and_padding()
    {
        // (2,7,7), K 3, S 2, P 1 → (7 + 2 − 3)/2 + 1 = 4: (3,4,4); avg pool 2 stride 1 → (3,3,3) = 27; Dense 27→4.
        Assert.Equal(3 * 2 * 3 * 3 + 3 + 27 * 4 + 4, StridedConvNet.ParameterCount);
        Assert.Equal("Input(2, 7, 7) Conv2D(3, 3, Stride = 2, Padding = 1) Tanh AvgPool2D(2, Stride = 1) Flatten Dense(4) MeanSquaredError", StridedConvNet.Architecture);
        var net = new StridedConvNet(3, seed: 2);
        Assert.Equal(new ParameterShape(3, 2, 3, 3), net.ParameterBlocks[0].Shape);
        Assert.Equal((3, 18), (net.ParameterBlocks[0].Rows, net.ParameterBlocks[0].Columns));
        var y = new float[3 * 4];
        net.Forward(new float[3 * 98], y);
        foreach (float v in y) Assert.Equal(0f, v); // zero input, zero biases: tanh(0) = 0 everywhere, so Dense gives its bias 0
    }
}
