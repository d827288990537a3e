using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using StaticNet.Kernels;

namespace StaticNet.Benchmarks;

/// <summary>
/// The convolution kernels on the book's SimpleConvNet layer (ch. 7.5: 1×28×28 input, 30 filters of
/// 5×5, stride 1, padding 0, so 30×24×24 out) at batch 32 and 100: forward, backward without the input
/// gradient (dW, db: what the first layer of a network needs) and with it, with the workspace the
/// generated network allocates. The baseline is the book's
/// im2col written straightforwardly with <see cref="TensorPrimitives"/>: <c>col [N·OH·OW, C·K·K]</c>,
/// <c>y = col·Wᵀ + b</c> as one <c>Dot</c> per output then a reshape to NCHW; <c>dW = doutᵀ·col</c> and
/// <c>dcol = dout·W</c> as rows of <c>MultiplyAdd</c> (axpy), then col2im. Buffers allocated once.
/// </summary>
/// <remarks>
/// <c>run -- --filter '*ConvBenchmarks*' --job short</c>. After the run, Program prints each figure as a
/// percentage of the FMA peak (<see cref="PrintTable"/>): FLOPs are the products only, 2·N·F·C·K²·OH·OW per
/// product (one forward; dW; dW + dx).
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class ConvBenchmarks
{
    public const int C = 1, H = 28, W = 28, F = 30, K = 5, S = 1, P = 0, OH = 24, OW = 24;
    public const int Patch = C * K * K, Pixels = OH * OW;
    public const string Forward = "ConvForward", BackwardWeights = "ConvBackward(dW,db)", BackwardAll = "ConvBackward(dW,db,dx)";

    [Params(32, 100)]
    public int Batch { get; set; }

    private float[] _x = null!, _w = null!, _b = null!, _y = null!, _dout = null!, _dw = null!, _db = null!, _dx = null!, _columns = null!;
    private TensorPrimitivesConv _baseline = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random64(7);
        float[] Gaussian(int n, float scale)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = scale * (float)random.NextGaussian();
            return v;
        }
        _x = Gaussian(Batch * C * H * W, 1f);
        _w = Gaussian(F * Patch, 0.2f);
        _b = Gaussian(F, 0.1f);
        _dout = Gaussian(Batch * F * Pixels, 0.01f);
        _y = new float[Batch * F * Pixels];
        _dw = new float[F * Patch];
        _db = new float[F];
        _dx = new float[Batch * C * H * W];
        _columns = new float[Conv2D.ColumnsLength(C, H, W, F, K, S, P)]; // as the generated network's: room to fold the bias into the product
        _baseline = new TensorPrimitivesConv(Batch);
        Verify();
    }

    /// <summary>Refuses to benchmark if the two implementations disagree (forward and every gradient).</summary>
    private void Verify()
    {
        StaticNetForward();
        float[] y = (float[])_y.Clone();
        StaticNetBackwardAll();
        _baseline.Forward(_x, _w, _b);
        _baseline.Backward(_x, _w, _dout, withDx: true);
        Same(y, _baseline.Y, "y");
        Same(_dw, _baseline.DW, "dW");
        Same(_db, _baseline.DB, "db");
        Same(_dx, _baseline.DX, "dx");
    }

    private static void Same(float[] a, float[] b, string what)
    {
        double scale = 0;
        foreach (float v in b) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < a.Length; i++)
            if (Math.Abs(a[i] - b[i]) > 1e-4 * (1 + scale))
                throw new InvalidOperationException($"Conv {what}[{i}]: StaticNet {a[i]}, TensorPrimitives {b[i]}");
    }

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(Forward)]
    public void Forward_TensorPrimitives() => _baseline.Forward(_x, _w, _b);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(Forward)]
    public void StaticNetForward() => Conv2D.Forward(_x, _w, _b, _y, _columns, Batch, C, H, W, F, K, S, P);

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(BackwardWeights)]
    public void BackwardWeights_TensorPrimitives() => _baseline.Backward(_x, _w, _dout, withDx: false);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(BackwardWeights)]
    public void StaticNetBackwardWeights() => Conv2D.Backward(_x, _w, _dout, _dw, _db, Span<float>.Empty, _columns, Batch, C, H, W, F, K, S, P);

    [Benchmark(Baseline = true, Description = "TensorPrimitives")]
    [BenchmarkCategory(BackwardAll)]
    public void BackwardAll_TensorPrimitives() => _baseline.Backward(_x, _w, _dout, withDx: true);

    [Benchmark(Description = "StaticNet")]
    [BenchmarkCategory(BackwardAll)]
    public void StaticNetBackwardAll() => Conv2D.Backward(_x, _w, _dout, _dw, _db, _dx, _columns, Batch, C, H, W, F, K, S, P);

    /// <summary>FLOPs of the products: 2·N·F·C·K²·OH·OW each; backward with dx has two.</summary>
    public static double Flops(string operation, int batch) =>
        (operation == BackwardAll ? 2.0 : 1.0) * 2.0 * batch * F * Patch * Pixels;

    /// <summary>Each conv benchmark's median as a percentage of the FMA peak: (FLOPs / peak) / median.</summary>
    public static void PrintTable(IEnumerable<Summary> summaries, MachineLimitValues limits)
    {
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<string>();
        foreach (Summary summary in summaries)
            foreach (BenchmarkReport report in summary.Reports)
            {
                var bc = report.BenchmarkCase;
                string? op = bc.Descriptor.Categories.FirstOrDefault(c => c is Forward or BackwardWeights or BackwardAll);
                object? batch = bc.Parameters.Items.FirstOrDefault(p => p.Name == nameof(Batch))?.Value;
                if (op is null || batch is not int n || report.ResultStatistics is null) continue;
                double boundNs = Flops(op, n) / SimpleConvNetBenchmarks.Peak(limits);
                rows.Add(string.Format(ci, "| {0} | {1} | {2} | {3} | {4} | {5:F1}% |", op, n, bc.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                    MachineLimits.FormatTime(report.ResultStatistics.Median), MachineLimits.FormatTime(boundNs), 100 * boundNs / report.ResultStatistics.Median));
            }
        if (rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine(string.Format(ci, "SimpleConvNet conv layer (1×28×28, 30 filters 5×5): % of FMA peak ({0:F1} GFLOP/s, one thread) = (products' FLOPs / peak) / median.", SimpleConvNetBenchmarks.Peak(limits)));
        Console.WriteLine("| operation | batch | implementation | median | bound | % of FMA peak |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: |");
        foreach (string row in rows) Console.WriteLine(row);
    }
}

