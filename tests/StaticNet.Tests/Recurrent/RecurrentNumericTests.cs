using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Tests.Networks;
using Xunit;

namespace StaticNet.Tests.Recurrent;

/// <summary>
/// The generated GRU and LSTM networks against PyTorch (files recorded by pytorch/make_fixtures.py), against a naive
/// double-precision reference with central differences, and streaming against sequences.
/// </summary>
public class RecurrentNumericTests
{
    public static TheoryData<string> PyTorchNetworks => new() { nameof(GruNet), nameof(LstmNet), nameof(GruStackNet), nameof(LstmStackNet), nameof(GruClassifierNet) };

    public static TheoryData<string> AllWithLoss => new() { nameof(GruNet), nameof(LstmNet), nameof(GruStackNet), nameof(LstmStackNet), nameof(GruClassifierNet), nameof(AudioGruNet) };

    public static TheoryData<string> All => new() { nameof(GruNet), nameof(LstmNet), nameof(GruStackNet), nameof(LstmStackNet), nameof(GruClassifierNet), nameof(AudioGruNet), nameof(BareGruNet) };

    private static string FixturePath(string name)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "StaticNet.sln"))) root = Path.GetDirectoryName(root)!;
        return Path.Combine(root, "tests", "StaticNet.Tests", "Recurrent", "pytorch", "fixtures", name + ".json");
    }

    private static float[] Floats(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    /// <summary>|actual − expected| ≤ relative·|expected| + absolute, element by element, naming the first that is not.</summary>
    private static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (error > relative * Math.Abs(expected[i]) + absolute)
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2})");
        }
    }

    private static void Close(double[] expected, ReadOnlySpan<float> actual, double relative, double absolute, string what) =>
        Close(Array.ConvertAll(expected, v => (float)v), actual, relative, absolute, what);

    [Theory]
    [MemberData(nameof(PyTorchNetworks))]
    public void Outputs_losses_and_gradients_match_PyTorch(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(FixturePath(name)));
        JsonElement f = doc.RootElement;
        int batch = f.GetProperty("batch").GetInt32(), steps = f.GetProperty("steps").GetInt32();
        RecurrentSubject net = RecurrentSubject.Create(name, maxSteps: steps + 3, batchCapacity: batch + 1);
        float[] parameters = Floats(f, "parameters");
        Assert.Equal(net.Network.ParameterCount, parameters.Length);
        parameters.CopyTo(net.Parameters());
        float[] input = Floats(f, "input");

        var output = new float[batch * steps * net.OutputSize];
        net.Forward(input, output, steps);
        Close(Floats(f, "output"), output, 0, 1e-5, "output");

        var inputGradient = new float[input.Length];
        float loss = net.Loss!(input, Floats(f, "targets_per_step"), steps);
        Assert.Equal(f.GetProperty("loss_per_step").GetDouble(), loss, 1e-5 * Math.Max(1, Math.Abs(loss)));
        net.Backward!(inputGradient);
        Close(Floats(f, "gradients_per_step"), net.Gradients(), 1e-4, 1e-6, "gradient (targets per step)");
        Close(Floats(f, "input_gradient_per_step"), inputGradient, 1e-4, 1e-6, "input gradient (targets per step)");

        loss = net.LossAtLastStep!(input, Floats(f, "targets_last_step"), steps);
        Assert.Equal(f.GetProperty("loss_last_step").GetDouble(), loss, 1e-5 * Math.Max(1, Math.Abs(loss)));
        net.Backward!(inputGradient);
        Close(Floats(f, "gradients_last_step"), net.Gradients(), 1e-4, 1e-6, "gradient (target at the last step)");
        Close(Floats(f, "input_gradient_last_step"), inputGradient, 1e-4, 1e-6, "input gradient (target at the last step)");
    }

    private static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random64(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((2 * r.NextDouble() - 1) * scale);
        return v;
    }

    private static float[] Targets(string kind, int rows, int width, int seed)
    {
        if (kind == "mse") return Random(rows * width, seed);
        var t = new float[rows * width];
        var r = new Random64(seed);
        for (int i = 0; i < rows; i++) t[i * width + r.NextInt32(width)] = 1;
        return t;
    }

    private static double[] D(ReadOnlySpan<float> v) => v.ToArray().Select(x => (double)x).ToArray();

    [Theory]
    [MemberData(nameof(All))]
    public void Forward_matches_the_double_reference(string name)
    {
        const int batch = 3, steps = 9;
        RecurrentSubject net = RecurrentSubject.Create(name, maxSteps: steps, batchCapacity: batch, seed: 5);
        float[] input = Random(batch * steps * net.InputSize, 11);
        var output = new float[batch * steps * net.OutputSize];
        net.Forward(input, output, steps);
        double[] expected = RecurrentReference.Forward(net.Layers, net.InputSize, D(net.Parameters()), D(input), batch, steps);
        if (net.LossKind == "sce")
        {
            // Forward of a SoftmaxCrossEntropy network gives the probabilities.
            for (int row = 0; row < batch * steps; row++)
            {
                var logits = expected.AsSpan(row * net.OutputSize, net.OutputSize);
                double max = logits.ToArray().Max(), sum = logits.ToArray().Sum(v => Math.Exp(v - max));
                for (int k = 0; k < logits.Length; k++) logits[k] = Math.Exp(logits[k] - max) / sum;
            }
        }
        Close(expected, output, 0, 1e-5, "output");
    }

    [Theory]
    [MemberData(nameof(AllWithLoss))]
    public void Backpropagation_through_time_matches_central_differences(string name)
    {
        const int batch = 2, steps = 7;
        RecurrentSubject net = RecurrentSubject.Create(name, maxSteps: steps, batchCapacity: batch, seed: 3);
        float[] input = Random(batch * steps * net.InputSize, 17);
        double[] p = D(net.Parameters());
        foreach (bool lastStep in new[] { false, true })
        {
            float[] t = Targets(net.LossKind!, lastStep ? batch : batch * steps, net.OutputSize, 23);
            float loss = lastStep ? net.LossAtLastStep!(input, t, steps) : net.Loss!(input, t, steps);
            double expectedLoss = RecurrentReference.Loss(net.Layers, net.InputSize, net.LossKind!, p, D(input), D(t), batch, steps, lastStep);
            Assert.Equal(expectedLoss, loss, 1e-5 * Math.Max(1, Math.Abs(expectedLoss)));
            var inputGradient = new float[input.Length];
            net.Backward!(inputGradient);
            double[] expected = RecurrentReference.Gradient(net.Layers, net.InputSize, net.LossKind!, p, D(input), D(t), batch, steps, lastStep);
            Close(expected, net.Gradients(), 1e-4, 1e-6, lastStep ? "gradient (last step)" : "gradient (every step)");
            double[] expectedInput = RecurrentReference.Gradient(x => RecurrentReference.Loss(net.Layers, net.InputSize, net.LossKind!, p, x, D(t), batch, steps, lastStep), D(input));
            Close(expectedInput, inputGradient, 1e-4, 1e-6, lastStep ? "input gradient (last step)" : "input gradient (every step)");
        }
    }

    [Fact]
    public void Backward_with_an_output_gradient_matches_central_differences()
    {
        // A network without a loss layer: dL/dθ for L = Σ g ⊙ y, with g given.
        const int batch = 2, steps = 6;
        var net = new BareGruNet(steps, batch, seed: 9);
        float[] input = Random(batch * steps * BareGruNet.InputSize, 2);
        float[] g = Random(batch * steps * BareGruNet.OutputSize, 4);
        var output = new float[g.Length];
        net.Forward(input, output, steps);
        var inputGradient = new float[input.Length];
        net.Backward(g, inputGradient);
        RefLayer[] layers = { RefLayer.Gru(3) };
        double Dot(double[] p, double[] x) =>
            RecurrentReference.Forward(layers, BareGruNet.InputSize, p, x, batch, steps).Select((y, i) => y * g[i]).Sum();
        double[] p0 = D(net.Parameters), x0 = D(input);
        Close(RecurrentReference.Gradient(p => Dot(p, x0), p0), net.Gradients, 1e-4, 1e-6, "gradient");
        Close(RecurrentReference.Gradient(x => Dot(p0, x), x0), inputGradient, 1e-4, 1e-6, "input gradient");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Streaming_one_step_at_a_time_gives_the_sequence_outputs(string name)
    {
        const int batch = 3, steps = 40;
        RecurrentSubject net = RecurrentSubject.Create(name, maxSteps: steps, batchCapacity: batch, seed: 7);
        float[] input = Random(batch * steps * net.InputSize, 31, scale: 2);
        var output = new float[batch * steps * net.OutputSize];
        net.Forward(input, output, steps);
        var y = new float[net.OutputSize];
        for (int s = 0; s < batch; s++)
        {
            net.ResetState();
            for (int t = 0; t < steps; t++)
            {
                int row = s * steps + t;
                net.Step(input.AsSpan(row * net.InputSize, net.InputSize), y);
                Close(output.AsSpan(row * net.OutputSize, net.OutputSize).ToArray(), y, 0, 1e-6, $"step {t} of sequence {s}");
            }
        }
    }

    [Fact]
    public void The_state_carries_over_between_steps_until_reset()
    {
        var net = new AudioGruNet(maxSteps: 1, seed: 2);
        var y1 = new float[1];
        var y2 = new float[1];
        net.Step(new[] { 0.5f }, y1);
        net.Step(new[] { 0.5f }, y2);
        Assert.NotEqual(y1[0], y2[0]); // the second step sees the first step's state
        net.ResetState();
        net.Step(new[] { 0.5f }, y2);
        Assert.Equal(y1[0], y2[0]);
    }

    [Fact]
    public void Ten_thousand_steps_allocate_nothing()
    {
        var gru = new AudioGruNet(maxSteps: 1, seed: 1);
        var lstm = new LstmStackNet(maxSteps: 1, seed: 1);
        var x1 = new float[1];
        var x2 = new float[2];
        var y = new float[1];
        void Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                x1[0] = MathF.Sin(i * 0.01f);
                x2[0] = x1[0];
                gru.Step(x1, y);
                lstm.Step(x2, y);
            }
        }
        Run(100); // warm up: JIT, static constructors
        Assert.Equal(0, Allocations.Least(() => Run(10_000)));
    }

    [Fact]
    public void Training_on_sequences_allocates_nothing()
    {
        var net = new GruStackNet(maxSteps: 10, batchCapacity: 4, seed: 1);
        var adam = new Adam(GruStackNet.ParameterCount);
        float[] input = Random(4 * 10 * 2, 1);
        float[] targets = Random(4 * 10, 2);
        float[] last = Random(4, 3);
        var output = new float[40];
        void Train()
        {
            net.Loss(input, targets, 10);
            net.Backward();
            adam.Step(net.Parameters, net.Gradients);
            net.LossAtLastStep(input.AsSpan(0, 3 * 5 * 2), last.AsSpan(0, 3), 5);
            net.Backward();
            adam.Step(net.Parameters, net.Gradients);
            net.Forward(input, output, 10);
        }
        Train();
        Assert.Equal(0, Allocations.Least(() => { for (int i = 0; i < 10; i++) Train(); }));
    }

    [Fact]
    public void Adam_trains_a_gru_to_remember_the_previous_sample()
    {
        // y[t] = x[t−1]: a task only a network with memory can solve (a Dense layer alone cannot beat predicting 0).
        const int batch = 16, steps = 20;
        var net = new AudioGruNet(maxSteps: steps, batchCapacity: batch, seed: 4);
        var adam = new Adam(AudioGruNet.ParameterCount, learningRate: 0.01f);
        var random = new Random64(8);
        var input = new float[batch * steps];
        var targets = new float[batch * steps];
        float first = 0, latest = 0;
        for (int epoch = 0; epoch < 400; epoch++)
        {
            for (int s = 0; s < batch; s++)
                for (int t = 0; t < steps; t++)
                {
                    int row = s * steps + t;
                    input[row] = (float)(2 * random.NextDouble() - 1);
                    targets[row] = t == 0 ? 0 : input[row - 1];
                }
            latest = net.Loss(input, targets, steps);
            if (epoch == 0) first = latest;
            net.Backward();
            adam.Step(net.Parameters, net.Gradients);
        }
        Assert.True(first > 0.2f, $"the untrained loss is {first}");
        Assert.True(latest < first / 20, $"the loss fell from {first} to {latest} only");
    }

    [Fact]
    public void Bad_arguments_say_what_is_wrong()
    {
        Assert.Throws<ArgumentOutOfRangeException>("maxSteps", () => new GruNet(0));
        Assert.Throws<ArgumentOutOfRangeException>("batchCapacity", () => new GruNet(10, 0));
        var net = new GruNet(maxSteps: 5, batchCapacity: 2);
        var e = Assert.Throws<ArgumentException>("x", () => net.Step(new float[2], new float[2]));
        Assert.Contains("3", e.Message);
        Assert.Throws<ArgumentException>("y", () => net.Step(new float[3], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>("steps", () => net.Forward(new float[18], new float[12], 6));
        var wrong = Assert.Throws<ArgumentException>("input", () => net.Forward(new float[10], new float[10], 5));
        Assert.Contains("15 floats each", wrong.Message);
        Assert.Throws<ArgumentException>("input", () => net.Forward(new float[45], new float[30], 5)); // 3 sequences > capacity 2
        Assert.Throws<ArgumentException>("targets", () => net.Loss(new float[15], new float[5], 5));
        Assert.Throws<ArgumentException>("targets", () => net.LossAtLastStep(new float[15], new float[10], 5));
        Assert.Throws<InvalidOperationException>(() => net.Backward());
        net.Forward(new float[15], new float[10], 5);
        Assert.Throws<InvalidOperationException>(() => net.Backward()); // Forward is not a Loss
        net.Loss(new float[15], new float[10], 5);
        _ = net.Parameters;
        Assert.Throws<InvalidOperationException>(() => net.Backward()); // the weights may have changed
    }

    [Fact]
    public void Parameter_blocks_name_the_pytorch_tensors()
    {
        var blocks = new GruStackNet(1).ParameterBlocks.ToArray();
        Assert.Equal(new[] { "W_ih1", "W_hh1", "b_ih1", "b_hh1", "W_ih2", "W_hh2", "b_ih2", "b_hh2", "W3", "b3" }, blocks.Select(b => b.Name));
        Assert.Equal((27, 2), (blocks[0].Rows, blocks[0].Columns));   // weight_ih_l0 [3·9, 2]
        Assert.Equal((15, 9), (blocks[4].Rows, blocks[4].Columns));   // the second GRU's weight_ih [3·5, 9]
        Assert.Equal(GruStackNet.ParameterCount, blocks[^1].Offset + blocks[^1].Length);
        Assert.Equal(4 * 10 * 3, new LstmNet(1).W_ih1.Length);
    }

    [Fact]
    public void A_saved_network_loads_into_a_new_one_with_the_same_outputs()
    {
        // The runtime helpers are generic over INetwork: a recurrent network saves and loads like any other.
        var trained = new LstmStackNet(maxSteps: 8, seed: 3);
        var fresh = new LstmStackNet(maxSteps: 8, seed: 4);
        float[] input = Random(8 * LstmStackNet.InputSize, 5);
        var a = new float[8];
        var b = new float[8];
        trained.Forward(input, a, 8);
        fresh.Forward(input, b, 8);
        Assert.NotEqual(a, b);
        var stream = new MemoryStream();
        NetworkFile.Save(trained, stream);
        stream.Position = 0;
        NetworkFile.Load(fresh, stream, "memory");
        fresh.Forward(input, b, 8);
        Assert.Equal(a, b);
        Assert.Throws<InvalidDataException>(() => NetworkFile.Load(new GruStackNet(8), new MemoryStream(stream.ToArray()), "memory"));
    }
}
