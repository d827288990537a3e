using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Tests.Networks;
using Xunit;
using static StaticNet.Tests.Interop.InteropModels;
using Record = StaticNet.Tests.Interop.InteropModels.Record;

namespace StaticNet.Tests.Interop.SafeTensors;

/// <summary>
/// BatchNorm (nn.BatchNorm1d/2d: weight, bias, running_mean, running_var, num_batches_tracked) and recurrent networks
/// (rnn = nn.GRU/nn.LSTM or a ModuleList of them, head = Linear or Sequential) against files made by real PyTorch
/// (pytorch/make_reference.py, MODELS_V2): the state_dicts load and give PyTorch's outputs, loss and gradients; saved,
/// they hold PyTorch's names, shapes and dtypes; bad files name the tensor and leave the network as it was.
/// </summary>
public class SafeTensorsBatchNormRecurrentTests
{
    public static TheoryData<string> Models => new(All);


    private static (Subject Subject, Record Record) Open(string model, int seed = 7)
    {
        Record record = Record.Load(InteropPaths.PyTorch, model, Create(model).Net.OutputSize);
        return (Create(model, seed, record.Steps), record);
    }

    private static string FileOf(string model) => Path.Combine(InteropPaths.PyTorch, model + ".safetensors");

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
        (Subject s, Record record) = Open(model);
        Assert.Equal(record.Architecture, s.Net.Architecture);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Describe_gives_the_names_shapes_and_order_of_PyTorchs_state_dict(string model)
    {
        (Subject s, Record record) = Open(model);
        IReadOnlyList<SafeTensorsParameter> tensors = SafeTensorsNetwork.Describe(s.Net);
        Assert.Equal(record.Shapes.Keys, tensors.Select(p => p.TensorName));
        foreach (SafeTensorsParameter p in tensors)
        {
            Assert.Equal(record.Shapes[p.TensorName], p.Shape.ToArray());
            Assert.Equal(p.TensorName.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? "I64" : "F32", record.DTypes[p.TensorName]);
            Assert.Equal(p.TensorName.Contains("running_", StringComparison.Ordinal), p.InState);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_PyTorch_state_dict_loads_and_gives_PyTorchs_outputs(string model)
    {
        (Subject s, Record record) = Open(model);
        SafeTensorsNetwork.Load(s.Net, FileOf(model));
        var output = new float[record.Output.Length];
        s.Forward(record.Input, output);
        AssertClose(record.Output, output, 1e-5, 1e-6, $"{model} output (eval mode: running statistics)");
    }

    [Theory]
    [InlineData("bn_mlp")]
    [InlineData("bn_mlp_eps")]
    [InlineData("bn_conv")]
    public void The_running_statistics_land_in_the_generated_views(string model)
    {
        (Subject s, _) = Open(model);
        SafeTensorsNetwork.Load(s.Net, FileOf(model));
        SafeTensorsFile file = SafeTensorsFile.Read(FileOf(model));
        float[] mean = file.Tensors.Single(t => t.Name == "1.running_mean").ToSingles();
        float[] variance = file.Tensors.Single(t => t.Name == "1.running_var").ToSingles();
        Assert.DoesNotContain(mean, v => v == 0); // warmed up by the script: not the initial 0 and 1
        Assert.DoesNotContain(variance, v => v == 1);
        (float[] m, float[] v) = s.Net switch
        {
            TorchBatchNormMlp n => (n.RunningMean2.ToArray(), n.RunningVar2.ToArray()),
            TorchBatchNormEpsMlp n => (n.RunningMean2.ToArray(), n.RunningVar2.ToArray()),
            TorchBatchNormConv n => (n.RunningMean2.ToArray(), n.RunningVar2.ToArray()),
            _ => throw new NotSupportedException(),
        };
        Assert.Equal(mean, m);
        Assert.Equal(variance, v);
    }

    [Fact]
    public void Two_BatchNorms_take_their_own_blocks_of_State()
    {
        // BatchNormSmoothNet: Dense(6) BatchNorm Tanh Dense(4) BatchNorm ...: State is mean2, var2, mean4, var4.
        var net = new BatchNormSmoothNet(4, seed: 1);
        IReadOnlyList<SafeTensorsParameter> d = SafeTensorsNetwork.Describe(net);
        Assert.Equal(["1.running_mean", "1.running_var", "4.running_mean", "4.running_var"], d.Where(p => p.InState).Select(p => p.TensorName));
        for (int i = 0; i < net.State.Length; i++) net.State[i] = i + 1;
        SafeTensorsFile file = SafeTensorsNetwork.ToFile(net);
        Assert.Equal(net.RunningMean2.ToArray(), file.Tensors.Single(t => t.Name == "1.running_mean").ToSingles());
        Assert.Equal(net.RunningVar2.ToArray(), file.Tensors.Single(t => t.Name == "1.running_var").ToSingles());
        Assert.Equal(net.RunningMean4.ToArray(), file.Tensors.Single(t => t.Name == "4.running_mean").ToSingles());
        Assert.Equal(net.RunningVar4.ToArray(), file.Tensors.Single(t => t.Name == "4.running_var").ToSingles());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_training_form_gives_PyTorchs_loss_and_gradients(string model)
    {
        (Subject s, Record record) = Open(model);
        SafeTensorsNetwork.Load(s.Net, FileOf(model));
        float loss = s.Loss(record.Input, record.Targets); // BatchNorm on the batch's statistics, as PyTorch's train()
        Assert.True(Math.Abs(loss - record.Loss) <= 1e-5 * Math.Abs(record.Loss) + 1e-7, $"loss: StaticNet {loss:R}, PyTorch {record.Loss:R}");
        s.Backward();
        foreach (SafeTensorsParameter p in SafeTensorsNetwork.Describe(s.Net).Where(p => !p.InState && !p.IsBatchCounter))
        {
            ParameterBlock b = p.Block;
            ReadOnlySpan<float> ours = s.Net.Gradients.Slice(b.Offset, b.Length);
            var asTorch = new float[b.Length];
            for (int i = 0; i < b.Rows; i++)
                for (int o = 0; o < b.Columns; o++)
                    asTorch[p.Transposed ? o * b.Rows + i : i * b.Columns + o] = ours[i * b.Columns + o];
            AssertClose(record.Gradients[p.TensorName], asTorch, 1e-4, 1e-6, $"{model} gradient of {p.TensorName}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Saved_the_file_holds_PyTorchs_tensors_with_the_counter_as_zero(string model)
    {
        (Subject s, _) = Open(model);
        SafeTensorsNetwork.Load(s.Net, FileOf(model));
        var saved = new MemoryStream();
        SafeTensorsNetwork.Save(s.Net, saved);
        SafeTensorsFile ours = SafeTensorsFile.Read(new MemoryStream(saved.ToArray()), "saved");
        SafeTensorsFile torch = SafeTensorsFile.Read(FileOf(model));
        Assert.Equal(torch.Tensors.Select(t => t.Name), ours.Tensors.Select(t => t.Name));
        foreach ((SafeTensor a, SafeTensor b) in torch.Tensors.Zip(ours.Tensors))
        {
            Assert.Equal(a.DType, b.DType);
            Assert.Equal(a.Shape.ToArray(), b.Shape.ToArray());
            if (a.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                Assert.Equal(new byte[8], b.Data.ToArray()); // StaticNet does not count batches (PyTorch's file holds its warm-up count)
            else
                Assert.Equal(a.Data.ToArray(), b.Data.ToArray());
        }
    }

    [Fact]
    public void Recurrent_names_take_a_prefix_and_a_map()
    {
        var net = new TorchGruStack(4, 1, seed: 1);
        Assert.Equal("model.rnn.weight_hh_l1", SafeTensorsNetwork.Describe(net, SafeTensorsNaming.WithPrefix("model.")).Single(p => p.Block.Name == "W_hh2").TensorName);
        var map = SafeTensorsNaming.FromMap(new Dictionary<string, string> { ["W3"] = "fc.weight", ["b3"] = "fc.bias" });
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "fc.weight", "fc.bias"],
            SafeTensorsNetwork.Describe(net, map).Select(p => p.TensorName));
        var bn = new TorchBatchNormMlp(2, seed: 1);
        var bnMap = SafeTensorsNaming.FromMap(new Dictionary<string, string> { ["RunningMean2"] = "bn.mean" });
        Assert.Equal("bn.mean", SafeTensorsNetwork.Describe(bn, bnMap).Single(p => p.Block.Kind == ParameterKind.RunningMean).TensorName);
    }

    [Fact]
    public void A_GRU_then_an_LSTM_are_a_ModuleList_and_a_head_of_three_modules_a_Sequential()
    {
        Assert.Equal(["rnn.0.weight_ih_l0", "rnn.0.weight_hh_l0", "rnn.0.bias_ih_l0", "rnn.0.bias_hh_l0", "rnn.1.weight_ih_l0", "rnn.1.weight_hh_l0", "rnn.1.bias_ih_l0", "rnn.1.bias_hh_l0", "head.weight", "head.bias"],
            SafeTensorsNetwork.Describe(new TorchGruLstm(4, 1, 1)).Select(p => p.TensorName));
        Assert.Equal(["head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"],
            SafeTensorsNetwork.Describe(new TorchLstmMixed(4, 1, 1)).Select(p => p.TensorName).Where(n => n.StartsWith("head", StringComparison.Ordinal)));
        // A single GRU: rnn is the nn.GRU itself.
        Assert.Equal("rnn.weight_ih_l0", SafeTensorsNetwork.Describe(new GruNet(4, 1, 1)).First().TensorName);
    }

    // ---- bad files: each names the tensor and leaves the parameters and the running statistics as they were ----

    private static string Reject(INetwork net, IEnumerable<SafeTensor> tensors, bool strict = true)
    {
        float[] parameters = net.Parameters.ToArray(), state = net.State.ToArray();
        var file = new SafeTensorsFile(tensors.ToList(), SafeTensorsNetwork.DefaultMetadata);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsNetwork.Load(net, file, strict: strict));
        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(state, net.State.ToArray());
        return e.Message;
    }

    private static IEnumerable<SafeTensor> TorchTensors(string model) => SafeTensorsFile.Read(FileOf(model)).Tensors;

    [Fact]
    public void A_missing_running_variance_is_named()
    {
        var net = new TorchBatchNormMlp(2, seed: 1);
        InteropModels.Randomize(net, 3);
        string message = Reject(net, TorchTensors("bn_mlp").Where(t => t.Name != "1.running_var"));
        Assert.Contains("tensor '1.running_var' (BatchNorm1d running_var [6], block RunningVar2 of BatchNorm2) is missing", message);
    }

    [Fact]
    public void A_running_mean_of_another_size_is_named_with_both_shapes()
    {
        var net = new TorchBatchNormConv(2, seed: 1);
        InteropModels.Randomize(net, 3);
        var tensors = TorchTensors("bn_conv").Select(t => t.Name == "1.running_mean" ? SafeTensor.FromSingles(t.Name, [4], new float[4]) : t);
        Assert.Contains("tensor '1.running_mean' has shape [4], but RunningMean2 of BatchNorm2 needs [3] (BatchNorm2d running_mean)", Reject(net, tensors));
    }

    [Fact]
    public void A_float_batch_counter_is_named_and_a_missing_one_is_not_an_error()
    {
        var net = new TorchBatchNormMlp(2, seed: 1);
        InteropModels.Randomize(net, 3);
        var tensors = TorchTensors("bn_mlp").Select(t => t.Name == "1.num_batches_tracked" ? SafeTensor.FromSingles(t.Name, [], [3f]) : t);
        Assert.Contains("tensor '1.num_batches_tracked' is F32 [], but a BatchNorm's num_batches_tracked is an integer scalar (I64 [])", Reject(net, tensors));

        SafeTensorsNetwork.Load(net, new SafeTensorsFile(TorchTensors("bn_mlp").Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList(), null));
        Assert.Equal(SafeTensorsFile.Read(FileOf("bn_mlp")).Tensors.Single(t => t.Name == "1.running_var").ToSingles(), net.RunningVar2.ToArray());
    }

    [Fact]
    public void A_recurrent_weight_of_another_hidden_size_is_named_with_PyTorchs_layout()
    {
        var net = new TorchGruStack(4, 1, seed: 1);
        var tensors = TorchTensors("gru_stack").Select(t => t.Name == "rnn.weight_hh_l1" ? SafeTensor.FromSingles(t.Name, [15, 4], new float[60]) : t);
        Assert.Contains("tensor 'rnn.weight_hh_l1' has shape [15, 4], but W_hh2 of GRU2 needs [15, 5] (GRU weight_hh_l1, PyTorch's [3·hidden, hidden])", Reject(net, tensors));
    }

    [Fact]
    public void A_GRU_file_into_an_LSTM_network_names_every_tensor_that_does_not_fit()
    {
        var net = new TorchLstmStack(4, 1, seed: 1);
        string message = Reject(net, TorchTensors("gru_stack"));
        Assert.Contains("tensor 'rnn.weight_ih_l0' has shape [15, 3], but W_ih1 of LSTM1 needs [16, 2] (LSTM weight_ih_l0, PyTorch's [4·hidden, in]: gates i, f, g, o)", message);
        Assert.Contains("tensor 'head.weight' has shape [2, 5], but W3 of Dense3 needs [2, 4]", message);
    }

    [Fact]
    public void A_stacked_file_into_a_ModuleList_network_says_which_names_it_expected()
    {
        // gru_stack's one nn.GRU(num_layers=2) does not load into GRU(4) LSTM(3), whose rnn is a ModuleList.
        var net = new TorchGruLstm(4, 1, seed: 1);
        string message = Reject(net, TorchTensors("gru_stack"));
        Assert.Contains("tensor 'rnn.0.weight_ih_l0' (GRU weight_ih_l0 [12, 3], block W_ih1 of GRU1) is missing", message);
        Assert.Contains("tensor 'rnn.weight_ih_l0' is unexpected", message);
    }

    /// <summary>
    /// Networks StaticNet initialised (random parameters and running statistics) and saved, with inputs and StaticNet's
    /// outputs, written into pytorch/from_staticnet/ only when STATICNET_WRITE_PYTORCH=1, for
    /// <c>make_reference.py --check</c> to load into PyTorch with load_state_dict(strict=True) and compare (1e-5).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Saved_files_for_the_script(string model)
    {
        (Subject s, Record record) = Open(model, seed: 11);
        InteropModels.Randomize(s.Net, 13);
        var output = new float[record.Output.Length];
        s.Forward(record.Input, output);

        var saved = new MemoryStream();
        SafeTensorsNetwork.Save(s.Net, saved);
        Subject back = Create(model, seed: 12, record.Steps);
        SafeTensorsNetwork.Load(back.Net, new MemoryStream(saved.ToArray()), "saved");
        Assert.Equal(s.Net.Parameters.ToArray(), back.Net.Parameters.ToArray());
        Assert.Equal(s.Net.State.ToArray(), back.Net.State.ToArray());

        if (Environment.GetEnvironmentVariable("STATICNET_WRITE_PYTORCH") != "1")
            return;
        string folder = Path.Combine(InteropPaths.PyTorch, "from_staticnet");
        Directory.CreateDirectory(folder);
        SafeTensorsNetwork.Save(s.Net, Path.Combine(folder, model + ".safetensors"));
        using var json = new Utf8JsonWriter(File.Create(Path.Combine(folder, model + ".json")), new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("architecture", s.Net.Architecture);
        json.WriteString("prefix", "");
        json.WriteNumber("batch", record.Batch);
        if (record.Steps > 0) json.WriteNumber("steps", record.Steps);
        json.WriteStartArray("input");
        foreach (float v in record.Input) json.WriteNumberValue((double)v);
        json.WriteEndArray();
        json.WriteStartArray("output");
        foreach (float v in output) json.WriteNumberValue((double)v);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
