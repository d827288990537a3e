using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using StaticNet.Tests.Networks;

namespace StaticNet.Tests.Interop;

/// <summary>
/// The BatchNorm and recurrent models of make_reference.py (MODELS_V2), shared by the safetensors tests and the ONNX
/// tests (linked there): what the script recorded, and the matching StaticNet network behind one shape of calls.
/// </summary>
internal static class InteropModels
{
    public static readonly string[] BatchNorm = ["bn_mlp", "bn_mlp_eps", "bn_conv"];
    public static readonly string[] Recurrent = ["gru_stack", "lstm_stack", "lstm_mixed", "gru_lstm"];
    public static string[] All => [.. BatchNorm, .. Recurrent];

    /// <summary>What the script recorded for one model (floats are float32 values written as doubles: exact).</summary>
    public sealed class Record
    {
        public required string Architecture { get; init; }
        public required int Batch { get; init; }
        public int Steps { get; init; }
        public required float[] Input { get; init; }
        public required float[] Output { get; init; }
        public required float[] Targets { get; init; }
        public required double Loss { get; init; }
        public required Dictionary<string, float[]> Gradients { get; init; }
        public required Dictionary<string, long[]> Shapes { get; init; }
        public required Dictionary<string, string> DTypes { get; init; }
        public required List<string> OnnxNodes { get; init; }

        /// <summary>Rows of the input: sequences × steps for a recurrent model, else the batch.</summary>
        public int Rows => Steps == 0 ? Batch : Batch * Steps;

        public static Record Load(string folder, string model, int outputSize)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, model + ".json")));
            JsonElement r = json.RootElement;
            static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            float[] targets;
            if (r.TryGetProperty("labels", out JsonElement labels))
            {
                // Cross-entropy with class labels, per row (per step of each sequence): as one-hot targets.
                float[] l = Floats(labels);
                targets = new float[l.Length * outputSize];
                for (int i = 0; i < l.Length; i++) targets[i * outputSize + (int)l[i]] = 1;
            }
            else
            {
                targets = Floats(r.GetProperty("targets"));
            }
            return new Record
            {
                Architecture = r.GetProperty("architecture").GetString()!,
                Batch = r.GetProperty("batch").GetInt32(),
                Steps = r.TryGetProperty("steps", out JsonElement s) ? s.GetInt32() : 0,
                Input = Floats(r.GetProperty("input")),
                Output = Floats(r.GetProperty("output")),
                Targets = targets,
                Loss = r.GetProperty("loss").GetDouble(),
                Gradients = r.GetProperty("gradients").EnumerateObject().ToDictionary(p => p.Name, p => Floats(p.Value)),
                Shapes = r.GetProperty("shapes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray()),
                DTypes = r.GetProperty("dtypes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                OnnxNodes = r.GetProperty("onnx").GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!).ToList(),
            };
        }
    }

    /// <summary>A network and its calls: Forward on rows (or sequences of <see cref="Steps"/>), the training-form Loss, Backward.</summary>
    public sealed class Subject
    {
        public required INetwork Net { get; init; }
        /// <summary>Time steps per sequence of a recurrent network; 0 for the others.</summary>
        public int Steps { get; init; }
        public required Action<float[], float[]> Forward { get; init; }
        public required Func<float[], float[], float> Loss { get; init; }
        public required Action Backward { get; init; }
    }

    /// <summary>The StaticNet network of <paramref name="model"/>, for up to 8 rows (or 8 sequences of up to 8 steps).</summary>
    public static Subject Create(string model, int seed = 7, int steps = 0)
    {
        switch (model)
        {
            case "bn_mlp": return Plain(new TorchBatchNormMlp(8, seed));
            case "bn_mlp_eps": return Plain(new TorchBatchNormEpsMlp(8, seed));
            case "bn_conv": return Plain(new TorchBatchNormConv(8, seed));
            case "gru_stack":
            {
                var n = new TorchGruStack(maxSteps: 8, batchCapacity: 8, seed);
                return new Subject { Net = n, Steps = steps, Forward = (x, y) => n.Forward(x, y, steps), Loss = (x, t) => n.Loss(x, t, steps), Backward = n.Backward };
            }
            case "lstm_stack":
            {
                var n = new TorchLstmStack(maxSteps: 8, batchCapacity: 8, seed);
                return new Subject { Net = n, Steps = steps, Forward = (x, y) => n.Forward(x, y, steps), Loss = (x, t) => n.Loss(x, t, steps), Backward = n.Backward };
            }
            case "lstm_mixed":
            {
                var n = new TorchLstmMixed(maxSteps: 8, batchCapacity: 8, seed);
                return new Subject { Net = n, Steps = steps, Forward = (x, y) => n.Forward(x, y, steps), Loss = (x, t) => n.Loss(x, t, steps), Backward = n.Backward };
            }
            case "gru_lstm":
            {
                var n = new TorchGruLstm(maxSteps: 8, batchCapacity: 8, seed);
                return new Subject { Net = n, Steps = steps, Forward = (x, y) => n.Forward(x, y, steps), Loss = (x, t) => n.Loss(x, t, steps), Backward = n.Backward };
            }
            default: throw new ArgumentException(model);
        }
    }

    private static Subject Plain(ILossNetwork n) =>
        new() { Net = n, Forward = (x, y) => n.Forward(x, y), Loss = (x, t) => n.Loss(x, t), Backward = n.Backward };

    /// <summary>Fills the parameters with values in [-1, 1) and the running variances (every second block of State) with values in [0.25, 2.25), means in [-1, 1).</summary>
    public static void Randomize(INetwork net, int seed)
    {
        var random = new Random(seed);
        Span<float> p = net.Parameters;
        for (int i = 0; i < p.Length; i++) p[i] = (float)(random.NextDouble() * 2 - 1);
        Span<float> state = net.State;
        for (int i = 0; i < state.Length; i++) state[i] = (float)(random.NextDouble() * 2 - 1);
        foreach (ParameterBlock b in SafeTensorsNetwork.Describe(net).Select(t => t.Block).Where(b => b.Kind == ParameterKind.RunningVariance))
            for (int i = 0; i < b.Length; i++) state[b.Offset + i] = (float)(0.25 + 2 * random.NextDouble());
    }
}
