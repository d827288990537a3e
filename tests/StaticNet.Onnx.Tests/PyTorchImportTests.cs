using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// Models written by torch.onnx.export (torch 1.13, opset 17; pytorch/make_fixtures.py) load into the
/// matching declarations, and the networks then compute what PyTorch computed for the recorded inputs.
/// </summary>
public class PyTorchImportTests
{
    public static IEnumerable<object[]> Fixtures()
    {
        foreach (string name in Networks.FixtureNames)
            yield return [name];
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ImportedWeightsReproducePyTorchOutputs(string fixture)
    {
        Fixture f = Fixture.Load(fixture);
        INetwork net = Networks.Create(fixture);
        Assert.Equal(f.Architecture, net.Architecture);

        OnnxFile.LoadWeights(net, f.ModelPath);

        int batch = f.Inputs.Length;
        Assert.True(batch > 1);
        // The whole recorded batch, then its first row alone (batch 1).
        var output = new float[batch * net.OutputSize];
        net.Forward(Fixture.Flatten(f.Inputs), output);
        TestData.AssertClose(Fixture.Flatten(f.Outputs), output, 1e-5, $"{fixture}, batch {batch}");

        var one = new float[net.OutputSize];
        net.Forward(f.Inputs[0], one);
        TestData.AssertClose(f.Outputs[0], one, 1e-5, $"{fixture}, batch 1");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void OnnxRuntimeAgreesWithTheFixture(string fixture)
    {
        // A check of the fixture itself (and of the runner): ONNX Runtime on PyTorch's file gives PyTorch's numbers.
        Fixture f = Fixture.Load(fixture);
        if (f.Nodes[^1] != "Softmax" && f.Architecture.EndsWith("SoftmaxCrossEntropy", StringComparison.Ordinal))
            return; // recorded as softmax(logits); the file outputs logits
        (float[] actual, _) = OrtRunner.Run(File.ReadAllBytes(f.ModelPath), Fixture.Flatten(f.Inputs), f.Inputs.Length, f.Inputs[0].Length, inputName: "x");
        TestData.AssertClose(Fixture.Flatten(f.Outputs), actual, 1e-5, fixture);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TheFixtureHasTheGraphFormItStandsFor(string fixture)
    {
        // So that the MatMul cases really exercise MatMul (+ Transpose) and the Gemm cases Gemm with transB = 1.
        Fixture f = Fixture.Load(fixture);
        Protobuf.ModelProto model = Protobuf.ModelProto.Read(File.ReadAllBytes(f.ModelPath));
        List<string> ops = model.Graph!.Nodes.ConvertAll(n => n.OpType);
        Assert.Equal(f.Nodes, ops);
        if (fixture.StartsWith("gemm", StringComparison.Ordinal))
            Assert.All(model.Graph.Nodes.FindAll(n => n.OpType == "Gemm"), n => Assert.Equal(1, n.Attribute("transB")!.I));
        if (fixture == "matmul_transpose")
            Assert.Contains("Transpose", ops);
        if (fixture == "matmul_folded")
            Assert.DoesNotContain("Transpose", ops);
    }

    internal sealed record Fixture(string Name, string ModelPath, string Architecture, List<string> Nodes, float[][] Inputs, float[][] Outputs)
    {
        public static string Folder => Path.Combine(AppContext.BaseDirectory, "pytorch", "fixtures");

        public static Fixture Load(string name)
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
            JsonElement root = json.RootElement;
            var nodes = new List<string>();
            foreach (JsonElement node in root.GetProperty("nodes").EnumerateArray())
                nodes.Add(node.GetString()!);
            return new Fixture(name, Path.Combine(Folder, name + ".onnx"), root.GetProperty("architecture").GetString()!, nodes,
                Rows(root.GetProperty("input")), Rows(root.GetProperty("output")));
        }

        public static float[] Flatten(float[][] rows)
        {
            var flat = new List<float>();
            foreach (float[] row in rows)
                flat.AddRange(row);
            return flat.ToArray();
        }

        // The JSON holds each float32 exactly (as the double it equals), so the cast is exact.
        private static float[][] Rows(JsonElement array)
        {
            var rows = new List<float[]>();
            foreach (JsonElement row in array.EnumerateArray())
            {
                var values = new List<float>();
                foreach (JsonElement value in row.EnumerateArray())
                    values.Add((float)value.GetDouble());
                rows.Add(values.ToArray());
            }
            return rows.ToArray();
        }
    }
}
