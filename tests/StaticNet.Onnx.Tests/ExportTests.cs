using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace StaticNet.Onnx.Tests;

/// <summary>
/// Exported models run in ONNX Runtime and give what Forward gives, for every layer kind, at batch 1 and
/// several (one export, so the batch dimension is dynamic), at the lowest and highest opset offered.
/// </summary>
public class ExportTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (string name in Networks.ExportNames)
        {
            yield return [name, OnnxFile.MinOpset];
            yield return [name, OnnxFile.MaxOpset];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeMatchesForward(string network, int opset)
    {
        INetwork net = Networks.Create(network, seed: 3);
        TestData.Randomize(net, seed: 4);
        byte[] model = OnnxFile.Export(net, opset);

        foreach (int batch in new[] { 1, 3, Networks.Capacity })
        {
            float[] input = TestData.Uniform(batch * net.InputSize, seed: 100 + batch);
            var expected = new float[batch * net.OutputSize];
            net.Forward(input, expected);

            (float[] actual, long[] shape) = OrtRunner.Run(model, input, batch, net.InputSize);

            Assert.Equal(new long[] { batch, net.OutputSize }, shape);
            TestData.AssertClose(expected, actual, 1e-5, $"{network} at opset {opset}, batch {batch}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExportThenImportRestoresEveryParameter(string network, int opset)
    {
        INetwork source = Networks.Create(network, seed: 5);
        TestData.Randomize(source, seed: 6);
        INetwork target = Networks.Create(network, seed: 7);
        TestData.Randomize(target, seed: 8);

        OnnxFile.LoadWeights(target, OnnxFile.Export(source, opset), network);

        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void SaveWritesTheFileAtomicallyAndLoadWeightsReadsIt()
    {
        string folder = Directory.CreateTempSubdirectory("staticnet-onnx-").FullName;
        try
        {
            var net = new Mnist784x100x10(1, seed: 9);
            string path = Path.Combine(folder, "mnist.onnx");
            File.WriteAllText(path, "an older file");

            OnnxFile.Save(net, path);

            Assert.Equal(OnnxFile.Export(net), File.ReadAllBytes(path));
            Assert.Equal("mnist.onnx", Path.GetFileName(Assert.Single(Directory.GetFiles(folder))));
            var loaded = new Mnist784x100x10(1, seed: 10);
            OnnxFile.LoadWeights(loaded, path);
            Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SaveThatFailsLeavesTheOldFileAndNoTemporaryFile()
    {
        string folder = Directory.CreateTempSubdirectory("staticnet-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "net.onnx");
            File.WriteAllText(path, "the old file");
            var net = new LinearNet(1);

            Assert.Throws<ArgumentOutOfRangeException>("opset", () => OnnxFile.Save(net, path, opset: 12));
            Assert.Throws<IOException>(() => OnnxFile.Save(net, folder));
            Assert.ThrowsAny<IOException>(() => OnnxFile.Save(net, Path.Combine(folder, "missing", "net.onnx")));

            Assert.Equal("the old file", File.ReadAllText(path));
            Assert.Single(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    [InlineData(0)]
    public void AnOpsetOutsideTheRangeIsRejected(int opset)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>("opset", () => OnnxFile.Export(new LinearNet(1), opset));
        Assert.Contains("between 13 and 17", e.Message);
    }

    /// <summary>
    /// With STATICNET_ONNX_EXPORT_DIR set, writes every network's model (at both opsets) there, for
    /// pytorch/make_fixtures.py --check to run onnx.checker over them; see pytorch/README.md.
    /// Without it, checks that each export parses back to a graph with the declared input and output.
    /// </summary>
    [Fact]
    public void WritesExportedModelsForTheOnnxChecker()
    {
        string? folder = Environment.GetEnvironmentVariable("STATICNET_ONNX_EXPORT_DIR");
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
        foreach (object[] c in Cases())
        {
            string name = (string)c[0];
            int opset = (int)c[1];
            INetwork net = Networks.Create(name, seed: 11);
            byte[] model = OnnxFile.Export(net, opset);

            Protobuf.ModelProto proto = Protobuf.ModelProto.Read(model);
            Assert.Equal(opset, Assert.Single(proto.OpsetImport).Version);
            Assert.Equal(net.Architecture, proto.DocString);
            Assert.Equal("input", Assert.Single(proto.Graph!.Inputs).Name);
            Assert.Equal("output", Assert.Single(proto.Graph.Outputs).Name);
            Assert.Equal(["batch", net.OutputSize.ToString()], proto.Graph.Outputs[0].Shape!.ConvertAll(d => d.ToString()));

            if (!string.IsNullOrEmpty(folder))
                OnnxFile.Save(net, Path.Combine(folder, $"{name}.opset{opset}.onnx"), opset);
        }
    }
}
