using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>
/// Files made by real PyTorch (pytorch/make_reference.py): nn.Sequential state_dicts load into the matching
/// declarations and give PyTorch's outputs, loss and parameter gradients; saved again, they are the same bytes.
/// </summary>
public class SafeTensorsPyTorchTests
{
    /// <summary>What make_reference.py recorded for one model.</summary>
    private sealed class Record
    {
        public required string Architecture { get; init; }
        public required string Prefix { get; init; }
        public required int Batch { get; init; }
        public required float[] Input { get; init; }
        public int[]? Labels { get; init; }
        public float[]? Targets { get; init; }
        public required float[] Output { get; init; }
        public required double Loss { get; init; }
        public required Dictionary<string, float[]> Gradients { get; init; }
        public required Dictionary<string, long[]> Shapes { get; init; }
        public required Dictionary<string, float[]> Rounded { get; init; }

        public static Record Load(string model)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(InteropPaths.PyTorch, model + ".json")));
            JsonElement r = json.RootElement;
            static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            return new Record
            {
                Architecture = r.GetProperty("architecture").GetString()!,
                Prefix = r.GetProperty("prefix").GetString()!,
                Batch = r.GetProperty("batch").GetInt32(),
                Input = Floats(r.GetProperty("input")),
                Labels = r.TryGetProperty("labels", out JsonElement l) ? l.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null,
                Targets = r.TryGetProperty("targets", out JsonElement t) ? Floats(t) : null,
                Output = Floats(r.GetProperty("output")),
                Loss = r.GetProperty("loss").GetDouble(),
                Gradients = r.GetProperty("gradients").EnumerateObject().ToDictionary(p => p.Name, p => Floats(p.Value)),
                Shapes = r.GetProperty("shapes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray()),
                Rounded = r.GetProperty("rounded").EnumerateObject().ToDictionary(p => p.Name, p => Floats(p.Value)),
            };
        }
    }

    public static TheoryData<string> Models => new() { "mlp_4_8_3", "mlp_5_6_4_2", "prefixed_6_5_3", "simple_conv", "strided_conv", "two_conv_prefixed" };

    private static ILossNetwork Create(string model, int seed = 7) => model switch
    {
        "mlp_4_8_3" => new TorchMlp4x8x3(batchCapacity: 8, seed),
        "mlp_5_6_4_2" => new TorchMlp5x6x4x2(batchCapacity: 8, seed),
        "prefixed_6_5_3" => new TorchPrefixed6x5x3(batchCapacity: 8, seed),
        "simple_conv" => new TorchSimpleConv(batchCapacity: 8, seed),
        "strided_conv" => new TorchStridedConv(batchCapacity: 8, seed),
        "two_conv_prefixed" => new TorchTwoConvPrefixed(batchCapacity: 8, seed),
        _ => throw new ArgumentException(model),
    };

    private static SafeTensorsNaming NamingOf(Record record) =>
        record.Prefix.Length == 0 ? SafeTensorsNaming.Sequential : SafeTensorsNaming.WithPrefix(record.Prefix);

    private static string FileOf(string model, string? dtype = null) =>
        Path.Combine(InteropPaths.PyTorch, dtype is null ? model + ".safetensors" : $"{model}.{dtype}.safetensors");

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(error <= relative * Math.Abs(expected[i]) + absolute,
                $"{what}[{i}]: StaticNet {actual[i]:R}, PyTorch {expected[i]:R}, |error| {error:E2}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_architecture_matches_the_script(string model)
    {
        Record record = Record.Load(model);
        Assert.Equal(record.Architecture, Create(model).Architecture);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Describe_gives_the_names_and_shapes_of_PyTorchs_state_dict(string model)
    {
        Record record = Record.Load(model);
        IReadOnlyList<SafeTensorsParameter> parameters = SafeTensorsNetwork.Describe(Create(model), NamingOf(record));
        Assert.Equal(record.Shapes.Keys, parameters.Select(p => p.TensorName));
        foreach (SafeTensorsParameter p in parameters)
            Assert.Equal(record.Shapes[p.TensorName], p.Shape.ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_PyTorch_state_dict_loads_and_gives_PyTorchs_outputs_loss_and_gradients(string model)
    {
        Record record = Record.Load(model);
        ILossNetwork net = Create(model);
        SafeTensorsNetwork.Load(net, FileOf(model), NamingOf(record));

        var output = new float[record.Output.Length];
        net.Forward(record.Input, output);
        AssertClose(record.Output, output, 1e-5, 1e-6, "output");

        float loss = record.Labels is { } labels ? LossWithLabels(net, record.Input, labels) : net.Loss(record.Input, record.Targets);
        Assert.True(Math.Abs(loss - record.Loss) <= 1e-5 * Math.Abs(record.Loss), $"loss: StaticNet {loss:R}, PyTorch {record.Loss:R}");

        net.Backward();
        // PyTorch's gradients are in its layout: a Linear weight's is [out, in]; StaticNet's dW is [in, out].
        // A Conv2d weight's is [out, in, kH, kW], which is StaticNet's dW [F, C, K, K] as it is.
        foreach (ParameterBlock block in net.ParameterBlocks)
        {
            SafeTensorsParameter p = SafeTensorsNetwork.Describe(net, NamingOf(record)).Single(q => q.Block.Name == block.Name);
            Assert.Equal(p.ModuleType == "Linear" && p.Attribute == "weight", p.Transposed);
            float[] torch = record.Gradients[p.TensorName];
            ReadOnlySpan<float> ours = net.Gradients.Slice(block.Offset, block.Length);
            var asTorch = new float[block.Length];
            for (int i = 0; i < block.Rows; i++)
                for (int o = 0; o < block.Columns; o++)
                    asTorch[p.Transposed ? o * block.Rows + i : i * block.Columns + o] = ours[i * block.Columns + o];
            AssertClose(torch, asTorch, 1e-4, 1e-7, $"gradient of {p.TensorName}");
        }
    }

    private static float LossWithLabels(ILossNetwork net, float[] input, int[] labels)
    {
        // The label overload is on the generated class; one-hot targets are the same loss (both PyTorch's mean).
        var targets = new float[labels.Length * net.OutputSize];
        for (int i = 0; i < labels.Length; i++) targets[i * net.OutputSize + labels[i]] = 1;
        float viaTargets = net.Loss(input, targets);
        float viaLabels = net switch
        {
            TorchMlp4x8x3 mlp => mlp.Loss(input, labels),
            TorchSimpleConv conv => conv.Loss(input, labels),
            _ => throw new NotSupportedException(),
        };
        Assert.Equal(viaTargets, viaLabels, 6);
        return viaLabels;
    }

    [Theory]
    [InlineData("mlp_4_8_3", "F16")]
    [InlineData("mlp_4_8_3", "BF16")]
    [InlineData("mlp_4_8_3", "F64")]
    [InlineData("mlp_5_6_4_2", "F16")]
    [InlineData("mlp_5_6_4_2", "BF16")]
    [InlineData("mlp_5_6_4_2", "F64")]
    [InlineData("prefixed_6_5_3", "F16")]
    [InlineData("prefixed_6_5_3", "BF16")]
    [InlineData("prefixed_6_5_3", "F64")]
    [InlineData("simple_conv", "F16")]
    [InlineData("simple_conv", "BF16")]
    [InlineData("strided_conv", "F64")]
    [InlineData("two_conv_prefixed", "BF16")]
    public void F16_BF16_and_F64_state_dicts_load_as_PyTorch_rounds_them(string model, string dtype)
    {
        Record record = Record.Load(model);
        SafeTensorsFile file = SafeTensorsFile.Read(FileOf(model, dtype));
        Assert.All(file.Tensors, t => Assert.Equal(dtype, SafeTensorsDTypes.Name(t.DType)));

        ILossNetwork net = Create(model);
        SafeTensorsNetwork.Load(net, file, NamingOf(record));
        var output = new float[record.Output.Length];
        net.Forward(record.Input, output);
        // PyTorch ran the model with its parameters rounded to the dtype and widened back to float32.
        AssertClose(record.Rounded[dtype], output, 1e-5, 1e-6, $"output with {dtype} parameters");
        if (dtype != "F64") // half precision moves the outputs measurably: the dtype was really converted
            Assert.Contains(record.Output.Select((v, i) => v != output[i]), changed => changed);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Saved_again_a_PyTorch_file_is_the_same_bytes(string model)
    {
        Record record = Record.Load(model);
        ILossNetwork net = Create(model);
        SafeTensorsNetwork.Load(net, FileOf(model), NamingOf(record));

        var saved = new MemoryStream();
        SafeTensorsNetwork.Save(net, saved, NamingOf(record));

        // The script pads its header and writes {"format": "pt"} as the writer does, in state_dict order.
        Assert.Equal(File.ReadAllBytes(FileOf(model)), saved.ToArray());
    }

    /// <summary>
    /// Writes, for the script to check, networks StaticNet initialised and saved (not PyTorch's weights), with
    /// inputs and StaticNet's outputs, into pytorch/from_staticnet/, only when STATICNET_WRITE_PYTORCH=1.
    /// Then <c>/usr/bin/python3 make_reference.py --check</c> loads each into the nn.Sequential of its
    /// architecture with load_state_dict(strict=True) and compares PyTorch's outputs with StaticNet's (1e-5).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Saved_files_for_the_script(string model)
    {
        Record record = Record.Load(model);
        ILossNetwork net = Create(model, seed: 11);
        var output = new float[record.Output.Length];
        net.Forward(record.Input, output);

        var saved = new MemoryStream();
        SafeTensorsNetwork.Save(net, saved, NamingOf(record));
        ILossNetwork back = Create(model, seed: 12);
        SafeTensorsNetwork.Load(back, new MemoryStream(saved.ToArray()), "saved", NamingOf(record));
        Assert.Equal(net.Parameters.ToArray(), back.Parameters.ToArray());

        if (Environment.GetEnvironmentVariable("STATICNET_WRITE_PYTORCH") != "1")
            return;
        string folder = Path.Combine(InteropPaths.PyTorch, "from_staticnet");
        Directory.CreateDirectory(folder);
        SafeTensorsNetwork.Save(net, Path.Combine(folder, model + ".safetensors"), NamingOf(record));
        using var json = new Utf8JsonWriter(File.Create(Path.Combine(folder, model + ".json")), new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("architecture", net.Architecture);
        json.WriteString("prefix", record.Prefix);
        json.WriteNumber("batch", record.Batch);
        json.WriteStartArray("input");
        foreach (float v in record.Input) json.WriteNumberValue((double)v);
        json.WriteEndArray();
        json.WriteStartArray("output");
        foreach (float v in output) json.WriteNumberValue((double)v);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
