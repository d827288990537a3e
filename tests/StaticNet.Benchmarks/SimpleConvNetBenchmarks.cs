using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;

namespace StaticNet.Benchmarks;

/// <summary>The book's SimpleConvNet (ch. 7.5), declared with StaticNet's attributes; the generator writes the rest.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(30, 5)] [ReLU]
[MaxPool2D(2)]
[Flatten]
[Dense(100)] [ReLU]
[Dense(10)] [SoftmaxCrossEntropy]
public partial class BenchSimpleConvNet;

/// <summary>
/// The generated <see cref="BenchSimpleConvNet"/> behind <see cref="IConvNet"/>: a training step is <c>Loss</c> +
/// <c>BackwardSgd</c> (fused) or <c>Loss</c> + <c>Backward()</c> + <c>Sgd.Step</c>. Its layout is the canonical one.
/// </summary>
public sealed class StaticNetConvNet : IConvNet
{
    private readonly BenchSimpleConvNet _net;
    private readonly Sgd _sgd = new(0.1f);
    private readonly bool _fused;

    public StaticNetConvNet(int batch, bool fused)
    {
        _net = new BenchSimpleConvNet(batch);
        _fused = fused;
    }

    public void SetParameters(ReadOnlySpan<float> parameters) => parameters.CopyTo(_net.Parameters);

    public void GetParameters(Span<float> parameters) => _net.Parameters.CopyTo(parameters);

    public void Forward(ReadOnlySpan<float> x, Span<float> y) => _net.Forward(x, y);

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float lr)
    {
        float loss = _net.Loss(x, labels);
        if (_fused)
        {
            _net.BackwardSgd(lr);
            return loss;
        }
        _net.Backward();
        _sgd.LearningRate = lr;
        _sgd.Step(_net.Parameters, _net.Gradients);
        return loss;
    }
}

