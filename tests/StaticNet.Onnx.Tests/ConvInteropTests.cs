using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Onnx.Protobuf;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// Generated conv networks and PyTorch: the files <c>torch.onnx.export</c> wrote for the conv models of
/// make_reference.py (StaticNet.Tests/Interop/SafeTensors/pytorch, linked here as pytorch/safetensors) load
/// into the matching declarations and give PyTorch's outputs, with the same weights as the model's
/// state_dict; a declaration that differs in its convolution or pooling is rejected naming the node and
/// what differs; and StaticNet's own export writes the Conv and pool attributes torch writes.
/// </summary>
public class ConvInteropTests
{
    public static TheoryData<string> Models => new(Networks.TorchConvNames);

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "pytorch", "safetensors");

    private static string OnnxPath(string model) => Path.Combine(Folder, model + ".onnx");

    /// <summary>What make_reference.py recorded for a model: its architecture, module prefix, a batch of inputs and PyTorch's outputs.</summary>
    private sealed record Record(string Architecture, string Prefix, int Batch, float[] Input, float[] Output, List<string> Nodes)
    {
        // The JSON holds each float32 exactly (as the double it equals), so the cast is exact.
        public static Record Load(string model)
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, model + ".json")));
            JsonElement r = json.RootElement;
            static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Assert.Equal(17, r.GetProperty("onnx").GetProperty("opset").GetInt32());
            return new Record(r.GetProperty("architecture").GetString()!, r.GetProperty("prefix").GetString()!, r.GetProperty("batch").GetInt32(),
                Floats(r.GetProperty("input")), Floats(r.GetProperty("output")),
                r.GetProperty("onnx").GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!).ToList());
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TorchsOnnxExportLoadsAndGivesPyTorchsOutputs(string model)
    {
        Record record = Record.Load(model);
        INetwork net = Networks.Create(model, seed: 1);
        Assert.Equal(record.Architecture, net.Architecture);

        OnnxFile.LoadWeights(net, OnnxPath(model));

        Assert.True(record.Batch > 1);
        var output = new float[record.Batch * net.OutputSize];
        net.Forward(record.Input, output);
        TestData.AssertClose(record.Output, output, 1e-5, $"{model}, batch {record.Batch}");

        var one = new float[net.OutputSize];
        net.Forward(record.Input.AsSpan(0, net.InputSize), one);
        TestData.AssertClose(record.Output.AsSpan(0, net.OutputSize), one, 1e-5, $"{model}, batch 1");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TheOnnxFileAndTheStateDictOfTheSameModelGiveTheSameParameters(string model)
    {
        Record record = Record.Load(model);
        INetwork fromOnnx = Networks.Create(model, seed: 2);
        INetwork fromSafeTensors = Networks.Create(model, seed: 3);
        float[] initial = fromOnnx.Parameters.ToArray();

        OnnxFile.LoadWeights(fromOnnx, OnnxPath(model));
        SafeTensorsNetwork.Load(fromSafeTensors, Path.Combine(Folder, model + ".safetensors"),
            record.Prefix.Length == 0 ? SafeTensorsNaming.Sequential : SafeTensorsNaming.WithPrefix(record.Prefix));

        Assert.Equal(fromSafeTensors.Parameters.ToArray(), fromOnnx.Parameters.ToArray());
        Assert.NotEqual(initial, fromOnnx.Parameters.ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeRunsTorchsFileAsPyTorchDid(string model)
    {
        // A check of the fixture itself: ONNX Runtime on torch's file gives the outputs PyTorch recorded.
        Record record = Record.Load(model);
        INetwork net = Networks.Create(model);
        (float[] actual, long[] shape) = OrtRunner.Run(File.ReadAllBytes(OnnxPath(model)), record.Input, record.Batch, net.InputSize, inputName: "x");
        Assert.Equal(new long[] { record.Batch, net.OutputSize }, shape);
        if (record.Architecture.EndsWith("SoftmaxCrossEntropy", StringComparison.Ordinal))
            actual = Softmax(actual, net.OutputSize); // torch's file ends in the logits; the record holds softmax(logits)
        TestData.AssertClose(record.Output, actual, 1e-5, model);
    }

    private static float[] Softmax(float[] logits, int width)
    {
        var p = new float[logits.Length];
        for (int row = 0; row < logits.Length / width; row++)
        {
            double top = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < width; i++) top = Math.Max(top, logits[row * width + i]);
            for (int i = 0; i < width; i++) sum += Math.Exp(logits[row * width + i] - top);
            for (int i = 0; i < width; i++) p[row * width + i] = (float)(Math.Exp(logits[row * width + i] - top) / sum);
        }
        return p;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TorchsFileHasTheGraphItStandsFor(string model)
    {
        // So that the import really steps over torch's Pad before an AveragePool, and reads its Conv attributes.
        Record record = Record.Load(model);
        ModelProto proto = ModelProto.Read(File.ReadAllBytes(OnnxPath(model)));
        Assert.Equal(record.Nodes, proto.Graph!.Nodes.ConvertAll(n => n.OpType));
        Assert.Contains("Conv", record.Nodes);
        if (model == "strided_conv")
            Assert.Equal(["Conv", "Tanh", "Constant", "Pad", "AveragePool", "Flatten", "Gemm"], record.Nodes);
    }

    /// <summary>
    /// StaticNet's export of the declaration writes, for every Conv and pool node, the kernel_shape, strides and
    /// pads torch.onnx.export wrote for the same PyTorch model (an attribute left out counts as its ONNX default).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void TheExportWritesTheConvAndPoolAttributesTorchWrites(string model)
    {
        INetwork net = Networks.Create(model);
        List<NodeProto> ours = ModelProto.Read(OnnxFile.Export(net)).Graph!.Nodes.FindAll(IsWindowed);
        List<NodeProto> torchs = ModelProto.Read(File.ReadAllBytes(OnnxPath(model))).Graph!.Nodes.FindAll(IsWindowed);
        Assert.Equal(torchs.ConvertAll(n => n.OpType), ours.ConvertAll(n => n.OpType));
        for (int i = 0; i < ours.Count; i++)
        {
            foreach ((string name, long[] fallback) in new[] { ("kernel_shape", Array.Empty<long>()), ("strides", [1L, 1]), ("pads", [0L, 0, 0, 0]), ("dilations", [1L, 1]) })
                Assert.True(Ints(ours[i], name, fallback).SequenceEqual(Ints(torchs[i], name, fallback)),
                    $"{model}, {ours[i].OpType} {i}: {name} [{string.Join(", ", Ints(ours[i], name, fallback))}], torch [{string.Join(", ", Ints(torchs[i], name, fallback))}]");
        }
    }

    private static bool IsWindowed(NodeProto node) => node.OpType is "Conv" or "MaxPool" or "AveragePool";

    private static long[] Ints(NodeProto node, string name, long[] fallback) => node.Attribute(name)?.IntList.ToArray() ?? fallback;

    [Fact]
    public void TheExportOfAStridedPaddedConvNetHasTheDeclaredAttributes()
    {
        // Conv2D(3, 3, Stride = 2, Padding = 1) Tanh AvgPool2D(2, Stride = 1) Flatten Dense(4): written out, not compared.
        var net = new StaticNet.Tests.Networks.TorchStridedConv(1);
        GraphProto graph = ModelProto.Read(OnnxFile.Export(net)).Graph!;
        Assert.Equal(["Conv", "Tanh", "AveragePool", "Flatten", "Gemm"], graph.Nodes.ConvertAll(n => n.OpType));
        NodeProto conv = graph.Nodes[0], pool = graph.Nodes[2], flatten = graph.Nodes[3];
        Assert.Equal([3L, 3], conv.Attribute("kernel_shape")!.IntList);
        Assert.Equal([2L, 2], conv.Attribute("strides")!.IntList);
        Assert.Equal([1L, 1, 1, 1], conv.Attribute("pads")!.IntList);
        Assert.Equal([2L, 2], pool.Attribute("kernel_shape")!.IntList);
        Assert.Equal([1L, 1], pool.Attribute("strides")!.IntList);
        Assert.True(pool.Attribute("pads") is null || pool.Attribute("pads")!.IntList.All(p => p == 0));
        Assert.Equal(1, flatten.Attribute("axis")!.I);
        Assert.Equal([3L, 2, 3, 3], graph.Initializers.Single(t => t.Name == "W1").Dims);
        Assert.Equal([27L, 4], graph.Initializers.Single(t => t.Name == "W2").Dims);
        Assert.Equal(["batch", "2", "7", "7"], graph.Inputs[0].Shape!.ConvertAll(d => d.ToString()));
    }

    // ---- torch's conv models into declarations that differ from them in one way each ----

    private static string Reject(INetwork net, string model)
    {
        float[] before = net.Parameters.ToArray();
        string name = model + ".onnx";
        var e = Assert.Throws<OnnxFormatException>(() => OnnxFile.LoadWeights(net, File.ReadAllBytes(OnnxPath(model)), name));
        Assert.StartsWith($"Cannot load ONNX model '{name}': ", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        return e.Problem;
    }

    [Fact]
    public void AConvWithoutThePaddingNamesThePads()
    {
        string problem = Reject(new ConvWithoutPadding(1, seed: 1), "strided_conv");
        Assert.Contains("(Conv) has pads = [1, 1, 1, 1], but the network's layer 1, Conv2D(3, 3, Stride = 2) needs [0, 0, 0, 0]", problem);
    }

    [Fact]
    public void AConvOfAnotherStrideNamesTheStrides()
    {
        string problem = Reject(new ConvOtherStride(1, seed: 1), "strided_conv");
        Assert.Contains("(Conv) has strides = [2, 2], but the network's layer 1, Conv2D(3, 3, Padding = 1) needs [1, 1]", problem);
    }

    [Fact]
    public void AConvOfAnotherKernelNamesTheKernelShape()
    {
        string problem = Reject(new ConvOtherKernel(1, seed: 1), "simple_conv");
        Assert.Contains("(Conv) has kernel_shape = [3, 3], but the network's layer 1, Conv2D(4, 5) needs [5, 5]", problem);
    }

    [Fact]
    public void AConvOfOtherFiltersNamesTheWeightAndBothShapes()
    {
        string problem = Reject(new ConvOtherFilters(1, seed: 1), "simple_conv");
        Assert.Contains("tensor '0.weight'", problem);
        Assert.Contains("has shape [4, 1, 3, 3], but the network's layer 1, Conv2D(5, 3) needs [5, 1, 3, 3]", problem);
    }

    [Fact]
    public void AMaxPoolForAnAvgPoolNamesTheNodeFound()
    {
        string problem = Reject(new ConvMaxInsteadOfAvg(1, seed: 1), "strided_conv");
        Assert.Contains("layer 3, MaxPool2D(2, Stride = 1) expects a MaxPool node", problem);
        Assert.Contains("(AveragePool)", problem); // torch's zero Pad before it is stepped over
    }

    [Fact]
    public void APoolOfAnotherStrideNamesTheStrides()
    {
        string problem = Reject(new PoolOtherStride(1, seed: 1), "simple_conv");
        Assert.Contains("(MaxPool) has strides = [2, 2], but the network's layer 3, MaxPool2D(2, Stride = 1) needs [1, 1]", problem);
    }

    [Fact]
    public void AMissingPoolNamesTheNodeFound()
    {
        string problem = Reject(new ConvWithoutPool(1, seed: 1), "simple_conv");
        Assert.Contains("layer 3, Flatten expects a Flatten node", problem);
        Assert.Contains("(MaxPool)", problem);
    }
}
