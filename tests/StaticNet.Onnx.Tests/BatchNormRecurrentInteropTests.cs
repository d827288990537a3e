using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using StaticNet.Onnx.Protobuf;
using StaticNet.Tests.Interop;
using StaticNet.Tests.Networks;
using Xunit;
using Record = StaticNet.Tests.Interop.InteropModels.Record;
using Subject = StaticNet.Tests.Interop.InteropModels.Subject;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// BatchNorm (ONNX BatchNormalization with the running statistics) and GRU/LSTM networks (ONNX GRU with
/// linear_before_reset = 1, LSTM, the gates reordered, dynamic batch and sequence dimensions, then the per-step head):
/// StaticNet's export runs in ONNX Runtime and gives what Forward gives; the files torch.onnx.export wrote for the models
/// of make_reference.py (linked as pytorch/safetensors) load and give PyTorch's outputs, with the weights and running
/// statistics of the model's state_dict; mismatches name the node or tensor and leave the network unchanged.
/// </summary>
public class BatchNormRecurrentInteropTests
{
    public static TheoryData<string> Models => new(InteropModels.All);

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "pytorch", "safetensors");

    private static (Subject Subject, Record Record) Open(string model, int seed = 7)
    {
        Record record = Record.Load(Folder, model, InteropModels.Create(model).Net.OutputSize);
        return (InteropModels.Create(model, seed, record.Steps), record);
    }

    /// <summary>ONNX Runtime's input shape for <paramref name="rows"/> rows: [batch, steps, n] for a recurrent network, else [batch, n] or [batch, C, H, W].</summary>
    private static long[] Shape(string architecture, int batch, int steps)
    {
        string input = architecture.Substring(6, architecture.IndexOf(')') - 6); // Input(...)
        long[] dims = input.Split(',').Select(d => long.Parse(d.Trim())).ToArray();
        return steps > 0 ? [batch, steps, .. dims] : [batch, .. dims];
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeMatchesForwardAtBatchOneAndSeveral(string model)
    {
        foreach (int opset in new[] { OnnxFile.MinOpset, OnnxFile.MaxOpset })
        {
            (Subject s, Record record) = Open(model, seed: 3);
            InteropModels.Randomize(s.Net, seed: 4);
            byte[] onnx = OnnxFile.Export(s.Net, opset);
            foreach (int batch in new[] { 1, 3, 8 })
            {
                foreach (int steps in record.Steps > 0 ? new[] { 1, 5, 8 } : [0])
                {
                    Subject at = InteropModels.Create(model, seed: 3, steps);
                    s.Net.Parameters.CopyTo(at.Net.Parameters);
                    s.Net.State.CopyTo(at.Net.State);
                    int rows = batch * Math.Max(steps, 1);
                    float[] input = TestData.Uniform(rows * at.Net.InputSize, seed: 100 + rows);
                    var expected = new float[rows * at.Net.OutputSize];
                    at.Forward(input, expected);

                    long[] shape = Shape(record.Architecture, batch, steps);
                    (float[] actual, long[] outShape) = OrtRunner.Run(onnx, input, shape);
                    Assert.Equal(steps > 0 ? [batch, steps, at.Net.OutputSize] : new long[] { batch, at.Net.OutputSize }, outShape);
                    TestData.AssertClose(expected, actual, 1e-5, $"{model}, opset {opset}, batch {batch}, steps {steps}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ExportThenImportRestoresEveryParameterAndTheRunningStatistics(string model)
    {
        (Subject source, _) = Open(model, seed: 5);
        InteropModels.Randomize(source.Net, seed: 6);
        (Subject target, _) = Open(model, seed: 7);
        InteropModels.Randomize(target.Net, seed: 8);

        OnnxFile.LoadWeights(target.Net, OnnxFile.Export(source.Net), model);

        Assert.Equal(source.Net.Parameters.ToArray(), target.Net.Parameters.ToArray());
        Assert.Equal(source.Net.State.ToArray(), target.Net.State.ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TorchsOnnxExportLoadsAndGivesPyTorchsOutputs(string model)
    {
        (Subject s, Record record) = Open(model, seed: 1);
        OnnxFile.LoadWeights(s.Net, Path.Combine(Folder, model + ".onnx"));
        var output = new float[record.Output.Length];
        s.Forward(record.Input, output);
        TestData.AssertClose(record.Output, output, 1e-5, model);

        // The same weights and running statistics as the state_dict of the same model.
        (Subject fromSafeTensors, _) = Open(model, seed: 2);
        SafeTensorsNetwork.Load(fromSafeTensors.Net, Path.Combine(Folder, model + ".safetensors"));
        Assert.Equal(fromSafeTensors.Net.Parameters.ToArray(), s.Net.Parameters.ToArray());
        Assert.Equal(fromSafeTensors.Net.State.ToArray(), s.Net.State.ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeRunsTorchsFileAsPyTorchDid(string model)
    {
        // A check of the fixture itself, and that torch's file has the nodes the import steps through.
        (Subject s, Record record) = Open(model);
        Assert.Equal(record.OnnxNodes, ModelProto.Read(File.ReadAllBytes(Path.Combine(Folder, model + ".onnx"))).Graph!.Nodes.ConvertAll(n => n.OpType));
        (float[] actual, _) = OrtRunner.Run(File.ReadAllBytes(Path.Combine(Folder, model + ".onnx")), record.Input,
            Shape(record.Architecture, record.Batch, record.Steps), inputName: "x");
        if (record.Architecture.EndsWith("SoftmaxCrossEntropy", StringComparison.Ordinal))
            actual = Softmax(actual, s.Net.OutputSize); // torch's file ends in the logits
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

    [Fact]
    public void TheExportOfARecurrentNetworkIsTheSequenceGraphThenTheHead()
    {
        var net = new TorchLstmMixed(4, 1, seed: 1);
        GraphProto graph = ModelProto.Read(OnnxFile.Export(net)).Graph!;
        Assert.Equal(["Transpose", "LSTM", "Squeeze", "LSTM", "Squeeze", "Transpose", "MatMul", "Add", "Relu", "MatMul", "Add", "Softmax"], graph.Nodes.ConvertAll(n => n.OpType));
        Assert.Equal(["batch", "steps", "2"], graph.Inputs[0].Shape!.ConvertAll(d => d.ToString()));
        Assert.Equal(["batch", "steps", "2"], graph.Outputs[0].Shape!.ConvertAll(d => d.ToString()));
        Assert.Equal([1L, 24, 2], graph.Initializers.Single(t => t.Name == "LSTM1_W").Dims);
        Assert.Equal([1L, 16, 4], graph.Initializers.Single(t => t.Name == "LSTM2_R").Dims);
        Assert.Equal([1L, 32], graph.Initializers.Single(t => t.Name == "LSTM2_B").Dims);
        Assert.Equal(-1, graph.Nodes[^1].Attribute("axis")!.I);

        GraphProto gru = ModelProto.Read(OnnxFile.Export(new TorchGruStack(4, 1, seed: 1))).Graph!;
        NodeProto first = gru.Nodes.Single(n => n.Name == "GRU1");
        Assert.Equal(1, first.Attribute("linear_before_reset")!.I); // PyTorch's GRU
        Assert.Equal(5, first.Attribute("hidden_size")!.I);
    }

    [Fact]
    public void TheGateBlocksAreReorderedToOnnxs()
    {
        // GRU: ONNX z, r, h from PyTorch r, z, n. Mark each gate block of W_ih with its PyTorch index.
        var gru = new TorchGruStack(4, 1, seed: 1);
        for (int g = 0; g < 3; g++) gru.W_ih1.Slice(g * 15, 15).Fill(g);
        TensorProto w = ModelProto.Read(OnnxFile.Export(gru)).Graph!.Initializers.Single(t => t.Name == "GRU1_W");
        Assert.Equal(new float[] { 1, 0, 2 }, new[] { w[0], w[15], w[30] });

        // LSTM: ONNX i, o, f, c from PyTorch i, f, g, o; B is b_ih then b_hh.
        var lstm = new TorchLstmStack(4, 1, seed: 1);
        for (int g = 0; g < 4; g++) { lstm.b_ih1.Slice(g * 4, 4).Fill(g); lstm.b_hh1.Slice(g * 4, 4).Fill(10 + g); }
        TensorProto b = ModelProto.Read(OnnxFile.Export(lstm)).Graph!.Initializers.Single(t => t.Name == "LSTM1_B");
        Assert.Equal(new float[] { 0, 3, 1, 2, 10, 13, 11, 12 }, Enumerable.Range(0, 8).Select(j => b[j * 4]).ToArray());
    }

    [Fact]
    public void TheExportOfABatchNormIsBatchNormalizationWithTheRunningStatistics()
    {
        var net = new TorchBatchNormEpsMlp(2, seed: 1);
        InteropModels.Randomize(net, 2);
        GraphProto graph = ModelProto.Read(OnnxFile.Export(net)).Graph!;
        Assert.Equal(["Gemm", "BatchNormalization", "Tanh", "Gemm"], graph.Nodes.ConvertAll(n => n.OpType));
        NodeProto bn = graph.Nodes[1];
        Assert.Equal(["Dense1_output", "gamma2", "beta2", "RunningMean2", "RunningVar2"], bn.Inputs);
        Assert.Equal(1e-3f, bn.Attribute("epsilon")!.F);
        TensorProto variance = graph.Initializers.Single(t => t.Name == "RunningVar2");
        Assert.Equal(net.RunningVar2.ToArray(), Enumerable.Range(0, 5).Select(i => variance[i]).ToArray());
    }

    // ---- mismatches: each names what differs and leaves the parameters and the State unchanged ----

    private static string Reject(INetwork net, byte[] model)
    {
        float[] parameters = net.Parameters.ToArray(), state = net.State.ToArray();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxFile.LoadWeights(net, model, "model.onnx"));
        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(state, net.State.ToArray());
        return e.Problem;
    }

    private static byte[] Torch(string model) => File.ReadAllBytes(Path.Combine(Folder, model + ".onnx"));

    [Fact]
    public void AnotherEpsilonIsNamed()
    {
        var net = new BatchNormDefaultEpsMlp(2, seed: 1);
        InteropModels.Randomize(net, 2);
        Assert.Contains("has epsilon = 0.001, but the network's layer 2, BatchNorm has 1E-05", Reject(net, Torch("bn_mlp_eps")));
    }

    [Fact]
    public void ARunningVarianceOfAnotherShapeIsNamed()
    {
        var net = new TorchBatchNormConv(2, seed: 1);
        InteropModels.Randomize(net, 2);
        ModelProto proto = ModelProto.Read(OnnxFile.Export(net));
        TensorProto variance = proto.Graph!.Initializers.Single(t => t.Name == "RunningVar2");
        variance.Dims[0] = 4;
        variance.RawData = new byte[16];
        variance.Values = new float[4];
        Assert.Contains("tensor 'RunningVar2' (the var (the running variance) of node 'BatchNorm2' (BatchNormalization)) has shape [4], but the network's layer 2, BatchNorm needs [3]", Reject(new TorchBatchNormConv(2, seed: 3), proto.Write().Written.ToArray()));
    }

    [Fact]
    public void AGruFileIntoAnLstmNetworkNamesTheNode()
    {
        var net = new LstmInsteadOfGru(4, 1, seed: 1);
        Assert.Contains("the network's layer 1, LSTM(5) is recurrent layer 1, but the graph's recurrent node 1 is '/rnn/GRU' (GRU)", Reject(net, Torch("gru_stack")));
        // And a network of another input size says so first.
        Assert.Contains("graph input 'x' has shape [N, T, 3], but the network reads [batch, steps, 2]", Reject(new TorchLstmStack(4, 1, seed: 1), Torch("gru_stack")));
    }

    [Fact]
    public void AGruWithoutLinearBeforeResetIsNamed()
    {
        var net = new TorchGruStack(4, 1, seed: 1);
        ModelProto proto = ModelProto.Read(OnnxFile.Export(net));
        NodeProto gru = proto.Graph!.Nodes.First(n => n.OpType == "GRU");
        gru.Attributes.RemoveAll(a => a.Name == "linear_before_reset");
        Assert.Contains("has linear_before_reset = 0 (the GRU of the original paper), but the network's layer 1, GRU(5) is PyTorch's nn.GRU", Reject(new TorchGruStack(4, 1, seed: 2), proto.Write().Written.ToArray()));
    }

    [Fact]
    public void AnotherHiddenSizeNamesTheAttributeAndTheWeight()
    {
        var net = new GruStackOtherHidden(4, 1, seed: 1);
        Assert.Contains("has attribute hidden_size = 5, but the network's layer 1, GRU(6) is PyTorch's nn.GRU", Reject(net, Torch("gru_stack")));
    }

    [Fact]
    public void ANodeBetweenTheRecurrentLayersIsNamed()
    {
        // A Relu put between the two GRUs of StaticNet's export: not a GRU(5) GRU(5) network.
        var net = new TorchGruStack(4, 1, seed: 1);
        ModelProto proto = ModelProto.Read(OnnxFile.Export(net));
        GraphProto g = proto.Graph!;
        NodeProto squeeze = g.Nodes.First(n => n.OpType == "Squeeze");
        NodeProto second = g.Nodes.Where(n => n.OpType == "GRU").Last();
        var relu = new NodeProto { OpType = "Relu", Name = "Between" };
        relu.Inputs.Add(squeeze.Outputs[0]);
        relu.Outputs.Add("between");
        second.Inputs[0] = "between";
        g.Nodes.Insert(g.Nodes.IndexOf(second), relu);
        Assert.Contains("node 'Between' (Relu) feeds node", Reject(new TorchGruStack(4, 1, seed: 2), proto.Write().Written.ToArray()));
    }
}
