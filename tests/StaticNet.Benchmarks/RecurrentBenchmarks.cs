using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

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
/// Dense(1) head, against a straightforward hand-written C# GRU loop (scalar, the same weights; checked equal in the
/// setup). Each invocation processes 480 samples (10 ms at 48 kHz), so the Mean column is ns per sample and the
/// real-time factor at 48 kHz is 20,833 ns divided by it. The memory diagnoser shows the 0 bytes allocated.
/// ONNX Runtime is not compared here: StaticNet.Onnx does not export recurrent layers yet.
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
    private HandWrittenGru _hand8 = null!, _hand32 = null!;
    private readonly float[] _signal = new float[Samples];
    private readonly float[] _x = new float[1], _y = new float[1];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Samples; i++) _signal[i] = 0.5f * MathF.Sin(i * 0.05f);
        _hand8 = new HandWrittenGru(_gru8.Parameters.ToArray(), 8);
        _hand32 = new HandWrittenGru(_gru32.Parameters.ToArray(), 32);
        // The baseline computes the same thing: check it once.
        for (int i = 0; i < Samples; i++)
        {
            _x[0] = _signal[i];
            _gru32.Step(_x, _y);
            float hand = _hand32.Step(_signal[i]);
            if (MathF.Abs(hand - _y[0]) > 1e-4f) throw new InvalidOperationException($"The hand-written GRU differs at sample {i}: {hand} vs {_y[0]}.");
        }
    }

    [Benchmark(OperationsPerInvoke = Samples), BenchmarkCategory("GRU(8)")]
    public float StaticNet_Gru8() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru8.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true), BenchmarkCategory("GRU(8)")]
    public float HandWritten_Gru8() { float s = 0; for (int i = 0; i < Samples; i++) s += _hand8.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples), BenchmarkCategory("GRU(32)")]
    public float StaticNet_Gru32() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru32.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples, Baseline = true), BenchmarkCategory("GRU(32)")]
    public float HandWritten_Gru32() { float s = 0; for (int i = 0; i < Samples; i++) s += _hand32.Step(_signal[i]); return s; }

    [Benchmark(OperationsPerInvoke = Samples), BenchmarkCategory("LSTM(32)")]
    public float StaticNet_Lstm32() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _lstm32.Step(_x, _y); s += _y[0]; } return s; }

    [Benchmark(OperationsPerInvoke = Samples), BenchmarkCategory("2 × GRU(64)")]
    public float StaticNet_Gru64x2() { float s = 0; for (int i = 0; i < Samples; i++) { _x[0] = _signal[i]; _gru64x2.Step(_x, _y); s += _y[0]; } return s; }

    /// <summary>
    /// A GRU(H) with a Dense(1) head as one would write it by hand: plain loops over floats, PyTorch's equations,
    /// the weights in the generated network's layout (W_ih [3H, 1], W_hh [3H, H], b_ih, b_hh, then W [H, 1], b).
    /// </summary>
    private sealed class HandWrittenGru
    {
        private readonly float[] _p;
        private readonly int _h;
        private readonly float[] _state, _gh;

        public HandWrittenGru(float[] parameters, int hidden)
        {
            _p = parameters;
            _h = hidden;
            _state = new float[hidden];
            _gh = new float[3 * hidden];
        }

        public float Step(float x)
        {
            int H = _h, wih = 0, whh = 3 * H, bih = whh + 3 * H * H, bhh = bih + 3 * H, w = bhh + 3 * H, b = w + H;
            for (int g = 0; g < 3 * H; g++)
            {
                float a = _p[bhh + g];
                for (int j = 0; j < H; j++) a += _p[whh + g * H + j] * _state[j];
                _gh[g] = a;
            }
            float y = _p[b];
            for (int u = 0; u < H; u++)
            {
                float r = 1 / (1 + MathF.Exp(-(_p[wih + u] * x + _p[bih + u] + _gh[u])));
                float z = 1 / (1 + MathF.Exp(-(_p[wih + H + u] * x + _p[bih + H + u] + _gh[H + u])));
                float n = MathF.Tanh(_p[wih + 2 * H + u] * x + _p[bih + 2 * H + u] + r * _gh[2 * H + u]);
                _state[u] = (1 - z) * n + z * _state[u];
                y += _state[u] * _p[w + u];
            }
            return y;
        }
    }
}
