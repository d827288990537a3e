using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using StaticNet.Kernels;

namespace StaticNet.Benchmarks;

/// <summary>A sequence model of the training benchmarks: 8 features a step, a GRU of 64, a Dense(4) head at every step.</summary>
[Network] [Input(8)] [GRU(64)] [Dense(4)] [MeanSquaredError] public partial class BenchSeqGru;
/// <summary>The same with an LSTM of 64.</summary>
[Network] [Input(8)] [LSTM(64)] [Dense(4)] [MeanSquaredError] public partial class BenchSeqLstm;

/// <summary>
/// Whole sequences (50 steps each): inference (<c>Forward</c>) and a training step (<c>Loss</c> + <c>BackwardSgd</c>) at
/// one thread against two, side by side; and, on one thread, the backward pass through time of the GRU as it was
/// before the parallel form (<c>Recurrent.GruBackward</c>: a rank-1 update of dW_ih and dW_hh at every step) against
/// the two passes that replaced it (<c>GruBackwardStep</c> keeping each step's gate gradients, then
/// <c>InputWeightGradientRows</c> and <c>HiddenWeightGradientRows</c> over every step at once), on the same data.
/// <code>dotnet run -c Release --project tests/StaticNet.Benchmarks -- --no-verify --filter *RecurrentTrainingBenchmarks*</code>
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class RecurrentTrainingBenchmarks
{
    private const int Steps = 50, H = 64, In = 8, G = 3 * H;

    private BenchSeqGru _gru1 = null!, _gru2 = null!;
    private BenchSeqLstm _lstm1 = null!, _lstm2 = null!;
    private float[] _x = null!, _y = null!, _targets = null!;

    // The kernel comparison's buffers: the layer's input, states and kept gates, dL/dh from above, and the gradients.
    private float[] _h = null!, _gates = null!, _dOut = null!, _dx = null!, _dgi = null!, _dgh = null!, _scratch = null!;
    private float[] _W_ih = null!, _W_hh = null!, _dW_ih = null!, _dW_hh = null!, _db_ih = null!, _db_hh = null!, _carry = null!, _zeros = null!;

    [Params(1, 8, 32)]
    public int Sequences { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _gru1 = new BenchSeqGru(Steps, Sequences, seed: 1);
        _gru2 = new BenchSeqGru(Steps, Sequences, seed: 1) { DegreeOfParallelism = 2 };
        _lstm1 = new BenchSeqLstm(Steps, Sequences, seed: 1);
        _lstm2 = new BenchSeqLstm(Steps, Sequences, seed: 1) { DegreeOfParallelism = 2 };
        var random = new Random(7);
        int rows = Sequences * Steps;
        _x = Fill(random, rows * In, 1f);
        _targets = Fill(random, rows * 4, 1f);
        _y = new float[rows * 4];

        _h = Fill(random, rows * H, 1f);
        _gates = Fill(random, rows * 4 * H, 0.5f);
        for (int i = 0; i < _gates.Length; i++) _gates[i] += 0.5f; // r, z, n, hn in (0, 1), as a sigmoid's
        _dOut = Fill(random, rows * H, 0.1f);
        _dx = new float[rows * In];
        _dgi = new float[rows * G];
        _dgh = new float[rows * G];
        _scratch = new float[2 * G];
        _W_ih = Fill(random, G * In, 0.1f);
        _W_hh = Fill(random, G * H, 0.1f);
        _dW_ih = new float[G * In];
        _dW_hh = new float[G * H];
        _db_ih = new float[G];
        _db_hh = new float[G];
        _carry = new float[H];
        _zeros = new float[H];
    }

    private static float[] Fill(Random random, int n, float scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Benchmark(Baseline = true, Description = "GRU 1 thread"), BenchmarkCategory("GRU(64) inference")]
    public void GruInference1() => _gru1.Forward(_x, _y, Steps);

    [Benchmark(Description = "GRU 2 threads"), BenchmarkCategory("GRU(64) inference")]
    public void GruInference2() => _gru2.Forward(_x, _y, Steps);

    [Benchmark(Baseline = true, Description = "GRU 1 thread"), BenchmarkCategory("GRU(64) training step")]
    public void GruTraining1() { _gru1.Loss(_x, _targets, Steps); _gru1.BackwardSgd(1e-4f); }

    [Benchmark(Description = "GRU 2 threads"), BenchmarkCategory("GRU(64) training step")]
    public void GruTraining2() { _gru2.Loss(_x, _targets, Steps); _gru2.BackwardSgd(1e-4f); }

    [Benchmark(Baseline = true, Description = "LSTM 1 thread"), BenchmarkCategory("LSTM(64) training step")]
    public void LstmTraining1() { _lstm1.Loss(_x, _targets, Steps); _lstm1.BackwardSgd(1e-4f); }

    [Benchmark(Description = "LSTM 2 threads"), BenchmarkCategory("LSTM(64) training step")]
    public void LstmTraining2() { _lstm2.Loss(_x, _targets, Steps); _lstm2.BackwardSgd(1e-4f); }

    [Benchmark(Baseline = true, Description = "rank-1 per step (before)"), BenchmarkCategory("GRU(64) backward through time, 1 thread")]
    public void PerStepWeightGradients()
    {
        Array.Clear(_dW_ih); Array.Clear(_dW_hh); Array.Clear(_db_ih); Array.Clear(_db_hh);
        for (int s = 0; s < Sequences; s++)
        {
            Array.Clear(_carry);
            for (int step = Steps - 1; step >= 0; step--)
            {
                int row = s * Steps + step;
                ReadOnlySpan<float> hPrev = step > 0 ? _h.AsSpan((row - 1) * H, H) : _zeros;
                Recurrent.GruBackward(_x.AsSpan(row * In, In), hPrev, _gates.AsSpan(row * 4 * H, 4 * H), _dOut.AsSpan(row * H, H), _carry,
                    _dx.AsSpan(row * In, In), _W_ih, _W_hh, _dW_ih, _dW_hh, _db_ih, _db_hh, _scratch, In, H);
            }
        }
    }

    [Benchmark(Description = "gate gradients kept, then products"), BenchmarkCategory("GRU(64) backward through time, 1 thread")]
    public void WeightGradientsAfterwards()
    {
        for (int s = 0; s < Sequences; s++)
        {
            Array.Clear(_carry);
            for (int step = Steps - 1; step >= 0; step--)
            {
                int row = s * Steps + step;
                ReadOnlySpan<float> hPrev = step > 0 ? _h.AsSpan((row - 1) * H, H) : _zeros;
                Recurrent.GruBackwardStep(hPrev, _gates.AsSpan(row * 4 * H, 4 * H), _dOut.AsSpan(row * H, H), _carry, _dx.AsSpan(row * In, In),
                    _W_ih, _W_hh, _dgi.AsSpan(row * G, G), _dgh.AsSpan(row * G, G), In, H);
            }
        }
        int rows = Sequences * Steps;
        Recurrent.InputWeightGradientRows(_dgi, _x, _dW_ih, _db_ih, rows, G, In, 0, G);
        Recurrent.HiddenWeightGradientRows(_dgh, _h, _dW_hh, _db_hh, Sequences, Steps, G, H, 0, G);
    }
}