/// <summary>
/// The book's im2col convolution (<c>common/layers.py</c>, <c>Convolution</c>) as a .NET developer would
/// write it with <see cref="TensorPrimitives"/>: the whole batch's <c>col [N·OH·OW, C·K·K]</c>, one
/// <c>Dot</c> per output, axpy rows for the gradients, col2im; every buffer allocated in the constructor.
/// </summary>
public sealed class TensorPrimitivesConv
{
    private const int C = ConvBenchmarks.C, H = ConvBenchmarks.H, W = ConvBenchmarks.W, F = ConvBenchmarks.F, K = ConvBenchmarks.K;
    private const int OH = ConvBenchmarks.OH, OW = ConvBenchmarks.OW, Patch = ConvBenchmarks.Patch, Pixels = ConvBenchmarks.Pixels;
    private readonly int _batch;
    private readonly float[] _col, _yRows, _dcol;

    public TensorPrimitivesConv(int batch)
    {
        _batch = batch;
        _col = new float[batch * Pixels * Patch];
        _yRows = new float[batch * Pixels * F];
        _dcol = new float[batch * Pixels * Patch];
        Y = new float[batch * F * Pixels];
        DW = new float[F * Patch];
        DB = new float[F];
        DX = new float[batch * C * H * W];
    }

    public float[] Y { get; }
    public float[] DW { get; }
    public float[] DB { get; }
    public float[] DX { get; }

    /// <summary>col[(n, oh, ow), (c, i, j)] = x[n, c, oh + i, ow + j] (stride 1, no padding).</summary>
    private void Im2Col(float[] x)
    {
        for (int n = 0; n < _batch; n++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++)
                {
                    Span<float> row = _col.AsSpan(((n * OH + oh) * OW + ow) * Patch, Patch);
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < K; i++)
                            x.AsSpan(((n * C + c) * H + oh + i) * W + ow, K).CopyTo(row.Slice((c * K + i) * K, K));
                }
    }

    public void Forward(float[] x, float[] w, float[] b)
    {
        Im2Col(x);
        // y = col·Wᵀ + b: [N·OH·OW, F], then to [N, F, OH, OW].
        for (int r = 0; r < _batch * Pixels; r++)
        {
            ReadOnlySpan<float> row = _col.AsSpan(r * Patch, Patch);
            for (int f = 0; f < F; f++) _yRows[r * F + f] = TensorPrimitives.Dot(row, w.AsSpan(f * Patch, Patch)) + b[f];
        }
        for (int n = 0; n < _batch; n++)
            for (int p = 0; p < Pixels; p++)
                for (int f = 0; f < F; f++)
                    Y[(n * F + f) * Pixels + p] = _yRows[(n * Pixels + p) * F + f];
    }

    public void Backward(float[] x, float[] w, float[] dout, bool withDx)
    {
        Im2Col(x);
        Array.Clear(DW);
        Array.Clear(DB);
        // dW = doutᵀ·col: for each output pixel, dW[f] += dout[n, f, p]·col[row].
        for (int n = 0; n < _batch; n++)
            for (int p = 0; p < Pixels; p++)
            {
                ReadOnlySpan<float> row = _col.AsSpan((n * Pixels + p) * Patch, Patch);
                for (int f = 0; f < F; f++)
                {
                    float g = dout[(n * F + f) * Pixels + p];
                    Span<float> dwf = DW.AsSpan(f * Patch, Patch);
                    TensorPrimitives.MultiplyAdd(row, g, dwf, dwf);
                }
            }
        for (int n = 0; n < _batch; n++)
            for (int f = 0; f < F; f++)
                DB[f] += TensorPrimitives.Sum(dout.AsSpan((n * F + f) * Pixels, Pixels));
        if (!withDx) return;
        // dcol = dout·W, then col2im.
        Array.Clear(_dcol);
        for (int n = 0; n < _batch; n++)
            for (int p = 0; p < Pixels; p++)
            {
                Span<float> drow = _dcol.AsSpan((n * Pixels + p) * Patch, Patch);
                for (int f = 0; f < F; f++)
                    TensorPrimitives.MultiplyAdd(w.AsSpan(f * Patch, Patch), dout[(n * F + f) * Pixels + p], drow, drow);
            }
        Array.Clear(DX);
        for (int n = 0; n < _batch; n++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++)
                {
                    ReadOnlySpan<float> drow = _dcol.AsSpan(((n * OH + oh) * OW + ow) * Patch, Patch);
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < K; i++)
                        {
                            Span<float> dx = DX.AsSpan(((n * C + c) * H + oh + i) * W + ow, K);
                            TensorPrimitives.Add(dx, drow.Slice((c * K + i) * K, K), dx);
                        }
                }
    }
}