/// <summary>
/// The whole SimpleConvNet, <c>Input(1, 28, 28) Conv2D(30, 5) ReLU MaxPool2D(2) Flatten Dense(100) ReLU Dense(10)
/// SoftmaxCrossEntropy</c>, float32, one thread: inference and one SGD training step at batch 1, 32 and 100, the
/// generated network (two ways of training) beside <see cref="TensorPrimitivesConvNet"/> (the baseline of the ratios)
/// and <see cref="BookPortConvNet"/>. The setup checks every implementation against <see cref="DoubleConvNet"/>, a
/// naive double-precision oracle, and the generated network's zero allocation, before anything is timed.
/// </summary>
/// <remarks><c>run -- --filter '*SimpleConvNet*' --job short</c>. After the run, Program prints each median as a percentage
/// of the FMA peak measured in the same run (<see cref="PrintTable"/>).</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class SimpleConvNetBenchmarks
{
    public const string Inference = "ConvNetInference", Training = "ConvNetTrainingStep";
    public const float LearningRate = 0.01f;
    private const int LabelSets = 4;

    [Params(1, 32, 100)]
    public int Batch { get; set; }

    private StaticNetConvNet _staticNet = null!, _staticNetFused = null!;
    private TensorPrimitivesConvNet _tensorPrimitives = null!;
    private BookPortConvNet _bookPort = null!;
    private float[] _x = null!, _y = null!;
    private int[][] _labels = null!;
    private int _step;

    [GlobalSetup]
    public void Setup()
    {
        string? failure = SimpleConvNetVerification.Check(Batch, Console.Out);
        if (failure is not null) throw new InvalidOperationException(failure);
        float[] parameters = SimpleConvNetVerification.CreateParameters(7);
        _x = ReferenceData.CreateInputs(11, Batch);
        _y = new float[Batch * ConvNetShape.Output];
        _labels = new int[LabelSets][];
        for (int s = 0; s < LabelSets; s++) _labels[s] = ReferenceData.CreateLabels(13 + s, Batch);
        _staticNet = new StaticNetConvNet(Batch, fused: false);
        _staticNetFused = new StaticNetConvNet(Batch, fused: true);
        _tensorPrimitives = new TensorPrimitivesConvNet(Batch);
        _bookPort = new BookPortConvNet();
        foreach (IConvNet net in new IConvNet[] { _staticNet, _staticNetFused, _tensorPrimitives, _bookPort }) net.SetParameters(parameters);
    }

    private int[] NextLabels() => _labels[_step++ & (LabelSets - 1)];

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(Inference)]
    public void Inference_TensorPrimitives() => _tensorPrimitives.Forward(_x, _y);

    [Benchmark(Description = "BookPort")]
    [BenchmarkCategory(Inference)]
    public void Inference_BookPort() => _bookPort.Forward(_x, _y);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(Inference)]
    public void Inference_StaticNet() => _staticNet.Forward(_x, _y);

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(Training)]
    public float Training_TensorPrimitives() => _tensorPrimitives.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "BookPort")]
    [BenchmarkCategory(Training)]
    public float Training_BookPort() => _bookPort.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "StaticNet (Backward + Sgd.Step)")]
    [BenchmarkCategory(Training)]
    public float Training_StaticNet() => _staticNet.TrainStep(_x, NextLabels(), LearningRate);

    [Benchmark(Description = "StaticNet (BackwardSgd)")]
    [BenchmarkCategory(Training)]
    public float Training_StaticNetFused() => _staticNetFused.TrainStep(_x, NextLabels(), LearningRate);

    /// <summary>
    /// The FMA peak of the run: the better width, leaving out a measurement that is not finite (a sample timed as 0 on
    /// a loaded machine once gave Vector256 an infinite figure).
    /// </summary>
    public static double Peak(MachineLimitValues limits) =>
        Math.Max(double.IsFinite(limits.Fma512) ? limits.Fma512 : 0, double.IsFinite(limits.Fma256) ? limits.Fma256 : 0);

    /// <summary>
    /// Each SimpleConvNet benchmark's median as a percentage of the FMA peak: (FLOPs of <see cref="ConvNetShape"/> / peak)
    /// / median, with BenchmarkDotNet's allocated bytes per operation.
    /// </summary>
    public static void PrintTable(IEnumerable<Summary> summaries, MachineLimitValues limits)
    {
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<(string Op, int Batch, string Impl, double Median, double Bound, long? Alloc)>();
        foreach (Summary summary in summaries)
            foreach (BenchmarkReport report in summary.Reports)
            {
                var bc = report.BenchmarkCase;
                string? op = bc.Descriptor.Categories.FirstOrDefault(c => c is Inference or Training);
                object? batch = bc.Parameters.Items.FirstOrDefault(p => p.Name == nameof(Batch))?.Value;
                if (op is null || batch is not int n || report.ResultStatistics is null) continue;
                double flops = op == Inference ? ConvNetShape.InferenceFlops(n) : ConvNetShape.TrainingFlops(n);
                rows.Add((op, n, bc.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), report.ResultStatistics.Median, flops / Peak(limits),
                    report.GcStats.GetBytesAllocatedPerOperation(bc)));
            }
        if (rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine(string.Format(ci, "SimpleConvNet: % of FMA peak ({0:F1} GFLOP/s, one thread) = (FLOPs of the products / peak) / median; load average {1}.",
            Peak(limits), MachineLimits.LoadAverage()));
        Console.WriteLine("| operation | batch | implementation | median | bound | % of FMA peak | vs TensorPrimitives | allocated |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows.OrderBy(r => r.Op == Inference ? 0 : 1).ThenBy(r => r.Batch).ThenBy(r => r.Impl, StringComparer.Ordinal))
        {
            var baseline = rows.FirstOrDefault(b => b.Op == r.Op && b.Batch == r.Batch && b.Impl == "TensorPrimitives");
            string ratio = baseline.Impl is null ? "" : string.Format(ci, "{0:F2}x", baseline.Median / r.Median);
            Console.WriteLine(string.Format(ci, "| {0} | {1} | {2} | {3} | {4} | {5:F1}% | {6} | {7} |", r.Op, r.Batch, r.Impl,
                MachineLimits.FormatTime(r.Median), MachineLimits.FormatTime(r.Bound), 100 * r.Bound / r.Median, ratio,
                r.Alloc is long a ? a.ToString("N0", ci) + " B" : "?"));
        }
    }
}

/// <summary>
/// Checks every SimpleConvNet implementation against <see cref="DoubleConvNet"/> at one batch size: the forward
/// probabilities, the losses of two consecutive SGD steps and every parameter's change after them (relative tolerance
/// 1e-4 of the largest change of its block, so a wrong gradient anywhere shows), and that the generated network's
/// warm inference and training steps allocate 0 bytes on the calling thread.
/// </summary>
public static class SimpleConvNetVerification
{
    // Large enough that a wrong gradient moves the parameters visibly, small enough that the second step's loss stays
    // moderate (at 0.1 it reaches ~100 at batch 1, where the book's −log(y + 1e-7) and −log y part ways).
    private const float Lr = 0.01f;
    private const double Tolerance = 1e-4;

