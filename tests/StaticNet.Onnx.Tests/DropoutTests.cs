using System;
using StaticNet.Onnx.Protobuf;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// Dropout is an identity at inference: exported as nothing, and an ONNX Dropout node is stepped over on
/// import. The generator has no Dropout yet, so <see cref="WithDropout"/> reports a real network's
/// architecture with <c>Dropout(0.5)</c> inserted (the parameters and <c>Forward</c> are the same).
/// </summary>
public class DropoutTests
{
    /// <summary>A network whose architecture says Dropout(0.5) after its first ReLU; everything else is the wrapped network's.</summary>
    private sealed class WithDropout(INetwork inner) : INetwork
    {
        public int InputSize => inner.InputSize;
        public int OutputSize => inner.OutputSize;
        public int ParameterCount => inner.ParameterCount;
        public int BatchCapacity => inner.BatchCapacity;
        public string Architecture { get; } = InsertAfterFirst(inner.Architecture, " ReLU", " Dropout(0.5)");
        public Span<float> Parameters => inner.Parameters;
        public Span<float> Gradients => inner.Gradients;
        public ReadOnlySpan<ParameterBlock> ParameterBlocks => inner.ParameterBlocks;
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => inner.Forward(input, output);
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient) => inner.Backward(outputGradient, inputGradient);

        private static string InsertAfterFirst(string text, string after, string insert)
        {
            int at = text.IndexOf(after, StringComparison.Ordinal);
            Assert.True(at >= 0);
            return text.Insert(at + after.Length, insert);
        }
    }

    [Fact]
    public void DropoutExportsAsNothingAndOnnxRuntimeMatchesForward()
    {
        var net = new WithDropout(new GemmReluSoftmax(Networks.Capacity, seed: 1));
        Assert.Equal("Input(4) Dense(8) ReLU Dropout(0.5) Dense(3) Softmax", net.Architecture);
        TestData.Randomize(net, seed: 2);
        byte[] model = OnnxFile.Export(net);
        Assert.Equal(["Gemm", "Relu", "Gemm", "Softmax"], ModelProto.Read(model).Graph!.Nodes.ConvertAll(n => n.OpType));

        float[] input = TestData.Uniform(4 * net.InputSize, seed: 3);
        var expected = new float[4 * net.OutputSize];
        net.Forward(input, expected);
        (float[] actual, _) = OrtRunner.Run(model, input, 4, net.InputSize);
        TestData.AssertClose(expected, actual, 1e-5, "with Dropout");
    }

    [Fact]
    public void AnOnnxDropoutNodeIsSteppedOverOnImport()
    {
        var source = new GemmReluSoftmax(1, seed: 4);
        TestData.Randomize(source, seed: 5);
        ModelProto model = ModelProto.Read(OnnxFile.Export(source));
        // Insert Dropout (ratio 0.5 as an initializer, no training_mode, mask output unused) after the ReLU.
        NodeProto relu = model.Graph!.Nodes[1];
        var dropout = new NodeProto { Name = "drop", OpType = "Dropout" };
        dropout.Inputs.Add(relu.Outputs[0]);
        dropout.Inputs.Add("ratio");
        dropout.Outputs.Add("dropped");
        dropout.Outputs.Add("mask");
        model.Graph.Nodes[2].Inputs[0] = "dropped";
        model.Graph.Nodes.Insert(2, dropout);
        model.Graph.Initializers.Add(new TensorProto { Name = "ratio", DataType = TensorProto.FloatType, Values = [0.5f] });
        byte[] bytes = model.Write().Written.ToArray();

        foreach (INetwork target in new INetwork[] { new GemmReluSoftmax(1, seed: 6), new WithDropout(new GemmReluSoftmax(1, seed: 7)) })
        {
            OnnxFile.LoadWeights(target, bytes, "with Dropout node");
            Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
        }
    }
}
