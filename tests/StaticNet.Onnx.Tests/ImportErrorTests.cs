using System;
using System.IO;
using StaticNet.Onnx.Protobuf;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// A model whose graph does not match the declaration, or a file that is not a valid model, throws
/// <see cref="OnnxFormatException"/> naming the node or tensor, and leaves the network unchanged.
/// </summary>
public class ImportErrorTests
{
    private static string TorchModel => Path.Combine(PyTorchImportTests.Fixture.Folder, "gemm_relu_softmax.onnx");

    /// <summary>Loads <paramref name="model"/> into <paramref name="net"/>, expecting failure; checks the parameters did not change; returns the message.</summary>
    private static string Reject(INetwork net, byte[] model, string name = "model.onnx")
    {
        float[] before = net.Parameters.ToArray();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxFile.LoadWeights(net, model, name));
        Assert.Equal(name, e.FilePath);
        Assert.StartsWith($"Cannot load ONNX model '{name}': ", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        return e.Problem;
    }

    // ---- torch's model into declarations that differ from it in one way each ----

    [Fact]
    public void AnotherActivationNamesTheNode()
    {
        string problem = Reject(new OtherActivation(1, seed: 1), File.ReadAllBytes(TorchModel));
        Assert.Contains("layer 2, Tanh expects a Tanh node", problem);
        Assert.Contains("node '/1/Relu' (Relu)", problem);
    }

    [Fact]
    public void AnotherLayerWidthNamesTheTensorAndBothShapes()
    {
        string problem = Reject(new OtherWidth(1, seed: 1), File.ReadAllBytes(TorchModel));
        Assert.Contains("tensor '0.weight'", problem);
        Assert.Contains("has shape [8, 4]", problem);
        Assert.Contains("needs [9, 4]", problem);
    }

    [Fact]
    public void AnotherInputSizeNamesTheGraphInput()
    {
        string problem = Reject(new OtherInput(1, seed: 1), File.ReadAllBytes(TorchModel));
        Assert.Contains("graph input 'x' has shape [N, 4], but the network reads [batch, 5]", problem);
    }

    [Fact]
    public void ALayerTooFewNamesTheNodeLeftOver()
    {
        string problem = Reject(new MissingSoftmax(1, seed: 1), File.ReadAllBytes(TorchModel));
        Assert.Contains("ends after its layer 3, Dense(3)", problem);
        Assert.Contains("'/3/Softmax' (Softmax)", problem);
    }

    [Fact]
    public void ALayerTooManyNamesWhereTheGraphEnds()
    {
        string problem = Reject(new ExtraLayer(1, seed: 1), File.ReadAllBytes(TorchModel));
        Assert.Contains("the graph ends at value 'y'", problem);
        Assert.Contains("layer 5, Tanh needs a Tanh node", problem);
    }

    [Fact]
    public void AnotherConvolutionStrideNamesTheNodeAndAttribute()
    {
        string path = Path.Combine(PyTorchImportTests.Fixture.Folder, "conv_leaky_maxpool.onnx");
        var net = new ConvReferenceNet(2, 6, 6, 3, 3, 2, 1, "LeakyReLU(0.1)", maxPool: true, 1, 4, "Softmax", 1);
        string problem = Reject(net, File.ReadAllBytes(path));
        Assert.Contains("node '/0/Conv' (Conv) has strides = [1, 1], but the network's layer 1, Conv2D(3, 3, Stride = 2, Padding = 1) needs [2, 2]", problem);
    }

    [Fact]
    public void AnotherLeakyReLUSlopeIsNamed()
    {
        string path = Path.Combine(PyTorchImportTests.Fixture.Folder, "conv_leaky_maxpool.onnx");
        var net = new ConvReferenceNet(2, 6, 6, 3, 3, 1, 1, "LeakyReLU(0.2)", maxPool: true, 2, 4, "Softmax", 1);
        Assert.Contains("node '/1/LeakyRelu' (LeakyRelu) has alpha = 0.1, but the network's layer 2, LeakyReLU(0.2) has 0.2", Reject(net, File.ReadAllBytes(path)));
    }

