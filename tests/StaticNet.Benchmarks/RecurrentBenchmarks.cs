using System;
using System.IO;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.ML.OnnxRuntime;

namespace StaticNet.Benchmarks;

/// <summary>Streaming networks of the benchmark: one sample in, one out, per time step.</summary>
[Network] [Input(1)] [GRU(8)] [Dense(1)] public partial class BenchGru8;
/// <summary>A GRU of 32.</summary>
[Network] [Input(1)] [GRU(32)] [Dense(1)] public partial class BenchGru32;
/// <summary>An LSTM of 32.</summary>
[Network] [Input(1)] [LSTM(32)] [Dense(1)] public partial class BenchLstm32;
/// <summary>Two GRUs of 64.</summary>
[Network] [Input(1)] [GRU(64)] [GRU(64)] [Dense(1)] public partial class BenchGru64x2;

/// <summary>
/// Per-sample latency of the generated streaming <c>Step</c> for GRU(8), GRU(32), LSTM(32) and 2 × GRU(64), each with a
/// Dense(1) head, against a straightforward hand-written C# loop (scalar, the same weights) and ONNX Runtime (the same
/// weights exported from PyTorch by RecurrentOnnx/make_models.py, one call per sample with the state passed in and out).
/// Setup loads the weights written by that script into each network and checks, over 480 samples, that the hand-written
/// loop and ONNX Runtime give Step's outputs before anything is timed. Each invocation processes 480 samples (10 ms at
/// 48 kHz), so the Mean column is ns per sample and the real-time factor at 48 kHz is 20,833 ns divided by it. The
/// memory diagnoser shows the bytes allocated (managed; ONNX Runtime's native allocations are not seen by it).
/// </summary>
/// <remarks><c>run -- --filter '*RecurrentBenchmarks*' --job short</c> (or <c>--job dry</c> to check that it runs).</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RecurrentBenchmarks
{
    private const int Samples = 480;

    private readonly BenchGru8 _gru8 = new(maxSteps: 1, seed: 1);
    private readonly BenchGru32 _gru32 = new(maxSteps: 1, seed: 1);
    private readonly BenchLstm32 _lstm32 = new(maxSteps: 1, seed: 1);
    private readonly BenchGru64x2 _gru64x2 = new(maxSteps: 1, seed: 1);
    private HandWritten _hand8 = null!, _hand32 = null!, _handLstm32 = null!, _hand64x2 = null!;
    private OrtStream _ort8 = null!, _ort32 = null!, _ortLstm32 = null!, _ort64x2 = null!;
    private readonly float[] _signal = new float[Samples];
    private readonly float[] _x = new float[1], _y = new float[1];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Samples; i++) _signal[i] = 0.5f * MathF.Sin(i * 0.05f) + 0.3f * MathF.Sin(i * 0.31f);
        (_hand8, _ort8) = Prepare(_gru8, nameof(BenchGru8), lstm: false, hidden: 8, layers: 1, _gru8.Step, _gru8.ResetState);
        (_hand32, _ort32) = Prepare(_gru32, nameof(BenchGru32), lstm: false, hidden: 32, layers: 1, _gru32.Step, _gru32.ResetState);
        (_handLstm32, _ortLstm32) = Prepare(_lstm32, nameof(BenchLstm32), lstm: true, hidden: 32, layers: 1, _lstm32.Step, _lstm32.ResetState);
        (_hand64x2, _ort64x2) = Prepare(_gru64x2, nameof(BenchGru64x2), lstm: false, hidden: 64, layers: 2, _gru64x2.Step, _gru64x2.ResetState);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort8.Dispose();
        _ort32.Dispose();
        _ortLstm32.Dispose();
        _ort64x2.Dispose();
    }

    private delegate void StepFn(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>Loads the script's weights into <paramref name="net"/>, builds the two baselines on them and checks all three agree.</summary>
    private (HandWritten, OrtStream) Prepare(INetwork net, string name, bool lstm, int hidden, int layers, StepFn step, Action reset)
    {
        string folder = ModelFolder();
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, name + ".bin"));
        float[] parameters = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        if (parameters.Length != net.ParameterCount)
            throw new InvalidOperationException($"{name}.bin holds {parameters.Length} parameters, the network {net.ParameterCount}: run make_models.py again.");
        parameters.CopyTo(net.Parameters);
        var hand = new HandWritten(parameters, lstm, hidden, layers);
        var ort = new OrtStream(Path.Combine(folder, name + ".onnx"), lstm, hidden, layers);
        double worstHand = 0, worstOrt = 0;
        for (int i = 0; i < Samples; i++)
        {
            _x[0] = _signal[i];
            step(_x, _y);
            worstHand = Math.Max(worstHand, Math.Abs(hand.Step(_signal[i]) - _y[0]));
            worstOrt = Math.Max(worstOrt, Math.Abs(ort.Step(_signal[i]) - _y[0]));
        }
        if (!(worstHand <= 1e-5) || !(worstOrt <= 1e-5))
            throw new InvalidOperationException($"{name}: the hand-written loop differs from Step by {worstHand:E2}, ONNX Runtime by {worstOrt:E2}: not benchmarking different numbers.");
        Console.WriteLine($"// {name}: over {Samples} samples, |hand-written − Step| ≤ {worstHand:E2}, |ONNX Runtime − Step| ≤ {worstOrt:E2}");
        reset();
        hand.Reset();
        ort.Reset();
        return (hand, ort);
    }

    private static string ModelFolder()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "StaticNet.sln")))
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("StaticNet.sln not found above " + AppContext.BaseDirectory);
        return Path.Combine(root, "tests", "StaticNet.Benchmarks", "RecurrentOnnx");
    }

    [Benchmark(OperationsPerInvoke = Samples, Description = "StaticNet Step"), BenchmarkCategory("GRU(8)")]
    public float StaticNet_Gru8() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru8.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true, Description = "hand-written loop"), BenchmarkCategory("GRU(8)")]
    public float HandWritten_Gru8() { float s = 0; for (int i = 0; i < Samples; i++) s += _hand8.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "ONNX Runtime (1 thread)"), BenchmarkCategory("GRU(8)")]
    public float Onnx_Gru8() { float s = 0; for (int i = 0; i < Samples; i++) s += _ort8.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "StaticNet Step"), BenchmarkCategory("GRU(32)")]
    public float StaticNet_Gru32() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru32.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true, Description = "hand-written loop"), BenchmarkCategory("GRU(32)")]
    public float HandWritten_Gru32() { float s = 0; for (int i = 0; i < Samples; i++) s += _hand32.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "ONNX Runtime (1 thread)"), BenchmarkCategory("GRU(32)")]
    public float Onnx_Gru32() { float s = 0; for (int i = 0; i < Samples; i++) s += _ort32.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "StaticNet Step"), BenchmarkCategory("LSTM(32)")]
    public float StaticNet_Lstm32() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _lstm32.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true, Description = "hand-written loop"), BenchmarkCategory("LSTM(32)")]
    public float HandWritten_Lstm32() { float s = 0; for (int i = 0; i < Samples; i++) s += _handLstm32.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "ONNX Runtime (1 thread)"), BenchmarkCategory("LSTM(32)")]
    public float Onnx_Lstm32() { float s = 0; for (int i = 0; i < Samples; i++) s += _ortLstm32.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "StaticNet Step"), BenchmarkCategory("2 × GRU(64)")]
    public float StaticNet_Gru64x2() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru64x2.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true, Description = "hand-written loop"), BenchmarkCategory("2 × GRU(64)")]
    public float HandWritten_Gru64x2() { float s = 0; for (int i = 0; i < Samples; i++) s += _hand64x2.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples, Description = "ONNX Runtime (1 thread)"), BenchmarkCategory("2 × GRU(64)")]
    public float Onnx_Gru64x2() { float s = 0; for (int i = 0; i < Samples; i++) s += _ort64x2.Step(_signal[i]); return s; }

    /// <summary>
    /// Stacked GRU or LSTM layers with a Dense(1) head as one would write them by hand: plain loops over floats, PyTorch's
    /// equations, the weights in the generated network's layout (per layer W_ih [gates·H, in], W_hh [gates·H, H], b_ih,
    /// b_hh, then W [H, 1], b).
    /// </summary>
    private sealed class HandWritten
    {
        private readonly float[] _p;
        private readonly bool _lstm;
        private readonly int _h, _layers;
        private readonly float[][] _state, _cell;
        private readonly float[] _a, _input;

        public HandWritten(float[] parameters, bool lstm, int hidden, int layers)
        {
            _p = parameters;
            _lstm = lstm;
            _h = hidden;
            _layers = layers;
            _state = new float[layers][];
            _cell = new float[layers][];
            for (int k = 0; k < layers; k++) { _state[k] = new float[hidden]; _cell[k] = new float[hidden]; }
            _a = new float[4 * hidden];
            _input = new float[hidden];
        }

        public void Reset()
        {
            for (int k = 0; k < _layers; k++) { Array.Clear(_state[k]); Array.Clear(_cell[k]); }
        }

        public float Step(float sample)
        {
            int H = _h, G = (_lstm ? 4 : 3) * H, offset = 0, inputs = 1;
            _input[0] = sample;
            for (int k = 0; k < _layers; k++)
            {
                int wih = offset, whh = wih + G * inputs, bih = whh + G * H, bhh = bih + G;
                offset = bhh + G;
                float[] h = _state[k];
                if (_lstm)
                {
                    // a = W_ih·x + b_ih + W_hh·h₋₁ + b_hh; i, f, g, o; c = f·c₋₁ + i·g; h = o·tanh(c)
                    for (int g = 0; g < G; g++)
                    {
                        float a = _p[bih + g] + _p[bhh + g];
                        for (int j = 0; j < inputs; j++) a += _p[wih + g * inputs + j] * _input[j];
                        for (int j = 0; j < H; j++) a += _p[whh + g * H + j] * h[j];
                        _a[g] = a;
                    }
                    float[] c = _cell[k];
                    for (int u = 0; u < H; u++)
                    {
                        float i = 1 / (1 + MathF.Exp(-_a[u])), f = 1 / (1 + MathF.Exp(-_a[H + u]));
                        float gg = MathF.Tanh(_a[2 * H + u]), o = 1 / (1 + MathF.Exp(-_a[3 * H + u]));
                        c[u] = f * c[u] + i * gg;
                        h[u] = o * MathF.Tanh(c[u]);
                    }
                }
                else
                {
                    // r, z from both sides; n = tanh(W_in·x + b_in + r·(W_hn·h₋₁ + b_hn)); h = (1 − z)·n + z·h₋₁
                    for (int g = 0; g < G; g++)
                    {
                        float a = _p[bhh + g];
                        for (int j = 0; j < H; j++) a += _p[whh + g * H + j] * h[j];
                        _a[g] = a;
                    }
                    for (int u = 0; u < H; u++)
                    {
                        float xr = _p[bih + u], xz = _p[bih + H + u], xn = _p[bih + 2 * H + u];
                        for (int j = 0; j < inputs; j++)
                        {
                            xr += _p[wih + u * inputs + j] * _input[j];
                            xz += _p[wih + (H + u) * inputs + j] * _input[j];
                            xn += _p[wih + (2 * H + u) * inputs + j] * _input[j];
                        }
                        float r = 1 / (1 + MathF.Exp(-(xr + _a[u])));
                        float z = 1 / (1 + MathF.Exp(-(xz + _a[H + u])));
                        float n = MathF.Tanh(xn + r * _a[2 * H + u]);
                        _a[3 * H + u] = (1 - z) * n + z * h[u]; // the new h, kept aside while h₋₁ is still read
                    }
                    Array.Copy(_a, 3 * H, h, 0, H);
                }
                Array.Copy(h, _input, H);
                inputs = H;
            }
            float y = _p[offset + H];
            for (int u = 0; u < H; u++) y += _input[u] * _p[offset + u];
            return y;
        }
    }

    /// <summary>
    /// One ONNX Runtime session of a streaming model (x, h[, c] in; y, h_out[, c_out] out), one intra-op thread, all graph
    /// optimisations. The state lives in two pinned buffers bound once in two IoBindings that swap them, so a step is one
    /// RunWithBinding and no copy: the outputs of one call are the inputs of the next.
    /// </summary>
    private sealed class OrtStream : IDisposable
    {
        private readonly SessionOptions _options;
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly float[] _x = new float[1], _y = new float[1];
        private readonly float[][] _h, _c;
        private readonly OrtValue[] _values;
        private readonly OrtIoBinding _even, _odd;
        private bool _flip;

        public OrtStream(string path, bool lstm, int hidden, int layers)
        {
            _options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            _session = new InferenceSession(path, _options);
            _h = new[] { new float[layers * hidden], new float[layers * hidden] };
            _c = new[] { new float[layers * hidden], new float[layers * hidden] };
            long[] state = { layers, 1, hidden };
            OrtValue x = OrtValue.CreateTensorValueFromMemory(_x, new long[] { 1, 1, 1 });
            OrtValue y = OrtValue.CreateTensorValueFromMemory(_y, new long[] { 1, 1, 1 });
            OrtValue h0 = OrtValue.CreateTensorValueFromMemory(_h[0], state), h1 = OrtValue.CreateTensorValueFromMemory(_h[1], state);
            OrtValue c0 = OrtValue.CreateTensorValueFromMemory(_c[0], state), c1 = OrtValue.CreateTensorValueFromMemory(_c[1], state);
            _values = new[] { x, y, h0, h1, c0, c1 };
            _even = Bind(x, y, h0, h1, lstm ? c0 : null, lstm ? c1 : null);
            _odd = Bind(x, y, h1, h0, lstm ? c1 : null, lstm ? c0 : null);
        }

        private OrtIoBinding Bind(OrtValue x, OrtValue y, OrtValue hIn, OrtValue hOut, OrtValue? cIn, OrtValue? cOut)
        {
            OrtIoBinding binding = _session.CreateIoBinding();
            binding.BindInput("x", x);
            binding.BindInput("h", hIn);
            binding.BindOutput("y", y);
            binding.BindOutput("h_out", hOut);
            if (cIn is not null)
            {
                binding.BindInput("c", cIn);
                binding.BindOutput("c_out", cOut!);
            }
            return binding;
        }

        public float Step(float sample)
        {
            _x[0] = sample;
            _session.RunWithBinding(_runOptions, _flip ? _odd : _even);
            _flip = !_flip;
            return _y[0];
        }

        public void Reset()
        {
            foreach (float[] a in _h) Array.Clear(a);
            foreach (float[] a in _c) Array.Clear(a);
            _flip = false;
        }

        public void Dispose()
        {
            _even.Dispose();
            _odd.Dispose();
            foreach (OrtValue v in _values) v.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
            _options.Dispose();
        }
    }
}