    /// <summary>Seeded parameters: the generated network's He/Xavier initialisation, with small random biases (so a bias bug shows).</summary>
    public static float[] CreateParameters(int seed)
    {
        float[] p = new BenchSimpleConvNet(1, seed).Parameters.ToArray();
        var random = new Random(seed);
        foreach ((int offset, int size) in new[] { (ConvNetShape.B1Offset, ConvNetShape.B1Size), (ConvNetShape.B2Offset, ConvNetShape.B2Size), (ConvNetShape.B3Offset, ConvNetShape.B3Size) })
            for (int i = 0; i < size; i++) p[offset + i] = 0.1f * (random.NextSingle() - 0.5f);
        return p;
    }

    /// <summary>Null when all agree, else what failed; writes one line per implementation.</summary>
    public static string? Check(int batch, System.IO.TextWriter log)
    {
        float[] p0 = CreateParameters(3);
        float[] x = ReferenceData.CreateInputs(100 + batch, batch);
        int[] t1 = ReferenceData.CreateLabels(200 + batch, batch), t2 = ReferenceData.CreateLabels(300 + batch, batch);
        var oracle = new DoubleConvNet(p0);
        double[] yRef = oracle.Forward(x, batch);
        double loss1Ref = oracle.TrainStep(x, t1, batch, Lr), loss2Ref = oracle.TrainStep(x, t2, batch, Lr);
        (string Name, IConvNet Net, bool ZeroAllocation)[] candidates =
        [
            ("StaticNet (Backward + Sgd.Step)", new StaticNetConvNet(batch, fused: false), true),
            ("StaticNet (BackwardSgd)", new StaticNetConvNet(batch, fused: true), true),
            ("TensorPrimitives", new TensorPrimitivesConvNet(batch), true),
            ("BookPort", new BookPortConvNet(), false),
            // libtorch allocates in native memory, which the per-thread count does not see: no claim either way.
            .. LibTorchNet.IsAvailable ? [("libtorch", new LibTorchNet(batch, network: LibTorchNetwork.SimpleConvNet), false)] : Array.Empty<(string, IConvNet, bool)>(),
        ];
        var failures = new List<string>();
        foreach ((string name, IConvNet net, bool zeroAllocation) in candidates)
        {
            net.SetParameters(p0);
            var y = new float[batch * ConvNetShape.Output];
            net.Forward(x, y);
            // The book's loss is −log(y + 1e-7): within the tolerance of −log y while no probability is near 1e-7.
            float loss1 = net.TrainStep(x, t1, Lr), loss2 = net.TrainStep(x, t2, Lr);
            var p2 = new float[ConvNetShape.ParameterCount];
            net.GetParameters(p2);
            var problems = new List<string>();
            for (int i = 0; i < y.Length; i++)
                if (Math.Abs(y[i] - yRef[i]) > Tolerance * Math.Max(yRef[i], 1e-3)) { problems.Add($"y[{i}] {y[i]} vs {yRef[i]}"); break; }
            if (Math.Abs(loss1 - loss1Ref) > Tolerance * Math.Abs(loss1Ref)) problems.Add($"loss 1 {loss1} vs {loss1Ref}");
            if (Math.Abs(loss2 - loss2Ref) > Tolerance * Math.Abs(loss2Ref)) problems.Add($"loss 2 {loss2} vs {loss2Ref}");
            foreach ((string block, int offset, int size) in new[]
            {
                ("W1", ConvNetShape.W1Offset, ConvNetShape.W1Size), ("b1", ConvNetShape.B1Offset, ConvNetShape.B1Size),
                ("W2", ConvNetShape.W2Offset, ConvNetShape.W2Size), ("b2", ConvNetShape.B2Offset, ConvNetShape.B2Size),
                ("W3", ConvNetShape.W3Offset, ConvNetShape.W3Size), ("b3", ConvNetShape.B3Offset, ConvNetShape.B3Size),
            })
            {
                double largest = 0;
                for (int i = offset; i < offset + size; i++) largest = Math.Max(largest, Math.Abs(oracle.Parameters[i] - p0[i]));
                if (largest == 0) { problems.Add($"{block}: the oracle's step did not change it"); continue; }
                for (int i = offset; i < offset + size; i++)
                {
                    double expected = oracle.Parameters[i] - p0[i], actual = (double)p2[i] - p0[i];
                    // 1e-6 of the parameter itself too: p2 − p0 of floats is only as exact as p2.
                    if (Math.Abs(actual - expected) > Tolerance * largest + 1e-6 * Math.Abs(p0[i]))
                    {
                        problems.Add($"{block}[{i - offset}] changed by {actual:G6}, expected {expected:G6}");
                        break;
                    }
                }
            }
            if (zeroAllocation)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                net.Forward(x, y);
                _ = net.TrainStep(x, t1, Lr);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated != 0) problems.Add($"allocated {allocated} bytes in a warm Forward + TrainStep");
            }
            (net as IDisposable)?.Dispose();
            log.WriteLine($"verify SimpleConvNet, {name}, batch {batch}: " + (problems.Count == 0 ? string.Create(CultureInfo.InvariantCulture, $"ok (loss {loss1:F6})") : string.Join("; ", problems)));
            if (problems.Count > 0) failures.Add($"{name}, batch {batch}: {string.Join("; ", problems)}");
        }
        return failures.Count == 0 ? null : "SimpleConvNet verification failed: " + string.Join(" | ", failures);
    }

    /// <summary>--verify: batches 1, 7, 32 and 100; 0 when everything agrees.</summary>
    public static int Run()
    {
        int failures = 0;
        foreach (int batch in new[] { 1, 7, 32, 100 })
            if (Check(batch, Console.Out) is not null) failures++;
        return failures == 0 ? 0 : 1;
    }
}