    [Fact]
    public void APadThatPadsBeforeAnAveragePoolIsRejected()
    {
        // torch writes nn.AvgPool2d as Pad (of zeros, from a Constant) + AveragePool; a Pad of anything else is not the network.
        string path = Path.Combine(PyTorchImportTests.Fixture.Folder, "conv_relu_avgpool.onnx");
        ModelProto model = ModelProto.Read(File.ReadAllBytes(path));
        NodeProto constant = model.Graph!.Nodes.Find(n => n.OpType == "Constant")!;
        constant.Attribute("value")!.T!.RawData![0] = 1;
        var net = Networks.Create("conv_relu_avgpool");
        Assert.Contains("node '/2/Pad' (Pad) pads the input of the network's layer 3, AvgPool2D(2)", Reject(net, Bytes(model)));

        OnnxFile.LoadWeights(net, File.ReadAllBytes(path), "unedited"); // the file as torch wrote it loads
    }

    // ---- corrupt files ----

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] model = File.ReadAllBytes(TorchModel);
        var net = new GemmReluSoftmax(1, seed: 1);
        for (int length = 0; length < model.Length; length++)
            Reject(net, model.AsSpan(0, length).ToArray());
        OnnxFile.LoadWeights(net, model, "whole"); // and the whole file loads
    }

    [Fact]
    public void GarbageIsRejectedAsNotProtobuf()
    {
        byte[] garbage = new byte[16];
        garbage.AsSpan().Fill(0xFF);
        Assert.Contains("not a valid ONNX (protobuf) file: a varint", Reject(new GemmReluSoftmax(1), garbage));
        Assert.Contains("the file is empty", Reject(new GemmReluSoftmax(1), []));
        Assert.Contains("wire type 3", Reject(new GemmReluSoftmax(1), [0x0B, 0x0C])); // a group: field 1, wire type 3
    }

    [Fact]
    public void RandomCorruptionEitherLoadsOrThrowsOnnxFormatExceptionAndNothingElse()
    {
        // A changed byte in a weight is a valid model with other weights; anywhere else it must be caught,
        // and never as an IndexOutOfRange, Overflow or the like.
        byte[] model = File.ReadAllBytes(TorchModel);
        var random = new Random(12);
        var net = new GemmReluSoftmax(1, seed: 1);
        int rejected = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] corrupt = (byte[])model.Clone();
            int changes = 1 + random.Next(3);
            for (int c = 0; c < changes; c++)
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            float[] before = net.Parameters.ToArray();
            try
            {
                OnnxFile.LoadWeights(net, corrupt, "corrupt");
            }
            catch (OnnxFormatException)
            {
                rejected++;
                Assert.Equal(before, net.Parameters.ToArray());
            }
        }
        Assert.InRange(rejected, 200, 2000); // most bytes of a small model are structure, not weights
    }

    // ---- models edited in one place ----

    private static ModelProto Exported(out GemmReluSoftmax net)
    {
        net = new GemmReluSoftmax(Networks.Capacity, seed: 2);
        TestData.Randomize(net, seed: 3);
        return ModelProto.Read(OnnxFile.Export(net));
    }

    private static byte[] Bytes(ModelProto model) => model.Write().Written.ToArray();

    [Fact]
    public void ATensorOfAnotherTypeIsNamed()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Initializers[0].DataType = 11; // DOUBLE
        Assert.Contains("tensor 'W1' has data type 11, expected 1 (float)", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void ATensorWithTooLittleDataIsNamed()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Initializers[1].Values = new float[7];
        Assert.Contains("tensor 'b1' of shape [8] holds 28 bytes of data, expected 32", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void ExternalDataIsRejected()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Initializers[2].DataLocation = TensorProto.ExternalLocation;
        Assert.Contains("tensor 'W2' keeps its data in an external file", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void AWeightThatIsNotAnInitializerIsNamed()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Initializers.RemoveAt(0);
        Assert.Contains("input 1 'W1' of node 'Dense1' (Gemm) (for the network's layer 1, Dense(8)) is not an initializer", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void ABranchIsRejected()
    {
        ModelProto model = Exported(out _);
        var extra = new NodeProto { Name = "side", OpType = "Relu" };
        extra.Inputs.Add("Dense1_output");
        extra.Outputs.Add("side_output");
        model.Graph!.Nodes.Add(extra);
        Assert.Contains("value 'Dense1_output' is read by 2 nodes ('ReLU2' (Relu), 'side' (Relu), ...)", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void ASecondInputIsRejected()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Inputs.Add(new ValueInfoProto { Name = "mask", ElemType = TensorProto.FloatType });
        Assert.Contains("more than one input ('input' and 'mask')", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void ANodeOfAnotherDomainIsRejected()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Nodes[1].Domain = "com.microsoft";
        Assert.Contains("node 'ReLU2' (Relu) of domain 'com.microsoft'", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void AModelWithoutTheDefaultOpsetIsRejected()
    {
        ModelProto model = Exported(out _);
        model.OpsetImport.Clear();
        Assert.Contains("declares no opset of the default ONNX domain", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void UnsupportedGemmAndSoftmaxAttributesAreNamed()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Nodes[0].Attributes.Add(AttributeProto.OfInt("transA", 1));
        Assert.Contains("node 'Dense1' (Gemm) for the network's layer 1, Dense(8) has transA = 1", Reject(new GemmReluSoftmax(1), Bytes(model)));

        model = Exported(out _);
        model.Graph!.Nodes[3].Attributes[0].I = 0;
        Assert.Contains("node 'Softmax4' (Softmax) for the network's layer 4, Softmax has axis = 0", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    [Fact]
    public void DuplicateInitializerNamesAreRejected()
    {
        ModelProto model = Exported(out _);
        model.Graph!.Initializers.Add(model.Graph.Initializers[0]);
        Assert.Contains("two initializers are named 'W1'", Reject(new GemmReluSoftmax(1), Bytes(model)));
    }

    // ---- variants that are valid and must load ----

    [Fact]
    public void FloatDataInsteadOfRawDataLoads()
    {
        ModelProto model = Exported(out GemmReluSoftmax source);
        foreach (TensorProto tensor in model.Graph!.Initializers)
        {
            for (int i = 0; i < tensor.ElementCount(); i++)
                tensor.FloatData.Add(tensor[i]);
            tensor.RawData = null;
        }
        var target = new GemmReluSoftmax(1, seed: 9);
        OnnxFile.LoadWeights(target, Bytes(model), "float_data");
        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void GemmAlphaAndBetaAreFoldedIntoTheWeights()
    {
        // Checked against ONNX Runtime running the edited model: after the import, Forward gives what it gives.
        ModelProto model = Exported(out _);
        foreach (NodeProto gemm in model.Graph!.Nodes.FindAll(n => n.OpType == "Gemm"))
        {
            gemm.Attribute("alpha")!.F = 1.75f;
            gemm.Attribute("beta")!.F = -0.5f;
        }
        byte[] bytes = Bytes(model);
        var net = new GemmReluSoftmax(Networks.Capacity, seed: 9);
        OnnxFile.LoadWeights(net, bytes, "scaled");

        float[] input = TestData.Uniform(5 * GemmReluSoftmax.InputSize, seed: 10);
        var expected = new float[5 * GemmReluSoftmax.OutputSize];
        net.Forward(input, expected);
        (float[] actual, _) = OrtRunner.Run(bytes, input, 5, GemmReluSoftmax.InputSize);
        TestData.AssertClose(actual, expected, 1e-5, "alpha 1.75, beta -0.5");
    }

    [Fact]
    public void LoadWeightsFromAStreamAndAMissingFile()
    {
        var net = new GemmReluSoftmax(1, seed: 1);
        using (var stream = File.OpenRead(TorchModel))
            OnnxFile.LoadWeights(net, stream, "stream");
        var fromFile = new GemmReluSoftmax(1, seed: 2);
        OnnxFile.LoadWeights(fromFile, TorchModel);
        Assert.Equal(fromFile.Parameters.ToArray(), net.Parameters.ToArray());

        Assert.Throws<FileNotFoundException>(() => OnnxFile.LoadWeights(net, Path.Combine(Path.GetTempPath(), "no-such-model.onnx")));
    }
}