/// <summary>
/// The oracle: SimpleConvNet in double precision, written from the definitions with no im2col, no blocking and nothing
/// shared with the code it checks. Convolution as the sum <c>a[n, f, oh, ow] = b[f] + Σ_{c,i,j} W[f, c, i, j]·x[n, c, oh + i,
/// ow + j]</c>, its weight gradient as the same sum with dout, max pooling by its first maximum, plain SGD.
/// </summary>
public sealed class DoubleConvNet
{
    private const int C = ConvNetShape.C, H = ConvNetShape.H, W = ConvNetShape.W, F = ConvNetShape.F, K = ConvNetShape.K;
    private const int OH = ConvNetShape.OH, OW = ConvNetShape.OW, PH = ConvNetShape.PH, PW = ConvNetShape.PW;
    private const int Pooled = ConvNetShape.Pooled, Hid = ConvNetShape.Hidden, Out = ConvNetShape.Output;

    public DoubleConvNet(float[] parameters) => Parameters = parameters.Select(v => (double)v).ToArray();

    /// <summary>The parameters in the canonical layout, updated by <see cref="TrainStep"/>.</summary>
    public double[] Parameters { get; }

    private double P(int offset, int index) => Parameters[offset + index];

    public double[] Forward(float[] x, int n) => Run(x, n, out _, out _, out _, out _, out _);

    private double[] Run(float[] x, int n, out double[] a1, out double[] p1, out int[] argmax, out double[] a2, out double[] h2)
    {
        a1 = new double[n * F * OH * OW];
        for (int s = 0; s < n; s++)
            for (int f = 0; f < F; f++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++)
                    {
                        double sum = P(ConvNetShape.B1Offset, f);
                        for (int c = 0; c < C; c++)
                            for (int i = 0; i < K; i++)
                                for (int j = 0; j < K; j++)
                                    sum += P(ConvNetShape.W1Offset, ((f * C + c) * K + i) * K + j) * x[((s * C + c) * H + oh + i) * W + ow + j];
                        a1[((s * F + f) * OH + oh) * OW + ow] = sum;
                    }
        p1 = new double[n * Pooled];
        argmax = new int[n * Pooled];
        for (int s = 0; s < n; s++)
            for (int f = 0; f < F; f++)
                for (int ph = 0; ph < PH; ph++)
                    for (int pw = 0; pw < PW; pw++)
                    {
                        int o = ((s * F + f) * PH + ph) * PW + pw, best = -1;
                        double max = double.NegativeInfinity;
                        for (int i = 0; i < 2; i++)
                            for (int j = 0; j < 2; j++)
                            {
                                int at = ((s * F + f) * OH + 2 * ph + i) * OW + 2 * pw + j;
                                double v = Math.Max(0, a1[at]); // ReLU
                                if (v > max) { max = v; best = at; }
                            }
                        p1[o] = max;
                        argmax[o] = best;
                    }
        a2 = new double[n * Hid];
        h2 = new double[n * Hid];
        for (int s = 0; s < n; s++)
            for (int u = 0; u < Hid; u++)
            {
                double sum = P(ConvNetShape.B2Offset, u);
                for (int k = 0; k < Pooled; k++) sum += p1[s * Pooled + k] * P(ConvNetShape.W2Offset, k * Hid + u);
                a2[s * Hid + u] = sum;
                h2[s * Hid + u] = Math.Max(0, sum);
            }
        var y = new double[n * Out];
        for (int s = 0; s < n; s++)
        {
            var z = new double[Out];
            double max = double.NegativeInfinity, total = 0;
            for (int o = 0; o < Out; o++)
            {
                double sum = P(ConvNetShape.B3Offset, o);
                for (int k = 0; k < Hid; k++) sum += h2[s * Hid + k] * P(ConvNetShape.W3Offset, k * Out + o);
                z[o] = sum;
                max = Math.Max(max, sum);
            }
            for (int o = 0; o < Out; o++) total += Math.Exp(z[o] - max);
            for (int o = 0; o < Out; o++) y[s * Out + o] = Math.Exp(z[o] - max) / total;
        }
        return y;
    }

    /// <summary>One SGD step; returns the mean cross-entropy −log y[t] before it.</summary>
    public double TrainStep(float[] x, int[] t, int n, float lr)
    {
        double[] y = Run(x, n, out double[] a1, out double[] p1, out int[] argmax, out double[] a2, out double[] h2);
        var g = new double[ConvNetShape.ParameterCount];
        double loss = 0;
        var da3 = new double[n * Out];
        for (int s = 0; s < n; s++)
        {
            loss -= Math.Log(y[s * Out + t[s]]);
            for (int o = 0; o < Out; o++) da3[s * Out + o] = (y[s * Out + o] - (o == t[s] ? 1 : 0)) / n;
        }
        var da2 = new double[n * Hid];
        for (int s = 0; s < n; s++)
            for (int k = 0; k < Hid; k++)
            {
                double dh = 0;
                for (int o = 0; o < Out; o++)
                {
                    g[ConvNetShape.W3Offset + k * Out + o] += h2[s * Hid + k] * da3[s * Out + o];
                    dh += da3[s * Out + o] * P(ConvNetShape.W3Offset, k * Out + o);
                }
                da2[s * Hid + k] = a2[s * Hid + k] > 0 ? dh : 0;
            }
        for (int s = 0; s < n; s++)
            for (int o = 0; o < Out; o++) g[ConvNetShape.B3Offset + o] += da3[s * Out + o];
        var da1 = new double[n * F * OH * OW];
        for (int s = 0; s < n; s++)
        {
            for (int u = 0; u < Hid; u++) g[ConvNetShape.B2Offset + u] += da2[s * Hid + u];
            for (int k = 0; k < Pooled; k++)
            {
                double dp = 0;
                for (int u = 0; u < Hid; u++)
                {
                    g[ConvNetShape.W2Offset + k * Hid + u] += p1[s * Pooled + k] * da2[s * Hid + u];
                    dp += da2[s * Hid + u] * P(ConvNetShape.W2Offset, k * Hid + u);
                }
                int at = argmax[s * Pooled + k];
                if (a1[at] > 0) da1[at] += dp; // the max-pool gradient goes to the maximum; ReLU passes it where a1 > 0
            }
        }
        for (int s = 0; s < n; s++)
            for (int f = 0; f < F; f++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++)
                    {
                        double d = da1[((s * F + f) * OH + oh) * OW + ow];
                        if (d == 0) continue;
                        g[ConvNetShape.B1Offset + f] += d;
                        for (int c = 0; c < C; c++)
                            for (int i = 0; i < K; i++)
                                for (int j = 0; j < K; j++)
                                    g[ConvNetShape.W1Offset + ((f * C + c) * K + i) * K + j] += d * x[((s * C + c) * H + oh + i) * W + ow + j];
                    }
        for (int i = 0; i < g.Length; i++) Parameters[i] -= lr * g[i];
        return loss / n;
    }
}
